// Helpers shared by the ops: output allocation, device checks, contiguous inputs.
// The ops reference each other across files: include genlab/ops/ops.hpp.
#pragma once
#include "genlab/autograd/node.hpp"
#include "genlab/backend/cpu.hpp"
#include "genlab/backend/cuda.hpp"
#include "genlab/core/tensor.hpp"

namespace genlab::ops {

inline Tensor contiguous(const Tensor& x);
inline Tensor sum_to(const Tensor& g, const Shape& shape);

namespace detail {

inline Tensor empty_like(const Tensor& x, const Shape& shape) {
  return Tensor::empty(shape, TensorOptions(x.dtype(), x.device()));
}
inline Tensor empty_like(const Tensor& x) { return empty_like(x, x.shape()); }

// The data of x, contiguous, without recording autograd history.
inline Tensor dense(const Tensor& x) { return x.is_contiguous() ? x : contiguous(x.detach()); }

inline void check_same(const char* op, const Tensor& a, const Tensor& b) {
  GENLAB_CHECK(a.dtype() == b.dtype(), op, ": dtype mismatch, ", dtype_name(a.dtype()), " ", shape_str(a.shape()),
               " vs ", dtype_name(b.dtype()), " ", shape_str(b.shape()));
  GENLAB_CHECK(a.device() == b.device(), op, ": device mismatch, ", a.device().str(), " ", shape_str(a.shape()),
               " vs ", b.device().str(), " ", shape_str(b.shape()));
}
inline void check_cuda_f32(const char* op, const Tensor& x) {
  GENLAB_CHECK(x.dtype() == DType::f32, op, " on CUDA supports float32 only, got ", dtype_name(x.dtype()));
}

// Index tensors are read on the host: a contiguous int64 copy there, wherever
// the indices live (a CUDA index is copied, never dereferenced).
inline Tensor host_indices(const Tensor& index) {
  Tensor i = index.device().is_cpu() ? index : index.to(Device::cpu());
  return dense(i).to(DType::i64);
}

// CUDA side of index_select, embedding and gather: x viewed as [outer, src_n,
// inner], out [outer, n, inner] of `out_shape`, picked by validated host
// indices (one per row, or one per output element when per_element; see
// cuda::index_rows). Records `node`, whose backward scatter-adds into x's shape.
inline Tensor index_rows_cuda(const Tensor& x, const Tensor& host_idx, bool per_element, int64_t outer, int64_t n,
                              int64_t inner, const Shape& out_shape, const char* node) {
  check_cuda_f32(node, x);
  const int64_t src_n = outer * inner == 0 ? 0 : x.numel() / (outer * inner);
  Tensor xd = dense(x), idx = host_idx.to(x.device()), out = empty_like(x, out_shape);
  cuda::index_rows(xd.data<float>(), idx.data<int64_t>(), per_element, out.data<float>(), outer, src_n, n, inner);
  if (autograd::needs_grad(x)) {
    Shape in = x.shape();
    autograd::record(node, out, {x}, [=](const Tensor& g) {
      Tensor gx = Tensor::zeros(in, TensorOptions(g.dtype(), g.device())), gd = dense(g);
      cuda::index_rows_backward(gd.data<float>(), idx.data<int64_t>(), per_element, gx.data<float>(), outer, src_n, n,
                                inner);
      return std::vector{gx};
    });
  }
  return out;
}

// Elements before and after dim d: a tensor of shape s viewed as [outer, s[d], inner].
inline std::pair<int64_t, int64_t> outer_inner(const Shape& s, int64_t d) {
  if (s.empty()) return {1, 1};
  return {numel_of(Shape(s.begin(), s.begin() + d)), numel_of(Shape(s.begin() + d + 1, s.end()))};
}

// Strides of x broadcast to `shape` (0 on broadcast dims).
inline Strides broadcast_strides(const Tensor& x, const Shape& shape) {
  Strides s(shape.size(), 0);
  size_t off = shape.size() - size_t(x.dim());
  for (size_t i = 0; i < size_t(x.dim()); ++i) s[off + i] = x.shape()[i] == 1 ? 0 : x.strides()[i];
  return s;
}

}  // namespace detail
}  // namespace genlab::ops
