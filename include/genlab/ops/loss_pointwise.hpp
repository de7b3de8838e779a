// Element-wise losses whose kinks and clamps follow PyTorch's kernels exactly:
// the forward is composed from differentiable ops, and one node per loss
// gives PyTorch's gradient (also where a plain composition would differ: at
// |d| = beta, at beta = 0, for infinite d, at probabilities 0 and 1):
//   smooth_l1_loss(input, target, reduction, beta)     huber_loss(input, target, reduction, delta)
//   binary_cross_entropy(input, target, weight, reduction)   on probabilities
// input and target have the same shape; reductions as in loss.hpp.
#pragma once
#include <atomic>

#include "genlab/ops/loss.hpp"

namespace genlab::ops {

namespace detail {
// smooth_l1 (huber = false): |d| < k ? 0.5 d^2 / k : |d| - 0.5 k, and huber:
// |d| < k ? 0.5 d^2 : k (|d| - 0.5 k), for d = input - target, as PyTorch's
// kernels. The gradient is theirs too: with e = input - target for the input
// and e = target - input for the target, -s where e <= -k, s where e >= k (s
// = 1, or k for huber), else e / k (e for huber). So |d| = k gives the slope
// of the linear part, beta = 0 gives -1 at d = 0 for both, and an infinite d
// gives +-s (a where over the two branches would give 0 * inf = NaN).
inline Tensor piecewise_loss(const Tensor& input, const Tensor& target, double k, bool huber, const char* op) {
  check_same_shape(op, input, target);
  const auto [a, b] = promote(input, target);
  const Tensor xd = a.detach(), td = b.detach();
  Tensor per;
  {
    autograd::NoGradGuard ng;
    const Tensor z = abs(sub(xd, td)), in = compare(z, k, CompareOp::lt);
    per = huber ? where(in, mul(mul(z, 0.5), z), mul(sub(z, 0.5 * k), k))
                : where(in, div(mul(mul(z, 0.5), z), k), sub(z, 0.5 * k));
  }
  if (autograd::needs_grad(a, b)) {
    const bool ga = a.requires_grad(), gb = b.requires_grad();  // only the gradients asked for are computed
    autograd::record(huber ? "HuberLossBackward" : "SmoothL1LossBackward", per, {a, b}, [xd, td, k, huber, ga, gb](const Tensor& g) {
      auto slope = [&](const Tensor& e) {
        const double s = huber ? k : 1.0;
        return where(compare(e, -k, CompareOp::le), -s,
                     where(compare(e, k, CompareOp::ge), detail::scalar_like(e, s), huber ? e : div(e, k)));
      };
      return std::vector{ga ? mul(g, slope(sub(xd, td))) : Tensor(), gb ? mul(g, slope(sub(td, xd))) : Tensor()};
    }, autograd::Saves::inputs);
  }
  return per;
}

// Input values of binary_cross_entropy must be probabilities: checked as
// PyTorch's CPU kernel does (NaN fails too). On CUDA through the clamp kernel
// and one sum read back: |x - clamp(x, 0, 1)| sums to 0 exactly when all are in [0, 1].
inline void check_probabilities(const Tensor& x, const char* op) {
  if (x.device().is_cuda()) {
    const Tensor xd = x.detach();
    const double off = sum(abs(sub(xd, clamp(xd, 0.0, 1.0)))).item<double>();
    GENLAB_CHECK(off == 0, op, ": all elements of the input ", shape_str(x.shape()),
                 " must be probabilities in [0, 1]; some are outside or NaN");
    return;
  }
  const Tensor xd = dense(x.detach());
  dispatch_float(x.dtype(), op, [&]<class T>() {
    const T* p = xd.data<T>();
    std::atomic<bool> bad{false};  // a branch-free counting pass (it vectorizes); the first bad element is found after
    parallel_for(xd.numel(), int64_t(1) << 14, [&](int64_t b, int64_t e) {
      int64_t outside = 0;
#pragma omp simd reduction(+ : outside)
      for (int64_t i = b; i < e; ++i) outside += !((p[i] >= T(0)) & (p[i] <= T(1)));
      if (outside) bad = true;
    });
    for (int64_t i = 0; bad && i < xd.numel(); ++i)
      GENLAB_CHECK(p[i] >= T(0) && p[i] <= T(1), op, ": all elements of the input ", shape_str(x.shape()),
                   " must be probabilities in [0, 1]; element ", i, " is ", double(p[i]));
  });
}
}  // namespace detail

// torch.nn.functional.smooth_l1_loss: quadratic below beta (>= 0), linear above.
inline Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                             double beta = 1.0) {
  GENLAB_CHECK(beta >= 0, "smooth_l1_loss: beta must not be negative, got ", beta);
  GENLAB_CHECK(reduction != Reduction::batchmean, "smooth_l1_loss: batchmean is for kl_div");
  return detail::reduce(detail::piecewise_loss(input, target, beta, false, "smooth_l1_loss"), reduction, "smooth_l1_loss");
}

// torch.nn.functional.huber_loss: quadratic below delta (> 0), linear with slope delta above.
inline Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                         double delta = 1.0) {
  GENLAB_CHECK(delta > 0, "huber_loss: delta must be positive, got ", delta);
  GENLAB_CHECK(reduction != Reduction::batchmean, "huber_loss: batchmean is for kl_div");
  return detail::reduce(detail::piecewise_loss(input, target, delta, true, "huber_loss"), reduction, "huber_loss");
}

// torch.nn.functional.binary_cross_entropy on probabilities x (a Bernoulli
// decoder's output) and targets t of the same shape:
//   -w (t log x + (1 - t) log(1 - x)), each log clamped at -100,
// computed as PyTorch: (t - 1) max(log1p(-x), -100) - t max(log x, -100), so x
// = 0 or 1 gives at most 100, not inf. x outside [0, 1] (or NaN) raises. The
// weight broadcasts to x's shape and gets no gradient. The gradients are
// PyTorch's: g (x - t) / max(x (1 - x), 1e-12) for x (+-1e12 g at a wrong
// 0 or 1), -g log(x / (1 - x)) for t.
inline Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                                   Reduction reduction = Reduction::mean) {
  const char* op = "binary_cross_entropy";
  detail::check_same_shape(op, input, target);
  GENLAB_CHECK(reduction != Reduction::batchmean, op, ": batchmean is for kl_div");
  if (weight.defined()) {
    GENLAB_CHECK(broadcast_shapes(weight.shape(), input.shape(), op) == input.shape(), op, ": weight ",
                 shape_str(weight.shape()), " does not broadcast to the input's shape ", shape_str(input.shape()));
    GENLAB_CHECK(weight.device() == input.device(), op, ": weight on ", weight.device().str(), ", input on ",
                 input.device().str());
    GENLAB_CHECK(!autograd::needs_grad(weight), op, ": weight gets no gradient (as in PyTorch); pass weight.detach()");
  }
  detail::check_probabilities(input, op);
  const auto [x, t] = detail::promote(input, target);
  const Tensor xd = x.detach(), td = t.detach();
  Tensor per;
  {
    autograd::NoGradGuard ng;
    per = detail::binary_forward(BinaryOp::bce, xd, td);  // one fused kernel: composed, it took 1.2-1.4x PyTorch's time
  }
  if (autograd::needs_grad(x, t)) {
    const bool gx = x.requires_grad(), gt = t.requires_grad();  // only the gradients asked for are computed
    autograd::record("BinaryCrossEntropyBackward", per, {x, t}, [xd, td, gx, gt](const Tensor& g) {
      return std::vector{gx ? mul(g, detail::binary_forward(BinaryOp::bce_grad, xd, td)) : Tensor(),
                         gt ? neg(mul(g, log(div(xd, sub(1.0, xd))))) : Tensor()};
    }, autograd::Saves::inputs);
  }
  if (weight.defined()) per = mul(per, weight);
  return detail::reduce(per, reduction, op);
}

}  // namespace genlab::ops
