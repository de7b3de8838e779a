// The sorting CUDA kernel (mirroring src/cpu/sort.cpp): sort, argsort and
// topk of f32 rows, one block per row, with a bitonic network over items
// (key << 32 | index) in shared memory. Keys order floats as torch does
// (-0.0 equal to 0.0, NaN above +inf, descending flips them) and the index
// below the key makes every item distinct, so the unstable network gives the
// stable order. Rows of up to kSortShared elements are sorted in one pass;
// longer rows keep a running best k (k <= kSortShared / 2): the network sorts
// the best k so far with the next chunk. Other sorts run on the host
// (cuda::sort_on_device, ops::sort). Written once as a kernel struct (see
// elementwise.cuh and docs/adding_an_op.md).
#pragma once
#include <cstdint>
#include <cstring>

#include "common.cuh"
#include "genlab/core/error.hpp"
#include "impl.hpp"

namespace genlab::cuda::kernels {

GENLAB_HD inline uint64_t sort_item(float v, int64_t j, bool descending) {
  uint32_t u = 0xffffffffu;  // NaN: above every number
  if (v == v) {
    const float w = v == 0.f ? 0.f : v;  // -0.0 ties with 0.0
    memcpy(&u, &w, sizeof u);
    u = (u >> 31) ? ~u : u | 0x80000000u;
  }
  return uint64_t(descending ? ~u : u) << 32 | uint64_t(j);
}

// Sorts width items of s ascending (width a power of two); every thread of
// the block takes part, and s is complete when it returns.
template <class Ctx>
GENLAB_HD void bitonic_sort(Ctx& c, uint64_t* s, unsigned width) {
  for (unsigned size = 2; size <= width; size *= 2)
    for (unsigned stride = size / 2; stride > 0; stride /= 2) {
      for (unsigned p = c.thread(); p < width / 2; p += c.block_dim()) {
        const unsigned i = 2 * p - (p & (stride - 1)), j = i + stride;
        const uint64_t a = s[i], b = s[j];
        if ((a > b) == ((i & size) == 0)) s[i] = b, s[j] = a;
      }
      c.sync();
    }
}

// The first k of each row of x [outer, n, inner] (rows along the middle
// axis) into values and indices [outer, k, inner]; grid-stride over the
// outer * inner rows. `width` slots (a power of two): n <= width takes one
// pass; otherwise k < width / 2 and chunks of width - k follow. Empty slots
// hold ~0, which sorts last.
struct SortRows {
  const float* x;
  float* values;
  int64_t* indices;
  int64_t outer, n, inner, k;
  bool descending;
  unsigned width;
  static constexpr const char* name = "sort_rows";
  static constexpr unsigned max_threads = 512;
  Geometry geometry() const {
    const unsigned threads = width / 2 < max_threads ? (width / 2 > 0 ? width / 2 : 1) : max_threads;
    return blocks(k == 0 ? 0 : outer * inner, threads, width * sizeof(uint64_t));
  }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    uint64_t* s = c.template shared<uint64_t>();
    const unsigned t = c.thread();
    for (int64_t r = c.block(); r < outer * inner; r += c.grid_dim()) {
      const int64_t base = r / inner * n * inner + r % inner;
      int64_t next = 0, kept = 0;  // items read so far; slots [0, kept) hold the best of them
      do {
        const int64_t room = int64_t(width) - kept, take = room < n - next ? room : n - next;
        for (int64_t j = t; j < room; j += c.block_dim())
          s[kept + j] = j < take ? sort_item(x[base + (next + j) * inner], next + j, descending) : ~uint64_t(0);
        c.sync();
        bitonic_sort(c, s, width);
        next += take;
        kept = k;
      } while (next < n);
      const int64_t out = r / inner * k * inner + r % inner;
      for (int64_t j = t; j < k; j += c.block_dim()) {
        const int64_t at = int64_t(s[j] & 0xffffffffu);
        values[out + j * inner] = x[base + at * inner];  // the input's own value (-0.0, NaN payloads)
        indices[out + j * inner] = at;
      }
      c.sync();  // s is reused by the next row
    }
  }
};

}  // namespace genlab::cuda::kernels

// ---- Entry points (listed in genlab/backend/cuda_kernels.inc).
namespace genlab::cuda::impl {

template <class B>
void sort_rows(const float* x, float* values, int64_t* indices, int64_t outer, int64_t n, int64_t inner, int64_t k,
               bool descending) {
  GENLAB_CHECK(sort_on_device(n, k), "cuda::sort_rows: rows of ", n, " elements keeping ", k,
               " do not fit the shared-memory sort (ops::sort runs them on the host)");
  unsigned width = 2;
  while (width < uint64_t(n) && width < uint64_t(kSortShared)) width *= 2;
  B::launch(kernels::SortRows{x, values, indices, outer, n, inner, k, descending, width});
}

}  // namespace genlab::cuda::impl
