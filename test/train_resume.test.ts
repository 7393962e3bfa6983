// A run stopped in the middle (the stop hook SIGINT uses) and continued with --continue ends where an
// uninterrupted run ends: same epoch, learning rate, loss log and, with a fixed seed, the same weights.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { NET_NAMES } from '../src/train/run_folder.js';
import { makeRandomDataset, tempDir } from './workflow_util.js';
import { compareRuns, runOnce } from './helpers/resume.js';

test('interrupted + continued = uninterrupted (wasm backend, stop mid-epoch)', async () => {
  const { full } = await compareRuns('wasm', 4, 6);
  assert.equal(full.epoch, 4); // epochs 1..3 done
  assert.equal(full.totalIters, 12);
  // linear policy with the lr update at the start of each epoch: epoch 3 of 2+1 trains at lr * (1 - 2/2)
  assert.equal(full.lr, 0);
});

test('interrupted + continued = uninterrupted (cpu backend, batch 2, serial batches)', async () => {
  await compareRuns('cpu', 3, 2, { 'batch-size': 2, 'serial-batches': true, 'n-epochs': 1, 'n-epochs-decay': 1, 'pool-size': 2 });
});

test('a run folder with checkpoints is not overwritten without --continue', async () => {
  const root = await tempDir('resume-data');
  const ck = await tempDir('resume-c');
  try {
    await makeRandomDataset(root, { n: 2, size: 20 });
    const r = await runOnce(root, ck, 'wasm', 1);
    assert.equal(r.status, 'interrupted');
    const files = await fsp.readdir(path.join(ck, 'r'));
    for (const n of NET_NAMES) assert.ok(files.includes(`latest_net_${n}.safetensors`));
    await assert.rejects(runOnce(root, ck, 'wasm'), /already holds a run; pass --continue/);
  } finally {
    await fsp.rm(ck, { recursive: true, force: true });
    await fsp.rm(root, { recursive: true, force: true });
  }
});
