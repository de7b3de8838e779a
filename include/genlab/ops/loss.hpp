// Losses with torch.nn.functional semantics, composed from differentiable ops:
// cross_entropy (class indices with ignore_index, class weights and
// label_smoothing; or class probabilities), nll_loss, mse_loss, l1_loss,
// binary_cross_entropy_with_logits, kl_div. smooth_l1_loss, huber_loss and
// binary_cross_entropy, whose kinks need PyTorch's own gradients, are in loss_pointwise.hpp.
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
// Same shape and device; mixed float dtypes promote in the element-wise ops, as PyTorch.
inline void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  GENLAB_CHECK(a.shape() == b.shape(), op, ": input ", shape_str(a.shape()), " and target ", shape_str(b.shape()),
               " must have the same shape");
  GENLAB_CHECK(a.device() == b.device(), op, ": device mismatch, input on ", a.device().str(), ", target on ",
               b.device().str());
}
// Validates input [N, C], class indices [N] and the options of a classification
// loss; returns the targets as int64.
inline Tensor classification_targets(const Tensor& input, const Tensor& target, int64_t ignore_index, double smoothing,
                                     Reduction reduction, const char* op) {
  GENLAB_CHECK(input.dim() == 2, op, ": expected input [N, C], got ", shape_str(input.shape()));
  GENLAB_CHECK(target.dim() == 1 && target.shape()[0] == input.shape()[0], op, ": target ", shape_str(target.shape()),
               " does not match input ", shape_str(input.shape()), " (expects [", input.shape()[0], "])");
  GENLAB_CHECK(smoothing >= 0 && smoothing <= 1, op, ": label_smoothing must be in [0, 1], got ", smoothing);
  GENLAB_CHECK(reduction != Reduction::batchmean, op, ": batchmean is for kl_div");
  Tensor t = host_indices(target, op);
  const int64_t* pt = t.data<int64_t>();
  const int64_t c = input.shape()[1];
  for (int64_t i = 0; i < t.numel(); ++i)
    GENLAB_CHECK(pt[i] == ignore_index || (pt[i] >= 0 && pt[i] < c), op, ": target ", pt[i], " at position ", i,
                 " out of range [0, ", c, ")");
  return t;
}

// Classification loss on log-probabilities [N, C] and class indices [N].
inline Tensor classification_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index, double smoothing,
                                  Reduction reduction, const char* op) {
  Tensor t = classification_targets(logp, target, ignore_index, smoothing, reduction, op);
  const int64_t n = logp.shape()[0];
  std::vector<int64_t> safe(static_cast<size_t>(n));
  std::vector<double> keep(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t v = t.data<int64_t>()[i];
    keep[size_t(i)] = v == ignore_index ? 0.0 : 1.0;
    safe[size_t(i)] = v == ignore_index ? 0 : v;
  }
  Tensor picked = squeeze(gather(logp, 1, Tensor::from_vector(safe, {n, 1})), 1);
  Tensor per = neg(picked);
  if (smoothing > 0) per = add(mul(per, 1.0 - smoothing), mul(mean(logp, {1}), -smoothing));
  Tensor mask = Tensor::from_vector(keep, {n}, TensorOptions(logp.dtype(), logp.device()));
  per = mul(per, mask);
  if (reduction == Reduction::mean) {
    const double count = sum(mask).item<double>();
    Tensor out = div(sum(per), std::max(1.0, count));
    // no counted target: the mean is 0/0 = NaN as in PyTorch, and the gradient
    // stays 0 (a division by the zero count would make it NaN as well)
    return count > 0 ? out : add(out, std::numeric_limits<double>::quiet_NaN());
  }
  return reduce(per, reduction, op);
}

// The fused mean cross-entropy on CUDA: per-row losses and log-sum-exps in
// one kernel, their mean, and an element-wise backward kernel.
inline Tensor cross_entropy_mean_cuda(const Tensor& logits, const Tensor& device_target, int64_t count,
                                      int64_t ignore_index, double smoothing) {
  check_cuda_f32("cross_entropy", logits);
  const int64_t n = logits.shape()[0], c = logits.shape()[1];
  Tensor xd = dense(logits.detach()), t = device_target;
  Tensor rows = empty_like(xd, {n}), lse = empty_like(xd, {n});
  cuda::cross_entropy_rows(xd.data<float>(), t.data<int64_t>(), rows.data<float>(), lse.data<float>(), n, c, ignore_index,
                           float(smoothing));
  Tensor out = div(sum(rows), double(count));  // no counted target: 0/0 = NaN, as PyTorch
  if (autograd::needs_grad(logits)) {
    autograd::record("CrossEntropyBackward", out, {logits, Tensor()}, [=](const Tensor& g) {
      Tensor gx = empty_like(xd);
      const float scale = count > 0 ? float(g.item<double>() / double(count)) : 0.f;  // no counted row: all zero
      cuda::cross_entropy_backward(xd.data<float>(), t.data<int64_t>(), lse.data<float>(), gx.data<float>(), n, c,
                                   ignore_index, float(smoothing), scale);
      return std::vector{gx, Tensor()};
    }, autograd::Saves::inputs, {t});
  }
  return out;
}

// The fused mean cross-entropy for logits [N, C]: one log_softmax kernel pass
// forward, one pass backward. Added because the composed version
// (classification_loss over log_softmax, still the reference in tests) cost
// about 8% of the 2-thread MLP epoch in benchmarks/bench.cpp.
inline Tensor cross_entropy_mean(const Tensor& logits, const Tensor& target, int64_t ignore_index, double smoothing) {
  Tensor t = classification_targets(logits, target, ignore_index, smoothing, Reduction::mean, "cross_entropy");
  const int64_t n = logits.shape()[0], c = logits.shape()[1];
  const int64_t* pt = t.data<int64_t>();
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += pt[i] != ignore_index;
  if (logits.device().is_cuda()) {  // targets already on the device as int64 are used there, not uploaded again
    const bool on_device = target.device() == logits.device() && target.dtype() == DType::i64 && target.is_contiguous();
    return cross_entropy_mean_cuda(logits, on_device ? target.detach() : t.to(logits.device()), count, ignore_index,
                                   smoothing);
  }
  Tensor xd = dense(logits), logp = empty_like(xd), out = empty_like(logits, {});
  dispatch_float(logits.dtype(), "cross_entropy", [&]<class T>() {
    cpu::softmax(xd.data<T>(), logp.data<T>(), n, c, true);
    const T* lp = logp.data<T>();
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (pt[i] == ignore_index) continue;
      double row = 0;
      if (smoothing > 0)
        for (int64_t j = 0; j < c; ++j) row += double(lp[i * c + j]);
      total += -(1 - smoothing) * double(lp[i * c + pt[i]]) - smoothing * row / double(c);
    }
    out.data<T>()[0] = T(total / double(count));  // no counted target: 0/0 = NaN, as PyTorch
  });
  if (autograd::needs_grad(logits)) {
    autograd::record("CrossEntropyBackward", out, {logits, Tensor()}, [=](const Tensor& g) {
      const int64_t* pt = t.data<int64_t>();  // t is held by this closure; the forward's pointer is not
      Tensor gx = empty_like(logp);
      dispatch_float(logp.dtype(), "cross_entropy", [&]<class T>() {
        const T scale = count > 0 ? T(g.item<double>() / double(count)) : T(0);  // no counted row: all zero
        const T on = T(1 - smoothing), off = T(smoothing / double(c));
        const T* lp = logp.data<T>();
        T* px = gx.data<T>();
        for (int64_t i = 0; i < n; ++i) {
          const bool keep = pt[i] != ignore_index;
          for (int64_t j = 0; j < c; ++j)
            // an ignored row gets 0 * exp(logp), as log_softmax's backward of a zero
            // gradient in PyTorch: NaN where its logits made logp NaN, else 0
            px[i * c + j] = keep ? scale * (std::exp(lp[i * c + j]) - off - (j == pt[i] ? on : T(0)))
                                 : T(0) * std::exp(lp[i * c + j]);
        }
      });
      return std::vector{gx, Tensor()};
    }, autograd::Saves::inputs, {t});
  }
  return out;
}

// Class weights [C] of a classification loss on `input` [N, C] (validated
// before): in the input's dtype; they get no gradient, as in PyTorch.
inline Tensor class_weights(const Tensor& weight, const Tensor& input, const char* op) {
  const int64_t c = input.shape()[1];
  GENLAB_CHECK(weight.dim() == 1 && weight.shape()[0] == c, op, ": weight ", shape_str(weight.shape()),
               " must hold one weight per class of input ", shape_str(input.shape()), " ([", c, "])");
  GENLAB_CHECK(weight.device() == input.device(), op, ": weight on ", weight.device().str(), ", input on ",
               input.device().str());
  GENLAB_CHECK(!autograd::needs_grad(weight), op, ": weight gets no gradient (as in PyTorch); pass weight.detach()");
  GENLAB_CHECK(weight.dtype() == input.dtype(), op, ": weight is ", dtype_name(weight.dtype()), ", input ",
               dtype_name(input.dtype()), " (PyTorch does not promote class weights either)");
  return weight;
}

// The weighted loss on log-probabilities [N, C] and class indices [N], as
// PyTorch's nll_loss with weight and cross_entropy's label smoothing: row i
// loses -w[t_i] logp[i, t_i] (0 where ignored); smoothing mixes in
// -sum_c w_c logp[i, c] / C; the mean divides both by the sum of w[t_i] over
// the rows not ignored (0/0 = NaN when there is none).
inline Tensor weighted_classification_loss(const Tensor& logp, const Tensor& target, const Tensor& weight,
                                           int64_t ignore_index, double smoothing, Reduction reduction, const char* op) {
  Tensor t = classification_targets(logp, target, ignore_index, smoothing, reduction, op);
  Tensor w = class_weights(weight, logp, op);
  const int64_t n = logp.shape()[0], c = logp.shape()[1];
  std::vector<int64_t> safe(static_cast<size_t>(n));
  std::vector<uint8_t> keep(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = t.data<int64_t>()[i];
    keep[size_t(i)] = v != ignore_index;
    safe[size_t(i)] = v == ignore_index ? 0 : v;
  }
  const Tensor kept = Tensor::from_vector(keep, {n}, TensorOptions(DType::u8, logp.device()));
  const Tensor rows = Tensor::from_vector(safe, {n});
  const Tensor wt = where(kept, index_select(w, 0, rows), 0.0);  // w[t_i], 0 where ignored
  auto reduced = [&](const Tensor& per) {
    return reduction == Reduction::none ? per : reduction == Reduction::sum ? sum(per) : div(sum(per), sum(wt));
  };
  const Tensor picked = squeeze(gather(logp, 1, reshape(rows, {n, 1})), 1);
  Tensor loss = reduced(where(kept, neg(mul(picked, wt)), 0.0));
  if (smoothing > 0) {
    const Tensor smooth = reduced(where(kept, neg(sum(mul(logp, w), {1})), 0.0));
    loss = add(mul(loss, 1.0 - smoothing), mul(smooth, smoothing / double(c)));
  }
  return loss;
}

// Cross-entropy with class probabilities [N, C] as the target (soft labels),
// smoothed to p (1 - s) + s / C: row i loses -sum_c w_c p_ic logp_ic; the mean
// divides by N (not by the weights), as PyTorch. Differentiable in the target too.
inline Tensor cross_entropy_probs(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                                  double smoothing, Reduction reduction) {
  GENLAB_CHECK(logits.dim() == 2, "cross_entropy: expected input [N, C], got ", shape_str(logits.shape()));
  GENLAB_CHECK(target.shape() == logits.shape(), "cross_entropy: a ", dtype_name(target.dtype()), " target ",
               shape_str(target.shape()), " holds class probabilities and needs the input's shape ",
               shape_str(logits.shape()), " (class indices are an integer tensor)");
  GENLAB_CHECK(target.device() == logits.device(), "cross_entropy: target on ", target.device().str(), ", input on ",
               logits.device().str());
  GENLAB_CHECK(ignore_index < 0, "cross_entropy: ignore_index (", ignore_index,
               ") is not supported for probability targets");
  GENLAB_CHECK(smoothing >= 0 && smoothing <= 1, "cross_entropy: label_smoothing must be in [0, 1], got ", smoothing);
  GENLAB_CHECK(reduction != Reduction::batchmean, "cross_entropy: batchmean is for kl_div");
  const int64_t c = logits.shape()[1];
  const Tensor p = smoothing > 0 ? add(mul(target, 1.0 - smoothing), smoothing / double(c)) : target;
  Tensor prod = mul(log_softmax(logits, 1), p);
  if (weight.defined()) prod = mul(prod, class_weights(weight, logits, "cross_entropy"));
  if (reduction == Reduction::none) return neg(sum(prod, {1}));
  Tensor total = neg(sum(prod));
  if (reduction == Reduction::sum) return total;
  return div(total, logits.numel() == 0 ? 0.0 : double(logits.shape()[0]));  // no element: 0/0 = NaN, as PyTorch
}
}  // namespace detail

// logits [N, C]. target: class indices, int [N] (the mean is over targets that
// are not ignore_index), or class probabilities, float [N, C] (detail::cross_entropy_probs).
inline Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index = -100,
                            double label_smoothing = 0.0, Reduction reduction = Reduction::mean) {
  if (is_floating(target.dtype()))
    return detail::cross_entropy_probs(logits, target, Tensor(), ignore_index, label_smoothing, reduction);
  if (reduction == Reduction::mean) return detail::cross_entropy_mean(logits, target, ignore_index, label_smoothing);
  return detail::classification_loss(log_softmax(logits, -1), target, ignore_index, label_smoothing, reduction,
                                     "cross_entropy");
}
// With class weights [C] (no gradient): the mean over class indices divides by
// the sum of the weights of the targets not ignored
// (detail::weighted_classification_loss); over probabilities, by N.
inline Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t ignore_index = -100,
                            double label_smoothing = 0.0, Reduction reduction = Reduction::mean) {
  if (!weight.defined()) return cross_entropy(logits, target, ignore_index, label_smoothing, reduction);
  if (is_floating(target.dtype()))
    return detail::cross_entropy_probs(logits, target, weight, ignore_index, label_smoothing, reduction);
  GENLAB_CHECK(logits.dim() == 2, "cross_entropy: expected input [N, C], got ", shape_str(logits.shape()));
  return detail::weighted_classification_loss(log_softmax(logits, -1), target, weight, ignore_index, label_smoothing,
                                              reduction, "cross_entropy");
}

inline Tensor nll_loss(const Tensor& log_probs, const Tensor& target, int64_t ignore_index = -100,
                       Reduction reduction = Reduction::mean) {
  return detail::classification_loss(log_probs, target, ignore_index, 0.0, reduction, "nll_loss");
}
inline Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight, int64_t ignore_index = -100,
                       Reduction reduction = Reduction::mean) {
  if (!weight.defined()) return nll_loss(log_probs, target, ignore_index, reduction);
  GENLAB_CHECK(log_probs.dim() == 2, "nll_loss: expected input [N, C], got ", shape_str(log_probs.shape()));
  return detail::weighted_classification_loss(log_probs, target, weight, ignore_index, 0.0, reduction, "nll_loss");
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

// input = log q, target = p (probabilities): p * (log p - log q), 0 where p = 0
// (xlogy), differentiable in both, as torch.nn.functional.kl_div.
inline Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean) {
  detail::check_same_shape("kl_div", input, target);
  const Tensor positive = compare(target, detail::scalar_like(target, 0.0), CompareOp::gt);
  const Tensor safe = where(positive, target, detail::scalar_like(target, 1.0));  // log(1) = 0 where p = 0
  Tensor plogp = where(positive, mul(target, log(safe)), detail::scalar_like(target, 0.0));
  return detail::reduce(sub(plogp, mul(target, input)), reduction, "kl_div");
}

}  // namespace genlab::ops
