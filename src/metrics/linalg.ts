// Float64 linear algebra for FID (no TF.js: float32 is not enough for a 2048×2048 covariance and its root).
//
// FID needs Tr(sqrtm(S1·S2)). scipy's sqrtm (what pytorch-fid calls) takes a Schur decomposition of the
// non-symmetric product and can return complex or non-finite results for the rank-deficient covariances of
// small sample sets. We use instead an exact identity with only symmetric, backward-stable steps:
//   S1 = P·L·Lᵀ·Pᵀ (Cholesky with diagonal pivoting; L is d×r, r = numerical rank of S1), and
//   eig(S1·S2) \ {0} = eig(Lᵀ·Pᵀ·S2·P·L)  (eig(AB) = eig(BA)),
// where M = Lᵀ·Pᵀ·S2·P·L is r×r, symmetric and positive semi-definite. So Tr(sqrtm(S1·S2)) = Σ √λᵢ(M), with
// the λᵢ from a Householder tridiagonalisation and implicit QL (values only); tiny negative round-off
// eigenvalues are clipped to 0. Work: 2d³/3 (Cholesky, updating the whole trailing block so pivot swaps stay simple) + r·d² + r²·d/2 (M) + 4r³/3 (eigenvalues).
import { CycleGANError } from '../core/errors.js';

/** Column means of row-major n×d samples, and the samples centred on them, times `scale`. */
export function centre(x: Float64Array, n: number, d: number, scale = 1): { mu: Float64Array; c: Float64Array } {
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) mu[j] += x[row + j];
  }
  for (let j = 0; j < d; j++) mu[j] /= n;
  const c = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) c[i * d + j] = (x[i * d + j] - mu[j]) * scale;
  return { mu, c };
}

/**
 * The row dot products P·Qᵀ (np×nq) of row-major P (np×len) and Q (nq×len), rows read contiguously. With Q = P
 * the result is symmetric: the upper half is computed and mirrored.
 */
function rowProducts(p: Float64Array, np: number, q: Float64Array, nq: number, len: number): Float64Array {
  const out = new Float64Array(np * nq);
  const symmetric = p === q;
  for (let i = 0; i < np; i++) {
    const pi = i * len;
    for (let j = symmetric ? i : 0; j < nq; j++) {
      const qj = j * len;
      let s = 0;
      for (let t = 0; t < len; t++) s += p[pi + t] * q[qj + t];
      out[i * nq + j] = s;
      if (symmetric) out[j * nq + i] = s;
    }
  }
  return out;
}

/** An unbiased covariance (÷ (n − 1)) needs two samples. */
export function checkCovarianceSamples(n: number): void {
  if (n < 2) throw new CycleGANError(`a covariance needs at least 2 images, got ${n}`);
}

/** Row-major n×d samples → mean (d) and unbiased covariance (d×d, as np.cov(rowvar=False)). */
export function meanAndCovariance(x: Float64Array, n: number, d: number): { mu: Float64Array; sigma: Float64Array } {
  checkCovarianceSamples(n);
  const { mu, c } = centre(x, n, d);
  const sigma = new Float64Array(d * d);
  // sigma = cᵀc / (n-1), upper triangle by row axpys (contiguous), then mirrored. Samples go in blocks so a
  // row of sigma stays in cache while a block of samples is added to it (one pass over sigma per block, not
  // per sample: the unblocked loop is memory-bound).
  const SB = 32;
  for (let i0 = 0; i0 < n; i0 += SB) {
    const i1 = Math.min(n, i0 + SB);
    for (let a = 0; a < d; a++) {
      const sa = a * d;
      let i = i0;
      // four samples per pass: one load/store of sigma per four multiply-adds
      for (; i + 4 <= i1; i += 4) {
        const r0 = i * d, r1 = r0 + d, r2 = r1 + d, r3 = r2 + d;
        const v0 = c[r0 + a], v1 = c[r1 + a], v2 = c[r2 + a], v3 = c[r3 + a];
        for (let b = a; b < d; b++) sigma[sa + b] += v0 * c[r0 + b] + v1 * c[r1 + b] + v2 * c[r2 + b] + v3 * c[r3 + b];
      }
      for (; i < i1; i++) {
        const ri = i * d;
        const v = c[ri + a];
        for (let b = a; b < d; b++) sigma[sa + b] += v * c[ri + b];
      }
    }
  }
  const s = 1 / (n - 1);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = sigma[a * d + b] * s;
      sigma[a * d + b] = v;
      sigma[b * d + a] = v;
    }
  }
  return { mu, sigma };
}

/**
 * Cholesky with diagonal pivoting of a symmetric PSD matrix: returns Lᵀ as r×d rows (row c = column c of L,
 * in pivoted order) and the permutation; stops when the largest remaining pivot is at round-off level.
 */
export function pivotedCholesky(a0: Float64Array, d: number): { lt: Float64Array; rank: number; perm: Int32Array } {
  const a = Float64Array.from(a0);
  const perm = new Int32Array(d);
  for (let i = 0; i < d; i++) perm[i] = i;
  let maxDiag = 0;
  for (let i = 0; i < d; i++) maxDiag = Math.max(maxDiag, a[i * d + i]);
  const tol = Math.max(d, 1) * 2.220446049250313e-16 * maxDiag;
  const col = new Float64Array(d);
  let rank = 0;
  for (let k = 0; k < d; k++) {
    let p = k;
    for (let j = k + 1; j < d; j++) if (a[j * d + j] > a[p * d + p]) p = j;
    if (!(a[p * d + p] > tol)) break;
    if (p !== k) {
      // symmetric swap of rows and columns k and p (the trailing block is kept whole, so this is exact)
      for (let j = 0; j < d; j++) { const t = a[k * d + j]; a[k * d + j] = a[p * d + j]; a[p * d + j] = t; }
      for (let i = 0; i < d; i++) { const t = a[i * d + k]; a[i * d + k] = a[i * d + p]; a[i * d + p] = t; }
      const t = perm[k]; perm[k] = perm[p]; perm[p] = t;
    }
    const piv = Math.sqrt(a[k * d + k]);
    a[k * d + k] = piv;
    for (let i = k + 1; i < d; i++) { a[i * d + k] /= piv; col[i] = a[i * d + k]; }
    for (let i = k + 1; i < d; i++) {
      const lik = col[i];
      if (lik === 0) continue;
      const ri = i * d;
      for (let j = k + 1; j < d; j++) a[ri + j] -= lik * col[j];
    }
    rank = k + 1;
  }
  const lt = new Float64Array(rank * d);
  for (let c = 0; c < rank; c++) for (let i = c; i < d; i++) lt[c * d + i] = a[i * d + c];
  return { lt, rank, perm };
}

/** Eigenvalues of a symmetric n×n matrix (row-major; destroyed): Householder tridiagonalisation + implicit QL. */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  const diag = new Float64Array(n);
  const off = new Float64Array(n); // off[i] couples i and i+1
  if (n === 0) return diag;
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  // Only the lower triangle is read and written (half the memory traffic of full-matrix updates).
  for (let k = 0; k < n - 2; k++) {
    // Householder vector from column k below the diagonal
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += a[i * n + k] * a[i * n + k];
    const x0 = a[(k + 1) * n + k];
    diag[k] = a[k * n + k];
    if (norm2 === 0) { off[k] = 0; continue; }
    const alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    off[k] = alpha;
    for (let i = k + 1; i < n; i++) v[i] = a[i * n + k];
    v[k + 1] -= alpha;
    const vv = norm2 - 2 * alpha * x0 + alpha * alpha;
    if (vv === 0) continue;
    const beta = 2 / vv;
    // p = beta·B·v over the trailing block B (symmetric, lower triangle), then w = p − (beta/2)(vᵀp)·v,
    // B −= v·wᵀ + w·vᵀ
    for (let i = k + 1; i < n; i++) p[i] = 0;
    for (let i = k + 1; i < n; i++) {
      const ri = i * n, vi = v[i];
      let s = 0;
      for (let j = k + 1; j < i; j++) {
        const aij = a[ri + j];
        s += aij * v[j];
        p[j] += aij * vi;
      }
      p[i] += s + a[ri + i] * vi;
    }
    let vp = 0;
    for (let i = k + 1; i < n; i++) { p[i] *= beta; vp += v[i] * p[i]; }
    const kk = 0.5 * beta * vp;
    for (let i = k + 1; i < n; i++) p[i] -= kk * v[i];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n, vi = v[i], wi = p[i];
      for (let j = k + 1; j <= i; j++) a[ri + j] -= vi * p[j] + wi * v[j];
    }
  }
  if (n >= 2) {
    diag[n - 2] = a[(n - 2) * n + n - 2];
    off[n - 2] = a[(n - 1) * n + n - 2];
  }
  diag[n - 1] = a[(n - 1) * n + n - 1];
  off[n - 1] = 0;
  tridiagonalQL(diag, off);
  return diag;
}

/** Implicit QL with Wilkinson-type shifts on a symmetric tridiagonal matrix; eigenvalues left in `d`. */
function tridiagonalQL(d: Float64Array, e: Float64Array): void {
  const n = d.length;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) + dd === dd) break;
      }
      if (m === l) break;
      if (++iter > 100) throw new CycleGANError('eigenvalue iteration did not converge (matrix has NaN or Inf?)');
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0;
      let i = m - 1;
      let early = false;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          early = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (early) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

/** Tr(sqrtm(S1·S2)) for symmetric PSD d×d S1, S2 (see the comment at the top). */
export function traceSqrtProduct(s1: Float64Array, s2: Float64Array, d: number): number {
  const { lt, rank: r, perm } = pivotedCholesky(s1, d);
  if (r === 0) return 0;
  // S2p = Pᵀ·S2·P, then T = Lᵀ·S2p (r×d); row c of Lᵀ is zero before column c. Rows of T go in blocks of CB
  // so a block stays in cache while S2p streams past once per block (the unblocked loop is memory-bound).
  const s2p = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    const src = perm[j] * d;
    for (let i = 0; i < d; i++) s2p[j * d + i] = s2[src + perm[i]];
  }
  const CB = 16;
  const t = new Float64Array(r * d);
  for (let c0 = 0; c0 < r; c0 += CB) {
    const c1 = Math.min(r, c0 + CB);
    for (let j = c0; j < d; j++) {
      const row = j * d;
      for (let c = c0; c < c1 && c <= j; c++) {
        const l = lt[c * d + j];
        if (l === 0) continue;
        const tc = c * d;
        for (let i = 0; i < d; i++) t[tc + i] += l * s2p[row + i];
      }
    }
  }
  // M = T·L (r×r, symmetric): M[a][b] = Σ_{i≥b} T[a][i]·Lᵀ[b][i], rows a in blocks as above
  const m = new Float64Array(r * r);
  for (let a0 = 0; a0 < r; a0 += CB) {
    const a1 = Math.min(r, a0 + CB);
    for (let b = a0; b < r; b++) {
      const lb = b * d;
      for (let a = a0; a < a1 && a <= b; a++) {
        const ta = a * d;
        let sum = 0;
        for (let i = b; i < d; i++) sum += t[ta + i] * lt[lb + i];
        m[a * r + b] = sum;
        m[b * r + a] = sum;
      }
    }
  }
  const ev = symmetricEigenvalues(m, r);
  let tr = 0;
  for (let i = 0; i < r; i++) if (ev[i] > 0) tr += Math.sqrt(ev[i]);
  return tr;
}

/**
 * Tr(sqrtm(S1·S2)) straight from the samples, for S = XcᵀXc/(n−1) with Xc the centred n×d samples: given
 * A = Xc1/√(n1−1), B = Xc2/√(n2−1) (centre with that scale), eig(S1·S2) \ {0} = eig(AᵀA·BᵀB) \ {0} =
 * eig((BAᵀ)ᵀ(BAᵀ)), so the trace is the sum of the singular values of the n2×n1 matrix K = B·Aᵀ (its nuclear
 * norm): computed as Σ√λ of the smaller of KᵀK / KKᵀ. Exact, and with n < d far cheaper than anything d×d.
 */
export function traceSqrtProductOfCentred(a: Float64Array, n1: number, b: Float64Array, n2: number, d: number): number {
  const k = rowProducts(b, n2, a, n1, d); // K[i][j] = b_i · a_j
  // G = K·Kᵀ (n2×n2) or Kᵀ·K (n1×n1), whichever is smaller: both are the Gram matrix of the rows of K or Kᵀ
  const m = Math.min(n1, n2);
  let rows = k;
  if (n2 > n1) {
    rows = new Float64Array(n1 * n2);
    for (let i = 0; i < n2; i++) for (let j = 0; j < n1; j++) rows[j * n2 + i] = k[i * n1 + j];
  }
  const g = rowProducts(rows, m, rows, m, Math.max(n1, n2));
  const ev = symmetricEigenvalues(g, m);
  let tr = 0;
  for (let i = 0; i < m; i++) if (ev[i] > 0) tr += Math.sqrt(ev[i]);
  return tr;
}
