// interpolate's CUDA kernels (mirroring src/cpu/interp.cpp; the op is in
// genlab/ops/interpolate.hpp): one thread per output element, its sources and
// weights from genlab/backend/interp.hpp, which the CPU kernels use too. The
// backward adds each output's gradient to its (up to 4) sources atomically:
// neighbouring outputs share them.
#pragma once
#include <cstdint>

#include "common.cuh"
#include "genlab/backend/interp.hpp"
#include "impl.hpp"

namespace genlab::cuda::kernels {

// Output element e of plane p at (oh, ow): its two rows and two columns with weights
// (nearest: one of each, weight 1; one_d: row 0 only).
struct InterpTaps {
  cpu::LinearTap<float> h, w;
};
GENLAB_HD inline InterpTaps interp_taps(const cpu::Interp2dGeom& g, int64_t oh, int64_t ow) {
  if (!g.bilinear) {
    const int64_t ih = cpu::nearest_source<float>(oh, g.h, g.oh, g.scale_h);
    const int64_t iw = cpu::nearest_source<float>(ow, g.w, g.ow, g.scale_w);
    return {{ih, ih, 1.f, 0.f}, {iw, iw, 1.f, 0.f}};
  }
  return {cpu::linear_source<float>(oh, g.h, g.oh, g.scale_h, g.align_corners),
          cpu::linear_source<float>(ow, g.w, g.ow, g.scale_w, g.align_corners)};
}

struct Interpolate2d {
  cpu::Interp2dGeom g;
  const float* x;
  float* y;
  static constexpr const char* name = "interpolate2d";
  Geometry geometry() const { return elements(g.planes * g.oh * g.ow); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t e = grid_first(c); e < g.planes * g.oh * g.ow; e += grid_step(c)) {
      const InterpTaps t = interp_taps(g, e / g.ow % g.oh, e % g.ow);
      const float* xp = x + e / (g.ow * g.oh) * g.h * g.w;
      const float *x0 = xp + t.h.i0 * g.w, *x1 = xp + t.h.i1 * g.w;
      if (!g.bilinear) {
        y[e] = x0[t.w.i0];
      } else {  // as the CPU kernel: along w in each row, then the rows (one_d: one row)
        const float r0 = x0[t.w.i0] * t.w.l0 + x0[t.w.i1] * t.w.l1;
        y[e] = g.one_d ? r0 : r0 * t.h.l0 + (x1[t.w.i0] * t.w.l0 + x1[t.w.i1] * t.w.l1) * t.h.l1;
      }
    }
  }
};

// gx (zeroed) += each output's gradient times its weights, at its sources.
struct Interpolate2dBackward {
  cpu::Interp2dGeom g;
  const float* gy;
  float* gx;
  static constexpr const char* name = "interpolate2d_backward";
  Geometry geometry() const { return elements(g.planes * g.oh * g.ow); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t e = grid_first(c); e < g.planes * g.oh * g.ow; e += grid_step(c)) {
      const InterpTaps t = interp_taps(g, e / g.ow % g.oh, e % g.ow);
      float* gp = gx + e / (g.ow * g.oh) * g.h * g.w;
      float *g0 = gp + t.h.i0 * g.w, *g1 = gp + t.h.i1 * g.w;
      if (!g.bilinear) {
        c.atomic_add(g0 + t.w.i0, gy[e]);
        continue;
      }
      const float v0 = g.one_d ? gy[e] : gy[e] * t.h.l0;
      c.atomic_add(g0 + t.w.i0, v0 * t.w.l0);
      c.atomic_add(g0 + t.w.i1, v0 * t.w.l1);
      if (g.one_d) continue;
      const float v1 = gy[e] * t.h.l1;
      c.atomic_add(g1 + t.w.i0, v1 * t.w.l0);
      c.atomic_add(g1 + t.w.i1, v1 * t.w.l1);
    }
  }
};

}  // namespace genlab::cuda::kernels

// ---- Entry points (listed in genlab/backend/cuda_kernels.inc).
namespace genlab::cuda::impl {

template <class B>
void interpolate2d(const cpu::Interp2dGeom& g, const float* x, float* y) {
  B::launch(kernels::Interpolate2d{g, x, y});
}
template <class B>
void interpolate2d_backward(const cpu::Interp2dGeom& g, const float* gy, float* gx) {
  B::launch(kernels::Interpolate2dBackward{g, gy, gx});
}

}  // namespace genlab::cuda::impl
