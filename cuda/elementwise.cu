// __global__ wrappers around the kernel bodies in kernels.cuh, and their launches.
#include <cuda_runtime.h>

#include <algorithm>

#include "genlab/backend/cuda.hpp"
#include "genlab/core/error.hpp"
#include "kernels.cuh"

namespace genlab::cuda {
namespace {
using kernels::DeviceCtx;

__global__ void unary_kernel(UnaryOp op, const float* x, float* y, int64_t n) {
  DeviceCtx c;
  kernels::unary_body(c, op, x, y, n);
}
__global__ void unary_backward_kernel(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, int64_t n) {
  DeviceCtx c;
  kernels::unary_backward_body(c, op, x, y, gy, gx, n);
}
__global__ void binary_kernel(BinaryOp op, const float* a, const float* b, int64_t bn, float* out, int64_t n) {
  DeviceCtx c;
  kernels::binary_body(c, op, a, b, bn, out, n);
}
__global__ void sum_rows_kernel(const float* x, float* out, int64_t rows, int64_t cols) {
  DeviceCtx c;
  kernels::sum_rows_body(c, x, out, rows, cols);
}

constexpr unsigned kBlock = 256;
unsigned grid_for(int64_t n) { return unsigned(std::clamp<int64_t>((n + kBlock - 1) / kBlock, 1, 65535)); }
void check_launch(const char* what) {
  cudaError_t e = cudaGetLastError();
  GENLAB_CHECK(e == cudaSuccess, "CUDA kernel ", what, " failed to launch: ", cudaGetErrorString(e));
}
}  // namespace

void unary(UnaryOp op, const float* x, float* y, int64_t n) {
  if (n == 0) return;
  unary_kernel<<<grid_for(n), kBlock>>>(op, x, y, n);
  check_launch("unary");
}
void unary_backward(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, int64_t n) {
  if (n == 0) return;
  unary_backward_kernel<<<grid_for(n), kBlock>>>(op, x, y, gy, gx, n);
  check_launch("unary_backward");
}
void binary(BinaryOp op, const float* a, const float* b, int64_t b_numel, float* out, int64_t n) {
  if (n == 0) return;
  binary_kernel<<<grid_for(n), kBlock>>>(op, a, b, b_numel, out, n);
  check_launch("binary");
}
void sum_rows(const float* x, float* out, int64_t rows, int64_t cols) {
  if (rows == 0) return;
  sum_rows_kernel<<<unsigned(std::min<int64_t>(rows, 65535)), kBlock, kBlock * sizeof(float)>>>(x, out, rows, cols);
  check_launch("sum_rows");
}

}  // namespace genlab::cuda
