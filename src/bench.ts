// Timing probe matching ../shared/reference/torch_cyclegan_bench.py: one ResNet generator forward
// (inference), one generator forward+backward under an L1 loss, and one full CycleGAN training step
// (both generators, both 70×70 PatchGANs, identity loss, batch 1, image pool on), plus peak RSS.
import { tf } from './core/tf.js';
import { CycleGANError } from './core/errors.js';
import { initBackend } from './backends/index.js';
import { createNetwork, inferenceForward } from './core/networks/index.js';
import { CycleGANModel, defaultCycleGANOptions, disposeLosses, runQueuedSteps, type LossTensors } from './core/model.js';
import { l1Loss, l1LossGrad } from './core/losses.js';
import { backward, forwardTrace } from './core/networks/backward.js';

export interface BenchOptions {
  size: number;
  ngf: number;
  nBlocks: number;
  iters: number;
  warmup: number;
  backend?: string;
  /** Skip the full training step (inference-sized configurations). */
  skipIter?: boolean;
  log?: (line: string) => void;
}

export interface BenchResult {
  backend: string;
  size: number;
  ngf: number;
  n_blocks: number;
  iters: number;
  threads: number | null;
  /** One generator inference forward, as users get it (on webgpu: the replayed forward, see runBench). */
  g_fwd_ms: number;
  g_fwd_bwd_ms: number;
  iter_ms: number | null;
  peak_rss_mb: number;
  /**
   * webgpu only: tfjs-webgpu's numBytesAllocatedInGPU at the end of the run, i.e. every GPU buffer its pool
   * has held (live tensors + pooled free buffers; the pool never shrinks): an upper bound of the live peak.
   */
  peak_gpu_mb?: number;
  /** webgpu only: the adapter it ran on. */
  adapter?: string;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Mean milliseconds per call of `fn` over `iters` calls after `warmup` untimed ones. `fn` returns a tensor
 * that the timing waits for after the last call (and then disposes): on a GPU the calls only queue work,
 * so the clock stops when the device has finished; on the CPU backends the read returns at once.
 */
async function timeIt(fn: () => tf.Tensor, iters: number, warmup: number): Promise<number> {
  const drain = async (t: tf.Tensor) => { await t.data(); t.dispose(); };
  for (let i = 0; i < warmup; i++) {
    const t = fn();
    if (i === warmup - 1) await drain(t); else t.dispose();
  }
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) {
    const t = fn();
    if (i === iters - 1) await drain(t); else t.dispose();
  }
  return (performance.now() - t0) / iters;
}

/** Uniform [-1, 1) image batch from a fixed LCG, so runs compare like for like. */
function fixedImage(size: number, seed: number): tf.Tensor4D {
  const data = new Float32Array(size * size * 3);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 2 - 1;
  }
  return tf.tensor4d(data, [1, size, size, 3]);
}

/**
 * With CYCLEGAN_BENCH_PROFILE=1, times every kernel call on the active backend and prints the heaviest
 * kernels to stderr at the end: the quickest way to see what still runs on a slow path.
 */
function profileKernels(backend: string): () => void {
  const stats = new Map<string, { n: number; ms: number }>();
  const restore: Array<() => void> = [];
  for (const c of tf.getKernelsForBackend(backend)) {
    const orig = c.kernelFunc;
    const cfg = c as { kernelFunc: tf.KernelFunc };
    cfg.kernelFunc = ((args: Parameters<tf.KernelFunc>[0]) => {
      const t0 = performance.now();
      try {
        return orig(args);
      } finally {
        const s = stats.get(c.kernelName) ?? { n: 0, ms: 0 };
        s.n++;
        s.ms += performance.now() - t0;
        stats.set(c.kernelName, s);
      }
    }) as tf.KernelFunc;
    restore.push(() => { cfg.kernelFunc = orig; });
  }
  return () => {
    for (const r of restore) r();
    const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
    for (const [k, s] of rows) console.error(`  ${k.padEnd(24)} ${String(s.n).padStart(6)} calls ${s.ms.toFixed(1).padStart(10)} ms`);
  };
}

/** Per-kernel GPU time of one training step (tf.profile; webgpu measures each dispatch with timestamp queries). */
async function gpuProfileStep(step: () => LossTensors): Promise<void> {
  const info = await tf.profile(async () => {
    const losses = step();
    await losses.D_B.data();
    disposeLosses(losses);
  });
  const stats = new Map<string, { n: number; ms: number }>();
  for (const k of info.kernels) {
    const ms = await (k as unknown as { kernelTimeMs: number | Promise<number | { error: string }> }).kernelTimeMs;
    const key = `${k.name} ${(k.inputShapes ?? []).map((s) => `[${s}]`).join('')}`;
    const e = stats.get(key) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += typeof ms === 'number' ? ms : 0;
    stats.set(key, e);
  }
  const total = [...stats.values()].reduce((a, b) => a + b.ms, 0);
  console.error(`GPU time of one training step by kernel and input shapes (timestamp queries), total ${total.toFixed(1)} ms:`);
  for (const [k, e] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) {
    console.error(`  ${e.ms.toFixed(2).padStart(10)} ms ${String(e.n).padStart(4)}×  ${k}`);
  }
}

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  for (const [k, v] of [['size', o.size], ['ngf', o.ngf], ['iters', o.iters]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new CycleGANError(`--${k} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(o.warmup) || o.warmup < 0) throw new CycleGANError(`--warmup must be a whole number, got ${o.warmup}`);
  if (o.nBlocks !== 6 && o.nBlocks !== 9) throw new CycleGANError(`--n-blocks must be 6 or 9 (resnet_6blocks / resnet_9blocks), got ${o.nBlocks}`);
  if (o.size % 4 !== 0) throw new CycleGANError(`--size must be a multiple of 4 for the ResNet generator, got ${o.size}`);
  const backend = await initBackend(o.backend ?? 'auto', o.log);
  const profile = process.env.CYCLEGAN_BENCH_PROFILE === '1';
  // On webgpu the kernel functions only encode work: its profile is one extra training step timed on the
  // GPU with timestamp queries (gpuProfileStep), not host-side kernel time.
  const stopProfile = profile && backend !== 'webgpu' ? profileKernels(backend) : null;
  const netG = o.nBlocks === 9 ? 'resnet_9blocks' : 'resnet_6blocks';
  const A = fixedImage(o.size, 1);
  const B = fixedImage(o.size, 2);

  const G = createNetwork({ role: 'generator', netG, inputNc: 3, outputNc: 3, ngf: o.ngf, norm: 'instance',
    useDropout: false }, { type: 'normal', gain: 0.02, seed: 0 });
  // Inference as test / translate / eval run it (inferenceForward): on webgpu the forward is captured at the
  // second call (a warm-up one when --warmup >= 2) and replayed from then on (src/backends/webgpu/replay.ts).
  const gFwd = await timeIt(() => tf.tidy(() => inferenceForward(G, A)), o.iters, o.warmup);
  // Forward and backward as the training step runs them (our reverse pass, src/core/networks/backward.ts).
  const gFwdBwd = await timeIt(() => {
    const { y, trace } = forwardTrace(G, A, { training: true });
    const loss = l1Loss(y, B);
    const dy = l1LossGrad(y, B) as tf.Tensor4D;
    y.dispose();
    const grads = new Map<string, tf.Tensor>();
    backward(trace, dy, { grads, needDx: false });
    loss.dispose();
    // The first layer's gradients are the last ones the backward pass computes: waiting for one waits for all.
    const last = [...grads.values()].pop()!;
    tf.dispose([...grads.values()].filter((g) => g !== last));
    return last;
  }, o.iters, o.warmup);
  G.dispose();

  let iter: number | null = null;
  if (!o.skipIter) {
    const model = CycleGANModel.create({ ...defaultCycleGANOptions(), ngf: o.ngf, netG });
    await runQueuedSteps(model, A, B, o.warmup);
    const t0 = performance.now();
    await runQueuedSteps(model, A, B, o.iters);
    iter = (performance.now() - t0) / o.iters;
    if (profile && backend === 'webgpu') await gpuProfileStep(() => model.step(A, B));
    model.dispose();
  }
  A.dispose();
  B.dispose();
  stopProfile?.();

  let gpu: Pick<BenchResult, 'peak_gpu_mb' | 'adapter'> = {};
  if (backend === 'webgpu') {
    const { webgpuAdapter } = await import('./backends/index.js');
    const bytes = (tf.memory() as { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU ?? 0;
    gpu = { peak_gpu_mb: round2(bytes / 2 ** 20), adapter: webgpuAdapter ?? 'unknown' };
  }
  let threads: number | null = null;
  if (backend === 'native') {
    const { nativeInfo } = await import('./backends/native/index.js');
    threads = nativeInfo()?.threads ?? null;
  }
  return {
    backend, size: o.size, ngf: o.ngf, n_blocks: o.nBlocks, iters: o.iters, threads,
    g_fwd_ms: round2(gFwd), g_fwd_bwd_ms: round2(gFwdBwd), iter_ms: iter === null ? null : round2(iter),
    // ru_maxrss: the process's peak resident set, in KiB on Linux
    peak_rss_mb: round2(process.resourceUsage().maxRSS / 1024),
    ...gpu,
  };
}
