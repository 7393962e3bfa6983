// N-API surface of the native backend. Every function works on caller-owned Float32Arrays (the tfjs-cpu
// storage of the inputs and freshly allocated outputs), so no tensor data is copied on the way in or out.
#include <malloc.h>
#include <napi.h>

#include <cstdlib>

#include <dnnl.hpp>
#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cg_native.h"

namespace {

float *f32(const Napi::Value &v) { return v.As<Napi::Float32Array>().Data(); }
size_t f32len(const Napi::Value &v) { return v.As<Napi::Float32Array>().ElementLength(); }
int64_t num(const Napi::Value &v) { return (int64_t)v.As<Napi::Number>().Int64Value(); }
double dbl(const Napi::Value &v) { return v.As<Napi::Number>().DoubleValue(); }

std::vector<int64_t> ints(const Napi::Value &v) {
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

void need(bool ok, const Napi::Env &env, const char *what) {
  if (!ok) throw Napi::RangeError::New(env, std::string("cg_native: ") + what);
}

cg::ConvParams conv_params(const Napi::Env &env, const Napi::Value &v) {
  std::vector<int64_t> p = ints(v);
  need(p.size() == 17, env, "conv params need 17 numbers");
  return {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15], p[16]};
}

// The primitive and block caches are process-wide; worker threads with their own Node environment may
// call in too, so every entry point that touches them serializes here (recursive: a finalizer can run
// on the calling thread during an allocation).
static std::recursive_mutex mu;

// Wraps oneDNN errors as JS errors carrying the library's status.
template <typename F>
Napi::Value guarded(const Napi::Env &env, F &&f) {
  std::lock_guard<std::recursive_mutex> lock(mu);
  try {
    cg::FtzScope ftz;
    return f();
  } catch (const dnnl::error &e) {
    throw Napi::Error::New(env, std::string("oneDNN: ") + e.what());
  }
}

// convForward(x, w, bias|null, y, params[17], act, alpha) -> implementation name
Napi::Value ConvForward(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  cg::ConvParams p = conv_params(env, info[4]);
  need(f32len(info[0]) == (size_t)(p.n * p.ih * p.iw * p.ic), env, "conv x size");
  need(f32len(info[1]) == (size_t)(p.kh * p.kw * p.ic * p.oc), env, "conv filter size");
  need(f32len(info[3]) == (size_t)(p.n * p.oh * p.ow * p.oc), env, "conv y size");
  const float *b = nullptr;
  if (!info[2].IsNull() && !info[2].IsUndefined()) {
    need(f32len(info[2]) == (size_t)p.oc, env, "conv bias size");
    b = f32(info[2]);
  }
  return guarded(env, [&] {
    const std::string &impl =
        cg::conv_forward(p, f32(info[0]), f32(info[1]), b, f32(info[3]), (int)num(info[5]), (float)dbl(info[6]));
    return Napi::String::New(env, impl);
  });
}

// convBackwardData(dy, w, dx, params)
Napi::Value ConvBackwardData(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  cg::ConvParams p = conv_params(env, info[3]);
  need(f32len(info[0]) == (size_t)(p.n * p.oh * p.ow * p.oc), env, "conv dy size");
  need(f32len(info[1]) == (size_t)(p.kh * p.kw * p.ic * p.oc), env, "conv filter size");
  need(f32len(info[2]) == (size_t)(p.n * p.ih * p.iw * p.ic), env, "conv dx size");
  return guarded(env, [&] {
    return Napi::String::New(env, cg::conv_backward_data(p, f32(info[0]), f32(info[1]), f32(info[2])));
  });
}

// convBackwardFilter(x, dy, dw, params)
Napi::Value ConvBackwardFilter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  cg::ConvParams p = conv_params(env, info[3]);
  need(f32len(info[0]) == (size_t)(p.n * p.ih * p.iw * p.ic), env, "conv x size");
  need(f32len(info[1]) == (size_t)(p.n * p.oh * p.ow * p.oc), env, "conv dy size");
  need(f32len(info[2]) == (size_t)(p.kh * p.kw * p.ic * p.oc), env, "conv dw size");
  return guarded(env, [&] {
    return Napi::String::New(env, cg::conv_backward_weights(p, f32(info[0]), f32(info[1]), f32(info[2])));
  });
}

int64_t prod(const std::vector<int64_t> &s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// binary(op, a, aShape, b, bShape, out)
Napi::Value Binary(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> as = ints(info[2]), bs = ints(info[4]);
  need(f32len(info[1]) == (size_t)prod(as) && f32len(info[3]) == (size_t)prod(bs), env, "binary input size");
  size_t r = std::max(as.size(), bs.size());
  int64_t on = 1;
  for (size_t i = 0; i < r; i++) {
    int64_t a = i + as.size() >= r ? as[i + as.size() - r] : 1;
    int64_t b = i + bs.size() >= r ? bs[i + bs.size() - r] : 1;
    need(a == b || a == 1 || b == 1, env, "binary shapes do not broadcast");
    on *= std::max(a, b);
  }
  need(f32len(info[5]) == (size_t)on, env, "binary output size");
  return guarded(env, [&] {
    cg::binary((int)num(info[0]), f32(info[1]), as.data(), (int)as.size(), f32(info[3]), bs.data(), (int)bs.size(),
               f32(info[5]));
    return env.Undefined();
  });
}

// unary(op, x, out, alpha)
Napi::Value Unary(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  need(f32len(info[1]) == f32len(info[2]), env, "unary sizes differ");
  return guarded(env, [&] {
    cg::unary((int)num(info[0]), f32(info[1]), (int64_t)f32len(info[1]), (float)dbl(info[3]), f32(info[2]));
    return env.Undefined();
  });
}

// greater(a, b, out: Uint8Array): b has a's size or is a scalar.
Napi::Value Greater(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  size_t n = f32len(info[0]), nb = f32len(info[1]);
  Napi::Uint8Array out = info[2].As<Napi::Uint8Array>();
  need(out.ElementLength() == n && (nb == n || nb == 1), env, "greater sizes");
  return guarded(env, [&] {
    cg::greater(f32(info[0]), f32(info[1]), (int64_t)n, nb == 1 && n != 1, out.Data());
    return env.Undefined();
  });
}

// select(cond: Uint8Array, t, e, out), all of one size.
Napi::Value Select(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array cond = info[0].As<Napi::Uint8Array>();
  size_t n = cond.ElementLength();
  need(f32len(info[1]) == n && f32len(info[2]) == n && f32len(info[3]) == n, env, "select sizes");
  return guarded(env, [&] {
    cg::select(cond.Data(), f32(info[1]), f32(info[2]), (int64_t)n, f32(info[3]));
    return env.Undefined();
  });
}

// reduceSum(x, A, R, B, mean, out)
Napi::Value ReduceSum(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t A = num(info[1]), R = num(info[2]), B = num(info[3]);
  need(f32len(info[0]) == (size_t)(A * R * B) && f32len(info[5]) == (size_t)(A * B), env, "reduce sizes");
  return guarded(env, [&] {
    cg::reduce_sum(f32(info[0]), A, R, B, info[4].As<Napi::Boolean>().Value(), f32(info[5]));
    return env.Undefined();
  });
}

// instanceNorm(x, y, n, hw, c, eps, act, alpha)
Napi::Value InstanceNorm(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t n = num(info[2]), hw = num(info[3]), c = num(info[4]);
  need(f32len(info[0]) == (size_t)(n * hw * c) && f32len(info[1]) == (size_t)(n * hw * c), env, "instance norm sizes");
  return guarded(env, [&] {
    cg::instance_norm_fwd(f32(info[0]), n, hw, c, (float)dbl(info[5]), (int)num(info[6]), (float)dbl(info[7]),
                          f32(info[1]));
    return env.Undefined();
  });
}

// instanceNormGrad(x, y, dy, dx, n, hw, c, eps, act, alpha)
Napi::Value InstanceNormGrad(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t n = num(info[4]), hw = num(info[5]), c = num(info[6]);
  size_t len = (size_t)(n * hw * c);
  need(f32len(info[0]) == len && f32len(info[1]) == len && f32len(info[2]) == len && f32len(info[3]) == len, env,
       "instance norm grad sizes");
  return guarded(env, [&] {
    cg::instance_norm_bwd(f32(info[0]), f32(info[1]), f32(info[2]), n, hw, c, (float)dbl(info[7]), (int)num(info[8]),
                          (float)dbl(info[9]), f32(info[3]));
    return env.Undefined();
  });
}

// mirrorPad(x, shape4, pads8, symmetric, y) and mirrorPadGrad(dy, xShape4, pads8, symmetric, dx)
Napi::Value MirrorPadImpl(const Napi::CallbackInfo &info, bool grad) {
  Napi::Env env = info.Env();
  std::vector<int64_t> s = ints(info[1]), pads = ints(info[2]);
  need(s.size() == 4 && pads.size() == 8, env, "mirror pad wants a 4-d shape and 8 pads");
  int64_t in = prod(s), out = 1;
  for (int i = 0; i < 4; i++) {
    need(pads[2 * i] >= 0 && pads[2 * i + 1] >= 0, env, "negative mirror pad");
    need(pads[2 * i] <= s[i] && pads[2 * i + 1] <= s[i], env, "mirror pad larger than the input");
    out *= s[i] + pads[2 * i] + pads[2 * i + 1];
  }
  bool sym = info[3].As<Napi::Boolean>().Value();
  if (!sym)
    for (int i = 0; i < 8; i++) need(pads[i] < s[i / 2] || pads[i] == 0, env, "reflect pad must be smaller than the input");
  need(f32len(info[0]) == (size_t)(grad ? out : in) && f32len(info[4]) == (size_t)(grad ? in : out), env,
       "mirror pad sizes");
  return guarded(env, [&] {
    if (grad) cg::mirror_pad_grad(f32(info[0]), s.data(), pads.data(), sym, f32(info[4]));
    else cg::mirror_pad(f32(info[0]), s.data(), pads.data(), sym, f32(info[4]));
    return env.Undefined();
  });
}
Napi::Value MirrorPad(const Napi::CallbackInfo &info) { return MirrorPadImpl(info, false); }
Napi::Value MirrorPadGrad(const Napi::CallbackInfo &info) { return MirrorPadImpl(info, true); }

// adam(param, grad, m, v, pOut, mOut, vOut, lr, beta1, beta2, eps, step)
Napi::Value Adam(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  size_t n = f32len(info[0]);
  for (int i = 1; i < 7; i++) need(f32len(info[i]) == n, env, "adam sizes differ");
  return guarded(env, [&] {
    cg::adam(f32(info[0]), f32(info[1]), f32(info[2]), f32(info[3]), (int64_t)n, dbl(info[7]), dbl(info[8]),
             dbl(info[9]), dbl(info[10]), dbl(info[11]), f32(info[4]), f32(info[5]), f32(info[6]));
    return env.Undefined();
  });
}

// stridedCopy(src, srcOff, srcStrides, dst, dstOff, dstStrides, shape): bounds are checked here, once.
Napi::Value StridedCopy(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> ss = ints(info[2]), ds = ints(info[5]), shape = ints(info[6]);
  int64_t so = num(info[1]), dof = num(info[4]);
  need(ss.size() == shape.size() && ds.size() == shape.size(), env, "strided copy ranks differ");
  // Every index box corner must land inside both arrays.
  int64_t smin = so, smax = so, dmin = dof, dmax = dof;
  bool empty = false;
  for (size_t i = 0; i < shape.size(); i++) {
    if (shape[i] <= 0) { empty = true; break; }
    int64_t se = (shape[i] - 1) * ss[i], de = (shape[i] - 1) * ds[i];
    (se < 0 ? smin : smax) += se;
    (de < 0 ? dmin : dmax) += de;
  }
  if (empty) return env.Undefined();
  need(smin >= 0 && smax < (int64_t)f32len(info[0]), env, "strided copy reads out of bounds");
  need(dmin >= 0 && dmax < (int64_t)f32len(info[3]), env, "strided copy writes out of bounds");
  return guarded(env, [&] {
    cg::strided_copy(f32(info[0]), so, ss.data(), f32(info[3]), dof, ds.data(), shape.data(), (int)shape.size());
    return env.Undefined();
  });
}

// fill(dst, value)
Napi::Value Fill(const Napi::CallbackInfo &info) {
  cg::fill(f32(info[0]), (int64_t)f32len(info[0]), (float)dbl(info[1]));
  return info.Env().Undefined();
}

// trim(): hands the free pages glibc keeps in its heaps back to the OS; returns whether any were released.
Napi::Value Trim(const Napi::CallbackInfo &info) { return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0); }

// ---------------------------------------------------------------- output buffers
// Kernel outputs come from a size-class cache of aligned blocks wrapped as external ArrayBuffers. The backend
// releases a block (detaching its ArrayBuffer, so no view can reach it) when the last tensor using it is
// disposed; the next output of that class reuses it warm. This avoids both the page faults of fresh
// memory and glibc's heap growth under many short-lived large buffers, which doubled RSS at 128 px.
// Blocks never released explicitly return at GC through the finalizer.

struct Block {
  void *ptr;
  size_t cls;
  bool released;
};
static std::unordered_map<size_t, std::vector<void *>> free_blocks;
static std::unordered_map<void *, Block *> live_blocks;
static size_t cached_bytes = 0, live_bytes = 0, peak_live_bytes = 0;
static size_t cache_limit() {
  static size_t limit = [] {
    const char *v = getenv("CYCLEGAN_NATIVE_CACHE_MB");
    return (size_t)(v ? atol(v) : 1024) << 20;
  }();
  return limit;
}

// Eight classes per power of two above 4 KiB (at most 12.5% slack), 64-byte multiples below.
static size_t size_class(size_t bytes) {
  if (bytes <= 4096) return std::max<size_t>(64, (bytes + 63) / 64 * 64);
  size_t p = (size_t)1 << (63 - __builtin_clzll(bytes));
  size_t step = p / 8;
  return (bytes + step - 1) / step * step;
}

static void *block_get(size_t cls) {
  auto &list = free_blocks[cls];
  if (!list.empty()) {
    void *p = list.back();
    list.pop_back();
    cached_bytes -= cls;
    return p;
  }
  void *p = aligned_alloc(64, cls);
  if (!p) {  // out of memory: drop the cache and retry once
    for (auto &kv : free_blocks)
      for (void *q : kv.second) free(q);
    free_blocks.clear();
    cached_bytes = 0;
    p = aligned_alloc(64, cls);
  }
  return p;
}

static void block_put(void *p, size_t cls) {
  if (cached_bytes + cls > cache_limit()) {
    free(p);
    return;
  }
  free_blocks[cls].push_back(p);
  cached_bytes += cls;
}

static void finalize_block(napi_env, void *, void *hint) {
  std::lock_guard<std::recursive_mutex> lock(mu);
  Block *b = static_cast<Block *>(hint);
  if (!b->released) {
    live_blocks.erase(b->ptr);
    live_bytes -= b->cls;
    block_put(b->ptr, b->cls);
  }
  delete b;
}

// alloc(n): an uninitialized Float32Array of n elements from the block cache.
Napi::Value Alloc(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t n = num(info[0]);
  need(n > 0, env, "alloc wants a positive length");
  std::lock_guard<std::recursive_mutex> lock(mu);
  size_t bytes = (size_t)n * 4, cls = size_class(bytes);
  void *p = block_get(cls);
  if (!p) throw Napi::Error::New(env, "cg_native: out of memory");
  Block *b = new Block{p, cls, false};
  napi_value ab;
  if (napi_create_external_arraybuffer(env, p, bytes, finalize_block, b, &ab) != napi_ok) {
    block_put(p, cls);
    delete b;
    throw Napi::Error::New(env, "cg_native: could not create an external ArrayBuffer");
  }
  live_blocks[p] = b;
  live_bytes += cls;
  peak_live_bytes = std::max(peak_live_bytes, live_bytes);
  return Napi::Float32Array::New(env, (size_t)n, Napi::ArrayBuffer(env, ab), 0);
}

// release(arrayBuffer): detaches it and recycles its block now; false if it is not one of ours.
Napi::Value Release(const Napi::CallbackInfo &info) {
  std::lock_guard<std::recursive_mutex> lock(mu);
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  bool ok = false;
  if (!ab.IsDetached()) {
    auto it = live_blocks.find(ab.Data());
    if (it != live_blocks.end() && napi_detach_arraybuffer(info.Env(), ab) == napi_ok) {
      Block *b = it->second;
      live_blocks.erase(it);
      live_bytes -= b->cls;
      b->released = true;
      block_put(b->ptr, b->cls);
      ok = true;
    }
  }
  return Napi::Boolean::New(info.Env(), ok);
}

// setThreads(n): n <= 0 keeps OpenMP's default (one per core).
Napi::Value SetThreads(const Napi::CallbackInfo &info) {
  std::lock_guard<std::recursive_mutex> lock(mu);
  cg::setup_threads((int)num(info[0]));
  return Napi::Number::New(info.Env(), cg::thread_count());
}

// setDeterministic(on): conv variants by a fixed rule instead of by timing (conv.cc); returns the mode now.
Napi::Value SetDeterministic(const Napi::CallbackInfo &info) {
  std::lock_guard<std::recursive_mutex> lock(mu);
  if (info.Length() < 1 || !info[0].IsBoolean()) throw Napi::TypeError::New(info.Env(), "cg_native: setDeterministic(on: boolean)");
  cg::set_deterministic(info[0].As<Napi::Boolean>().Value());
  return Napi::Boolean::New(info.Env(), cg::deterministic());
}

Napi::Value Info(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const dnnl_version_t *v = dnnl_version();
  o.Set("onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("cpuRuntime", v->cpu_runtime == DNNL_RUNTIME_OMP ? "omp" : "other");
  o.Set("threads", cg::thread_count());
  o.Set("cachedPrimitives", (double)cg::conv_cache_size());
  o.Set("deterministic", cg::deterministic());
  struct mallinfo2 mi = mallinfo2();
  o.Set("mallocInUseMB", (double)(mi.uordblks + mi.hblkhd) / 1048576.0);
  o.Set("mallocFreeHeldMB", (double)mi.fordblks / 1048576.0);
  o.Set("blockCacheMB", (double)cached_bytes / 1048576.0);
  o.Set("liveBlocks", (double)live_blocks.size());
  o.Set("liveMB", (double)live_bytes / 1048576.0);
  o.Set("peakLiveMB", (double)peak_live_bytes / 1048576.0);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  cg::setup_threads(0);
  exports.Set("convForward", Napi::Function::New(env, ConvForward));
  exports.Set("convBackwardData", Napi::Function::New(env, ConvBackwardData));
  exports.Set("convBackwardFilter", Napi::Function::New(env, ConvBackwardFilter));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("greater", Napi::Function::New(env, Greater));
  exports.Set("select", Napi::Function::New(env, Select));
  exports.Set("reduceSum", Napi::Function::New(env, ReduceSum));
  exports.Set("instanceNorm", Napi::Function::New(env, InstanceNorm));
  exports.Set("instanceNormGrad", Napi::Function::New(env, InstanceNormGrad));
  exports.Set("mirrorPad", Napi::Function::New(env, MirrorPad));
  exports.Set("mirrorPadGrad", Napi::Function::New(env, MirrorPadGrad));
  exports.Set("stridedCopy", Napi::Function::New(env, StridedCopy));
  exports.Set("fill", Napi::Function::New(env, Fill));
  exports.Set("adam", Napi::Function::New(env, Adam));
  exports.Set("trim", Napi::Function::New(env, Trim));
  exports.Set("release", Napi::Function::New(env, Release));
  exports.Set("alloc", Napi::Function::New(env, Alloc));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setDeterministic", Napi::Function::New(env, SetDeterministic));
  exports.Set("info", Napi::Function::New(env, Info));
  return exports;
}

}  // namespace

NODE_API_MODULE(cg_native, Init)
