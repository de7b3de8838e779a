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

constexpr unsigned kBlock = 256;
constexpr int64_t kMaxGrid = 65535;
inline unsigned grid_for(int64_t n) { return unsigned(std::clamp<int64_t>((n + kBlock - 1) / kBlock, 1, kMaxGrid)); }
inline unsigned grid_for_rows(int64_t rows) { return unsigned(std::min<int64_t>(rows, kMaxGrid)); }  // one block per row

}  // namespace gpu

template <class K>
void Gpu::launch(const K& k) {
  const kernels::Geometry g = k.geometry();
  if (g.count == 0) return;
  const bool rows = g.kind == kernels::Geometry::kRows;
  gpu::run<K><<<rows ? gpu::grid_for_rows(g.count) : gpu::grid_for(g.count), gpu::kBlock,
                gpu::kBlock * g.shared_per_thread>>>(k);
  const cudaError_t e = cudaGetLastError();
  GENLAB_CHECK(e == cudaSuccess, "CUDA kernel ", K::name, " failed to launch: ", cudaGetErrorString(e));
}

}  // namespace genlab::cuda::impl
