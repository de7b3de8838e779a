// Normalisation over batch and instance statistics, as torch.nn.functional's:
// batch_norm, instance_norm, group_norm. The input is (N, C, *) with the
// channels at dim 1, viewed as [N, C, S] (S: the product of the dims after C).
//   batch_norm: per channel over (N, S). Training: the batch's mean and biased
//     variance, and running_mean / running_var (when given) move in place toward
//     the mean and the unbiased variance by `momentum`; eval: the running ones.
//     Saves x, the mean and rstd. CPU kernel (f32, f64), CUDA kernel (f32).
//   instance_norm: per (sample, channel) over S; batch_norm of x viewed as
//     (1, N*C, S) with weight, bias and running stats repeated N times, as PyTorch.
//   group_norm: per (sample, group) over C/G*S: layer_norm's rows without
//     affine parameters; with them composed in PyTorch's form (mean, var, then
//     x a + (b - mean a)); GroupNorm is not on the benchmark list.
// weight, bias and the running stats hold C elements; each may be undefined.
#pragma once
#include <array>
#include <utility>

#include "genlab/ops/nn.hpp"
#include "genlab/ops/reduce.hpp"
#include "genlab/ops/shape.hpp"

namespace genlab::ops {

namespace detail {
// (N, C, S) of an input of 2 or more dims.
inline std::array<int64_t, 3> ncs(const Tensor& x, const char* op) {
  GENLAB_CHECK(x.dim() >= 2, op, ": expected an input of 2 or more dims (N, C, ...), got ", shape_str(x.shape()));
  return {x.shape()[0], x.shape()[1], numel_of(Shape(x.shape().begin() + 2, x.shape().end()))};
}
// A per-channel tensor holds C elements (any shape, as PyTorch checks it); dense, as [C].
inline Tensor channel_param(const Tensor& p, const Tensor& x, int64_t c, const char* op, const char* what) {
  if (!p.defined()) return p;
  check_same(op, x, p);
  GENLAB_CHECK(p.numel() == c, op, ": ", what, " should contain ", c, " elements (the channels at dim 1 of input ",
               shape_str(x.shape()), "), not ", p.numel(), " (shape ", shape_str(p.shape()), ")");
  return dense(p.detach()).reshape({c});
}
}  // namespace detail

inline Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                         const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), bool training = false,
                         double momentum = 0.1, double eps = 1e-5) {
  const auto dims = detail::ncs(x, "batch_norm");  // not a structured binding: clang 14 cannot capture one
  const int64_t n = dims[0], c = dims[1], s = dims[2];
  const Tensor rm = detail::channel_param(running_mean, x, c, "batch_norm", "running_mean");
  const Tensor rv = detail::channel_param(running_var, x, c, "batch_norm", "running_var");
  const Tensor wd = detail::channel_param(weight, x, c, "batch_norm", "weight");
  const Tensor bd = detail::channel_param(bias, x, c, "batch_norm", "bias");
  GENLAB_CHECK(c > 0 || (!wd.defined() && !bd.defined()), "batch_norm: input ", shape_str(x.shape()),
               " has no channels; a weight or bias for them is refused, as by PyTorch 1.13");
  GENLAB_CHECK(training || (rm.defined() && rv.defined()),
               "batch_norm: running_mean and running_var must be defined in evaluation mode (training = false)");
  GENLAB_CHECK(!training || n * s != 1, "batch_norm: Expected more than 1 value per channel when training, got input ",
               shape_str(x.shape()));
  const bool cuda = x.device().is_cuda();
  if (cuda) detail::check_cuda_f32("batch_norm", x);
  Tensor xd = detail::dense(x.detach()), y = detail::empty_like(x), mean, rstd;
  if (training) {
    Tensor var = detail::empty_like(x, {c});
    mean = detail::empty_like(x, {c}), rstd = detail::empty_like(x, {c});
    if (cuda) {
      cuda::batch_norm_stats(xd.data<float>(), mean.data<float>(), var.data<float>(), rstd.data<float>(), n, c, s,
                             float(eps));
    } else {
      dispatch_float(x.dtype(), "batch_norm", [&]<class T>() {
        cpu::batch_norm_stats(xd.data<T>(), mean.data<T>(), var.data<T>(), rstd.data<T>(), n, c, s, T(eps));
      });
    }
    if (x.numel() > 0) {  // PyTorch leaves the running stats of an empty batch as they were
      autograd::NoGradGuard ng;
      const double m = double(n * s);
      Tensor rm_out = running_mean, rv_out = running_var;  // handles: copy_ writes the caller's tensors
      if (rm.defined()) rm_out.copy_(add(mul(rm, 1 - momentum), mul(mean, momentum)).reshape(rm_out.shape()));
      if (rv.defined()) rv_out.copy_(add(mul(rv, 1 - momentum), mul(var, momentum * m / (m - 1))).reshape(rv_out.shape()));
    }
  } else {  // copies: a later training step moves the running stats in place
    autograd::NoGradGuard ng;
    mean = clone(rm), rstd = rsqrt(add(rv, eps));
  }
  if (cuda) {
    cuda::batch_norm(xd.data<float>(), mean.data<float>(), rstd.data<float>(), detail::ptr_or_null<float>(wd),
                     detail::ptr_or_null<float>(bd), y.data<float>(), n, c, s);
  } else {
    dispatch_float(x.dtype(), "batch_norm", [&]<class T>() {
      cpu::batch_norm(xd.data<T>(), mean.data<T>(), rstd.data<T>(), detail::ptr_or_null<T>(wd),
                      detail::ptr_or_null<T>(bd), y.data<T>(), n, c, s);
    });
  }
  if (autograd::needs_grad({&x, &weight, &bias})) {
    const Shape ws = weight.defined() ? weight.shape() : Shape{}, bs = bias.defined() ? bias.shape() : Shape{};
    const bool has_w = weight.defined(), has_b = bias.defined();
    autograd::record("BatchNormBackward", y, {x, weight, bias}, [=](const Tensor& g) {
      Tensor gd = detail::dense(g), gx = detail::empty_like(g), gw = detail::empty_like(g, {c}), gb = detail::empty_like(g, {c});
      if (g.device().is_cuda()) {
        cuda::batch_norm_backward(xd.data<float>(), gd.data<float>(), mean.data<float>(), rstd.data<float>(),
                                  detail::ptr_or_null<float>(wd), gx.data<float>(), gw.data<float>(), gb.data<float>(), n,
                                  c, s, training);
      } else {
        dispatch_float(g.dtype(), "batch_norm", [&]<class T>() {
          cpu::batch_norm_backward(xd.data<T>(), gd.data<T>(), mean.data<T>(), rstd.data<T>(), detail::ptr_or_null<T>(wd),
                                   gx.data<T>(), gw.data<T>(), gb.data<T>(), n, c, s, training);
        });
      }
      return std::vector{gx, has_w ? gw.reshape(ws) : Tensor(), has_b ? gb.reshape(bs) : Tensor()};
    }, autograd::Saves::inputs);
  }
  return y;
}

inline Tensor instance_norm(const Tensor& x, const Tensor& running_mean = Tensor(), const Tensor& running_var = Tensor(),
                            const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), bool use_input_stats = true,
                            double momentum = 0.1, double eps = 1e-5) {
  const auto dims = detail::ncs(x, "instance_norm");  // not a structured binding: clang 14 cannot capture one
  const int64_t n = dims[0], c = dims[1], s = dims[2];
  const char* names[] = {"running_mean", "running_var", "weight", "bias"};
  const Tensor* params[] = {&running_mean, &running_var, &weight, &bias};
  for (int i = 0; i < 4; ++i) detail::channel_param(*params[i], x, c, "instance_norm", names[i]);
  GENLAB_CHECK(n * c > 0 || (!weight.defined() && !bias.defined()), "instance_norm: input ", shape_str(x.shape()),
               " has no instances; a weight or bias for them is refused, as by PyTorch 1.13");
  if (!use_input_stats) {
    GENLAB_CHECK(running_mean.defined() && running_var.defined(),
                 "instance_norm: running_mean and running_var must be defined when use_input_stats is false");
    return batch_norm(x, running_mean, running_var, weight, bias, false, momentum, eps);
  }
  GENLAB_CHECK(s != 1, "instance_norm: Expected more than 1 spatial element when training, got input ",
               shape_str(x.shape()));
  auto tiled = [&](const Tensor& p) { return p.defined() ? repeat(p.reshape({c}), {n}) : p; };
  Tensor rm, rv;
  {
    autograd::NoGradGuard ng;
    rm = tiled(running_mean.defined() ? running_mean.detach() : running_mean);
    rv = tiled(running_var.defined() ? running_var.detach() : running_var);
  }
  Tensor y = batch_norm(x.reshape({1, n * c, s}), rm, rv, tiled(weight), tiled(bias), true, momentum, eps)
                 .reshape(x.shape());
  autograd::NoGradGuard ng;  // each channel's running stats: the mean of its N updated copies
  for (auto [dst, tile] : {std::pair{running_mean, rm}, std::pair{running_var, rv}})
    if (dst.defined() && x.numel() > 0) dst.copy_(mean(tile.reshape({n, c}), {0}).reshape(dst.shape()));
  return y;
}

inline Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight = Tensor(),
                         const Tensor& bias = Tensor(), double eps = 1e-5) {
  const auto dims = detail::ncs(x, "group_norm");  // not a structured binding: clang 14 cannot capture one
  const int64_t n = dims[0], c = dims[1], s = dims[2];
  GENLAB_CHECK(num_groups > 0 && c % num_groups == 0,
               "group_norm: Expected number of channels in input to be divisible by num_groups, but got input of "
               "shape ", shape_str(x.shape()), " and num_groups=", num_groups);
  for (const Tensor* p : {&weight, &bias}) {
    if (!p->defined()) continue;
    detail::check_same("group_norm", x, *p);
    GENLAB_CHECK(p->dim() == 1 && p->numel() == c, "group_norm: Expected ", p == &weight ? "weight" : "bias",
                 " to be a vector of size equal to the number of channels in input, but got ",
                 p == &weight ? "weight" : "bias", " of shape ", shape_str(p->shape()), " and input of shape ",
                 shape_str(x.shape()));
  }
  const int64_t g = num_groups, cols = c / g * s;
  const Tensor xr = x.reshape({n, g, cols});
  if (!weight.defined() && !bias.defined()) return layer_norm(xr, {cols}, Tensor(), Tensor(), eps).reshape(x.shape());
  // PyTorch's form, y = x a + (b - mean a) with a = rstd w per (sample, channel): the
  // same values, and the same NaN where w is infinite (inf - inf)
  const Tensor mu = mean(xr, {2}, true), a0 = rsqrt(add(var(xr, {2}, 0, true), eps));  // [N, G, 1]
  const Tensor a = weight.defined() ? mul(a0, weight.reshape({1, g, c / g})) : expand(a0, {n, g, c / g});
  Tensor shift = neg(mul(mu, a));
  if (bias.defined()) shift = add(shift, bias.reshape({1, g, c / g}));
  Shape per_channel = {n, c};  // [N, C, 1, ...]: broadcasts over the spatial dims
  per_channel.resize(size_t(x.dim()), 1);
  return add(mul(x, a.reshape(per_channel)), shift.reshape(per_channel));
}

}  // namespace genlab::ops
