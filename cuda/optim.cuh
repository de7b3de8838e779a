// The optimizer CUDA kernels (mirroring src/cpu/optim.cpp): Adam(W) and SGD
// steps over all parameters at once, up to kParamsPerLaunch parameters per
// launch. Written once as kernel structs (see elementwise.cuh and
// docs/adding_an_op.md).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "common.cuh"
#include "genlab/backend/cpu.hpp"  // AdamParam, SgdParam
#include "impl.hpp"

namespace genlab::cuda::kernels {

// A batch of parameters passed by value (a kernel's arguments may take 4 KB),
// every thread grid-striding over each parameter in turn.
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

// The arguments of cpu::adam_step.
struct AdamStep {
  ParamBatch<cpu::AdamParam<float>> b;
  float beta1, beta2, eps, step_size, rbc2, decay, l2;
  static constexpr const char* name = "adam_step";
  Geometry geometry() const { return elements(b.largest); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int s = 0; s < b.count; ++s) {
      const cpu::AdamParam<float>& q = b.param[s];
      for (int64_t i = grid_first(c); i < q.n; i += grid_step(c)) {
        const float gi = l2 != 0.f ? q.g[i] + l2 * q.p[i] : q.g[i];  // 0 * inf is NaN
        q.m[i] = beta1 * q.m[i] + (1.f - beta1) * gi;
        q.v[i] = beta2 * q.v[i] + (1.f - beta2) * gi * gi;
        q.p[i] = q.p[i] * decay - step_size * q.m[i] / (sqrtf(q.v[i]) * rbc2 + eps);
      }
    }
  }
};
// The arguments of cpu::sgd_step.
struct SgdStep {
  ParamBatch<cpu::SgdParam<float>> b;
  float lr, weight_decay, momentum, dampening;
  bool nesterov;
  static constexpr const char* name = "sgd_step";
  Geometry geometry() const { return elements(b.largest); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int s = 0; s < b.count; ++s) {
      const cpu::SgdParam<float>& q = b.param[s];
      for (int64_t i = grid_first(c); i < q.n; i += grid_step(c)) {
        float d = weight_decay != 0.f ? q.g[i] + weight_decay * q.p[i] : q.g[i];
        if (q.buf) {
          q.buf[i] = q.first ? d : momentum * q.buf[i] + (1.f - dampening) * d;
          d = nesterov ? d + momentum * q.buf[i] : q.buf[i];
        }
        q.p[i] -= lr * d;
      }
    }
  }
};

}  // namespace genlab::cuda::kernels

// ---- Entry points (listed in genlab/backend/cuda_kernels.inc).
namespace genlab::cuda::impl {

template <class B>
void adam_step(const std::vector<cpu::AdamParam<float>>& params, float beta1, float beta2, float eps, float step_size,
               float rbc2, float decay, float l2) {
  kernels::for_param_batches(params, [&](const auto& b) {
    B::launch(kernels::AdamStep{b, beta1, beta2, eps, step_size, rbc2, decay, l2});
  });
}
template <class B>
void sgd_step(const std::vector<cpu::SgdParam<float>>& params, float lr, float weight_decay, float momentum,
              float dampening, bool nesterov) {
  kernels::for_param_batches(params, [&](const auto& b) {
    B::launch(kernels::SgdStep{b, lr, weight_decay, momentum, dampening, nesterov});
  });
}

}  // namespace genlab::cuda::impl
