// The loss CUDA kernels (the CPU side is in genlab/ops/loss.hpp): fused
// cross-entropy over rows of logits and its backward. Written once as kernel
// structs (see elementwise.cuh and docs/adding_an_op.md).
#pragma once
#include <cmath>
#include <cstdint>

#include "common.cuh"
#include "impl.hpp"

namespace genlab::cuda::kernels {

// Cross-entropy per row of logits x [rows, cols] against class indices
// (rows whose target is ignore_index give 0), one block per row:
// loss = -(1 - s) logp[t] - s mean(logp) with logp = x - lse and s the label
// smoothing; lse (log-sum-exp) is saved per row for the backward. The
// smoothing term is skipped when s = 0: with a -inf logit mean(logp) is -inf
// and 0 * -inf would make the row NaN.
struct CrossEntropyRows {
  const float* x;
  const int64_t* target;
  float *loss, *lse;
  int64_t rows, cols, ignore_index;
  float smoothing;
  static constexpr const char* name = "cross_entropy_rows";
  Geometry geometry() const { return kernels::rows(cols == 0 ? 0 : rows); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
      const float* xr = x + r * cols;
      float m = -INFINITY;
      double sx = 0;
      for (int64_t j = c.thread(); j < cols; j += c.block_dim()) {
        m = xr[j] > m ? xr[j] : m;
        sx += xr[j];
      }
      m = block_reduce(c, m, Max{});
      sx = block_reduce(c, sx, Sum{});
      double se = 0;
      for (int64_t j = c.thread(); j < cols; j += c.block_dim()) se += expf(xr[j] - m);
      const float log_se = float(::log(block_reduce(c, se, Sum{})));
      if (c.thread() == 0) {
        const int64_t t = target[r];
        lse[r] = m + log_se;
        if (t == ignore_index) {
          loss[r] = 0.f;
        } else {  // logp[t] = (x[t] - m) - log_se: m + log_se would round to float first
          loss[r] = -(1.f - smoothing) * ((xr[t] - m) - log_se);
          if (smoothing > 0.f) loss[r] += smoothing * float((double(m) + log_se) - sx / double(cols));  // -s mean(logp)
        }
      }
    }
  }
};

// Its gradient for the mean over kept rows, element-wise (grid-stride):
// gx = scale (softmax - s / cols - (1 - s) [j == t]), 0 on ignored rows;
// scale = upstream gradient / number of kept rows.
struct CrossEntropyBackward {
  const float* x;
  const int64_t* target;
  const float* lse;
  float* gx;
  int64_t rows, cols, ignore_index;
  float smoothing, scale;
  static constexpr const char* name = "cross_entropy_backward";
  Geometry geometry() const { return elements(rows * cols); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t i = grid_first(c); i < rows * cols; i += grid_step(c)) {
      const int64_t r = i / cols, j = i % cols, t = target[r];
      gx[i] = t == ignore_index ? 0.f * expf(x[i] - lse[r])  // 0, or NaN from a NaN row, as PyTorch and the CPU
                                : scale * (expf(x[i] - lse[r]) - smoothing / float(cols) - (j == t ? 1.f - smoothing : 0.f));
    }
  }
};

}  // namespace genlab::cuda::kernels

// ---- Entry points (listed in genlab/backend/cuda_kernels.inc).
namespace genlab::cuda::impl {

template <class B>
void cross_entropy_rows(const float* x, const int64_t* target, float* loss, float* lse, int64_t rows, int64_t cols,
                        int64_t ignore_index, float smoothing) {
  B::launch(kernels::CrossEntropyRows{x, target, loss, lse, rows, cols, ignore_index, smoothing});
}
template <class B>
void cross_entropy_backward(const float* x, const int64_t* target, const float* lse, float* gx, int64_t rows,
                            int64_t cols, int64_t ignore_index, float smoothing, float scale) {
  B::launch(kernels::CrossEntropyBackward{x, target, lse, gx, rows, cols, ignore_index, smoothing, scale});
}

}  // namespace genlab::cuda::impl
