// Transposed convolutions, as torch.nn.functional.conv_transpose2d / conv_transpose1d:
//   conv_transpose2d: input [N, Ci, H, W] or unbatched [Ci, H, W]; weight [Ci, Co / groups, kH, kW];
//     bias [Co] or none; output [N, Co, oH, oW] with
//     oH = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1 (oW alike).
//   conv_transpose1d: the same with one spatial dim, through conv_transpose2d on [N, Ci, 1, L] (views).
// It is the input gradient of the conv2d that maps [N, Co, oH, oW] to [N, Ci, H, W]
// with the same weight, so it runs conv2d's kernels with that geometry: the
// forward is conv2d's input gradient (GEMM + col2im), the input gradient is
// conv2d's forward (im2col + GEMM), the weight gradient conv2d's weight
// gradient with the input and the output gradient swapped. The bias is added
// by ops::add (its gradient the sum over batch and space).
// Saved for backward: the input and weight. CPU: float32 and float64; CUDA: float32.
#pragma once
#include "genlab/ops/conv.hpp"

namespace genlab::ops {

namespace detail {
// Checks a transposed convolution with `sd` spatial dims (1 or 2) as PyTorch
// does and returns the geometry of the conv2d it transposes (conv2d's input =
// this op's output: c = Co, h, w = oH, oW; conv2d's output = this op's input:
// co = Ci, oh, ow = H, W). conv_transpose1d: h = kh = oh = 1.
inline cpu::Conv2dGeom conv_transpose_geom(const char* op, int sd, const Tensor& x, const Tensor& w, const Tensor& b,
                                           Size2 stride, Size2 padding, Size2 output_padding, int64_t groups,
                                           Size2 dilation) {
  auto dims = [sd](Size2 s) { return sd == 2 ? Shape{s.h, s.w} : Shape{s.w}; };
  const Shape st = dims(stride), pad = dims(padding), opad = dims(output_padding), dil = dims(dilation);
  check_conv_args(op, sd, x, w, b, st, dil, groups, "in_channels, out_channels / groups");
  for (size_t i = 0; i < size_t(sd); ++i) {
    GENLAB_CHECK(pad[i] >= 0, op, ": padding must be non-negative, got ", dims_str(pad));
    GENLAB_CHECK(opad[i] >= 0, op, ": output_padding must be non-negative, got ", dims_str(opad));
    // PyTorch's rule: smaller than the stride or the dilation (a larger one would add rows nothing reaches)
    GENLAB_CHECK(opad[i] < st[i] || opad[i] < dil[i], op, ": output_padding ", dims_str(opad),
                 " must be smaller than either the stride ", dims_str(st), " or the dilation ", dims_str(dil));
  }
  const int64_t ci = w.shape()[0], batched = x.dim() == sd + 2, c = x.shape()[size_t(batched)];
  GENLAB_CHECK(ci % groups == 0, op, ": in_channels ", ci, " of weight ", shape_str(w.shape()),
               " is not divisible by groups = ", groups);
  GENLAB_CHECK(c == ci, op, ": input ", shape_str(x.shape()), " has ", c, " channels, but weight ",
               shape_str(w.shape()), " expects ", ci, " (weight.size(0), the input channels)");
  const int64_t co = w.shape()[1] * groups;
  GENLAB_CHECK(!b.defined() || (b.dim() == 1 && b.shape()[0] == co), op, ": bias ", shape_str(b.shape()),
               " does not match weight ", shape_str(w.shape()), " with groups = ", groups, " (expects [", co, "])");
  const Shape in(x.shape().end() - sd, x.shape().end()), k(w.shape().end() - sd, w.shape().end());
  auto positive = [](const Shape& s) { return std::all_of(s.begin(), s.end(), [](int64_t d) { return d > 0; }); };
  // as torch 1.13: only the batch may be empty
  GENLAB_CHECK(c > 0 && positive(in), op, ": input ", shape_str(x.shape()),
               " has an empty channel or spatial dim (only the batch may be 0)");
  GENLAB_CHECK(co > 0 && positive(k), op, ": weight ", shape_str(w.shape()), " is empty");
  Shape out(size_t(sd), 0);
  for (size_t i = 0; i < size_t(sd); ++i) out[i] = (in[i] - 1) * st[i] - 2 * pad[i] + dil[i] * (k[i] - 1) + opad[i] + 1;
  GENLAB_CHECK(positive(out), op, ": input ", shape_str(x.shape()), " with weight ", shape_str(w.shape()), ", stride ",
               dims_str(st), ", padding ", dims_str(pad), ", output_padding ", dims_str(opad), " and dilation ",
               dims_str(dil), " gives an output of ", dims_str(out), ": too small");
  cpu::Conv2dGeom g{};
  g.n = batched ? x.shape()[0] : 1, g.c = co, g.co = ci, g.groups = groups;
  g.h = g.kh = g.sh = g.dh = g.oh = 1, g.ph = 0;  // 1-d: a height of 1
  if (sd == 2) g.h = out[0], g.kh = k[0], g.sh = st[0], g.ph = pad[0], g.dh = dil[0], g.oh = in[0];
  g.w = out.back(), g.kw = k.back(), g.sw = st.back(), g.pw = pad.back(), g.dw = dil.back(), g.ow = in.back();
  return g;
}

// The transposed convolution of a batched 4-d x with a 4-d weight, geometry checked, without bias.
inline Tensor conv_transpose2d_core(const cpu::Conv2dGeom& g, const Tensor& x, const Tensor& w) {
  Tensor xd = dense(x.detach()), wd = dense(w.detach()), y = empty_like(x, {g.n, g.c, g.h, g.w});
  if (x.device().is_cuda()) {
    check_cuda_f32("conv_transpose2d", x);
    Tensor cols = conv_cols(g, x);
    conv2d_backward_cuda(g, nullptr, wd.data<float>(), xd.data<float>(), y.data<float>(), nullptr, cols);
  } else {
    dispatch_float(x.dtype(), "conv_transpose2d", [&]<class T>() {
      cpu::conv2d_backward<T>(g, nullptr, wd.data<T>(), xd.data<T>(), y.data<T>(), nullptr);
    });
  }
  if (autograd::needs_grad(x, w)) {
    const bool need_x = x.requires_grad(), need_w = w.requires_grad();
    autograd::record("ConvTranspose2dBackward", y, {x, w}, [=](const Tensor& grad) {
      Tensor gd = dense(grad);
      Tensor gx = need_x ? empty_like(gd, xd.shape()) : Tensor(), gw = need_w ? empty_like(gd, wd.shape()) : Tensor();
      if (gd.device().is_cuda()) {
        Tensor cols = conv_cols(g, gd);
        if (need_x) conv2d_cuda(g, gd.data<float>(), wd.data<float>(), nullptr, gx.data<float>(), cols);
        if (need_w && g.n == 0) gw.fill_(0.0);
        if (need_w) conv2d_backward_cuda(g, gd.data<float>(), wd.data<float>(), xd.data<float>(), nullptr,
                                         gw.data<float>(), cols);
      } else {
        dispatch_float(gd.dtype(), "conv_transpose2d", [&]<class T>() {
          if (need_x) cpu::conv2d<T>(g, gd.data<T>(), wd.data<T>(), nullptr, gx.data<T>());
          if (need_w) cpu::conv2d_backward<T>(g, gd.data<T>(), wd.data<T>(), xd.data<T>(), nullptr, gw.data<T>());
        });
      }
      return std::vector{gx, gw};
    }, autograd::Saves::inputs);
  }
  return y;
}
}  // namespace detail

inline Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), Size2 stride = 1,
                               Size2 padding = 0, Size2 output_padding = 0, int64_t groups = 1, Size2 dilation = 1) {
  const cpu::Conv2dGeom g =
      detail::conv_transpose_geom("conv_transpose2d", 2, x, weight, bias, stride, padding, output_padding, groups, dilation);
  const bool unbatched = x.dim() == 3;
  Tensor y = detail::conv_transpose2d_core(g, unbatched ? unsqueeze(x, 0) : x, weight);
  if (bias.defined()) y = add(y, reshape(bias, {g.c, 1, 1}));
  return unbatched ? squeeze(y, 0) : y;
}

inline Tensor conv_transpose1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), int64_t stride = 1,
                               int64_t padding = 0, int64_t output_padding = 0, int64_t groups = 1,
                               int64_t dilation = 1) {
  const cpu::Conv2dGeom g =
      detail::conv_transpose_geom("conv_transpose1d", 1, x, weight, bias, stride, padding, output_padding, groups, dilation);
  const bool unbatched = x.dim() == 2;
  Tensor y = detail::conv_transpose2d_core(g, unsqueeze(unbatched ? unsqueeze(x, 0) : x, 2), unsqueeze(weight, 2));
  y = squeeze(y, 2);
  if (bias.defined()) y = add(y, reshape(bias, {g.c, 1}));
  return unbatched ? squeeze(y, 0) : y;
}

}  // namespace genlab::ops
