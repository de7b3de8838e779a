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

// parallel_for over several arrays (an optimizer's parameters) in one
// parallel region: fn(i, begin, end) runs on elements [begin, end) of array i,
// and thread t takes the t-th slice of every array. The same slice of every
// array, rather than the arrays laid end to end and cut once, because a
// weight's rows are then updated by the thread whose GEMM pieces compute them
// (output features, and weight-gradient rows), so parameter, gradient and
// optimizer state stay in that core's cache: the 2-thread MLP step is 1-3%
// faster on a quiet machine and about 10% when the other vCPU is contended.
template <class F>
void parallel_for_parts(const std::vector<int64_t>& sizes, int64_t grain, F&& fn) {
  int64_t total = 0;
  for (int64_t n : sizes) total += n;
  const int64_t nt = num_threads() == 1 || total < grain ? 1 : std::min<int64_t>(num_threads(), (total + grain - 1) / grain);
  auto slice = [&](int64_t t) {
    for (size_t i = 0; i < sizes.size(); ++i) {
      const int64_t b = sizes[i] * t / nt, e = sizes[i] * (t + 1) / nt;
      if (b < e) fn(i, b, e);
    }
  };
  if (nt == 1) return slice(0);
#pragma omp parallel for num_threads(int(nt)) schedule(static)
  for (int64_t t = 0; t < nt; ++t) slice(t);
}

}  // namespace genlab
