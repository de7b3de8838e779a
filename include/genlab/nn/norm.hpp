// Normalisation layers over batch, instance and group statistics, with torch.nn's
// names, defaults and state_dict entries, so a PyTorch checkpoint loads by name:
//   BatchNorm1d(C): (N, C) or (N, C, L); BatchNorm2d(C): (N, C, H, W)
//     weight [C] = 1, bias [C] = 0 (affine); buffers running_mean [C] = 0,
//     running_var [C] = 1, num_batches_tracked (int64, 0-d) (track_running_stats).
//     train(): batch statistics, running stats moved by momentum (nullopt: the
//     cumulative average, 1 / num_batches_tracked); eval(): the running stats.
//   InstanceNorm2d(C): (N, C, H, W) or (C, H, W); no affine and no running
//     stats by default, as PyTorch.
//   GroupNorm(G, C): (N, C, *); weight [C] = 1, bias [C] = 0 (affine).
#pragma once
#include <optional>
#include <string>

#include "genlab/nn/module.hpp"
#include "genlab/ops/ops.hpp"

namespace genlab::nn {

namespace detail {
// The parameters and buffers BatchNorm and InstanceNorm share (torch's _NormBase).
class NormBase : public Module {
 public:
  NormBase(int64_t num_features, double eps, std::optional<double> momentum, bool affine, bool track_running_stats,
           DType dtype)
      : num_features(num_features), eps(eps), momentum(momentum), track_running_stats(track_running_stats) {
    if (affine) {
      weight = register_parameter("weight", Tensor::ones({num_features}, dtype));
      bias = register_parameter("bias", Tensor::zeros({num_features}, dtype));
    }
    if (track_running_stats) {
      running_mean = register_buffer("running_mean", Tensor::zeros({num_features}, dtype));
      running_var = register_buffer("running_var", Tensor::ones({num_features}, dtype));
      num_batches_tracked = register_buffer("num_batches_tracked", Tensor::zeros({}, DType::i64));
    }
  }
  int64_t num_features;
  double eps;
  std::optional<double> momentum;
  bool track_running_stats;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 protected:
  void check_rank(const Tensor& x, std::initializer_list<int64_t> ranks, const char* layer, const char* expected) const {
    for (int64_t r : ranks)
      if (x.dim() == r) return;
    GENLAB_FAIL(layer, ": expected ", expected, " input (got ", x.dim(), "D input of shape ", shape_str(x.shape()), ")");
  }
};

class BatchNormBase : public NormBase {
 public:
  using NormBase::NormBase;

 protected:
  // torch's _BatchNorm.forward: a training step counts the batch; without
  // tracked stats the batch's own are used in eval too.
  Tensor normalize(const Tensor& x) {
    double factor = momentum.value_or(0.0);
    if (is_training() && track_running_stats) {
      const int64_t t = num_batches_tracked.to(Device::cpu()).item<int64_t>() + 1;
      num_batches_tracked.fill_(double(t));
      if (!momentum) factor = 1.0 / double(t);
    }
    const bool use_running = !is_training() || track_running_stats;
    return ops::batch_norm(x, use_running ? running_mean : Tensor(), use_running ? running_var : Tensor(), weight, bias,
                           is_training() || !running_mean.defined(), factor, eps);
  }
};
}  // namespace detail

class BatchNorm1d : public detail::BatchNormBase {
 public:
  explicit BatchNorm1d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true, DType dtype = DType::f32)
      : BatchNormBase(num_features, eps, momentum, affine, track_running_stats, dtype) {}
  Tensor forward(const Tensor& x) override {
    check_rank(x, {2, 3}, "BatchNorm1d", "2D or 3D");
    return normalize(x);
  }
};

class BatchNorm2d : public detail::BatchNormBase {
 public:
  explicit BatchNorm2d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true, DType dtype = DType::f32)
      : BatchNormBase(num_features, eps, momentum, affine, track_running_stats, dtype) {}
  Tensor forward(const Tensor& x) override {
    check_rank(x, {4}, "BatchNorm2d", "4D");
    return normalize(x);
  }
};

class InstanceNorm2d : public detail::NormBase {
 public:
  explicit InstanceNorm2d(int64_t num_features, double eps = 1e-5, double momentum = 0.1, bool affine = false,
                          bool track_running_stats = false, DType dtype = DType::f32)
      : NormBase(num_features, eps, momentum, affine, track_running_stats, dtype) {}
  Tensor forward(const Tensor& x) override {
    check_rank(x, {3, 4}, "InstanceNorm2d", "3D or 4D");
    if (x.dim() == 3) return forward(x.reshape({1, x.shape()[0], x.shape()[1], x.shape()[2]})).reshape(x.shape());
    // as torch: a channel count other than num_features is an error only with affine parameters
    GENLAB_CHECK(!weight.defined() || x.shape()[1] == num_features, "InstanceNorm2d: expected input's size at dim=1 to "
                 "match num_features (", num_features, "), but got ", x.shape()[1], " (input ", shape_str(x.shape()), ")");
    return ops::instance_norm(x, running_mean, running_var, weight, bias, is_training() || !track_running_stats,
                              *momentum, eps);
  }
};

class GroupNorm : public Module {
 public:
  GroupNorm(int64_t num_groups, int64_t num_channels, double eps = 1e-5, bool affine = true, DType dtype = DType::f32)
      : num_groups(num_groups), num_channels(num_channels), eps(eps) {
    GENLAB_CHECK(num_groups > 0 && num_channels % num_groups == 0, "GroupNorm: num_channels (", num_channels,
                 ") must be divisible by num_groups (", num_groups, ")");
    if (affine) {
      weight = register_parameter("weight", Tensor::ones({num_channels}, dtype));
      bias = register_parameter("bias", Tensor::zeros({num_channels}, dtype));
    }
  }
  Tensor forward(const Tensor& x) override { return ops::group_norm(x, num_groups, weight, bias, eps); }
  int64_t num_groups, num_channels;
  double eps;
  Tensor weight, bias;
};

}  // namespace genlab::nn
