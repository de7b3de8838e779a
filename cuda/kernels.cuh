// CUDA kernel bodies, written once and compiled twice: by nvcc as __global__
// kernels (kernels.cu) and by the host compiler for the CPU emulation
// harness (emulate.hpp), which runs every block's threads with real shared
// memory and __syncthreads barriers so the indexing is tested without a GPU.
// The context a body takes, and the reductions, are in common.cuh; the
// row-wise softmax and norm kernels in norm.cuh.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "common.cuh"
#include "genlab/backend/cpu.hpp"  // UnaryOp, BinaryOp
#include "genlab/core/error.hpp"
#include "genlab/core/shape.hpp"
#include "norm.cuh"

namespace genlab::cuda::kernels {

GENLAB_HD inline float unary_apply(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::neg: return -x;
    case UnaryOp::exp: return expf(x);
    case UnaryOp::log: return logf(x);
    case UnaryOp::sqrt: return sqrtf(x);
    case UnaryOp::tanh: return tanhf(x);
    case UnaryOp::sigmoid: return 1.f / (1.f + expf(-x));
    case UnaryOp::relu: return x < 0.f ? 0.f : x;  // NaN passes, as in PyTorch
    case UnaryOp::gelu: return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
    case UnaryOp::gelu_tanh: return 0.5f * x * (1.f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    case UnaryOp::silu: return x / (1.f + expf(-x));
    case UnaryOp::softplus: return fmaxf(x, 0.f) + log1pf(expf(-fabsf(x)));
    case UnaryOp::abs: return fabsf(x);
  }
  return 0.f;
}

GENLAB_HD inline float unary_derivative(UnaryOp op, float x, float y) {
  switch (op) {
    case UnaryOp::neg: return -1.f;
    case UnaryOp::exp: return y;
    case UnaryOp::log: return 1.f / x;
    case UnaryOp::sqrt: return 0.5f / y;
    case UnaryOp::tanh: return 1.f - y * y;
    case UnaryOp::sigmoid: return y * (1.f - y);
    case UnaryOp::relu: return x <= 0.f ? 0.f : 1.f;
    case UnaryOp::gelu:
      return 0.5f * (1.f + erff(x * 0.70710678118654752f)) + x * expf(-0.5f * x * x) * 0.3989422804014327f;
    case UnaryOp::gelu_tanh: {
      const float k = 0.7978845608028654f, c = 0.044715f, t = tanhf(k * (x + c * x * x * x));
      return 0.5f * (1.f + t) + 0.5f * x * (1.f - t * t) * k * (1.f + 3.f * c * x * x);
    }
    case UnaryOp::silu: {
      const float s = 1.f / (1.f + expf(-x));
      return s * (1.f + x * (1.f - s));
    }
    case UnaryOp::softplus: return 1.f / (1.f + expf(-x));
    case UnaryOp::abs: return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
  }
  return 0.f;
}

GENLAB_HD inline float binary_apply(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    case BinaryOp::pow: return powf(a, b);
    case BinaryOp::maximum: return (a > b || a != a) ? a : b;  // NaN in either gives NaN, as PyTorch
    case BinaryOp::minimum: return (a < b || a != a) ? a : b;
  }
  return 0.f;
}

// Grid-stride loops: any grid size covers any n.
template <class Ctx>
GENLAB_HD void unary_body(Ctx& c, UnaryOp op, const float* x, float* y, int64_t n) {
  for (int64_t i = int64_t(c.block()) * c.block_dim() + c.thread(); i < n; i += int64_t(c.block_dim()) * c.grid_dim())
    y[i] = unary_apply(op, x[i]);
}

template <class Ctx>
GENLAB_HD void unary_backward_body(Ctx& c, UnaryOp op, const float* x, const float* y, const float* gy, float* gx,
                                   int64_t n) {
  for (int64_t i = int64_t(c.block()) * c.block_dim() + c.thread(); i < n; i += int64_t(c.block_dim()) * c.grid_dim())
    gx[i] = op == UnaryOp::relu ? (x[i] <= 0.f ? 0.f : gy[i])  // a select: gy = inf at x < 0 gives 0, not 0 * inf
                                : gy[i] * unary_derivative(op, x ? x[i] : 0.f, y ? y[i] : 0.f);
}

// b is either n elements or a single scalar (b_numel == 1).
template <class Ctx>
GENLAB_HD void binary_body(Ctx& c, BinaryOp op, const float* a, const float* b, int64_t b_numel, float* out, int64_t n) {
  for (int64_t i = int64_t(c.block()) * c.block_dim() + c.thread(); i < n; i += int64_t(c.block_dim()) * c.grid_dim())
    out[i] = binary_apply(op, a[i], b_numel == 1 ? b[0] : b[i]);
}

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
template <class Ctx>
GENLAB_HD void copy_strided_body(Ctx& c, const float* src, float* dst, const TwoStrides& l, int64_t n) {
  for (int64_t i = int64_t(c.block()) * c.block_dim() + c.thread(); i < n; i += int64_t(c.block_dim()) * c.grid_dim()) {
    int64_t os, od;
    offsets_of(l, i, os, od);
    dst[od] = src[os];
  }
}

// out (contiguous) = op(a, b), a and b read through broadcast strides s0, s1.
template <class Ctx>
GENLAB_HD void binary_strided_body(Ctx& c, BinaryOp op, const float* a, const float* b, const TwoStrides& l, float* out,
                                   int64_t n) {
  for (int64_t i = int64_t(c.block()) * c.block_dim() + c.thread(); i < n; i += int64_t(c.block_dim()) * c.grid_dim()) {
    int64_t oa, ob;
    offsets_of(l, i, oa, ob);
    out[i] = binary_apply(op, a[oa], b[ob]);
  }
}

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
template <class Ctx>
GENLAB_HD void compare_strided_body(Ctx& c, CompareOp op, const float* a, const float* b, const TwoStrides& l,
                                    uint8_t* out, int64_t n) {
  for (int64_t i = int64_t(c.block()) * c.block_dim() + c.thread(); i < n; i += int64_t(c.block_dim()) * c.grid_dim()) {
    int64_t oa, ob;
    offsets_of(l, i, oa, ob);
    out[i] = compare_apply(op, a[oa], b[ob]) ? 1 : 0;
  }
}

// out (contiguous) = cond ? a : b over one shape: cond and a are read through
// layout `ca` (s0 cond, s1 a), b through `bb` (both strides b's). Two layouts
// of the same shape map a linear index the same way, however their dims merged.
template <class Ctx>
GENLAB_HD void where_strided_body(Ctx& c, const uint8_t* cond, const float* a, const float* b, const TwoStrides& ca,
                                  const TwoStrides& bb, float* out, int64_t n) {
  for (int64_t i = int64_t(c.block()) * c.block_dim() + c.thread(); i < n; i += int64_t(c.block_dim()) * c.grid_dim()) {
    int64_t oc, oa, ob, unused;
    offsets_of(ca, i, oc, oa);
    offsets_of(bb, i, ob, unused);
    out[i] = cond[oc] ? a[oa] : b[ob];
  }
}

// y = clamp(x, lo, hi) (NaN stays NaN); the backward passes gy where lo <= x <= hi.
template <class Ctx>
GENLAB_HD void clamp_body(Ctx& c, const float* x, float* y, int64_t n, float lo, float hi) {
  for (int64_t i = int64_t(c.block()) * c.block_dim() + c.thread(); i < n; i += int64_t(c.block_dim()) * c.grid_dim())
    y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
}
template <class Ctx>
GENLAB_HD void clamp_backward_body(Ctx& c, const float* x, const float* gy, float* gx, int64_t n, float lo, float hi) {
  for (int64_t i = int64_t(c.block()) * c.block_dim() + c.thread(); i < n; i += int64_t(c.block_dim()) * c.grid_dim())
    gx[i] = (x[i] >= lo && x[i] <= hi) ? gy[i] : 0.f;
}

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
