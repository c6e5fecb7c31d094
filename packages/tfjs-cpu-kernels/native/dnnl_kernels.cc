// Native kernels for the tfjs cpu backend: convolutions on oneDNN, and the loops that
// dominate a training step once convolutions are fast (pooling, nearest upsampling, relu and
// its step, broadcast arithmetic, sums) in C++ with OpenMP, the threading runtime oneDNN
// itself was built with, so both share one pool of threads.
//
// Every function computes into output arrays allocated by the caller (JavaScript owns all
// memory the tfjs backend sees); the TypeScript side checks shapes, dtypes and attributes
// and passes only combinations these functions handle.

#include <immintrin.h>
#include <napi.h>
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

// Below this many elements a loop stays on the calling thread: waking the OpenMP threads
// (asleep once their spin has run out) costs more than the loop.
constexpr int64_t kParallelMin = 1 << 15;

using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;
using Tag = memory::format_tag;
using Dt = memory::data_type;

dnnl::engine& cpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpuStream() {
  static dnnl::stream stream(cpuEngine());
  return stream;
}

// ---------------------------------------------------------------------------------------
// Argument helpers

float* floats(const Napi::CallbackInfo& info, size_t i, size_t minLength) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a Float32Array");
  }
  auto a = info[i].As<Napi::Float32Array>();
  if (a.ElementLength() < minLength) {
    throw Napi::RangeError::New(info.Env(), "argument " + std::to_string(i) + " holds " +
                                                std::to_string(a.ElementLength()) + " floats, needs " +
                                                std::to_string(minLength));
  }
  return a.Data();
}

const int32_t* ints(const Napi::CallbackInfo& info, size_t i, size_t length) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be an Int32Array");
  }
  auto a = info[i].As<Napi::Int32Array>();
  if (a.ElementLength() < length) {
    throw Napi::RangeError::New(info.Env(), "argument " + std::to_string(i) + " is too short");
  }
  return a.Data();
}

int32_t intArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().Int32Value();
}

// ---------------------------------------------------------------------------------------
// Convolutions (NHWC activations, HWIO filters as tfjs stores them; stride 1, dilation 1)

struct Geom {
  int64_t n, h, w, ci, oh, ow, co, fh, fw, padTop, padLeft;

  memory::dims src() const { return {n, ci, h, w}; }
  memory::dims dst() const { return {n, co, oh, ow}; }
  memory::dims weights() const { return {co, ci, fh, fw}; }
  memory::dims padL() const { return {padTop, padLeft}; }
  memory::dims padR() const { return {oh - 1 + fh - h - padTop, ow - 1 + fw - w - padLeft}; }
  size_t srcSize() const { return static_cast<size_t>(n * h * w * ci); }
  size_t dstSize() const { return static_cast<size_t>(n * oh * ow * co); }
  size_t weightsSize() const { return static_cast<size_t>(fh * fw * ci * co); }

  std::string key(const char* kind, int extra) const {
    std::string k(kind);
    for (int64_t v : {n, h, w, ci, oh, ow, co, fh, fw, padTop, padLeft, static_cast<int64_t>(extra)}) {
      k += ':';
      k += std::to_string(v);
    }
    return k;
  }
};

Geom readGeom(const Napi::CallbackInfo& info, size_t i) {
  const int32_t* g = ints(info, i, 11);
  Geom geom{g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10]};
  for (int k = 0; k < 9; ++k) {
    if (g[k] <= 0) throw Napi::RangeError::New(info.Env(), "convolution geometry must be positive");
  }
  if (geom.padR()[0] < 0 || geom.padR()[1] < 0) throw Napi::RangeError::New(info.Env(), "convolution geometry is inconsistent");
  return geom;
}

const memory::dims kUnitStrides{1, 1};

memory::desc nhwc(const memory::dims& dims) { return memory::desc(dims, Dt::f32, Tag::nhwc); }
memory::desc hwio(const memory::dims& dims) { return memory::desc(dims, Dt::f32, Tag::hwio); }
memory::desc anyLayout(const memory::dims& dims) { return memory::desc(dims, Dt::f32, Tag::any); }

dnnl::convolution_forward::primitive_desc forwardHint(const Geom& g) {
  dnnl::convolution_forward::desc d(prop_kind::forward_training, algorithm::convolution_direct, nhwc(g.src()),
                                    anyLayout(g.weights()), nhwc(g.dst()), kUnitStrides, g.padL(), g.padR());
  return dnnl::convolution_forward::primitive_desc(d, cpuEngine());
}

// The weights in the layout the primitive chose, refreshed from the tfjs HWIO array per call.
struct WeightsInPrimitiveLayout {
  memory::desc user;
  memory::desc chosen;
  bool same = true;
  memory buffer;
  dnnl::reorder toChosen;
  dnnl::reorder fromChosen;

  WeightsInPrimitiveLayout(const Geom& g, const memory::desc& primitiveLayout, bool gradient)
      : user(hwio(g.weights())), chosen(primitiveLayout), same(user == chosen) {
    if (same) return;
    buffer = memory(chosen, cpuEngine());
    if (gradient) {
      toChosen = dnnl::reorder();
      fromChosen = dnnl::reorder(dnnl::reorder::primitive_desc(cpuEngine(), chosen, cpuEngine(), user));
    } else {
      toChosen = dnnl::reorder(dnnl::reorder::primitive_desc(cpuEngine(), user, cpuEngine(), chosen));
    }
  }

  // Memory the primitive reads: the user's array itself, or the reordered copy.
  memory input(float* userData) {
    memory userMem(user, cpuEngine(), userData);
    if (same) return userMem;
    toChosen.execute(cpuStream(), {{DNNL_ARG_FROM, userMem}, {DNNL_ARG_TO, buffer}});
    return buffer;
  }

  // Memory the primitive writes; call finishOutput after executing it.
  memory output(float* userData) { return same ? memory(user, cpuEngine(), userData) : buffer; }

  void finishOutput(float* userData) {
    if (same) return;
    memory userMem(user, cpuEngine(), userData);
    fromChosen.execute(cpuStream(), {{DNNL_ARG_FROM, buffer}, {DNNL_ARG_TO, userMem}});
  }
};

enum Activation { kLinear = 0, kRelu = 1, kSigmoid = 2 };

struct ForwardEntry {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward prim;
  WeightsInPrimitiveLayout weights;
  ForwardEntry(const dnnl::convolution_forward::primitive_desc& p, const Geom& g)
      : pd(p), prim(p), weights(g, p.weights_desc(), false) {}
};

struct BackwardDataEntry {
  dnnl::convolution_backward_data::primitive_desc pd;
  dnnl::convolution_backward_data prim;
  WeightsInPrimitiveLayout weights;
  BackwardDataEntry(const dnnl::convolution_backward_data::primitive_desc& p, const Geom& g)
      : pd(p), prim(p), weights(g, p.weights_desc(), false) {}
};

struct BackwardWeightsEntry {
  dnnl::convolution_backward_weights::primitive_desc pd;
  dnnl::convolution_backward_weights prim;
  WeightsInPrimitiveLayout weights;
  BackwardWeightsEntry(const dnnl::convolution_backward_weights::primitive_desc& p, const Geom& g)
      : pd(p), prim(p), weights(g, p.diff_weights_desc(), true) {}
};

// Primitives by geometry: a training run uses a handful of shapes over and over.
std::unordered_map<std::string, std::unique_ptr<ForwardEntry>> forwardCache;
std::unordered_map<std::string, std::unique_ptr<BackwardDataEntry>> backwardDataCache;
std::unordered_map<std::string, std::unique_ptr<BackwardWeightsEntry>> backwardWeightsCache;

ForwardEntry& forwardEntry(const Geom& g, bool bias, int activation) {
  const std::string key = g.key("fwd", (bias ? 8 : 0) + activation);
  auto found = forwardCache.find(key);
  if (found != forwardCache.end()) return *found->second;
  auto desc = bias ? dnnl::convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct,
                                                     nhwc(g.src()), anyLayout(g.weights()),
                                                     memory::desc({g.co}, Dt::f32, Tag::x), nhwc(g.dst()),
                                                     kUnitStrides, g.padL(), g.padR())
                   : dnnl::convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct,
                                                     nhwc(g.src()), anyLayout(g.weights()), nhwc(g.dst()),
                                                     kUnitStrides, g.padL(), g.padR());
  dnnl::primitive_attr attr;
  if (activation != kLinear) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, activation == kRelu ? algorithm::eltwise_relu : algorithm::eltwise_logistic, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  auto entry = std::make_unique<ForwardEntry>(dnnl::convolution_forward::primitive_desc(desc, attr, cpuEngine()), g);
  return *forwardCache.emplace(key, std::move(entry)).first->second;
}

BackwardDataEntry& backwardDataEntry(const Geom& g) {
  const std::string key = g.key("bwd_data", 0);
  auto found = backwardDataCache.find(key);
  if (found != backwardDataCache.end()) return *found->second;
  dnnl::convolution_backward_data::desc desc(algorithm::convolution_direct, nhwc(g.src()), anyLayout(g.weights()),
                                             nhwc(g.dst()), kUnitStrides, g.padL(), g.padR());
  auto entry = std::make_unique<BackwardDataEntry>(
      dnnl::convolution_backward_data::primitive_desc(desc, cpuEngine(), forwardHint(g)), g);
  return *backwardDataCache.emplace(key, std::move(entry)).first->second;
}

BackwardWeightsEntry& backwardWeightsEntry(const Geom& g) {
  const std::string key = g.key("bwd_weights", 0);
  auto found = backwardWeightsCache.find(key);
  if (found != backwardWeightsCache.end()) return *found->second;
  dnnl::convolution_backward_weights::desc desc(algorithm::convolution_direct, nhwc(g.src()), anyLayout(g.weights()),
                                                nhwc(g.dst()), kUnitStrides, g.padL(), g.padR());
  auto entry = std::make_unique<BackwardWeightsEntry>(
      dnnl::convolution_backward_weights::primitive_desc(desc, cpuEngine(), forwardHint(g)), g);
  return *backwardWeightsCache.emplace(key, std::move(entry)).first->second;
}

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F body) {
  try {
    body();
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what());
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(info.Env(), "oneDNN: out of memory");
  }
  return info.Env().Undefined();
}


// ---------------------------------------------------------------------------------------
// Convolutions to one output channel (the autoencoder's last layer). oneDNN 2.6's kernels
// vectorize over output channels and run these at a few percent of the machine's peak
// (5.5 ms forward and 4.7 ms weight gradient at batch 256 where the arithmetic takes well
// under 1 ms), so they are computed here, vectorized over input channels, with the channel
// count a compile-time constant for the common widths. Deterministic for a given build,
// whatever the thread count: each output is summed in one fixed order, and the weight
// gradient is summed per image, then over the images in order.

// Vectors of 16 floats through GCC's vector extension: one AVX-512 register in the avx512
// build, split into narrower ones by the compiler in the others. Loads and stores go through
// memcpy, so any alignment is fine.
typedef float Vec16 __attribute__((vector_size(64)));

inline Vec16 load16(const float* p) {
  Vec16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store16(float* p, Vec16 v) { std::memcpy(p, &v, sizeof v); }

typedef float Vec8 __attribute__((vector_size(32)));
typedef float Vec4 __attribute__((vector_size(16)));

// The lanes' sum as a tree of halves (a chain of 15 dependent adds would bound the loop).
inline float sum16(Vec16 v) {
  const Vec8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  const Vec4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
  return (b[0] + b[2]) + (b[1] + b[3]);
}

// Calls visit(tap, px) for each filter tap of output pixel (oy, ox) whose input pixel lies
// in the image: tap = ky * fw + kx, px that pixel's first channel. With kF fixed the loops
// unroll and `tap` is a constant, so register arrays can be indexed by it.
template <int kF, typename Visit>
inline void forEachTap(const Geom& g, const float* image, int64_t channels, int64_t oy, int64_t ox, Visit visit) {
  const int64_t fh = kF > 0 ? kF : g.fh, fw = kF > 0 ? kF : g.fw;
  for (int64_t ky = 0; ky < fh; ++ky) {
    const int64_t iy = oy + ky - g.padTop;
    if (iy < 0 || iy >= g.h) continue;
    for (int64_t kx = 0; kx < fw; ++kx) {
      const int64_t ix = ox + kx - g.padLeft;
      if (ix < 0 || ix >= g.w) continue;
      visit(ky * fw + kx, image + (iy * g.w + ix) * channels);
    }
  }
}

// The convolution to one channel for kC channels (0: any) and kF x kF filters (0: any). With
// both fixed and kC a multiple of 16 (kVectorLoops), the filter (or, for the weight gradient,
// its accumulators) lives in kF * kF * kC / 16 vector registers; the other shapes take the
// same loops one channel at a time.
template <int kC, int kF>
constexpr bool kVectorLoops = kC > 0 && kC % 16 == 0 && kF > 0;

template <int kC, int kF>
void singleOutForwardImpl(const Geom& g, const float* x, const float* w, const float* b, float* y, bool relu) {
  const int64_t C = kC > 0 ? kC : g.ci;
  const float bias = b ? b[0] : 0.0f;
  constexpr int kVectors = kVectorLoops<kC, kF> ? kF * kF * kC / 16 : 1;
  Vec16 wv[kVectors];
  if constexpr (kVectorLoops<kC, kF>) {
    for (int v = 0; v < kVectors; ++v) wv[v] = load16(w + 16 * v);
  }
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < g.n * g.oh; ++row) {
    const int64_t n = row / g.oh, oy = row % g.oh;
    const float* image = x + n * g.h * g.w * C;
    float* out = y + row * g.ow;
    for (int64_t ox = 0; ox < g.ow; ++ox) {
      float sum = 0.0f;
      if constexpr (kVectorLoops<kC, kF>) {
        Vec16 acc[kC / 16] = {};
        forEachTap<kF>(g, image, kC, oy, ox, [&](int64_t tap, const float* px) {
          for (int v = 0; v < kC / 16; ++v) acc[v] += load16(px + 16 * v) * wv[tap * (kC / 16) + v];
        });
        for (int v = 1; v < kC / 16; ++v) acc[0] += acc[v];
        sum = sum16(acc[0]);
      } else {
        forEachTap<kF>(g, image, C, oy, ox, [&](int64_t tap, const float* px) {
          for (int64_t c = 0; c < C; ++c) sum += px[c] * w[tap * C + c];
        });
      }
      const float v = sum + bias;
      out[ox] = relu ? std::max(v, 0.0f) : v;
    }
  }
}

void singleOutForward(const Geom& g, const float* x, const float* w, const float* b, float* y, bool relu) {
  const bool three = g.fh == 3 && g.fw == 3;
  if (three && g.ci == 16) return singleOutForwardImpl<16, 3>(g, x, w, b, y, relu);
  if (three && g.ci == 32) return singleOutForwardImpl<32, 3>(g, x, w, b, y, relu);
  return singleOutForwardImpl<0, 0>(g, x, w, b, y, relu);
}

template <int kC, int kF>
void singleOutBackwardWeightsImpl(const Geom& g, const float* x, const float* dy, float* dw) {
  const int64_t C = kC > 0 ? kC : g.ci;
  const int64_t K = g.fh * g.fw * C;
  std::vector<float> partial(static_cast<size_t>(g.n * K));
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < g.n; ++n) {
    float* out = partial.data() + n * K;
    const float* image = x + n * g.h * g.w * C;
    const float* dyImage = dy + n * g.oh * g.ow;
    if constexpr (kVectorLoops<kC, kF>) {
      constexpr int kVectors = kF * kF * kC / 16;
      Vec16 acc[kVectors] = {};
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const float d = dyImage[oy * g.ow + ox];
          forEachTap<kF>(g, image, kC, oy, ox, [&](int64_t tap, const float* px) {
            for (int v = 0; v < kC / 16; ++v) acc[tap * (kC / 16) + v] += d * load16(px + 16 * v);
          });
        }
      }
      for (int v = 0; v < kVectors; ++v) store16(out + 16 * v, acc[v]);
    } else {
      std::fill(out, out + K, 0.0f);
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const float d = dyImage[oy * g.ow + ox];
          forEachTap<kF>(g, image, C, oy, ox, [&](int64_t tap, const float* px) {
            for (int64_t c = 0; c < C; ++c) out[tap * C + c] += d * px[c];
          });
        }
      }
    }
  }
  std::fill(dw, dw + K, 0.0f);
  for (int64_t n = 0; n < g.n; ++n) {
    const float* p = partial.data() + n * K;
    for (int64_t k = 0; k < K; ++k) dw[k] += p[k];
  }
}

void singleOutBackwardWeights(const Geom& g, const float* x, const float* dy, float* dw) {
  const bool three = g.fh == 3 && g.fw == 3;
  if (three && g.ci == 16) return singleOutBackwardWeightsImpl<16, 3>(g, x, dy, dw);
  if (three && g.ci == 32) return singleOutBackwardWeightsImpl<32, 3>(g, x, dy, dw);
  return singleOutBackwardWeightsImpl<0, 0>(g, x, dy, dw);
}

// convForward(x, filter, bias | null, y, geometry, activation)
Napi::Value ConvForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const Geom g = readGeom(info, 4);
    float* x = floats(info, 0, g.srcSize());
    float* w = floats(info, 1, g.weightsSize());
    const bool hasBias = !info[2].IsNull() && !info[2].IsUndefined();
    float* b = hasBias ? floats(info, 2, static_cast<size_t>(g.co)) : nullptr;
    float* y = floats(info, 3, g.dstSize());
    const int activation = intArg(info, 5);
    if (activation < kLinear || activation > kSigmoid) throw Napi::RangeError::New(info.Env(), "unknown activation");
    if (g.co == 1 && activation != kSigmoid) return singleOutForward(g, x, w, b, y, activation == kRelu);
    ForwardEntry& e = forwardEntry(g, hasBias, activation);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(e.pd.src_desc(), cpuEngine(), x)},
                                         {DNNL_ARG_WEIGHTS, e.weights.input(w)},
                                         {DNNL_ARG_DST, memory(e.pd.dst_desc(), cpuEngine(), y)}};
    if (hasBias) args.emplace(DNNL_ARG_BIAS, memory(e.pd.bias_desc(), cpuEngine(), b));
    e.prim.execute(cpuStream(), args);
    cpuStream().wait();
  });
}

// convBackwardData(dy, filter, dx, geometry)
Napi::Value ConvBackwardData(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const Geom g = readGeom(info, 3);
    float* dy = floats(info, 0, g.dstSize());
    float* w = floats(info, 1, g.weightsSize());
    float* dx = floats(info, 2, g.srcSize());
    BackwardDataEntry& e = backwardDataEntry(g);
    e.prim.execute(cpuStream(), {{DNNL_ARG_DIFF_DST, memory(e.pd.diff_dst_desc(), cpuEngine(), dy)},
                                 {DNNL_ARG_WEIGHTS, e.weights.input(w)},
                                 {DNNL_ARG_DIFF_SRC, memory(e.pd.diff_src_desc(), cpuEngine(), dx)}});
    cpuStream().wait();
  });
}

// convBackwardWeights(x, dy, dw, geometry)
Napi::Value ConvBackwardWeights(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const Geom g = readGeom(info, 3);
    float* x = floats(info, 0, g.srcSize());
    float* dy = floats(info, 1, g.dstSize());
    float* dw = floats(info, 2, g.weightsSize());
    if (g.co == 1) return singleOutBackwardWeights(g, x, dy, dw);
    BackwardWeightsEntry& e = backwardWeightsEntry(g);
    e.prim.execute(cpuStream(), {{DNNL_ARG_SRC, memory(e.pd.src_desc(), cpuEngine(), x)},
                                 {DNNL_ARG_DIFF_DST, memory(e.pd.diff_dst_desc(), cpuEngine(), dy)},
                                 {DNNL_ARG_DIFF_WEIGHTS, e.weights.output(dw)}});
    e.weights.finishOutput(dw);
    cpuStream().wait();
  });
}

// convImplementations(geometry): the oneDNN implementations chosen for the three passes.
Napi::Value ConvImplementations(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  guarded(info, [&] {
    const Geom g = readGeom(info, 0);
    out.Set("forward", forwardEntry(g, true, kRelu).pd.impl_info_str());
    out.Set("backwardData", backwardDataEntry(g).pd.impl_info_str());
    out.Set("backwardWeights", backwardWeightsEntry(g).pd.impl_info_str());
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Max pooling, NHWC, any window/stride/padding. Same ties and NaN rules as the stock
// kernels: the first strictly greater value in row-major window order wins, NaN never
// wins, a window with no winner outputs -Infinity and passes no gradient.

struct PoolDims {
  int64_t n, h, w, c, oh, ow, fh, fw, sh, sw, padTop, padLeft;
};

PoolDims readPool(const Napi::CallbackInfo& info, size_t i) {
  const int32_t* d = ints(info, i, 12);
  PoolDims p{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11]};
  for (int k = 0; k < 10; ++k) {
    if (d[k] <= 0) throw Napi::RangeError::New(info.Env(), "pooling geometry must be positive");
  }
  return p;
}

// Calls visit(outOffset) per output pixel of image b, after filling `best` with the window's
// per-channel maximum and, when kTrackWhere, `where` with the winning pixel (index within the
// image, -1: none). Written without branches so that the channel loop vectorizes: "first
// strictly greater wins" is a select on v > best, which NaN never passes.
template <bool kTrackWhere, typename Visit>
void poolWindows(const PoolDims& p, const float* x, int64_t b, float* best, int32_t* where, Visit visit) {
  const int64_t C = p.c;
  const float* image = x + b * p.h * p.w * C;
  for (int64_t oy = 0; oy < p.oh; ++oy) {
    const int64_t rc = oy * p.sh - p.padTop;
    const int64_t r0 = std::max<int64_t>(0, rc), r1 = std::min(p.h, rc + p.fh);
    for (int64_t ox = 0; ox < p.ow; ++ox) {
      const int64_t cc = ox * p.sw - p.padLeft;
      const int64_t c0 = std::max<int64_t>(0, cc), c1 = std::min(p.w, cc + p.fw);
      std::fill(best, best + C, -std::numeric_limits<float>::infinity());
      if (kTrackWhere) std::fill(where, where + C, -1);
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t c = c0; c < c1; ++c) {
          const int32_t pixel = static_cast<int32_t>(r * p.w + c);
          const float* px = image + pixel * C;
#pragma omp simd
          for (int64_t ch = 0; ch < C; ++ch) {
            const float v = px[ch];
            const bool greater = v > best[ch];
            best[ch] = greater ? v : best[ch];
            if (kTrackWhere) where[ch] = greater ? pixel : where[ch];
          }
        }
      }
      visit(((b * p.oh + oy) * p.ow + ox) * C);
    }
  }
}

// maxPool(x, y, dims)
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  const PoolDims p = readPool(info, 2);
  const float* x = floats(info, 0, static_cast<size_t>(p.n * p.h * p.w * p.c));
  float* y = floats(info, 1, static_cast<size_t>(p.n * p.oh * p.ow * p.c));
#pragma omp parallel
  {
    std::vector<float> best(p.c);
#pragma omp for schedule(static)
    for (int64_t b = 0; b < p.n; ++b) {
      poolWindows<false>(p, x, b, best.data(), nullptr, [&](int64_t o) { std::copy(best.begin(), best.end(), y + o); });
    }
  }
  return info.Env().Undefined();
}

// maxPoolGrad(x, dy, dx, dims): dx is overwritten. Each thread zeroes the images it then
// accumulates into, while they are in its cache (a separate single-threaded fill of dx cost
// as much as the loop itself).
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  const PoolDims p = readPool(info, 3);
  if (p.h * p.w > std::numeric_limits<int32_t>::max()) throw Napi::RangeError::New(info.Env(), "pooling image too large");
  const float* x = floats(info, 0, static_cast<size_t>(p.n * p.h * p.w * p.c));
  const float* dy = floats(info, 1, static_cast<size_t>(p.n * p.oh * p.ow * p.c));
  float* dx = floats(info, 2, static_cast<size_t>(p.n * p.h * p.w * p.c));
#pragma omp parallel
  {
    std::vector<float> best(p.c);
    std::vector<int32_t> where(p.c);
#pragma omp for schedule(static)
    for (int64_t b = 0; b < p.n; ++b) {
      float* image = dx + b * p.h * p.w * p.c;
      std::fill(image, image + p.h * p.w * p.c, 0.0f);
      poolWindows<true>(p, x, b, best.data(), where.data(), [&](int64_t o) {
        for (int64_t ch = 0; ch < p.c; ++ch) {
          if (where[ch] >= 0) image[static_cast<int64_t>(where[ch]) * p.c + ch] += dy[o + ch];
        }
      });
    }
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------
// Nearest-neighbour resize and its gradient, from per-axis source-index tables computed by
// the TypeScript side with tfjs's formulas. dims: [n, oldH, oldW, c, newH, newW].

struct ResizeDims {
  int64_t n, oldH, oldW, c, newH, newW;
};

ResizeDims readResize(const Napi::CallbackInfo& info, size_t i) {
  const int32_t* d = ints(info, i, 6);
  ResizeDims r{d[0], d[1], d[2], d[3], d[4], d[5]};
  for (int k = 0; k < 6; ++k) {
    if (d[k] <= 0) throw Napi::RangeError::New(info.Env(), "resize geometry must be positive");
  }
  return r;
}

const int32_t* indexTable(const Napi::CallbackInfo& info, size_t i, int64_t length, int64_t bound) {
  const int32_t* t = ints(info, i, static_cast<size_t>(length));
  for (int64_t k = 0; k < length; ++k) {
    if (t[k] < 0 || t[k] >= bound) throw Napi::RangeError::New(info.Env(), "resize index out of range");
  }
  return t;
}

// resizeNearest(x, y, rows, cols, dims)
Napi::Value ResizeNearest(const Napi::CallbackInfo& info) {
  const ResizeDims d = readResize(info, 4);
  const float* x = floats(info, 0, static_cast<size_t>(d.n * d.oldH * d.oldW * d.c));
  float* y = floats(info, 1, static_cast<size_t>(d.n * d.newH * d.newW * d.c));
  const int32_t* rows = indexTable(info, 2, d.newH, d.oldH);
  const int32_t* cols = indexTable(info, 3, d.newW, d.oldW);
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < d.n; ++b) {
    for (int64_t r = 0; r < d.newH; ++r) {
      const float* srcRow = x + (b * d.oldH + rows[r]) * d.oldW * d.c;
      float* dst = y + (b * d.newH + r) * d.newW * d.c;
      for (int64_t c = 0; c < d.newW; ++c) std::copy_n(srcRow + cols[c] * d.c, d.c, dst + c * d.c);
    }
  }
  return info.Env().Undefined();
}

// resizeNearestGrad(dy, dx, rows, cols, dims): dx is overwritten (zeroed image by image, as
// in maxPoolGrad).
Napi::Value ResizeNearestGrad(const Napi::CallbackInfo& info) {
  const ResizeDims d = readResize(info, 4);
  const float* dy = floats(info, 0, static_cast<size_t>(d.n * d.newH * d.newW * d.c));
  float* dx = floats(info, 1, static_cast<size_t>(d.n * d.oldH * d.oldW * d.c));
  const int32_t* rows = indexTable(info, 2, d.newH, d.oldH);
  const int32_t* cols = indexTable(info, 3, d.newW, d.oldW);
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < d.n; ++b) {
    std::fill(dx + b * d.oldH * d.oldW * d.c, dx + (b + 1) * d.oldH * d.oldW * d.c, 0.0f);
    for (int64_t r = 0; r < d.newH; ++r) {
      float* dstRow = dx + (b * d.oldH + rows[r]) * d.oldW * d.c;
      const float* src = dy + (b * d.newH + r) * d.newW * d.c;
      for (int64_t c = 0; c < d.newW; ++c) {
        float* dst = dstRow + cols[c] * d.c;
        const float* s = src + c * d.c;
        for (int64_t ch = 0; ch < d.c; ++ch) dst[ch] += s[ch];
      }
    }
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------
// Elementwise

enum Unary { kUnaryRelu = 0, kUnaryStep = 1, kUnarySigmoid = 2, kUnarySqrt = 3, kUnarySquare = 4 };

// unary(op, x, y, alpha)
Napi::Value UnaryOp(const Napi::CallbackInfo& info) {
  const int op = intArg(info, 0);
  auto xa = info[1].As<Napi::Float32Array>();
  const int64_t n = static_cast<int64_t>(xa.ElementLength());
  const float* x = floats(info, 1, 0);
  float* y = floats(info, 2, static_cast<size_t>(n));
  const float alpha = info[3].IsNumber() ? info[3].As<Napi::Number>().FloatValue() : 0.f;
  switch (op) {
    case kUnaryRelu:
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) y[i] = std::isnan(x[i]) ? x[i] : std::max(0.f, x[i]);
      break;
    case kUnaryStep:
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.f ? 1.f : std::isnan(x[i]) ? x[i] : alpha;
      break;
    case kUnarySigmoid:
      // In double, like the stock kernel's Math.exp, then rounded once.
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x[i]))));
      break;
    case kUnarySqrt:
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) y[i] = std::sqrt(x[i]);
      break;
    case kUnarySquare:
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] * x[i];
      break;
    default:
      throw Napi::RangeError::New(info.Env(), "unknown unary op");
  }
  return info.Env().Undefined();
}

enum Binary { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kSquaredDifference = 4 };

template <typename Op>
void broadcastRows(const float* full, const float* row, float* out, int64_t n, int64_t rowLength, bool rowFirst, Op op) {
  if (rowLength == 1) {
    const float s = row[0];
    if (rowFirst) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) out[i] = op(s, full[i]);
    } else {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) out[i] = op(full[i], s);
    }
    return;
  }
  const int64_t rows = n / rowLength;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const float* f = full + r * rowLength;
    float* o = out + r * rowLength;
    if (rowFirst) {
#pragma omp simd
      for (int64_t j = 0; j < rowLength; ++j) o[j] = op(row[j], f[j]);
    } else {
#pragma omp simd
      for (int64_t j = 0; j < rowLength; ++j) o[j] = op(f[j], row[j]);
    }
  }
}

// binary(op, full, row, out, rowFirst): out[i] = full[i] op row[i % row.length], or
// row[i % row.length] op full[i] when rowFirst. row.length divides full.length.
Napi::Value BinaryOp(const Napi::CallbackInfo& info) {
  const int op = intArg(info, 0);
  auto fa = info[1].As<Napi::Float32Array>();
  auto ra = info[2].As<Napi::Float32Array>();
  const int64_t n = static_cast<int64_t>(fa.ElementLength());
  const int64_t m = static_cast<int64_t>(ra.ElementLength());
  const float* full = floats(info, 1, 0);
  const float* row = floats(info, 2, 1);
  float* out = floats(info, 3, static_cast<size_t>(n));
  const bool rowFirst = info[4].ToBoolean();
  if (m == 0 || n % m != 0) throw Napi::RangeError::New(info.Env(), "row length must divide the full length");
  switch (op) {
    case kAdd: broadcastRows(full, row, out, n, m, rowFirst, [](float a, float b) { return a + b; }); break;
    case kSub: broadcastRows(full, row, out, n, m, rowFirst, [](float a, float b) { return a - b; }); break;
    case kMul: broadcastRows(full, row, out, n, m, rowFirst, [](float a, float b) { return a * b; }); break;
    case kDiv: broadcastRows(full, row, out, n, m, rowFirst, [](float a, float b) { return a / b; }); break;
    case kSquaredDifference:
      broadcastRows(full, row, out, n, m, rowFirst, [](float a, float b) { return (a - b) * (a - b); });
      break;
    default: throw Napi::RangeError::New(info.Env(), "unknown binary op");
  }
  return info.Env().Undefined();
}

// Column sums of `rows` rows of `cols`, in double: the rows are cut into a fixed number of
// bands, each band's rows are visited in order by row(r, acc) (which adds row r into acc) in
// parallel, then the bands are added in order, so the result does not depend on the thread
// count. Shared by sumLeading and reluBiasGrad, which must give the same bits.
template <typename Row>
void bandedColumnSums(int64_t rows, int64_t cols, float* out, Row row) {
  constexpr int64_t kBands = 16;
  const int64_t bands = std::min(kBands, rows);
  std::vector<double> partial(static_cast<size_t>(bands * cols), 0.0);
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t band = 0; band < bands; ++band) {
    const int64_t r0 = rows * band / bands, r1 = rows * (band + 1) / bands;
    double* acc = partial.data() + band * cols;
    for (int64_t r = r0; r < r1; ++r) row(r, acc);
  }
  for (int64_t j = 0; j < cols; ++j) {
    double s = 0;
    for (int64_t band = 0; band < bands; ++band) s += partial[band * cols + j];
    out[j] = static_cast<float>(s);
  }
}

// sumLeading(x, out, rows, cols): out[j] = sum over r of x[r * cols + j], in double, in
// bands (bandedColumnSums).
Napi::Value SumLeading(const Napi::CallbackInfo& info) {
  const int64_t rows = intArg(info, 2), cols = intArg(info, 3);
  if (rows <= 0 || cols <= 0) throw Napi::RangeError::New(info.Env(), "sum geometry must be positive");
  const float* x = floats(info, 0, static_cast<size_t>(rows * cols));
  float* out = floats(info, 1, static_cast<size_t>(cols));
  bandedColumnSums(rows, cols, out, [&](int64_t r, double* acc) {
    const float* xr = x + r * cols;
#pragma omp simd
    for (int64_t j = 0; j < cols; ++j) acc[j] += xr[j];
  });
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------
// Box copies: Slice (the crop) and PadV2 (its gradient), any rank up to 8.

// The rank of a box kernel's shapes, read from the Int32Array at argument 1: 1 to 8.
size_t boxRank(const Napi::CallbackInfo& info, const char* name) {
  if (!info[1].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "argument 1 must be an Int32Array");
  const size_t rank = info[1].As<Napi::TypedArray>().ElementLength();
  if (rank < 1 || rank > 8) throw Napi::RangeError::New(info.Env(), std::string(name) + " takes ranks 1 to 8");
  return rank;
}

// padBox(src, srcShape, dst, dstShape, before, fill): dst = src placed at `before`, every
// other element `fill`; each element of dst is written once (a fill of the whole of dst, then
// a copy, wrote the inside twice), its rows along the last axis in parallel.
Napi::Value PadBox(const Napi::CallbackInfo& info) {
  const size_t rank = boxRank(info, "padBox");
  const int32_t* srcShape = ints(info, 1, rank);
  const int32_t* dstShape = ints(info, 3, rank);
  const int32_t* before = ints(info, 4, rank);
  if (!info[5].IsNumber()) throw Napi::TypeError::New(info.Env(), "argument 5 must be a number");
  const float fill = info[5].As<Napi::Number>().FloatValue();
  int64_t srcTotal = 1, dstTotal = 1;
  for (size_t d = 0; d < rank; ++d) {
    if (srcShape[d] < 0 || before[d] < 0 || before[d] + srcShape[d] > dstShape[d]) {
      throw Napi::RangeError::New(info.Env(), "padBox: the source does not fit the destination");
    }
    srcTotal *= srcShape[d];
    dstTotal *= dstShape[d];
  }
  const float* src = floats(info, 0, static_cast<size_t>(srcTotal));
  float* dst = floats(info, 2, static_cast<size_t>(dstTotal));
  const int64_t last = static_cast<int64_t>(rank) - 1;
  const int64_t rowLength = dstShape[last];
  if (dstTotal == 0 || rowLength == 0) return info.Env().Undefined();
  const int64_t rows = dstTotal / rowLength;
  const int64_t srcRow = srcShape[last], lead = before[last];
#pragma omp parallel for schedule(static) if (dstTotal >= kParallelMin)
  for (int64_t i = 0; i < rows; ++i) {
    float* out = dst + i * rowLength;
    // The row's coordinates on the other axes, and its source row when it is inside.
    int64_t rest = i, srcOffset = 0, srcStride = srcRow;
    bool inside = srcTotal > 0;
    for (int64_t d = last - 1; d >= 0 && inside; --d) {
      const int64_t c = rest % dstShape[d] - before[d];
      rest /= dstShape[d];
      if (c < 0 || c >= srcShape[d]) inside = false;
      srcOffset += c * srcStride;
      srcStride *= srcShape[d];
    }
    if (!inside) {
      std::fill_n(out, rowLength, fill);
      continue;
    }
    std::fill_n(out, lead, fill);
    std::copy_n(src + srcOffset, srcRow, out + lead);
    std::fill_n(out + lead + srcRow, rowLength - lead - srcRow, fill);
  }
  return info.Env().Undefined();
}

// copyBox(src, srcShape, srcBegin, dst, dstShape, dstBegin, size): copies the box of extent
// `size` at srcBegin in src to dstBegin in dst. Trailing axes whole in both are merged into
// one contiguous run; runs are copied in parallel.
Napi::Value CopyBox(const Napi::CallbackInfo& info) {
  const size_t rank = boxRank(info, "copyBox");
  const int32_t* srcShape = ints(info, 1, rank);
  const int32_t* srcBegin = ints(info, 2, rank);
  const int32_t* dstShape = ints(info, 4, rank);
  const int32_t* dstBegin = ints(info, 5, rank);
  const int32_t* size = ints(info, 6, rank);
  int64_t srcTotal = 1, dstTotal = 1;
  for (size_t d = 0; d < rank; ++d) {
    if (size[d] < 0 || srcBegin[d] < 0 || dstBegin[d] < 0 || srcBegin[d] + size[d] > srcShape[d] ||
        dstBegin[d] + size[d] > dstShape[d]) {
      throw Napi::RangeError::New(info.Env(), "copyBox: the box does not fit both shapes");
    }
    srcTotal *= srcShape[d];
    dstTotal *= dstShape[d];
  }
  const float* src = floats(info, 0, static_cast<size_t>(srcTotal));
  float* dst = floats(info, 3, static_cast<size_t>(dstTotal));
  int64_t srcStride[8], dstStride[8];
  for (int64_t d = static_cast<int64_t>(rank) - 1, ss = 1, ds = 1; d >= 0; --d) {
    srcStride[d] = ss;
    dstStride[d] = ds;
    ss *= srcShape[d];
    ds *= dstShape[d];
  }
  int64_t inner = static_cast<int64_t>(rank) - 1;
  int64_t run = size[inner];
  while (inner > 0 && size[inner] == srcShape[inner] && size[inner] == dstShape[inner]) {
    --inner;
    run *= size[inner];
  }
  int64_t outer = 1;
  for (int64_t d = 0; d < inner; ++d) outer *= size[d];
  if (run == 0 || outer == 0) return info.Env().Undefined();
  int64_t srcBase = 0, dstBase = 0;
  for (size_t d = 0; d < rank; ++d) {
    srcBase += srcBegin[d] * srcStride[d];
    dstBase += dstBegin[d] * dstStride[d];
  }
#pragma omp parallel for schedule(static) if (outer * run >= kParallelMin)
  for (int64_t i = 0; i < outer; ++i) {
    int64_t rest = i, so = srcBase, dOff = dstBase;
    for (int64_t d = inner - 1; d >= 0; --d) {
      const int64_t c = rest % size[d];
      rest /= size[d];
      so += c * srcStride[d];
      dOff += c * dstStride[d];
    }
    std::copy_n(src + so, run, dst + dOff);
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------
// Threads and identity

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const int n = intArg(info, 0);
  if (n < 1) throw Napi::RangeError::New(info.Env(), "threads must be at least 1");
  omp_set_num_threads(n);
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), omp_get_max_threads()); }

Napi::Value Version(const Napi::CallbackInfo& info) {
  const dnnl_version_t* v = dnnl_version();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  out.Set("cpuRuntime", v->cpu_runtime == DNNL_RUNTIME_OMP ? "omp" : "other");
  out.Set("isa", static_cast<double>(static_cast<int>(dnnl::get_effective_cpu_isa())));
  return out;
}

// reluBiasGrad(dy, y, dyPre, dbias, channels): the gradient of relu(conv + bias) from relu's
// output y, in one pass: dyPre = dy * step(y) (step as the Step kernel: 1 where y > 0, NaN
// where y is NaN, else 0), and dbias[c] = the sum of dyPre over every row, summed as
// sumLeading sums (bandedColumnSums), so that both equal the Step, Multiply and Sum kernels'
// results bit for bit.
Napi::Value ReluBiasGrad(const Napi::CallbackInfo& info) {
  const int64_t cols = intArg(info, 4);
  if (cols <= 0) throw Napi::RangeError::New(info.Env(), "channels must be positive");
  floats(info, 0, 1);  // checks the type
  const size_t n = info[0].As<Napi::Float32Array>().ElementLength();
  if (n == 0 || n % static_cast<size_t>(cols) != 0) throw Napi::RangeError::New(info.Env(), "dy is not whole rows of channels");
  const int64_t rows = static_cast<int64_t>(n) / cols;
  const float* dy = floats(info, 0, n);
  const float* y = floats(info, 1, n);
  float* dyPre = floats(info, 2, n);
  float* dbias = floats(info, 3, static_cast<size_t>(cols));
  bandedColumnSums(rows, cols, dbias, [&](int64_t r, double* acc) {
    const float* dyr = dy + r * cols;
    const float* yr = y + r * cols;
    float* outr = dyPre + r * cols;
#pragma omp simd
    for (int64_t j = 0; j < cols; ++j) {
      const float yv = yr[j];
      const float step = yv > 0.0f ? 1.0f : (yv != yv ? yv : 0.0f);
      const float g = dyr[j] * step;
      outr[j] = g;
      acc[j] += g;
    }
  });
  return info.Env().Undefined();
}

// adamStep(g, m, v, w, mOut, vOut, wOut, scalars): one Adam update of one variable, the
// sequence of float32 operations ResumableAdam's tfjs ops perform, each rounded as they round
// it (the build keeps every product, sum, quotient and square root separate: no contraction),
// so the same bits in one pass instead of a dozen kernels. scalars: [beta1, 1 - beta1, beta2,
// 1 - beta2, bias correction 1, bias correction 2, epsilon, learning rate], as float32.
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  const size_t n = info[0].As<Napi::Float32Array>().ElementLength();
  const float* g = floats(info, 0, n);
  const float* m = floats(info, 1, n);
  const float* v = floats(info, 2, n);
  const float* w = floats(info, 3, n);
  float* mOut = floats(info, 4, n);
  float* vOut = floats(info, 5, n);
  float* wOut = floats(info, 6, n);
  const float* s = floats(info, 7, 8);
  const float b1 = s[0], ob1 = s[1], b2 = s[2], ob2 = s[3], c1 = s[4], c2 = s[5], eps = s[6], lr = s[7];
  const int64_t count = static_cast<int64_t>(n);
#pragma omp parallel for simd schedule(static) if (count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * ob1;
    const float vi = v[i] * b2 + (gi * gi) * ob2;
    mOut[i] = mi;
    vOut[i] = vi;
    const float update = (mi / c1) / (std::sqrt(vi / c2) + eps);
    wOut[i] = w[i] - update * lr;
  }
  return info.Env().Undefined();
}

// imageQuality(images, reference, count, side, weights, constants, sq, ssim): per image, the
// sum of squared differences and the SSIM (11x11 Gaussian window, separable, in double, as
// the worker's image-quality.ts computes them: the same operations in the same order, so the
// same bits). weights: the window's taps w0..w5 from its edge to its centre; constants: C1,
// C2. Images are independent, so they are spread over the threads.
Napi::Value ImageQuality(const Napi::CallbackInfo& info) {
  const int64_t count = intArg(info, 2), side = intArg(info, 3);
  constexpr int64_t kWindow = 11;
  if (count <= 0 || side < kWindow) throw Napi::RangeError::New(info.Env(), "imageQuality needs images of at least 11 x 11 pixels");
  const int64_t px = side * side;
  const float* a = floats(info, 0, static_cast<size_t>(count * px));
  const float* b = floats(info, 1, static_cast<size_t>(count * px));
  auto doubles = [&](size_t i, size_t length) {
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[i].As<Napi::Float64Array>().ElementLength() < length) {
      throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a Float64Array of " + std::to_string(length));
    }
    return info[i].As<Napi::Float64Array>().Data();
  };
  const double* wt = doubles(4, 6);
  const double* k = doubles(5, 2);
  double* sqOut = doubles(6, static_cast<size_t>(count));
  double* ssimOut = doubles(7, static_cast<size_t>(count));
  const double w0 = wt[0], w1 = wt[1], w2 = wt[2], w3 = wt[3], w4 = wt[4], w5 = wt[5], c1 = k[0], c2 = k[1];
  const int64_t n = side - kWindow + 1;
  const int64_t plane = side * n;
#pragma omp parallel
  {
    std::vector<double> row(static_cast<size_t>(5 * side)), h(static_cast<size_t>(5 * plane));
#pragma omp for schedule(static)
    for (int64_t img = 0; img < count; ++img) {
      const int64_t off = img * px;
      double sq = 0;
      for (int64_t j = off; j < off + px; ++j) {
        const double d = static_cast<double>(a[j]) - static_cast<double>(b[j]);
        sq += d * d;
      }
      sqOut[img] = sq;
      for (int64_t y = 0; y < side; ++y) {
        const int64_t base = off + y * side;
        for (int64_t i = 0; i < side; ++i) {
          const double va = a[base + i], vb = b[base + i];
          row[i] = va;
          row[side + i] = vb;
          row[2 * side + i] = va * va;
          row[3 * side + i] = vb * vb;
          row[4 * side + i] = va * vb;
        }
        for (int64_t q = 0; q < 5; ++q) {
          const double* r = row.data() + q * side;
          double* o = h.data() + q * plane + y * n;
          for (int64_t x = 0; x < n; ++x) {
            const double* p = r + x;
            o[x] = w0 * (p[0] + p[10]) + w1 * (p[1] + p[9]) + w2 * (p[2] + p[8]) + w3 * (p[3] + p[7]) + w4 * (p[4] + p[6]) + w5 * p[5];
          }
        }
      }
      auto col = [&](int64_t o) {
        const double* c = h.data() + o;
        return w0 * (c[0] + c[10 * n]) + w1 * (c[n] + c[9 * n]) + w2 * (c[2 * n] + c[8 * n]) + w3 * (c[3 * n] + c[7 * n]) +
               w4 * (c[4 * n] + c[6 * n]) + w5 * c[5 * n];
      };
      double total = 0;
      for (int64_t y = 0; y < n; ++y) {
        for (int64_t x = 0; x < n; ++x) {
          const int64_t o = y * n + x;
          const double muX = col(o), muY = col(plane + o);
          const double varX = col(2 * plane + o) - muX * muX;
          const double varY = col(3 * plane + o) - muY * muY;
          const double cov = col(4 * plane + o) - muX * muY;
          total += ((2 * muX * muY + c1) * (2 * cov + c2)) / ((muX * muX + muY * muY + c1) * (varX + varY + c2));
        }
      }
      ssimOut[img] = total / static_cast<double>(n * n);
    }
  }
  return info.Env().Undefined();
}

// The machine's fp32 peak as a plain loop of fused multiply-adds sees it: every thread runs 12
// independent chains (enough to cover the FMA latency on two pipes) on the widest vectors the
// CPU has, chosen at run time. Used by the benchmark to put training throughput in proportion.
constexpr int kFmaChains = 16;

// Each loop is compiled for its instruction set as a whole, so the chains stay in registers.
__attribute__((target("avx512f"))) float fmaLoop512(int64_t iterations) {
  __m512 acc[kFmaChains];
  for (int k = 0; k < kFmaChains; k++) acc[k] = _mm512_set1_ps(0.001f * static_cast<float>(k));
  const __m512 a = _mm512_set1_ps(0.999999f);
  const __m512 b = _mm512_set1_ps(0.000001f);
  for (int64_t i = 0; i < iterations; i++) {
#pragma GCC unroll 16
    for (int k = 0; k < kFmaChains; k++) acc[k] = _mm512_fmadd_ps(acc[k], a, b);
  }
  float total = 0;
  for (int k = 0; k < kFmaChains; k++) total += _mm512_reduce_add_ps(acc[k]);
  return total;
}

__attribute__((target("avx2,fma"))) float fmaLoop256(int64_t iterations) {
  __m256 acc[kFmaChains];
  for (int k = 0; k < kFmaChains; k++) acc[k] = _mm256_set1_ps(0.001f * static_cast<float>(k));
  const __m256 a = _mm256_set1_ps(0.999999f);
  const __m256 b = _mm256_set1_ps(0.000001f);
  for (int64_t i = 0; i < iterations; i++) {
#pragma GCC unroll 16
    for (int k = 0; k < kFmaChains; k++) acc[k] = _mm256_fmadd_ps(acc[k], a, b);
  }
  alignas(32) float lanes[8];
  float total = 0;
  for (int k = 0; k < kFmaChains; k++) {
    _mm256_store_ps(lanes, acc[k]);
    for (float lane : lanes) total += lane;
  }
  return total;
}

// fmaPeak(seconds) -> { gflops, threads, isa }: the FMA loop on every OpenMP thread for about
// `seconds`, after a short warm-up.
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  const double seconds = info[0].As<Napi::Number>().DoubleValue();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!avx512 && !avx2) throw Napi::Error::New(info.Env(), "fmaPeak needs AVX2 and FMA");
  const int lanes = avx512 ? 16 : 8;
  const auto loop = avx512 ? fmaLoop512 : fmaLoop256;
  const int threads = omp_get_max_threads();
  // Calibrate: iterations of one thread per second.
  int64_t iterations = 1 << 20;
  double elapsed = 0;
  volatile float sink = 0;
  for (;;) {
    const double t0 = omp_get_wtime();
    sink = sink + loop(iterations);
    elapsed = omp_get_wtime() - t0;
    if (elapsed > 0.05) break;
    iterations *= 4;
  }
  const int64_t timed = static_cast<int64_t>(static_cast<double>(iterations) * seconds / elapsed) + 1;
  const double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads)
  {
    const float r = loop(timed);
#pragma omp critical
    sink = sink + r;
  }
  const double wall = omp_get_wtime() - t0;
  const double flops = static_cast<double>(timed) * kFmaChains * lanes * 2 * threads;
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("gflops", flops / wall / 1e9);
  out.Set("threads", threads);
  out.Set("isa", avx512 ? "avx512" : "avx2");
  return out;
}

// Drops every cached primitive and its buffers.
Napi::Value ReleaseCaches(const Napi::CallbackInfo& info) {
  forwardCache.clear();
  backwardDataCache.clear();
  backwardWeightsCache.clear();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("convForward", Napi::Function::New(env, ConvForward));
  exports.Set("convBackwardData", Napi::Function::New(env, ConvBackwardData));
  exports.Set("convBackwardWeights", Napi::Function::New(env, ConvBackwardWeights));
  exports.Set("convImplementations", Napi::Function::New(env, ConvImplementations));
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("resizeNearest", Napi::Function::New(env, ResizeNearest));
  exports.Set("resizeNearestGrad", Napi::Function::New(env, ResizeNearestGrad));
  exports.Set("unary", Napi::Function::New(env, UnaryOp));
  exports.Set("binary", Napi::Function::New(env, BinaryOp));
  exports.Set("sumLeading", Napi::Function::New(env, SumLeading));
  exports.Set("copyBox", Napi::Function::New(env, CopyBox));
  exports.Set("padBox", Napi::Function::New(env, PadBox));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("releaseCaches", Napi::Function::New(env, ReleaseCaches));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep));
  exports.Set("reluBiasGrad", Napi::Function::New(env, ReluBiasGrad));
  exports.Set("imageQuality", Napi::Function::New(env, ImageQuality));
  return exports;
}

}  // namespace

NODE_API_MODULE(dnnl_kernels, Init)
