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
inline unsigned grid_for(int64_t n) { return unsigned(std::clamp<int64_t>((n + kBlock - 1) / kBlock, 1, kMaxGrid)); }
// One block per row, as on the GPU (capped at kMaxGrid: the bodies grid-stride over rows).
inline unsigned grid_for_rows(int64_t rows) { return unsigned(std::min<int64_t>(rows, kMaxGrid)); }
}  // namespace emulated

template <class K>
void Emulated::launch(const K& k) {
  const kernels::Geometry g = k.geometry();
  if (g.count == 0) return;
  const bool rows = g.kind == kernels::Geometry::kRows;
  EmulatedAccess access;
  emulate::launch(rows ? emulated::grid_for_rows(g.count) : emulated::grid_for(g.count), emulated::kBlock,
                  emulated::kBlock * g.shared_per_thread, [&](emulate::Ctx& c) { k(c); });
}

}  // namespace genlab::cuda::impl
