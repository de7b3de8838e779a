// Element-wise ops with PyTorch broadcasting: add, sub, mul, div, pow (tensor and
// scalar forms, operators), unary math (exp, log, sqrt, tanh, sigmoid, relu,
// gelu exact/tanh, silu, softplus, neg, abs) and clamp (where and comparisons:
// compare.hpp). Mixed dtypes promote as PyTorch (detail::promote); each input's
// gradient is summed back to its own shape (sum_to) and dtype.
#pragma once
#include <limits>
#include <optional>

#include "genlab/ops/compare.hpp"

namespace genlab::ops {

// ---------------- binary ----------------
namespace detail {
inline Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b) {
  check_same(binary_name(op), a, b);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), binary_name(op));
  Tensor out = empty_like(a, shape);
  if (a.device().is_cuda()) {
    check_cuda_f32(binary_name(op), a);
    const bool dense_a = a.is_contiguous() && a.shape() == shape;
    if (dense_a && ((b.is_contiguous() && b.shape() == shape) || b.numel() == 1))  // the common case: flat indexing
      cuda::binary(op, a.data<float>(), b.data<float>(), b.numel(), out.data<float>(), out.numel());
    else
      cuda::binary_strided(op, a.data<float>(), broadcast_strides(a, shape), b.data<float>(), broadcast_strides(b, shape),
                           out.data<float>(), shape);
    return out;
  }
  dispatch_float(a.dtype(), binary_name(op), [&]<class T>() {
    const T* pa = static_cast<const T*>(a.storage()->data) + a.storage_offset();
    const T* pb = static_cast<const T*>(b.storage()->data) + b.storage_offset();
    cpu::binary(op, pa, broadcast_strides(a, shape), pb, broadcast_strides(b, shape), out.data<T>(), shape);
  });
  return out;
}
}  // namespace detail

inline Tensor mul(const Tensor& a, const Tensor& b);
inline Tensor div(const Tensor& a, const Tensor& b);
inline Tensor neg(const Tensor& x);
inline Tensor log(const Tensor& x);
inline Tensor pow(const Tensor& a, const Tensor& b);

inline Tensor add(const Tensor& a0, const Tensor& b0) {
  const auto [a, b] = detail::promote(a0, b0);
  Tensor out = detail::binary_forward(BinaryOp::add, a, b);
  if (autograd::needs_grad(a, b)) {
    Shape sa = a.shape(), sb = b.shape();
    autograd::record("AddBackward", out, {a, b}, [sa, sb](const Tensor& g) {
      return std::vector{sum_to(g, sa), sum_to(g, sb)};
    }, autograd::Saves::nothing);
  }
  return out;
}

inline Tensor sub(const Tensor& a0, const Tensor& b0) {
  const auto [a, b] = detail::promote(a0, b0);
  Tensor out = detail::binary_forward(BinaryOp::sub, a, b);
  if (autograd::needs_grad(a, b)) {
    Shape sa = a.shape(), sb = b.shape();
    bool gb = b.requires_grad();
    autograd::record("SubBackward", out, {a, b}, [sa, sb, gb](const Tensor& g) {
      return std::vector{sum_to(g, sa), gb ? sum_to(neg(g), sb) : Tensor()};
    }, autograd::Saves::nothing);
  }
  return out;
}

inline Tensor mul(const Tensor& a0, const Tensor& b0) {
  const auto [a, b] = detail::promote(a0, b0);
  Tensor out = detail::binary_forward(BinaryOp::mul, a, b);
  if (autograd::needs_grad(a, b)) {
    Tensor ad = a.detach(), bd = b.detach();
    bool ga = a.requires_grad(), gb = b.requires_grad();
    autograd::record("MulBackward", out, {a, b}, [ad, bd, ga, gb](const Tensor& g) {
      return std::vector{ga ? sum_to(mul(g, bd), ad.shape()) : Tensor(), gb ? sum_to(mul(g, ad), bd.shape()) : Tensor()};
    }, autograd::Saves::inputs);
  }
  return out;
}

inline Tensor div(const Tensor& a0, const Tensor& b0) {
  const auto [a, b] = detail::promote(a0, b0);
  Tensor out = detail::binary_forward(BinaryOp::div, a, b);
  if (autograd::needs_grad(a, b)) {
    Tensor ad = a.detach(), bd = b.detach();
    bool ga = a.requires_grad(), gb = b.requires_grad();
    autograd::record("DivBackward", out, {a, b}, [ad, bd, ga, gb](const Tensor& g) {
      return std::vector{ga ? sum_to(div(g, bd), ad.shape()) : Tensor(),
                         gb ? sum_to(neg(div(mul(g, ad), mul(bd, bd))), bd.shape()) : Tensor()};
    }, autograd::Saves::inputs);
  }
  return out;
}

inline Tensor pow(const Tensor& a0, const Tensor& b0) {
  const auto [a, b] = detail::promote(a0, b0);
  Tensor out = detail::binary_forward(BinaryOp::pow, a, b);
  if (autograd::needs_grad(a, b)) {
    Tensor ad = a.detach(), bd = b.detach(), od = out.detach();
    bool ga = a.requires_grad(), gb = b.requires_grad();
    autograd::record("PowBackward", out, {a, b}, [ad, bd, od, ga, gb](const Tensor& g) {
      // d/da a^b = b a^(b-1), 0 where b == 0; d/db a^b = a^b log a, 0 where a == 0
      // and b >= 0 (PyTorch's masks: 0 * inf and 0 * log 0 would give NaN there)
      Tensor one = detail::scalar_like(bd, 1.0);
      Tensor da, db;
      if (ga) {
        Tensor d = mul(bd, pow(ad, detail::binary_forward(BinaryOp::sub, bd, one)));
        da = sum_to(mul(g, where(compare(bd, 0.0, CompareOp::eq), 0.0, d)), ad.shape());
      }
      if (gb) {
        Tensor d = mul(od, log(ad));
        d = where(compare(ad, 0.0, CompareOp::eq), where(compare(bd, 0.0, CompareOp::ge), 0.0, d), d);
        db = sum_to(mul(g, d), bd.shape());
      }
      return std::vector{da, db};
    });
  }
  return out;
}

// Scalar forms: the scalar is a 0-d tensor of x's dtype, broadcast by the kernel.
inline Tensor add(const Tensor& x, double s) { return add(x, detail::scalar_like(x, s)); }
inline Tensor sub(const Tensor& x, double s) { return sub(x, detail::scalar_like(x, s)); }
inline Tensor sub(double s, const Tensor& x) { return sub(detail::scalar_like(x, s), x); }
inline Tensor mul(const Tensor& x, double s) { return mul(x, detail::scalar_like(x, s)); }
inline Tensor div(const Tensor& x, double s) { return div(x, detail::scalar_like(x, s)); }
inline Tensor div(double s, const Tensor& x) { return div(detail::scalar_like(x, s), x); }
inline Tensor pow(const Tensor& x, double e) { return pow(x, detail::scalar_like(x, e)); }

// In place, no autograd: dst += src (src broadcast to dst). Used for gradient accumulation.
inline void add_(Tensor& dst, const Tensor& src) {
  GENLAB_CHECK(!autograd::grad_mode_enabled() || !dst.requires_grad(), "add_: in-place update of a tensor that requires grad");
  detail::check_same("add_", dst, src);
  dst.bump_version();
  GENLAB_CHECK(broadcast_shapes(dst.shape(), src.shape(), "add_") == dst.shape(), "add_: ", shape_str(src.shape()),
               " does not broadcast to ", shape_str(dst.shape()));
  if (dst.device().is_cuda()) {
    GENLAB_CHECK(dst.is_contiguous(), "add_ on CUDA needs a contiguous destination, got strides ", shape_str(dst.strides()));
    detail::check_cuda_f32("add_", dst);
    cuda::binary_strided(BinaryOp::add, dst.data<float>(), dst.strides(), src.data<float>(),
                         detail::broadcast_strides(src, dst.shape()), dst.data<float>(), dst.shape());
    return;
  }
  dispatch_float(dst.dtype(), "add_", [&]<class T>() {
    T* pd = static_cast<T*>(dst.storage()->data) + dst.storage_offset();
    const T* ps = static_cast<const T*>(src.storage()->data) + src.storage_offset();
    GENLAB_CHECK(dst.is_contiguous(), "add_: destination must be contiguous, got strides ", shape_str(dst.strides()));
    cpu::binary(BinaryOp::add, pd, dst.strides(), ps, detail::broadcast_strides(src, dst.shape()), pd, dst.shape());
  });
}

// ---------------- unary ----------------
namespace detail {
inline Tensor unary_forward(UnaryOp op, const Tensor& x) {
  Tensor xd = dense(x);
  Tensor out = empty_like(x);
  if (x.device().is_cuda()) {
    check_cuda_f32(unary_name(op), x);
    cuda::unary(op, xd.data<float>(), out.data<float>(), x.numel());
    return out;
  }
  dispatch_float(x.dtype(), unary_name(op), [&]<class T>() { cpu::unary(op, xd.data<T>(), out.data<T>(), x.numel()); });
  return out;
}
inline Tensor unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& g) {
  Tensor gd = dense(g);
  Tensor gx = empty_like(g);
  if (g.device().is_cuda()) {
    cuda::unary_backward(op, x.data<float>(), y.data<float>(), gd.data<float>(), gx.data<float>(), g.numel());
    return gx;
  }
  dispatch_float(g.dtype(), unary_name(op), [&]<class T>() {
    cpu::unary_backward(op, x.data<T>(), y.data<T>(), gd.data<T>(), gx.data<T>(), g.numel());
  });
  return gx;
}
// Forward plus a node whose backward is the fused derivative kernel.
inline Tensor unary(UnaryOp op, const Tensor& x, const char* node) {
  Tensor out = unary_forward(op, x);
  if (autograd::needs_grad(x)) {
    Tensor xd = dense(x.detach()), yd = out.detach();
    autograd::record(node, out, {x}, [op, xd, yd](const Tensor& g) { return std::vector{unary_backward(op, xd, yd, g)}; });
  }
  return out;
}
}  // namespace detail

inline Tensor neg(const Tensor& x) { return detail::unary(UnaryOp::neg, x, "NegBackward"); }
inline Tensor exp(const Tensor& x) { return detail::unary(UnaryOp::exp, x, "ExpBackward"); }
inline Tensor log(const Tensor& x) { return detail::unary(UnaryOp::log, x, "LogBackward"); }
inline Tensor sqrt(const Tensor& x) { return detail::unary(UnaryOp::sqrt, x, "SqrtBackward"); }
inline Tensor tanh(const Tensor& x) { return detail::unary(UnaryOp::tanh, x, "TanhBackward"); }
inline Tensor sigmoid(const Tensor& x) { return detail::unary(UnaryOp::sigmoid, x, "SigmoidBackward"); }
inline Tensor relu(const Tensor& x) { return detail::unary(UnaryOp::relu, x, "ReluBackward"); }
// approximate = "none" (erf, the default) or "tanh", as torch.nn.functional.gelu.
inline Tensor gelu(const Tensor& x, const std::string& approximate = "none") {
  GENLAB_CHECK(approximate == "none" || approximate == "tanh", "gelu: approximate must be 'none' or 'tanh', got '",
               approximate, "'");
  return approximate == "tanh" ? detail::unary(UnaryOp::gelu_tanh, x, "GeluBackward")
                               : detail::unary(UnaryOp::gelu, x, "GeluBackward");
}
inline Tensor silu(const Tensor& x) { return detail::unary(UnaryOp::silu, x, "SiluBackward"); }
inline Tensor softplus(const Tensor& x) { return detail::unary(UnaryOp::softplus, x, "SoftplusBackward"); }
inline Tensor abs(const Tensor& x) { return detail::unary(UnaryOp::abs, x, "AbsBackward"); }

// Either bound may be left out (std::nullopt), as torch.clamp(x, min=None, max=...).
inline Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  GENLAB_CHECK(min || max, "clamp: at least one of min and max must be given");
  const double lo = min.value_or(-std::numeric_limits<double>::infinity());
  const double hi = max.value_or(std::numeric_limits<double>::infinity());
  GENLAB_CHECK(lo <= hi, "clamp: min ", lo, " > max ", hi);
  Tensor xd = detail::dense(x), out = detail::empty_like(x);
  auto run = [lo, hi](const Tensor& a, const Tensor& g, Tensor& y, bool backward) {  // kept by the backward
    if (a.device().is_cuda()) {
      detail::check_cuda_f32("clamp", a);
      if (backward) cuda::clamp_backward(a.data<float>(), g.data<float>(), y.data<float>(), a.numel(), float(lo), float(hi));
      else cuda::clamp(a.data<float>(), y.data<float>(), a.numel(), float(lo), float(hi));
      return;
    }
    dispatch_float(a.dtype(), "clamp", [&]<class T>() {
      if (backward) cpu::clamp_backward(a.data<T>(), g.data<T>(), y.data<T>(), a.numel(), T(lo), T(hi));
      else cpu::clamp(a.data<T>(), y.data<T>(), a.numel(), T(lo), T(hi));
    });
  };
  run(xd, Tensor(), out, false);
  if (autograd::needs_grad(x)) {
    Tensor xs = xd.detach();
    autograd::record("ClampBackward", out, {x}, [xs, run](const Tensor& g) {
      Tensor gd = detail::dense(g), gx = detail::empty_like(g);
      run(xs, gd, gx, true);
      return std::vector{gx};
    });
  }
  return out;
}
inline Tensor clamp_min(const Tensor& x, double min) { return clamp(x, min, std::nullopt); }
inline Tensor clamp_max(const Tensor& x, double max) { return clamp(x, std::nullopt, max); }

}  // namespace genlab::ops

namespace genlab {
inline Tensor operator+(const Tensor& a, const Tensor& b) { return ops::add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return ops::sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return ops::mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return ops::div(a, b); }
inline Tensor operator+(const Tensor& a, double s) { return ops::add(a, s); }
inline Tensor operator-(const Tensor& a, double s) { return ops::sub(a, s); }
inline Tensor operator*(const Tensor& a, double s) { return ops::mul(a, s); }
inline Tensor operator/(const Tensor& a, double s) { return ops::div(a, s); }
inline Tensor operator+(double s, const Tensor& a) { return ops::add(a, s); }
inline Tensor operator-(double s, const Tensor& a) { return ops::sub(s, a); }
inline Tensor operator*(double s, const Tensor& a) { return ops::mul(a, s); }
inline Tensor operator/(double s, const Tensor& a) { return ops::div(s, a); }
inline Tensor operator-(const Tensor& a) { return ops::neg(a); }
}  // namespace genlab
