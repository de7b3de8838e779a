// Convolution and pooling layers with torch.nn's names, parameters and init:
//   Conv2d(in, out, kernel, stride, padding, dilation, groups, bias):
//       [N, in, H, W] -> [N, out, oH, oW]; weight [out, in / groups, kH, kW], bias [out]
//   Conv1d: the same over [N, in, L]; weight [out, in / groups, k]
//   MaxPool2d, AvgPool2d, AdaptiveAvgPool2d: the functions of ops/pool.hpp
//   Flatten(start_dim = 1): [N, C, H, W] -> [N, C * H * W]
//   ConvTranspose2d(in, out, kernel_size, stride, padding, output_padding, groups, bias, dilation):
//     [N, in, H, W] or [in, H, W] -> [..., out, oH, oW] (ops::conv_transpose2d);
//     weight [in, out / groups, kH, kW], bias [out]; forward(x, output_size) picks the
//     output_padding that gives that size, as torch's forward(input, output_size).
//   Upsample({.size or .scale_factor, .mode, .align_corners}): ops::interpolate, no parameters.
// Example: a LeNet-style stem
//   nn::Sequential net{std::make_shared<nn::Conv2d>(1, 6, 5, 1, 2), std::make_shared<nn::ReLU>(),
//                      std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Flatten>()};
#pragma once
#include <cmath>

#include "genlab/nn/layers.hpp"
#include "genlab/ops/conv.hpp"
#include "genlab/ops/interpolate.hpp"
#include "genlab/ops/pool.hpp"

namespace genlab::nn {

namespace detail {
// PyTorch's _ConvNd.reset_parameters: kaiming_uniform(a = sqrt(5)) for the
// weight, uniform(+-1/sqrt(fan_in)) for the bias.
inline void init_conv(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (!bias.defined()) return;
  const double fan_in = double(weight.numel() / weight.shape()[0]);
  const double b = fan_in > 0 ? 1.0 / std::sqrt(fan_in) : 0.0;
  init::uniform_(bias, -b, b);
}
inline void check_channels(const char* layer, int64_t in, int64_t out, int64_t groups) {
  GENLAB_CHECK(groups > 0 && in % groups == 0 && out % groups == 0, layer, ": in_channels ", in, " and out_channels ",
               out, " must both be divisible by groups ", groups);
}
}  // namespace detail

class Conv2d : public Module {
 public:
  Conv2d(int64_t in, int64_t out, ops::Size2 kernel, ops::Size2 stride = 1, ops::ConvPadding padding = 0,
         ops::Size2 dilation = 1, int64_t groups = 1, bool bias = true, DType dtype = DType::f32)
      : in_channels(in), out_channels(out), stride(stride), padding(std::move(padding)), dilation(dilation), groups(groups) {
    detail::check_channels("Conv2d", in, out, groups);
    weight = register_parameter("weight", Tensor::empty({out, in / groups, kernel.h, kernel.w}, dtype));
    if (bias) this->bias = register_parameter("bias", Tensor::empty({out}, dtype));
    detail::init_conv(weight, this->bias);
  }
  Tensor forward(const Tensor& x) override { return ops::conv2d(x, weight, bias, stride, padding, dilation, groups); }
  int64_t in_channels, out_channels;
  ops::Size2 stride;
  ops::ConvPadding padding;
  ops::Size2 dilation;
  int64_t groups;
  Tensor weight, bias;
};

class Conv1d : public Module {
 public:
  Conv1d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, ops::ConvPadding padding = 0, int64_t dilation = 1,
         int64_t groups = 1, bool bias = true, DType dtype = DType::f32)
      : in_channels(in), out_channels(out), stride(stride), padding(std::move(padding)), dilation(dilation), groups(groups) {
    detail::check_channels("Conv1d", in, out, groups);
    weight = register_parameter("weight", Tensor::empty({out, in / groups, kernel}, dtype));
    if (bias) this->bias = register_parameter("bias", Tensor::empty({out}, dtype));
    detail::init_conv(weight, this->bias);
  }
  Tensor forward(const Tensor& x) override { return ops::conv1d(x, weight, bias, stride, padding, dilation, groups); }
  int64_t in_channels, out_channels, stride;
  ops::ConvPadding padding;
  int64_t dilation, groups;
  Tensor weight, bias;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(ops::Size2 kernel, ops::PoolStride stride = {}, ops::Size2 padding = 0, ops::Size2 dilation = 1,
                     bool ceil_mode = false)
      : kernel(kernel), stride(stride), padding(padding), dilation(dilation), ceil_mode(ceil_mode) {}
  Tensor forward(const Tensor& x) override { return ops::max_pool2d(x, kernel, stride, padding, dilation, ceil_mode); }
  ops::Size2 kernel;
  ops::PoolStride stride;
  ops::Size2 padding, dilation;
  bool ceil_mode;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(ops::Size2 kernel, ops::PoolStride stride = {}, ops::Size2 padding = 0, bool ceil_mode = false,
                     bool count_include_pad = true)
      : kernel(kernel), stride(stride), padding(padding), ceil_mode(ceil_mode), count_include_pad(count_include_pad) {}
  Tensor forward(const Tensor& x) override {
    return ops::avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad);
  }
  ops::Size2 kernel;
  ops::PoolStride stride;
  ops::Size2 padding;
  bool ceil_mode, count_include_pad;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(ops::Size2 output_size) : output_size(output_size) {}
  Tensor forward(const Tensor& x) override { return ops::adaptive_avg_pool2d(x, output_size); }
  ops::Size2 output_size;
};

// Flattens dims start_dim..end_dim into one, as torch.nn.Flatten (default: all but the batch dim).
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1) : start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& x) override { return ops::flatten(x, start_dim, end_dim); }
  int64_t start_dim, end_dim;
};

class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in, int64_t out, ops::Size2 kernel_size, ops::Size2 stride = 1, ops::Size2 padding = 0,
                  ops::Size2 output_padding = 0, int64_t groups = 1, bool bias = true, ops::Size2 dilation = 1,
                  DType dtype = DType::f32)
      : in_channels(in), out_channels(out), kernel_size(kernel_size), stride(stride), padding(padding),
        output_padding(output_padding), dilation(dilation), groups(groups) {
    detail::check_channels("ConvTranspose2d", in, out, groups);
    weight = register_parameter("weight", Tensor::empty({in, out / groups, kernel_size.h, kernel_size.w}, dtype));
    if (bias) this->bias = register_parameter("bias", Tensor::empty({out}, dtype));
    detail::init_conv(weight, this->bias);  // fan_in = weight.size(1) * kH * kW, as torch
  }
  Tensor forward(const Tensor& x) override { return run(x, output_padding); }
  // With the output's spatial size (oH, oW): from the smallest output to that plus stride - 1.
  Tensor forward(const Tensor& x, ops::Size2 output_size) {
    GENLAB_CHECK(x.dim() >= 2, "ConvTranspose2d: input ", shape_str(x.shape()), " has no spatial dims");
    const int64_t in[2] = {x.shape()[size_t(x.dim() - 2)], x.shape().back()}, want[2] = {output_size.h, output_size.w};
    const int64_t k[2] = {kernel_size.h, kernel_size.w}, s[2] = {stride.h, stride.w}, p[2] = {padding.h, padding.w};
    const int64_t d[2] = {dilation.h, dilation.w};
    int64_t extra[2];
    for (int i = 0; i < 2; ++i) {
      const int64_t lo = (in[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + 1, hi = lo + s[i] - 1;
      GENLAB_CHECK(want[i] >= lo && want[i] <= hi, "ConvTranspose2d: requested an output size of (", want[0], ", ",
                   want[1], "), but valid sizes of dim ", i, " range from ", lo, " to ", hi, " (for an input of ",
                   shape_str(x.shape()), ")");
      extra[i] = want[i] - lo;
    }
    return run(x, ops::Size2(extra[0], extra[1]));
  }
  int64_t in_channels, out_channels;
  ops::Size2 kernel_size, stride, padding, output_padding, dilation;
  int64_t groups;
  Tensor weight, bias;

 private:
  Tensor run(const Tensor& x, ops::Size2 out_pad) {
    return ops::conv_transpose2d(x, weight, bias, stride, padding, out_pad, groups, dilation);
  }
};

class Upsample : public Module {
 public:
  explicit Upsample(ops::InterpolateOptions options) : options(std::move(options)) {}
  Tensor forward(const Tensor& x) override { return ops::interpolate(x, options); }
  ops::InterpolateOptions options;
};

}  // namespace genlab::nn
