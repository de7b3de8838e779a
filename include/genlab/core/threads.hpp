// Threading: OpenMP for CPU loops. The process default is the physical cores
// this process may use (its affinity mask, capped by a cgroup CPU quota), as
// PyTorch does; GENLAB_NUM_THREADS or OMP_NUM_THREADS override it.
// OpenBLAS is the OpenMP flavour, so a GEMM called outside a parallel region
// uses the same pool and never oversubscribes; inside one it runs single-threaded.
//
// The cost model: more threads are never slower when each op uses only as many
// threads as its work keeps busy. Every parallel loop states the work at which
// a second thread pays (its grain, measured: `genlab_bench OUT --only threads`
// prints the sweep) and runs on threads_for(work, grain) threads, fewer than
// num_threads() when the work is small.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace genlab {

int num_threads();
void set_num_threads(int n);
// What num_threads() starts at without GENLAB_NUM_THREADS / OMP_NUM_THREADS,
// and why ("2 physical cores in the affinity mask of 2 CPUs; no cgroup quota").
int default_num_threads();
std::string default_num_threads_reason();

namespace detail {  // the default's parts, tested with injected inputs
// CPUs a cgroup quota allows (cpu.max contents "400000 100000" -> 4), 0 for none.
int cgroup_cpu_limit(std::string_view cpu_max);
// Distinct (package, core) pairs of these CPUs under sysfs_cpu_dir; 0 when unreadable.
int physical_cores(const std::vector<int>& cpus, const std::string& sysfs_cpu_dir);
}  // namespace detail

// Threads for `work` units, where `grain` is the work at which a second thread
// starts to pay. Each further thread costs about as much to wake and join as
// the one before (a team's fork and barrier grow with its size), while saving
// less (work/(t-1) - work/t), so the t-th thread pays once
// work >= grain * t(t-1)/2: about sqrt(2 work / grain) threads, capped by
// num_threads(). With 2 threads this is the plain rule "thread from `grain`".
inline int threads_for(double work, double grain) {
  const int n = num_threads();
  if (n == 1 || !(work >= grain)) return 1;
  const double t = std::floor(0.5 + std::sqrt(0.25 + 2 * work / grain));
  return int(std::min<double>(n, t));
}

// Runs fn(begin, end) over [0, n) in threads_for(n, grain) chunks.
template <class F>
void parallel_for(int64_t n, int64_t grain, F&& fn) {
  if (n <= 0) return;
  const int64_t chunks = threads_for(double(n), double(grain));
  if (chunks == 1) { fn(int64_t(0), n); return; }
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
  const int64_t nt = threads_for(double(total), double(grain));
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
