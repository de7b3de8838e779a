// The softmax CUDA kernels: row-wise softmax and log_softmax over contiguous
// f32 rows, forward and backward (the CPU side is in genlab/ops/nn.hpp).
// Rows that fit in registers take the cached kernels (row_cache.cuh), longer
// ones the multi-pass block kernels. Written once as kernel structs (see
// elementwise.cuh and docs/adding_an_op.md).
#pragma once
#include <cmath>
#include <cstdint>

#include "common.cuh"
#include "impl.hpp"
#include "row_cache.cuh"

namespace genlab::cuda::kernels {

// Softmax (or log-softmax) of rows of x, plan.threads threads per row, P * C values per thread.
template <int P, int C>
struct SoftmaxCached {
  RowPlan plan;
  const float* x;
  float* y;
  int64_t rows, cols;
  bool log;
  static constexpr const char* name = "softmax";
  static constexpr unsigned max_threads = kMaxRowThreads;
  Geometry geometry() const { return plan_geometry(plan, rows); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for_each_cached_row<P, C>(c, rows, cols, plan.threads, [&](int64_t, bool, const RowSlice<P, C>& s, int64_t off) {
      constexpr int N = P * C;
      float v[N], e[N];
      s.load(x + off, v, -INFINITY);
      float m = -INFINITY;
      GENLAB_UNROLL for (int k = 0; k < N; ++k) m = v[k] > m ? v[k] : m;  // NaN is skipped here and poisons the sum
      m = row_reduce(c, m, Max{}, plan.threads);
      // exp is taken again for the output: only the row stays in registers across the sum
      GENLAB_UNROLL for (int k = 0; k < N; ++k) e[k] = s.ok[k / P] ? expf(v[k] - m) : 0.f;
      const double sum = row_reduce(c, double(pairwise_sum(e)), Sum{}, plan.threads);
      const float log_s = float(::log(sum)), inv_s = float(1.0 / sum);
      GENLAB_UNROLL for (int i = 0; i < C; ++i) {
        if (!s.ok[i]) continue;
        float out[P];
        GENLAB_UNROLL for (int p = 0; p < P; ++p) {
          const float z = v[i * P + p] - m;
          out[p] = log ? z - log_s : expf(z) * inv_s;
        }
        store_pack<P>(y + off + s.col[i], out);
      }
    });
  }
};

// Softmax's backward from the output y: softmax gx = y (gy - sum(gy y)),
// log-softmax gx = gy - exp(y) sum(gy).
template <int P, int C>
struct SoftmaxBackwardCached {
  RowPlan plan;
  const float *y, *gy;
  float* gx;
  int64_t rows, cols;
  bool log;
  static constexpr const char* name = "softmax_backward";
  static constexpr unsigned max_threads = kMaxRowThreads;
  Geometry geometry() const { return plan_geometry(plan, rows); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for_each_cached_row<P, C>(c, rows, cols, plan.threads, [&](int64_t, bool, const RowSlice<P, C>& s, int64_t off) {
      constexpr int N = P * C;
      float yv[N], g[N], t[N];
      s.load(y + off, yv, 0.f);
      s.load(gy + off, g, 0.f);
      GENLAB_UNROLL for (int k = 0; k < N; ++k) t[k] = log ? g[k] : g[k] * yv[k];
      const float sum = float(row_reduce(c, double(pairwise_sum(t)), Sum{}, plan.threads));
      GENLAB_UNROLL for (int i = 0; i < C; ++i) {
        if (!s.ok[i]) continue;
        float out[P];
        GENLAB_UNROLL for (int p = 0; p < P; ++p) {
          const int k = i * P + p;
          out[p] = log ? g[k] - expf(yv[k]) * sum : yv[k] * (g[k] - sum);
        }
        store_pack<P>(gx + off + s.col[i], out);
      }
    });
  }
};

// ---- Multi-pass block kernels for rows too long to cache: one block per
// row (grid-stride over rows), a double running sum per thread, block
// reductions through block_dim floats of shared memory.
struct Softmax {
  const float* x;
  float* y;
  int64_t rows, cols;
  bool log;
  static constexpr const char* name = "softmax";
  Geometry geometry() const { return kernels::rows(rows); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      float m = -INFINITY;
      for (int64_t j = c.thread(); j < cols; j += c.block_dim()) m = xr[j] > m ? xr[j] : m;
      m = block_reduce(c, m, Max{});
      double s = 0;
      for (int64_t j = c.thread(); j < cols; j += c.block_dim()) s += expf(xr[j] - m);
      s = block_reduce(c, s, Sum{});
      const float log_s = float(::log(s)), inv_s = float(1.0 / s);
      for (int64_t j = c.thread(); j < cols; j += c.block_dim())
        yr[j] = log ? (xr[j] - m) - log_s : expf(xr[j] - m) * inv_s;
    }
  }
};
struct SoftmaxBackward {
  const float *y, *gy;
  float* gx;
  int64_t rows, cols;
  bool log;
  static constexpr const char* name = "softmax_backward";
  Geometry geometry() const { return kernels::rows(rows); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
      const float *yr = y + r * cols, *gr = gy + r * cols;
      float* xr = gx + r * cols;
      double sd = 0;
      for (int64_t j = c.thread(); j < cols; j += c.block_dim()) sd += log ? gr[j] : gr[j] * yr[j];
      const float s = float(block_reduce(c, sd, Sum{}));
      for (int64_t j = c.thread(); j < cols; j += c.block_dim())
        xr[j] = log ? gr[j] - expf(yr[j]) * s : yr[j] * (gr[j] - s);
    }
  }
};

// log(sum(exp(row))) per row: one block per row, as Softmax, with the shift
// of ops::logsumexp (the max, or 0 where it is infinite).
struct LogSumExpRows {
  const float* x;
  float* out;
  int64_t rows, cols;
  static constexpr const char* name = "logsumexp_rows";
  Geometry geometry() const { return kernels::rows(rows); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
      const float* xr = x + r * cols;
      float m = -INFINITY;
      for (int64_t j = c.thread(); j < cols; j += c.block_dim()) m = xr[j] > m ? xr[j] : m;  // NaN poisons the sum
      m = block_reduce(c, m, Max{});
      const float shift = (m == INFINITY || m == -INFINITY) ? 0.f : m;
      double s = 0;
      for (int64_t j = c.thread(); j < cols; j += c.block_dim()) s += expf(xr[j] - shift);
      s = block_reduce(c, s, Sum{});
      if (c.thread() == 0) out[r] = float(::log(s) + double(shift));
    }
  }
};

}  // namespace genlab::cuda::kernels

// ---- Entry points (listed in genlab/backend/cuda_kernels.inc): the cached
// kernel with the plan's pack and chunks as template arguments, or the
// multi-pass one for longer rows.
namespace genlab::cuda::impl {

template <class B>
void softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  if (rows == 0 || cols == 0) return;
  const auto plan = kernels::plan_rows(cols, kernels::aligned16(x) && kernels::aligned16(y));
  if (plan.chunks == 0) return B::launch(kernels::Softmax{x, y, rows, cols, log});
  kernels::dispatch_plan(plan, [&](auto p, auto ch) {
    B::launch(kernels::SoftmaxCached<decltype(p)::value, decltype(ch)::value>{plan, x, y, rows, cols, log});
  });
}
template <class B>
void logsumexp_rows(const float* x, float* out, int64_t rows, int64_t cols) {
  if (rows > 0) B::launch(kernels::LogSumExpRows{x, out, rows, cols});
}
template <class B>
void softmax_backward(const float* y, const float* gy, float* gx, int64_t rows, int64_t cols, bool log) {
  if (rows == 0 || cols == 0) return;
  const bool aligned = kernels::aligned16(y) && kernels::aligned16(gy) && kernels::aligned16(gx);
  const auto plan = kernels::plan_rows(cols, aligned, kernels::kBackwardChunks);
  if (plan.chunks == 0) return B::launch(kernels::SoftmaxBackward{y, gy, gx, rows, cols, log});
  kernels::dispatch_plan<kernels::kBackwardChunks>(plan, [&](auto p, auto ch) {
    B::launch(kernels::SoftmaxBackwardCached<decltype(p)::value, decltype(ch)::value>{plan, y, gy, gx, rows, cols, log});
  });
}

}  // namespace genlab::cuda::impl
