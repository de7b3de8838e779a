// Optimizer kernels: the fused Adam(W) step (xsimd) and the SGD step, each over
// all parameters in one parallel region.
#include <cmath>
#include <xsimd/xsimd.hpp>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

namespace genlab::cpu {

namespace {
constexpr int64_t kOptimGrain = 1 << 15;

template <class T>
std::vector<int64_t> lengths(const std::vector<T>& params) {
  std::vector<int64_t> n;
  for (const auto& q : params) n.push_back(q.n);
  return n;
}
}  // namespace

template <class T>
void adam_step(const std::vector<AdamParam<T>>& params, T beta1, T beta2, T eps, T step_size, T rbc2, T decay, T l2) {
  using B = xsimd::batch<T>;
  constexpr int64_t W = int64_t(B::size);
  parallel_for_parts(lengths(params), kOptimGrain, [&](size_t i, int64_t b, int64_t e) {
    T* p = params[i].p;
    const T* g = params[i].g;
    T *m = params[i].m, *v = params[i].v;
    const B vb1(beta1), vb2(beta2), vc1(T(1) - beta1), vc2(T(1) - beta2), veps(eps), vss(step_size), vr(rbc2),
        vdec(decay), vl2(l2);
    // No decay term when its factor is 0: 0 * inf would turn an inf parameter into NaN.
    const bool with_l2 = l2 != T(0);
    int64_t k = b;
    for (; k + W <= e; k += W) {
      const B pk = B::load_unaligned(p + k), gk = with_l2 ? B::load_unaligned(g + k) + vl2 * pk : B::load_unaligned(g + k);
      const B mk = vb1 * B::load_unaligned(m + k) + vc1 * gk;
      const B vk = vb2 * B::load_unaligned(v + k) + vc2 * gk * gk;
      mk.store_unaligned(m + k);
      vk.store_unaligned(v + k);
      (pk * vdec - vss * mk / (xsimd::sqrt(vk) * vr + veps)).store_unaligned(p + k);
    }
    for (; k < e; ++k) {
      const T gk = with_l2 ? g[k] + l2 * p[k] : g[k];
      m[k] = beta1 * m[k] + (T(1) - beta1) * gk;
      v[k] = beta2 * v[k] + (T(1) - beta2) * gk * gk;
      p[k] = p[k] * decay - step_size * m[k] / (std::sqrt(v[k]) * rbc2 + eps);
    }
  });
}

template <class T>
void sgd_step(const std::vector<SgdParam<T>>& params, T lr, T weight_decay, T momentum, T dampening, bool nesterov) {
  parallel_for_parts(lengths(params), kOptimGrain, [&](size_t i, int64_t b, int64_t e) {
    T* __restrict pp = params[i].p;
    const T* __restrict gg = params[i].g;
    T* __restrict bb = params[i].buf;
    const bool first = params[i].first;
#pragma omp simd
    for (int64_t k = b; k < e; ++k) {
      T d = weight_decay != T(0) ? gg[k] + weight_decay * pp[k] : gg[k];  // 0 * inf is NaN
      if (bb) {
        bb[k] = first ? d : momentum * bb[k] + (T(1) - dampening) * d;
        d = nesterov ? d + momentum * bb[k] : bb[k];
      }
      pp[k] -= lr * d;
    }
  });
}

template void adam_step<float>(const std::vector<AdamParam<float>>&, float, float, float, float, float, float, float);
template void adam_step<double>(const std::vector<AdamParam<double>>&, double, double, double, double, double, double,
                                double);
template void sgd_step<float>(const std::vector<SgdParam<float>>&, float, float, float, float, bool);
template void sgd_step<double>(const std::vector<SgdParam<double>>&, double, double, double, double, bool);

}  // namespace genlab::cpu
