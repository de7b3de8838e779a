// What every CUDA kernel body shares: the host/device qualifier, block and
// warp reductions, and DeviceCtx, which maps a body's context calls to CUDA
// built-ins (the emulation harness's Ctx in emulate.hpp provides the same calls).
//
// A body takes a context `c` with block(), thread(), block_dim(), grid_dim(),
// shared<T>(), sync(), atomic_add() and shfl_xor(v, mask) (a butterfly
// exchange within the thread's warp of 32; every lane of the warp must call it).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define GENLAB_HD __host__ __device__
#else
#define GENLAB_HD
#endif

namespace genlab::cuda::kernels {

constexpr unsigned kWarp = 32;

// Combines one value per thread of the block through shared memory (a tree
// of halving strides; block_dim must be a power of two) and returns the
// result to every thread. `op` is a binary function, e.g. a sum or a max.
// Sums are reduced as double, and each thread's running sum is a double too,
// so a row of 1e7 floats rounds about once (a float running sum of 1e7 x 0.1
// is 1% off). Launches give block_dim floats of shared memory, room for
// block_dim / 2 doubles: the upper half of the threads first hands its
// values to the lower half (block_dim >= 2).
template <class T, class Ctx, class Op>
GENLAB_HD T block_reduce(Ctx& c, T v, Op op) {
  T* partial = c.template shared<T>();
  unsigned n = c.block_dim();
  if (sizeof(T) > sizeof(float)) {
    n /= 2;
    if (c.thread() >= n) partial[c.thread() - n] = v;
    c.sync();
    if (c.thread() < n) v = op(v, partial[c.thread()]);
    c.sync();
  }
  if (c.thread() < n) partial[c.thread()] = v;
  c.sync();
  for (unsigned stride = n / 2; stride > 0; stride /= 2) {
    if (c.thread() < stride) partial[c.thread()] = op(partial[c.thread()], partial[c.thread() + stride]);
    c.sync();
  }
  const T result = partial[0];
  c.sync();  // partial[] is reused by the next reduction
  return result;
}
struct Sum {
  GENLAB_HD double operator()(double a, double b) const { return a + b; }
};
struct Prod {
  GENLAB_HD double operator()(double a, double b) const { return a * b; }
};
struct Max {
  GENLAB_HD float operator()(float a, float b) const { return a > b ? a : b; }
};

// Reduces one value per thread over the `tpr` threads that share a row:
// a warp (tpr == 32, no barrier) or the whole block (tpr == block_dim, a
// multiple of 32: warp results meet in shared memory, 32 T at most). Every
// thread gets the result, bitwise the same: the butterfly combines the same
// groups in every lane (a + b == b + a), and the warps' results are folded in
// one order by all threads.
template <class T, class Ctx, class Op>
GENLAB_HD T row_reduce(Ctx& c, T v, Op op, unsigned tpr) {
  for (unsigned m = kWarp / 2; m > 0; m /= 2) v = op(v, c.shfl_xor(v, m));
  if (tpr == kWarp) return v;
  T* part = c.template shared<T>();
  if (c.thread() % kWarp == 0) part[c.thread() / kWarp] = v;
  c.sync();
  v = part[0];
  for (unsigned w = 1; w < tpr / kWarp; ++w) v = op(v, part[w]);
  c.sync();  // part[] is reused by the next reduction
  return v;
}

// ---- Launch geometry: a kernel (a struct whose `operator()(Ctx&)` is its
// body, see elementwise.cuh) says how it is launched by its `geometry()`; the
// GPU launcher (gpu_launch.cuh) and the emulated one (emulated.hpp) map it to
// their own block sizes, so a kernel states its shape once and each device
// keeps the launch sizes it measured best (256 threads on a GPU, 32 emulated).
struct Geometry {
  enum Kind : uint8_t {
    kElements,  // `count` independent items, grid-stride: blocks of the launcher's size
    kRows,      // one block per row (grid-stride over `count` rows), block_dim a power of two
    kBlocks,    // `count` blocks of exactly `block` threads (grid-stride when capped), sizes fixed by the kernel
  } kind = kElements;
  int64_t count = 0;             // 0: nothing to do, the launch is skipped
  size_t shared_per_thread = 0;  // bytes of shared memory per thread of the block (kElements, kRows)
  unsigned block = 0;            // kBlocks: threads per block
  size_t shared_bytes = 0;       // kBlocks: bytes of shared memory per block
};
inline Geometry elements(int64_t n) { return {Geometry::kElements, n, 0}; }
inline Geometry rows(int64_t rows, size_t shared_per_thread = sizeof(float)) {
  return {Geometry::kRows, rows, shared_per_thread};
}
inline Geometry blocks(int64_t count, unsigned block, size_t shared_bytes) {
  return {Geometry::kBlocks, count, 0, block, shared_bytes};
}

// The first index and the step of a grid-stride loop over this thread's items.
template <class Ctx>
GENLAB_HD int64_t grid_first(const Ctx& c) { return int64_t(c.block()) * c.block_dim() + c.thread(); }
template <class Ctx>
GENLAB_HD int64_t grid_step(const Ctx& c) { return int64_t(c.block_dim()) * c.grid_dim(); }

#if defined(__CUDACC__)
struct DeviceCtx {
  __device__ unsigned block() const { return blockIdx.x; }
  __device__ unsigned thread() const { return threadIdx.x; }
  __device__ unsigned block_dim() const { return blockDim.x; }
  __device__ unsigned grid_dim() const { return gridDim.x; }
  template <class T>
  __device__ T* shared() const {
    extern __shared__ unsigned char smem[];
    return reinterpret_cast<T*>(smem);
  }
  __device__ void sync() const { __syncthreads(); }
  __device__ void atomic_add(float* p, float v) const { atomicAdd(p, v); }
  template <class T>
  __device__ T shfl_xor(T v, unsigned mask) const { return __shfl_xor_sync(0xffffffffu, v, int(mask)); }
};
#endif

}  // namespace genlab::cuda::kernels
