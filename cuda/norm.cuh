// Row-wise kernels over contiguous f32 rows: softmax / log_softmax and
// LayerNorm / RMSNorm, forward and backward.
//
// Rows that fit in registers take the cached kernels: a row is read from
// global memory once and written once, by one warp (up to 1024 floats) or one
// block (up to 16384), with float4 loads and stores where every row is
// 16-byte aligned. Longer rows take the multi-pass block kernels at the end,
// which read a row two or three times.
//
// Numerics (issue 7: a row of 1e7 floats must not drift): each thread of a
// cached kernel sums its <= 32 values pairwise in float (error <= 5u of their
// magnitudes) and the threads' partial sums meet in double, so a row's sum is
// off by at most 5u sum|x| (tested against numpy float64 statistics on rows
// of 1000 to 16384); the multi-pass kernels keep a double running sum per thread.
#pragma once
#include <cstdint>
#include <type_traits>

#include "common.cuh"
#include "genlab/core/error.hpp"

#if defined(__CUDA_ARCH__)
#define GENLAB_UNROLL _Pragma("unroll")
#else
#define GENLAB_UNROLL
#endif

namespace genlab::cuda::kernels {

// ---- Geometry of the cached kernels: chosen on the host, used by the GPU
// and the emulated launches alike so both run the same instantiations.
constexpr int kMaxChunks = 8;  // packs per thread held in registers (forward)
constexpr int kBackwardChunks = kMaxChunks / 2;  // the backward caches two arrays
// Threads per block of a cached kernel (its __launch_bounds__): 512 leaves 128
// registers a thread, room for 8 float4 chunks without spilling.
constexpr unsigned kMaxRowThreads = 512;
struct RowPlan {
  int pack = 1;          // floats per load: 4 (float4) when every row is 16-byte aligned, else 1
  int chunks = 0;        // packs per thread; 0: the row is too long to cache
  unsigned threads = 0;  // threads per row: a warp, or a whole block of 64..kMaxRowThreads
  unsigned block = 0;    // threads per block
  unsigned rows_per_block() const { return block / threads; }
  size_t shared_bytes() const { return threads > kWarp ? 32 * sizeof(double) : 0; }  // row_reduce's warp results
};
inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }  // null counts as aligned
inline RowPlan plan_rows(int64_t cols, bool aligned, int max_chunks = kMaxChunks) {
  RowPlan p;
  p.pack = aligned && cols % 4 == 0 ? 4 : 1;
  const int64_t packs = (cols + p.pack - 1) / p.pack;
  if (packs <= int64_t(kWarp) * max_chunks) {
    p.threads = kWarp;
    p.block = 4 * kWarp;  // four rows per block
  } else {
    unsigned t = 64;  // about 4 packs per thread: loads in flight, registers to spare
    while (t < kMaxRowThreads && int64_t(t) * 4 < packs) t *= 2;
    if (packs > int64_t(t) * max_chunks) return p;
    p.threads = p.block = t;
  }
  p.chunks = int((packs + p.threads - 1) / p.threads);
  return p;
}
inline unsigned plan_grid(const RowPlan& p, int64_t rows, int64_t max_grid) {
  const int64_t blocks = (rows + p.rows_per_block() - 1) / p.rows_per_block();
  return unsigned(blocks < max_grid ? blocks : max_grid);  // the bodies grid-stride over rows
}
template <int N>
using Int = std::integral_constant<int, N>;
// Calls f(Int<pack>{}, Int<chunks>{}): the plan as template arguments,
// instantiated for chunks up to MaxChunks only.
template <int MaxChunks = kMaxChunks, class F>
void dispatch_plan(const RowPlan& p, F&& f) {
  auto by_chunks = [&](auto pack) {
    auto call = [&](auto chunks) {
      if constexpr (decltype(chunks)::value <= MaxChunks) f(pack, chunks);
    };
    GENLAB_CHECK(p.chunks >= 1 && p.chunks <= MaxChunks, "cached row kernel: ", p.chunks,
                 " chunks per thread are not instantiated (1..", MaxChunks, ")");
    switch (p.chunks) {
      case 1: return call(Int<1>{});
      case 2: return call(Int<2>{});
      case 3: return call(Int<3>{});
      case 4: return call(Int<4>{});
      case 5: return call(Int<5>{});
      case 6: return call(Int<6>{});
      case 7: return call(Int<7>{});
      default: return call(Int<8>{});
    }
  };
  if (p.pack == 4) by_chunks(Int<4>{});
  else by_chunks(Int<1>{});
}

// ---- Register-cached rows.
template <int P>
GENLAB_HD inline void load_pack(const float* p, float* v) {
#if defined(__CUDA_ARCH__)
  if constexpr (P == 4) {
    const float4 t = *reinterpret_cast<const float4*>(p);
    v[0] = t.x, v[1] = t.y, v[2] = t.z, v[3] = t.w;
  } else {
    for (int i = 0; i < P; ++i) v[i] = p[i];
  }
#else
  if constexpr (P == 4) GENLAB_CHECK(aligned16(p), "float4 load from a misaligned address");  // faults on a GPU
  for (int i = 0; i < P; ++i) v[i] = p[i];
#endif
}
template <int P>
GENLAB_HD inline void store_pack(float* p, const float* v) {
#if defined(__CUDA_ARCH__)
  if constexpr (P == 4) {
    *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
  } else {
    for (int i = 0; i < P; ++i) p[i] = v[i];
  }
#else
  if constexpr (P == 4) GENLAB_CHECK(aligned16(p), "float4 store to a misaligned address");
  for (int i = 0; i < P; ++i) p[i] = v[i];
#endif
}
// Sum of N floats as a balanced tree: error <= log2(N) u sum|a|.
template <int N>
GENLAB_HD inline float pairwise_sum(const float (&a)[N]) {
  float t[N];
  GENLAB_UNROLL for (int k = 0; k < N; ++k) t[k] = a[k];
  GENLAB_UNROLL for (int w = 1; w < N; w *= 2) {
    GENLAB_UNROLL for (int k = 0; k + w < N; k += 2 * w) t[k] += t[k + w];
  }
  return t[0];
}
// Where this thread's packs of a row lie: pack i starts at column (i * tpr + t) * P.
template <int P, int C>
struct RowSlice {
  int64_t col[C];
  bool ok[C];  // inside the row (a whole pack: P = 4 only when cols % 4 == 0)
  GENLAB_HD RowSlice(unsigned t, unsigned tpr, int64_t cols, bool live) {
    GENLAB_UNROLL for (int i = 0; i < C; ++i) {
      col[i] = (int64_t(i) * tpr + t) * P;
      ok[i] = live && col[i] < cols;
    }
  }
  // v[i * P + p] = row[col[i] + p], or `pad` outside the row
  GENLAB_HD void load(const float* row, float (&v)[P * C], float pad) const {
    GENLAB_UNROLL for (int i = 0; i < C; ++i) {
      if (ok[i]) load_pack<P>(row + col[i], v + i * P);
      else {
        GENLAB_UNROLL for (int p = 0; p < P; ++p) v[i * P + p] = pad;
      }
    }
  }
};
// The cached bodies grid-stride over groups of rows_per_block rows; every
// thread runs the same number of iterations (a row past the end computes on
// nothing and stores nothing), since shuffles and barriers need them all.
// Softmax (or log-softmax) of rows of x, tpr threads per row, P * C values per thread.
template <int P, int C, class Ctx>
GENLAB_HD void softmax_cached_body(Ctx& c, const float* x, float* y, int64_t rows, int64_t cols, bool log, unsigned tpr) {
  constexpr int N = P * C;
  const unsigned rpb = c.block_dim() / tpr;
  for (int64_t base = int64_t(c.block()) * rpb; base < rows; base += int64_t(c.grid_dim()) * rpb) {
    const int64_t r = base + c.thread() / tpr;
    const bool live = r < rows;
    const RowSlice<P, C> s(c.thread() % tpr, tpr, cols, live);
    const int64_t off = live ? r * cols : 0;
    float v[N], e[N];
    s.load(x + off, v, -INFINITY);
    float m = -INFINITY;
    GENLAB_UNROLL for (int k = 0; k < N; ++k) m = v[k] > m ? v[k] : m;  // NaN is skipped here and poisons the sum
    m = row_reduce(c, m, Max{}, tpr);
    // exp is taken again for the output: only the row stays in registers across the sum
    GENLAB_UNROLL for (int k = 0; k < N; ++k) e[k] = s.ok[k / P] ? expf(v[k] - m) : 0.f;
    const double sum = row_reduce(c, double(pairwise_sum(e)), Sum{}, tpr);
    const float log_s = float(::log(sum)), inv_s = float(1.0 / sum);
    GENLAB_UNROLL for (int i = 0; i < C; ++i) {
      if (!s.ok[i]) continue;
      float out[P];
      GENLAB_UNROLL for (int p = 0; p < P; ++p) {
        const float z = v[i * P + p] - m;
        out[p] = log ? z - log_s : expf(z) * inv_s;
      }
      store_pack<P>(y + off + s.col[i], out);
    }
  }
}

// Softmax's backward from the output y: softmax gx = y (gy - sum(gy y)),
// log-softmax gx = gy - exp(y) sum(gy).
template <int P, int C, class Ctx>
GENLAB_HD void softmax_backward_cached_body(Ctx& c, const float* y, const float* gy, float* gx, int64_t rows,
                                            int64_t cols, bool log, unsigned tpr) {
  constexpr int N = P * C;
  const unsigned rpb = c.block_dim() / tpr;
  for (int64_t base = int64_t(c.block()) * rpb; base < rows; base += int64_t(c.grid_dim()) * rpb) {
    const int64_t r = base + c.thread() / tpr;
    const bool live = r < rows;
    const RowSlice<P, C> s(c.thread() % tpr, tpr, cols, live);
    const int64_t off = live ? r * cols : 0;
    float yv[N], g[N], t[N];
    s.load(y + off, yv, 0.f);
    s.load(gy + off, g, 0.f);
    GENLAB_UNROLL for (int k = 0; k < N; ++k) t[k] = log ? g[k] : g[k] * yv[k];
    const float sum = float(row_reduce(c, double(pairwise_sum(t)), Sum{}, tpr));
    GENLAB_UNROLL for (int i = 0; i < C; ++i) {
      if (!s.ok[i]) continue;
      float out[P];
      GENLAB_UNROLL for (int p = 0; p < P; ++p) {
        const int k = i * P + p;
        out[p] = log ? g[k] - expf(yv[k]) * sum : yv[k] * (g[k] - sum);
      }
      store_pack<P>(gx + off + s.col[i], out);
    }
  }
}

// LayerNorm (mean given: row means saved there) or RMSNorm (mean null) of
// rows of x: y = (x - mu) rstd w + b, rstd = 1 / sqrt(mean((x - mu)^2) + eps);
// w and b may be null.
template <int P, int C, class Ctx>
GENLAB_HD void norm_rows_cached_body(Ctx& c, const float* x, const float* w, const float* b, float* y, float* mean,
                                     float* rstd, int64_t rows, int64_t cols, float eps, unsigned tpr) {
  constexpr int N = P * C;
  const unsigned rpb = c.block_dim() / tpr;
  for (int64_t base = int64_t(c.block()) * rpb; base < rows; base += int64_t(c.grid_dim()) * rpb) {
    const int64_t r = base + c.thread() / tpr;
    const bool live = r < rows;
    const RowSlice<P, C> s(c.thread() % tpr, tpr, cols, live);
    const int64_t off = live ? r * cols : 0;
    float v[N], d[N];
    s.load(x + off, v, 0.f);
    // the same branch for every thread, so all reach the reductions
    const float mu = mean ? float(row_reduce(c, double(pairwise_sum(v)), Sum{}, tpr) / double(cols)) : 0.f;
    GENLAB_UNROLL for (int k = 0; k < N; ++k) d[k] = s.ok[k / P] ? (v[k] - mu) * (v[k] - mu) : 0.f;
    const double var = row_reduce(c, double(pairwise_sum(d)), Sum{}, tpr) / double(cols);
    const float rs = float(1.0 / ::sqrt(var + double(eps)));
    if (live && c.thread() % tpr == 0) {
      if (mean) mean[r] = mu;
      rstd[r] = rs;
    }
    GENLAB_UNROLL for (int i = 0; i < C; ++i) {
      if (!s.ok[i]) continue;
      float wv[P] = {}, bv[P] = {}, out[P];
      if (w) load_pack<P>(w + s.col[i], wv);
      if (b) load_pack<P>(b + s.col[i], bv);
      GENLAB_UNROLL for (int p = 0; p < P; ++p)
        out[p] = (v[i * P + p] - mu) * rs * (w ? wv[p] : 1.f) + (b ? bv[p] : 0.f);
      store_pack<P>(y + off + s.col[i], out);
    }
  }
}

// Its input gradient: with g = gy w and xhat = (x - mu) rstd,
// gx = rstd (g - mean(g) - xhat mean(g xhat)); RMSNorm drops mean(g).
template <int P, int C, class Ctx>
GENLAB_HD void norm_rows_backward_cached_body(Ctx& c, const float* x, const float* w, const float* mean,
                                              const float* rstd, const float* gy, float* gx, int64_t rows, int64_t cols,
                                              unsigned tpr) {
  constexpr int N = P * C;
  const unsigned rpb = c.block_dim() / tpr;
  for (int64_t base = int64_t(c.block()) * rpb; base < rows; base += int64_t(c.grid_dim()) * rpb) {
    const int64_t r = base + c.thread() / tpr;
    const bool live = r < rows;
    const RowSlice<P, C> s(c.thread() % tpr, tpr, cols, live);
    const int64_t off = live ? r * cols : 0;
    const float mu = live && mean ? mean[r] : 0.f, rs = live ? rstd[r] : 0.f;
    float xh[N], g[N], t[N];
    s.load(x + off, xh, 0.f);
    s.load(gy + off, g, 0.f);
    GENLAB_UNROLL for (int i = 0; i < C; ++i) {
      float wv[P] = {};
      if (w && s.ok[i]) load_pack<P>(w + s.col[i], wv);
      GENLAB_UNROLL for (int p = 0; p < P; ++p) {
        const int k = i * P + p;
        g[k] *= w && s.ok[i] ? wv[p] : 1.f;
        xh[k] = (xh[k] - mu) * rs;
        t[k] = s.ok[i] ? g[k] * xh[k] : 0.f;
      }
    }
    const float sgx = float(row_reduce(c, double(pairwise_sum(t)), Sum{}, tpr) / double(cols));
    const float sg = mean ? float(row_reduce(c, double(pairwise_sum(g)), Sum{}, tpr) / double(cols)) : 0.f;
    GENLAB_UNROLL for (int i = 0; i < C; ++i) {
      if (!s.ok[i]) continue;
      float out[P];
      GENLAB_UNROLL for (int p = 0; p < P; ++p) out[p] = rs * (g[i * P + p] - sg - xh[i * P + p] * sgx);
      store_pack<P>(gx + off + s.col[i], out);
    }
  }
}

// ---- Multi-pass block kernels for rows too long to cache: one block per
// row (grid-stride over rows), a double running sum per thread, block
// reductions through block_dim floats of shared memory.
template <class Ctx>
GENLAB_HD void softmax_body(Ctx& c, const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float m = -INFINITY;
    for (int64_t j = c.thread(); j < cols; j += c.block_dim()) m = xr[j] > m ? xr[j] : m;
    m = block_reduce(c, m, Max{});
    double s = 0;
    for (int64_t j = c.thread(); j < cols; j += c.block_dim()) s += expf(xr[j] - m);
    s = block_reduce(c, s, Sum{});
    const float log_s = float(::log(s)), inv_s = float(1.0 / s);
    for (int64_t j = c.thread(); j < cols; j += c.block_dim()) yr[j] = log ? (xr[j] - m) - log_s : expf(xr[j] - m) * inv_s;
  }
}
template <class Ctx>
GENLAB_HD void softmax_backward_body(Ctx& c, const float* y, const float* gy, float* gx, int64_t rows, int64_t cols,
                                     bool log) {
  for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
    const float *yr = y + r * cols, *gr = gy + r * cols;
    float* xr = gx + r * cols;
    double sd = 0;
    for (int64_t j = c.thread(); j < cols; j += c.block_dim()) sd += log ? gr[j] : gr[j] * yr[j];
    const float s = float(block_reduce(c, sd, Sum{}));
    for (int64_t j = c.thread(); j < cols; j += c.block_dim()) xr[j] = log ? gr[j] - expf(yr[j]) * s : yr[j] * (gr[j] - s);
  }
}
template <class Ctx>
GENLAB_HD void norm_rows_body(Ctx& c, const float* x, const float* w, const float* b, float* y, float* mean, float* rstd,
                              int64_t rows, int64_t cols, float eps) {
  for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
    const float* xr = x + r * cols;
    float mu = 0.f;
    if (mean) {
      double s = 0;
      for (int64_t j = c.thread(); j < cols; j += c.block_dim()) s += xr[j];
      mu = float(block_reduce(c, s, Sum{}) / double(cols));
    }
    double ss = 0;
    for (int64_t j = c.thread(); j < cols; j += c.block_dim()) ss += (xr[j] - mu) * (xr[j] - mu);
    const float rs = float(1.0 / ::sqrt(block_reduce(c, ss, Sum{}) / double(cols) + double(eps)));
    if (c.thread() == 0) {
      if (mean) mean[r] = mu;
      rstd[r] = rs;
    }
    for (int64_t j = c.thread(); j < cols; j += c.block_dim())
      y[r * cols + j] = (xr[j] - mu) * rs * (w ? w[j] : 1.f) + (b ? b[j] : 0.f);
  }
}
template <class Ctx>
GENLAB_HD void norm_rows_backward_body(Ctx& c, const float* x, const float* w, const float* mean, const float* rstd,
                                       const float* gy, float* gx, int64_t rows, int64_t cols) {
  for (int64_t r = c.block(); r < rows; r += c.grid_dim()) {
    const float *xr = x + r * cols, *gr = gy + r * cols;
    const float mu = mean ? mean[r] : 0.f, rs = rstd[r];
    double dg = 0, dgx = 0;
    for (int64_t j = c.thread(); j < cols; j += c.block_dim()) {
      const float g = gr[j] * (w ? w[j] : 1.f);
      dg += g;
      dgx += g * (xr[j] - mu) * rs;
    }
    const float sg = mean ? float(block_reduce(c, dg, Sum{}) / double(cols)) : 0.f;
    const float sgx = float(block_reduce(c, dgx, Sum{}) / double(cols));
    for (int64_t j = c.thread(); j < cols; j += c.block_dim())
      gx[r * cols + j] = rs * (gr[j] * (w ? w[j] : 1.f) - sg - (xr[j] - mu) * rs * sgx);
  }
}

// The parameters' gradients, column sums over rows (one thread per column,
// grid-stride): gw[j] = sum_r gy * xhat, gb[j] = sum_r gy; either may be null.
template <class Ctx>
GENLAB_HD void norm_param_grads_body(Ctx& c, const float* x, const float* mean, const float* rstd, const float* gy,
                                     float* gw, float* gb, int64_t rows, int64_t cols) {
  for (int64_t j = int64_t(c.block()) * c.block_dim() + c.thread(); j < cols; j += int64_t(c.block_dim()) * c.grid_dim()) {
    double sw = 0, sb = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const float g = gy[r * cols + j];
      sw += g * (x[r * cols + j] - (mean ? mean[r] : 0.f)) * rstd[r];
      sb += g;
    }
    if (gw) gw[j] = float(sw);
    if (gb) gb[j] = float(sb);
  }
}

}  // namespace genlab::cuda::kernels
