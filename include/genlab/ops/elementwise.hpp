// Element-wise ops with PyTorch broadcasting: add, sub, mul, div, pow (tensor and
// scalar forms, operators), maximum, minimum, unary math (exp, log, sqrt, tanh,
// sigmoid, neg, abs, sin, cos, erf, log1p, expm1, rsqrt, reciprocal, sign,
// floor, round), activations (relu, gelu exact/tanh, silu, softplus,
// leaky_relu, elu, mish, hardtanh, logsigmoid) and clamp (where and comparisons:
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

// torch.maximum / torch.minimum: NaN in either input gives NaN. The gradient goes
// to the larger (smaller) input, half to each where a == b, and whole to both
// where either is NaN (PyTorch's masks: every comparison with NaN is false).
namespace detail {
inline Tensor extremum(BinaryOp op, const Tensor& a0, const Tensor& b0, const char* node) {
  const auto [a, b] = promote(a0, b0);
  Tensor out = binary_forward(op, a, b);
  if (autograd::needs_grad(a, b)) {
    Tensor ad = a.detach(), bd = b.detach();
    bool ga = a.requires_grad(), gb = b.requires_grad();
    const CompareOp a_loses = op == BinaryOp::maximum ? CompareOp::lt : CompareOp::gt;
    const CompareOp b_loses = op == BinaryOp::maximum ? CompareOp::gt : CompareOp::lt;
    autograd::record(node, out, {a, b}, [ad, bd, ga, gb, a_loses, b_loses](const Tensor& g) {
      Tensor w = where(compare(ad, bd, CompareOp::eq), mul(g, 0.5), g);
      return std::vector{ga ? sum_to(where(compare(ad, bd, a_loses), 0.0, w), ad.shape()) : Tensor(),
                         gb ? sum_to(where(compare(ad, bd, b_loses), 0.0, w), bd.shape()) : Tensor()};
    }, autograd::Saves::inputs);
  }
  return out;
}
}  // namespace detail
inline Tensor maximum(const Tensor& a, const Tensor& b) {
  return detail::extremum(BinaryOp::maximum, a, b, "MaximumBackward");
}
inline Tensor minimum(const Tensor& a, const Tensor& b) {
  return detail::extremum(BinaryOp::minimum, a, b, "MinimumBackward");
}

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
// p0, p1: the op's parameters (see UnaryOp), cast to the kernel's type.
inline Tensor unary_forward(UnaryOp op, const Tensor& x, double p0 = 0, double p1 = 0) {
  Tensor xd = dense(x);
  Tensor out = empty_like(x);
  if (x.device().is_cuda()) {
    check_cuda_f32(unary_name(op), x);
    cuda::unary(op, xd.data<float>(), out.data<float>(), x.numel(), float(p0), float(p1));
    return out;
  }
  dispatch_float(x.dtype(), unary_name(op), [&]<class T>() {
    cpu::unary(op, xd.data<T>(), out.data<T>(), x.numel(), T(p0), T(p1));
  });
  return out;
}
inline Tensor unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& g, double p0 = 0,
                             double p1 = 0) {
  Tensor gd = dense(g);
  Tensor gx = empty_like(g);
  if (g.device().is_cuda()) {
    cuda::unary_backward(op, x.data<float>(), y.data<float>(), gd.data<float>(), gx.data<float>(), g.numel(), float(p0),
                         float(p1));
    return gx;
  }
  dispatch_float(g.dtype(), unary_name(op), [&]<class T>() {
    cpu::unary_backward(op, x.data<T>(), y.data<T>(), gd.data<T>(), gx.data<T>(), g.numel(), T(p0), T(p1));
  });
  return gx;
}
// Forward plus a node whose backward is the fused derivative kernel.
inline Tensor unary(UnaryOp op, const Tensor& x, const char* node, double p0 = 0, double p1 = 0) {
  Tensor out = unary_forward(op, x, p0, p1);
  if (autograd::needs_grad(x)) {
    Tensor xd = dense(x.detach()), yd = out.detach();
    autograd::record(node, out, {x}, [op, xd, yd, p0, p1](const Tensor& g) {
      return std::vector{unary_backward(op, xd, yd, g, p0, p1)};
    });
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
inline Tensor sin(const Tensor& x) { return detail::unary(UnaryOp::sin, x, "SinBackward"); }
inline Tensor cos(const Tensor& x) { return detail::unary(UnaryOp::cos, x, "CosBackward"); }
inline Tensor erf(const Tensor& x) { return detail::unary(UnaryOp::erf, x, "ErfBackward"); }
inline Tensor log1p(const Tensor& x) { return detail::unary(UnaryOp::log1p, x, "Log1PBackward"); }
inline Tensor expm1(const Tensor& x) { return detail::unary(UnaryOp::expm1, x, "Expm1Backward"); }
inline Tensor rsqrt(const Tensor& x) { return detail::unary(UnaryOp::rsqrt, x, "RsqrtBackward"); }
inline Tensor reciprocal(const Tensor& x) { return detail::unary(UnaryOp::reciprocal, x, "ReciprocalBackward"); }
// sign, floor and round have a zero gradient, as in PyTorch; sign(NaN) = 0 (torch 1.13).
inline Tensor sign(const Tensor& x) { return detail::unary(UnaryOp::sign, x, "SignBackward"); }
inline Tensor floor(const Tensor& x) { return detail::unary(UnaryOp::floor, x, "FloorBackward"); }
// Half to even, as torch.round: round(0.5) = 0, round(1.5) = 2, round(-2.5) = -2.
inline Tensor round(const Tensor& x) { return detail::unary(UnaryOp::round, x, "RoundBackward"); }

// Activations as torch.nn.functional, with PyTorch's gradients at the kinks:
// leaky_relu's at 0 is negative_slope and elu's alpha (the left side); hardtanh's
// is 0 at both bounds (clamp's is 1 there).
inline Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01) {
  return detail::unary(UnaryOp::leaky_relu, x, "LeakyReluBackward", negative_slope);
}
inline Tensor elu(const Tensor& x, double alpha = 1.0) { return detail::unary(UnaryOp::elu, x, "EluBackward", alpha); }
// x tanh(softplus(x)).
inline Tensor mish(const Tensor& x) { return detail::unary(UnaryOp::mish, x, "MishBackward"); }
inline Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0) {
  GENLAB_CHECK(min_val <= max_val, "hardtanh: min_val ", min_val, " > max_val ", max_val);
  return detail::unary(UnaryOp::hardtanh, x, "HardtanhBackward", min_val, max_val);
}
// log(sigmoid(x)) = -softplus(-x), stable for large |x|.
inline Tensor logsigmoid(const Tensor& x) { return detail::unary(UnaryOp::logsigmoid, x, "LogSigmoidBackward"); }

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
