// Element-wise CPU kernels: unary math and activations (xsimd batches, OpenMP
// chunks), their derivatives, and broadcasting binary ops.
#include <algorithm>
#include <cmath>
#include <xsimd/xsimd.hpp>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

namespace genlab {

const char* unary_name(UnaryOp op) {
  static const char* names[] = {"neg", "exp", "log", "sqrt", "tanh", "sigmoid", "relu",
                                "gelu", "gelu_tanh", "silu", "softplus", "abs",
                                "sin", "cos", "erf", "log1p", "expm1", "rsqrt", "reciprocal", "sign", "floor", "round",
                                "leaky_relu", "elu", "mish", "hardtanh", "logsigmoid"};
  return names[int(op)];
}
const char* binary_name(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "bce", "bce_grad"};
  return names[int(op)];
}

namespace cpu {
namespace {

constexpr int64_t kGrain = 1 << 12;  // elements per thread before threading pays (measured on the MLP step)

// erf for float batches: the rational minimax approximation x P(x^2) / Q(x^2) on
// [-4, 4] (float's erf is +-1 outside) used by Eigen and XLA; no exp, about 2x
// faster than xsimd::erf. double keeps xsimd::erf so gradcheck and PyTorch
// parity stay exact. Checked against double in tests (LargeInputs.GeluFloatMatchesDouble).
template <class B>
inline B erf_fast(const B& a) {
  using T = typename B::value_type;
  if constexpr (std::is_same_v<T, double>) {
    return xsimd::erf(a);
  } else {
    const B x = xsimd::clip(a, B(-4.f), B(4.f)), x2 = x * x;
    B p = xsimd::fma(x2, B(-2.72614225801306e-10f), B(2.77068142495902e-08f));
    p = xsimd::fma(x2, p, B(-2.10102402082508e-06f));
    p = xsimd::fma(x2, p, B(-5.69250639462346e-05f));
    p = xsimd::fma(x2, p, B(-7.34990630326855e-04f));
    p = xsimd::fma(x2, p, B(-2.95459980854025e-03f));
    p = xsimd::fma(x2, p, B(-1.60960333262415e-02f));
    B q = xsimd::fma(x2, B(-1.45660718464996e-05f), B(-2.13374055278905e-04f));
    q = xsimd::fma(x2, q, B(-1.68282697438203e-03f));
    q = xsimd::fma(x2, q, B(-7.37332916720468e-03f));
    q = xsimd::fma(x2, q, B(-1.42647390514189e-02f));
    return x * p / q;
  }
}

// The forward math, written once for xsimd batches; p0, p1 as in UnaryOp.
template <UnaryOp Op, class B>
inline B apply(const B& x, typename B::value_type p0, typename B::value_type p1) {
  using T = typename B::value_type;
  if constexpr (Op == UnaryOp::neg) return -x;
  else if constexpr (Op == UnaryOp::exp) return xsimd::exp(x);
  else if constexpr (Op == UnaryOp::log) return xsimd::log(x);
  else if constexpr (Op == UnaryOp::sqrt) return xsimd::sqrt(x);
  else if constexpr (Op == UnaryOp::tanh) return xsimd::tanh(x);
  else if constexpr (Op == UnaryOp::sigmoid) return B(T(1)) / (B(T(1)) + xsimd::exp(-x));
  // a select, not max(x, 0): max drops a NaN operand, and relu must pass NaN on (as PyTorch)
  else if constexpr (Op == UnaryOp::relu) return xsimd::select(x < B(T(0)), B(T(0)), x);
  else if constexpr (Op == UnaryOp::gelu) return B(T(0.5)) * x * (B(T(1)) + erf_fast(x * B(T(M_SQRT1_2))));
  else if constexpr (Op == UnaryOp::gelu_tanh) {
    const B k(T(0.7978845608028654)), c(T(0.044715));
    return B(T(0.5)) * x * (B(T(1)) + xsimd::tanh(k * (x + c * x * x * x)));
  } else if constexpr (Op == UnaryOp::silu) return x / (B(T(1)) + xsimd::exp(-x));
  else if constexpr (Op == UnaryOp::softplus) {
    // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|
    return xsimd::max(x, B(T(0))) + xsimd::log1p(xsimd::exp(-xsimd::abs(x)));
  } else if constexpr (Op == UnaryOp::abs) return xsimd::abs(x);
  else if constexpr (Op == UnaryOp::sin) return xsimd::sin(x);
  else if constexpr (Op == UnaryOp::cos) return xsimd::cos(x);
  // erf_fast's clip drops NaN; isnan, as xsimd 8's != compares ordered (false at NaN)
  else if constexpr (Op == UnaryOp::erf) return xsimd::select(xsimd::isnan(x), x, erf_fast(x));
  else if constexpr (Op == UnaryOp::log1p) return xsimd::log1p(x);
  else if constexpr (Op == UnaryOp::expm1) return xsimd::expm1(x);
  else if constexpr (Op == UnaryOp::rsqrt) return B(T(1)) / xsimd::sqrt(x);  // not xsimd::rsqrt: 12 bits in float
  else if constexpr (Op == UnaryOp::reciprocal) return B(T(1)) / x;
  // (0 < x) - (x < 0): 0 at NaN and at -0, as PyTorch
  else if constexpr (Op == UnaryOp::sign) {
    const B one(T(1)), zero(T(0));
    return xsimd::select(x > zero, one, zero) - xsimd::select(x < zero, one, zero);
  } else if constexpr (Op == UnaryOp::floor) return xsimd::floor(x);
  else if constexpr (Op == UnaryOp::round) return xsimd::nearbyint(x);  // the default rounding mode: half to even
  else if constexpr (Op == UnaryOp::leaky_relu) return xsimd::select(x > B(T(0)), x, x * B(p0));
  else if constexpr (Op == UnaryOp::elu) return xsimd::select(x > B(T(0)), x, B(p0) * xsimd::expm1(x));
  else if constexpr (Op == UnaryOp::mish) return x * xsimd::tanh(apply<UnaryOp::softplus>(x, p0, p1));
  else if constexpr (Op == UnaryOp::hardtanh)  // a select, not clip: NaN passes, as torch.nn.functional.hardtanh
    return xsimd::select(x < B(p0), B(p0), xsimd::select(x > B(p1), B(p1), x));
  else return xsimd::min(x, B(T(0))) - xsimd::log1p(xsimd::exp(-xsimd::abs(x)));  // logsigmoid = -softplus(-x)
}

template <UnaryOp Op, class T>
void unary_loop(const T* x, T* y, int64_t n, T p0, T p1) {
  using B = xsimd::batch<T>;
  constexpr int64_t W = int64_t(B::size);
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    int64_t i = b;
    for (; i + W <= e; i += W) apply<Op>(B::load_unaligned(x + i), p0, p1).store_unaligned(y + i);
    if (i < e) {  // tail through a padded batch
      alignas(64) T buf[W] = {};
      for (int64_t j = i; j < e; ++j) buf[j - i] = x[j];
      apply<Op>(B::load_aligned(buf), p0, p1).store_aligned(buf);
      for (int64_t j = i; j < e; ++j) y[j] = buf[j - i];
    }
  });
}

// d op(x)/dx given x and y = op(x), scalar; p0 as in UnaryOp. The kinks take
// PyTorch's side: leaky_relu and elu the left one at 0 (elu: alpha), and the
// slope at NaN for leaky_relu, 1 for elu.
template <class T>
inline T derivative(UnaryOp op, T x, T y, T p0) {
  switch (op) {
    case UnaryOp::neg: return T(-1);
    case UnaryOp::exp: return y;
    case UnaryOp::log: return T(1) / x;
    case UnaryOp::sqrt: return T(0.5) / y;
    case UnaryOp::tanh: return T(1) - y * y;
    case UnaryOp::sigmoid: return y * (T(1) - y);
    case UnaryOp::relu: return x <= T(0) ? T(0) : T(1);  // 1 at NaN, as PyTorch
    case UnaryOp::gelu: {
      T cdf = T(0.5) * (T(1) + std::erf(x * T(M_SQRT1_2)));
      T pdf = std::exp(T(-0.5) * x * x) * T(0.3989422804014327);
      return cdf + x * pdf;
    }
    case UnaryOp::gelu_tanh: {
      const T k = T(0.7978845608028654), c = T(0.044715);
      T t = std::tanh(k * (x + c * x * x * x));
      return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * k * (T(1) + T(3) * c * x * x);
    }
    case UnaryOp::silu: {
      T s = T(1) / (T(1) + std::exp(-x));
      return s * (T(1) + x * (T(1) - s));
    }
    case UnaryOp::softplus: return T(1) / (T(1) + std::exp(-x));
    case UnaryOp::abs: return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
    case UnaryOp::sin: return std::cos(x);
    case UnaryOp::cos: return -std::sin(x);
    case UnaryOp::erf: return T(1.1283791670955126) * std::exp(-x * x);  // 2 / sqrt(pi)
    case UnaryOp::log1p: return T(1) / (T(1) + x);
    case UnaryOp::expm1: return y + T(1);
    case UnaryOp::rsqrt: return T(-0.5) * y * y * y;
    case UnaryOp::reciprocal: return -y * y;
    case UnaryOp::leaky_relu: return x > T(0) ? T(1) : p0;
    case UnaryOp::elu: return x <= T(0) ? p0 * std::exp(x) : T(1);
    case UnaryOp::mish: {  // tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2), sp = softplus(x)
      T t = std::tanh(std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)))), s = T(1) / (T(1) + std::exp(-x));
      return t + x * s * (T(1) - t * t);
    }
    case UnaryOp::logsigmoid: return T(1) / (T(1) + std::exp(x));
    case UnaryOp::sign: case UnaryOp::floor: case UnaryOp::round: case UnaryOp::hardtanh: break;  // unary_backward
  }
  return T(0);
}

template <class T>
inline T binary_scalar(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    case BinaryOp::pow: return std::pow(a, b);
    case BinaryOp::maximum: return (a > b || a != a) ? a : b;  // NaN in either gives NaN, as PyTorch
    case BinaryOp::minimum: return (a < b || a != a) ? a : b;
    // PyTorch's formulas: each log clamped at -100, the gradient's denominator at 1e-12
    case BinaryOp::bce: return (b - T(1)) * std::max(std::log1p(-a), T(-100)) - b * std::max(std::log(a), T(-100));
    case BinaryOp::bce_grad: return (a - b) / std::max((T(1) - a) * a, T(1e-12));
  }
  return T(0);
}

// binary_cross_entropy's ops call log and log1p: through libm one element at a
// time they ran 15x slower than these xsimd batches (a, b contiguous).
template <BinaryOp Op, class B>
inline B bce_batch(const B& a, const B& b) {
  using T = typename B::value_type;
  if constexpr (Op == BinaryOp::bce)
    return (b - B(T(1))) * xsimd::max(xsimd::log1p(-a), B(T(-100))) - b * xsimd::max(xsimd::log(a), B(T(-100)));
  else
    return (a - b) / xsimd::max((B(T(1)) - a) * a, B(T(1e-12)));
}

// One row of the innermost dim; the three stride patterns that matter get
// their own loop so the compiler vectorises them.
template <BinaryOp Op, class T>
inline void binary_row(const T* a, int64_t sa, const T* b, int64_t sb, T* out, int64_t n) {
  if constexpr (Op == BinaryOp::bce || Op == BinaryOp::bce_grad) {
    if (sa == 1 && sb == 1) {
      using B = xsimd::batch<T>;
      int64_t i = 0;
      for (; i + int64_t(B::size) <= n; i += int64_t(B::size))
        bce_batch<Op>(B::load_unaligned(a + i), B::load_unaligned(b + i)).store_unaligned(out + i);
      for (; i < n; ++i) out[i] = binary_scalar(Op, a[i], b[i]);
      return;
    }
  }
  if (sa == 1 && sb == 1) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = binary_scalar(Op, a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const T bv = *b;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = binary_scalar(Op, a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const T av = *a;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = binary_scalar(Op, av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = binary_scalar(Op, a[i * sa], b[i * sb]);
  }
}

// gx = keep(x) ? gy : 0, a vectorisable select: gy passes at NaN (as PyTorch)
// and 0 * inf never forms. For the gradients that are masks (relu, hardtanh).
template <class T, class Keep>
void pass_where(const T* x, const T* gy, T* gx, int64_t n, Keep keep) {
  parallel_for(n, kGrain, [=](int64_t b, int64_t e) {
    const T* __restrict xr = x;
    const T* __restrict gr = gy;
    T* __restrict out = gx;
#pragma omp simd
    for (int64_t i = b; i < e; ++i) out[i] = keep(xr[i]) ? gr[i] : T(0);
  });
}

template <BinaryOp Op, class T>
void binary_impl(const T* a, const Strides& sa, const T* b, const Strides& sb, T* out, const Shape& shape) {
  const int64_t n = numel_of(shape);
  if (n == 0) return;
  const size_t nd = shape.size();
  if (nd == 0) { out[0] = binary_scalar(Op, a[0], b[0]); return; }
  const int64_t inner = shape[nd - 1], rows = n / inner;
  const int64_t ia = sa[nd - 1], ib = sb[nd - 1];
  if (rows == 1) {  // one long row: split it across threads
    parallel_for(inner, kGrain, [&](int64_t s, int64_t e) {
      binary_row<Op>(a + s * ia, ia, b + s * ib, ib, out + s, e - s);
    });
    return;
  }
  parallel_for(rows, std::max<int64_t>(1, kGrain / inner), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t oa = 0, ob = 0, rem = r;  // row index -> offsets of a and b
      for (size_t d = nd - 1; d-- > 0;) {
        int64_t i = rem % shape[d];
        rem /= shape[d];
        oa += i * sa[d];
        ob += i * sb[d];
      }
      binary_row<Op>(a + oa, ia, b + ob, ib, out + r * inner, inner);
    }
  });
}

}  // namespace

template <class T>
void unary(UnaryOp op, const T* x, T* y, int64_t n, T p0, T p1) {
  switch (op) {
#define GENLAB_CASE(name) case UnaryOp::name: return unary_loop<UnaryOp::name>(x, y, n, p0, p1);
    GENLAB_CASE(neg) GENLAB_CASE(exp) GENLAB_CASE(log) GENLAB_CASE(sqrt) GENLAB_CASE(tanh) GENLAB_CASE(sigmoid)
    GENLAB_CASE(relu) GENLAB_CASE(gelu) GENLAB_CASE(gelu_tanh) GENLAB_CASE(silu) GENLAB_CASE(softplus) GENLAB_CASE(abs)
    GENLAB_CASE(sin) GENLAB_CASE(cos) GENLAB_CASE(erf) GENLAB_CASE(log1p) GENLAB_CASE(expm1) GENLAB_CASE(rsqrt)
    GENLAB_CASE(reciprocal) GENLAB_CASE(sign) GENLAB_CASE(floor) GENLAB_CASE(round) GENLAB_CASE(leaky_relu)
    GENLAB_CASE(elu) GENLAB_CASE(mish) GENLAB_CASE(hardtanh) GENLAB_CASE(logsigmoid)
#undef GENLAB_CASE
  }
}

template <class T>
void unary_backward(UnaryOp op, const T* x, const T* y, const T* gy, T* gx, int64_t n, T p0, T p1) {
  if (op == UnaryOp::sign || op == UnaryOp::floor || op == UnaryOp::round) {  // zero, as PyTorch (not 0 * gy)
    parallel_for(n, kGrain, [=](int64_t b, int64_t e) { std::fill(gx + b, gx + e, T(0)); });
    return;
  }
  if (op == UnaryOp::relu) return pass_where(x, gy, gx, n, [](T v) { return !(v <= T(0)); });  // the hot one in MLPs
  if (op == UnaryOp::hardtanh) return pass_where(x, gy, gx, n, [=](T v) { return !(v <= p0 || v >= p1); });  // 0 at bounds
  parallel_for(n, kGrain / 8, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) gx[i] = gy[i] * derivative(op, x ? x[i] : T(0), y ? y[i] : T(0), p0);
  });
}

template <class T>
void binary(BinaryOp op, const T* a, const Strides& sa, const T* b, const Strides& sb, T* out, const Shape& shape) {
  switch (op) {
#define GENLAB_CASE(name) case BinaryOp::name: return binary_impl<BinaryOp::name>(a, sa, b, sb, out, shape);
    GENLAB_CASE(add) GENLAB_CASE(sub) GENLAB_CASE(mul) GENLAB_CASE(div) GENLAB_CASE(pow) GENLAB_CASE(maximum)
    GENLAB_CASE(minimum) GENLAB_CASE(bce) GENLAB_CASE(bce_grad)
#undef GENLAB_CASE
  }
}

template <class T>
void clamp(const T* x, T* y, int64_t n, T lo, T hi) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
  });
}
template <class T>
void clamp_backward(const T* x, const T* gy, T* gx, int64_t n, T lo, T hi) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) gx[i] = (x[i] >= lo && x[i] <= hi) ? gy[i] : T(0);
  });
}

#define GENLAB_INSTANTIATE(T)                                                                              \
  template void unary<T>(UnaryOp, const T*, T*, int64_t, T, T);                                            \
  template void unary_backward<T>(UnaryOp, const T*, const T*, const T*, T*, int64_t, T, T);               \
  template void binary<T>(BinaryOp, const T*, const Strides&, const T*, const Strides&, T*, const Shape&); \
  template void clamp<T>(const T*, T*, int64_t, T, T);                                                     \
  template void clamp_backward<T>(const T*, const T*, T*, int64_t, T, T);
GENLAB_INSTANTIATE(float)
GENLAB_INSTANTIATE(double)
#undef GENLAB_INSTANTIATE

}  // namespace cpu
}  // namespace genlab
