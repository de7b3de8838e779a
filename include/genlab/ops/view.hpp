// View ops: reshape, permute, transpose, slice, select, expand, (un)squeeze,
// flatten share storage; contiguous, clone and to() copy. All differentiable.
#pragma once
#include <algorithm>
#include <numeric>

#include "genlab/ops/detail.hpp"

namespace genlab::ops {

// Copies x into a new contiguous tensor of dtype `t` on device `d` (no autograd).
inline Tensor copy_as(const Tensor& x, DType t, Device d) {
  Tensor out = Tensor::empty(x.shape(), TensorOptions(t, d));
  out.copy_(x.detach());  // the callers record the graph
  return out;
}

inline Tensor clone(const Tensor& x) {
  Tensor out = copy_as(x, x.dtype(), x.device());
  if (autograd::needs_grad(x))
    autograd::record("CloneBackward", out, {x}, [](const Tensor& g) { return std::vector{g}; }, autograd::Saves::nothing);
  return out;
}

inline Tensor contiguous(const Tensor& x) { return x.is_contiguous() ? x : clone(x); }

inline Tensor to(const Tensor& x, DType t) {
  if (t == x.dtype()) return x;
  Tensor out = copy_as(x, t, x.device());
  if (autograd::needs_grad(x) && is_floating(t)) {
    DType src = x.dtype();
    autograd::record("ToCopyBackward", out, {x}, [src](const Tensor& g) { return std::vector{copy_as(g, src, g.device())}; },
                     autograd::Saves::nothing);
  }
  return out;
}

inline Tensor to(const Tensor& x, Device d) {
  if (d == x.device()) return x;
  GENLAB_CHECK(d.is_cpu() || cuda_is_available(), "to(", d.str(), "): ",
               cuda::built() ? "no CUDA device is present" : "genlab was built without CUDA (GENLAB_CUDA=OFF)");
  Tensor out = copy_as(x, x.dtype(), d);
  if (autograd::needs_grad(x)) {
    Device src = x.device();
    autograd::record("ToDeviceBackward", out, {x}, [src](const Tensor& g) { return std::vector{copy_as(g, g.dtype(), src)}; },
                     autograd::Saves::nothing);
  }
  return out;
}

// A view of x with new geometry whose backward maps the gradient back through
// `back`; it reads no data, so writes to x after the view was taken are fine.
template <class Back>
Tensor make_view(const char* name, const Tensor& x, const Shape& shape, const Strides& strides, int64_t offset, Back back) {
  Tensor out = x.as_strided(shape, strides, offset);
  if (autograd::needs_grad(x))
    autograd::record(name, out, {x}, [back](const Tensor& g) { return std::vector{back(g)}; }, autograd::Saves::nothing);
  return out;
}

inline Tensor reshape(const Tensor& x, Shape shape) {
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    GENLAB_CHECK(shape[i] >= -1, "reshape: invalid size ", shape[i], " in shape ", shape_str(shape));
    if (shape[i] == -1) {
      GENLAB_CHECK(infer < 0, "reshape: only one dimension can be -1 in ", shape_str(shape));
      infer = int64_t(i);
    } else {
      GENLAB_CHECK(!__builtin_mul_overflow(known, shape[i], &known), "reshape: shape ", shape_str(shape),
                   " has more than 2^63 elements");
    }
  }
  if (infer >= 0) {
    GENLAB_CHECK(known > 0 || x.numel() > 0, "reshape: cannot reshape a tensor of ", x.numel(), " elements into shape ", shape_str(shape),
                 ": the size of the -1 dim is ambiguous");
    GENLAB_CHECK(known > 0 && x.numel() % known == 0, "reshape: shape ", shape_str(shape), " is invalid for input of shape ",
                 shape_str(x.shape()));
    shape[size_t(infer)] = x.numel() / known;
  }
  GENLAB_CHECK(numel_of(shape, "reshape") == x.numel(), "reshape: shape ", shape_str(shape),
               " is invalid for input of shape ", shape_str(x.shape()), " (", x.numel(), " elements)");
  Shape in = x.shape();
  Tensor src = x.is_contiguous() ? x : contiguous(x);  // a copy when the view is impossible, like torch.reshape
  return make_view("ReshapeBackward", src, shape, contiguous_strides(shape), src.storage_offset(),
                   [in](const Tensor& g) { return reshape(g, in); });
}

inline Tensor flatten(const Tensor& x, int64_t start = 0, int64_t end = -1) {
  int64_t s = detail::scalar_dim(x, start, "flatten"), e = detail::scalar_dim(x, end, "flatten");
  GENLAB_CHECK(s <= e, "flatten: start_dim ", start, " comes after end_dim ", end, " for shape ", shape_str(x.shape()));
  if (x.dim() == 0) return reshape(x, {1});
  Shape shape(x.shape().begin(), x.shape().begin() + s);
  int64_t n = 1;
  for (int64_t i = s; i <= e; ++i) n *= x.shape()[size_t(i)];
  shape.push_back(n);
  shape.insert(shape.end(), x.shape().begin() + e + 1, x.shape().end());
  return reshape(x, shape);
}

inline Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  GENLAB_CHECK(int64_t(dims.size()) == x.dim(), "permute: ", dims.size(), " dims given for a tensor of shape ",
               shape_str(x.shape()));
  Shape shape(dims.size());
  Strides strides(dims.size());
  std::vector<int64_t> inverse(dims.size(), -1);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], x.dim(), "permute");
    GENLAB_CHECK(inverse[size_t(d)] < 0, "permute: dim ", d, " repeated in ", shape_str(dims));
    inverse[size_t(d)] = int64_t(i);
    shape[i] = x.shape()[size_t(d)];
    strides[i] = x.strides()[size_t(d)];
  }
  return make_view("PermuteBackward", x, shape, strides, x.storage_offset(),
                   [inverse](const Tensor& g) { return permute(g, inverse); });
}

inline Tensor transpose(const Tensor& x, int64_t a, int64_t b) {
  const int64_t da = detail::scalar_dim(x, a, "transpose"), db = detail::scalar_dim(x, b, "transpose");
  std::vector<int64_t> dims(static_cast<size_t>(x.dim()));
  std::iota(dims.begin(), dims.end(), 0);
  if (x.dim() > 0) std::swap(dims[size_t(da)], dims[size_t(db)]);  // a 0-d x: permute({}) is x
  return permute(x, dims);
}

// x.t(): a 0-d or 1-d x as it is, a 2-d x transposed, as torch.t.
inline Tensor t(const Tensor& x) {
  GENLAB_CHECK(x.dim() <= 2, "t: expects a tensor with <= 2 dims, got shape ", shape_str(x.shape()));
  return x.dim() < 2 ? x : transpose(x, 0, 1);
}

// Scatters the gradient of a slice back into zeros of the input's shape.
inline Tensor slice_backward(const Tensor& g, const Shape& in, int64_t dim, int64_t start, int64_t step) {
  Tensor out = Tensor::zeros(in, TensorOptions(g.dtype(), g.device()));
  Strides st = out.strides();
  const int64_t off = start * st[size_t(dim)];
  st[size_t(dim)] *= step;
  out.as_strided(g.shape(), st, off).copy_(g);
  return out;
}

inline Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1) {
  int64_t d = detail::real_dim(x, dim, "slice"), n = x.shape()[size_t(d)];
  GENLAB_CHECK(step > 0, "slice: step must be positive, got ", step);
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape shape = x.shape();
  Strides strides = x.strides();
  shape[size_t(d)] = (end - start + step - 1) / step;
  strides[size_t(d)] *= step;
  Shape in = x.shape();
  return make_view("SliceBackward", x, shape, strides, x.storage_offset() + start * x.strides()[size_t(d)],
                   [in, d, start, step](const Tensor& g) { return slice_backward(g, in, d, start, step); });
}

inline Tensor unsqueeze(const Tensor& x, int64_t dim) {
  int64_t d = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape();
  Strides strides = x.strides();
  int64_t st = size_t(d) < strides.size() ? strides[size_t(d)] * shape[size_t(d)] : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, st);
  Shape in = x.shape();
  return make_view("UnsqueezeBackward", x, shape, strides, x.storage_offset(),
                   [in](const Tensor& g) { return reshape(g, in); });
}

inline Tensor squeeze(const Tensor& x, int64_t dim) {
  int64_t d = detail::scalar_dim(x, dim, "squeeze");
  if (x.dim() == 0 || x.shape()[size_t(d)] != 1) return x;
  Shape shape = x.shape();
  Strides strides = x.strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  Shape in = x.shape();
  return make_view("SqueezeBackward", x, shape, strides, x.storage_offset(),
                   [in](const Tensor& g) { return reshape(g, in); });
}

inline Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  int64_t d = detail::real_dim(x, dim, "select"), n = x.shape()[size_t(d)];
  GENLAB_CHECK(index >= -n && index < n, "select: index ", index, " out of range for dim ", d, " of shape ",
               shape_str(x.shape()));
  if (index < 0) index += n;
  return squeeze(slice(x, d, index, index + 1), d);
}

inline Tensor expand(const Tensor& x, const Shape& shape) {
  GENLAB_CHECK(shape.size() >= size_t(x.dim()), "expand: cannot expand shape ", shape_str(x.shape()), " to ",
               shape_str(shape));
  Shape out = shape;
  Strides strides(shape.size(), 0);
  size_t off = shape.size() - size_t(x.dim());
  for (size_t i = 0; i < shape.size(); ++i) {
    GENLAB_CHECK(shape[i] >= -1, "expand: invalid size ", shape[i], " in shape ", shape_str(shape));
    if (i < off) {
      GENLAB_CHECK(shape[i] >= 0, "expand: -1 not allowed in new leading dim of ", shape_str(shape));
      continue;
    }
    int64_t have = x.shape()[i - off];
    if (shape[i] == -1) out[i] = have;
    GENLAB_CHECK(have == out[i] || have == 1, "expand: shape ", shape_str(x.shape()), " cannot expand to ",
                 shape_str(shape), " (dim ", i, ")");
    strides[i] = have == 1 && out[i] != 1 ? 0 : x.strides()[i - off];
  }
  numel_of(out, "expand");  // checked: a negative size or a count past 2^63 raises
  Shape in = x.shape();
  return make_view("ExpandBackward", x, out, strides, x.storage_offset(),
                   [in](const Tensor& g) { return sum_to(g, in); });
}

}  // namespace genlab::ops
