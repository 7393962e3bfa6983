// Deterministic test inputs shared by the kernel tests (native, webgpu, …): the same seed gives the same
// values on every backend and run, so a failure is reproducible.

/** Deterministic uniform values in [lo, hi) from a 32-bit LCG. */
export function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (s / 2 ** 32) * (hi - lo);
  }
  return out;
}
