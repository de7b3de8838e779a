// The reduction CUDA kernels (mirroring src/cpu/reduce.cpp and scan.cpp): row
// sums and products, the row max with its index and its backward, and cumsum.
// Written once as kernel structs (see elementwise.cuh and docs/adding_an_op.md).
#pragma once
#include <cstdint>

#include "common.cuh"
#include "impl.hpp"

namespace genlab::cuda::kernels {

// One block per row (grid-stride over rows): each thread sums a strided slice
// of the row, then the block reduces.
struct SumRows {
  const float* x;
  float* out;
  int64_t rows, cols;
  static constexpr const char* name = "sum_rows";
  Geometry geometry() const { return kernels::rows(rows); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
      double s = 0;
      for (int64_t j = c.thread(); j < cols; j += c.block_dim()) s += x[r * cols + j];
      s = block_reduce(c, s, Sum{});
      if (c.thread() == 0) out[r] = float(s);
    }
  }
};

// SumRows with a product (1 over cols = 0), in double as well (torch.prod).
struct ProdRows {
  const float* x;
  float* out;
  int64_t rows, cols;
  static constexpr const char* name = "prod_rows";
  Geometry geometry() const { return kernels::rows(rows); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
      double p = 1;
      for (int64_t j = c.thread(); j < cols; j += c.block_dim()) p *= x[r * cols + j];
      p = block_reduce(c, p, Prod{});
      if (c.thread() == 0) out[r] = float(p);
    }
  }
};

// Whether (v, i) beats the running max (bv, bi): the larger value, the first
// index among equals, and NaN over any number, as in PyTorch.
GENLAB_HD inline bool max_beats(float v, int64_t i, float bv, int64_t bi) {
  if (v != v) return bv == bv || i < bi;
  return bv == bv && (v > bv || (v == bv && i < bi));
}

// Max of each row of x [rows, cols] and its index (arg may be null), one
// block per row; the block reduces (value, index) pairs through shared memory
// (block_dim floats, then block_dim int64s).
struct MaxRows {
  const float* x;
  float* out;
  int64_t* arg;
  int64_t rows, cols;
  static constexpr const char* name = "max_rows";
  Geometry geometry() const { return kernels::rows(cols == 0 ? 0 : rows, sizeof(float) + sizeof(int64_t)); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    float* sv = c.template shared<float>();
    int64_t* si = reinterpret_cast<int64_t*>(sv + c.block_dim());
    const unsigned t = c.thread();
    for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
      float bv = 0.f;
      int64_t bi = -1;  // none yet
      for (int64_t j = t; j < cols; j += c.block_dim())
        if (bi < 0 || max_beats(x[r * cols + j], j, bv, bi)) bv = x[r * cols + j], bi = j;
      sv[t] = bv;
      si[t] = bi;
      c.sync();
      for (unsigned stride = c.block_dim() / 2; stride > 0; stride /= 2) {
        if (t < stride && si[t + stride] >= 0 && (si[t] < 0 || max_beats(sv[t + stride], si[t + stride], sv[t], si[t]))) {
          sv[t] = sv[t + stride];
          si[t] = si[t + stride];
        }
        c.sync();
      }
      if (t == 0) {
        out[r] = sv[0];
        if (arg) arg[r] = si[0];
      }
      c.sync();  // sv/si are reused by the next row
    }
  }
};

// Max's backward: the gradient goes to each max's position in the input
// viewed as [outer, r, inner] (gx zeroed beforehand); grid-stride over outer * inner.
struct MaxBackward {
  const float* g;
  const int64_t* arg;
  float* gx;
  int64_t outer, r, inner;
  static constexpr const char* name = "max_backward";
  Geometry geometry() const { return elements(outer * inner); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t oi = grid_first(c); oi < outer * inner; oi += grid_step(c))
      gx[(oi / inner * r + arg[oi]) * inner + oi % inner] = g[oi];
  }
};

// Running sums along the middle axis of [outer, r, inner] (y may be x), one
// thread per (outer, inner) column walking r in a double accumulator, as the
// CPU does; reverse runs from the end (cumsum's backward). Neighbouring
// threads take neighbouring columns, so each step's loads coalesce when inner
// is large; a scan over a long last dim (inner == 1) is serial per row.
struct Cumsum {
  const float* x;
  float* y;
  int64_t outer, r, inner;
  bool reverse;
  static constexpr const char* name = "cumsum";
  Geometry geometry() const { return elements(r == 0 ? 0 : outer * inner); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t oi = grid_first(c); oi < outer * inner; oi += grid_step(c)) {
      const int64_t base = oi / inner * r * inner + oi % inner;
      double acc = 0;
      for (int64_t s = 0; s < r; ++s) {
        const int64_t k = base + (reverse ? r - 1 - s : s) * inner;
        y[k] = float(acc += double(x[k]));
      }
    }
  }
};

}  // namespace genlab::cuda::kernels

// ---- Entry points (listed in genlab/backend/cuda_kernels.inc).
namespace genlab::cuda::impl {

template <class B>
void sum_rows(const float* x, float* out, int64_t rows, int64_t cols) {
  B::launch(kernels::SumRows{x, out, rows, cols});
}
template <class B>
void prod_rows(const float* x, float* out, int64_t rows, int64_t cols) {
  B::launch(kernels::ProdRows{x, out, rows, cols});
}
template <class B>
void max_rows(const float* x, float* out, int64_t* arg, int64_t rows, int64_t cols) {
  B::launch(kernels::MaxRows{x, out, arg, rows, cols});
}
template <class B>
void max_backward(const float* g, const int64_t* arg, float* gx, int64_t outer, int64_t r, int64_t inner) {
  B::launch(kernels::MaxBackward{g, arg, gx, outer, r, inner});
}

template <class B>
void cumsum(const float* x, float* y, int64_t outer, int64_t r, int64_t inner, bool reverse) {
  B::launch(kernels::Cumsum{x, y, outer, r, inner, reverse});
}

}  // namespace genlab::cuda::impl
