#!/usr/bin/env node
// Host cost of one CycleGAN training step on the webgpu backend: how many GPU dispatches it encodes, how
// long the host takes to encode it (model.step() returns without waiting for the device), and the whole
// step (encode + device + the loss read). A tiny network on lavapipe is enough for the dispatch count and a
// fair view of the host time, which does not depend on the image size (say so when quoting it).
//   node scripts/step-host.mjs [SIZE=32] [NGF=4] [NBLOCKS=9] [STEPS=10] [WARMUP=3]
// Prints a per-kernel-name count of dispatches on stderr and one JSON line on stdout. Needs `npm run build`
// and a WebGPU adapter (lavapipe 25 without a GPU).
import { mkdirSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** CPU time of this (the main) thread in ms: unlike wall time, it does not count waiting for other processes. */
const threadCpuMs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;

const [size = 32, ngf = 4, nBlocks = 9, steps = 10, warmup = 3] = process.argv.slice(2, 7).map(Number);
if (!process.env.MESA_SHADER_CACHE_DIR) {
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '.cache', 'mesa-shaders');
  mkdirSync(dir, { recursive: true });
  process.env.MESA_SHADER_CACHE_DIR = dir;
}
const { tf } = await import('../dist/src/core/tf.js');
const { initBackend } = await import('../dist/src/backends/index.js');
const { CycleGANModel, defaultCycleGANOptions, disposeLosses, readLosses } = await import('../dist/src/core/model.js');

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
// Host time inside the runner's record step (uniforms, bind group, pass commands, submits), per step.
let recordMs = 0;
const record = be.recordAndSubmit.bind(be);
be.recordAndSubmit = (...a) => { const t = performance.now(); try { return record(...a); } finally { recordMs += performance.now() - t; } };
let kernels = 0;
const runKernel = tf.engine().runKernel.bind(tf.engine());
tf.engine().runKernel = (...a) => { kernels++; return runKernel(...a); };

const fixed = (seed) => tf.tidy(() => tf.randomUniform([1, size, size, 3], -1, 1, 'float32', seed));
const A = fixed(1), B = fixed(2);
const model = CycleGANModel.create({ ...defaultCycleGANOptions(), ngf, ndf: ngf,
  netG: nBlocks === 6 ? 'resnet_6blocks' : 'resnet_9blocks' });
for (let i = 0; i < warmup; i++) { const l = model.step(A, B); await readLosses(l); disposeLosses(l); }
counts.clear();
dispatches = 0;
kernels = 0;
let encode = 0;
let best = Infinity;
let bestRecord = Infinity;
let cpu = Infinity;
const r0 = { ...(be.cgRunner ?? {}) };
const t0 = performance.now();
for (let i = 0; i < steps; i++) {
  const e0 = performance.now();
  const c0 = threadCpuMs();
  const rec0 = recordMs;
  const l = model.step(A, B);
  const e = performance.now() - e0;
  cpu = Math.min(cpu, threadCpuMs() - c0);
  encode += e;
  best = Math.min(best, e);
  bestRecord = Math.min(bestRecord, recordMs - rec0);
  await readLosses(l);
  disposeLosses(l);
}
const whole = (performance.now() - t0) / steps;
for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1])) console.error(`  ${String(n / steps).padStart(7)}  ${k}`);
const r2 = (x) => Math.round(x * 100) / 100;
console.log(JSON.stringify({ backend, size, ngf, n_blocks: nBlocks, steps, dispatches_per_step: dispatches / steps,
  engine_kernels_per_step: kernels / steps, host_encode_ms: r2(encode / steps), host_encode_min_ms: r2(best), encode_thread_cpu_min_ms: r2(cpu), record_wall_min_ms: r2(bestRecord), step_ms: r2(whole),
  tensors: tf.memory().numTensors, gpu_allocated_mb: r2((tf.memory().numBytesAllocatedInGPU ?? 0) / 2 ** 20),
  ...(be.cgRunner ? { runner: 'cyclegan', submits_per_step: (be.cgRunner.submits - r0.submits) / steps,
    bind_groups_created_per_step: (be.cgRunner.bindGroupsCreated - r0.bindGroupsCreated) / steps, batch: be.cgRunner.batch }
    : { runner: 'stock' }) }));
model.dispose();
tf.dispose([A, B]);
