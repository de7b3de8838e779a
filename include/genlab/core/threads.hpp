// Threading: OpenMP for CPU loops, sized by GENLAB_NUM_THREADS (default: all cores).
// OpenBLAS is the OpenMP flavour, so a GEMM called outside a parallel region uses
// the same pool and never oversubscribes; inside one it runs single-threaded.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace genlab {

int num_threads();
void set_num_threads(int n);

// Runs fn(begin, end) over [0, n) in chunks; threads only when n >= grain.
template <class F>
void parallel_for(int64_t n, int64_t grain, F&& fn) {
  if (n <= 0) return;
  if (n < grain || num_threads() == 1) { fn(int64_t(0), n); return; }
  int64_t chunks = std::min<int64_t>(num_threads(), (n + grain - 1) / grain);
#pragma omp parallel for num_threads(int(chunks)) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t b = n * c / chunks, e = n * (c + 1) / chunks;
    fn(b, e);
  }
}

// parallel_for over several arrays laid end to end, in one parallel region
// (an optimizer's parameters): fn(i, begin, end) runs on elements
// [begin, end) of array i.
template <class F>
void parallel_for_parts(const std::vector<int64_t>& sizes, int64_t grain, F&& fn) {
  int64_t total = 0;
  for (int64_t n : sizes) total += n;
  parallel_for(total, grain, [&](int64_t b, int64_t e) {
    int64_t offset = 0;
    for (size_t i = 0; i < sizes.size(); offset += sizes[i++]) {
      const int64_t s = std::max(b, offset), t = std::min(e, offset + sizes[i]);
      if (s < t) fn(i, s - offset, t - offset);
    }
  });
}

}  // namespace genlab
