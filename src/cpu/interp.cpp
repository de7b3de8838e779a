// interpolate (nearest, linear, bilinear) on the CPU: the sources and weights
// of each output row and column computed once (genlab/backend/interp.hpp),
// then output rows spread over the threads; the backward runs plane by plane,
// planes spread over the threads, so no two threads add into the same input.
#include <algorithm>
#include <vector>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

namespace genlab::cpu {
namespace {
constexpr int64_t kGrain = 1 << 15;  // output elements at which a second thread pays

// The taps of every output row (h) and column (w); nearest: i0 = i1 and weights 1, 0 (unused).
template <class T>
struct Taps {
  std::vector<LinearTap<T>> h, w;
  explicit Taps(const Interp2dGeom& g) : h(size_t(g.oh)), w(size_t(g.ow)) {
    auto fill = [&](std::vector<LinearTap<T>>& t, int64_t in, int64_t out, double scale) {
      for (int64_t o = 0; o < out; ++o) {
        if (g.bilinear) {
          t[size_t(o)] = linear_source<T>(o, in, out, scale, g.align_corners);
        } else {
          const int64_t i = nearest_source<T>(o, in, out, scale);
          t[size_t(o)] = {i, i, T(1), T(0)};
        }
      }
    };
    fill(h, g.h, g.oh, g.scale_h);
    fill(w, g.w, g.ow, g.scale_w);
  }
};
}  // namespace

template <class T>
void interpolate2d(const Interp2dGeom& g, const T* x, T* y) {
  const Taps<T> t(g);
  parallel_for(g.planes * g.oh, std::max<int64_t>(1, kGrain / std::max<int64_t>(g.ow, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const LinearTap<T>& a = t.h[size_t(r % g.oh)];
      const T* x0 = x + (r / g.oh * g.h + a.i0) * g.w;
      const T* x1 = x + (r / g.oh * g.h + a.i1) * g.w;
      T* yr = y + r * g.ow;
      if (!g.bilinear) {
        for (int64_t o = 0; o < g.ow; ++o) yr[o] = x0[t.w[size_t(o)].i0];
      } else if (g.one_d) {
        for (int64_t o = 0; o < g.ow; ++o) {
          const LinearTap<T>& c = t.w[size_t(o)];
          yr[o] = x0[c.i0] * c.l0 + x0[c.i1] * c.l1;
        }
      } else {  // blend along w in each of the two rows, then the rows (torch's order)
        for (int64_t o = 0; o < g.ow; ++o) {
          const LinearTap<T>& c = t.w[size_t(o)];
          const T r0 = x0[c.i0] * c.l0 + x0[c.i1] * c.l1, r1 = x1[c.i0] * c.l0 + x1[c.i1] * c.l1;
          yr[o] = r0 * a.l0 + r1 * a.l1;
        }
      }
    }
  });
}

template <class T>
void interpolate2d_backward(const Interp2dGeom& g, const T* gy, T* gx) {
  const Taps<T> t(g);
  const int64_t out = g.oh * g.ow;
  parallel_for(g.planes, std::max<int64_t>(1, kGrain / std::max<int64_t>(out, 1)), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* gp = gx + p * g.h * g.w;
      std::fill(gp, gp + g.h * g.w, T(0));
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const LinearTap<T>& a = t.h[size_t(oh)];
        T *g0 = gp + a.i0 * g.w, *g1 = gp + a.i1 * g.w;
        const T* gr = gy + (p * g.oh + oh) * g.ow;
        for (int64_t o = 0; o < g.ow; ++o) {
          const LinearTap<T>& c = t.w[size_t(o)];
          if (!g.bilinear) {
            g0[c.i0] += gr[o];
          } else if (g.one_d) {
            g0[c.i0] += gr[o] * c.l0, g0[c.i1] += gr[o] * c.l1;
          } else {
            const T v0 = gr[o] * a.l0, v1 = gr[o] * a.l1;
            g0[c.i0] += v0 * c.l0, g0[c.i1] += v0 * c.l1, g1[c.i0] += v1 * c.l0, g1[c.i1] += v1 * c.l1;
          }
        }
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
