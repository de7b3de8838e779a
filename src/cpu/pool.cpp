// 2-D pooling on the CPU (max, average, adaptive average), one plane at a
// time, planes spread over the threads. The windows follow PyTorch 1.13's
// CPU kernels (aten/src/ATen/native/cpu/{MaxPool,AvgPool,AdaptiveAvgPool}Kernel.cpp)
// so ties, NaN and the divisors come out the same.
#include <algorithm>
#include <cmath>
#include <limits>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

namespace genlab::cpu {
namespace {
constexpr int64_t kGrain = 1 << 14;  // window reads at which a second thread pays

template <class F>
void for_planes(const Pool2dGeom& g, int64_t reads_per_plane, F&& fn) {
  parallel_for(g.planes, std::max<int64_t>(1, kGrain / std::max<int64_t>(reads_per_plane, 1)), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) fn(p);
  });
}

// An averaging window: rows [h0, h1), columns [w0, w1) of the input, and the divisor.
struct Window {
  int64_t h0, h1, w0, w1, divisor;
};
inline Window avg_window(const Pool2dGeom& g, int64_t oh, int64_t ow, bool count_include_pad, bool adaptive) {
  if (adaptive) {  // PyTorch's start_index / end_index: floor(i * in / out), ceil((i + 1) * in / out)
    const int64_t h0 = oh * g.h / g.oh, h1 = ((oh + 1) * g.h + g.oh - 1) / g.oh;
    const int64_t w0 = ow * g.w / g.ow, w1 = ((ow + 1) * g.w + g.ow - 1) / g.ow;
    return {h0, h1, w0, w1, (h1 - h0) * (w1 - w0)};
  }
  int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t h1 = std::min(h0 + g.kh, g.h + g.ph), w1 = std::min(w0 + g.kw, g.w + g.pw);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0), h1 = std::min(h1, g.h), w1 = std::min(w1, g.w);
  return {h0, h1, w0, w1, count_include_pad ? padded : (h1 - h0) * (w1 - w0)};
}
}  // namespace

template <class T>
void max_pool2d(const Pool2dGeom& g, const T* x, T* y, int64_t* idx) {
  for_planes(g, g.oh * g.ow * g.kh * g.kw, [&](int64_t p) {
    const T* xp = x + p * g.h * g.w;
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
        const int64_t h1 = std::min(h0 + (g.kh - 1) * g.dh + 1, g.h), w1 = std::min(w0 + (g.kw - 1) * g.dw + 1, g.w);
        while (h0 < 0) h0 += g.dh;
        while (w0 < 0) w0 += g.dw;
        int64_t best = h0 < h1 && w0 < w1 ? h0 * g.w + w0 : -1;  // -1: the window lies in the padding
        T m = -std::numeric_limits<T>::infinity();
        for (int64_t ih = h0; ih < h1; ih += g.dh)
          for (int64_t iw = w0; iw < w1; iw += g.dw) {
            const T v = xp[ih * g.w + iw];
            if (v > m || std::isnan(v)) m = v, best = ih * g.w + iw;
          }
        const int64_t o = (p * g.oh + oh) * g.ow + ow;
        y[o] = m;
        idx[o] = best;
      }
  });
}

template <class T>
void max_pool2d_backward(const Pool2dGeom& g, const T* gy, const int64_t* idx, T* gx) {
  for_planes(g, g.oh * g.ow, [&](int64_t p) {
    for (int64_t o = p * g.oh * g.ow; o < (p + 1) * g.oh * g.ow; ++o)
      if (idx[o] >= 0) gx[p * g.h * g.w + idx[o]] += gy[o];
  });
}

template <class T>
void avg_pool2d(const Pool2dGeom& g, const T* x, T* y, bool count_include_pad, bool adaptive) {
  for_planes(g, g.oh * g.ow * std::max<int64_t>(g.kh * g.kw, 1), [&](int64_t p) {
    const T* xp = x + p * g.h * g.w;
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const Window win = avg_window(g, oh, ow, count_include_pad, adaptive);
        T s = 0;
        for (int64_t ih = win.h0; ih < win.h1; ++ih)
          for (int64_t iw = win.w0; iw < win.w1; ++iw) s += xp[ih * g.w + iw];
        y[(p * g.oh + oh) * g.ow + ow] = win.h0 >= win.h1 || win.w0 >= win.w1 ? T(0) : s / T(win.divisor);
      }
  });
}

template <class T>
void avg_pool2d_backward(const Pool2dGeom& g, const T* gy, T* gx, bool count_include_pad, bool adaptive) {
  for_planes(g, g.oh * g.ow * std::max<int64_t>(g.kh * g.kw, 1), [&](int64_t p) {
    T* gp = gx + p * g.h * g.w;
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const Window win = avg_window(g, oh, ow, count_include_pad, adaptive);
        if (win.h0 >= win.h1 || win.w0 >= win.w1) continue;
        const T share = gy[(p * g.oh + oh) * g.ow + ow] / T(win.divisor);
        for (int64_t ih = win.h0; ih < win.h1; ++ih)
          for (int64_t iw = win.w0; iw < win.w1; ++iw) gp[ih * g.w + iw] += share;
      }
  });
}

#define GENLAB_INSTANTIATE(T)                                                                      \
  template void max_pool2d<T>(const Pool2dGeom&, const T*, T*, int64_t*);                          \
  template void max_pool2d_backward<T>(const Pool2dGeom&, const T*, const int64_t*, T*);           \
  template void avg_pool2d<T>(const Pool2dGeom&, const T*, T*, bool, bool);                        \
  template void avg_pool2d_backward<T>(const Pool2dGeom&, const T*, T*, bool, bool);
GENLAB_INSTANTIATE(float)
GENLAB_INSTANTIATE(double)
#undef GENLAB_INSTANTIATE

}  // namespace genlab::cpu
