// CUDA kernel bodies, written once and compiled twice: by nvcc as __global__
// kernels (kernels.cu) and by the host compiler for the CPU emulation
// harness (emulate.hpp), which runs every block's threads with real shared
// memory and __syncthreads barriers so the indexing is tested without a GPU.
// The context a body takes, and the reductions, are in common.cuh; the
// row-wise softmax and norm kernels in norm.cuh; the elementwise kernels,
// already in the one-definition form (see elementwise.cuh), in elementwise.cuh.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "common.cuh"
#include "elementwise.cuh"
#include "genlab/backend/cpu.hpp"  // UnaryOp, BinaryOp
#include "genlab/core/error.hpp"
#include "genlab/core/shape.hpp"
#include "norm.cuh"

namespace genlab::cuda::kernels {

// Rows picked along the middle dim of src [outer, src_n, inner]:
// out[o][i][j] = src[o][index[k]][j] for out [outer, n, inner], where k = i
// (one index per row: index_select, embedding) or, when per_element, k is the
// output element itself (torch.gather, whose index has out's shape). Indices
// were range-checked on the host.
GENLAB_HD inline int64_t index_rows_source(const int64_t* index, bool per_element, int64_t e, int64_t src_n, int64_t n,
                                           int64_t inner) {
  const int64_t j = e % inner, row = e / inner, o = row / n, i = row % n;
  return (o * src_n + index[per_element ? e : i]) * inner + j;
}
template <class Ctx>
GENLAB_HD void index_rows_body(Ctx& c, const float* src, const int64_t* index, bool per_element, float* out,
                               int64_t outer, int64_t src_n, int64_t n, int64_t inner) {
  const int64_t total = outer * n * inner;
  for (int64_t e = int64_t(c.block()) * c.block_dim() + c.thread(); e < total; e += int64_t(c.block_dim()) * c.grid_dim())
    out[e] = src[index_rows_source(index, per_element, e, src_n, n, inner)];
}
// The backward: g (out's shape) added into gsrc (zeroed, src's shape);
// atomically, since repeated indices add into the same element.
template <class Ctx>
GENLAB_HD void index_rows_backward_body(Ctx& c, const float* g, const int64_t* index, bool per_element, float* gsrc,
                                        int64_t outer, int64_t src_n, int64_t n, int64_t inner) {
  const int64_t total = outer * n * inner;
  for (int64_t e = int64_t(c.block()) * c.block_dim() + c.thread(); e < total; e += int64_t(c.block_dim()) * c.grid_dim())
    c.atomic_add(gsrc + index_rows_source(index, per_element, e, src_n, n, inner), g[e]);
}

// One block per row (grid-stride over rows): each thread sums a strided slice
// of the row, then the block reduces.
template <class Ctx>
GENLAB_HD void sum_rows_body(Ctx& c, const float* x, float* out, int64_t rows, int64_t cols) {
  for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
    double s = 0;
    for (int64_t j = c.thread(); j < cols; j += c.block_dim()) s += x[r * cols + j];
    s = block_reduce(c, s, Sum{});
    if (c.thread() == 0) out[r] = float(s);
  }
}

// Whether (v, i) beats the running max (bv, bi): the larger value, the first
// index among equals, and NaN over any number, as in PyTorch.
GENLAB_HD inline bool max_beats(float v, int64_t i, float bv, int64_t bi) {
  if (v != v) return bv == bv || i < bi;
  return bv == bv && (v > bv || (v == bv && i < bi));
}

// Max of each row of x [rows, cols] and its index, one block per row; the
// block reduces (value, index) pairs through shared memory (block_dim floats,
// then block_dim int64s).
template <class Ctx>
GENLAB_HD void max_rows_body(Ctx& c, const float* x, float* out, int64_t* arg, int64_t rows, int64_t cols) {
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

// Max's backward: the gradient goes to each max's position in the input
// viewed as [outer, r, inner] (gx zeroed beforehand); grid-stride over outer * inner.
template <class Ctx>
GENLAB_HD void max_backward_body(Ctx& c, const float* g, const int64_t* arg, float* gx, int64_t outer, int64_t r,
                                 int64_t inner) {
  for (int64_t oi = int64_t(c.block()) * c.block_dim() + c.thread(); oi < outer * inner;
       oi += int64_t(c.block_dim()) * c.grid_dim())
    gx[(oi / inner * r + arg[oi]) * inner + oi % inner] = g[oi];
}

// Cross-entropy per row of logits x [rows, cols] against class indices
// (rows whose target is ignore_index give 0), one block per row:
// loss = -(1 - s) logp[t] - s mean(logp) with logp = x - lse and s the label
// smoothing; lse (log-sum-exp) is saved per row for the backward. The
// smoothing term is skipped when s = 0: with a -inf logit mean(logp) is -inf
// and 0 * -inf would make the row NaN.
template <class Ctx>
GENLAB_HD void cross_entropy_rows_body(Ctx& c, const float* x, const int64_t* target, float* loss, float* lse,
                                       int64_t rows, int64_t cols, int64_t ignore_index, float smoothing) {
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

// Its gradient for the mean over kept rows, element-wise (grid-stride):
// gx = scale (softmax - s / cols - (1 - s) [j == t]), 0 on ignored rows;
// scale = upstream gradient / number of kept rows.
template <class Ctx>
GENLAB_HD void cross_entropy_backward_body(Ctx& c, const float* x, const int64_t* target, const float* lse, float* gx,
                                           int64_t rows, int64_t cols, int64_t ignore_index, float smoothing, float scale) {
  const int64_t n = rows * cols;
  for (int64_t i = int64_t(c.block()) * c.block_dim() + c.thread(); i < n; i += int64_t(c.block_dim()) * c.grid_dim()) {
    const int64_t r = i / cols, j = i % cols, t = target[r];
    gx[i] = t == ignore_index ? 0.f * expf(x[i] - lse[r])  // 0, or NaN from a NaN row, as PyTorch and the CPU
                              : scale * (expf(x[i] - lse[r]) - smoothing / float(cols) - (j == t ? 1.f - smoothing : 0.f));
  }
}

// Optimizer steps over one parameter's n elements (grid-stride), with the
// arguments of cpu::adam_step and cpu::sgd_step.
template <class Ctx>
GENLAB_HD void adam_body(Ctx& c, float* p, const float* g, float* m, float* v, int64_t n, float beta1, float beta2,
                         float eps, float step_size, float rbc2, float decay, float l2) {
  for (int64_t i = int64_t(c.block()) * c.block_dim() + c.thread(); i < n; i += int64_t(c.block_dim()) * c.grid_dim()) {
    const float gi = l2 != 0.f ? g[i] + l2 * p[i] : g[i];  // 0 * inf is NaN
    m[i] = beta1 * m[i] + (1.f - beta1) * gi;
    v[i] = beta2 * v[i] + (1.f - beta2) * gi * gi;
    p[i] = p[i] * decay - step_size * m[i] / (sqrtf(v[i]) * rbc2 + eps);
  }
}
template <class Ctx>
GENLAB_HD void sgd_body(Ctx& c, float* p, const float* g, float* buf, int64_t n, float lr, float weight_decay,
                        float momentum, float dampening, bool nesterov, bool first) {
  for (int64_t i = int64_t(c.block()) * c.block_dim() + c.thread(); i < n; i += int64_t(c.block_dim()) * c.grid_dim()) {
    float d = weight_decay != 0.f ? g[i] + weight_decay * p[i] : g[i];
    if (buf) {
      buf[i] = first ? d : momentum * buf[i] + (1.f - dampening) * d;
      d = nesterov ? d + momentum * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
}

// The multi-tensor optimizer kernels: up to kParamsPerLaunch parameters per
// launch, passed by value (a kernel's arguments may take 4 KB), every thread
// grid-striding over each parameter in turn.
constexpr int kParamsPerLaunch = 32;
template <class P>
struct ParamBatch {
  int count = 0;
  int64_t largest = 0;  // elements of the largest parameter: sizes the grid
  P param[kParamsPerLaunch];
};
// Host side: calls launch(batch) for consecutive batches of `params`.
template <class P, class F>
void for_param_batches(const std::vector<P>& params, F&& launch) {
  ParamBatch<P> b;
  for (const P& p : params) {
    if (p.n == 0) continue;
    b.param[b.count++] = p;
    b.largest = p.n > b.largest ? p.n : b.largest;
    if (b.count == kParamsPerLaunch) {
      launch(b);
      b = ParamBatch<P>();
    }
  }
  if (b.count > 0) launch(b);
}
template <class Ctx>
GENLAB_HD void adam_batch_body(Ctx& c, const ParamBatch<cpu::AdamParam<float>>& b, float beta1, float beta2, float eps,
                               float step_size, float rbc2, float decay, float l2) {
  for (int s = 0; s < b.count; ++s)
    adam_body(c, b.param[s].p, b.param[s].g, b.param[s].m, b.param[s].v, b.param[s].n, beta1, beta2, eps, step_size, rbc2,
              decay, l2);
}
template <class Ctx>
GENLAB_HD void sgd_batch_body(Ctx& c, const ParamBatch<cpu::SgdParam<float>>& b, float lr, float weight_decay,
                              float momentum, float dampening, bool nesterov) {
  for (int s = 0; s < b.count; ++s)
    sgd_body(c, b.param[s].p, b.param[s].g, b.param[s].buf, b.param[s].n, lr, weight_decay, momentum, dampening, nesterov,
             b.param[s].first);
}

}  // namespace genlab::cuda::kernels
