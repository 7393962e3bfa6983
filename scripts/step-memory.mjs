#!/usr/bin/env node
// Peak memory of one CycleGAN training step alone (no timing probes), as `cyclegan train` runs it:
//   node scripts/step-memory.mjs SIZE [NGF=64] [NBLOCKS=9] [BACKEND=native]
// Prints one JSON line: the process's peak RSS and, on the native backend, its live-tensor peak, block cache
// and the free memory glibc holds (info()). Needs `npm run build`.
import { tf } from '../dist/src/core/tf.js';
import { initBackend } from '../dist/src/backends/index.js';
import { nativeInfo } from '../dist/src/backends/native/index.js';
import { CycleGANModel, defaultCycleGANOptions, disposeLosses, readLosses } from '../dist/src/core/model.js';

const [size, ngf = 64, nBlocks = 9] = process.argv.slice(2, 5).map(Number);
if (!Number.isInteger(size) || size < 4 || size % 4 !== 0) {
  console.error('usage: node scripts/step-memory.mjs SIZE (a multiple of 4) [NGF] [NBLOCKS 6|9] [BACKEND]');
  process.exit(2);
}
const backend = await initBackend(process.argv[5] ?? 'native');
const A = tf.randomUniform([1, size, size, 3], -1, 1);
const B = tf.randomUniform([1, size, size, 3], -1, 1);
const model = CycleGANModel.create({ ...defaultCycleGANOptions(), ngf, netG: nBlocks === 6 ? 'resnet_6blocks' : 'resnet_9blocks' });
const t0 = performance.now();
const losses = model.step(A, B);
await readLosses(losses);
disposeLosses(losses);
const ms = performance.now() - t0;
const info = backend === 'native' ? nativeInfo() : null;
const mb = (x) => Math.round(x * 10) / 10;
console.log(JSON.stringify({
  backend, size, ngf, n_blocks: nBlocks, step_ms: Math.round(ms), peak_rss_mb: mb(process.resourceUsage().maxRSS / 1024),
  ...(info ? { peak_live_mb: mb(info.peakLiveMB), block_cache_mb: mb(info.blockCacheMB), malloc_free_held_mb: mb(info.mallocFreeHeldMB) } : {}),
}));
