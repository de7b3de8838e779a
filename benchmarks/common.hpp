// Helpers for the benchmark programs: timing, medians of repeated runs, and
// the benchmark MLP's training step.
#pragma once
#include <algorithm>
#include <chrono>
#include <genlab/genlab.hpp>
#include <vector>

namespace genlab::bench {

// Seconds one call of fn takes.
template <class F>
double seconds_of(F&& fn) {
  auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// One Adam step of the benchmark MLP on a batch, moved to the model's device
// (a no-op on the CPU).
inline void mlp_step(models::MLP& net, optim::Adam& opt, const data::Batch& b, Device device) {
  Tensor loss = ops::cross_entropy(net(b.x.to(device)), b.y.to(device));
  opt.zero_grad();
  loss.backward();
  opt.step();
}

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
