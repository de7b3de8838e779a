// Reductions over the middle axis of [outer, r, inner] and row-wise softmax,
// layer norm and RMS norm (forward and backward). Every sum of floats
// accumulates in double (acc_sum, column_sums in sums.hpp), vectorised, so
// long rows and columns stay accurate.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>
#include <immintrin.h>
#include <xsimd/xsimd.hpp>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"
#include "sums.hpp"

namespace genlab::cpu {
namespace {
using namespace sums;
constexpr int64_t kGrain = 1 << 12;
int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(cols, 1)); }

// Non-temporal store of one batch at a 64-byte-aligned address (plain store
// where the instruction set has none), and the fence that orders them.
template <class B>
inline void store_stream(typename B::value_type* p, const B& v) {
#if defined(__AVX512F__)
  if constexpr (B::size * sizeof(typename B::value_type) == 64) {
    if constexpr (std::is_same_v<typename B::value_type, float>) _mm512_stream_ps(p, v);
    else _mm512_stream_pd(p, v);
    return;
  }
#endif
  v.store_aligned(p);
}
inline void store_fence() {
#if defined(__AVX512F__)
  _mm_sfence();
#endif
}

template <class T>
T vec_max(const T* x, int64_t n) {
  using B = xsimd::batch<T>;
  constexpr int64_t W = int64_t(B::size);
  T m = -std::numeric_limits<T>::infinity();
  int64_t i = 0;
  if (n >= W) {
    B acc = B::load_unaligned(x);
    for (i = W; i + W <= n; i += W) acc = xsimd::max(acc, B::load_unaligned(x + i));
    alignas(64) T buf[W];
    acc.store_aligned(buf);
    for (int64_t j = 0; j < W; ++j) m = std::max(m, buf[j]);
  }
  for (; i < n; ++i) m = std::max(m, x[i]);
  return m;
}
}  // namespace

template <class T>
void sum(const T* x, T* out, int64_t outer, int64_t r, int64_t inner) {
  if (inner == 1) {
    // Rows longer than a chunk are cut into fixed chunks summed in parallel
    // and combined in double, so one long row uses every thread and the
    // result does not depend on the thread count.
    constexpr int64_t kChunk = int64_t(1) << 16;
    const int64_t chunks = (r + kChunk - 1) / kChunk;
    if (chunks <= 1) {
      parallel_for(outer, row_grain(r), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) out[o] = T(vec_sum(x + o * r, r));
      });
      return;
    }
    std::vector<double> part(static_cast<size_t>(outer * chunks));
    parallel_for(outer * chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) {
        const int64_t o = k / chunks, c0 = k % chunks * kChunk;
        part[size_t(k)] = vec_sum(x + o * r + c0, std::min(kChunk, r - c0));
      }
    });
    for (int64_t o = 0; o < outer; ++o) {
      double s = 0;
      for (int64_t k = 0; k < chunks; ++k) s += part[size_t(o * chunks + k)];
      out[o] = T(s);
    }
    return;
  }
  parallel_for(outer * inner, kGrain / std::max<int64_t>(r, 1) + 1, [&](int64_t b, int64_t e) {
    // chunk over (outer, inner) columns; column sums of the r rows of each block
    for (int64_t oi = b; oi < e;) {
      const int64_t o = oi / inner, i0 = oi % inner, i1 = std::min(inner, i0 + (e - oi));
      const T* base = x + o * r * inner;
      auto at = [=](int64_t k, int64_t i) { return base[k * inner + i]; };
      column_sums(r, i0, i1, out + o * inner, at, static_cast<T*>(nullptr), at);
      oi += i1 - i0;
    }
  });
}

template <class T>
void max(const T* x, T* out, int64_t* arg, int64_t outer, int64_t r, int64_t inner) {
  parallel_for(outer * inner, row_grain(r), [&](int64_t b, int64_t e) {
    for (int64_t oi = b; oi < e; ++oi) {
      int64_t o = oi / inner, i = oi % inner;
      const T* p = x + o * r * inner + i;
      T best = p[0];
      int64_t bi = 0;
      for (int64_t k = 1; k < r; ++k) {
        T v = p[k * inner];
        if (v > best || (std::isnan(v) && !std::isnan(best))) { best = v; bi = k; }  // NaN wins, as in PyTorch
      }
      out[oi] = best;
      if (arg) arg[oi] = bi;
    }
  });
}

template <class T>
void softmax(const T* x, T* y, int64_t rows, int64_t cols, bool log) {
  using B = xsimd::batch<T>;
  parallel_for(rows, row_grain(cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      const T m = vec_max(xr, cols);
      const B mb(m);
      const double s = acc_sum<T>(
          cols,
          [&](int64_t i) {
            B v = xsimd::exp(B::load_unaligned(xr + i) - mb);
            if (!log) v.store_unaligned(yr + i);
            return v;
          },
          [&](int64_t i) {
            T v = std::exp(xr[i] - m);
            if (!log) yr[i] = v;
            return v;
          });
      if (log) {
        // (x - m) - log(s), never m + log(s) first: near x = 1e4 that sum
        // would round to float's 1e-3 spacing and lose the small log-prob.
        const T ls = T(std::log(s));
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - m) - ls;
      } else {
        const T inv = T(1.0 / s);
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
      }
    }
  });
}

// log(sum(exp(row))) in one read of the row after its max: the shift is the
// max, or 0 where the max is infinite (as PyTorch), so NaN and +-inf rows come
// out as the composed formula gives them. The sum accumulates in double.
template <class T>
void logsumexp_rows(const T* x, T* out, int64_t rows, int64_t cols) {
  using B = xsimd::batch<T>;
  parallel_for(rows, row_grain(cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* xr = x + r * cols;
      const T m = vec_max(xr, cols), shift = std::isinf(m) ? T(0) : m;
      const B sb(shift);
      const double s = acc_sum<T>(
          cols, [&](int64_t i) { return xsimd::exp(B::load_unaligned(xr + i) - sb); },
          [&](int64_t i) { return std::exp(xr[i] - shift); });
      out[r] = T(std::log(s) + double(shift));
    }
  });
}

template <class T>
void softmax_backward(const T* y, const T* gy, T* gx, int64_t rows, int64_t cols, bool log) {
  using B = xsimd::batch<T>;
  parallel_for(rows, row_grain(cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* yr = y + r * cols;
      const T* gr = gy + r * cols;
      T* out = gx + r * cols;
      if (log) {  // gx = gy - softmax * sum(gy)
        const T s = T(vec_sum(gr, cols));
        for (int64_t j = 0; j < cols; ++j) out[j] = gr[j] - std::exp(yr[j]) * s;
      } else {    // gx = y * (gy - sum(gy * y))
        const T dot = T(acc_sum<T>(
            cols, [&](int64_t i) { return B::load_unaligned(gr + i) * B::load_unaligned(yr + i); },
            [&](int64_t i) { return gr[i] * yr[i]; }));
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) out[j] = yr[j] * (gr[j] - dot);
      }
    }
  });
}

template <class T>
void layer_norm(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t rows, int64_t cols, T eps) {
  using B = xsimd::batch<T>;
  constexpr int64_t W = int64_t(B::size);
  // Outputs larger than the caches are written with streaming stores: no
  // read-for-ownership of y, a third less memory traffic on (8192, 768).
  const bool stream = rows * cols * int64_t(sizeof(T)) > (int64_t(8) << 20);
  parallel_for(rows, row_grain(cols), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      const T mu = T(vec_sum(xr, cols) / double(cols));
      const B vmu(mu);
      const double var = acc_sum<T>(
          cols,
          [&](int64_t i) {
            const B d = B::load_unaligned(xr + i) - vmu;
            return d * d;
          },
          [&](int64_t i) { return (xr[i] - mu) * (xr[i] - mu); });
      const T rs = T(1.0 / std::sqrt(var / double(cols) + double(eps)));
      mean[r] = mu;
      rstd[r] = rs;
      const B vrs(rs);
      int64_t j = 0;
      const bool aligned = stream && reinterpret_cast<uintptr_t>(yr) % 64 == 0;
      for (; j + W <= cols; j += W) {
        B v = (B::load_unaligned(xr + j) - vmu) * vrs;
        if (w) v *= B::load_unaligned(w + j);
        if (b) v += B::load_unaligned(b + j);
        if (aligned) store_stream(yr + j, v);
        else v.store_unaligned(yr + j);
      }
      for (; j < cols; ++j) yr[j] = (xr[j] - mu) * rs * (w ? w[j] : T(1)) + (b ? b[j] : T(0));
    }
    if (stream) store_fence();
  });
}

template <class T>
void layer_norm_backward(const T* x, const T* w, const T* mean, const T* rstd, const T* gy, T* gx, T* gw, T* gb,
                         int64_t rows, int64_t cols) {
  using B = xsimd::batch<T>;
  // gx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = gy * w
  parallel_for(rows, row_grain(cols), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      const T* xr = x + r * cols;
      const T* gr = gy + r * cols;
      const T mu = mean[r], rs = rstd[r];
      const B vmu(mu), vrs(rs);
      auto g = [&](int64_t i) { return w ? B::load_unaligned(gr + i) * B::load_unaligned(w + i) : B::load_unaligned(gr + i); };
      auto g1 = [&](int64_t i) { return w ? gr[i] * w[i] : gr[i]; };
      const T sg = T(acc_sum<T>(cols, g, g1) / double(cols));
      const T sgx = T(acc_sum<T>(
                          cols, [&](int64_t i) { return g(i) * ((B::load_unaligned(xr + i) - vmu) * vrs); },
                          [&](int64_t i) { return g1(i) * ((xr[i] - mu) * rs); }) /
                      double(cols));
      T* out = gx + r * cols;
      for (int64_t j = 0; j < cols; ++j) out[j] = rs * (g1(j) - sg - (xr[j] - mu) * rs * sgx);
    }
  });
  if (gw || gb) {  // column sums over rows, split by columns across threads
    parallel_for(cols, 64, [&](int64_t cb, int64_t ce) {
      column_sums(
          rows, cb, ce, gw, [&](int64_t r, int64_t j) { return gy[r * cols + j] * (x[r * cols + j] - mean[r]) * rstd[r]; },
          gb, [&](int64_t r, int64_t j) { return gy[r * cols + j]; });
    });
  }
}

template <class T>
void rms_norm(const T* x, const T* w, T* y, T* rstd, int64_t rows, int64_t cols, T eps) {
  using B = xsimd::batch<T>;
  parallel_for(rows, row_grain(cols), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      const double ss = acc_sum<T>(
          cols,
          [&](int64_t i) {
            const B v = B::load_unaligned(xr + i);
            return v * v;
          },
          [&](int64_t i) { return xr[i] * xr[i]; });
      const T rs = T(1.0 / std::sqrt(ss / double(cols) + double(eps)));
      rstd[r] = rs;
#pragma omp simd
      for (int64_t j = 0; j < cols; ++j) yr[j] = xr[j] * rs * (w ? w[j] : T(1));
    }
  });
}

template <class T>
void rms_norm_backward(const T* x, const T* w, const T* rstd, const T* gy, T* gx, T* gw, int64_t rows, int64_t cols) {
  using B = xsimd::batch<T>;
  // y = x * rs * w; gx = rs * (g - x * rs^2 * mean(g * x)), g = gy * w
  parallel_for(rows, row_grain(cols), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      const T* xr = x + r * cols;
      const T* gr = gy + r * cols;
      const T rs = rstd[r];
      const T dot = T(acc_sum<T>(
                          cols,
                          [&](int64_t i) {
                            const B p = B::load_unaligned(gr + i) * B::load_unaligned(xr + i);
                            return w ? p * B::load_unaligned(w + i) : p;
                          },
                          [&](int64_t i) { return gr[i] * (w ? w[i] : T(1)) * xr[i]; }) /
                      double(cols));
      T* out = gx + r * cols;
      for (int64_t j = 0; j < cols; ++j) out[j] = rs * (gr[j] * (w ? w[j] : T(1)) - xr[j] * rs * rs * dot);
    }
  });
  if (gw) {
    parallel_for(cols, 64, [&](int64_t cb, int64_t ce) {
      auto f = [&](int64_t r, int64_t j) { return gy[r * cols + j] * x[r * cols + j] * rstd[r]; };
      column_sums(rows, cb, ce, gw, f, static_cast<T*>(nullptr), f);
    });
  }
}

#define GENLAB_INSTANTIATE(T)                                                                                     \
  template void sum<T>(const T*, T*, int64_t, int64_t, int64_t);                                                  \
  template void max<T>(const T*, T*, int64_t*, int64_t, int64_t, int64_t);                                        \
  template void softmax<T>(const T*, T*, int64_t, int64_t, bool);                                                 \
  template void softmax_backward<T>(const T*, const T*, T*, int64_t, int64_t, bool);                              \
  template void logsumexp_rows<T>(const T*, T*, int64_t, int64_t);                                                \
  template void layer_norm<T>(const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t, T);                     \
  template void layer_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*, int64_t,     \
                                       int64_t);                                                                  \
  template void rms_norm<T>(const T*, const T*, T*, T*, int64_t, int64_t, T);                                     \
  template void rms_norm_backward<T>(const T*, const T*, const T*, const T*, T*, T*, int64_t, int64_t);
GENLAB_INSTANTIATE(float)
GENLAB_INSTANTIATE(double)
#undef GENLAB_INSTANTIATE

}  // namespace genlab::cpu
