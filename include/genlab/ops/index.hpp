// Joining and indexing: cat, stack, split, chunk, gather, index_select,
// masked_fill, one_hot. Copying rearrangements (pad, flip, roll, repeat) are in shape.hpp.
#pragma once
#include "genlab/ops/nn.hpp"

namespace genlab::ops {

inline Tensor cat(const std::vector<Tensor>& inputs, int64_t dim) {
  GENLAB_CHECK(!inputs.empty(), "cat: expected a non-empty list of tensors");
  for (size_t i = 0; i < inputs.size(); ++i)  // PyTorch: a 0-d tensor cannot be concatenated
    GENLAB_CHECK(inputs[i].dim() > 0, "cat: zero-dimensional tensor (at position ", i, ") cannot be concatenated");
  // mixed dtypes promote as PyTorch (f32 with f64 gives f64); each gradient comes back in its input's dtype
  DType type = inputs[0].dtype();
  for (const auto& x : inputs) type = detail::result_type(Tensor::empty({0}, type), x);
  std::vector<Tensor> xs;
  for (const auto& x : inputs) xs.push_back(to(x, type));
  const Tensor& first = xs[0];
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

// torch.chunk: pieces of ceil(n / chunks) along dim, so possibly fewer than
// `chunks` (6 in 5 chunks gives 3 of 2); a 0-sized dim gives `chunks` empty pieces, as PyTorch.
inline std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0) {
  GENLAB_CHECK(chunks > 0, "chunk: chunks must be positive, got ", chunks, " (input ", shape_str(x.shape()), ")");
  GENLAB_CHECK(x.dim() > 0, "chunk: expects at least a 1-d tensor, got a 0-d one");
  const int64_t d = detail::real_dim(x, dim, "chunk"), n = x.shape()[size_t(d)];
  if (n == 0) {
    std::vector<Tensor> out;
    for (int64_t i = 0; i < chunks; ++i) out.push_back(slice(x, d, 0, 0));
    return out;
  }
  return split(x, (n + chunks - 1) / chunks, d);
}

namespace detail {
inline void check_index(int64_t v, int64_t n, const char* op, int64_t pos) {
  GENLAB_CHECK(v >= 0 && v < n, op, ": index ", v, " at position ", pos, " out of range [0, ", n, ")");
}
// For each element of an index of shape `is` (flat order), the offset of the
// element at its coordinates in a tensor of strides `st`, the coordinate along
// d replaced by the index value pi[i] (gather, scatter_add) unless pi is null.
inline std::vector<int64_t> index_offsets(const Shape& is, int64_t d, const int64_t* pi, const Strides& st) {
  std::vector<int64_t> offs(static_cast<size_t>(numel_of(is)));
  for (int64_t i = 0; i < int64_t(offs.size()); ++i) {
    int64_t off = 0, rem = i;
    for (int64_t k = int64_t(is.size()) - 1; k >= 0; --k) {
      const int64_t c = rem % is[size_t(k)];
      rem /= is[size_t(k)];
      off += (k == d && pi ? pi[i] : c) * st[size_t(k)];
    }
    offs[size_t(i)] = off;
  }
  return offs;
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
  const std::vector<int64_t> offs = detail::index_offsets(index.shape(), d, pi, xd.strides());  // of out's elements in x
  dispatch_float(x.dtype(), "gather", [&]<class T>() {
    for (int64_t i = 0; i < out.numel(); ++i) out.data<T>()[i] = xd.data<T>()[offs[size_t(i)]];
  });
  if (autograd::needs_grad(x)) {
    Shape in = x.shape();
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

// x with `value` where mask is true (torch.masked_fill, e.g. -inf over masked
// attention scores). mask is uint8 (genlab's bool, as compare() returns; any
// nonzero is true) and broadcasts with x; the result has their broadcast shape,
// as PyTorch's out-of-place form. value is a 0-d tensor (it gets a gradient)
// or a number, converted to x's dtype. Float x: where(mask, value, x), on every
// device; an integer x (no gradient) is filled on the host.
inline Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
  GENLAB_CHECK(mask.dtype() == DType::u8, "masked_fill: the mask must be a uint8 (boolean) tensor, as compare() returns, got ",
               dtype_name(mask.dtype()), " ", shape_str(mask.shape()));
  GENLAB_CHECK(value.dim() == 0, "masked_fill: value must be a number or a 0-d tensor, got shape ", shape_str(value.shape()));
  GENLAB_CHECK(mask.device() == x.device(), "masked_fill: mask on ", mask.device().str(), ", input on ", x.device().str());
  const Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_fill (input, mask)");
  if (is_floating(x.dtype())) return where(mask, to(to(value, x.device()), x.dtype()), x);
  Tensor out = Tensor::empty(shape, x.dtype()), m = detail::dense(expand(mask.to(Device::cpu()), shape));
  out.copy_(expand(x.to(Device::cpu()), shape));
  const uint8_t* pm = m.data<uint8_t>();
  const double v = value.item<double>();
  dispatch_all(x.dtype(), [&]<class T>() {
    T* po = out.data<T>();
    for (int64_t i = 0; i < out.numel(); ++i)
      if (pm[i]) po[i] = convert<T>(v);
  });
  return out.to(x.device());
}
inline Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  const bool fl = is_floating(x.dtype());  // an integer x is filled on the host
  return masked_fill(x, mask, Tensor::full({}, value, TensorOptions(fl ? x.dtype() : DType::f64, fl ? x.device() : Device::cpu())));
}

// F.one_hot: int64 [*index.shape, num_classes] with a 1 at each index;
// num_classes = -1 takes max(index) + 1. The indices are read on the host; the
// result is built there and moved to the index's device.
inline Tensor one_hot(const Tensor& index, int64_t num_classes = -1) {
  GENLAB_CHECK(index.dtype() == DType::i64, "one_hot: expects an int64 index tensor, got ", dtype_name(index.dtype()), " ",
               shape_str(index.shape()));
  Tensor idx = detail::host_indices(index, "one_hot");
  const int64_t n = idx.numel();
  const int64_t* p = idx.data<int64_t>();
  if (n == 0)
    GENLAB_CHECK(num_classes > 0, "one_hot: cannot infer the number of classes from an empty index ",
                 shape_str(index.shape()), " (num_classes = ", num_classes, ")");
  for (int64_t i = 0; i < n; ++i)
    GENLAB_CHECK(p[i] >= 0, "one_hot: class values must be non-negative, got ", p[i], " at position ", i);
  if (num_classes == -1 && n > 0) num_classes = *std::max_element(p, p + n) + 1;
  for (int64_t i = 0; i < n; ++i)
    GENLAB_CHECK(p[i] < num_classes, "one_hot: class value ", p[i], " at position ", i, " is not below num_classes = ",
                 num_classes);
  Shape shape = index.shape();
  shape.push_back(num_classes);
  Tensor out = Tensor::zeros(shape, DType::i64);
  int64_t* po = out.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) po[i * num_classes + p[i]] = 1;
  return out.to(index.device());
}

}  // namespace genlab::ops
