// Comparisons and where, with broadcasting and dtype promotion (PyTorch's
// result_type); each also takes a plain number. Before elementwise.hpp, whose
// pow backward masks with them.
#pragma once
#include "genlab/core/threads.hpp"
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

// How often a contiguous t broadcast to `shape` repeats: its numel when its
// dims (leading 1s aside) are shape's trailing dims (a 0-d value: 1; an
// attention mask [T, T] under [B, H, T, T]: T * T), else 0 (not periodic).
inline int64_t broadcast_period(const Tensor& t, const Shape& shape) {
  if (!t.is_contiguous()) return 0;
  size_t lead = 0;
  while (lead < t.shape().size() && t.shape()[lead] == 1) ++lead;
  const size_t k = t.shape().size() - lead;
  if (k > shape.size() || !std::equal(t.shape().begin() + int64_t(lead), t.shape().end(), shape.end() - int64_t(k)))
    return 0;
  return t.numel();
}
// out = c ? a : b on the CPU (c uint8, a and b of out's dtype, broadcast to
// out's shape). Operands that repeat (broadcast_period) are read in place,
// others expanded into a dense copy first; out is filled in blocks of the
// shortest period, so each operand is either a scalar or read contiguously.
inline void where_cpu(const Tensor& c, const Tensor& a, const Tensor& b, Tensor& out) {
  const Shape& shape = out.shape();
  const int64_t n = out.numel();
  if (n == 0) return;
  struct Operand { Tensor t; int64_t period; };
  auto operand = [&](const Tensor& t) {
    const int64_t p = broadcast_period(t, shape);
    return p > 0 ? Operand{t, p} : Operand{dense(expand(t, shape)), n};
  };
  const Operand oc = operand(c), oa = operand(a), ob = operand(b);
  int64_t block = n;
  for (int64_t p : {oc.period, oa.period, ob.period})
    if (p > 1) block = std::min(block, p);  // periods are suffix products of shape: each divides the next
  const int64_t sc = oc.period > 1, sa = oa.period > 1, sb = ob.period > 1;  // 0: a scalar, read at 0
  const uint8_t* pc = oc.t.data<uint8_t>();
  dispatch_float(out.dtype(), "where", [&]<class T>() {
    const T* pa = oa.t.data<T>();
    const T* pb = ob.t.data<T>();
    T* po = out.data<T>();
    parallel_for(n / block, std::max<int64_t>(1, (int64_t(1) << 14) / block), [&](int64_t first, int64_t last) {
      for (int64_t k = first; k < last; ++k) {
        const int64_t base = k * block;
        const uint8_t* bc = pc + sc * (base % oc.period);
        const T* ba = pa + sa * (base % oa.period);
        const T* bb = pb + sb * (base % ob.period);
        T* bo = po + base;
        for (int64_t j = 0; j < block; ++j) bo[j] = bc[j * sc] ? ba[j * sa] : bb[j * sb];
      }
    });
  });
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
    detail::where_cpu(c, a.detach(), b.detach(), out);
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
