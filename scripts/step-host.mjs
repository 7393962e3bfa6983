#!/usr/bin/env node
// Host cost of the webgpu backend's work: how many GPU dispatches one CycleGAN training step and one
// generator forward (inference: Network.apply as `fwd`; `fwd_replay` as bench's g_fwd runs it) encode, and how
// long the host takes to encode them (model.step() and G.apply() return without waiting for the device), plus
// the whole step (encode + device + the loss read). A tiny network on lavapipe is enough for the dispatch counts
// and a fair view of the host time, which does not depend on the image size (say so when quoting it: it is host
// time, not a GPU figure).
//   node --expose-gc scripts/step-host.mjs [SIZE=32] [NGF=4] [NBLOCKS=9] [STEPS=10] [WARMUP=3]
// (with --expose-gc each timed call starts after a full collection: steadier figures). CYCLEGAN_WEBGPU_BATCH=100000
// submits only at the read, so that lavapipe does not run the work on the same 2 cores while it is encoded.
// Prints a per-kernel-name count of dispatches on stderr and one JSON line on stdout. The step's phases replay
// on webgpu unless CYCLEGAN_WEBGPU_STEP_REPLAY=0 (step_replayed_dispatches: what each phase replays). Needs
// `npm run build` and a WebGPU adapter (lavapipe 25 without a GPU).
// STEP_HOST_PROFILE=file.cpuprofile writes a V8 CPU profile of the timed steps and forwards only (not the
// warm-up's shader compiles); STEP_HOST_ONLY=step|fwd times one of the two; STEP_HOST_SPLIT=1 adds where the
// encode time goes (inside tfjs-webgpu's runWebGPUProgram, our record step, the Dawn calls, the submits), per
// dispatch (the wrappers that measure it add their own small cost).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Session } from 'node:inspector/promises';

/**
 * CPU time of this (the main) thread in ms: unlike wall time, it does not count waiting for other processes or
 * for lavapipe's threads, which run the submitted work on the same cores meanwhile.
 */
const threadCpuMs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;

const [size = 32, ngf = 4, nBlocks = 9, steps = 10, warmup = 3] = process.argv.slice(2, 7).map(Number);
const only = process.env.STEP_HOST_ONLY ?? '';
if (!process.env.MESA_SHADER_CACHE_DIR) {
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '.cache', 'mesa-shaders');
  mkdirSync(dir, { recursive: true });
  process.env.MESA_SHADER_CACHE_DIR = dir;
}
const { tf } = await import('../dist/src/core/tf.js');
const { initBackend } = await import('../dist/src/backends/index.js');
const { CycleGANModel, defaultCycleGANOptions, disposeLosses, readLosses } = await import('../dist/src/core/model.js');
const { createNetwork, inferenceForward } = await import('../dist/src/core/networks/index.js');
const { stepReplayDispatches } = await import('../dist/src/backends/webgpu/replay.js');

const backend = await initBackend('webgpu');
const be = tf.backend();
const counts = new Map();
let dispatches = 0;
const run = be.runWebGPUProgram.bind(be);
be.runWebGPUProgram = (program, ...rest) => {
  dispatches++;
  const name = (program.shaderKey ?? program.constructor?.name ?? '?').split(/[_\s]/)[0] || program.constructor?.name;
  counts.set(name, (counts.get(name) ?? 0) + 1);
  return run(program, ...rest);
};
// Host time inside the runner's record step (uniforms, bind group, pass commands, submits).
let recordMs = 0;
const record = be.recordAndSubmit.bind(be);
be.recordAndSubmit = (...a) => { const t = performance.now(); try { return record(...a); } finally { recordMs += performance.now() - t; } };
// STEP_HOST_SPLIT: wall time inside wrapped functions while encoding (nested ones counted in each).
const split = new Map();
let encoding = false;
const wrapTimed = (obj, name, label) => {
  const f = obj[name];
  if (typeof f !== 'function') return;
  obj[name] = function (...a) {
    const t = performance.now();
    try { return f.apply(this, a); } finally {
      if (encoding) {
        const e = split.get(label) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t;
        e.calls++;
        split.set(label, e);
      }
    }
  };
};
if (process.env.STEP_HOST_SPLIT === '1') {
  wrapTimed(be, 'runWebGPUProgram', 'runWebGPUProgram (all)');
  wrapTimed(be, 'recordAndSubmit', 'recordAndSubmit (ours, incl. Dawn and submits)');
  wrapTimed(be, 'submitQueue', 'submitQueue (incl. the ring write)');
  wrapTimed(be, 'uploadToGPU', 'uploadToGPU');
  wrapTimed(be, 'makeTensorInfo', 'makeTensorInfo');
  wrapTimed(be, 'disposeData', 'disposeData');
  const g = globalThis;
  for (const m of ['setPipeline', 'setBindGroup', 'dispatchWorkgroups', 'end']) {
    wrapTimed(g.GPUComputePassEncoder.prototype, m, `Dawn pass.${m}`);
  }
  for (const m of ['beginComputePass', 'finish', 'copyBufferToBuffer']) wrapTimed(g.GPUCommandEncoder.prototype, m, `Dawn encoder.${m}`);
  for (const m of ['submit', 'writeBuffer']) wrapTimed(g.GPUQueue.prototype, m, `Dawn queue.${m}`);
  for (const m of ['createBindGroup', 'createBuffer', 'createCommandEncoder']) wrapTimed(g.GPUDevice.prototype, m, `Dawn device.${m}`);
}
let kernels = 0;
const runKernel = tf.engine().runKernel.bind(tf.engine());
tf.engine().runKernel = (...a) => { kernels++; return runKernel(...a); };

let session;
const profile = process.env.STEP_HOST_PROFILE;
async function startProfile() {
  if (!profile || session) return;
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
}

const r2 = (x) => Math.round(x * 100) / 100;
const printCounts = (title, n) => {
  console.error(title);
  for (const [k, c] of [...counts].sort((a, b) => b[1] - a[1])) console.error(`  ${String(c / n).padStart(7)}  ${k}`);
};

const fixed = (seed) => tf.tidy(() => tf.randomUniform([1, size, size, 3], -1, 1, 'float32', seed));
const A = fixed(1), B = fixed(2);
const result = { backend, size, ngf, n_blocks: nBlocks, steps };

/** Times `n` calls of `encode` (returns what to wait for and dispose): encode wall/CPU, record, dispatches. */
async function measure(n, encode, settle) {
  counts.clear();
  split.clear();
  dispatches = 0;
  kernels = 0;
  const r0 = { ...(be.cgRunner ?? {}) };
  let encodeMs = 0, best = Infinity, bestRecord = Infinity, cpu = 0;
  await startProfile();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const rec0 = recordMs;
    // A full collection first (node --expose-gc): the reads in between allocate a lot (Dawn's polling), and the
    // encode should pay only for the garbage it makes itself.
    globalThis.gc?.();
    const e0 = performance.now();
    const c0 = threadCpuMs();
    encoding = true;
    const out = encode();
    encoding = false;
    const e = performance.now() - e0;
    cpu += threadCpuMs() - c0;
    encodeMs += e;
    best = Math.min(best, e);
    bestRecord = Math.min(bestRecord, recordMs - rec0);
    await settle(out);
  }
  const whole = (performance.now() - t0) / n;
  // The runner's count (installed: every fast-path dispatch and the replayed ones, which do not go through
  // runWebGPUProgram), else the calls counted above.
  const ran = be.cgRunner ? be.cgRunner.dispatches - r0.dispatches : dispatches;
  const perDispatchUs = (ms) => r2(ms * 1000 / ran);
  return {
    ...(split.size ? { split_us_per_dispatch_and_calls: Object.fromEntries([...split].map(([k, v]) => [k, [perDispatchUs(v.ms), v.calls / n]])) } : {}),
    dispatches: ran / n, engine_kernels: kernels / n, host_encode_ms: r2(encodeMs / n), host_encode_min_ms: r2(best),
    // The thread's CPU clock advances in scheduler ticks: its mean over many calls is the figure to quote.
    encode_thread_cpu_ms: r2(cpu / n), thread_cpu_us_per_dispatch: perDispatchUs(cpu), record_wall_min_ms: r2(bestRecord), whole_ms: r2(whole),
    ...(be.cgRunner ? { submits: (be.cgRunner.submits - r0.submits) / n,
      bind_groups_created: (be.cgRunner.bindGroupsCreated - r0.bindGroupsCreated) / n,
      key_hits: ((be.cgRunner.keyHits ?? 0) - (r0.keyHits ?? 0)) / n } : {}),
  };
}

const netG = nBlocks === 6 ? 'resnet_6blocks' : 'resnet_9blocks';
if (only !== 'fwd') {
  const model = CycleGANModel.create({ ...defaultCycleGANOptions(), ngf, ndf: ngf, netG });
  const settle = async (l) => { await readLosses(l); disposeLosses(l); };
  for (let i = 0; i < warmup; i++) await settle(model.step(A, B));
  const m = await measure(steps, () => model.step(A, B), settle);
  printCounts('dispatches per training step by shader key prefix (not counting replayed ones):', steps);
  result.step = m;
  // The step's phases replayed on webgpu (captured at the 2nd step, replayed from the 3rd; src/core/phases.ts,
  // src/backends/webgpu/replay.ts): the dispatches each records. CYCLEGAN_WEBGPU_STEP_REPLAY=0 runs them eagerly.
  result.step_replayed_dispatches = stepReplayDispatches(model);
  model.dispose();
}
if (only !== 'step') {
  // As bench.ts's g_fwd: one generator, inference (no trace), the output read back.
  const G = createNetwork({ role: 'generator', netG, inputNc: 3, outputNc: 3, ngf, norm: 'instance', useDropout: false },
    { type: 'normal', gain: 0.02, seed: 0 });
  const settle = async (y) => { await y.data(); y.dispose(); };
  for (let i = 0; i < warmup; i++) await settle(tf.tidy(() => G.apply(A)));
  const m = await measure(steps, () => tf.tidy(() => G.apply(A)), settle);
  printCounts('dispatches per generator forward by shader key prefix:', steps);
  result.fwd = m;
  // The same forward as test / translate / bench's g_fwd run it (inferenceForward): on webgpu captured at its
  // second call and replayed after (src/backends/webgpu/replay.ts; its dispatches counted by the runner only, no
  // per-kernel counts).
  // CYCLEGAN_WEBGPU_REPLAY=0 runs it as fwd.
  for (let i = 0; i < Math.max(warmup, 2); i++) await settle(tf.tidy(() => inferenceForward(G, A)));
  result.fwd_replay = await measure(steps, () => tf.tidy(() => inferenceForward(G, A)), settle);
  G.dispose();
}
if (session) {
  const { profile: p } = await session.post('Profiler.stop');
  writeFileSync(profile, JSON.stringify(p));
  session.disconnect();
}
result.tensors = tf.memory().numTensors;
result.gpu_allocated_mb = r2((tf.memory().numBytesAllocatedInGPU ?? 0) / 2 ** 20);
result.runner = be.cgRunner ? 'cyclegan' : 'stock';
if (be.cgRunner) result.batch = be.cgRunner.batch;
console.log(JSON.stringify(result));
tf.dispose([A, B]);
