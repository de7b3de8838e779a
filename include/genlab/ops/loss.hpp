// Losses with torch.nn.functional semantics, composed from differentiable ops:
// cross_entropy (ignore_index, label_smoothing), nll_loss, mse_loss, l1_loss,
// binary_cross_entropy_with_logits, kl_div.
#pragma once
#include "genlab/ops/index.hpp"

namespace genlab::ops {

enum class Reduction { none, mean, sum, batchmean };

namespace detail {
inline Tensor reduce(const Tensor& per, Reduction r, const char* op) {
  switch (r) {
    case Reduction::none: return per;
    case Reduction::sum: return sum(per);
    case Reduction::mean: return mean(per);
    case Reduction::batchmean:
      GENLAB_CHECK(per.dim() >= 1, op, ": batchmean needs a batch dim, got shape ", shape_str(per.shape()));
      return div(sum(per), double(per.shape()[0]));
  }
  return per;
}
inline void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  GENLAB_CHECK(a.shape() == b.shape(), op, ": input ", shape_str(a.shape()), " and target ", shape_str(b.shape()),
               " must have the same shape");
  check_same(op, a, b);
}
// Classification loss on log-probabilities [N, C] and class indices [N].
inline Tensor classification_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index, double smoothing,
                                  Reduction reduction, const char* op) {
  GENLAB_CHECK(logp.dim() == 2, op, ": expected input [N, C], got ", shape_str(logp.shape()));
  GENLAB_CHECK(target.dim() == 1 && target.shape()[0] == logp.shape()[0], op, ": target ", shape_str(target.shape()),
               " does not match input ", shape_str(logp.shape()), " (expects [", logp.shape()[0], "])");
  GENLAB_CHECK(smoothing >= 0 && smoothing <= 1, op, ": label_smoothing must be in [0, 1], got ", smoothing);
  GENLAB_CHECK(reduction != Reduction::batchmean, op, ": batchmean is for kl_div");
  const int64_t n = logp.shape()[0], c = logp.shape()[1];
  Tensor t = dense(target).to(DType::i64);
  std::vector<int64_t> safe(static_cast<size_t>(n));
  std::vector<double> keep(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t v = t.data<int64_t>()[i];
    keep[size_t(i)] = v == ignore_index ? 0.0 : 1.0;
    GENLAB_CHECK(v == ignore_index || (v >= 0 && v < c), op, ": target ", v, " at position ", i, " out of range [0, ", c, ")");
    safe[size_t(i)] = v == ignore_index ? 0 : v;
  }
  Tensor picked = squeeze(gather(logp, 1, Tensor::from_vector(safe, {n, 1})), 1);
  Tensor per = neg(picked);
  if (smoothing > 0) per = add(mul(per, 1.0 - smoothing), mul(mean(logp, {1}), -smoothing));
  Tensor mask = Tensor::from_vector(keep, {n}, TensorOptions(logp.dtype(), logp.device()));
  per = mul(per, mask);
  if (reduction == Reduction::mean) return div(sum(per), std::max(1.0, sum(mask).item<double>()));
  return reduce(per, reduction, op);
}
}  // namespace detail

// logits [N, C], target int [N]; mean over targets that are not ignore_index.
inline Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index = -100,
                            double label_smoothing = 0.0, Reduction reduction = Reduction::mean) {
  return detail::classification_loss(log_softmax(logits, -1), target, ignore_index, label_smoothing, reduction,
                                     "cross_entropy");
}

inline Tensor nll_loss(const Tensor& log_probs, const Tensor& target, int64_t ignore_index = -100,
                       Reduction reduction = Reduction::mean) {
  return detail::classification_loss(log_probs, target, ignore_index, 0.0, reduction, "nll_loss");
}

inline Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean) {
  detail::check_same_shape("mse_loss", input, target);
  Tensor d = sub(input, target);
  return detail::reduce(mul(d, d), reduction, "mse_loss");
}

inline Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean) {
  detail::check_same_shape("l1_loss", input, target);
  return detail::reduce(abs(sub(input, target)), reduction, "l1_loss");
}

// Stable: softplus(x) - x * y.
inline Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                               Reduction reduction = Reduction::mean) {
  detail::check_same_shape("binary_cross_entropy_with_logits", logits, target);
  return detail::reduce(sub(softplus(logits), mul(logits, target)), reduction, "binary_cross_entropy_with_logits");
}

// input = log q, target = p (probabilities): p * (log p - log q), 0 where p = 0.
// The target is treated as a constant (no gradient flows to it).
inline Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean) {
  detail::check_same_shape("kl_div", input, target);
  Tensor p = target.detach();
  Tensor zero = detail::scalar_like(p, 0.0);
  Tensor plogp = where(compare(p, zero, CompareOp::gt), mul(p, log(where(compare(p, zero, CompareOp::gt), p, detail::scalar_like(p, 1.0)))), zero);
  return detail::reduce(sub(plogp, mul(p, input)), reduction, "kl_div");
}

}  // namespace genlab::ops
