// CPU kernels: typed pointers and sizes in, no autograd, no modules. Defined in
// src/cpu/ for T = float and double; vectorised with xsimd, threaded with OpenMP.
#pragma once
#include <cstdint>
#include <vector>

#include "genlab/backend/interp.hpp"
#include "genlab/core/dtype.hpp"
#include "genlab/core/shape.hpp"

namespace genlab {

// The parameterised ones read p0 (leaky_relu: negative_slope, elu: alpha,
// hardtanh: min) and p1 (hardtanh: max); the others ignore both.
enum class UnaryOp : uint8_t {
  neg, exp, log, sqrt, tanh, sigmoid, relu, gelu, gelu_tanh, silu, softplus, abs,  // the first group
  sin, cos, erf, log1p, expm1, rsqrt, reciprocal, sign, floor, round,             // math (round: half to even)
  leaky_relu, elu, mish, hardtanh, logsigmoid                                      // activations
};
// bce / bce_grad: binary_cross_entropy's per-element loss of a probability a
// against a target b, and its gradient in a (ops/loss_pointwise.hpp).
enum class BinaryOp : uint8_t { add, sub, mul, div, pow, maximum, minimum, bce, bce_grad };
enum class CompareOp : uint8_t { lt, le, gt, ge, eq, ne };
const char* unary_name(UnaryOp op);
const char* binary_name(BinaryOp op);

namespace cpu {

// y = op(x) over n contiguous elements; p0, p1: the op's parameters (UnaryOp).
template <class T> void unary(UnaryOp op, const T* x, T* y, int64_t n, T p0 = T(0), T p1 = T(0));
// gx = gy * op'(x); y = op(x) is passed for ops whose derivative reads it.
// Where PyTorch's gradient is a select (relu, hardtanh) or zero (sign, floor,
// round), gx is gy or 0 outright: an inf or NaN gy does not leak through 0 * gy.
template <class T>
void unary_backward(UnaryOp op, const T* x, const T* y, const T* gy, T* gx, int64_t n, T p0 = T(0), T p1 = T(0));
// out = a op b over `shape`; sa/sb are element strides of a and b broadcast to
// `shape` (0 on broadcast dims); out is contiguous.
template <class T>
void binary(BinaryOp op, const T* a, const Strides& sa, const T* b, const Strides& sb, T* out, const Shape& shape);
// y = clamp(x, lo, hi); the backward passes gy where lo <= x <= hi.
template <class T> void clamp(const T* x, T* y, int64_t n, T lo, T hi);
template <class T> void clamp_backward(const T* x, const T* gy, T* gx, int64_t n, T lo, T hi);

// x viewed as [outer, r, inner], reduced over r into out[outer, inner].
template <class T> void sum(const T* x, T* out, int64_t outer, int64_t r, int64_t inner);
template <class T> void max(const T* x, T* out, int64_t* arg, int64_t outer, int64_t r, int64_t inner);
// Running sums along the middle axis of [outer, r, inner] (y may be x);
// reverse: from the end, which is cumsum's backward. Accumulates in double.
template <class T> void cumsum(const T* x, T* y, int64_t outer, int64_t r, int64_t inner, bool reverse);
// Product over the middle axis of [outer, r, inner] into out[outer, inner] (1 over
// r = 0), accumulated in double as cumsum.
template <class T> void prod(const T* x, T* out, int64_t outer, int64_t r, int64_t inner);

// The first k of each row of x viewed as [outer, n, inner] (a row runs along
// the middle axis) in ascending order, or descending: NaN above every number,
// -0.0 equal to 0.0, ties in their input order (stable). values and indices
// are [outer, k, inner]; k == n sorts the rows (sort.cpp). n < 2^32.
template <class T>
void sort_rows(const T* x, T* values, int64_t* indices, int64_t outer, int64_t n, int64_t inner, int64_t k,
               bool descending);

// Row-wise softmax / log_softmax over `cols`, and their backward.
template <class T> void softmax(const T* x, T* y, int64_t rows, int64_t cols, bool log);
template <class T> void softmax_backward(const T* y, const T* gy, T* gx, int64_t rows, int64_t cols, bool log);
// out[r] = log(sum(exp(x[r, :]))), shifted by the row max (0 where it is infinite).
template <class T> void logsumexp_rows(const T* x, T* out, int64_t rows, int64_t cols);

// Row-wise layer norm; saves mean and rstd per row. w/b may be null.
template <class T>
void layer_norm(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t rows, int64_t cols, T eps);
template <class T>
void layer_norm_backward(const T* x, const T* w, const T* mean, const T* rstd, const T* gy, T* gx, T* gw, T* gb,
                         int64_t rows, int64_t cols);
// Row-wise RMS norm; saves rstd per row. w may be null.
template <class T> void rms_norm(const T* x, const T* w, T* y, T* rstd, int64_t rows, int64_t cols, T eps);
template <class T>
void rms_norm_backward(const T* x, const T* w, const T* rstd, const T* gy, T* gx, T* gw, int64_t rows, int64_t cols);

// Batch norm over x viewed as [n, c, s] (src/cpu/norm.cpp): per-channel mean,
// biased variance and rstd = 1 / sqrt(var + eps) over (n, s); the forward
// y = (x - mean) rstd w + b (w, b may be null); the backward's gw = sum gy xhat
// and gb = sum gy (always written) and gx (may be null) with batch statistics
// (training) or fixed ones (gx = gy rstd w).
template <class T> void batch_norm_stats(const T* x, T* mean, T* var, T* rstd, int64_t n, int64_t c, int64_t s, T eps);
template <class T>
void batch_norm(const T* x, const T* mean, const T* rstd, const T* w, const T* b, T* y, int64_t n, int64_t c, int64_t s);
template <class T>
void batch_norm_backward(const T* x, const T* gy, const T* mean, const T* rstd, const T* w, T* gx, T* gw, T* gb,
                         int64_t n, int64_t c, int64_t s, bool training);

// C = alpha * op(A) @ op(B) + beta * C, row-major, through BLAS (OpenBLAS or Eigen).
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
          int64_t ldb, T beta, T* c, int64_t ldc);
// One product of a group, with gemm's arguments.
template <class T>
struct GemmArgs {
  bool trans_a, trans_b;
  int64_t m, n, k;
  T alpha;
  const T* a;
  int64_t lda;
  const T* b;
  int64_t ldb;
  T beta;
  T* c;
  int64_t ldc;
  const T* bias = nullptr;  // if set, C starts as this row vector (length n) on every row; beta is ignored
};
// Independent products (a linear's grad_input and grad_weight, bmm's batch)
// computed together: the threads share the group's flops, each taking whole
// columns (or rows) of the C matrices, so two mid-sized products run side by
// side instead of each being split thinly. The C matrices must not overlap.
template <class T>
void gemm_group(const std::vector<GemmArgs<T>>& group);
const char* blas_name();

// A 2-D convolution (NCHW, PyTorch's layout): input [n, c, h, w], weight
// [co, c / groups, kh, kw], output [n, co, oh, ow]. ph, pw: the top and left
// padding (the bottom and right padding only set oh, ow: "same" pads
// asymmetrically). The columns of one sample (im2col) are [c * kh * kw, oh * ow].
struct Conv2dGeom {
  int64_t n, c, h, w, co, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups;
  int64_t rows() const { return c / groups * kh * kw; }  // K of one group's GEMM
  int64_t cols() const { return oh * ow; }
  // A 1x1 kernel at stride 1 without padding: the input is its own im2col.
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && oh == h && ow == w; }
};
// y = conv(x, weight) + bias (bias may be null). im2col per sample + GEMM per group.
template <class T> void conv2d(const Conv2dGeom& g, const T* x, const T* weight, const T* bias, T* y);
// From gy: gx (overwritten) and gw (overwritten); either may be null.
template <class T>
void conv2d_backward(const Conv2dGeom& g, const T* x, const T* weight, const T* gy, T* gx, T* gw);

// A 2-D pooling window over planes of [h, w] (n * c planes, NCHW): output [oh, ow]
// per plane. Window (i, j) starts at (i * sh - ph, j * sw - pw); adaptive
// windows are PyTorch's floor/ceil split of h into oh (and w into ow).
struct Pool2dGeom {
  int64_t planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};
// Max over each window (dilated, padding never wins) with the flat index
// ih * w + iw of the max in its plane: the first max, or the last NaN (as
// PyTorch's CPU kernel); a window that lies in the padding (dilation >
// padding makes them) gives -inf and index -1, where torch 1.13 gives an index
// past the plane. The backward adds gy into gx (zeroed) at the indices >= 0.
template <class T> void max_pool2d(const Pool2dGeom& g, const T* x, T* y, int64_t* idx);
template <class T> void max_pool2d_backward(const Pool2dGeom& g, const T* gy, const int64_t* idx, T* gx);
// Mean over each window: avg_pool2d's (divisor: the window clipped to input +
// padding, or to the input alone without count_include_pad) or, when
// adaptive, adaptive_avg_pool2d's. The backward adds into gx (zeroed).
template <class T> void avg_pool2d(const Pool2dGeom& g, const T* x, T* y, bool count_include_pad, bool adaptive);
template <class T>
void avg_pool2d_backward(const Pool2dGeom& g, const T* gy, T* gx, bool count_include_pad, bool adaptive);

// interpolate's nearest and (bi)linear modes (sources and weights: backend/interp.hpp):
// y [planes, oh, ow] from x [planes, h, w]. The backward adds each output's
// gradient onto the inputs it read, with their weights, into gx (overwritten).
template <class T> void interpolate2d(const Interp2dGeom& g, const T* x, T* y);
template <class T> void interpolate2d_backward(const Interp2dGeom& g, const T* gy, T* gx);

// Strided copy with dtype conversion: dst (contiguous) = src viewed through shape/strides.
void copy_strided(const void* src, DType src_t, const Strides& src_strides, int64_t src_offset, void* dst, DType dst_t,
                  const Strides& dst_strides, int64_t dst_offset, const Shape& shape);

// The pointwise halves of the recurrent cells, over b rows of hidden size h
// (the GEMMs are the callers'). LSTM: gx, gh [b, 4h] in PyTorch's gate order
// i, f, g, o; c = f c_prev + i g, h = o tanh(c); act [b, 4h] keeps the
// activated gates for the backward, which gives the gates' gradient (the same
// for gx and gh) and c_prev's from those of h and c. GRU: gx, gh [b, 3h] in the
// order r, z, n, gh including b_hh; n = tanh(gx_n + r gh_n), h = (1 - z) n +
// z h_prev; act [b, 3h] keeps r, z, n.
template <class T>
void lstm_cell(const T* gx, const T* gh, const T* c_prev, T* h, T* c, T* act, int64_t b, int64_t hd);
template <class T>
void lstm_cell_backward(const T* act, const T* c_prev, const T* c, const T* gh, const T* gc, T* ggates, T* gc_prev,
                        int64_t b, int64_t hd);
template <class T>
void gru_cell(const T* gx, const T* gh, const T* h_prev, T* h, T* act, int64_t b, int64_t hd);
template <class T>
void gru_cell_backward(const T* act, const T* gh, const T* h_prev, const T* gy, T* ggx, T* ggh, T* gh_prev, int64_t b,
                       int64_t hd);

// Optimizer kernels, each over all of an optimizer's parameters in one
// parallel region (a model's small biases would not be worth a region each).
// One parameter's buffers: values, gradient, optimizer state, length.
template <class T>
struct AdamParam {
  T* p;
  const T* g;
  T* m;  // first moment
  T* v;  // second moment
  int64_t n;
};
// Fused Adam(W) update: decay = 1 - lr*wd for AdamW (1 for Adam), l2 = wd for
// Adam (0 for AdamW); step_size = lr / (1 - beta1^t), rbc2 = 1 / sqrt(1 - beta2^t).
template <class T>
void adam_step(const std::vector<AdamParam<T>>& params, T beta1, T beta2, T eps, T step_size, T rbc2, T decay, T l2);
template <class T>
struct SgdParam {
  T* p;
  const T* g;
  T* buf;      // momentum buffer, null without momentum
  int64_t n;
  bool first;  // the buffer starts at the gradient, as in torch.optim.SGD
};
// SGD update with weight decay and optional momentum (Nesterov or not).
template <class T>
void sgd_step(const std::vector<SgdParam<T>>& params, T lr, T weight_decay, T momentum, T dampening, bool nesterov);

}  // namespace cpu
}  // namespace genlab
