// Optimizer kernels: the fused Adam(W) step (xsimd) and the SGD step.
#include <cmath>
#include <xsimd/xsimd.hpp>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

namespace genlab::cpu {

template <class T>
void adam_step(T* p, const T* g, T* m, T* v, int64_t n, T beta1, T beta2, T eps, T step_size, T rbc2, T decay, T l2) {
  using B = xsimd::batch<T>;
  constexpr int64_t W = int64_t(B::size);
  auto one = [&](int64_t k) {
    const T gk = g[k] + l2 * p[k];
    m[k] = beta1 * m[k] + (T(1) - beta1) * gk;
    v[k] = beta2 * v[k] + (T(1) - beta2) * gk * gk;
    p[k] = p[k] * decay - step_size * m[k] / (std::sqrt(v[k]) * rbc2 + eps);
  };
  parallel_for(n, 1 << 15, [&](int64_t b, int64_t e) {
    const B vb1(beta1), vb2(beta2), vc1(T(1) - beta1), vc2(T(1) - beta2), veps(eps), vss(step_size), vr(rbc2),
        vdec(decay), vl2(l2);
    int64_t k = b;
    for (; k + W <= e; k += W) {
      const B pk = B::load_unaligned(p + k), gk = B::load_unaligned(g + k) + vl2 * pk;
      const B mk = vb1 * B::load_unaligned(m + k) + vc1 * gk;
      const B vk = vb2 * B::load_unaligned(v + k) + vc2 * gk * gk;
      mk.store_unaligned(m + k);
      vk.store_unaligned(v + k);
      (pk * vdec - vss * mk / (xsimd::sqrt(vk) * vr + veps)).store_unaligned(p + k);
    }
    for (; k < e; ++k) one(k);
  });
}

template <class T>
void sgd_step(T* p, const T* g, T* buf, int64_t n, T lr, T weight_decay, T momentum, T dampening, bool nesterov,
              bool first) {
  parallel_for(n, 1 << 15, [=](int64_t b, int64_t e) {
    T* __restrict pp = p;
    const T* __restrict gg = g;
    T* __restrict bb = buf;
#pragma omp simd
    for (int64_t k = b; k < e; ++k) {
      T d = gg[k] + weight_decay * pp[k];
      if (bb) {
        bb[k] = first ? d : momentum * bb[k] + (T(1) - dampening) * d;
        d = nesterov ? d + momentum * bb[k] : bb[k];
      }
      pp[k] -= lr * d;
    }
  });
}

template void sgd_step<float>(float*, const float*, float*, int64_t, float, float, float, float, bool, bool);
template void sgd_step<double>(double*, const double*, double*, int64_t, double, double, double, double, bool, bool);
template void adam_step<float>(float*, const float*, float*, float*, int64_t, float, float, float, float, float, float, float);
template void adam_step<double>(double*, const double*, double*, double*, int64_t, double, double, double, double, double,
                                double, double);

}  // namespace genlab::cpu
