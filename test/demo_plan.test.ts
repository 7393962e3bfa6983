// The demo's budget plan (src/train/demo_plan.ts): what it trains for a measured rate and a time budget.
import test from 'node:test';
import assert from 'node:assert/strict';
import { planDemo } from '../src/train/demo_plan.js';

test('demo plan: epochs × images fit the planned images; a fast backend gets whole-dataset epochs', () => {
  // slow: 0.5 steps/s for 5 min → 225 images planned, 11 epochs of 20, half decaying
  const slow = planDemo(0.5, 300, 1000);
  assert.equal(slow.images, 225);
  assert.deepEqual([slow.epochs, slow.perEpoch], [11, 20]);
  assert.ok(slow.epochs * slow.perEpoch <= slow.images);
  assert.equal(slow.trainFlags['n-epochs'], 6);
  assert.equal(slow.trainFlags['n-epochs-decay'], 5);
  assert.equal(slow.trainFlags['max-dataset-size'], '20');
  assert.equal(slow.trainFlags['save-epoch-freq'], 11);
  // fast: more images than 12 epochs of the dataset → whole-dataset epochs, more of them
  const fast = planDemo(20, 600, 100);
  assert.equal(fast.perEpoch, 100);
  assert.equal(fast.epochs, Math.floor(fast.images / 100));
  assert.equal(Number(fast.trainFlags['n-epochs']) + Number(fast.trainFlags['n-epochs-decay']), fast.epochs);
  // a budget too small for anything still trains 24 images over 2 epochs
  const tiny = planDemo(0.01, 10, 1000);
  assert.deepEqual([tiny.images, tiny.epochs, tiny.perEpoch], [24, 2, 12]);
  assert.equal(tiny.trainFlags['print-freq'], 1);
});
