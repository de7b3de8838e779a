// Comparisons and where, with broadcasting and dtype promotion (PyTorch's
// result_type); each also takes a plain number. Before elementwise.hpp, whose
// pow backward masks with them.
#pragma once
#include "genlab/ops/view.hpp"

namespace genlab::ops {

using genlab::CompareOp;  // lt, le, gt, ge, eq, ne
// Returns a uint8 mask (0 or 1) with broadcasting.
inline Tensor compare(const Tensor& a0, const Tensor& b0, CompareOp op) {
  GENLAB_CHECK(a0.device() == b0.device(), "compare: device mismatch, ", a0.device().str(), " ", shape_str(a0.shape()),
               " vs ", b0.device().str(), " ", shape_str(b0.shape()));
  const auto [a, b] = detail::promote(a0.detach(), b0.detach());
  Shape shape = broadcast_shapes(a.shape(), b.shape(), "compare");
  if (a.device().is_cuda()) {
    detail::check_cuda_f32("compare", a);
    Tensor out = Tensor::empty(shape, TensorOptions(DType::u8, a.device()));
    cuda::compare_strided(op, a.data<float>(), detail::broadcast_strides(a, shape), b.data<float>(),
                          detail::broadcast_strides(b, shape), out.data<uint8_t>(), shape);
    return out;
  }
  Tensor ad = detail::dense(expand(a, shape)), bd = detail::dense(expand(b, shape));
  Tensor out = Tensor::empty(shape, DType::u8);
  uint8_t* po = out.data<uint8_t>();
  dispatch_all(a.dtype(), [&]<class T>() {
    const T* pa = ad.data<T>();
    const T* pb = bd.data<T>();
    for (int64_t i = 0; i < out.numel(); ++i) {
      double x = convert<double>(pa[i]), y = convert<double>(pb[i]);
      bool r = op == CompareOp::lt ? x < y : op == CompareOp::le ? x <= y : op == CompareOp::gt ? x > y
             : op == CompareOp::ge ? x >= y : op == CompareOp::eq ? x == y : x != y;
      po[i] = r;
    }
  });
  return out;
}
// x against a number: a float x keeps its dtype (as PyTorch's wrapped scalars),
// an integer x is compared in float64, so 2 < 2.5 holds.
inline Tensor compare(const Tensor& a, double s, CompareOp op) {
  Tensor b = is_floating(a.dtype()) ? detail::scalar_like(a, s) : Tensor::full({}, s, TensorOptions(DType::f64, a.device()));
  return compare(a, b, op);
}

namespace detail {
// cond as a uint8 0/1 mask: nonzero (NaN included) is true for every dtype,
// so 256, 0.5 and 1e-3 all count as true (a cast to uint8 would wrap or truncate them).
inline Tensor truth_mask(const Tensor& cond) {
  if (cond.dtype() == DType::u8) return cond.detach();
  if (cond.device().is_cuda() && cond.dtype() != DType::f32)  // the CUDA compare reads float32 only
    return truth_mask(cond.to(Device::cpu())).to(cond.device());
  return compare(cond, 0.0, CompareOp::ne);
}
}  // namespace detail

// out = cond ? a : b with broadcasting; cond is any dtype (nonzero = true).
inline Tensor where(const Tensor& cond, const Tensor& a0, const Tensor& b0) {
  const auto [a, b] = detail::promote(a0, b0);
  detail::check_same("where", a, b);
  GENLAB_CHECK(cond.device() == a.device(), "where: condition on ", cond.device().str(), " ", shape_str(cond.shape()),
               ", values on ", a.device().str(), " ", shape_str(a.shape()));
  Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor out = detail::empty_like(a, shape), c = detail::truth_mask(cond);
  if (a.device().is_cuda()) {  // strided reads: nothing is expanded into memory
    detail::check_cuda_f32("where", a);
    cuda::where_strided(c.data<uint8_t>(), detail::broadcast_strides(c, shape), a.data<float>(),
                        detail::broadcast_strides(a, shape), b.data<float>(), detail::broadcast_strides(b, shape),
                        out.data<float>(), shape);
  } else {
    Tensor cd = detail::dense(expand(c, shape));
    Tensor ad = detail::dense(expand(a.detach(), shape)), bd = detail::dense(expand(b.detach(), shape));
    const uint8_t* pc = cd.data<uint8_t>();
    dispatch_float(a.dtype(), "where", [&]<class T>() {
      const T* pa = ad.data<T>();
      const T* pb = bd.data<T>();
      T* po = out.data<T>();
      for (int64_t i = 0; i < out.numel(); ++i) po[i] = pc[i] ? pa[i] : pb[i];
    });
  }
  if (autograd::needs_grad(a, b)) {
    Shape sa = a.shape(), sb = b.shape();
    autograd::record("WhereBackward", out, {a, b}, [c, sa, sb](const Tensor& g) {
      Tensor z = Tensor::zeros({}, TensorOptions(g.dtype(), g.device()));
      return std::vector{sum_to(where(c, g, z), sa), sum_to(where(c, z, g), sb)};
    }, autograd::Saves::nothing, {c});
  }
  return out;
}
// A number takes the other value's dtype (torch.where(c, x, 0.0) keeps x's dtype).
inline Tensor where(const Tensor& cond, const Tensor& a, double b) { return where(cond, a, detail::scalar_like(a, b)); }
inline Tensor where(const Tensor& cond, double a, const Tensor& b) { return where(cond, detail::scalar_like(b, a), b); }

}  // namespace genlab::ops
