// Sorting along one dim: sort, argsort and topk, as torch.sort, torch.argsort
// and torch.topk. Values and int64 indices come back as a pair, as max/min do:
//   auto [probs, order] = ops::sort(ops::softmax(logits, -1), -1, /*descending=*/true);  // top-p sampling
//   auto [best, ids] = ops::topk(logits, 50);                                          // top-k sampling
//   Tensor order = ops::argsort(x, 0);
// Order: NaN above every number (last ascending, first descending; topk's
// largest takes NaNs first), -0.0 equal to 0.0, and ties always in their input
// order, as torch with stable=True, whatever `stable` says: results are
// deterministic. torch.topk leaves its order among ties unspecified; genlab's
// is that stable order. topk's `sorted` is accepted; the result is always sorted.
// Gradient: the values' gradient goes back to the positions the indices name
// (as gather's backward); saved for backward: the indices. A 0-d x is one
// element: it comes back with index 0 (topk: k of 0 or 1, as torch).
// CPU: float32 and float64 (src/cpu/sort.cpp). CUDA: float32, one block per
// row in shared memory (cuda/sort.cuh) where cuda::sort_on_device(n, k);
// other rows (a full sort of more than cuda::kSortShared) are copied to the
// host, sorted there and copied back.
#pragma once
#include <optional>
#include <utility>

#include "genlab/ops/reduce.hpp"

namespace genlab::ops {

namespace detail {
// The first k along dim in sorted order; no k: all of them (sort).
inline std::pair<Tensor, Tensor> sort_impl(const Tensor& x, int64_t dim, std::optional<int64_t> keep, bool descending,
                                           const char* name) {
  const int64_t d = scalar_dim(x, dim, name), n = x.dim() == 0 ? 1 : x.shape()[size_t(d)];
  int64_t k = keep.value_or(n);
  GENLAB_CHECK(k >= 0 && k <= n, name, ": k = ", k, " is out of range for dim ", dim, " of size ", n, " (input shape ",
               shape_str(x.shape()), ")");
  GENLAB_CHECK(n < (int64_t(1) << 32), name, ": dim ", dim, " of ", shape_str(x.shape()),
               " is too long (at most 2^32 - 1 elements)");
  if (x.dim() == 0) k = 1;  // as torch: a 0-d x comes back whole, also for k = 0
  Shape shape = x.shape();
  if (x.dim() > 0) shape[size_t(d)] = k;
  const auto around = outer_inner(x.shape(), d);  // named ints: the backward captures them
  const int64_t outer = around.first, inner = around.second;
  Tensor values = empty_like(x, shape), idx = Tensor::empty(shape, TensorOptions(DType::i64, x.device()));
  if (x.device().is_cuda() && !cuda::sort_on_device(n, k)) {  // too long for shared memory: on the host
    check_cuda_f32(name, x);
    auto host = sort_impl(x.detach().to(Device::cpu()), d, k, descending, name);
    values = host.first.to(x.device());
    idx = host.second.to(x.device());
  } else if (x.device().is_cuda()) {
    check_cuda_f32(name, x);
    Tensor xd = dense(x);
    cuda::sort_rows(xd.data<float>(), values.data<float>(), idx.data<int64_t>(), outer, n, inner, k, descending);
  } else {
    Tensor xd = dense(x);
    dispatch_float(x.dtype(), name, [&]<class T>() {
      cpu::sort_rows(xd.data<T>(), values.data<T>(), idx.data<int64_t>(), outer, n, inner, k, descending);
    });
  }
  if (autograd::needs_grad(x)) {
    Shape in = x.shape();
    const char* node = keep ? "TopkBackward" : "SortBackward";
    autograd::record(node, values, {x}, [in, idx, outer, n, k, inner](const Tensor& g) {
      Tensor gx = Tensor::zeros(in, TensorOptions(g.dtype(), g.device())), gd = dense(g);
      if (g.device().is_cuda()) {  // gather's backward: g [outer, k, inner] added into gx [outer, n, inner]
        cuda::index_rows_backward(gd.data<float>(), idx.data<int64_t>(), true, gx.data<float>(), outer, n, k, inner);
        return std::vector{gx};
      }
      scatter_picked(idx, gd, gx, outer, n, k, inner, "sort");
      return std::vector{gx};
    }, autograd::Saves::nothing, {idx});
  }
  return {values, idx};
}
}  // namespace detail

// (values, indices) sorted along dim; always stable (see above).
inline std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim = -1, bool descending = false, bool stable = false) {
  (void)stable;
  return detail::sort_impl(x, dim, std::nullopt, descending, "sort");
}
// The indices that sort x along dim (sort's second half; no gradient).
inline Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false, bool stable = false) {
  autograd::NoGradGuard ng;
  return sort(x, dim, descending, stable).second;
}
// The k largest (smallest) along dim with their indices, largest (smallest) first.
inline std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true,
                                      bool sorted = true) {
  (void)sorted;
  return detail::sort_impl(x, dim, k, largest, "topk");
}

}  // namespace genlab::ops
