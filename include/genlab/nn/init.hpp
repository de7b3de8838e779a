// In-place initialisers with torch.nn.init semantics, drawing from the seeded
// Philox generator. fan_in/fan_out follow PyTorch: [out, in, k...] layouts.
#pragma once
#include <cmath>

#include "genlab/autograd/node.hpp"
#include "genlab/ops/ops.hpp"

namespace genlab::nn::init {

inline std::pair<double, double> fans(const Tensor& t) {
  GENLAB_CHECK(t.dim() >= 2, "init: fan in/out need at least 2 dims, got ", shape_str(t.shape()));
  double receptive = 1;
  for (int64_t i = 2; i < t.dim(); ++i) receptive *= double(t.shape()[size_t(i)]);
  return {double(t.shape()[1]) * receptive, double(t.shape()[0]) * receptive};
}
inline void uniform_(Tensor& t, double lo, double hi) {
  autograd::NoGradGuard ng;
  t.copy_(ops::add(ops::mul(Tensor::rand(t.shape(), t.dtype()), hi - lo), lo));
}
inline void normal_(Tensor& t, double mean = 0, double std = 1) {
  autograd::NoGradGuard ng;
  t.copy_(ops::add(ops::mul(Tensor::randn(t.shape(), t.dtype()), std), mean));
}
inline void zeros_(Tensor& t) {
  autograd::NoGradGuard ng;
  t.fill_(0);
}
inline void ones_(Tensor& t) {
  autograd::NoGradGuard ng;
  t.fill_(1);
}
inline void xavier_uniform_(Tensor& t, double gain = 1) {
  auto [fi, fo] = fans(t);
  double a = gain * std::sqrt(6.0 / (fi + fo));
  uniform_(t, -a, a);
}
inline void xavier_normal_(Tensor& t, double gain = 1) {
  auto [fi, fo] = fans(t);
  normal_(t, 0, gain * std::sqrt(2.0 / (fi + fo)));
}
// gain for leaky_relu with slope a: sqrt(2 / (1 + a^2)); a = sqrt(5) is nn.Linear's default.
inline void kaiming_uniform_(Tensor& t, double a = 0) {
  double bound = std::sqrt(2.0 / (1 + a * a)) * std::sqrt(3.0 / fans(t).first);
  uniform_(t, -bound, bound);
}
inline void kaiming_normal_(Tensor& t, double a = 0) {
  normal_(t, 0, std::sqrt(2.0 / (1 + a * a)) / std::sqrt(fans(t).first));
}

}  // namespace genlab::nn::init
