// impl::Emulated::launch: runs a kernel (a struct with geometry() and a body
// operator()(Ctx&), see elementwise.cuh) on the emulated device, through the
// emulation harness (emulate.hpp), with device memory open for the launch.
// Small launches keep the thread-per-CUDA-thread harness cheap.
#pragma once
#include <algorithm>
#include <cstdint>

#include "common.cuh"
#include "emulate.hpp"
#include "impl.hpp"

namespace genlab::cuda::impl {

// Device memory is readable and writable while at least one lives (emulated.cpp).
struct EmulatedAccess {
  EmulatedAccess();
  ~EmulatedAccess();
  EmulatedAccess(const EmulatedAccess&) = delete;
  EmulatedAccess& operator=(const EmulatedAccess&) = delete;
};

namespace emulated {
constexpr unsigned kBlock = 32, kMaxGrid = 4;  // a power of two, as the row reductions want
inline unsigned capped(int64_t blocks) { return unsigned(std::clamp<int64_t>(blocks, 1, kMaxGrid)); }
}  // namespace emulated

// The GPU's geometry scaled down: blocks of 32 threads and at most 4 blocks
// (the bodies grid-stride), except kBlocks, whose block size the kernel fixes.
template <class K>
void Emulated::launch(const K& k) {
  using kernels::Geometry;
  const Geometry g = k.geometry();
  if (g.count == 0) return;
  unsigned grid = 0, block = emulated::kBlock;
  size_t shared = emulated::kBlock * g.shared_per_thread;
  switch (g.kind) {
    case Geometry::kElements: grid = emulated::capped((g.count + emulated::kBlock - 1) / emulated::kBlock); break;
    case Geometry::kRows: grid = emulated::capped(g.count); break;  // one block per row
    case Geometry::kBlocks: grid = emulated::capped(g.count), block = g.block, shared = g.shared_bytes; break;
  }
  EmulatedAccess access;
  emulate::launch(grid, block, shared, [&](emulate::Ctx& c) { k(c); });
}

}  // namespace genlab::cuda::impl
