// 2-D convolution on the CPU: im2col of one sample, then one GEMM per group
// (PyTorch's slow_conv2d, which is also its float64 path); col2im for the
// input gradient. Samples are spread over the threads, each with its own
// column buffer and single-threaded GEMMs; with fewer samples than threads
// the samples run in turn and the GEMM threads itself (cpu::gemm's model).
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

namespace genlab::cpu {
namespace {
// FLOPs at which a second thread pays: cpu::gemm's own threshold.
constexpr double kGrainFlops = 2e6;

// A per-thread scratch buffer that grows to the largest sample seen: a fresh
// allocation of the columns per call would page-fault them in every time.
template <class T>
T* scratch(int slot, int64_t n) {
  thread_local std::vector<T> buf[2];
  if (buf[slot].size() < size_t(n)) buf[slot].resize(size_t(n));
  return buf[slot].data();
}

// The output positions o in [0, out) whose input position o * s + off lies in [0, in): [lo, hi).
inline void valid_range(int64_t out, int64_t in, int64_t s, int64_t off, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = in - 1 - off < 0 ? 0 : std::min(out, (in - 1 - off) / s + 1);
  lo = std::min(lo, hi);
}

// Visits every (row of the columns, output row oh) pair of one sample with
// the offset of the input it reads at ow = 0 (which may lie before the row),
// whether that input row exists (not padding), and the valid ow range.
template <class F>
void for_each_col_row(const Conv2dGeom& g, F&& fn) {
  const int64_t L = g.oh * g.ow;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t row = (c * g.kh + i) * g.kw + j, off_w = j * g.dw - g.pw;
        int64_t lo, hi;
        valid_range(g.ow, g.w, g.sw, off_w, lo, hi);
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          fn(row * L + oh * g.ow, ih >= 0 && ih < g.h, (c * g.h + ih) * g.w + off_w, lo, hi);
        }
      }
}

// Stride 1 with outputs as wide as the input (3x3 padding 1, 5x5 padding 2 ...):
// each row of the columns is then the input plane shifted by a constant d, so
// it is one contiguous copy plus zeroed borders instead of a copy per output
// row (the per-row path spent more time than the GEMMs on the ResNet's
// 16-channel layers). A row reads plane[k + d] for its k in [k0, k1); its output
// rows [r0, r1) and columns [lo, hi) are the valid ones, the rest is padding.
bool shifted_rows(const Conv2dGeom& g) { return g.sh == 1 && g.sw == 1 && g.ow == g.w; }
struct ShiftedRow {
  int64_t at = 0, plane_at = 0, d = 0, r0 = 0, r1 = 0, lo = 0, hi = 0, k0 = 0, k1 = 0;
};
template <class F>
void for_each_shifted_row(const Conv2dGeom& g, F&& fn) {
  const int64_t L = g.oh * g.ow, plane = g.h * g.w;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        ShiftedRow s{((c * g.kh + i) * g.kw + j) * L, c * plane, (i * g.dh - g.ph) * g.w + j * g.dw - g.pw};
        s.r0 = std::clamp<int64_t>(g.ph - i * g.dh, 0, g.oh);
        s.r1 = std::clamp<int64_t>(g.h + g.ph - i * g.dh, s.r0, g.oh);
        valid_range(g.ow, g.w, 1, j * g.dw - g.pw, s.lo, s.hi);
        // reads outside the plane are only ever padding: clip them off the copy
        s.k0 = std::max(s.r0 * g.ow, -s.d);
        s.k1 = std::max(s.k0, std::min(s.r1 * g.ow, plane - s.d));
        fn(s);
      }
}
// Zeroes the padding columns of a shifted row's valid output rows, a column at
// a time: they are a few elements per row, too few for a memset call each.
template <class T>
void zero_row_borders(const Conv2dGeom& g, const ShiftedRow& s, T* row) {
  auto zero_column = [&](int64_t o) {
    for (int64_t r = s.r0; r < s.r1; ++r) row[r * g.ow + o] = T(0);
  };
  for (int64_t o = 0; o < s.lo; ++o) zero_column(o);
  for (int64_t o = std::max(s.hi, s.lo); o < g.ow; ++o) zero_column(o);
}

template <class T>
const T* im2col(const Conv2dGeom& g, const T* x, T* cols) {
  if (shifted_rows(g)) {
    for_each_shifted_row(g, [&](const ShiftedRow& s) {
      T* dst = cols + s.at;
      std::fill(dst, dst + s.r0 * g.ow, T(0));
      std::fill(dst + s.r1 * g.ow, dst + g.oh * g.ow, T(0));
      if (s.k1 > s.k0) std::memcpy(dst + s.k0, x + s.plane_at + s.d + s.k0, size_t(s.k1 - s.k0) * sizeof(T));
      zero_row_borders(g, s, dst);  // also covers what the clipped copy left out
    });
    return cols;
  }
  for_each_col_row(g, [&](int64_t at, bool inside, int64_t in_row, int64_t lo, int64_t hi) {
    T* dst = cols + at;
    if (!inside) return (void)std::fill(dst, dst + g.ow, T(0));
    const T* src = x + in_row;
    std::fill(dst, dst + lo, T(0));
    if (g.sw == 1) std::memcpy(dst + lo, src + lo, size_t(hi - lo) * sizeof(T));
    else
      for (int64_t o = lo; o < hi; ++o) dst[o] = src[o * g.sw];
    std::fill(dst + hi, dst + g.ow, T(0));
  });
  return cols;
}

// gx (one sample) = the columns' gradient summed back onto the input positions
// they read. The columns are scratch: their padding entries are zeroed here.
template <class T>
void col2im(const Conv2dGeom& g, T* cols, T* gx) {
  std::fill(gx, gx + g.c * g.h * g.w, T(0));
  if (shifted_rows(g)) {
    for_each_shifted_row(g, [&](const ShiftedRow& s) {
      T* src = cols + s.at;
      zero_row_borders(g, s, src);  // padding adds nothing, so the valid span adds in one loop
      T* dst = gx + s.plane_at + s.d;
      for (int64_t k = s.k0; k < s.k1; ++k) dst[k] += src[k];
    });
    return;
  }
  for_each_col_row(g, [&](int64_t at, bool inside, int64_t in_row, int64_t lo, int64_t hi) {
    if (!inside) return;
    const T* src = cols + at;
    T* dst = gx + in_row;
    if (g.sw == 1)
      for (int64_t o = lo; o < hi; ++o) dst[o] += src[o];
    else
      for (int64_t o = lo; o < hi; ++o) dst[o * g.sw] += src[o];
  });
}

// Threads over samples: as many as the FLOPs deserve, at most one per sample.
int sample_threads(const Conv2dGeom& g, double flops) {
  return int(std::max<int64_t>(1, std::min<int64_t>(g.n, threads_for(flops, kGrainFlops))));
}
double conv_flops(const Conv2dGeom& g) { return 2.0 * double(g.n) * double(g.co) * double(g.rows()) * double(g.cols()); }
}  // namespace

template <class T>
void conv2d(const Conv2dGeom& g, const T* x, const T* w, const T* bias, T* y) {
  const int64_t L = g.cols(), K = g.rows(), M = g.co / g.groups, in_size = g.c * g.h * g.w;
  auto sample = [&](int64_t n) {
    T* yn = y + n * g.co * L;
    const T* cols = g.pointwise() ? x + n * in_size : im2col(g, x + n * in_size, scratch<T>(0, K * g.groups * L));
    if (bias)
      for (int64_t o = 0; o < g.co; ++o) std::fill(yn + o * L, yn + (o + 1) * L, bias[o]);
    for (int64_t gi = 0; gi < g.groups; ++gi)
      gemm<T>(false, false, M, L, K, T(1), w + gi * M * K, std::max<int64_t>(K, 1), cols + gi * K * L, L,
              T(bias ? 1 : 0), yn + gi * M * L, L);
  };
  const int nt = sample_threads(g, conv_flops(g));
  if (nt <= 1) {
    for (int64_t n = 0; n < g.n; ++n) sample(n);
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t n = 0; n < g.n; ++n) sample(n);
}

namespace {
// The input gradient of a stride-1 convolution whose output is as wide as its
// input is itself such a convolution: of gy, by the kernel flipped with its in
// and out channels swapped, padded by (k - 1) * d - p (when that is >= 0).
// Running the forward path on it skips the columns' gradient (a K x L GEMM
// output that OpenBLAS first zeroes at beta 0) and col2im: the ResNet's
// backward spent about a tenth of its time in those two. The input channels
// per group become that GEMM's rows: below 8 (a stem on RGB, a depthwise conv)
// it runs slower than col2im (1 -> 16 channels at 28x28: 8.0 ms against 4.8).
bool input_grad_as_conv(const Conv2dGeom& g) {
  return shifted_rows(g) && !g.pointwise() && g.c / g.groups >= 8 && (g.kh - 1) * g.dh >= g.ph &&
         (g.kw - 1) * g.dw >= g.pw;
}
Conv2dGeom input_grad_geom(const Conv2dGeom& g) {
  Conv2dGeom t = g;
  t.c = g.co, t.h = g.oh, t.w = g.ow, t.co = g.c, t.oh = g.h, t.ow = g.w;
  t.ph = (g.kh - 1) * g.dh - g.ph, t.pw = (g.kw - 1) * g.dw - g.pw;
  return t;
}
// Within each group: flipped[c, o, i, j] = w[o, c, kh - 1 - i, kw - 1 - j].
template <class T>
std::vector<T> flipped_weight(const Conv2dGeom& g, const T* w) {
  const int64_t cg = g.c / g.groups, og = g.co / g.groups, kk = g.kh * g.kw;
  std::vector<T> out(size_t(g.co * cg * kk));
  for (int64_t gi = 0; gi < g.groups; ++gi)
    for (int64_t o = 0; o < og; ++o)
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t t = 0; t < kk; ++t)
          out[size_t(((gi * cg + c) * og + o) * kk + kk - 1 - t)] = w[((gi * og + o) * cg + c) * kk + t];
  return out;
}
}  // namespace

// Each thread takes a contiguous range of samples: gx of its samples, and the
// weight gradient of its samples into its own buffer (thread 0: gw itself),
// added in thread order at the end, so the result does not depend on timing.
template <class T>
void conv2d_backward(const Conv2dGeom& g, const T* x, const T* w, const T* gy, T* gx, T* gw) {
  if (gx && input_grad_as_conv(g)) {
    const std::vector<T> flipped = flipped_weight(g, w);
    conv2d<T>(input_grad_geom(g), gy, flipped.data(), nullptr, gx);
    gx = nullptr;  // done: what follows is the weight gradient
    if (!gw) return;
  }
  const int64_t L = g.cols(), K = g.rows(), M = g.co / g.groups, in_size = g.c * g.h * g.w, wsize = g.co * K;
  const int nt = sample_threads(g, conv_flops(g) * ((gx ? 1 : 0) + (gw ? 1 : 0)));
  std::vector<T> partial(gw ? size_t(std::max(nt - 1, 0)) * size_t(wsize) : 0);
  auto part = [&](int t) {
    T* gwt = !gw ? nullptr : t == 0 ? gw : partial.data() + (t - 1) * wsize;
    if (gwt) std::fill(gwt, gwt + wsize, T(0));
    for (int64_t n = g.n * t / nt; n < g.n * (t + 1) / nt; ++n) {
      const T* gyn = gy + n * g.co * L;
      if (gwt) {
        const T* cols = g.pointwise() ? x + n * in_size : im2col(g, x + n * in_size, scratch<T>(0, K * g.groups * L));
        for (int64_t gi = 0; gi < g.groups; ++gi)
          gemm<T>(false, true, M, K, L, T(1), gyn + gi * M * L, L, cols + gi * K * L, L, T(1), gwt + gi * M * K,
                  std::max<int64_t>(K, 1));
      }
      if (gx) {
        T* gxn = gx + n * in_size;
        T* gcols = g.pointwise() ? gxn : scratch<T>(1, K * g.groups * L);
        for (int64_t gi = 0; gi < g.groups; ++gi)
          gemm<T>(true, false, K, L, M, T(1), w + gi * M * K, std::max<int64_t>(K, 1), gyn + gi * M * L, L, T(0),
                  gcols + gi * K * L, L);
        if (!g.pointwise()) col2im(g, gcols, gxn);
      }
    }
  };
  if (nt <= 1) {
    part(0);
  } else {
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int t = 0; t < nt; ++t) part(t);
  }
  for (int t = 1; t < nt && gw; ++t) {
    const T* p = partial.data() + (t - 1) * wsize;
    for (int64_t i = 0; i < wsize; ++i) gw[i] += p[i];
  }
}

#define GENLAB_INSTANTIATE(T)                                                  \
  template void conv2d<T>(const Conv2dGeom&, const T*, const T*, const T*, T*); \
  template void conv2d_backward<T>(const Conv2dGeom&, const T*, const T*, const T*, T*, T*);
GENLAB_INSTANTIATE(float)
GENLAB_INSTANTIATE(double)
#undef GENLAB_INSTANTIATE

}  // namespace genlab::cpu
