// oneDNN convolutions on NHWC data with TF.js filter layouts, primitives cached by shape.
#include "cg_native.h"

#include <dnnl.hpp>
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <vector>
#include <sstream>
#include <string>
#include <unordered_map>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace cg {

static engine &eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
static stream &strm() {
  static stream s(eng());
  return s;
}

static std::string key_of(char kind, const ConvParams &p, int act, float alpha, bool bias) {
  std::ostringstream k;
  k << kind << p.n << ',' << p.ih << ',' << p.iw << ',' << p.ic << ',' << p.oc << ',' << p.kh << ',' << p.kw << ','
    << p.oh << ',' << p.ow << ',' << p.sh << ',' << p.sw << ',' << p.dh << ',' << p.dw << ',' << p.pt << ','
    << p.pb << ',' << p.pl << ',' << p.pr << ',' << act << ',' << alpha << ',' << bias;
  return k.str();
}

struct Descs {
  memory::desc src, dst, wt_user, wt_any, bias;
  memory::dims strides, dil, pl, pr;
};

static Descs descs(const ConvParams &p, bool bias) {
  Descs d;
  d.src = memory::desc({p.n, p.ic, p.ih, p.iw}, dt::f32, tag::nhwc);
  d.dst = memory::desc({p.n, p.oc, p.oh, p.ow}, dt::f32, tag::nhwc);
  // TF.js conv filter [kh, kw, in, out] is oneDNN's hwio.
  d.wt_user = memory::desc({p.oc, p.ic, p.kh, p.kw}, dt::f32, tag::hwio);
  d.wt_any = memory::desc({p.oc, p.ic, p.kh, p.kw}, dt::f32, tag::any);
  d.bias = bias ? memory::desc({p.oc}, dt::f32, tag::x) : memory::desc();
  d.strides = {p.sh, p.sw};
  d.dil = {p.dh - 1, p.dw - 1};  // oneDNN counts extra gaps, TF.js the step
  d.pl = {p.pt, p.pl};
  d.pr = {p.pb, p.pr};
  return d;
}


static primitive_attr make_attr(int act, float alpha) {
  primitive_attr attr;
  if (act != ACT_NONE) {
    post_ops ops;
    switch (act) {
      case ACT_RELU: ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f); break;
      case ACT_LEAKY: ops.append_eltwise(1.f, algorithm::eltwise_relu, alpha, 0.f); break;
      case ACT_TANH: ops.append_eltwise(1.f, algorithm::eltwise_tanh, 0.f, 0.f); break;
      case ACT_SIGMOID: ops.append_eltwise(1.f, algorithm::eltwise_logistic, 0.f, 0.f); break;
      case ACT_RELU6: ops.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 6.f); break;
      case ACT_ELU: ops.append_eltwise(1.f, algorithm::eltwise_elu, 1.f, 0.f); break;
      default: break;
    }
    attr.set_post_ops(ops);
  }
  return attr;
}

// Buffers for arguments in oneDNN's own layout, shared by all cached primitives (calls are sequential):
// one per argument position, grown to the largest need, so the cache holds no activation-sized memory.
static void *scratch(size_t slot, size_t bytes) {
  static std::vector<std::pair<void *, size_t>> slots;
  if (slots.size() <= slot) slots.resize(slot + 1, {nullptr, 0});
  auto &s = slots[slot];
  if (s.second < bytes) {
    free(s.first);
    s.second = (bytes + 4095) / 4096 * 4096;
    s.first = aligned_alloc(4096, s.second);
    if (!s.first) throw std::bad_alloc();
  }
  return s.first;
}

// One argument of a primitive: the caller's buffer in TF.js layout, and when the kernel prefers another
// layout, a buffer of its own plus the reorder between the two.
struct Port {
  int arg = 0;
  bool output = false, needs_reorder = false;
  memory user, internal;
  reorder r;
  const memory &kernel_side() const { return needs_reorder ? internal : user; }
};

static Port make_port(int arg, const memory::desc &user_md, const memory::desc &want, bool output) {
  Port p;
  p.arg = arg;
  p.output = output;
  p.user = memory(user_md, eng(), DNNL_MEMORY_NONE);
  p.needs_reorder = !(want == user_md);
  if (p.needs_reorder) {
    p.internal = memory(want, eng(), DNNL_MEMORY_NONE);
    p.r = output ? reorder(p.internal, p.user) : reorder(p.user, p.internal);
  }
  return p;
}

struct Entry {
  primitive prim;
  std::vector<Port> ports;  // order fixed per kind: see the callers
  std::string impl;
  void run(const std::vector<void *> &handles) {
    std::unordered_map<int, memory> args;
    for (size_t i = 0; i < ports.size(); i++) {
      Port &p = ports[i];
      p.user.set_data_handle(handles[i]);
      if (p.needs_reorder) p.internal.set_data_handle(scratch(i, p.internal.get_desc().get_size()));
      if (p.needs_reorder && !p.output) p.r.execute(strm(), p.user, p.internal);
      args.emplace(p.arg, p.kernel_side());
    }
    prim.execute(strm(), args);
    for (Port &p : ports)
      if (p.needs_reorder && p.output) p.r.execute(strm(), p.internal, p.user);
    strm().wait();
  }
};

static std::unordered_map<std::string, std::unique_ptr<Entry>> cache;

// Builds the entry for one conv kind: 'f' forward, 'd' backward data, 'w' backward weights. When
// `blocked`, activations may take oneDNN's preferred (blocked) layout behind reorders; otherwise they stay
// NHWC. Returns null when the variant would be identical to the NHWC one.
static std::unique_ptr<Entry> build(char kind, const ConvParams &p, int act, float alpha, bool bias, bool blocked) {
  Descs d = descs(p, bias);
  memory::desc src_k = blocked ? memory::desc({p.n, p.ic, p.ih, p.iw}, dt::f32, tag::any) : d.src;
  memory::desc dst_k = blocked ? memory::desc({p.n, p.oc, p.oh, p.ow}, dt::f32, tag::any) : d.dst;
  auto fd = [&](prop_kind pk, bool with_bias) {
    return with_bias ? convolution_forward::desc(pk, algorithm::convolution_direct, src_k, d.wt_any, d.bias, dst_k,
                                                 d.strides, d.dil, d.pl, d.pr)
                     : convolution_forward::desc(pk, algorithm::convolution_direct, src_k, d.wt_any, dst_k,
                                                 d.strides, d.dil, d.pl, d.pr);
  };
  auto e = std::make_unique<Entry>();
  if (kind == 'f') {
    auto pd = convolution_forward::primitive_desc(fd(prop_kind::forward_inference, bias), make_attr(act, alpha), eng());
    if (blocked && pd.src_desc() == d.src && pd.dst_desc() == d.dst) return nullptr;
    e->prim = convolution_forward(pd);
    e->ports.push_back(make_port(DNNL_ARG_SRC, d.src, pd.src_desc(), false));
    e->ports.push_back(make_port(DNNL_ARG_WEIGHTS, d.wt_user, pd.weights_desc(), false));
    e->ports.push_back(make_port(DNNL_ARG_DST, d.dst, pd.dst_desc(), true));
    if (bias) e->ports.push_back(make_port(DNNL_ARG_BIAS, d.bias, pd.bias_desc(), false));
    e->impl = pd.impl_info_str();
  } else if (kind == 'd') {
    auto hint = convolution_forward::primitive_desc(fd(prop_kind::forward_training, false), eng());
    auto bd = convolution_backward_data::desc(algorithm::convolution_direct, src_k, d.wt_any, dst_k, d.strides, d.dil,
                                              d.pl, d.pr);
    auto pd = convolution_backward_data::primitive_desc(bd, make_attr(ACT_NONE, 0.f), eng(), hint);
    if (blocked && pd.diff_src_desc() == d.src && pd.diff_dst_desc() == d.dst) return nullptr;
    e->prim = convolution_backward_data(pd);
    e->ports.push_back(make_port(DNNL_ARG_DIFF_DST, d.dst, pd.diff_dst_desc(), false));
    e->ports.push_back(make_port(DNNL_ARG_WEIGHTS, d.wt_user, pd.weights_desc(), false));
    e->ports.push_back(make_port(DNNL_ARG_DIFF_SRC, d.src, pd.diff_src_desc(), true));
    e->impl = pd.impl_info_str();
  } else {
    auto hint = convolution_forward::primitive_desc(fd(prop_kind::forward_training, false), eng());
    auto bd = convolution_backward_weights::desc(algorithm::convolution_direct, src_k, d.wt_any, dst_k, d.strides,
                                                 d.dil, d.pl, d.pr);
    auto pd = convolution_backward_weights::primitive_desc(bd, make_attr(ACT_NONE, 0.f), eng(), hint);
    if (blocked && pd.src_desc() == d.src && pd.diff_dst_desc() == d.dst) return nullptr;
    e->prim = convolution_backward_weights(pd);
    e->ports.push_back(make_port(DNNL_ARG_SRC, d.src, pd.src_desc(), false));
    e->ports.push_back(make_port(DNNL_ARG_DIFF_DST, d.dst, pd.diff_dst_desc(), false));
    e->ports.push_back(make_port(DNNL_ARG_DIFF_WEIGHTS, d.wt_user, pd.diff_weights_desc(), true));
    e->impl = pd.impl_info_str();
  }
  if (blocked) e->impl += " (blocked)";
  return e;
}

// Deterministic mode (setDeterministic in addon.cc, from `train --deterministic`): the variant is chosen by a
// fixed rule instead of by timing both on the first call. Timing picks whichever ran faster on a loaded machine,
// and the two variants sum in different orders, so two runs with one seed could train different weights. The
// rule: the blocked layout where oneDNN's NHWC kernel is not a JIT direct kernel (its GEMM/reference fallbacks
// are the several-times-slower cases).
static bool deterministic_mode = false;

static bool prefer_blocked(char kind, const Entry &plain) {
  (void)kind;
  return plain.impl.rfind("jit:", 0) != 0 && plain.impl.rfind("brg", 0) != 0;
}

static double time_run(Entry &e, const std::vector<void *> &h) {
  double best = 1e30;
  for (int i = 0; i < 2; i++) {
    auto t0 = std::chrono::steady_clock::now();
    e.run(h);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

// First call per shape: run the NHWC and the blocked variant on the real arguments and keep the faster
// (oneDNN 2.6's NHWC backward-weights kernels are several times slower than its blocked ones for some shapes).
static const std::string &dispatch(char kind, const ConvParams &p, int act, float alpha, bool bias,
                                   const std::vector<void *> &h) {
  const std::string key = key_of(kind, p, act, alpha, bias);
  auto it = cache.find(key);
  if (it == cache.end()) {
    auto plain = build(kind, p, act, alpha, bias, false);
    std::unique_ptr<Entry> blocked;
    try {
      blocked = build(kind, p, act, alpha, bias, true);
    } catch (const dnnl::error &) {
      blocked = nullptr;
    }
    std::unique_ptr<Entry> chosen;
    if (blocked && !getenv("CYCLEGAN_NATIVE_NHWC_ONLY")) {
      if (deterministic_mode) {
        chosen = prefer_blocked(kind, *plain) ? std::move(blocked) : std::move(plain);
      } else {
        double tb = time_run(*blocked, h), tp = time_run(*plain, h);
        if (getenv("CYCLEGAN_NATIVE_TRACE"))
          fprintf(stderr, "conv %c %s plain=%s %.3fms blocked=%s %.3fms\n", kind, key.c_str(), plain->impl.c_str(), tp * 1e3,
                  blocked->impl.c_str(), tb * 1e3);
        chosen = tb < tp ? std::move(blocked) : std::move(plain);
      }
    } else {
      chosen = std::move(plain);
    }
    it = cache.emplace(key, std::move(chosen)).first;
    // The losing variant's buffers were just freed: give them back rather than let them inflate RSS.
    malloc_trim(0);
  }
  it->second->run(h);
  return it->second->impl;
}

const std::string &conv_forward(const ConvParams &p, const float *x, const float *w, const float *b, float *y,
                                int act, float alpha) {
  std::vector<void *> h{(void *)x, (void *)w, (void *)y};
  if (b) h.push_back((void *)b);
  return dispatch('f', p, act, alpha, b != nullptr, h);
}

const std::string &conv_backward_data(const ConvParams &p, const float *dy, const float *w, float *dx) {
  return dispatch('d', p, 0, 0.f, false, {(void *)dy, (void *)w, (void *)dx});
}

const std::string &conv_backward_weights(const ConvParams &p, const float *x, const float *dy, float *dw) {
  return dispatch('w', p, 0, 0.f, false, {(void *)x, (void *)dy, (void *)dw});
}

size_t conv_cache_size() { return cache.size(); }

void set_deterministic(bool on) {
  if (on == deterministic_mode) return;
  deterministic_mode = on;
  // Convs built under the other mode were chosen by the other rule: build them again on their next call.
  cache.clear();
  malloc_trim(0);
}

bool deterministic() { return deterministic_mode; }

}  // namespace cg
