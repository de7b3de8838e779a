// The normalisation CUDA kernels: LayerNorm and RMSNorm over contiguous f32
// rows, forward and backward, and the column sums of the weight and bias
// gradients (the CPU side is in genlab/ops/nn.hpp); BatchNorm's per-channel
// statistics, forward and backward (genlab/ops/norm.hpp). Rows that fit in
// registers take the cached kernels (row_cache.cuh), longer ones the
// multi-pass block kernels. Written once as kernel structs (see
// elementwise.cuh and docs/adding_an_op.md).
#pragma once
#include <cmath>
#include <cstdint>

#include "common.cuh"
#include "impl.hpp"
#include "row_cache.cuh"

namespace genlab::cuda::kernels {

// LayerNorm (mean given: row means saved there) or RMSNorm (mean null) of
// rows of x: y = (x - mu) rstd w + b, rstd = 1 / sqrt(mean((x - mu)^2) + eps);
// w and b may be null.
template <int P, int C>
struct NormRowsCached {
  RowPlan plan;
  const float *x, *w, *b;
  float *y, *mean, *rstd;
  int64_t rows, cols;
  float eps;
  static constexpr const char* name = "norm_rows";
  static constexpr unsigned max_threads = kMaxRowThreads;
  Geometry geometry() const { return plan_geometry(plan, rows); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    const unsigned tpr = plan.threads;
    for_each_cached_row<P, C>(c, rows, cols, tpr, [&](int64_t r, bool live, const RowSlice<P, C>& s, int64_t off) {
      constexpr int N = P * C;
      float v[N], d[N];
      s.load(x + off, v, 0.f);
      // the same branch for every thread, so all reach the reductions
      const float mu = mean ? float(row_reduce(c, double(pairwise_sum(v)), Sum{}, tpr) / double(cols)) : 0.f;
      GENLAB_UNROLL for (int k = 0; k < N; ++k) d[k] = s.ok[k / P] ? (v[k] - mu) * (v[k] - mu) : 0.f;
      const double var = row_reduce(c, double(pairwise_sum(d)), Sum{}, tpr) / double(cols);
      const float rs = float(1.0 / ::sqrt(var + double(eps)));
      if (live && c.thread() % tpr == 0) {
        if (mean) mean[r] = mu;
        rstd[r] = rs;
      }
      GENLAB_UNROLL for (int i = 0; i < C; ++i) {
        if (!s.ok[i]) continue;
        float wv[P] = {}, bv[P] = {}, out[P];
        if (w) load_pack<P>(w + s.col[i], wv);
        if (b) load_pack<P>(b + s.col[i], bv);
        GENLAB_UNROLL for (int p = 0; p < P; ++p)
          out[p] = (v[i * P + p] - mu) * rs * (w ? wv[p] : 1.f) + (b ? bv[p] : 0.f);
        store_pack<P>(y + off + s.col[i], out);
      }
    });
  }
};

// Its input gradient: with g = gy w and xhat = (x - mu) rstd,
// gx = rstd (g - mean(g) - xhat mean(g xhat)); RMSNorm drops mean(g).
template <int P, int C>
struct NormRowsBackwardCached {
  RowPlan plan;
  const float *x, *w, *mean, *rstd, *gy;
  float* gx;
  int64_t rows, cols;
  static constexpr const char* name = "norm_rows_backward";
  static constexpr unsigned max_threads = kMaxRowThreads;
  Geometry geometry() const { return plan_geometry(plan, rows); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    const unsigned tpr = plan.threads;
    for_each_cached_row<P, C>(c, rows, cols, tpr, [&](int64_t r, bool live, const RowSlice<P, C>& s, int64_t off) {
      constexpr int N = P * C;
      const float mu = live && mean ? mean[r] : 0.f, rs = live ? rstd[r] : 0.f;
      float xh[N], g[N], t[N];
      s.load(x + off, xh, 0.f);
      s.load(gy + off, g, 0.f);
      GENLAB_UNROLL for (int i = 0; i < C; ++i) {
        float wv[P] = {};
        if (w && s.ok[i]) load_pack<P>(w + s.col[i], wv);
        GENLAB_UNROLL for (int p = 0; p < P; ++p) {
          const int k = i * P + p;
          g[k] *= w && s.ok[i] ? wv[p] : 1.f;
          xh[k] = (xh[k] - mu) * rs;
          t[k] = s.ok[i] ? g[k] * xh[k] : 0.f;
        }
      }
      const float sgx = float(row_reduce(c, double(pairwise_sum(t)), Sum{}, tpr) / double(cols));
      const float sg = mean ? float(row_reduce(c, double(pairwise_sum(g)), Sum{}, tpr) / double(cols)) : 0.f;
      GENLAB_UNROLL for (int i = 0; i < C; ++i) {
        if (!s.ok[i]) continue;
        float out[P];
        GENLAB_UNROLL for (int p = 0; p < P; ++p) out[p] = rs * (g[i * P + p] - sg - xh[i * P + p] * sgx);
        store_pack<P>(gx + off + s.col[i], out);
      }
    });
  }
};

// ---- Multi-pass block kernels for rows too long to cache: one block per
// row (grid-stride over rows), a double running sum per thread, block
// reductions through block_dim floats of shared memory.
struct NormRows {
  const float *x, *w, *b;
  float *y, *mean, *rstd;
  int64_t rows, cols;
  float eps;
  static constexpr const char* name = "norm_rows";
  Geometry geometry() const { return kernels::rows(rows); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
      const float* xr = x + r * cols;
      float mu = 0.f;
      if (mean) {
        double s = 0;
        for (int64_t j = c.thread(); j < cols; j += c.block_dim()) s += xr[j];
        mu = float(block_reduce(c, s, Sum{}) / double(cols));
      }
      double ss = 0;
      for (int64_t j = c.thread(); j < cols; j += c.block_dim()) ss += (xr[j] - mu) * (xr[j] - mu);
      const float rs = float(1.0 / ::sqrt(block_reduce(c, ss, Sum{}) / double(cols) + double(eps)));
      if (c.thread() == 0) {
        if (mean) mean[r] = mu;
        rstd[r] = rs;
      }
      for (int64_t j = c.thread(); j < cols; j += c.block_dim())
        y[r * cols + j] = (xr[j] - mu) * rs * (w ? w[j] : 1.f) + (b ? b[j] : 0.f);
    }
  }
};
struct NormRowsBackward {
  const float *x, *w, *mean, *rstd, *gy;
  float* gx;
  int64_t rows, cols;
  static constexpr const char* name = "norm_rows_backward";
  Geometry geometry() const { return kernels::rows(rows); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
      const float *xr = x + r * cols, *gr = gy + r * cols;
      const float mu = mean ? mean[r] : 0.f, rs = rstd[r];
      double dg = 0, dgx = 0;
      for (int64_t j = c.thread(); j < cols; j += c.block_dim()) {
        const float g = gr[j] * (w ? w[j] : 1.f);
        dg += g;
        dgx += g * (xr[j] - mu) * rs;
      }
      const float sg = mean ? float(block_reduce(c, dg, Sum{}) / double(cols)) : 0.f;
      const float sgx = float(block_reduce(c, dgx, Sum{}) / double(cols));
      for (int64_t j = c.thread(); j < cols; j += c.block_dim())
        gx[r * cols + j] = rs * (gr[j] * (w ? w[j] : 1.f) - sg - (xr[j] - mu) * rs * sgx);
    }
  }
};

// The parameters' gradients, column sums over rows (one thread per column,
// grid-stride): gw[j] = sum_r gy * xhat, gb[j] = sum_r gy; either may be null.
struct NormParamGrads {
  const float *x, *mean, *rstd, *gy;
  float *gw, *gb;
  int64_t rows, cols;
  static constexpr const char* name = "norm_param_grads";
  Geometry geometry() const { return elements(cols); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t j = grid_first(c); j < cols; j += grid_step(c)) {
      double sw = 0, sb = 0;
      for (int64_t r = 0; r < rows; ++r) {
        const float g = gy[r * cols + j];
        sw += g * (x[r * cols + j] - (mean ? mean[r] : 0.f)) * rstd[r];
        sb += g;
      }
      if (gw) gw[j] = float(sw);
      if (gb) gb[j] = float(sb);
    }
  }
};

// ---- Batch norm over x viewed as [n, channels, s] (channel ch's values: n
// runs of s): one block per channel (grid-stride over channels), per thread a
// double running sum of x - shift and its square (shift: the channel's first
// value, so the squares do not cancel where the mean is far from 0).
struct BatchNormStats {
  const float* x;
  float *mean, *var, *rstd;
  int64_t n, channels, s;
  float eps;
  static constexpr const char* name = "batch_norm_stats";
  Geometry geometry() const { return kernels::rows(channels); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    const int64_t count = n * s;
    for (int64_t ch = c.block(); ch < channels; ch += c.grid_dim()) {
      const double shift = count ? x[ch * s] : 0.0;
      double s1 = 0, s2 = 0;
      for (int64_t i = c.thread(); i < count; i += c.block_dim()) {
        const double d = double(x[(i / s * channels + ch) * s + i % s]) - shift;
        s1 += d;
        s2 += d * d;
      }
      const double md = block_reduce(c, s1, Sum{}) / double(count);
      const double v = block_reduce(c, s2, Sum{}) / double(count) - md * md, vv = v < 0 ? 0.0 : v;  // NaN stays
      if (c.thread() == 0) {
        mean[ch] = float(shift + md);
        var[ch] = float(vv);
        rstd[ch] = float(1.0 / ::sqrt(vv + double(eps)));
      }
    }
  }
};
// y = (x - mean) rstd w + b per channel (mean, w, b may be null); with x = gy
// and no mean or b, the input gradient under fixed statistics.
struct BatchNormApply {
  const float *x, *mean, *rstd, *w, *b;
  float* y;
  int64_t n, channels, s;
  static constexpr const char* name = "batch_norm";
  Geometry geometry() const { return elements(n * channels * s); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < n * channels * s; i += grid_step(c)) {
      const int64_t ch = i / s % channels;
      y[i] = (x[i] - (mean ? mean[ch] : 0.f)) * rstd[ch] * (w ? w[ch] : 1.f) + (b ? b[ch] : 0.f);
    }
  }
};
// The parameters' gradients per channel (one block each): gb = sum gy,
// gw = sum gy (x - mean) rstd.
struct BatchNormParamGrads {
  const float *x, *gy, *mean, *rstd;
  float *gw, *gb;
  int64_t n, channels, s;
  static constexpr const char* name = "batch_norm_param_grads";
  Geometry geometry() const { return kernels::rows(channels); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t ch = c.block(); ch < channels; ch += c.grid_dim()) {
      const float m = mean[ch];
      double sg = 0, sgd = 0;
      for (int64_t i = c.thread(); i < n * s; i += c.block_dim()) {
        const int64_t at = (i / s * channels + ch) * s + i % s;
        sg += gy[at];
        sgd += double(gy[at]) * (x[at] - m);
      }
      sg = block_reduce(c, sg, Sum{});
      sgd = block_reduce(c, sgd, Sum{});
      if (c.thread() == 0) {
        gb[ch] = float(sg);
        gw[ch] = n * s > 0 ? float(sgd * rstd[ch]) : 0.f;  // an empty batch's rstd is NaN; torch gives 0
      }
    }
  }
};
// The input gradient with batch statistics: gx = w rstd (gy - gb / M - xhat gw / M).
struct BatchNormBackwardInput {
  const float *x, *gy, *mean, *rstd, *w, *gw, *gb;
  float* gx;
  int64_t n, channels, s;
  static constexpr const char* name = "batch_norm_backward";
  Geometry geometry() const { return elements(n * channels * s); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    const float inv = 1.f / float(n * s);
    for (int64_t i = grid_first(c); i < n * channels * s; i += grid_step(c)) {
      const int64_t ch = i / s % channels;
      const float rs = rstd[ch], xhat = (x[i] - mean[ch]) * rs;
      gx[i] = rs * (w ? w[ch] : 1.f) * (gy[i] - gb[ch] * inv - xhat * gw[ch] * inv);
    }
  }
};

}  // namespace genlab::cuda::kernels

// ---- Entry points (listed in genlab/backend/cuda_kernels.inc): the cached
// kernel with the plan's pack and chunks as template arguments, or the
// multi-pass one for longer rows.
namespace genlab::cuda::impl {

template <class B>
void norm_rows(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd, int64_t rows,
               int64_t cols, float eps) {
  if (rows == 0 || cols == 0) return;
  const bool aligned = kernels::aligned16(x) && kernels::aligned16(w) && kernels::aligned16(b) && kernels::aligned16(y);
  const auto plan = kernels::plan_rows(cols, aligned);
  if (plan.chunks == 0) return B::launch(kernels::NormRows{x, w, b, y, mean, rstd, rows, cols, eps});
  kernels::dispatch_plan(plan, [&](auto p, auto ch) {
    B::launch(kernels::NormRowsCached<decltype(p)::value, decltype(ch)::value>{plan, x, w, b, y, mean, rstd, rows, cols,
                                                                               eps});
  });
}
template <class B>
void norm_rows_backward(const float* x, const float* w, const float* mean, const float* rstd, const float* gy, float* gx,
                        float* gw, float* gb, int64_t rows, int64_t cols) {
  if (cols == 0) return;
  if (rows > 0) {
    const bool aligned = kernels::aligned16(x) && kernels::aligned16(w) && kernels::aligned16(gy) && kernels::aligned16(gx);
    const auto plan = kernels::plan_rows(cols, aligned, kernels::kBackwardChunks);
    if (plan.chunks == 0) {
      B::launch(kernels::NormRowsBackward{x, w, mean, rstd, gy, gx, rows, cols});
    } else {
      kernels::dispatch_plan<kernels::kBackwardChunks>(plan, [&](auto p, auto ch) {
        B::launch(kernels::NormRowsBackwardCached<decltype(p)::value, decltype(ch)::value>{plan, x, w, mean, rstd, gy,
                                                                                           gx, rows, cols});
      });
    }
  }
  // written even over 0 rows (sums of nothing: 0), as PyTorch's weight and bias gradients
  if (gw || gb) B::launch(kernels::NormParamGrads{x, mean, rstd, gy, gw, gb, rows, cols});
}

template <class B>
void batch_norm_stats(const float* x, float* mean, float* var, float* rstd, int64_t n, int64_t c, int64_t s, float eps) {
  B::launch(kernels::BatchNormStats{x, mean, var, rstd, n, c, s, eps});
}
template <class B>
void batch_norm(const float* x, const float* mean, const float* rstd, const float* w, const float* b, float* y,
                int64_t n, int64_t c, int64_t s) {
  B::launch(kernels::BatchNormApply{x, mean, rstd, w, b, y, n, c, s});
}
template <class B>
void batch_norm_backward(const float* x, const float* gy, const float* mean, const float* rstd, const float* w,
                         float* gx, float* gw, float* gb, int64_t n, int64_t c, int64_t s, bool training) {
  B::launch(kernels::BatchNormParamGrads{x, gy, mean, rstd, gw, gb, n, c, s});  // written even over M = 0
  if (!gx) return;
  if (training) B::launch(kernels::BatchNormBackwardInput{x, gy, mean, rstd, w, gw, gb, gx, n, c, s});
  else B::launch(kernels::BatchNormApply{gy, nullptr, rstd, w, nullptr, gx, n, c, s});
}

}  // namespace genlab::cuda::impl
