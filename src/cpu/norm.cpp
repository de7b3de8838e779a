// Batch norm over x viewed as [n, c, s] (channel ch's values: n runs of s
// contiguous elements), forward and backward. Per-channel sums accumulate in
// double (sums.hpp); each channel is summed by one thread in a fixed order,
// so results do not depend on the thread count.
#include <cmath>
#include <vector>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"
#include "sums.hpp"

namespace genlab::cpu {
namespace {
using namespace sums;
constexpr int64_t kGrain = 1 << 12;  // elements before a second thread pays (as in reduce.cpp)
constexpr int64_t kRun = 16;         // runs shorter than this are summed as columns

// Per-channel double sums s1 = sum f1(x, y, m[ch]) and s2 = sum f2(x, y, m[ch])
// over (n, s); f1 and f2 take batches or scalars. Long runs are summed run by
// run, channels across threads; short runs (BatchNorm1d's (N, C): s = 1) as
// the columns of [n, c * s], columns across threads.
template <class T, class F1, class F2>
void channel_sums(const T* x, const T* y, const T* m, int64_t n, int64_t c, int64_t s, F1 f1, F2 f2, double* s1,
                  double* s2) {
  using B = xsimd::batch<T>;
  if (s >= kRun) {
    parallel_for(c, std::max<int64_t>(1, kGrain / std::max<int64_t>(n * s, 1)), [&](int64_t cb, int64_t ce) {
      for (int64_t ch = cb; ch < ce; ++ch) {
        const T mc = m[ch];
        const B vm(mc);
        double a1 = 0, a2 = 0;
        for (int64_t k = 0; k < n; ++k) {
          const T *xr = x + (k * c + ch) * s, *yr = y + (k * c + ch) * s;
          // the run is in L1 after the first sum
          a1 += acc_sum<T>(s, [&](int64_t i) { return f1(B::load_unaligned(xr + i), B::load_unaligned(yr + i), vm); },
                           [&](int64_t i) { return f1(xr[i], yr[i], mc); });
          a2 += acc_sum<T>(s, [&](int64_t i) { return f2(B::load_unaligned(xr + i), B::load_unaligned(yr + i), vm); },
                           [&](int64_t i) { return f2(xr[i], yr[i], mc); });
        }
        s1[ch] = a1;
        s2[ch] = a2;
      }
    });
    return;
  }
  const int64_t cols = c * s;
  std::vector<T> mcol(static_cast<size_t>(cols));
  for (int64_t j = 0; j < cols; ++j) mcol[size_t(j)] = m[j / s];
  std::vector<double> c1(static_cast<size_t>(cols)), c2(static_cast<size_t>(cols));
  parallel_for(cols, std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1)), [&](int64_t jb, int64_t je) {
    column_sums(
        n, jb, je, c1.data(), [&](int64_t r, int64_t j) { return f1(x[r * cols + j], y[r * cols + j], mcol[size_t(j)]); },
        c2.data(), [&](int64_t r, int64_t j) { return f2(x[r * cols + j], y[r * cols + j], mcol[size_t(j)]); });
  });
  for (int64_t ch = 0; ch < c; ++ch) {
    double a1 = 0, a2 = 0;
    for (int64_t j = ch * s; j < (ch + 1) * s; ++j) a1 += c1[size_t(j)], a2 += c2[size_t(j)];
    s1[ch] = a1;
    s2[ch] = a2;
  }
}

// out = (u - m[ch]) * a[ch] + d[ch] per channel; `extra` adds e[ch] * v (the backward's gy term).
template <class T>
void channel_affine(const T* u, const T* m, const T* a, const T* d, const T* v, const T* e, T* out, int64_t n,
                    int64_t c, int64_t s) {
  parallel_for(n * c, std::max<int64_t>(1, kGrain / std::max<int64_t>(s, 1)), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      const int64_t ch = r % c;
      const T mc = m[ch], ac = a[ch], dc = d[ch];
      const T *ur = u + r * s, *vr = v ? v + r * s : nullptr;
      T* o = out + r * s;
      if (vr) {
        const T ec = e[ch];
#pragma omp simd
        for (int64_t j = 0; j < s; ++j) o[j] = (ur[j] - mc) * ac + vr[j] * ec + dc;
      } else {
#pragma omp simd
        for (int64_t j = 0; j < s; ++j) o[j] = (ur[j] - mc) * ac + dc;
      }
    }
  });
}
}  // namespace

template <class T>
void batch_norm_stats(const T* x, T* mean, T* var, T* rstd, int64_t n, int64_t c, int64_t s, T eps) {
  const int64_t count = n * s;
  // One pass over x - shift and its square, shift the channel's first value:
  // no cancellation while the shift is within a few deviations of the mean.
  // A channel whose mean lies further out is summed again around its mean.
  std::vector<T> shift(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) shift[size_t(ch)] = count ? x[ch * s] : T(0);
  std::vector<double> s1(static_cast<size_t>(c)), s2(static_cast<size_t>(c));
  auto d1 = [](auto v, auto, auto m) { return v - m; };
  auto d2 = [](auto v, auto, auto m) { return (v - m) * (v - m); };
  for (int pass = 0; pass < 2; ++pass) {
    channel_sums(x, x, shift.data(), n, c, s, d1, d2, s1.data(), s2.data());
    bool again = false;
    for (int64_t ch = 0; ch < c; ++ch) {
      const double md = s1[size_t(ch)] / double(count), v = s2[size_t(ch)] / double(count) - md * md;
      const double vv = v < 0 ? 0.0 : v;  // NaN stays NaN
      mean[ch] = T(double(shift[size_t(ch)]) + md);
      var[ch] = T(vv);
      rstd[ch] = T(1.0 / std::sqrt(vv + double(eps)));
      again = again || md * md > 16 * vv;
      shift[size_t(ch)] = mean[ch];
    }
    if (!again) break;
  }
}

template <class T>
void batch_norm(const T* x, const T* mean, const T* rstd, const T* w, const T* b, T* y, int64_t n, int64_t c,
                int64_t s) {
  std::vector<T> a(static_cast<size_t>(c)), d(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    a[size_t(ch)] = rstd[ch] * (w ? w[ch] : T(1));
    d[size_t(ch)] = b ? b[ch] : T(0);
  }
  channel_affine<T>(x, mean, a.data(), d.data(), nullptr, nullptr, y, n, c, s);
}

template <class T>
void batch_norm_backward(const T* x, const T* gy, const T* mean, const T* rstd, const T* w, T* gx, T* gw, T* gb,
                         int64_t n, int64_t c, int64_t s, bool training) {
  std::vector<double> sg(static_cast<size_t>(c)), sgd(static_cast<size_t>(c));
  channel_sums(
      x, gy, mean, n, c, s, [](auto, auto g, auto) { return g; }, [](auto v, auto g, auto m) { return g * (v - m); },
      sg.data(), sgd.data());
  // gw = sum gy xhat, gb = sum gy; with batch statistics
  // gx = w rstd (gy - gb / M - xhat gw / M), with running ones gx = w rstd gy.
  const double count = double(n * s);
  std::vector<T> m(static_cast<size_t>(c)), a(static_cast<size_t>(c)), d(static_cast<size_t>(c)), e(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    const double rs = rstd[ch], k = rs * (w ? double(w[ch]) : 1.0);
    gb[ch] = T(sg[size_t(ch)]);
    gw[ch] = count > 0 ? T(sgd[size_t(ch)] * rs) : T(0);  // an empty batch's rstd is NaN; torch gives 0
    m[size_t(ch)] = mean[ch];
    e[size_t(ch)] = T(k);
    a[size_t(ch)] = training ? T(-k * rs * rs * sgd[size_t(ch)] / count) : T(0);
    d[size_t(ch)] = training ? T(-k * sg[size_t(ch)] / count) : T(0);
  }
  if (!gx) return;
  if (training) return channel_affine<T>(x, m.data(), a.data(), d.data(), gy, e.data(), gx, n, c, s);
  channel_affine<T>(gy, d.data(), e.data(), d.data(), nullptr, nullptr, gx, n, c, s);  // d is 0: x never read
}

#define GENLAB_INSTANTIATE(T)                                                                                          \
  template void batch_norm_stats<T>(const T*, T*, T*, T*, int64_t, int64_t, int64_t, T);                                \
  template void batch_norm<T>(const T*, const T*, const T*, const T*, const T*, T*, int64_t, int64_t, int64_t);         \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t, \
                                       int64_t, bool);
GENLAB_INSTANTIATE(float)
GENLAB_INSTANTIATE(double)
#undef GENLAB_INSTANTIATE

}  // namespace genlab::cpu
