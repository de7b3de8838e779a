// Convolutions, as torch.nn.functional.conv2d / conv1d (NCHW / NCL):
//   conv2d: input [N, C, H, W] or unbatched [C, H, W]; weight [Co, C / groups, kH, kW];
//           bias [Co] or none; output [N, Co, oH, oW] (unbatched: [Co, oH, oW]).
//   conv1d: the same with one spatial dim: conv2d on [N, C, 1, L] (views, no copy).
// padding: numbers (zeros on both sides), "valid" (none) or "same" (stride 1
// only; an odd total puts the extra zero on the bottom / right, as PyTorch).
// Saved for backward: the input and weight. CPU: float32 and float64 (im2col
// + GEMM, src/cpu/conv.cpp); CUDA: float32 (cuda/conv.cuh + the device GEMM).
#pragma once
#include <string>

#include "genlab/ops/linalg.hpp"

namespace genlab::ops {

// Sizes of the two spatial dims (h, w); one number means both.
struct Size2 {
  int64_t h, w;
  Size2(int64_t v) : h(v), w(v) {}
  Size2(int64_t h_, int64_t w_) : h(h_), w(w_) {}
};
// A convolution's padding: one number, (h, w), or "same" / "valid".
struct ConvPadding {
  Size2 size = 0;
  std::string mode;   // empty: `size` zeros on each side
  bool pair = false;  // given as (h, w): conv1d refuses it
  ConvPadding(int64_t v) : size(v) {}
  ConvPadding(int64_t h, int64_t w) : size(h, w), pair(true) {}
  template <size_t N>
  ConvPadding(const char (&m)[N]) : mode(m) {}
  ConvPadding(std::string m) : mode(std::move(m)) {}
};

namespace detail {
inline std::string dims_str(const Shape& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + ")";
}

// What conv and conv_transpose ask alike of their arguments: the ranks of the
// input (batched or not) and weight (`layout` names its dims), one device and
// dtype, positive strides, dilations and groups.
inline void check_conv_args(const char* op, int sd, const Tensor& x, const Tensor& w, const Tensor& b, const Shape& st,
                            const Shape& dil, int64_t groups, const char* layout) {
  GENLAB_CHECK(x.dim() == sd + 1 || x.dim() == sd + 2, op, ": expected a ", sd + 1, "-d (unbatched) or ", sd + 2,
               "-d (batched) input, got ", shape_str(x.shape()));
  GENLAB_CHECK(w.dim() == sd + 2, op, ": expected a ", sd + 2, "-d weight [", layout, ", ", sd == 2 ? "kH, kW" : "kL",
               "], got ", shape_str(w.shape()), " for input ", shape_str(x.shape()));
  check_same(op, x, w);
  if (b.defined()) check_same(op, x, b);
  for (size_t i = 0; i < size_t(sd); ++i) {
    GENLAB_CHECK(st[i] > 0, op, ": stride must be positive, got ", dims_str(st));
    GENLAB_CHECK(dil[i] > 0, op, ": dilation must be positive, got ", dims_str(dil));
  }
  GENLAB_CHECK(groups > 0, op, ": groups must be positive, got ", groups);
}

// Checks a convolution with `sd` spatial dims (1 or 2) as PyTorch does and
// returns its 2-D geometry (conv1d: h = kh = 1). x may be unbatched.
inline cpu::Conv2dGeom conv_geom(const char* op, int sd, const Tensor& x, const Tensor& w, const Tensor& b, Size2 stride,
                                 const ConvPadding& padding, Size2 dilation, int64_t groups) {
  const Shape st = sd == 2 ? Shape{stride.h, stride.w} : Shape{stride.w};
  const Shape dil = sd == 2 ? Shape{dilation.h, dilation.w} : Shape{dilation.w};
  check_conv_args(op, sd, x, w, b, st, dil, groups, "out_channels, in_channels / groups");
  GENLAB_CHECK(sd == 2 || (stride.h == stride.w && dilation.h == dilation.w && !padding.pair), op,
               ": stride, padding and dilation take one number each");
  const int64_t co = w.shape()[0], batched = x.dim() == sd + 2, c = x.shape()[size_t(batched)];
  GENLAB_CHECK(co >= groups && co % groups == 0, op, ": out_channels ", co, " of weight ", shape_str(w.shape()),
               " is not divisible by groups = ", groups);
  GENLAB_CHECK(c == w.shape()[1] * groups, op, ": input ", shape_str(x.shape()), " has ", c,
               " channels, but weight ", shape_str(w.shape()), " with groups = ", groups, " expects ",
               w.shape()[1] * groups, " (weight.size(1) * groups)");
  GENLAB_CHECK(!b.defined() || (b.dim() == 1 && b.shape()[0] == co), op, ": bias ", shape_str(b.shape()),
               " does not match weight ", shape_str(w.shape()), " (expects [", co, "])");
  // sizes, kernel and padding of the spatial dims; 1-d: the h dim is 1 and unpadded
  const Shape in(x.shape().end() - sd, x.shape().end()), k(w.shape().end() - sd, w.shape().end());
  // torch 1.13 returns 0 output channels (not out_channels) for 0 input channels, and raises for
  // an empty spatial dim; both are refused here (only the batch may be empty)
  GENLAB_CHECK(c > 0 && std::all_of(in.begin(), in.end(), [](int64_t d) { return d > 0; }), op, ": input ",
               shape_str(x.shape()), " has an empty channel or spatial dim (only the batch may be 0)");
  Shape lo(size_t(sd), 0), hi(size_t(sd), 0);
  if (padding.mode.empty()) {
    const Shape p = sd == 2 ? Shape{padding.size.h, padding.size.w} : Shape{padding.size.w};
    GENLAB_CHECK(p[0] >= 0 && p.back() >= 0, op, ": padding must be non-negative, got ", dims_str(p));
    lo = hi = p;
  } else if (padding.mode == "same") {
    for (int i = 0; i < sd; ++i)
      GENLAB_CHECK(st[size_t(i)] == 1, op, ": padding='same' needs stride 1, got stride ", dims_str(st));
    for (size_t i = 0; i < size_t(sd); ++i) {
      const int64_t total = dil[i] * (k[i] - 1);
      lo[i] = total / 2, hi[i] = total - total / 2;  // the odd one on the bottom / right
    }
  } else {
    GENLAB_CHECK(padding.mode == "valid", op, ": padding must be a number, 'same' or 'valid', got '", padding.mode, "'");
  }
  Shape out(static_cast<size_t>(sd), 0);
  for (size_t i = 0; i < size_t(sd); ++i) {
    const int64_t padded = in[i] + lo[i] + hi[i], span = dil[i] * (k[i] - 1) + 1;
    GENLAB_CHECK(k[i] > 0 && padded >= span, op, ": kernel ", dims_str(k), " with dilation ", dims_str(dil),
                 " spans more than the padded input ", dims_str(in), " + padding ", dims_str(lo), "/", dims_str(hi),
                 " (input ", shape_str(x.shape()), ", weight ", shape_str(w.shape()), ")");
    out[i] = (padded - span) / st[i] + 1;
  }
  cpu::Conv2dGeom g{};
  g.n = batched ? x.shape()[0] : 1, g.c = c, g.co = co, g.groups = groups;
  g.h = g.kh = g.sh = g.dh = g.oh = 1, g.ph = 0;  // 1-d: a height of 1
  if (sd == 2) g.h = in[0], g.kh = k[0], g.sh = st[0], g.ph = lo[0], g.dh = dil[0], g.oh = out[0];
  g.w = in.back(), g.kw = k.back(), g.sw = st.back(), g.pw = lo.back(), g.dw = dil.back(), g.ow = out.back();
  return g;
}

// CUDA: per sample, im2col on the device then one device GEMM per group (on
// the sample itself for a pointwise 1x1 kernel).
inline void conv2d_cuda(const cpu::Conv2dGeom& g, const float* x, const float* w, const float* bias, float* y,
                        Tensor& cols) {
  const int64_t L = g.cols(), K = g.rows(), M = g.co / g.groups;
  if (bias) cuda::conv_bias(bias, y, g.n, g.co, L);
  for (int64_t n = 0; n < g.n; ++n) {
    const float* xn = x + n * g.c * g.h * g.w;
    if (!g.pointwise()) cuda::conv_im2col(g, xn, cols.data<float>());
    const float* cn = g.pointwise() ? xn : cols.data<float>();
    for (int64_t gi = 0; gi < g.groups && M > 0; ++gi)
      cuda::gemm(false, false, M, L, K, 1.f, w + gi * M * K, std::max<int64_t>(K, 1), cn + gi * K * L, L,
                 bias ? 1.f : 0.f, y + (n * g.co + gi * M) * L, L);
  }
}
inline void conv2d_backward_cuda(const cpu::Conv2dGeom& g, const float* x, const float* w, const float* gy, float* gx,
                                 float* gw, Tensor& cols) {
  const int64_t L = g.cols(), K = g.rows(), M = g.co / g.groups, in_size = g.c * g.h * g.w;
  for (int64_t n = 0; n < g.n; ++n) {
    const float* gyn = gy + n * g.co * L;
    if (gw) {
      if (!g.pointwise()) cuda::conv_im2col(g, x + n * in_size, cols.data<float>());
      const float* cn = g.pointwise() ? x + n * in_size : cols.data<float>();
      for (int64_t gi = 0; gi < g.groups && M > 0 && K > 0; ++gi)
        cuda::gemm(false, true, M, K, L, 1.f, gyn + gi * M * L, L, cn + gi * K * L, L, n ? 1.f : 0.f, gw + gi * M * K, K);
    }
    if (gx) {
      float* dst = g.pointwise() ? gx + n * in_size : cols.data<float>();
      for (int64_t gi = 0; gi < g.groups && K > 0; ++gi)
        cuda::gemm(true, false, K, L, M, 1.f, w + gi * M * K, K, gyn + gi * M * L, L, 0.f, dst + gi * K * L, L);
      if (!g.pointwise()) cuda::conv_col2im(g, cols.data<float>(), gx + n * in_size);
    }
  }
}

// The device column buffer of one sample for the CUDA paths above (none on the CPU, or for a pointwise kernel).
inline Tensor conv_cols(const cpu::Conv2dGeom& g, const Tensor& like) {
  return like.device().is_cuda() && !g.pointwise() ? empty_like(like, {g.c * g.kh * g.kw * g.cols()}) : Tensor();
}

// The convolution of a batched 4-d x with a 4-d weight, geometry checked.
inline Tensor conv2d_core(const cpu::Conv2dGeom& g, const Tensor& x, const Tensor& w, const Tensor& b) {
  Tensor xd = dense(x.detach()), wd = dense(w.detach()), bd = b.defined() ? dense(b.detach()) : Tensor();
  Tensor y = empty_like(x, {g.n, g.co, g.oh, g.ow});
  if (x.device().is_cuda()) {
    check_cuda_f32("conv2d", x);
    Tensor cols = conv_cols(g, x);
    conv2d_cuda(g, xd.data<float>(), wd.data<float>(), bd.defined() ? bd.data<float>() : nullptr, y.data<float>(), cols);
  } else {
    dispatch_float(x.dtype(), "conv2d", [&]<class T>() {
      cpu::conv2d<T>(g, xd.data<T>(), wd.data<T>(), bd.defined() ? bd.data<T>() : nullptr, y.data<T>());
    });
  }
  if (autograd::needs_grad({&x, &w, &b})) {
    const bool need_x = x.requires_grad(), need_w = w.requires_grad(), need_b = b.defined() && b.requires_grad();
    autograd::record("Conv2dBackward", y, {x, w, b}, [=](const Tensor& grad) {
      Tensor gd = dense(grad);
      Tensor gx = need_x ? empty_like(gd, xd.shape()) : Tensor(), gw = need_w ? empty_like(gd, wd.shape()) : Tensor();
      if (gd.device().is_cuda()) {
        if (need_w && (g.n == 0 || g.rows() == 0)) gw.fill_(0.0);
        Tensor cols = conv_cols(g, gd);
        conv2d_backward_cuda(g, xd.data<float>(), wd.data<float>(), gd.data<float>(),
                             need_x ? gx.data<float>() : nullptr, need_w ? gw.data<float>() : nullptr, cols);
      } else {
        dispatch_float(gd.dtype(), "conv2d", [&]<class T>() {
          cpu::conv2d_backward<T>(g, xd.data<T>(), wd.data<T>(), gd.data<T>(), need_x ? gx.data<T>() : nullptr,
                                  need_w ? gw.data<T>() : nullptr);
        });
      }
      return std::vector{gx, gw, need_b ? sum(gd, {0, 2, 3}) : Tensor()};
    }, autograd::Saves::inputs);
  }
  return y;
}
}  // namespace detail

inline Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), Size2 stride = 1,
                     const ConvPadding& padding = 0, Size2 dilation = 1, int64_t groups = 1) {
  const cpu::Conv2dGeom g = detail::conv_geom("conv2d", 2, x, weight, bias, stride, padding, dilation, groups);
  if (x.dim() == 3) return squeeze(detail::conv2d_core(g, unsqueeze(x, 0), weight, bias), 0);
  return detail::conv2d_core(g, x, weight, bias);
}

inline Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), int64_t stride = 1,
                     const ConvPadding& padding = 0, int64_t dilation = 1, int64_t groups = 1) {
  const cpu::Conv2dGeom g = detail::conv_geom("conv1d", 1, x, weight, bias, stride, padding, dilation, groups);
  Tensor x4 = x.dim() == 2 ? unsqueeze(unsqueeze(x, 0), 2) : unsqueeze(x, 2);
  Tensor y = squeeze(detail::conv2d_core(g, x4, unsqueeze(weight, 2), bias), 2);
  return x.dim() == 2 ? squeeze(y, 0) : y;
}

}  // namespace genlab::ops
