// The in-browser training engine (src/web/train/engine.ts) in Node: it is `cyclegan train`'s loop (same losses
// and weights for the same seed and images), and serializing then restoring its state mid-epoch continues
// exactly as an uninterrupted run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { tf } from '../src/core/tf.js';
import { initBackend } from '../src/backends/index.js';
import { TrainEngine, checkEngineOptions, peekRunOptions, pickEngineOptions, type StepResult } from '../src/web/train/engine.js';
import { readSafetensors, writeSafetensors } from '../src/core/weights/safetensors.js';
import { loadFolderData } from './helpers/engine.js';
import { openTrainData } from '../src/train/data_source.js';
import { train } from '../src/train/trainer.js';
import { loadNets, readLossLog, runPaths, NET_NAMES } from '../src/train/run_folder.js';
import { options as trainOptions } from './helpers/resume.js';
import { makeRandomDataset, tempDir, maxParamDiff } from './workflow_util.js';
import { LOSS_NAMES } from '../src/core/model.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
});

async function dataset(n: number, size: number): Promise<string> {
  const root = await tempDir('engine-data');
  dirs.push(root);
  await makeRandomDataset(root, { n, size });
  return root;
}

type Nets = Partial<Record<(typeof NET_NAMES)[number], { params: Map<string, tf.Variable> }>>;
function netsDiff(a: Nets, b: Nets): number {
  return Math.max(...NET_NAMES.map((n) => maxParamDiff(a[n]!.params, b[n]!.params)));
}

for (const backend of ['cpu', 'wasm']) {
  test(`engine (${backend}): N steps in one go equal k steps, serialize, restore, N−k steps`, { timeout: 300_000 }, async () => {
    await initBackend(backend, () => {});
    const root = await dataset(3, 20);
    const data = await loadFolderData(root);
    const opts = pickEngineOptions(trainOptions(root, root, backend, { 'n-epochs': 1, 'n-epochs-decay': 1 }));
    const full = TrainEngine.create(opts, data);
    const fullSteps: StepResult[] = [];
    for (let r = await full.step(); r; r = await full.step()) fullSteps.push(r);
    assert.equal(fullSteps.length, 6);
    assert.equal(full.totalIters, 6);
    assert.ok(full.done);

    // no tensor is left behind by a step (the engine keeps only the newest batch for samples); measured once the
    // image pools (pool_size 3) are full
    const probe = TrainEngine.create(opts, data);
    for (let k = 0; k < 3; k++) await probe.step();
    const live = tf.memory().numTensors;
    await probe.step();
    await probe.samples();
    await probe.step();
    assert.equal(tf.memory().numTensors, live, 'tensors leaked by step/samples');
    probe.dispose();

    // the training page's loop: each step queued before the previous step's losses are read (one step late);
    // the same steps, the same weights, and no tensor left once every read is through
    const before = tf.memory().numTensors;
    const queued = TrainEngine.create(opts, data);
    const reads: Array<Promise<StepResult>> = [];
    for (let p = queued.dispatch(); p; p = queued.dispatch()) {
      assert.equal(p.totalIters, queued.totalIters, 'dispatch has moved the position on already');
      reads.push(p.result);
    }
    assert.deepEqual(await Promise.all(reads), fullSteps, 'steps read late equal steps read at once');
    assert.equal(netsDiff(full.nets, queued.nets), 0);
    queued.dispose();
    assert.equal(tf.memory().numTensors, before, 'loss tensors freed once read (and the engine\'s own on dispose)');

    const first = TrainEngine.create(opts, data);
    const steps: StepResult[] = [];
    for (let k = 0; k < 4; k++) steps.push((await first.step())!); // stops inside epoch 2
    const bytes = await first.serialize({ note: 'kept' });
    first.dispose();
    const { engine: second, extra } = TrainEngine.restore(bytes, data);
    assert.deepEqual(extra, { note: 'kept' });
    assert.equal(second.epoch, 2);
    assert.equal(second.epochIter, 1);
    for (let r = await second.step(); r; r = await second.step()) steps.push(r);
    assert.deepEqual(steps, fullSteps, 'losses, lr and positions of every step');
    const d = netsDiff(full.nets, second.nets);
    assert.equal(d, 0, `weights differ by ${d}`);
    // the state round-trips byte for byte
    const again = await second.serialize({ note: 'kept' });
    const fullBytes = await full.serialize({ note: 'kept' });
    assert.ok(Buffer.from(again).equals(Buffer.from(fullBytes)), 'serialized states equal');
    full.dispose();
    second.dispose();
  });
}

test('engine vs `cyclegan train` (wasm): same seed and images give the same losses and weights', { timeout: 300_000 }, async (t) => {
  await initBackend('wasm', () => {});
  const root = await dataset(3, 20);
  const ck = await tempDir('engine-ck');
  dirs.push(ck);
  const opts = trainOptions(root, ck, 'wasm', { 'n-epochs': 1, 'n-epochs-decay': 1, 'print-freq': 1, 'save-latest-freq': 100 });
  const res = await train(opts, await openTrainData(opts, { log: () => {} }), { log: () => {}, progress: { isTTY: false, write: () => {} } });
  assert.equal(res.status, 'completed');
  const engine = TrainEngine.create(opts, await loadFolderData(root));
  const steps: StepResult[] = [];
  for (let r = await engine.step(); r; r = await engine.step()) steps.push(r);
  const log = await readLossLog(runPaths(ck, 'r'));
  assert.equal(log.length, steps.length);
  let maxLoss = 0;
  steps.forEach((s, i) => {
    assert.equal(s.totalIters, log[i].totalIters);
    assert.equal(s.lr, log[i].lr);
    for (const n of LOSS_NAMES) maxLoss = Math.max(maxLoss, Math.abs(s.losses[n] - log[i].losses[n]) / Math.max(1e-3, Math.abs(log[i].losses[n])));
  });
  assert.ok(maxLoss <= 1e-6, `losses differ by ${maxLoss} (relative)`);
  const nets = await loadNets(runPaths(ck, 'r'), 'latest');
  const d = netsDiff(engine.nets, nets);
  t.diagnostic(`engine vs cyclegan train, ${steps.length} steps: losses within ${maxLoss} (relative), weights of all four nets within ${d}`);
  assert.ok(d <= 1e-6, `weights differ from the Node trainer's by ${d}`);
  for (const n of NET_NAMES) nets[n]!.dispose();
  engine.dispose();
});

test("the engine refuses what `cyclegan train` refuses (its checks, naming the flag), also from a stored state's options", async () => {
  const ok = pickEngineOptions(trainOptions('/unused', '/unused', 'cpu'));
  checkEngineOptions(ok); // the options `cyclegan train` accepts pass
  for (const [change, re] of [
    [{ ngf: 1e6 }, /--ngf/], // past the memory bound (the form had no such limit before)
    [{ cropSize: 15 }, /--crop-size must be a multiple of 4/],
    [{ netD: 'n_layers', nLayersD: 5, cropSize: 16, loadSize: 18 }, /--crop-size 16 is too small for a 5-layer discriminator/],
    [{ lambdaIdentity: 0.5, inputNc: 1, outputNc: 3 }, /--lambda-identity needs --input-nc equal to --output-nc/],
    [{ preprocess: 'sideways' }, /--preprocess must be one of/],
    [{ nEpochs: 0, nEpochsDecay: 0 }, /--n-epochs plus --n-epochs-decay must be at least 1/],
  ] as const) {
    assert.throws(() => checkEngineOptions({ ...ok, ...change } as typeof ok), re, JSON.stringify(change));
  }
});

test("a saved run's options are checked before the worker sizes images by them (peekRunOptions), as restore checks them", async () => {
  await initBackend('cpu', () => {});
  const root = await dataset(3, 20);
  const engine = TrainEngine.create(pickEngineOptions(trainOptions(root, root, 'cpu')), await loadFolderData(root));
  const saved = readSafetensors(await engine.serialize(), 'saved');
  engine.dispose();
  const [key] = Object.keys(saved.metadata);
  const json = JSON.parse(saved.metadata[key]) as { options: Record<string, unknown> };
  const tampered = (change: Record<string, unknown>) =>
    writeSafetensors(saved.tensors, { [key]: JSON.stringify({ ...json, options: { ...json.options, ...change } }) });
  assert.equal(peekRunOptions(tampered({}), 'run.safetensors').loadSize, json.options.loadSize);
  // a load size past the bound would have every image upscaled to it before anything refused it
  assert.throws(() => peekRunOptions(tampered({ loadSize: 100_000 }), 'run.safetensors'), /--load-size must be between 1 and 4096/);
  assert.throws(() => TrainEngine.restore(tampered({ loadSize: 100_000 }), { A: [], B: [] }, 'run.safetensors'), /--load-size/);
});
