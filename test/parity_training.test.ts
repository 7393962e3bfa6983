// Two full official training steps (both CycleGAN fixtures): fakes, reconstructions, the eight losses
// and every weight after each step; plus the official linear learning-rate factors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../src/backends/index.js';
import { linearDecay } from '../src/core/schedule.js';
import { fixturesAvailable, manifest } from './helpers/fixtures.js';
import { runFixture, TRAINING_FIXTURES } from './helpers/parity.js';

const skip = fixturesAvailable() ? false : 'reference fixtures not found (../shared/fixtures/reference)';

test('two official training steps on the default backend', { skip }, async (t) => {
  const backend = await initBackend(process.env.CYCLEGAN_TEST_BACKEND ?? 'auto');
  for (const name of (process.env.ONLY ? [process.env.ONLY] : TRAINING_FIXTURES)) {
    await t.test(`${name} (${backend})`, () => runFixture(name));
  }
});

test('official linear learning-rate factors', { skip }, () => {
  for (const c of manifest().lr_linear_policy.cases) {
    const o = { nEpochs: c.n_epochs, nEpochsDecay: c.n_epochs_decay, epochCount: c.epoch_count };
    c.factors.forEach((f: number, e: number) => {
      assert.ok(Math.abs(linearDecay(e, o) - f) < 1e-12, `factor after ${e} epochs with ${JSON.stringify(o)}: ${linearDecay(e, o)} vs ${f}`);
    });
  }
});
