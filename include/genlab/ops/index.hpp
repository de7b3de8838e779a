// Joining and indexing: cat, stack, split, gather, index_select.
#pragma once
#include "genlab/ops/nn.hpp"

namespace genlab::ops {

inline Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  GENLAB_CHECK(!xs.empty(), "cat: expected a non-empty list of tensors");
  const Tensor& first = xs[0];
  for (size_t i = 0; i < xs.size(); ++i)  // PyTorch: a 0-d tensor cannot be concatenated
    GENLAB_CHECK(xs[i].dim() > 0, "cat: zero-dimensional tensor (at position ", i, ") cannot be concatenated");
  int64_t d = wrap_dim(dim, first.dim(), "cat");
  Shape shape = first.shape();
  shape[size_t(d)] = 0;
  for (const auto& x : xs) {
    detail::check_same("cat", first, x);
    GENLAB_CHECK(x.dim() == first.dim(), "cat: tensors of shape ", shape_str(first.shape()), " and ", shape_str(x.shape()),
                 " have different numbers of dims");
    for (int64_t i = 0; i < x.dim(); ++i)
      GENLAB_CHECK(i == d || x.shape()[size_t(i)] == first.shape()[size_t(i)], "cat: shapes ", shape_str(first.shape()),
                   " and ", shape_str(x.shape()), " differ outside dim ", d);
    shape[size_t(d)] += x.shape()[size_t(d)];
  }
  Tensor out = detail::empty_like(first, shape);
  std::vector<int64_t> sizes;
  int64_t at = 0;
  for (const auto& x : xs) {
    Shape part = shape;
    part[size_t(d)] = x.shape()[size_t(d)];
    out.as_strided(part, out.strides(), at * out.strides()[size_t(d)]).copy_(x.detach());  // cat records the graph
    sizes.push_back(x.shape()[size_t(d)]);
    at += x.shape()[size_t(d)];
  }
  bool any = false;
  for (const auto& x : xs) any = any || autograd::needs_grad(x);
  if (any) {
    autograd::record("CatBackward", out, xs, [sizes, d](const Tensor& g) {
      std::vector<Tensor> gs;
      int64_t s = 0;
      for (auto n : sizes) { gs.push_back(slice(g, d, s, s + n)); s += n; }
      return gs;
    }, autograd::Saves::nothing);
  }
  return out;
}

inline Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  GENLAB_CHECK(!xs.empty(), "stack: expected a non-empty list of tensors");
  int64_t d = wrap_dim(dim, xs[0].dim() + 1, "stack");
  std::vector<Tensor> us;
  for (const auto& x : xs) {
    GENLAB_CHECK(x.shape() == xs[0].shape(), "stack: shapes ", shape_str(xs[0].shape()), " and ", shape_str(x.shape()),
                 " differ");
    us.push_back(unsqueeze(x, d));
  }
  return cat(us, d);
}

// Chunks of `size` along dim (the last may be smaller), as torch.split(x, size, dim);
// a 0-sized dim gives one empty chunk, as PyTorch.
inline std::vector<Tensor> split(const Tensor& x, int64_t size, int64_t dim = 0) {
  GENLAB_CHECK(size > 0, "split: size must be positive, got ", size);
  int64_t d = detail::real_dim(x, dim, "split"), n = x.shape()[size_t(d)];
  std::vector<Tensor> out;
  int64_t s = 0;
  do {
    out.push_back(slice(x, d, s, s + size));
    s += size;
  } while (s < n);
  return out;
}

namespace detail {
inline void check_index(int64_t v, int64_t n, const char* op, int64_t pos) {
  GENLAB_CHECK(v >= 0 && v < n, op, ": index ", v, " at position ", pos, " out of range [0, ", n, ")");
}
}  // namespace detail

// out[i] = x.select(dim, index[i]); index is a 1-d (or 0-d) integer tensor.
inline Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  GENLAB_CHECK(index.dim() <= 1, "index_select: index must be 1-d, got ", shape_str(index.shape()));
  int64_t d = detail::scalar_dim(x, dim, "index_select");
  if (x.dim() == 0) {  // PyTorch: a 0-d x picks itself with the one index 0
    GENLAB_CHECK(index.numel() == 1, "index_select: a 0-d input needs exactly one index, got ", shape_str(index.shape()));
    return reshape(index_select(reshape(x, {1}), 0, index), {});
  }
  Tensor idx = detail::host_indices(index, "index_select");
  const int64_t n = idx.numel(), src_n = x.shape()[size_t(d)];
  const int64_t* pi = idx.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) detail::check_index(pi[i], src_n, "index_select", i);
  Shape shape = x.shape();
  shape[size_t(d)] = n;
  if (x.device().is_cuda()) {
    const auto [outer, inner] = detail::outer_inner(x.shape(), d);
    return detail::index_rows_cuda(x, idx, false, outer, n, inner, shape, "IndexSelectBackward");
  }
  Tensor out = detail::empty_like(x, shape), xd = x.detach();
  for (int64_t i = 0; i < n; ++i) select(out, d, i).copy_(select(xd, d, pi[i]));
  if (autograd::needs_grad(x)) {
    Shape in = x.shape();
    autograd::record("IndexSelectBackward", out, {x}, [in, idx, d, n](const Tensor& g) {
      Tensor gx = Tensor::zeros(in, TensorOptions(g.dtype(), g.device()));
      const int64_t* p = idx.data<int64_t>();
      for (int64_t i = 0; i < n; ++i) {
        Tensor dst = select(gx, d, p[i]);
        dst.copy_(add(dst, select(g, d, i)));  // a repeated index accumulates
      }
      return std::vector{gx};
    }, autograd::Saves::nothing, {idx});
  }
  return out;
}

// out[i][j] = x[i][index[i][j]] along dim (torch.gather); index has x's number of dims.
inline Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  int64_t d = detail::scalar_dim(x, dim, "gather");
  if (x.dim() == 0) {  // PyTorch: a 0-d x is read as one element; index 0-d or 1-d
    GENLAB_CHECK(index.dim() <= 1, "gather: index ", shape_str(index.shape()), " has more dims than a 0-d input");
    return reshape(gather(reshape(x, {1}), 0, reshape(index, {-1})), index.shape());
  }
  GENLAB_CHECK(index.dim() == x.dim(), "gather: index ", shape_str(index.shape()), " and input ", shape_str(x.shape()),
               " need the same number of dims");
  for (int64_t i = 0; i < x.dim(); ++i)
    GENLAB_CHECK(i == d || index.shape()[size_t(i)] <= x.shape()[size_t(i)], "gather: index ", shape_str(index.shape()),
                 " is larger than input ", shape_str(x.shape()), " in dim ", i);
  Tensor idx = detail::host_indices(index, "gather");
  const int64_t* pi = idx.data<int64_t>();
  const int64_t src_n = x.shape()[size_t(d)];
  for (int64_t i = 0; i < idx.numel(); ++i) detail::check_index(pi[i], src_n, "gather", i);
  if (x.device().is_cuda()) {
    // x cut to the index's extent in the other dims (a view whose backward
    // pads with zeros), so both are [outer, *, inner] with the same outer, inner
    Tensor xc = x;
    for (int64_t i = 0; i < x.dim(); ++i)
      if (i != d && index.shape()[size_t(i)] < x.shape()[size_t(i)]) xc = slice(xc, i, 0, index.shape()[size_t(i)]);
    const Shape& is = index.shape();
    const auto [outer, inner] = detail::outer_inner(is, d);
    return detail::index_rows_cuda(xc, idx, true, outer, is[size_t(d)], inner, is, "GatherBackward");
  }
  Tensor xd = detail::dense(x), out = detail::empty_like(x, index.shape());
  const Strides xs = xd.strides();
  // source offset of output element i
  auto src_offset = [&](int64_t i) {
    int64_t off = 0, rem = i;
    for (int64_t k = index.dim() - 1; k >= 0; --k) {
      int64_t c = rem % index.shape()[size_t(k)];
      rem /= index.shape()[size_t(k)];
      off += (k == d ? pi[i] : c) * xs[size_t(k)];
    }
    return off;
  };
  dispatch_float(x.dtype(), "gather", [&]<class T>() {
    for (int64_t i = 0; i < out.numel(); ++i) out.data<T>()[i] = xd.data<T>()[src_offset(i)];
  });
  if (autograd::needs_grad(x)) {
    Shape in = x.shape();
    std::vector<int64_t> offs(static_cast<size_t>(out.numel()));
    for (int64_t i = 0; i < out.numel(); ++i) offs[size_t(i)] = src_offset(i);
    autograd::record("GatherBackward", out, {x, Tensor()}, [in, offs](const Tensor& g) {
      Tensor gx = Tensor::zeros(in, TensorOptions(g.dtype(), g.device())), gd = detail::dense(g);
      dispatch_float(g.dtype(), "gather", [&]<class T>() {
        for (size_t i = 0; i < offs.size(); ++i) gx.data<T>()[offs[i]] += gd.data<T>()[i];
      });
      return std::vector{gx, Tensor()};
    });
  }
  return out;
}

}  // namespace genlab::ops
