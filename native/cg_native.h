// Internal interface of the cyclegan native addon: oneDNN convolutions (conv.cc) and OpenMP loops (ops.cc).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace cg {

enum Act { ACT_NONE = 0, ACT_RELU = 1, ACT_LEAKY = 2, ACT_TANH = 3, ACT_SIGMOID = 4, ACT_RELU6 = 5, ACT_ELU = 6 };

// NHWC input [n, ih, iw, ic], filter [kh, kw, ic, oc], output [n, oh, ow, oc]; d* are TF.js dilations (1 = dense).
struct ConvParams {
  int64_t n, ih, iw, ic, oc, kh, kw, oh, ow, sh, sw, dh, dw, pt, pb, pl, pr;
};

const std::string &conv_forward(const ConvParams &p, const float *x, const float *w, const float *b, float *y,
                                int act, float alpha);
const std::string &conv_backward_data(const ConvParams &p, const float *dy, const float *w, float *dx);
const std::string &conv_backward_weights(const ConvParams &p, const float *x, const float *dy, float *dw);
size_t conv_cache_size();
// Deterministic conv variant choice (a fixed rule, not timing); changing it drops the cached primitives.
void set_deterministic(bool on);
bool deterministic();

enum BinOp { B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_SQDIFF = 4, B_MAX = 5, B_MIN = 6 };
enum UnOp {
  U_ABS = 0, U_NEG = 1, U_RELU = 2, U_LEAKY = 3, U_TANH = 4, U_SIGMOID = 5, U_SQUARE = 6, U_SQRT = 7, U_EXP = 8,
  U_LOG = 9, U_STEP = 10, U_RELU6 = 11, U_SIGN = 12
};

// Broadcasting binary op (NumPy rules); shapes are given outermost first.
void binary(int op, const float *a, const int64_t *ashape, int arank, const float *b, const int64_t *bshape,
            int brank, float *out);
void greater(const float *a, const float *b, int64_t n, bool b_scalar, uint8_t *out);
void select(const uint8_t *cond, const float *t, const float *e, int64_t n, float *out);
void unary(int op, const float *x, int64_t n, float alpha, float *out);
// out[a, b] = sum over r of x[a, r, b] (accumulated in double, like tfjs-cpu); divides by r when mean.
void reduce_sum(const float *x, int64_t A, int64_t R, int64_t B, bool mean, float *out);

void instance_norm_fwd(const float *x, int64_t n, int64_t hw, int64_t c, float eps, int act, float alpha, float *y);
void instance_norm_bwd(const float *x, const float *y, const float *dy, int64_t n, int64_t hw, int64_t c, float eps,
                       int act, float alpha, float *dx);

// 4-D mirror padding; pads = [before0, after0, ..., before3, after3]; symmetric when sym.
void mirror_pad(const float *x, const int64_t *shape, const int64_t *pads, bool sym, float *y);
void mirror_pad_grad(const float *dy, const int64_t *xshape, const int64_t *pads, bool sym, float *dx);

// dst[dst_off + sum_i idx_i*dstr_i] = src[src_off + sum_i idx_i*sstr_i] over an index box `shape` (strides in
// elements, negative allowed): Slice, Reverse, Transpose and the interior of Pad are all this.
void strided_copy(const float *src, int64_t src_off, const int64_t *sstr, float *dst, int64_t dst_off,
                  const int64_t *dstr, const int64_t *shape, int rank);
void fill(float *dst, int64_t n, float v);

void adam(const float *p, const float *g, const float *m, const float *v, int64_t n, double lr, double b1, double b2,
          double eps, double step, float *p_out, float *m_out, float *v_out);

// Threads: setup flushes denormals in every worker; FtzScope does it for the calling thread for one call.
void setup_threads(int threads);
int thread_count();
struct FtzScope {
  unsigned int saved;
  FtzScope();
  ~FtzScope();
};

}  // namespace cg
