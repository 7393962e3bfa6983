// Runs a short training, stopped and continued, against an uninterrupted one (shared by the resume tests
// of every backend).
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { resolveTrainOptions } from '../../src/train/options.js';
import { openTrainData } from '../../src/train/data_source.js';
import { train, type TrainResult } from '../../src/train/trainer.js';
import { loadNets, readLossLog, runPaths, NET_NAMES } from '../../src/train/run_folder.js';
import { prepareSyncReads } from '../../src/backends/index.js';
import { makeRandomDataset, tempDir, maxParamDiff } from '../workflow_util.js';

const quiet = { log: () => {}, progress: { isTTY: false, write: () => {} } };

export function options(root: string, ck: string, backend: string, extra: Record<string, unknown> = {}) {
  return resolveTrainOptions({
    dataroot: root, name: 'r', 'checkpoints-dir': ck, backend, seed: 11,
    netG: 'resnet_6blocks', ngf: 4, netD: 'n_layers', 'n-layers-D': 1, ndf: 4,
    'load-size': 18, 'crop-size': 16, 'pool-size': 3, 'n-epochs': 2, 'n-epochs-decay': 1,
    'print-freq': 2, 'display-freq': 5, 'save-latest-freq': 3, 'save-epoch-freq': 1, ...extra,
  });
}

export async function runOnce(root: string, ck: string, backend: string, stopAt?: number, extra: Record<string, unknown> = {}): Promise<TrainResult> {
  const opts = options(root, ck, backend, extra);
  const data = await openTrainData(opts, { log: () => {} });
  const ac = new AbortController();
  return train(opts, data, { ...quiet, signal: ac.signal, onStep: (s) => { if (stopAt !== undefined && s.totalIters >= stopAt) ac.abort(); } });
}

export async function compareRuns(backend: string, nImages: number, stopAt: number, extra: Record<string, unknown> = {}) {
  const root = await tempDir('resume-data');
  await makeRandomDataset(root, { n: nImages, size: 20 });
  const ckA = await tempDir('resume-a'), ckB = await tempDir('resume-b');
  try {
    const full = await runOnce(root, ckA, backend, undefined, extra);
    assert.equal(full.status, 'completed');

    const first = await runOnce(root, ckB, backend, stopAt, extra);
    assert.equal(first.status, 'interrupted');
    assert.equal(first.totalIters, stopAt);
    assert.ok(first.epochIter > 0, 'the stop should fall inside an epoch');
    const second = await runOnce(root, ckB, backend, undefined, { ...extra, continue: true });
    assert.equal(second.status, 'completed');

    assert.equal(second.epoch, full.epoch);
    assert.equal(second.totalIters, full.totalIters);
    assert.equal(second.lr, full.lr);
    const logA = (await readLossLog(runPaths(ckA, 'r'))).map(({ time: _t, ...e }) => e);
    const logB = (await readLossLog(runPaths(ckB, 'r'))).map(({ time: _t, ...e }) => e);
    assert.deepEqual(logB, logA);
    const netsA = await loadNets(runPaths(ckA, 'r'), 'latest');
    const netsB = await loadNets(runPaths(ckB, 'r'), 'latest');
    await prepareSyncReads(); // webgpu: maxParamDiff reads synchronously
    for (const n of NET_NAMES) {
      const d = maxParamDiff(netsA[n]!.params, netsB[n]!.params);
      assert.ok(d <= 1e-6, `${n}: weights differ by ${d}`);
      netsA[n]!.dispose();
      netsB[n]!.dispose();
    }
    return { full, root, ckB };
  } finally {
    await fsp.rm(ckA, { recursive: true, force: true });
    await fsp.rm(ckB, { recursive: true, force: true });
    await fsp.rm(root, { recursive: true, force: true });
  }
}
