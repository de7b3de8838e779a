// The elementwise CUDA kernels (mirroring src/cpu/elementwise.cpp and
// copy.cpp): unary and binary maps, their strided forms, compare, where,
// clamp. Each kernel is written once, here, as
//   - a struct holding its arguments, whose geometry() says how it is
//     launched and whose operator()(Ctx&) is its body: compiled by nvcc as a
//     __global__ kernel (gpu_launch.cuh) and by the host compiler for the
//     emulation harness (emulated.hpp), which runs the same code on the CPU;
//   - its entry point impl::name<B>, which prepares the launch on the host
//     and hands the kernel to B::launch (B = impl::Gpu or impl::Emulated).
// The entry point is listed once in genlab/backend/cuda_kernels.inc, from
// which the public declaration, the run-time choice, both instantiations and
// the no-CUDA stub are made. See docs/adding_an_op.md.
#pragma once
#include <cmath>
#include <cstdint>

#include "common.cuh"
#include "elementwise_math.cuh"
#include "genlab/backend/cpu.hpp"  // UnaryOp, BinaryOp, CompareOp
#include "genlab/core/error.hpp"
#include "genlab/core/shape.hpp"
#include "impl.hpp"

namespace genlab::cuda::kernels {

// ---- Contiguous maps: grid-stride loops, so any grid size covers any n.
struct Unary {
  UnaryOp op;
  const float* x;
  float* y;
  int64_t n;
  float p0, p1;
  static constexpr const char* name = "unary";
  Geometry geometry() const { return elements(n); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < n; i += grid_step(c)) y[i] = unary_apply(op, x[i], p0, p1);
  }
};
// x or y may be null when the derivative does not read it.
struct UnaryBackward {
  UnaryOp op;
  const float *x, *y, *gy;
  float* gx;
  int64_t n;
  float p0, p1;
  static constexpr const char* name = "unary_backward";
  Geometry geometry() const { return elements(n); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < n; i += grid_step(c))
      gx[i] = unary_grad(op, x ? x[i] : 0.f, y ? y[i] : 0.f, gy[i], p0, p1);
  }
};
// b is either n elements or a single scalar (b_numel == 1).
struct Binary {
  BinaryOp op;
  const float *a, *b;
  int64_t b_numel;
  float* out;
  int64_t n;
  static constexpr const char* name = "binary";
  Geometry geometry() const { return elements(n); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < n; i += grid_step(c)) out[i] = binary_apply(op, a[i], b_numel == 1 ? b[0] : b[i]);
  }
};

// Two operands read (or written) through strides over one shape: the
// element offsets of linear index i, row-major. Passed to kernels by value.
constexpr int kMaxDims = 8;
struct TwoStrides {
  int ndim = 0;
  int64_t shape[kMaxDims] = {}, s0[kMaxDims] = {}, s1[kMaxDims] = {};
};
GENLAB_HD inline void offsets_of(const TwoStrides& l, int64_t i, int64_t& o0, int64_t& o1) {
  o0 = o1 = 0;
  for (int d = l.ndim - 1; d >= 0; --d) {
    const int64_t idx = i % l.shape[d];
    i /= l.shape[d];
    o0 += idx * l.s0[d];
    o1 += idx * l.s1[d];
  }
}
// Host side: drops size-1 dims and merges dims that are contiguous in both
// operands, so most views need only a few dims; more than kMaxDims is an error.
inline TwoStrides two_strides(const Shape& shape, const Strides& s0, const Strides& s1, const char* op) {
  TwoStrides l;
  int64_t shp[64], a[64], b[64];
  int n = 0;
  GENLAB_CHECK(shape.size() <= 64, op, " on CUDA: ", shape.size(), " dims are too many");
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (n > 0 && a[n - 1] == s0[d] * shape[d] && b[n - 1] == s1[d] * shape[d]) {  // merge into the previous dim
      shp[n - 1] *= shape[d];
      a[n - 1] = s0[d];
      b[n - 1] = s1[d];
      continue;
    }
    shp[n] = shape[d], a[n] = s0[d], b[n] = s1[d];
    ++n;
  }
  GENLAB_CHECK(n <= kMaxDims, op, " on CUDA: the view of shape ", shape_str(shape), " needs ", n, " dims after merging, at most ",
               kMaxDims, " are supported");
  l.ndim = n;
  for (int d = 0; d < n; ++d) l.shape[d] = shp[d], l.s0[d] = a[d], l.s1[d] = b[d];
  return l;
}


// dst = src over a shape, both strided (src may broadcast with stride 0):
// layout s0 is src's, s1 dst's.
struct CopyStrided {
  const float* src;
  float* dst;
  TwoStrides l;
  int64_t n;
  static constexpr const char* name = "copy_strided";
  Geometry geometry() const { return elements(n); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < n; i += grid_step(c)) {
      int64_t os, od;
      offsets_of(l, i, os, od);
      dst[od] = src[os];
    }
  }
};
// out (contiguous) = op(a, b), a and b read through broadcast strides s0, s1.
struct BinaryStrided {
  BinaryOp op;
  const float *a, *b;
  TwoStrides l;
  float* out;
  int64_t n;
  static constexpr const char* name = "binary_strided";
  Geometry geometry() const { return elements(n); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < n; i += grid_step(c)) {
      int64_t oa, ob;
      offsets_of(l, i, oa, ob);
      out[i] = binary_apply(op, a[oa], b[ob]);
    }
  }
};

// out (contiguous, uint8 0/1) = a op b, read through broadcast strides s0, s1.
GENLAB_HD inline bool compare_apply(CompareOp op, float a, float b) {
  switch (op) {
    case CompareOp::lt: return a < b;
    case CompareOp::le: return a <= b;
    case CompareOp::gt: return a > b;
    case CompareOp::ge: return a >= b;
    case CompareOp::eq: return a == b;
    case CompareOp::ne: return a != b;
  }
  return false;
}
struct CompareStrided {
  CompareOp op;
  const float *a, *b;
  TwoStrides l;
  uint8_t* out;
  int64_t n;
  static constexpr const char* name = "compare_strided";
  Geometry geometry() const { return elements(n); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < n; i += grid_step(c)) {
      int64_t oa, ob;
      offsets_of(l, i, oa, ob);
      out[i] = compare_apply(op, a[oa], b[ob]) ? 1 : 0;
    }
  }
};
// out (contiguous) = cond ? a : b over one shape: cond and a are read through
// layout `ca` (s0 cond, s1 a), b through `bb` (both strides b's). Two layouts
// of the same shape map a linear index the same way, however their dims merged.
struct WhereStrided {
  const uint8_t* cond;
  const float *a, *b;
  TwoStrides ca, bb;
  float* out;
  int64_t n;
  static constexpr const char* name = "where_strided";
  Geometry geometry() const { return elements(n); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < n; i += grid_step(c)) {
      int64_t oc, oa, ob, unused;
      offsets_of(ca, i, oc, oa);
      offsets_of(bb, i, ob, unused);
      out[i] = cond[oc] ? a[oa] : b[ob];
    }
  }
};

// y = clamp(x, lo, hi) (NaN stays NaN); the backward passes gy where lo <= x <= hi.
struct Clamp {
  const float* x;
  float* y;
  int64_t n;
  float lo, hi;
  static constexpr const char* name = "clamp";
  Geometry geometry() const { return elements(n); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < n; i += grid_step(c)) y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
  }
};
struct ClampBackward {
  const float *x, *gy;
  float* gx;
  int64_t n;
  float lo, hi;
  static constexpr const char* name = "clamp_backward";
  Geometry geometry() const { return elements(n); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < n; i += grid_step(c)) gx[i] = (x[i] >= lo && x[i] <= hi) ? gy[i] : 0.f;
  }
};

// y = act(x + bias) with bias [cols] repeating along the rows of x (n
// elements): a linear layer's bias add and activation in one pass.
struct BiasUnary {
  UnaryOp op;
  const float *x, *bias;
  int64_t cols;
  float* y;
  int64_t n;
  static constexpr const char* name = "bias_unary";
  Geometry geometry() const { return elements(n); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < n; i += grid_step(c)) 
      y[i] = unary_apply(op, x[i] + bias[i % cols], 0.f, 0.f);
  }
};
// Its input gradient gx = gy act'(x + bias), for activations whose
// derivative needs only their input (gelu, silu, softplus ...).
struct BiasUnaryBackward {
  UnaryOp op;
  const float *x, *bias, *gy;
  int64_t cols;
  float* gx;
  int64_t n;
  static constexpr const char* name = "bias_unary_backward";
  Geometry geometry() const { return elements(n); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < n; i += grid_step(c))
      gx[i] = gy[i] * unary_derivative(op, x[i] + bias[i % cols], 0.f, 0.f);
  }
};

}  // namespace genlab::cuda::kernels

// ---- Entry points (listed in genlab/backend/cuda_kernels.inc). A launch of
// geometry count 0 is skipped by B::launch; the strided ones return before
// merging the layout, which may throw, as the CPU does nothing on no elements.
namespace genlab::cuda::impl {

template <class B>
void unary(UnaryOp op, const float* x, float* y, int64_t n, float p0, float p1) {
  B::launch(kernels::Unary{op, x, y, n, p0, p1});
}
template <class B>
void unary_backward(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, int64_t n, float p0,
                    float p1) {
  B::launch(kernels::UnaryBackward{op, x, y, gy, gx, n, p0, p1});
}
template <class B>
void binary(BinaryOp op, const float* a, const float* b, int64_t b_numel, float* out, int64_t n) {
  B::launch(kernels::Binary{op, a, b, b_numel, out, n});
}
template <class B>
void copy_strided(const float* src, const Strides& src_strides, float* dst, const Strides& dst_strides,
                  const Shape& shape) {
  const int64_t n = numel_of(shape);
  if (n == 0) return;
  B::launch(kernels::CopyStrided{src, dst, kernels::two_strides(shape, src_strides, dst_strides, "copy"), n});
}
template <class B>
void binary_strided(BinaryOp op, const float* a, const Strides& a_strides, const float* b, const Strides& b_strides,
                    float* out, const Shape& shape) {
  const int64_t n = numel_of(shape);
  if (n == 0) return;
  B::launch(kernels::BinaryStrided{op, a, b, kernels::two_strides(shape, a_strides, b_strides, binary_name(op)), out, n});
}
template <class B>
void compare_strided(CompareOp op, const float* a, const Strides& a_strides, const float* b, const Strides& b_strides,
                     uint8_t* out, const Shape& shape) {
  const int64_t n = numel_of(shape);
  if (n == 0) return;
  B::launch(kernels::CompareStrided{op, a, b, kernels::two_strides(shape, a_strides, b_strides, "compare"), out, n});
}
template <class B>
void where_strided(const uint8_t* cond, const Strides& cond_strides, const float* a, const Strides& a_strides,
                   const float* b, const Strides& b_strides, float* out, const Shape& shape) {
  const int64_t n = numel_of(shape);
  if (n == 0) return;
  B::launch(kernels::WhereStrided{cond, a, b, kernels::two_strides(shape, cond_strides, a_strides, "where"),
                                  kernels::two_strides(shape, b_strides, b_strides, "where"), out, n});
}
template <class B>
void clamp(const float* x, float* y, int64_t n, float lo, float hi) {
  B::launch(kernels::Clamp{x, y, n, lo, hi});
}
template <class B>
void clamp_backward(const float* x, const float* gy, float* gx, int64_t n, float lo, float hi) {
  B::launch(kernels::ClampBackward{x, gy, gx, n, lo, hi});
}

template <class B>
void bias_unary(UnaryOp op, const float* x, const float* bias, int64_t cols, float* y, int64_t n) {
  B::launch(kernels::BiasUnary{op, x, bias, cols, y, n});
}
template <class B>
void bias_unary_backward(UnaryOp op, const float* x, const float* bias, const float* gy, int64_t cols, float* gx,
                         int64_t n) {
  B::launch(kernels::BiasUnaryBackward{op, x, bias, gy, cols, gx, n});
}

}  // namespace genlab::cuda::impl
