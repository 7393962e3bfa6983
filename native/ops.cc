// Memory-bound kernels as OpenMP loops: elementwise ops, reductions, fused instance norm, mirror padding, Adam.
#include <omp.h>
#include <pmmintrin.h>
#include <xmmintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "cg_native.h"

namespace cg {

// Below this many elements a parallel region costs more than it saves.
static const int64_t PAR_MIN = 1 << 15;
static const unsigned FTZ_DAZ = 0x8040;

static inline void ftz_this_thread() { _mm_setcsr(_mm_getcsr() | FTZ_DAZ); }

FtzScope::FtzScope() : saved(_mm_getcsr()) { _mm_setcsr(saved | FTZ_DAZ); }
FtzScope::~FtzScope() { _mm_setcsr(saved); }

void setup_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
  // Worker threads keep MXCSR between regions; the calling (JS) thread is only switched inside a call.
#pragma omp parallel
  {
    if (omp_get_thread_num() != 0) ftz_this_thread();
  }
}

int thread_count() { return omp_get_max_threads(); }

// ---------------------------------------------------------------- elementwise

template <int OP>
static inline float bin(float a, float b) {
  if constexpr (OP == B_ADD) return a + b;
  else if constexpr (OP == B_SUB) return a - b;
  else if constexpr (OP == B_MUL) return a * b;
  else if constexpr (OP == B_DIV) return a / b;
  else if constexpr (OP == B_SQDIFF) { float d = a - b; return d * d; }
  else if constexpr (OP == B_MAX) return (a != a || b != b) ? NAN : (a > b ? a : b);
  else return (a != a || b != b) ? NAN : (a < b ? a : b);
}

// One run of the innermost dimension; sa/sb are 0 (broadcast) or 1.
template <int OP>
static inline void bin_run(const float *a, int64_t sa, const float *b, int64_t sb, float *o, int64_t n) {
  if (sa && sb) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(a[i], b[i]);
  } else if (sa) {
    const float bv = *b;
#pragma omp simd
    for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(a[i], bv);
  } else if (sb) {
    const float av = *a;
#pragma omp simd
    for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(av, b[i]);
  } else {
    const float v = bin<OP>(*a, *b);
    for (int64_t i = 0; i < n; i++) o[i] = v;
  }
}

struct BDim {
  int64_t size, sa, sb, so;
};

template <int OP>
static void binary_t(const float *a, const int64_t *ashape, int arank, const float *b, const int64_t *bshape,
                     int brank, float *out) {
  const int r = std::max(arank, brank);
  // Collapse the padded shapes into runs of dims with the same broadcast pattern.
  std::vector<BDim> dims;
  int last = -1;
  for (int i = 0; i < r; i++) {
    int64_t as = i - (r - arank) >= 0 ? ashape[i - (r - arank)] : 1;
    int64_t bs = i - (r - brank) >= 0 ? bshape[i - (r - brank)] : 1;
    int64_t os = std::max(as, bs);
    if (os == 1) continue;
    int status = (as == os ? 1 : 0) | (bs == os ? 2 : 0);
    if (status == last) dims.back().size *= os;
    else dims.push_back({os, status & 1, (status >> 1) & 1, 0});
    last = status;
  }
  if (dims.empty()) dims.push_back({1, 1, 1, 0});
  // Element strides per collapsed dim (0 where broadcast).
  int64_t acc_a = 1, acc_b = 1, acc_o = 1;
  for (int i = (int)dims.size() - 1; i >= 0; i--) {
    BDim &d = dims[i];
    d.so = acc_o;
    acc_o *= d.size;
    int64_t sa = d.sa ? acc_a : 0, sb = d.sb ? acc_b : 0;
    if (d.sa) acc_a *= d.size;
    if (d.sb) acc_b *= d.size;
    d.sa = sa;
    d.sb = sb;
  }
  const int k = (int)dims.size();
  const int64_t inner = dims[k - 1].size;
  const int64_t rows = acc_o / inner;
  const int64_t total = acc_o;
  const int64_t isa = dims[k - 1].sa, isb = dims[k - 1].sb;
  const int threads = total >= PAR_MIN ? omp_get_max_threads() : 1;
  // Split long rows so that a single-row op still uses every thread.
  int64_t per_row = 1;
  if (rows < 4 * threads) per_row = std::max<int64_t>(1, (4 * threads + rows - 1) / rows);
  per_row = std::min<int64_t>(per_row, std::max<int64_t>(1, inner / 1024));
  const int64_t chunk = (inner + per_row - 1) / per_row;
  const int64_t items = rows * per_row;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (int64_t it = 0; it < items; it++) {
    if (threads > 1) ftz_this_thread();
    int64_t row = it / per_row, part = it % per_row;
    int64_t oa = 0, ob = 0, rem = row;
    for (int i = k - 2; i >= 0; i--) {
      int64_t idx = rem % dims[i].size;
      rem /= dims[i].size;
      oa += idx * dims[i].sa;
      ob += idx * dims[i].sb;
    }
    int64_t s = part * chunk, e = std::min(inner, s + chunk);
    if (s >= e) continue;
    bin_run<OP>(a + oa + s * isa, isa, b + ob + s * isb, isb, out + row * inner + s, e - s);
  }
}

void binary(int op, const float *a, const int64_t *ashape, int arank, const float *b, const int64_t *bshape,
            int brank, float *out) {
  switch (op) {
    case B_ADD: binary_t<B_ADD>(a, ashape, arank, b, bshape, brank, out); break;
    case B_SUB: binary_t<B_SUB>(a, ashape, arank, b, bshape, brank, out); break;
    case B_MUL: binary_t<B_MUL>(a, ashape, arank, b, bshape, brank, out); break;
    case B_DIV: binary_t<B_DIV>(a, ashape, arank, b, bshape, brank, out); break;
    case B_SQDIFF: binary_t<B_SQDIFF>(a, ashape, arank, b, bshape, brank, out); break;
    case B_MAX: binary_t<B_MAX>(a, ashape, arank, b, bshape, brank, out); break;
    default: binary_t<B_MIN>(a, ashape, arank, b, bshape, brank, out); break;
  }
}

template <int OP>
static inline float un(float x, float alpha) {
  if constexpr (OP == U_ABS) return std::fabs(x);
  else if constexpr (OP == U_NEG) return -x;
  else if constexpr (OP == U_RELU) return x > 0.f ? x : (x != x ? x : 0.f);
  else if constexpr (OP == U_LEAKY) return x < 0.f ? alpha * x : x;
  else if constexpr (OP == U_TANH) return std::tanh(x);
  else if constexpr (OP == U_SIGMOID) return 1.f / (1.f + std::exp(-x));
  else if constexpr (OP == U_SQUARE) return x * x;
  else if constexpr (OP == U_SQRT) return std::sqrt(x);
  else if constexpr (OP == U_EXP) return std::exp(x);
  else if constexpr (OP == U_LOG) return std::log(x);
  else if constexpr (OP == U_STEP) return x != x ? NAN : (x > 0.f ? 1.f : alpha);
  else if constexpr (OP == U_RELU6) return x != x ? x : std::min(std::max(x, 0.f), 6.f);
  else return x != x ? x : (x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f));
}

template <int OP>
static void unary_t(const float *x, int64_t n, float alpha, float *out) {
  const bool par = n >= PAR_MIN;
#pragma omp parallel if (par)
  {
    if (par) ftz_this_thread();
#pragma omp for simd schedule(static)
    for (int64_t i = 0; i < n; i++) out[i] = un<OP>(x[i], alpha);
  }
}

void unary(int op, const float *x, int64_t n, float alpha, float *out) {
  switch (op) {
    case U_ABS: unary_t<U_ABS>(x, n, alpha, out); break;
    case U_NEG: unary_t<U_NEG>(x, n, alpha, out); break;
    case U_RELU: unary_t<U_RELU>(x, n, alpha, out); break;
    case U_LEAKY: unary_t<U_LEAKY>(x, n, alpha, out); break;
    case U_TANH: unary_t<U_TANH>(x, n, alpha, out); break;
    case U_SIGMOID: unary_t<U_SIGMOID>(x, n, alpha, out); break;
    case U_SQUARE: unary_t<U_SQUARE>(x, n, alpha, out); break;
    case U_SQRT: unary_t<U_SQRT>(x, n, alpha, out); break;
    case U_EXP: unary_t<U_EXP>(x, n, alpha, out); break;
    case U_LOG: unary_t<U_LOG>(x, n, alpha, out); break;
    case U_STEP: unary_t<U_STEP>(x, n, alpha, out); break;
    case U_RELU6: unary_t<U_RELU6>(x, n, alpha, out); break;
    default: unary_t<U_SIGN>(x, n, alpha, out); break;
  }
}

void greater(const float *a, const float *b, int64_t n, bool b_scalar, uint8_t *out) {
  const bool par = n >= PAR_MIN;
  if (b_scalar) {
    const float bv = *b;
#pragma omp parallel for simd schedule(static) if (par)
    for (int64_t i = 0; i < n; i++) out[i] = a[i] > bv;
  } else {
#pragma omp parallel for simd schedule(static) if (par)
    for (int64_t i = 0; i < n; i++) out[i] = a[i] > b[i];
  }
}

void select(const uint8_t *cond, const float *t, const float *e, int64_t n, float *out) {
  const bool par = n >= PAR_MIN;
#pragma omp parallel for simd schedule(static) if (par)
  for (int64_t i = 0; i < n; i++) out[i] = cond[i] ? t[i] : e[i];
}

// ---------------------------------------------------------------- reductions

void reduce_sum(const float *x, int64_t A, int64_t R, int64_t B, bool mean, float *out) {
  const int64_t total = A * R * B;
  const int threads = total >= PAR_MIN ? omp_get_max_threads() : 1;
  const double scale = mean ? 1.0 / (double)R : 1.0;
  if (A >= threads) {
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
      std::vector<double> acc(B);
#pragma omp for schedule(static)
      for (int64_t a = 0; a < A; a++) {
        std::fill(acc.begin(), acc.end(), 0.0);
        const float *xa = x + a * R * B;
        for (int64_t r = 0; r < R; r++) {
          const float *row = xa + r * B;
#pragma omp simd
          for (int64_t b = 0; b < B; b++) acc[b] += row[b];
        }
        for (int64_t b = 0; b < B; b++) out[a * B + b] = (float)(acc[b] * scale);
      }
    }
    return;
  }
  // Few outputs: split the reduced axis across threads, then combine the partial sums.
  std::vector<double> part((size_t)threads * B);
  for (int64_t a = 0; a < A; a++) {
    std::fill(part.begin(), part.end(), 0.0);
    const float *xa = x + a * R * B;
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
      int t = omp_get_thread_num(), nt = omp_get_num_threads();
      int64_t s = R * t / nt, e = R * (t + 1) / nt;
      double *acc = part.data() + (size_t)t * B;
      if (B == 1) {
        double sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int64_t r = s; r < e; r++) sum += xa[r];
        acc[0] = sum;
      } else {
        for (int64_t r = s; r < e; r++) {
          const float *row = xa + r * B;
#pragma omp simd
          for (int64_t b = 0; b < B; b++) acc[b] += row[b];
        }
      }
    }
    for (int64_t b = 0; b < B; b++) {
      double sum = 0;
      for (int t = 0; t < threads; t++) sum += part[(size_t)t * B + b];
      out[a * B + b] = (float)(sum * scale);
    }
  }
}

// ---------------------------------------------------------------- instance norm

static const int64_t CBLK = 16;  // channels per task: one cache line of floats

// Branch-free forms: with ternaries gcc emits compare-and-jump scalar code that mispredicts on every
// other element of real activations.
template <int ACT>
static inline float act_fwd(float v, float alpha) {
  if constexpr (ACT == ACT_RELU) return std::max(v, 0.f);
  else if constexpr (ACT == ACT_LEAKY) return std::max(v, 0.f) + alpha * std::min(v, 0.f);
  else return v;
}
template <int ACT>
static inline float act_grad(float y, float alpha) {
  if constexpr (ACT == ACT_RELU) return (float)(y > 0.f);
  else if constexpr (ACT == ACT_LEAKY) return alpha + (1.f - alpha) * (float)(y > 0.f);
  else return 1.f;
}

// Rows are summed in float over short runs and the runs in double: vectorizes like a float loop, rounds
// like a double one.
static const int64_t RUN = 64;

// Mean and 1/sqrt(var + eps) of channels [c0, c0 + W) of one image; biased variance as PyTorch.
template <int64_t W>
static inline void chan_stats(const float *xn, int64_t hw, int64_t c, int64_t c0, int64_t cw, float eps, float *mean,
                              float *rstd) {
  double s[CBLK] = {0}, ss[CBLK] = {0};
  for (int64_t p0 = 0; p0 < hw; p0 += RUN) {
    const int64_t p1 = std::min(hw, p0 + RUN);
    float fs[CBLK] = {0}, fss[CBLK] = {0};
    for (int64_t p = p0; p < p1; p++) {
      const float *row = xn + p * c + c0;
#pragma omp simd
      for (int64_t j = 0; j < (W ? W : cw); j++) {
        fs[j] += row[j];
        fss[j] += row[j] * row[j];
      }
    }
    for (int64_t j = 0; j < CBLK; j++) {
      s[j] += fs[j];
      ss[j] += fss[j];
    }
  }
  for (int64_t j = 0; j < cw; j++) {
    double m = s[j] / (double)hw;
    double var = std::max(0.0, ss[j] / (double)hw - m * m);
    mean[j] = (float)m;
    rstd[j] = (float)(1.0 / std::sqrt(var + (double)eps));
  }
}

template <int ACT, int64_t W>
static inline void in_fwd_block(const float *xn, float *yn, int64_t hw, int64_t c, int64_t c0, int64_t cw, float eps,
                                float alpha) {
  float mean[CBLK], rstd[CBLK];
  chan_stats<W>(xn, hw, c, c0, cw, eps, mean, rstd);
  for (int64_t p = 0; p < hw; p++) {
    const float *row = xn + p * c + c0;
    float *out = yn + p * c + c0;
#pragma omp simd
    for (int64_t j = 0; j < (W ? W : cw); j++) out[j] = act_fwd<ACT>((row[j] - mean[j]) * rstd[j], alpha);
  }
}

template <int ACT>
static void in_fwd_t(const float *x, int64_t n, int64_t hw, int64_t c, float eps, float alpha, float *y) {
  const int64_t nblk = (c + CBLK - 1) / CBLK;
  const bool par = n * hw * c >= PAR_MIN;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t task = 0; task < n * nblk; task++) {
    if (par) ftz_this_thread();
    const int64_t img = task / nblk, c0 = (task % nblk) * CBLK, cw = std::min(CBLK, c - c0);
    if (cw == CBLK) in_fwd_block<ACT, CBLK>(x + img * hw * c, y + img * hw * c, hw, c, c0, cw, eps, alpha);
    else in_fwd_block<ACT, 0>(x + img * hw * c, y + img * hw * c, hw, c, c0, cw, eps, alpha);
  }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * act'(y).
template <int ACT, int64_t W>
static inline void in_bwd_block(const float *x, const float *y, const float *dy, float *dx, int64_t hw, int64_t c,
                                int64_t c0, int64_t cw, float eps, float alpha) {
  float mean[CBLK], rstd[CBLK];
  chan_stats<W>(x, hw, c, c0, cw, eps, mean, rstd);
  double sg[CBLK] = {0}, sgx[CBLK] = {0};
  for (int64_t p0 = 0; p0 < hw; p0 += RUN) {
    const int64_t p1 = std::min(hw, p0 + RUN);
    float fg[CBLK] = {0}, fgx[CBLK] = {0};
    for (int64_t p = p0; p < p1; p++) {
      const float *xr = x + p * c + c0, *yr = y + p * c + c0, *dr = dy + p * c + c0;
#pragma omp simd
      for (int64_t j = 0; j < (W ? W : cw); j++) {
        float g = dr[j] * act_grad<ACT>(yr[j], alpha);
        fg[j] += g;
        fgx[j] += g * ((xr[j] - mean[j]) * rstd[j]);
      }
    }
    for (int64_t j = 0; j < CBLK; j++) {
      sg[j] += fg[j];
      sgx[j] += fgx[j];
    }
  }
  float mg[CBLK] = {0}, mgx[CBLK] = {0};
  for (int64_t j = 0; j < cw; j++) {
    mg[j] = (float)(sg[j] / (double)hw);
    mgx[j] = (float)(sgx[j] / (double)hw);
  }
  for (int64_t p = 0; p < hw; p++) {
    const float *xr = x + p * c + c0, *yr = y + p * c + c0, *dr = dy + p * c + c0;
    float *out = dx + p * c + c0;
#pragma omp simd
    for (int64_t j = 0; j < (W ? W : cw); j++) {
      float g = dr[j] * act_grad<ACT>(yr[j], alpha);
      float xh = (xr[j] - mean[j]) * rstd[j];
      out[j] = rstd[j] * (g - mg[j] - xh * mgx[j]);
    }
  }
}

template <int ACT>
static void in_bwd_t(const float *x, const float *y, const float *dy, int64_t n, int64_t hw, int64_t c, float eps,
                     float alpha, float *dx) {
  const int64_t nblk = (c + CBLK - 1) / CBLK;
  const bool par = n * hw * c >= PAR_MIN;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t task = 0; task < n * nblk; task++) {
    if (par) ftz_this_thread();
    const int64_t img = task / nblk, c0 = (task % nblk) * CBLK, cw = std::min(CBLK, c - c0);
    const int64_t base = img * hw * c;
    if (cw == CBLK) in_bwd_block<ACT, CBLK>(x + base, y + base, dy + base, dx + base, hw, c, c0, cw, eps, alpha);
    else in_bwd_block<ACT, 0>(x + base, y + base, dy + base, dx + base, hw, c, c0, cw, eps, alpha);
  }
}

void instance_norm_fwd(const float *x, int64_t n, int64_t hw, int64_t c, float eps, int act, float alpha, float *y) {
  if (act == ACT_RELU) in_fwd_t<ACT_RELU>(x, n, hw, c, eps, alpha, y);
  else if (act == ACT_LEAKY) in_fwd_t<ACT_LEAKY>(x, n, hw, c, eps, alpha, y);
  else in_fwd_t<ACT_NONE>(x, n, hw, c, eps, alpha, y);
}

void instance_norm_bwd(const float *x, const float *y, const float *dy, int64_t n, int64_t hw, int64_t c, float eps,
                       int act, float alpha, float *dx) {
  if (act == ACT_RELU) in_bwd_t<ACT_RELU>(x, y, dy, n, hw, c, eps, alpha, dx);
  else if (act == ACT_LEAKY) in_bwd_t<ACT_LEAKY>(x, y, dy, n, hw, c, eps, alpha, dx);
  else in_bwd_t<ACT_NONE>(x, y, dy, n, hw, c, eps, alpha, dx);
}

// ---------------------------------------------------------------- mirror padding

// Source index of padded position o on an axis of size n with `before` leading pad entries.
static inline int64_t mirror_src(int64_t o, int64_t before, int64_t n, bool sym) {
  int64_t i = o - before;
  if (i < 0) i = sym ? -i - 1 : -i;
  else if (i >= n) i = sym ? 2 * n - 1 - i : 2 * n - 2 - i;
  return i;
}

void mirror_pad(const float *x, const int64_t *s, const int64_t *pads, bool sym, float *y) {
  int64_t o[4];
  for (int i = 0; i < 4; i++) o[i] = s[i] + pads[2 * i] + pads[2 * i + 1];
  const bool chan_plain = pads[6] == 0 && pads[7] == 0;
  const bool par = o[0] * o[1] * o[2] * o[3] >= PAR_MIN;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t r = 0; r < o[0] * o[1]; r++) {
    const int64_t i0 = mirror_src(r / o[1], pads[0], s[0], sym), i1 = mirror_src(r % o[1], pads[2], s[1], sym);
    const float *xr = x + (i0 * s[1] + i1) * s[2] * s[3];
    float *yr = y + r * o[2] * o[3];
    for (int64_t o2 = 0; o2 < o[2]; o2++) {
      const float *src = xr + mirror_src(o2, pads[4], s[2], sym) * s[3];
      float *dst = yr + o2 * o[3];
      if (chan_plain) std::memcpy(dst, src, sizeof(float) * s[3]);
      else
        for (int64_t o3 = 0; o3 < o[3]; o3++) dst[o3] = src[mirror_src(o3, pads[6], s[3], sym)];
    }
  }
}

void mirror_pad_grad(const float *dy, const int64_t *s, const int64_t *pads, bool sym, float *dx) {
  int64_t o[4];
  for (int i = 0; i < 4; i++) o[i] = s[i] + pads[2 * i] + pads[2 * i + 1];
  // Padded positions that read each source index, for the two outer axes (rows of dx are then independent).
  std::vector<std::vector<int64_t>> inv0(s[0]), inv1(s[1]);
  for (int64_t q = 0; q < o[0]; q++) inv0[mirror_src(q, pads[0], s[0], sym)].push_back(q);
  for (int64_t q = 0; q < o[1]; q++) inv1[mirror_src(q, pads[2], s[1], sym)].push_back(q);
  const bool chan_plain = pads[6] == 0 && pads[7] == 0;
  const bool par = o[0] * o[1] * o[2] * o[3] >= PAR_MIN;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t r = 0; r < s[0] * s[1]; r++) {
    if (par) ftz_this_thread();
    const int64_t i0 = r / s[1], i1 = r % s[1];
    float *dxr = dx + r * s[2] * s[3];
    std::memset(dxr, 0, sizeof(float) * s[2] * s[3]);
    for (int64_t q0 : inv0[i0])
      for (int64_t q1 : inv1[i1]) {
        const float *dyr = dy + (q0 * o[1] + q1) * o[2] * o[3];
        for (int64_t o2 = 0; o2 < o[2]; o2++) {
          float *dst = dxr + mirror_src(o2, pads[4], s[2], sym) * s[3];
          const float *src = dyr + o2 * o[3];
          if (chan_plain) {
#pragma omp simd
            for (int64_t j = 0; j < s[3]; j++) dst[j] += src[j];
          } else {
            for (int64_t o3 = 0; o3 < o[3]; o3++) dst[mirror_src(o3, pads[6], s[3], sym)] += src[o3];
          }
        }
      }
  }
}

// ---------------------------------------------------------------- strided copies

void strided_copy(const float *src, int64_t src_off, const int64_t *sstr, float *dst, int64_t dst_off,
                  const int64_t *dstr, const int64_t *shape, int rank) {
  if (rank == 0) {
    dst[dst_off] = src[src_off];
    return;
  }
  int64_t rows = 1;
  for (int i = 0; i < rank - 1; i++) rows *= shape[i];
  const int64_t inner = shape[rank - 1], si = sstr[rank - 1], di = dstr[rank - 1];
  if (rows == 0 || inner == 0) return;
  const bool par = rows * inner >= PAR_MIN && rows > 1;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t r = 0; r < rows; r++) {
    int64_t so = src_off, doff = dst_off, rem = r;
    for (int i = rank - 2; i >= 0; i--) {
      int64_t idx = rem % shape[i];
      rem /= shape[i];
      so += idx * sstr[i];
      doff += idx * dstr[i];
    }
    const float *sp = src + so;
    float *dp = dst + doff;
    if (si == 1 && di == 1) std::memcpy(dp, sp, sizeof(float) * inner);
    else
      for (int64_t j = 0; j < inner; j++) dp[j * di] = sp[j * si];
  }
}

void fill(float *dst, int64_t n, float v) {
  const bool par = n >= PAR_MIN;
#pragma omp parallel for simd schedule(static) if (par)
  for (int64_t i = 0; i < n; i++) dst[i] = v;
}

// ---------------------------------------------------------------- Adam

void adam(const float *p, const float *g, const float *m, const float *v, int64_t n, double lr, double b1, double b2,
          double eps, double step, float *p_out, float *m_out, float *v_out) {
  // The operation order of PyTorch's single-tensor Adam (1.13), in float32 with double bias corrections.
  const double bc1 = 1.0 - std::pow(b1, step), bc2 = 1.0 - std::pow(b2, step);
  const float step_size = (float)(lr / bc1), bc2_sqrt = (float)std::sqrt(bc2);
  const float fb1 = (float)b1, fb2 = (float)b2, omb1 = (float)(1.0 - b1), omb2 = (float)(1.0 - b2), feps = (float)eps;
  const bool par = n >= PAR_MIN;
#pragma omp parallel if (par)
  {
    if (par) ftz_this_thread();
#pragma omp for simd schedule(static)
    for (int64_t i = 0; i < n; i++) {
      float gi = g[i];
      float mi = m[i] * fb1 + omb1 * gi;
      float vi = v[i] * fb2 + omb2 * gi * gi;
      float denom = std::sqrt(vi) / bc2_sqrt + feps;
      m_out[i] = mi;
      v_out[i] = vi;
      p_out[i] = p[i] - step_size * (mi / denom);
    }
  }
}

}  // namespace cg
