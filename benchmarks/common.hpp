// Timing helpers for the benchmark programs: medians of repeated runs.
#pragma once
#include <algorithm>
#include <chrono>
#include <vector>

namespace genlab::bench {

// Median seconds of `reps` calls of fn after `warmup` untimed calls.
template <class F>
double median_seconds(F&& fn, int reps = 11, int warmup = 2) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
  return t[size_t(reps / 2)];
}

}  // namespace genlab::bench
