// 2-D pooling, as torch.nn.functional (input [N, C, H, W] or unbatched [C, H, W],
// output [..., oH, oW]; every plane pooled alike):
//   max_pool2d(x, kernel, stride = kernel, padding = 0, dilation = 1, ceil_mode)
//     the gradient goes to each window's max: the first one on ties, a NaN
//     over any number (PyTorch's CPU kernel); max_pool2d_with_indices also
//     returns those positions as int64 flat indices ih * W + iw into the plane.
//   avg_pool2d(x, kernel, stride = kernel, padding = 0, ceil_mode, count_include_pad)
//   adaptive_avg_pool2d(x, {oH, oW}): window i spans [floor(i H / oH), ceil((i + 1) H / oH)).
// Saved for backward: the indices (max) or nothing (average). CPU: float32 and
// float64 (src/cpu/pool.cpp); CUDA: float32 (cuda/conv.cuh).
#pragma once
#include "genlab/ops/conv.hpp"

namespace genlab::ops {

// A pooling stride: one number, (h, w), or none given (= the kernel size).
struct PoolStride {
  int64_t h = 0, w = 0;
  bool given = false;
  PoolStride() = default;
  PoolStride(int64_t v) : h(v), w(v), given(true) {}
  PoolStride(int64_t h_, int64_t w_) : h(h_), w(w_), given(true) {}
};

namespace detail {
// PyTorch's pooling_output_shape: with ceil_mode the last window must start
// inside the input or its left padding.
inline int64_t pool_out_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil_mode) {
  const int64_t num = in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}
inline void check_pool_input(const char* op, const Tensor& x) {
  GENLAB_CHECK(x.dim() == 3 || x.dim() == 4, op, ": expected a 3-d (unbatched) or 4-d (batched) input, got ",
               shape_str(x.shape()));
  for (int64_t d = x.dim() - 3; d < x.dim(); ++d)
    GENLAB_CHECK(x.shape()[size_t(d)] > 0 || (d == 0 && x.dim() == 4), op, ": input ", shape_str(x.shape()),
                 " has an empty non-batch dim ", d, " (only the batch may be 0)");
}
inline cpu::Pool2dGeom pool_geom(const char* op, const Tensor& x, Size2 k, PoolStride stride, Size2 pad, Size2 dil,
                                 bool ceil_mode) {
  check_pool_input(op, x);
  const Size2 s = stride.given ? Size2(stride.h, stride.w) : k;
  GENLAB_CHECK(k.h > 0 && k.w > 0, op, ": kernel_size must be positive, got (", k.h, ", ", k.w, ")");
  GENLAB_CHECK(s.h > 0 && s.w > 0, op, ": stride must be positive, got (", s.h, ", ", s.w, ")");
  GENLAB_CHECK(dil.h > 0 && dil.w > 0, op, ": dilation must be positive, got (", dil.h, ", ", dil.w, ")");
  GENLAB_CHECK(pad.h >= 0 && pad.w >= 0 && pad.h <= k.h / 2 && pad.w <= k.w / 2, op, ": padding (", pad.h, ", ",
               pad.w, ") must be between 0 and half the kernel (", k.h, ", ", k.w, ")");
  const int64_t h = x.shape()[size_t(x.dim() - 2)], w = x.shape().back();
  const int64_t oh = pool_out_size(h, k.h, pad.h, s.h, dil.h, ceil_mode), ow = pool_out_size(w, k.w, pad.w, s.w, dil.w, ceil_mode);
  GENLAB_CHECK(oh >= 1 && ow >= 1, op, ": input ", shape_str(x.shape()), " with kernel (", k.h, ", ", k.w, "), stride (",
               s.h, ", ", s.w, "), padding (", pad.h, ", ", pad.w, "), dilation (", dil.h, ", ", dil.w,
               ") gives an output of ", oh, "x", ow, ": too small");
  return {x.numel() / (h * w), h, w, k.h, k.w, s.h, s.w, pad.h, pad.w, dil.h, dil.w, oh, ow};
}
inline Shape pooled_shape(const Tensor& x, const cpu::Pool2dGeom& g) {
  Shape s = x.shape();
  s[s.size() - 2] = g.oh, s.back() = g.ow;
  return s;
}

inline Tensor avg_pool_impl(const char* op, const Tensor& x, const cpu::Pool2dGeom& g, bool count_include_pad,
                            bool adaptive) {
  Tensor xd = dense(x.detach()), y = empty_like(x, pooled_shape(x, g));
  if (x.device().is_cuda()) {
    check_cuda_f32(op, x);
    cuda::avg_pool2d(g, xd.data<float>(), y.data<float>(), count_include_pad, adaptive);
  } else {
    dispatch_float(x.dtype(), op, [&]<class T>() { cpu::avg_pool2d<T>(g, xd.data<T>(), y.data<T>(), count_include_pad, adaptive); });
  }
  if (autograd::needs_grad(x)) {
    const Shape in = x.shape();
    autograd::record(adaptive ? "AdaptiveAvgPool2dBackward" : "AvgPool2dBackward", y, {x}, [=](const Tensor& grad) {
      Tensor gd = dense(grad), gx = Tensor::zeros(in, TensorOptions(gd.dtype(), gd.device()));
      if (gd.device().is_cuda()) {
        cuda::avg_pool2d_backward(g, gd.data<float>(), gx.data<float>(), count_include_pad, adaptive);
      } else {
        dispatch_float(gd.dtype(), op, [&]<class T>() {
          cpu::avg_pool2d_backward<T>(g, gd.data<T>(), gx.data<T>(), count_include_pad, adaptive);
        });
      }
      return std::vector{gx};
    }, autograd::Saves::nothing);
  }
  return y;
}
}  // namespace detail

inline std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, Size2 kernel, PoolStride stride = {},
                                                         Size2 padding = 0, Size2 dilation = 1, bool ceil_mode = false) {
  const cpu::Pool2dGeom g = detail::pool_geom("max_pool2d", x, kernel, stride, padding, dilation, ceil_mode);
  const Shape out = detail::pooled_shape(x, g);
  Tensor xd = detail::dense(x.detach()), y = detail::empty_like(x, out);
  Tensor idx = Tensor::empty(out, TensorOptions(DType::i64, x.device()));
  if (x.device().is_cuda()) {
    detail::check_cuda_f32("max_pool2d", x);
    cuda::max_pool2d(g, xd.data<float>(), y.data<float>(), idx.data<int64_t>());
  } else {
    dispatch_float(x.dtype(), "max_pool2d", [&]<class T>() { cpu::max_pool2d<T>(g, xd.data<T>(), y.data<T>(), idx.data<int64_t>()); });
  }
  if (autograd::needs_grad(x)) {
    const Shape in = x.shape();
    autograd::record("MaxPool2dBackward", y, {x}, [=](const Tensor& grad) {
      Tensor gd = detail::dense(grad), gx = Tensor::zeros(in, TensorOptions(gd.dtype(), gd.device()));
      if (gd.device().is_cuda()) {
        cuda::max_pool2d_backward(g, gd.data<float>(), idx.data<int64_t>(), gx.data<float>());
      } else {
        dispatch_float(gd.dtype(), "max_pool2d", [&]<class T>() {
          cpu::max_pool2d_backward<T>(g, gd.data<T>(), idx.data<int64_t>(), gx.data<T>());
        });
      }
      return std::vector{gx};
    }, autograd::Saves::nothing, {idx});
  }
  return {y, idx};
}

inline Tensor max_pool2d(const Tensor& x, Size2 kernel, PoolStride stride = {}, Size2 padding = 0, Size2 dilation = 1,
                         bool ceil_mode = false) {
  return max_pool2d_with_indices(x, kernel, stride, padding, dilation, ceil_mode).first;
}

inline Tensor avg_pool2d(const Tensor& x, Size2 kernel, PoolStride stride = {}, Size2 padding = 0, bool ceil_mode = false,
                         bool count_include_pad = true) {
  const cpu::Pool2dGeom g = detail::pool_geom("avg_pool2d", x, kernel, stride, padding, 1, ceil_mode);
  return detail::avg_pool_impl("avg_pool2d", x, g, count_include_pad, false);
}

inline Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size) {
  detail::check_pool_input("adaptive_avg_pool2d", x);
  GENLAB_CHECK(output_size.h >= 0 && output_size.w >= 0, "adaptive_avg_pool2d: output_size must be non-negative, got (",
               output_size.h, ", ", output_size.w, ")");
  const int64_t h = x.shape()[size_t(x.dim() - 2)], w = x.shape().back();
  const cpu::Pool2dGeom g{x.numel() / (h * w), h, w, 0, 0, 1, 1, 0, 0, 1, 1, output_size.h, output_size.w};
  return detail::avg_pool_impl("adaptive_avg_pool2d", x, g, true, true);
}

}  // namespace genlab::ops
