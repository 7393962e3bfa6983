// `cyclegan bench` end to end at a tiny size: every field of the JSON line is present and positive.
import test from 'node:test';
import assert from 'node:assert/strict';
import { tryRegisterNativeBackend } from '../src/backends/native/index.js';
import { runBench } from '../src/bench.js';

const reg = tryRegisterNativeBackend();
const skip = reg.ok ? false : `native addon not available: ${reg.reason}`;

test('runBench reports every timing and the peak RSS on the native backend', { skip }, async () => {
  const r = await runBench({ size: 32, ngf: 4, nBlocks: 6, iters: 1, warmup: 1, backend: 'native' });
  assert.equal(r.backend, 'native');
  assert.deepEqual([r.size, r.ngf, r.n_blocks], [32, 4, 6]);
  for (const k of ['g_fwd_ms', 'g_fwd_bwd_ms', 'iter_ms', 'peak_rss_mb'] as const) {
    assert.ok(typeof r[k] === 'number' && r[k]! > 0, `${k} = ${r[k]}`);
  }
  // No comparison between the timings: one sample each at 32 px is at the mercy of the machine's load (CI once
  // saw a forward slower than twice the forward+backward). Speed belongs to the benchmarks, not to unit tests.
  assert.ok((r.threads ?? 0) >= 1);
});

test('runBench rejects block counts the ResNet generators do not have', async () => {
  await assert.rejects(runBench({ size: 32, ngf: 4, nBlocks: 7, iters: 1, warmup: 0 }), /6 or 9/);
});
