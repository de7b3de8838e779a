// interpolate (nearest, linear, bilinear) on the CPU, planes spread over the
// threads. The sources and weights of every output row and column are computed
// once (genlab/backend/interp.hpp). Bilinear is separable: each input row a
// plane reads is blended along w once into a scratch row, then output rows
// blend two scratch rows (contiguous, vectorised); every output gets the same
// value as blending its four taps directly. The backward runs the two passes
// in reverse, so no two threads add into the same input.
#include <algorithm>
#include <vector>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

namespace genlab::cpu {
namespace {
constexpr int64_t kGrain = 1 << 15;  // output elements at which a second thread pays

// The taps of every output row (h, with its two rows) and column (w, as arrays
// so the column loops vectorise), and which input rows any output reads.
// Nearest: i0 = i1 with weights 1, 0 (unused).
template <class T>
struct Taps {
  std::vector<LinearTap<T>> h;
  std::vector<int64_t> w0, w1;
  std::vector<T> l0, l1;
  std::vector<char> row_used;
  explicit Taps(const Interp2dGeom& g)
      : h(size_t(g.oh)), w0(size_t(g.ow)), w1(size_t(g.ow)), l0(size_t(g.ow)), l1(size_t(g.ow)), row_used(size_t(g.h)) {
    auto tap = [&](int64_t o, int64_t in, int64_t out, double scale) {
      if (g.bilinear) return linear_source<T>(o, in, out, scale, g.align_corners);
      const int64_t i = nearest_source<T>(o, in, out, scale);
      return LinearTap<T>{i, i, T(1), T(0)};
    };
    for (int64_t o = 0; o < g.oh; ++o) {
      h[size_t(o)] = tap(o, g.h, g.oh, g.scale_h);
      row_used[size_t(h[size_t(o)].i0)] = row_used[size_t(h[size_t(o)].i1)] = 1;
    }
    for (int64_t o = 0; o < g.ow; ++o) {
      const LinearTap<T> c = tap(o, g.w, g.ow, g.scale_w);
      w0[size_t(o)] = c.i0, w1[size_t(o)] = c.i1, l0[size_t(o)] = c.l0, l1[size_t(o)] = c.l1;
    }
  }
};

int64_t plane_grain(const Interp2dGeom& g) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(g.oh * g.ow, 1)); }
}  // namespace

template <class T>
void interpolate2d(const Interp2dGeom& g, const T* x, T* y) {
  const Taps<T> t(g);
  const int64_t W = g.w, OW = g.ow;
  const int64_t *w0 = t.w0.data(), *w1 = t.w1.data();
  const T *l0 = t.l0.data(), *l1 = t.l1.data();
  parallel_for(g.planes, plane_grain(g), [&](int64_t b, int64_t e) {
    std::vector<T> rows(g.bilinear && !g.one_d ? size_t(g.h * OW) : 0);  // the w-blended input rows of a plane
    for (int64_t p = b; p < e; ++p) {
      const T* xp = x + p * g.h * W;
      T* yp = y + p * g.oh * OW;
      if (!g.bilinear) {
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          const T* xr = xp + t.h[size_t(oh)].i0 * W;
          T* yr = yp + oh * OW;
          for (int64_t o = 0; o < OW; ++o) yr[o] = xr[w0[o]];
        }
        continue;
      }
      T* blended = g.one_d ? yp : rows.data();  // 1-d: the blend along w is the output
      for (int64_t ih = 0; ih < g.h; ++ih) {
        if (!t.row_used[size_t(ih)]) continue;
        const T* xr = xp + ih * W;
        T* br = blended + ih * OW;
        for (int64_t o = 0; o < OW; ++o) br[o] = xr[w0[o]] * l0[o] + xr[w1[o]] * l1[o];
      }
      if (g.one_d) continue;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const LinearTap<T> a = t.h[size_t(oh)];
        const T *r0 = blended + a.i0 * OW, *r1 = blended + a.i1 * OW;
        T* yr = yp + oh * OW;
        for (int64_t o = 0; o < OW; ++o) yr[o] = r0[o] * a.l0 + r1[o] * a.l1;  // both rows, even at weight 0
      }
    }
  });
}

template <class T>
void interpolate2d_backward(const Interp2dGeom& g, const T* gy, T* gx) {
  const Taps<T> t(g);
  const int64_t W = g.w, OW = g.ow;
  const int64_t *w0 = t.w0.data(), *w1 = t.w1.data();
  const T *l0 = t.l0.data(), *l1 = t.l1.data();
  parallel_for(g.planes, plane_grain(g), [&](int64_t b, int64_t e) {
    std::vector<T> rows(g.bilinear && !g.one_d ? size_t(g.h * OW) : 0);  // the gradient of the w-blended rows
    for (int64_t p = b; p < e; ++p) {
      T* gp = gx + p * g.h * W;
      const T* gyp = gy + p * g.oh * OW;
      std::fill(gp, gp + g.h * W, T(0));
      if (!g.bilinear) {
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          T* gr = gp + t.h[size_t(oh)].i0 * W;
          const T* gyr = gyp + oh * OW;
          for (int64_t o = 0; o < OW; ++o) gr[w0[o]] += gyr[o];
        }
        continue;
      }
      const T* blended = gyp;  // 1-d: the output's gradient is the blended row's
      if (!g.one_d) {
        std::fill(rows.begin(), rows.end(), T(0));
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          const LinearTap<T> a = t.h[size_t(oh)];
          T *r0 = rows.data() + a.i0 * OW, *r1 = rows.data() + a.i1 * OW;
          const T* gyr = gyp + oh * OW;
          for (int64_t o = 0; o < OW; ++o) r0[o] += gyr[o] * a.l0;
          for (int64_t o = 0; o < OW; ++o) r1[o] += gyr[o] * a.l1;
        }
        blended = rows.data();
      }
      for (int64_t ih = 0; ih < g.h; ++ih) {
        if (!t.row_used[size_t(ih)]) continue;
        const T* br = blended + ih * OW;
        T* gr = gp + ih * W;
        for (int64_t o = 0; o < OW; ++o) gr[w0[o]] += br[o] * l0[o], gr[w1[o]] += br[o] * l1[o];
      }
    }
  });
}

#define GENLAB_INSTANTIATE(T)                                                     \
  template void interpolate2d<T>(const Interp2dGeom&, const T*, T*);             \
  template void interpolate2d_backward<T>(const Interp2dGeom&, const T*, T*);
GENLAB_INSTANTIATE(float)
GENLAB_INSTANTIATE(double)
#undef GENLAB_INSTANTIATE

}  // namespace genlab::cpu
