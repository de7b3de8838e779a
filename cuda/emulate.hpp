// CPU emulation of a CUDA launch: every block runs its threads as std::threads
// sharing a shared-memory buffer, with sync() as a std::barrier, so kernel
// bodies of cuda/<group>.cuh run unchanged and their indexing, bounds and
// synchronisation are checked by tests without a GPU (and under ASan).
// Warps are consecutive groups of 32 threads; shfl_xor exchanges values
// through a per-warp mailbox and a warp-wide barrier, so, as with
// __shfl_xor_sync(0xffffffff, ...), every lane of the warp must take part.
#pragma once
#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstdint>
#include <cstring>
#include <deque>
#include <thread>
#include <vector>

#include "genlab/core/error.hpp"

namespace genlab::cuda::emulate {

struct Warp {
  explicit Warp(unsigned lanes) : lanes(lanes), bar(lanes) {}
  unsigned lanes;
  std::barrier<> bar;
  // Two mailboxes used in turn: a lane writes the next exchange's box only
  // after the barrier that every lane passes after reading this one's.
  uint64_t slot[2][32] = {};
};

struct Ctx {
  unsigned block_, thread_, block_dim_, grid_dim_;
  unsigned char* smem;
  std::barrier<>* bar;
  Warp* warp;
  mutable unsigned exchanges = 0;  // this lane's shfl_xor calls: picks the mailbox
  unsigned block() const { return block_; }
  unsigned thread() const { return thread_; }
  unsigned block_dim() const { return block_dim_; }
  unsigned grid_dim() const { return grid_dim_; }
  template <class T>
  T* shared() const { return reinterpret_cast<T*>(smem); }
  void sync() const { bar->arrive_and_wait(); }
  void atomic_add(float* p, float v) const { std::atomic_ref<float>(*p).fetch_add(v); }
  // The value of lane (this lane ^ mask) of this warp.
  template <class T>
  T shfl_xor(T v, unsigned mask) const {
    static_assert(sizeof(T) <= sizeof(uint64_t), "shfl_xor exchanges at most 8 bytes");
    const unsigned lane = thread_ % 32, src = lane ^ mask;
    GENLAB_CHECK(src < warp->lanes, "emulated shfl_xor: lane ", lane, " ^ ", mask, " is outside its warp of ", warp->lanes,
                 " threads (block of ", block_dim_, ")");
    uint64_t* box = warp->slot[exchanges++ % 2];
    std::memcpy(&box[lane], &v, sizeof v);
    warp->bar.arrive_and_wait();
    T out;
    std::memcpy(&out, &box[src], sizeof out);
    return out;
  }
};

// Runs body(ctx) for grid x block threads; blocks run one after another.
template <class Body>
void launch(unsigned grid, unsigned block, size_t shared_bytes, Body body) {
  GENLAB_CHECK(grid > 0 && block > 0 && block <= 1024, "emulate::launch: bad launch <<<", grid, ", ", block, ">>>");
  for (unsigned b = 0; b < grid; ++b) {
    std::vector<unsigned char> smem(shared_bytes);
    std::barrier<> bar(block);
    std::deque<Warp> warps;  // barriers do not move: a deque keeps them in place
    for (unsigned w = 0; w < block; w += 32) warps.emplace_back(std::min(32u, block - w));
    std::vector<std::thread> threads;
    threads.reserve(block);
    for (unsigned t = 0; t < block; ++t)
      threads.emplace_back([&, t] {
        Ctx c{b, t, block, grid, smem.data(), &bar, &warps[t / 32], 0};
        body(c);
      });
    for (auto& th : threads) th.join();
  }
}

}  // namespace genlab::cuda::emulate
