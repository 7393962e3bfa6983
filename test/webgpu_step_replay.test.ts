// The captured, replayed training step on webgpu (src/core/phases.ts, src/backends/webgpu/replay.ts): steps
// with replay and without give bit-identical losses, weights, Adam moments and steps, pool images and RNG state,
// past the pools' filling (poolSize 2: both of the pool's branches run), with a learning-rate change between
// steps, a resume (setTrainingState) and a parameter assign between steps (both make the plans stale: captured
// again), the first step's and a replayed step's losses held across later replays unchanged, weights read
// between steps not served stale (read again after replayed steps); two replays back to back with no submit
// between (the uniforms' rewrite waits for the previous replay); a parameter's clone not written over by a
// replay; a new convolution tuning between steps (run
// normally, then captured again); identity weight 0 and a U-Net generator replay; a U-Net with dropout in
// training never does; no GPU memory growth over replayed steps. Tiny networks on lavapipe (ngf 4, 32 px;
// unet_128 at 128 px, ngf 2).
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { CycleGANModel, defaultCycleGANOptions, disposeLosses, LOSS_NAMES, readLosses, type CycleGANOptions,
  type LossTensors, type TrainingState } from '../src/core/model.js';
import { setStepReplayEnabled, stepReplayStatus } from '../src/backends/webgpu/replay.js';
import { setConvTuning } from '../src/backends/webgpu/conv_gemm.js';
import { webgpuSkipReason } from './helpers/webgpu.js';
import { rand } from './helpers/random.js';

const skip = await webgpuSkipReason();

/** Runs before a step; `note` records values read there (compared as the losses are). */
type Hook = (model: CycleGANModel, note: (values: number[]) => void) => Promise<void> | void;

/** How a run goes besides its hooks. */
type Run = {
  size?: number;
  /** Steps whose losses stay unread until the end (no read between them and the next step); default 0 and 2. */
  held?: number[];
  /** Steps per submit of the webgpu runner during the run (a large batch: nothing submits but reads). */
  batch?: number;
};

const options = (o: Partial<CycleGANOptions>): CycleGANOptions =>
  ({ ...defaultCycleGANOptions(), ngf: 4, ndf: 4, netG: 'resnet_6blocks', poolSize: 2, seed: 5, ...o });

const image = (size: number, seed: number) => tf.tensor4d(rand(size * size * 3, seed), [1, size, size, 3]);

/** Everything a step changes, read back: weights, optimizer and pool state, RNG. */
async function snapshot(model: CycleGANModel): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [n, net] of Object.entries(model.nets)) {
    for (const [k, v] of net.params) out[`${n}.${k}`] = Array.from(await v.data() as Float32Array);
  }
  const state = await model.getTrainingStateAsync();
  for (const [k, t] of state.tensors) out[k] = Array.from(t.data);
  out.json = state.json;
  return out;
}

type Result = { losses: number[][]; reads: number[][]; state: Record<string, unknown>; status: Record<string, string> };

/**
 * `steps` training steps of a new model on images that change per step; `hooks[i]` runs before step i. The
 * held steps' losses (run.held) are kept until the end and read then, the others right after their step.
 * Returns the losses, the values the hooks noted, the final state and replay's status for the model's phases.
 */
async function train(o: Partial<CycleGANOptions>, replay: boolean, steps: number, hooks: Record<number, Hook> = {},
                     run: Run = {}): Promise<Result> {
  const { size = 32, held = [0, 2] } = run;
  await tf.setBackend('webgpu');
  const runner = (tf.backend() as unknown as { cgRunner: { batch: number } }).cgRunner;
  const batch = runner.batch;
  if (run.batch) runner.batch = run.batch;
  setStepReplayEnabled(replay);
  const model = CycleGANModel.create(options(o));
  const losses: number[][] = [];
  const reads: number[][] = [];
  const kept = new Map<number, LossTensors>();
  try {
    for (let i = 0; i < steps; i++) {
      await hooks[i]?.(model, (v) => reads.push(v));
      const a = image(size, 100 + i), b = image(size, 200 + i);
      const l = model.step(a, b);
      tf.dispose([a, b]);
      if (held.includes(i)) kept.set(i, l);
      else {
        const v = await readLosses(l);
        losses[i] = LOSS_NAMES.map((n) => v[n]);
        disposeLosses(l);
      }
    }
    // The held steps' losses, kept while every later step ran (replays write the plans' outputs again).
    for (const [i, l] of kept) {
      const v = await readLosses(l);
      losses[i] = LOSS_NAMES.map((n) => v[n]);
    }
    return { losses, reads, state: await snapshot(model), status: stepReplayStatus(model) };
  } finally {
    for (const l of kept.values()) disposeLosses(l);
    model.dispose();
    setStepReplayEnabled(true);
    runner.batch = batch;
  }
}

/** Asserts bit-identical results of a run without replay (`want`) and one with (`got`); returns got's phase status. */
function compare(want: Result, got: Result) {
  assert.deepEqual(want.status, {}, 'replay off: no phase state');
  assert.deepEqual(got.losses, want.losses, 'losses');
  assert.deepEqual(got.reads, want.reads, 'values read between steps');
  for (const k of Object.keys(want.state)) assert.deepEqual(got.state[k], want.state[k], k);
  assert.deepEqual(Object.keys(got.state).sort(), Object.keys(want.state).sort());
  return got.status;
}

/** Runs both ways and asserts bit-identical results; returns the replaying run's phase status. */
async function same(o: Partial<CycleGANOptions>, steps: number, hooks: Record<number, Hook> = {}, run: Run = {}) {
  const want = await train(o, false, steps, hooks, run);
  return compare(want, await train(o, true, steps, hooks, run));
}

/** The first parameter of G_A and of D_B, read (tfjs-webgpu then keeps a CPU copy of each). */
async function readWeights(m: CycleGANModel): Promise<number[]> {
  return [...await m.nets.G_A.params.values().next().value!.data() as Float32Array,
    ...await m.nets.D_B.params.values().next().value!.data() as Float32Array];
}

const phaseKeys = (size: number) => {
  const img = `1x${size}x${size}x3`;
  return { G: `G ${img} ${img}`, D: `D ${img} ${img} ${img} ${img}` };
};

test('replayed training steps equal eager ones bit for bit: pools filled, lr changed, weights read, resumed, a parameter assigned', { skip }, async () => {
  let saved: TrainingState | null = null;
  const hooks: Record<number, Hook> = {
    // (steps from 0: 0 warms up, 1 captures, 2 and 3 replay; 2's losses held to the end)
    2: (m) => m.setLearningRate(1.5e-4),
    // weights read between steps: a replay's in-place update must not leave tfjs-webgpu's CPU copy stale
    3: async (m, note) => {
      note(await readWeights(m));
      saved = await m.getTrainingStateAsync();
    },
    // read again after step 3's replay (served from a stale CPU copy, they would equal the ones read at 3);
    // then a resume assigns the moments: both plans stale, captured again at 4
    4: async (m, note) => {
      note(await readWeights(m));
      m.setTrainingState(saved!);
    },
    // G's plan stale again (captured at 5, replayed at 6 and 7); D's replayed at 5, 6 and 7
    5: (m) => {
      const [name, w] = [...m.nets.G_B.params][0];
      const halved = tf.tidy(() => tf.mul(w, 0.5));
      m.nets.G_B.params.get(name)!.assign(halved);
      halved.dispose();
    },
  };
  const status = await same({}, 8, hooks);
  const k = phaseKeys(32);
  assert.deepEqual(status, { [k.G]: 'replaying (2)', [k.D]: 'replaying (3)' });
});

test('replayed steps with lambda_identity 0 and a U-Net generator; a U-Net with dropout is never replayed', { skip }, async () => {
  const k32 = phaseKeys(32);
  assert.deepEqual(await same({ lambdaIdentity: 0 }, 3), { [k32.G]: 'replaying (1)', [k32.D]: 'replaying (1)' });
  const k = phaseKeys(128);
  assert.deepEqual(await same({ netG: 'unet_128', ngf: 2, ndf: 2 }, 3, {}, { size: 128 }), { [k.G]: 'replaying (1)', [k.D]: 'replaying (1)' });
  // With dropout in training the masks come from the host RNG per pass: the phases run every time (a
  // replayable phase would be captured at the second step).
  const r = await train({ netG: 'unet_128', ngf: 2, ndf: 2, noDropout: false }, true, 2, {}, { size: 128 });
  assert.deepEqual(r.status, {});
});

// A replay rewrites its Adam uniforms (learning rate, step) with a queue write, which runs before any command
// submitted after it: the previous replay's commands must be submitted first. With the runner's batch too
// large to submit on its own and no read between steps 2 and 3 (both replays, the learning rate changed
// between), only replay.ts's own submit keeps step 2 on its learning rate.
test('two replayed steps back to back, no submit between, the learning rate changed: equal eager ones', { skip }, async () => {
  const k = phaseKeys(32);
  const status = await same({}, 4, { 3: (m) => m.setLearningRate(1e-3) }, { held: [2, 3], batch: 1 << 30 });
  assert.deepEqual(status, { [k.G]: 'replaying (2)', [k.D]: 'replaying (2)' });
});

// A clone of a parameter shares its data: the eager Adam then assigns the parameter a new buffer rather than
// write over the clone's values, so a plan must not replay then (its reference count changed: stale, and the
// capture sees the buffer replaced: the phases run normally from then on). The clones' values are compared.
test('a parameter cloned between steps keeps its values: the phases are not replayed over it', { skip }, async () => {
  let clones: tf.Tensor[] = [];
  const hooks: Record<number, Hook> = {
    3: (m) => { clones = [m.nets.G_A.params.values().next().value!.clone(), m.nets.D_B.params.values().next().value!.clone()]; },
    4: async (_m, note) => {
      for (const c of clones) note([...await c.data() as Float32Array]);
      tf.dispose(clones);
    },
  };
  const k = phaseKeys(32);
  const failed = 'failed: a long-lived tensor was replaced';
  assert.deepEqual(await same({}, 5, hooks), { [k.G]: failed, [k.D]: failed });
});

// A new convolution tuning makes the plans stale; its pipelines are compiled by the next step, run normally
// (captured then, the compile would abort the capture and leave the phases eager for good), the step after
// captures again and the one after replays. The replaying run goes first, so that it is the one compiling.
test('a convolution tuning set between steps: run normally, captured again, replayed', { skip }, async () => {
  const hooks: Record<number, Hook> = { 2: () => setConvTuning({ winograd: true }) };
  try {
    const got = await train({}, true, 5, hooks);
    setConvTuning(null);
    const want = await train({}, false, 5, hooks);
    const k = phaseKeys(32);
    assert.deepEqual(compare(want, got), { [k.G]: 'replaying (1)', [k.D]: 'replaying (1)' });
  } finally {
    setConvTuning(null);
  }
});

test('replayed steps: no GPU memory growth; dispose frees the plans', { skip }, async () => {
  await tf.setBackend('webgpu');
  setStepReplayEnabled(true);
  const before = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
  const model = CycleGANModel.create(options({}));
  const a = image(32, 1), b = image(32, 2);
  const step = async () => {
    const l = model.step(a, b);
    await readLosses(l);
    disposeLosses(l);
  };
  for (let i = 0; i < 4; i++) await step();
  const mid = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
  for (let i = 0; i < 6; i++) await step();
  const after = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
  const k = phaseKeys(32);
  assert.deepEqual(stepReplayStatus(model), { [k.G]: 'replaying (8)', [k.D]: 'replaying (8)' });
  assert.equal(after.numTensors, mid.numTensors, 'tensors');
  assert.equal(after.numBytesInGPU, mid.numBytesInGPU, 'GPU bytes in use');
  model.dispose();
  tf.dispose([a, b]);
  const end = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
  assert.equal(end.numTensors, before.numTensors, 'tensors after dispose');
  assert.equal(end.numBytesInGPU, before.numBytesInGPU, 'GPU bytes in use after dispose');
});
