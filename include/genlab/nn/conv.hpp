// Convolution-family layers with torch.nn names, parameter names and default initialisation.
//   ConvTranspose2d(in, out, kernel_size, stride, padding, output_padding, groups, bias, dilation):
//     [N, in, H, W] or [in, H, W] -> [..., out, oH, oW] (ops::conv_transpose2d);
//     weight [in, out / groups, kH, kW], bias [out]; forward(x, output_size) picks the
//     output_padding that gives that size, as torch's forward(input, output_size).
//   Upsample({.size or .scale_factor, .mode, .align_corners}): ops::interpolate, no parameters.
#pragma once
#include <cmath>

#include "genlab/nn/init.hpp"
#include "genlab/nn/module.hpp"

namespace genlab::nn {

class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in, int64_t out, ops::Size2 kernel_size, ops::Size2 stride = 1, ops::Size2 padding = 0,
                  ops::Size2 output_padding = 0, int64_t groups = 1, bool bias = true, ops::Size2 dilation = 1,
                  DType dtype = DType::f32)
      : in_channels(in), out_channels(out), kernel_size(kernel_size), stride(stride), padding(padding),
        output_padding(output_padding), dilation(dilation), groups(groups) {
    GENLAB_CHECK(groups > 0 && in % groups == 0 && out % groups == 0, "ConvTranspose2d: in_channels ", in,
                 " and out_channels ", out, " must be divisible by groups = ", groups);
    weight = register_parameter("weight", Tensor::empty({in, out / groups, kernel_size.h, kernel_size.w}, dtype));
    init::kaiming_uniform_(weight, std::sqrt(5.0));  // fan_in = weight.size(1) * kH * kW, as torch
    if (bias) {
      const double fan_in = init::fans(weight).first, b = fan_in > 0 ? 1.0 / std::sqrt(fan_in) : 0.0;
      this->bias = register_parameter("bias", Tensor::empty({out}, dtype));
      init::uniform_(this->bias, -b, b);
    }
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
