// Where each output element of torch.nn.functional.interpolate reads from
// (modes nearest, linear, bilinear), as torch 1.13's CPU kernels compute it
// (aten/src/ATen/native/UpSample.h and cpu/UpSampleKernel.cpp). Shared by the
// CPU kernels (src/cpu/interp.cpp) and the CUDA ones (cuda/interp.cuh), so
// both backends read the same sources with the same weights.
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define GENLAB_INTERP_HD __host__ __device__
#else
#define GENLAB_INTERP_HD
#endif

namespace genlab::cpu {

// Interpolation of planes [h, w] (n * c of them, NCHW) to [oh, ow]. scale_h,
// scale_w: the scale_factor given, or 0 when the size was given (the step is
// then in / out). one_d: a 3-d input (h = oh = 1), interpolated along w only.
struct Interp2dGeom {
  int64_t planes, h, w, oh, ow;
  double scale_h, scale_w;
  bool bilinear, align_corners, one_d;
};

// The step from one output index to the next in input units: 1 / scale_factor
// when one was given, else in / out (torch's compute_scales_value).
template <class T>
GENLAB_INTERP_HD T interp_step(int64_t in, int64_t out, double scale) {
  return scale > 0 ? T(1.0 / scale) : T(in) / T(out);
}

// Nearest: floor(dst * step), the product in T and floored as a float (torch's
// generic kernel calls floorf, also for double), capped at in - 1.
template <class T>
GENLAB_INTERP_HD int64_t nearest_source(int64_t dst, int64_t in, int64_t out, double scale) {
  const int64_t i = int64_t(floorf(float(interp_step<T>(in, out, scale) * T(dst))));
  return i < in - 1 ? i : in - 1;
}

// Linear: the two inputs an output index blends and their weights. Every tap
// is read even at weight 0 (0 * inf gives NaN, as in torch).
template <class T>
struct LinearTap {
  int64_t i0, i1;
  T l0, l1;
};
template <class T>
GENLAB_INTERP_HD LinearTap<T> linear_source(int64_t dst, int64_t in, int64_t out, double scale, bool align_corners) {
  if (out == in) return {dst, dst, T(1), T(0)};  // a copy, whatever the scale_factor
  T src;
  if (align_corners) {
    src = out > 1 ? T(in - 1) / T(out - 1) * T(dst) : T(0);
  } else {  // the pixel centres: (dst + 0.5) * step - 0.5, in double as torch, clamped at 0
    src = T(double(interp_step<T>(in, out, scale)) * (double(dst) + 0.5) - 0.5);
    if (src < T(0)) src = T(0);
  }
  const int64_t i0 = int64_t(src) < in - 1 ? int64_t(src) : in - 1;
  T l1 = src - T(i0);
  l1 = l1 < T(0) ? T(0) : (l1 > T(1) ? T(1) : l1);
  return {i0, i0 < in - 1 ? i0 + 1 : i0, T(1) - l1, l1};
}

}  // namespace genlab::cpu
