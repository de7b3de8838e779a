// Adding into a copy of a tensor at indexed positions (out-of-place, as PyTorch's functional forms):
//   scatter_add(self, dim, index, src)          torch.scatter_add: out[i][index[i][j]] += src[i][j] (dim 1)
//     e.g. scatter_add(zeros({2, 4}), 1, index [2, 3], src [2, 3]) sums src's rows into 4 bins per row
//   index_add(self, dim, index, source, alpha)  torch.index_add: out[index[i]] += alpha * source[i] (dim 0)
//     e.g. index_add(zeros({5, 3}), 0, {0, 4, 0}, ones({3, 3})) gives rows 2, 0, 0, 0, 1
// Repeated indices accumulate. Indices are int64 (index_add: int32 too), read
// on the host and range-checked there: an error names the index and its
// position. self and src are float32 or float64 (CUDA: float32), of one
// device. Gradients: self gets g; src gets gather(g, dim, index) (scatter_add;
// zero where src is larger than index, where PyTorch 1.13's backward raises)
// or index_select(g, dim, index) * alpha (index_add); the index none.
//
// CUDA: a dense copy of self, into which cuda::index_rows_backward (the
// backward of gather / index_select, which adds atomically) adds src. That
// kernel needs the index and its target to share the dims around `dim`; where
// a scatter_add index is smaller than self there, src is added into a zeroed
// block of the index's extent, which is then added into that corner of the
// copy. The order of the atomic additions into one element varies from run to
// run, so float sums over repeated indices may differ in the last bits between
// runs and from the CPU, which adds in index order.
#pragma once
#include "genlab/ops/shape.hpp"

namespace genlab::ops {

namespace detail {
// 0-d tensors are read as [1] (PyTorch's ensure_nonempty_dim): `x` so, or x.
inline Tensor as_1d_if_0d(const Tensor& x) { return x.dim() == 0 ? reshape(x, {1}) : x; }
}  // namespace detail

inline Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  GENLAB_CHECK(index.dtype() == DType::i64, "scatter_add: index must be an int64 tensor, got ", dtype_name(index.dtype()),
               " ", shape_str(index.shape()));
  detail::check_same("scatter_add (self vs src)", self, src);
  const int64_t d = detail::scalar_dim(self, dim, "scatter_add");
  if (index.numel() > 0 && (self.dim() == 0 || index.dim() == 0 || src.dim() == 0))
    return reshape(scatter_add(detail::as_1d_if_0d(self), d, detail::as_1d_if_0d(index), detail::as_1d_if_0d(src)),
                   self.shape());
  Tensor idx = detail::host_indices(index, "scatter_add");
  const Shape& is = index.shape();
  if (index.numel() > 0) {  // PyTorch checks the shapes of a non-empty index only
    GENLAB_CHECK(index.dim() == self.dim() && index.dim() == src.dim(), "scatter_add: index ", shape_str(is), ", self ",
                 shape_str(self.shape()), " and src ", shape_str(src.shape()), " need the same number of dims");
    for (int64_t k = 0; k < self.dim(); ++k) {
      GENLAB_CHECK(k == d || is[size_t(k)] <= self.shape()[size_t(k)], "scatter_add: index ", shape_str(is),
                   " is larger than self ", shape_str(self.shape()), " in dim ", k, " (only dim ", d, " may be)");
      GENLAB_CHECK(is[size_t(k)] <= src.shape()[size_t(k)], "scatter_add: index ", shape_str(is), " is larger than src ",
                   shape_str(src.shape()), " in dim ", k);
    }
  }
  const int64_t n_self = self.dim() == 0 ? 1 : self.shape()[size_t(d)];
  const int64_t* pi = idx.data<int64_t>();
  for (int64_t i = 0; i < idx.numel(); ++i) detail::check_index(pi[i], n_self, "scatter_add", i);
  Tensor out = clone(self.detach());
  if (index.numel() > 0 && self.device().is_cuda()) {
    detail::check_cuda_f32("scatter_add", self);
    Tensor part = src.detach();  // src, and the part of out, over the index's extent
    Shape ps = is;
    ps[size_t(d)] = n_self;
    for (int64_t k = 0; k < self.dim(); ++k) part = slice(part, k, 0, is[size_t(k)]);
    part = detail::dense(part);
    Tensor dst = ps == self.shape() ? out : Tensor::zeros(ps, TensorOptions(DType::f32, self.device()));
    const auto around = detail::outer_inner(is, d);
    cuda::index_rows_backward(part.data<float>(), idx.to(self.device()).data<int64_t>(), true, dst.data<float>(),
                              around.first, n_self, is[size_t(d)], around.second);
    if (!dst.is_same(out)) {  // index smaller than self outside dim: add the dense block into out's corner
      Tensor corner = out;
      for (int64_t k = 0; k < self.dim(); ++k) corner = slice(corner, k, 0, ps[size_t(k)]);
      corner.copy_(add(corner, dst));
    }
  } else if (index.numel() > 0) {
    Tensor sd = detail::dense(src.detach());
    const auto to = detail::index_offsets(is, d, pi, out.strides()), from = detail::index_offsets(is, d, nullptr, sd.strides());
    dispatch_float(self.dtype(), "scatter_add", [&]<class T>() {
      T* po = out.data<T>();
      const T* ps = sd.data<T>();
      for (size_t i = 0; i < to.size(); ++i) po[to[i]] += ps[from[i]];
    });
  }
  if (autograd::needs_grad(self, src)) {
    const Shape src_shape = src.shape();
    autograd::record("ScatterAddBackward", out, {self, src}, [d, idx, is, src_shape](const Tensor& g) {
      if (numel_of(is) == 0) return std::vector{g, Tensor::zeros(src_shape, TensorOptions(g.dtype(), g.device()))};
      Tensor gs = gather(g, d, idx);
      std::vector<int64_t> pads;  // zeros where src reaches past the index
      for (int64_t k = int64_t(is.size()) - 1; k >= 0; --k) pads.insert(pads.end(), {0, src_shape[size_t(k)] - is[size_t(k)]});
      return std::vector{g, gs.shape() == src_shape ? gs : pad(gs, pads)};
    }, autograd::Saves::nothing, {idx});
  }
  return out;
}

inline Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, double alpha = 1.0) {
  GENLAB_CHECK(index.dtype() == DType::i64 || index.dtype() == DType::i32, "index_add: index must be an int64 or int32 tensor, got ",
               dtype_name(index.dtype()), " ", shape_str(index.shape()));
  GENLAB_CHECK(index.dim() <= 1, "index_add: index must be a vector (0-d or 1-d), got ", shape_str(index.shape()));
  detail::check_same("index_add (self vs source)", self, source);
  const int64_t d = detail::scalar_dim(self, dim, "index_add");
  if (self.dim() == 0 || source.dim() == 0)
    return reshape(index_add(detail::as_1d_if_0d(self), d, index, detail::as_1d_if_0d(source), alpha), self.shape());
  Tensor idx = detail::host_indices(reshape(index, {-1}), "index_add");
  const int64_t n = idx.numel(), n_self = self.shape()[size_t(d)];
  Shape want = self.shape();
  want[size_t(d)] = n;
  GENLAB_CHECK(source.shape() == want, "index_add: source ", shape_str(source.shape()), " must be ", shape_str(want),
               ": self ", shape_str(self.shape()), " with the number of indices (", n, ") at dim ", d);
  const int64_t* pi = idx.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) detail::check_index(pi[i], n_self, "index_add", i);
  Tensor out = clone(self.detach()), sd = detail::dense(alpha == 1.0 ? source.detach() : mul(source.detach(), alpha));
  const auto around = detail::outer_inner(self.shape(), d);  // named ints: clang before 16 cannot capture bindings
  const int64_t outer = around.first, inner = around.second;
  if (self.device().is_cuda()) {
    detail::check_cuda_f32("index_add", self);
    cuda::index_rows_backward(sd.data<float>(), idx.to(self.device()).data<int64_t>(), false, out.data<float>(), outer,
                              n_self, n, inner);
  } else {
    dispatch_float(self.dtype(), "index_add", [&]<class T>() {
      T* po = out.data<T>();
      const T* ps = sd.data<T>();
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < inner; ++j) po[(o * n_self + pi[i]) * inner + j] += ps[(o * n + i) * inner + j];
    });
  }
  if (autograd::needs_grad(self, source)) {
    autograd::record("IndexAddBackward", out, {self, source}, [d, idx, alpha](const Tensor& g) {
      Tensor gs = index_select(g, d, idx);
      return std::vector{g, alpha == 1.0 ? gs : mul(gs, alpha)};
    }, autograd::Saves::nothing, {idx});
  }
  return out;
}

}  // namespace genlab::ops
