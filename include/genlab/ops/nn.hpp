// Neural-network functions: softmax, log_softmax, layer_norm, rms_norm,
// embedding, dropout, bias_gelu. Row-wise kernels run over the last dim;
// another dim is moved last and back.
#pragma once
#include "genlab/core/rng.hpp"
#include "genlab/ops/linalg.hpp"

namespace genlab::ops {

namespace detail {
inline Tensor softmax_impl(const Tensor& x, int64_t dim, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  int64_t d = detail::scalar_dim(x, dim, name);  // a 0-d x is one row of one element
  if (x.dim() > 0 && d != x.dim() - 1) return transpose(softmax_impl(transpose(x, d, -1), -1, log), d, -1);
  Tensor xd = dense(x), out = empty_like(x);
  const int64_t cols = x.dim() == 0 ? 1 : x.shape().back(), rows = cols ? x.numel() / cols : 0;
  if (x.device().is_cuda()) {
    check_cuda_f32(name, x);
    cuda::softmax(xd.data<float>(), out.data<float>(), rows, cols, log);
  } else {
    dispatch_float(x.dtype(), name, [&]<class T>() { cpu::softmax(xd.data<T>(), out.data<T>(), rows, cols, log); });
  }
  if (autograd::needs_grad(x)) {
    Tensor yd = out.detach();
    autograd::record(log ? "LogSoftmaxBackward" : "SoftmaxBackward", out, {x}, [yd, rows, cols, log](const Tensor& g) {
      Tensor gd = dense(g), gx = empty_like(g);
      if (g.device().is_cuda()) {
        cuda::softmax_backward(yd.data<float>(), gd.data<float>(), gx.data<float>(), rows, cols, log);
      } else {
        dispatch_float(g.dtype(), "softmax", [&]<class T>() {
          cpu::softmax_backward(yd.data<T>(), gd.data<T>(), gx.data<T>(), rows, cols, log);
        });
      }
      return std::vector{gx};
    }, autograd::Saves::output);
  }
  return out;
}
inline int64_t norm_cols(const Tensor& x, const Shape& normalized_shape, const char* op) {
  GENLAB_CHECK(normalized_shape.size() <= size_t(x.dim()) &&
                   std::equal(normalized_shape.begin(), normalized_shape.end(), x.shape().end() - int64_t(normalized_shape.size())),
               op, ": normalized_shape ", shape_str(normalized_shape), " does not match the trailing dims of input ",
               shape_str(x.shape()));
  return numel_of(normalized_shape);
}
inline void check_param(const Tensor& p, const Shape& normalized_shape, const Tensor& x, const char* what) {
  if (!p.defined()) return;
  check_same(what, x, p);
  GENLAB_CHECK(p.shape() == normalized_shape, what, " of shape ", shape_str(p.shape()), " does not match normalized_shape ",
               shape_str(normalized_shape));
}
template <class T>
T* ptr_or_null(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }
}  // namespace detail

inline Tensor softmax(const Tensor& x, int64_t dim) { return detail::softmax_impl(x, dim, false); }
inline Tensor log_softmax(const Tensor& x, int64_t dim) { return detail::softmax_impl(x, dim, true); }

// Normalizes over the trailing `normalized_shape` dims; saves mean and rstd per row.
inline Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                         const Tensor& bias = Tensor(), double eps = 1e-5) {
  GENLAB_CHECK(!normalized_shape.empty(), "layer_norm: normalized_shape must have at least one dim, got [] for input ",
               shape_str(x.shape()));  // as torch.nn.functional.layer_norm
  const int64_t cols = detail::norm_cols(x, normalized_shape, "layer_norm"), rows = cols ? x.numel() / cols : 0;
  detail::check_param(weight, normalized_shape, x, "layer_norm weight");
  detail::check_param(bias, normalized_shape, x, "layer_norm bias");
  GENLAB_CHECK(!bias.defined() || weight.defined(), "layer_norm: a bias needs a weight");
  Tensor xd = detail::dense(x), out = detail::empty_like(x);
  Tensor wd = weight.defined() ? detail::dense(weight) : weight, bd = bias.defined() ? detail::dense(bias) : bias;
  Tensor mean = detail::empty_like(x, {rows}), rstd = detail::empty_like(x, {rows});
  if (x.device().is_cuda()) {
    detail::check_cuda_f32("layer_norm", x);
    cuda::norm_rows(xd.data<float>(), detail::ptr_or_null<float>(wd), detail::ptr_or_null<float>(bd), out.data<float>(),
                    mean.data<float>(), rstd.data<float>(), rows, cols, float(eps));
  } else {
    dispatch_float(x.dtype(), "layer_norm", [&]<class T>() {
      cpu::layer_norm(xd.data<T>(), detail::ptr_or_null<T>(wd), detail::ptr_or_null<T>(bd), out.data<T>(), mean.data<T>(),
                      rstd.data<T>(), rows, cols, T(eps));
    });
  }
  if (autograd::needs_grad({&x, &weight, &bias})) {
    Tensor xs = xd.detach(), ws = wd.defined() ? wd.detach() : wd;
    bool has_b = bias.defined();
    autograd::record("LayerNormBackward", out, {x, weight, bias}, [=](const Tensor& g) {
      Tensor gd = detail::dense(g), gx = detail::empty_like(g);
      Tensor gw = ws.defined() ? detail::empty_like(ws) : Tensor(), gb = has_b ? detail::empty_like(ws) : Tensor();
      if (g.device().is_cuda()) {
        cuda::norm_rows_backward(xs.data<float>(), detail::ptr_or_null<float>(ws), mean.data<float>(), rstd.data<float>(),
                                 gd.data<float>(), gx.data<float>(), detail::ptr_or_null<float>(gw),
                                 detail::ptr_or_null<float>(gb), rows, cols);
      } else {
        dispatch_float(g.dtype(), "layer_norm", [&]<class T>() {
          cpu::layer_norm_backward(xs.data<T>(), detail::ptr_or_null<T>(ws), mean.data<T>(), rstd.data<T>(), gd.data<T>(),
                                   gx.data<T>(), detail::ptr_or_null<T>(gw), detail::ptr_or_null<T>(gb), rows, cols);
        });
      }
      return std::vector{gx, gw, gb};
    });
  }
  return out;
}

// y = x / sqrt(mean(x^2) + eps) * weight over the trailing dims (Llama's RMSNorm).
inline Tensor rms_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(), double eps = 1e-6) {
  const int64_t cols = detail::norm_cols(x, normalized_shape, "rms_norm"), rows = cols ? x.numel() / cols : 0;
  detail::check_param(weight, normalized_shape, x, "rms_norm weight");
  Tensor xd = detail::dense(x), out = detail::empty_like(x), rstd = detail::empty_like(x, {rows});
  Tensor wd = weight.defined() ? detail::dense(weight) : weight;
  if (x.device().is_cuda()) {
    detail::check_cuda_f32("rms_norm", x);
    cuda::norm_rows(xd.data<float>(), detail::ptr_or_null<float>(wd), nullptr, out.data<float>(), nullptr,
                    rstd.data<float>(), rows, cols, float(eps));
  } else {
    dispatch_float(x.dtype(), "rms_norm", [&]<class T>() {
      cpu::rms_norm(xd.data<T>(), detail::ptr_or_null<T>(wd), out.data<T>(), rstd.data<T>(), rows, cols, T(eps));
    });
  }
  if (autograd::needs_grad(x, weight)) {
    Tensor xs = xd.detach(), ws = wd.defined() ? wd.detach() : wd;
    autograd::record("RmsNormBackward", out, {x, weight}, [=](const Tensor& g) {
      Tensor gd = detail::dense(g), gx = detail::empty_like(g), gw = ws.defined() ? detail::empty_like(ws) : Tensor();
      if (g.device().is_cuda()) {
        cuda::norm_rows_backward(xs.data<float>(), detail::ptr_or_null<float>(ws), nullptr, rstd.data<float>(),
                                 gd.data<float>(), gx.data<float>(), detail::ptr_or_null<float>(gw), nullptr, rows, cols);
      } else {
        dispatch_float(g.dtype(), "rms_norm", [&]<class T>() {
          cpu::rms_norm_backward(xs.data<T>(), detail::ptr_or_null<T>(ws), rstd.data<T>(), gd.data<T>(), gx.data<T>(),
                                 detail::ptr_or_null<T>(gw), rows, cols);
        });
      }
      return std::vector{gx, gw};
    });
  }
  return out;
}

// Rows of `weight` [num, dim] picked by integer `indices` of any shape -> [..., dim].
inline Tensor embedding(const Tensor& weight, const Tensor& indices) {
  GENLAB_CHECK(weight.dim() == 2, "embedding: weight must be 2-d [num_embeddings, dim], got ", shape_str(weight.shape()));
  const int64_t num = weight.shape()[0], dim = weight.shape()[1], n = indices.numel();
  Tensor idx = detail::host_indices(indices, "embedding");
  const int64_t* pi = idx.data<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    GENLAB_CHECK(pi[i] >= 0 && pi[i] < num, "embedding: index ", pi[i], " at position ", i, " out of range for weight ",
                 shape_str(weight.shape()));
  Shape out_shape = indices.shape();
  out_shape.push_back(dim);
  if (weight.device().is_cuda()) return detail::index_rows_cuda(weight, idx, false, 1, n, dim, out_shape, "EmbeddingBackward");
  Tensor wd = detail::dense(weight), out = detail::empty_like(weight, out_shape);
  dispatch_float(weight.dtype(), "embedding", [&]<class T>() {
    for (int64_t i = 0; i < n; ++i) std::copy_n(wd.data<T>() + pi[i] * dim, dim, out.data<T>() + i * dim);
  });
  if (autograd::needs_grad(weight)) {
    Shape ws = weight.shape();
    autograd::record("EmbeddingBackward", out, {weight, Tensor()}, [idx, ws, n, dim](const Tensor& g) {
      Tensor gw = Tensor::zeros(ws, TensorOptions(g.dtype(), g.device())), gd = detail::dense(g);
      const int64_t* p = idx.data<int64_t>();
      dispatch_float(g.dtype(), "embedding", [&]<class T>() {
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < dim; ++j) gw.data<T>()[p[i] * dim + j] += gd.data<T>()[i * dim + j];
      });
      return std::vector{gw, Tensor()};
    }, autograd::Saves::nothing, {idx});
  }
  return out;
}

// Zeroes elements with probability p and scales the rest by 1/(1-p) in training;
// the mask comes from the Philox generator, so a seed reproduces it.
inline Tensor dropout(const Tensor& x, double p, bool training = true) {
  GENLAB_CHECK(p >= 0 && p <= 1, "dropout: p must be in [0, 1], got ", p);
  if (!training || p == 0) return x;
  if (p == 1) return mul(x, 0.0);
  Tensor keep = Tensor::rand(x.shape(), TensorOptions(x.dtype(), x.device()));
  Tensor mask = mul(where(compare(keep, detail::scalar_like(keep, p), CompareOp::ge), detail::scalar_like(keep, 1.0),
                          detail::scalar_like(keep, 0.0)),
                    1.0 / (1.0 - p));
  return mul(x, mask);
}

// gelu(x + bias) with bias [x.size(-1)]: a linear layer's bias add and GELU
// (approximate as in gelu) in one pass on CUDA, a fused kernel; on the CPU,
// where both run at memory speed, the two ops.
inline Tensor bias_gelu(const Tensor& x, const Tensor& bias, const std::string& approximate = "none") {
  GENLAB_CHECK(x.dim() >= 1 && bias.dim() == 1 && bias.shape()[0] == x.shape().back(), "bias_gelu: bias ",
               shape_str(bias.shape()), " does not match input ", shape_str(x.shape()), " (expects [",
               x.dim() >= 1 ? x.shape().back() : 0, "], the input's last dim)");
  detail::check_same("bias_gelu (input vs bias)", x, bias);
  if (!x.device().is_cuda()) return gelu(add(x, bias), approximate);
  detail::check_cuda_f32("bias_gelu", x);
  GENLAB_CHECK(approximate == "none" || approximate == "tanh", "bias_gelu: approximate must be 'none' or 'tanh', got '",
               approximate, "'");
  const UnaryOp op = approximate == "tanh" ? UnaryOp::gelu_tanh : UnaryOp::gelu;
  Tensor xd = detail::dense(x.detach()), bd = detail::dense(bias.detach()), y = detail::empty_like(x, x.shape());
  cuda::bias_unary(op, xd.data<float>(), bd.data<float>(), bd.numel(), y.data<float>(), y.numel());
  if (autograd::needs_grad({&x, &bias})) {
    autograd::record("BiasGeluBackward", y, {x, bias}, [op, xd, bd](const Tensor& g) {
      Tensor gd = detail::dense(g), gx = detail::empty_like(g, g.shape());
      cuda::bias_unary_backward(op, xd.data<float>(), bd.data<float>(), gd.data<float>(), bd.numel(), gx.data<float>(),
                                gx.numel());
      return std::vector{gx, sum_to(gx, bd.shape())};
    });
  }
  return y;
}

}  // namespace genlab::ops
