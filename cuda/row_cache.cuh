// What the register-cached row kernels (softmax.cuh, norm.cuh) share: the
// plan that sizes them on the host, float4 loads and stores, pairwise sums and
// the walk over a block's rows.
//
// Rows that fit in registers take the cached kernels: a row is read from
// global memory once and written once, by one warp (up to 1024 floats) or one
// block (up to 16384), with float4 loads and stores where every row is
// 16-byte aligned. Longer rows take multi-pass block kernels, which read a row
// two or three times.
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
// The launch of a cached kernel with plan p over `rows` rows: blocks of
// p.block threads, rows_per_block rows each (the launcher caps the grid and
// the bodies grid-stride over rows).
inline Geometry plan_geometry(const RowPlan& p, int64_t rows) {
  return blocks((rows + p.rows_per_block() - 1) / p.rows_per_block(), p.block, p.shared_bytes());
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

// Calls row(r, live, slice, offset) for this thread's row of each group of
// rows_per_block rows, tpr threads per row, grid-striding. Every thread runs
// the same number of iterations (a row past the end is not `live`: it
// computes on nothing and stores nothing), since shuffles and barriers need
// them all.
template <int P, int C, class Ctx, class F>
GENLAB_HD void for_each_cached_row(Ctx& c, int64_t rows, int64_t cols, unsigned tpr, F&& row) {
  const unsigned rpb = c.block_dim() / tpr;
  for (int64_t base = int64_t(c.block()) * rpb; base < rows; base += int64_t(c.grid_dim()) * rpb) {
    const int64_t r = base + c.thread() / tpr;
    const bool live = r < rows;
    row(r, live, RowSlice<P, C>(c.thread() % tpr, tpr, cols, live), live ? r * cols : 0);
  }
}

}  // namespace genlab::cuda::kernels
