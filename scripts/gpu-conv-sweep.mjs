// Kernel sweep for the webgpu convolutions (issue 8): times every candidate configuration of
// src/backends/webgpu/conv_gemm.ts on the 256/64/9 training step's heaviest convolution shapes and checks
// each result against the generic kernel's. Needs `npm run build`. Here (lavapipe, small shapes):
//   SMALL=1 node scripts/gpu-conv-sweep.mjs
// On a GPU machine it runs as a bundle next to the carried gpu-bench files:
//   bash scripts/gpu-conv-sweep.sh prepare    (here)   /   bash scripts/gpu-conv-sweep.sh run    (there)
// Timing: per candidate, median wall time per call of back-to-back calls (see timeIt).
// Env: ONLY=regexp of shape names (ONLY=block: the ResNet block's three kernels with the wider candidate list),
// REPS (calls a trial, default 20), TRIALS (default 5), ALL=1 with SMALL=1: every candidate, not the first few,
// BLOCK=HxWxC: the block shapes (the ResNet block's forward, input and filter gradients) at H×W pixels, C channels
// (e.g. SMALL=1 ONLY=block BLOCK=32x32x64: lavapipe smoke figures of one layer size).
import { tf } from '../dist/src/core/tf.js';
import { tryRegisterWebGPUBackend } from '../dist/src/backends/webgpu/index.js';
import { setConvTuning, TILE_CONFIGS, tiledPlan, narrowPlan, winogradPlan } from '../dist/src/backends/webgpu/conv_gemm.js';
import { configName, validConfig } from '../dist/src/backends/webgpu/conv_tiled.js';

const SMALL = process.env.SMALL === '1';
const REPS = Number(process.env.REPS ?? (SMALL ? 2 : 20));
const ONLY = process.env.ONLY ? new RegExp(process.env.ONLY) : null;
const TRIALS = Number(process.env.TRIALS ?? 5); // odd: the median is one of them

const reg = await tryRegisterWebGPUBackend();
if (!reg.ok) { console.error(`sweep: ${reg.reason}`); process.exit(2); }
await tf.setBackend('webgpu');
await tf.ready();
const be = tf.backend();
const dev = be.device;
console.log(`# adapter: ${reg.adapter.description}; maxComputeWorkgroupStorageSize ${dev.limits.maxComputeWorkgroupStorageSize}`);
console.log(`# device features: ${[...dev.features].sort().join(' ')}`);
try {
  const ad = await globalThis.navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  console.log(`# adapter features: ${[...ad.features].sort().join(' ')}`);
} catch (e) { console.log(`# adapter features: ${e.message}`); }
const wgBytes = dev.limits.maxComputeWorkgroupStorageSize;

// [name, kind, a shape, b shape, stride, pad, (dgrad) input shape]: the profile's top shapes (gpu-baseline.log).
const S = SMALL ? 4 : 1; // SMALL: spatial sizes / 4, channels / 4 (lavapipe check of the script itself)
const c = (n) => Math.max(4, n / S), p = (n) => Math.max(4, Math.round(n / S));
const [BH, BW, BC] = process.env.BLOCK ? process.env.BLOCK.split('x').map(Number) : [p(64), p(64), c(256)];
if (![BH, BW, BC].every((v) => Number.isInteger(v) && v > 0)) { console.error(`sweep: BLOCK=${process.env.BLOCK}: want HxWxC`); process.exit(2); }
const SHAPES = [
  // The ResNet blocks' own kernels (reflection folded into fwd and wgrad): 77 of ~125 ms GPU a step in Run 4.
  [`block rfwd ${BH}x${BW} ${BC}→${BC} k3`, 'rfwd', [1, BH, BW, BC], [3, 3, BC, BC], 1, 1],
  [`block dgrad ${BH}x${BW} ${BC}←${BC} k3`, 'dgrad', [1, BH, BW, BC], [3, 3, BC, BC], 1, 'valid', [1, BH + 2, BW + 2, BC]],
  [`block rwgrad ${BH}x${BW} ${BC} k3`, 'rwgrad', [1, BH, BW, BC], [1, BH, BW, BC], 1, 1, [3, 3, BC, BC]],
  ['res fwd 64x64 256→256 k3', 'fwd', [1, p(64) + 2, p(64) + 2, c(256)], [3, 3, c(256), c(256)], 1, 'valid'],
  ['res dgrad 64x64 256←256 k3', 'dgrad', [1, p(64), p(64), c(256)], [3, 3, c(256), c(256)], 1, 'valid', [1, p(64) + 2, p(64) + 2, c(256)]],
  ['res wgrad 64x64 256 k3', 'wgrad', [1, p(64) + 2, p(64) + 2, c(256)], [1, p(64), p(64), c(256)], 1, 'valid', [3, 3, c(256), c(256)]],
  ['up1 dgrad s2 128←64 256→128', 'dgrad', [1, p(64), p(64), c(256)], [3, 3, c(128), c(256)], 2, 1, [1, p(128), p(128), c(128)]],
  ['up2 dgrad s2 256←128 128→64', 'dgrad', [1, p(128), p(128), c(128)], [3, 3, c(64), c(128)], 2, 1, [1, p(256), p(256), c(64)]],
  ['down1 fwd s2 257→128 64→128', 'fwd', [1, p(256) + 1, p(256) + 1, c(64)], [3, 3, c(64), c(128)], 2, 'valid'],
  ['down2 fwd s2 129→64 128→256', 'fwd', [1, p(128) + 1, p(128) + 1, c(128)], [3, 3, c(128), c(256)], 2, 'valid'],
  ['down2 wgrad s2 129→64', 'wgrad', [1, p(128) + 1, p(128) + 1, c(128)], [1, p(64), p(64), c(256)], 2, 'valid', [3, 3, c(128), c(256)]],
  ['D fwd 32x32 256→512 k4', 'fwd', [1, p(32), p(32), c(256)], [4, 4, c(256), c(512)], 1, 1],
  ['D dgrad 31x31 512 k4', 'dgrad', [1, p(32) - 1, p(32) - 1, c(512)], [4, 4, c(256), c(512)], 1, 1, [1, p(32), p(32), c(256)]],
  ['last fwd 262 64→3 k7', 'fwd', [1, p(256) + 6, p(256) + 6, c(64)], [7, 7, c(64), 3], 1, 'valid'],
  ['first dgrad 262 3←64 k7', 'dgrad', [1, p(256), p(256), c(64)], [7, 7, 3, c(64)], 1, 'valid', [1, p(256) + 6, p(256) + 6, 3]],
  ['last wgrad 262 64→3 k7', 'wgrad', [1, p(256) + 6, p(256) + 6, c(64)], [1, p(256), p(256), 3], 1, 'valid', [7, 7, c(64), 3]],
  ['first fwd 262 3→64 k7', 'fwd', [1, p(256) + 6, p(256) + 6, 3], [7, 7, 3, c(64)], 1, 'valid'],
  ['first wgrad 262 3→64 k7', 'wgrad', [1, p(256) + 6, p(256) + 6, 3], [1, p(256), p(256), c(64)], 1, 'valid', [7, 7, 3, c(64)]],
];

/** Sweep configurations: the rule's own plus variants; invalid ones for this device are dropped. */
const CONFIGS = [];
for (const cfg of [...TILE_CONFIGS,
  { TM: 128, TN: 128, TK: 8, PM: 8, PN: 8, pf: true }, { TM: 128, TN: 128, TK: 8, PM: 8, PN: 8, pf: false },
  { TM: 128, TN: 128, TK: 16, PM: 8, PN: 8, pf: true }, { TM: 128, TN: 64, TK: 8, PM: 8, PN: 8, pf: true },
  { TM: 64, TN: 128, TK: 8, PM: 8, PN: 8, pf: true }, { TM: 64, TN: 64, TK: 16, PM: 8, PN: 8, pf: true },
  { TM: 128, TN: 64, TK: 16, PM: 8, PN: 4, pf: false }, { TM: 64, TN: 64, TK: 8, PM: 8, PN: 8, pf: false },
  { TM: 128, TN: 32, TK: 16, PM: 8, PN: 4, pf: true }, { TM: 64, TN: 32, TK: 16, PM: 4, PN: 4, pf: true }]) {
  if (validConfig(cfg, wgBytes) && !CONFIGS.some((x) => configName(x) === configName(cfg))) CONFIGS.push(cfg);
}
if (SMALL && !process.env.ALL) CONFIGS.splice(2); // lavapipe compiles each pipeline in seconds: check the script, not the space
/**
 * The block shapes' (names starting 'block') wider list (conv2, issue 8): bigger register tiles (8×8 a thread,
 * 128×128 / 128×64 / 64×128 blocks), slices 8/16/32 deep, more splits; those whose workgroup memory exceeds
 * this device's limit are dropped.
 */
const BLOCK_CONFIGS = [...CONFIGS];
for (const [TM, TN, PM, PN] of [[128, 128, 8, 8], [128, 64, 8, 8], [64, 128, 8, 8], [128, 64, 8, 4], [64, 64, 4, 4],
  [64, 32, 4, 4], [64, 64, 8, 8], [128, 32, 8, 4]]) {
  for (const TK of [8, 16, 32]) {
    for (const pf of [true, false]) {
      const cfg = { TM, TN, TK, PM, PN, pf };
      // At most 32 KB of workgroup memory: lavapipe's limit, where the candidates were checked first.
      if (validConfig(cfg, Math.min(wgBytes, 32768)) && !BLOCK_CONFIGS.some((x) => configName(x) === configName(cfg))) BLOCK_CONFIGS.push(cfg);
    }
  }
}
if (SMALL && !process.env.ALL) BLOCK_CONFIGS.splice(3);

function run(kind, a, b, stride, pad, third) {
  if (kind === 'rfwd') return tf.engine().runKernel('CGReflectConv2D', { x: a, filter: b, bias: third }, { pad, stride });
  if (kind === 'rwgrad') {
    return tf.engine().runKernel('CGReflectConv2DBackpropFilter', { x: a, dy: b }, { pad, stride, filterShape: third });
  }
  if (kind === 'fwd') {
    return tf.engine().runKernel('FusedConv2D', { x: a, filter: b, bias: third },
      { strides: stride, pad, dataFormat: 'NHWC', dilations: 1, activation: 'linear' });
  }
  if (kind === 'dgrad') {
    return tf.engine().runKernel('Conv2DBackpropInput', { dy: a, filter: b },
      { strides: stride, pad, dataFormat: 'NHWC', inputShape: third });
  }
  return tf.engine().runKernel('Conv2DBackpropFilter', { x: a, dy: b },
    { strides: stride, pad, dataFormat: 'NHWC', filterShape: third });
}

/**
 * Time of one call: the wall time of 1 + REPS back-to-back calls ending in one awaited read minus that of 1
 * call (the read and fixed costs cancel), divided by REPS; the median of TRIALS (5) such trials (a min picked
 * outliers in the first H200 sweep). Not tf.profile: on this backend its per-kernel times of back-to-back
 * calls overlap (a call's time grew with the calls queued after it, seen on the H200 and on lavapipe).
 */
async function timeIt(fn) {
  const once = async (n) => {
    const t0 = performance.now();
    let last;
    for (let i = 0; i < n; i++) { if (last) last.dispose(); last = fn(); }
    await last.data();
    last.dispose();
    return performance.now() - t0;
  };
  await once(2); // compile + warm
  const d = [];
  for (let r = 0; r < TRIALS; r++) {
    const t1 = await once(1), tn = await once(1 + REPS);
    d.push((tn - t1) / REPS);
  }
  d.sort((x, y) => x - y);
  return Math.max(d[(TRIALS - 1) >> 1], 1e-3);
}

const rand = (shape, seed) => tf.randomUniform(shape, -1, 1, 'float32', seed);
const best = [];
for (const [name, kind, as, bs, stride, pad, extra] of SHAPES) {
  if (ONLY && !ONLY.test(name)) continue;
  const a = rand(as, 1), b = rand(bs, 2);
  const third = kind === 'fwd' || kind === 'rfwd' ? rand([bs[3]], 3) : extra;
  // Reflect kinds: the valid conv on the padded frame, as the kernels compute it.
  const padded = (s) => [s[0], s[1] + 2 * pad, s[2] + 2 * pad, s[3]];
  const info = kind === 'fwd' ? tf.backend_util.computeConv2DInfo(as, bs, stride, 1, pad)
    : kind === 'rfwd' ? tf.backend_util.computeConv2DInfo(padded(as), bs, stride, 1, 'valid')
      : kind === 'rwgrad' ? tf.backend_util.computeConv2DInfo(padded(as), extra, stride, 1, 'valid')
        : kind === 'dgrad' ? tf.backend_util.computeConv2DInfo(extra, bs, stride, 1, pad)
          : tf.backend_util.computeConv2DInfo(as, extra, stride, 1, pad);
  const flops = 2 * info.batchSize * info.outHeight * info.outWidth * info.outChannels * info.filterHeight *
    info.filterWidth * info.inChannels;
  setConvTuning({ generic: true });
  const ref = run(kind, a, b, stride, pad, third);
  const want = await ref.data();
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  const cands = [['generic', { generic: true }], ['auto', null]];
  const mode = kind === 'rfwd' ? 'fwd' : kind === 'rwgrad' ? 'wgrad' : kind;
  const isBlock = name.startsWith('block');
  // (the plans are asked with no tuning set: under the reference's { generic: true } none would apply)
  setConvTuning(null);
  if (narrowPlan(mode, info)) {
    for (const splits of SMALL ? [8] : [8, 32, 128]) if (mode === 'wgrad') cands.push([`narrow split ${splits}`, { splits }]);
  } else {
    if (tiledPlan(mode, info)) {
      // Strided input gradients run one residue class a dispatch, never split.
      const splitList = SMALL ? [mode === 'wgrad' ? 4 : 1] : mode === 'wgrad' ? (isBlock ? [4, 8, 16, 32] : [8, 16, 32])
        : kind === 'dgrad' && stride > 1 ? [1] : isBlock ? [1, 2, 4] : [1, 2];
      for (const cfg of isBlock ? BLOCK_CONFIGS : CONFIGS) {
        setConvTuning({ cfg });
        if (!tiledPlan(mode, info)) continue;
        for (const splits of splitList) cands.push([`${configName(cfg)} split ${splits}`, { cfg, splits }]);
      }
    }
  }
  // Winograd F(2×2, 3×3) and F(4×4, 3×3) (winograd.ts) where they apply: 3×3 stride-1 forward, input and filter
  // gradients; the filter gradient's tile reduction also at forced split counts (the block shapes, on a GPU).
  for (const m of [2, 4]) {
    setConvTuning({ winograd: m });
    if (!winogradPlan(mode, info)) continue;
    cands.push([`winograd F(${m}x${m},3x3)`, { winograd: m }]);
    if (mode === 'wgrad' && isBlock && !SMALL) {
      for (const splits of [1, 2, 4, 8, 16]) cands.push([`winograd F(${m}x${m},3x3) split ${splits}`, { winograd: m, splits }]);
    }
  }
  setConvTuning(null);
  const rows = [];
  for (const [label, tuning] of cands) {
    setConvTuning(tuning);
    try {
      const out = run(kind, a, b, stride, pad, third);
      const got = await out.data();
      out.dispose();
      let diff = 0;
      for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i] - want[i]));
      const err = Number.isNaN(diff) ? Infinity : diff / scale;
      const ms = await timeIt(() => run(kind, a, b, stride, pad, third));
      rows.push({ label, ms, err });
    } catch (e) {
      rows.push({ label, ms: Infinity, err: Infinity, note: e.message.split('\n')[0] });
    }
    if (be.deviceError) { console.log(`# device error: ${be.deviceError}`); process.exit(1); }
  }
  setConvTuning(null);
  rows.sort((x, y) => x.ms - y.ms);
  const gen = rows.find((r) => r.label === 'generic').ms, auto = rows.find((r) => r.label === 'auto').ms;
  console.log(`\n## ${name} (${kind}) ${JSON.stringify(as)} ${JSON.stringify(bs)} s${stride} ${pad}: ${(flops / 1e9).toFixed(2)} GFLOP; generic ${gen.toFixed(3)} ms, auto ${auto.toFixed(3)} ms`);
  for (const r of rows.slice(0, isBlock ? 14 : 8)) {
    console.log(`  ${r.label.padEnd(28)} ${r.ms.toFixed(3).padStart(8)} ms ${(flops / r.ms / 1e9).toFixed(2).padStart(7)} TFLOP/s  err ${r.err.toExponential(1)}${r.err > 1e-4 ? '  WRONG' : ''}${r.note ? ' ' + r.note : ''}`);
  }
  const bad = rows.filter((r) => !(r.err <= 1e-4));
  if (bad.length) console.log(`  WRONG or failed: ${bad.map((r) => `${r.label} (${r.note ?? r.err.toExponential(1)})`).join('; ')}`);
  best.push(`${name}: best ${rows[0].label} ${rows[0].ms.toFixed(3)} ms; auto ${auto.toFixed(3)}; generic ${gen.toFixed(3)}`);
  tf.dispose([a, b, ref]);
  if (kind === 'fwd' || kind === 'rfwd') tf.dispose(third);
}
console.log('\n# summary');
for (const l of best) console.log(l);
