// CPU emulation of a CUDA launch: every block runs its threads as std::threads
// sharing a shared-memory buffer, with sync() as a std::barrier, so kernel
// bodies from kernels.cuh run unchanged and their indexing, bounds and
// synchronisation are checked by tests without a GPU (and under ASan).
#pragma once
#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

#include "genlab/core/error.hpp"

namespace genlab::cuda::emulate {

struct Ctx {
  unsigned block_, thread_, block_dim_, grid_dim_;
  unsigned char* smem;
  std::barrier<>* bar;
  unsigned block() const { return block_; }
  unsigned thread() const { return thread_; }
  unsigned block_dim() const { return block_dim_; }
  unsigned grid_dim() const { return grid_dim_; }
  template <class T>
  T* shared() const { return reinterpret_cast<T*>(smem); }
  void sync() const { bar->arrive_and_wait(); }
  void atomic_add(float* p, float v) const { std::atomic_ref<float>(*p).fetch_add(v); }
};

// Runs body(ctx) for grid x block threads; blocks run one after another.
template <class Body>
void launch(unsigned grid, unsigned block, size_t shared_bytes, Body body) {
  GENLAB_CHECK(grid > 0 && block > 0 && block <= 1024, "emulate::launch: bad launch <<<", grid, ", ", block, ">>>");
  for (unsigned b = 0; b < grid; ++b) {
    std::vector<unsigned char> smem(shared_bytes);
    std::barrier<> bar(block);
    std::vector<std::thread> threads;
    threads.reserve(block);
    for (unsigned t = 0; t < block; ++t)
      threads.emplace_back([&, t] {
        Ctx c{b, t, block, grid, smem.data(), &bar};
        body(c);
      });
    for (auto& th : threads) th.join();
  }
}

}  // namespace genlab::cuda::emulate
