// The convolution and pooling CUDA kernels (mirroring src/cpu/conv.cpp and
// pool.cpp; the ops are in genlab/ops/conv.hpp and pool.hpp): im2col and
// col2im of one sample around the device GEMM, the bias fill, and the 2-D
// pooling windows with their backward. Written once as kernel structs (see
// elementwise.cuh and docs/adding_an_op.md). Geometries are cpu::Conv2dGeom
// and cpu::Pool2dGeom, read field by field (their methods are host code).
#pragma once
#include <cstdint>

#include "common.cuh"
#include "impl.hpp"

namespace genlab::cuda::kernels {

// cols [c * kh * kw, oh * ow] of one sample x [c, h, w]; zeros in the padding.
struct Im2col {
  cpu::Conv2dGeom g;
  const float* x;
  float* cols;
  static constexpr const char* name = "conv_im2col";
  Geometry geometry() const { return elements(g.c * g.kh * g.kw * g.oh * g.ow); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    const int64_t L = g.oh * g.ow, n = g.c * g.kh * g.kw * L;
    for (int64_t e = grid_first(c); e < n; e += grid_step(c)) {
      const int64_t row = e / L, l = e % L, j = row % g.kw, i = row / g.kw % g.kh, ch = row / (g.kw * g.kh);
      const int64_t ih = l / g.ow * g.sh - g.ph + i * g.dh, iw = l % g.ow * g.sw - g.pw + j * g.dw;
      cols[e] = ih >= 0 && ih < g.h && iw >= 0 && iw < g.w ? x[(ch * g.h + ih) * g.w + iw] : 0.f;
    }
  }
};

// gx [c, h, w] of one sample = the sum of the columns' entries that read each
// input position: a gather per input element, so no atomics.
struct Col2im {
  cpu::Conv2dGeom g;
  const float* cols;
  float* gx;
  static constexpr const char* name = "conv_col2im";
  Geometry geometry() const { return elements(g.c * g.h * g.w); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    const int64_t L = g.oh * g.ow, n = g.c * g.h * g.w;
    for (int64_t e = grid_first(c); e < n; e += grid_step(c)) {
      const int64_t iw = e % g.w, ih = e / g.w % g.h, ch = e / (g.w * g.h);
      float s = 0.f;
      for (int64_t i = 0; i < g.kh; ++i) {
        const int64_t th = ih + g.ph - i * g.dh;  // = oh * sh
        if (th < 0 || th % g.sh != 0 || th / g.sh >= g.oh) continue;
        for (int64_t j = 0; j < g.kw; ++j) {
          const int64_t tw = iw + g.pw - j * g.dw;
          if (tw < 0 || tw % g.sw != 0 || tw / g.sw >= g.ow) continue;
          s += cols[((ch * g.kh + i) * g.kw + j) * L + th / g.sh * g.ow + tw / g.sw];
        }
      }
      gx[e] = s;
    }
  }
};

// y [n, co, l] = bias[co]: the GEMMs then accumulate onto it.
struct ConvBias {
  const float* bias;
  float* y;
  int64_t n, co, l;
  static constexpr const char* name = "conv_bias";
  Geometry geometry() const { return elements(n * co * l); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t e = grid_first(c); e < n * co * l; e += grid_step(c)) y[e] = bias[e / l % co];
  }
};

// One thread per output element; the window as src/cpu/pool.cpp's max_pool2d:
// the first max, the last NaN; -inf and index -1 for a window that lies in the padding.
struct MaxPool2d {
  cpu::Pool2dGeom g;
  const float* x;
  float* y;
  int64_t* idx;
  static constexpr const char* name = "max_pool2d";
  Geometry geometry() const { return elements(g.planes * g.oh * g.ow); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t e = grid_first(c); e < g.planes * g.oh * g.ow; e += grid_step(c)) {
      const int64_t ow = e % g.ow, oh = e / g.ow % g.oh, p = e / (g.ow * g.oh);
      int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
      const int64_t h1 = h0 + (g.kh - 1) * g.dh + 1 < g.h ? h0 + (g.kh - 1) * g.dh + 1 : g.h;
      const int64_t w1 = w0 + (g.kw - 1) * g.dw + 1 < g.w ? w0 + (g.kw - 1) * g.dw + 1 : g.w;
      while (h0 < 0) h0 += g.dh;
      while (w0 < 0) w0 += g.dw;
      const float* xp = x + p * g.h * g.w;
      int64_t best = h0 < h1 && w0 < w1 ? h0 * g.w + w0 : -1;
      float m = -INFINITY;
      for (int64_t ih = h0; ih < h1; ih += g.dh)
        for (int64_t iw = w0; iw < w1; iw += g.dw) {
          const float v = xp[ih * g.w + iw];
          if (v > m || v != v) m = v, best = ih * g.w + iw;
        }
      y[e] = m;
      idx[e] = best;
    }
  }
};
// gx (zeroed) += gy at the indices; atomically: windows overlap.
struct MaxPool2dBackward {
  cpu::Pool2dGeom g;
  const float* gy;
  const int64_t* idx;
  float* gx;
  static constexpr const char* name = "max_pool2d_backward";
  Geometry geometry() const { return elements(g.planes * g.oh * g.ow); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t e = grid_first(c); e < g.planes * g.oh * g.ow; e += grid_step(c))
      if (idx[e] >= 0) c.atomic_add(gx + e / (g.oh * g.ow) * g.h * g.w + idx[e], gy[e]);
  }
};

// The averaging window of output (oh, ow): rows [h0, h1), columns [w0, w1), divisor.
struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
};
GENLAB_HD inline AvgWindow avg_window(const cpu::Pool2dGeom& g, int64_t oh, int64_t ow, bool count_include_pad,
                                      bool adaptive) {
  if (adaptive) {
    const int64_t h0 = oh * g.h / g.oh, h1 = ((oh + 1) * g.h + g.oh - 1) / g.oh;
    const int64_t w0 = ow * g.w / g.ow, w1 = ((ow + 1) * g.w + g.ow - 1) / g.ow;
    return {h0, h1, w0, w1, (h1 - h0) * (w1 - w0)};
  }
  int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t h1 = h0 + g.kh < g.h + g.ph ? h0 + g.kh : g.h + g.ph, w1 = w0 + g.kw < g.w + g.pw ? w0 + g.kw : g.w + g.pw;
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = h0 < 0 ? 0 : h0, w0 = w0 < 0 ? 0 : w0, h1 = h1 < g.h ? h1 : g.h, w1 = w1 < g.w ? w1 : g.w;
  return {h0, h1, w0, w1, count_include_pad ? padded : (h1 - h0) * (w1 - w0)};
}
struct AvgPool2d {
  cpu::Pool2dGeom g;
  const float* x;
  float* y;
  bool count_include_pad, adaptive;
  static constexpr const char* name = "avg_pool2d";
  Geometry geometry() const { return elements(g.planes * g.oh * g.ow); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t e = grid_first(c); e < g.planes * g.oh * g.ow; e += grid_step(c)) {
      const AvgWindow a = avg_window(g, e / g.ow % g.oh, e % g.ow, count_include_pad, adaptive);
      const float* xp = x + e / (g.ow * g.oh) * g.h * g.w;
      float s = 0.f;
      for (int64_t ih = a.h0; ih < a.h1; ++ih)
        for (int64_t iw = a.w0; iw < a.w1; ++iw) s += xp[ih * g.w + iw];
      y[e] = a.h0 >= a.h1 || a.w0 >= a.w1 ? 0.f : s / float(a.divisor);
    }
  }
};
// gx (zeroed) += each output's gradient / divisor over its window; atomically.
struct AvgPool2dBackward {
  cpu::Pool2dGeom g;
  const float* gy;
  float* gx;
  bool count_include_pad, adaptive;
  static constexpr const char* name = "avg_pool2d_backward";
  Geometry geometry() const { return elements(g.planes * g.oh * g.ow); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t e = grid_first(c); e < g.planes * g.oh * g.ow; e += grid_step(c)) {
      const AvgWindow a = avg_window(g, e / g.ow % g.oh, e % g.ow, count_include_pad, adaptive);
      if (a.h0 >= a.h1 || a.w0 >= a.w1) continue;
      float* gp = gx + e / (g.ow * g.oh) * g.h * g.w;
      const float share = gy[e] / float(a.divisor);
      for (int64_t ih = a.h0; ih < a.h1; ++ih)
        for (int64_t iw = a.w0; iw < a.w1; ++iw) c.atomic_add(gp + ih * g.w + iw, share);
    }
  }
};

}  // namespace genlab::cuda::kernels

// ---- Entry points (listed in genlab/backend/cuda_kernels.inc).
namespace genlab::cuda::impl {

template <class B>
void conv_im2col(const cpu::Conv2dGeom& g, const float* x, float* cols) {
  B::launch(kernels::Im2col{g, x, cols});
}
template <class B>
void conv_col2im(const cpu::Conv2dGeom& g, const float* cols, float* gx) {
  B::launch(kernels::Col2im{g, cols, gx});
}
template <class B>
void conv_bias(const float* bias, float* y, int64_t n, int64_t co, int64_t l) {
  B::launch(kernels::ConvBias{bias, y, n, co, l});
}
template <class B>
void max_pool2d(const cpu::Pool2dGeom& g, const float* x, float* y, int64_t* idx) {
  B::launch(kernels::MaxPool2d{g, x, y, idx});
}
template <class B>
void max_pool2d_backward(const cpu::Pool2dGeom& g, const float* gy, const int64_t* idx, float* gx) {
  B::launch(kernels::MaxPool2dBackward{g, gy, idx, gx});
}
template <class B>
void avg_pool2d(const cpu::Pool2dGeom& g, const float* x, float* y, bool count_include_pad, bool adaptive) {
  B::launch(kernels::AvgPool2d{g, x, y, count_include_pad, adaptive});
}
template <class B>
void avg_pool2d_backward(const cpu::Pool2dGeom& g, const float* gy, float* gx, bool count_include_pad, bool adaptive) {
  B::launch(kernels::AvgPool2dBackward{g, gy, gx, count_include_pad, adaptive});
}

}  // namespace genlab::cuda::impl
