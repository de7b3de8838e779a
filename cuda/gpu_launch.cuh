// impl::Gpu::launch: runs a kernel (a struct with geometry() and a body
// operator()(Ctx&), see elementwise.cuh) on the GPU through one __global__
// template, so no kernel needs a wrapper of its own. nvcc only.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>

#include "common.cuh"
#include "genlab/core/error.hpp"
#include "impl.hpp"

namespace genlab::cuda::impl {
namespace gpu {

// The kernel struct arrives by value in the parameter space, as separate
// arguments did (at most 4 KB: ParamBatch-sized kernels fit).
template <class K>
__global__ void run(const K k) {
  kernels::DeviceCtx c;
  k(c);
}
// A kernel that declares `static constexpr unsigned max_threads` is compiled
// for blocks of at most that many threads (its __launch_bounds__), which lets
// ptxas give each thread more registers: the register-cached row kernels.
template <class K>
__global__ void __launch_bounds__(K::max_threads) run_bounded(const K k) {
  kernels::DeviceCtx c;
  k(c);
}

constexpr unsigned kBlock = 256;
constexpr int64_t kMaxGrid = 65535;
inline unsigned capped(int64_t blocks) { return unsigned(std::clamp<int64_t>(blocks, 1, kMaxGrid)); }

}  // namespace gpu

template <class K>
void Gpu::launch(const K& k) {
  using kernels::Geometry;
  const Geometry g = k.geometry();
  if (g.count == 0) return;
  unsigned grid = 0, block = gpu::kBlock;
  size_t shared = gpu::kBlock * g.shared_per_thread;
  switch (g.kind) {
    case Geometry::kElements: grid = gpu::capped((g.count + gpu::kBlock - 1) / gpu::kBlock); break;
    case Geometry::kRows: grid = gpu::capped(g.count); break;  // one block per row
    case Geometry::kBlocks: grid = gpu::capped(g.count), block = g.block, shared = g.shared_bytes; break;
  }
  if constexpr (requires { K::max_threads; }) gpu::run_bounded<K><<<grid, block, shared>>>(k);
  else gpu::run<K><<<grid, block, shared>>>(k);
  const cudaError_t e = cudaGetLastError();
  GENLAB_CHECK(e == cudaSuccess, "CUDA kernel ", K::name, " failed to launch: ", cudaGetErrorString(e));
}

}  // namespace genlab::cuda::impl
