// CUDA runtime entry points on a real GPU: device memory, copies,
// synchronisation, cuBLAS GEMM.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "genlab/core/error.hpp"
#include "impl.hpp"

namespace genlab::cuda {

bool built() { return true; }

namespace impl {
namespace {
void check(cudaError_t e, const char* what) {
  GENLAB_CHECK(e == cudaSuccess, "CUDA ", what, " failed: ", cudaGetErrorString(e));
}
void check_blas(cublasStatus_t s, const char* what) {
  GENLAB_CHECK(s == CUBLAS_STATUS_SUCCESS, "cuBLAS ", what, " failed with status ", int(s));
}
cublasHandle_t handle() {
  static cublasHandle_t h = [] {
    cublasHandle_t x;
    check_blas(cublasCreate(&x), "cublasCreate");
    return x;
  }();
  return h;
}
}  // namespace

template <>
int device_count<Gpu>() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: clear the sticky error
    return 0;
  }
  return n;
}

template <>
std::string pci_bus_id<Gpu>() {
  char id[64] = {};
  if (cudaDeviceGetPCIBusId(id, sizeof id, 0) != cudaSuccess) {
    cudaGetLastError();
    return "";
  }
  return id;
}

template <>
void* malloc<Gpu>(size_t nbytes) {
  void* p = nullptr;
  check(cudaMalloc(&p, nbytes), "cudaMalloc");
  return p;
}
template <>
void free<Gpu>(void* p) { check(cudaFree(p), "cudaFree"); }
template <>
void memcpy_h2d<Gpu>(void* dst, const void* src, size_t n) {
  check(cudaMemcpy(dst, src, n, cudaMemcpyHostToDevice), "memcpy h2d");
}
template <>
void memcpy_d2h<Gpu>(void* dst, const void* src, size_t n) {
  check(cudaMemcpy(dst, src, n, cudaMemcpyDeviceToHost), "memcpy d2h");
}
template <>
void memcpy_d2d<Gpu>(void* dst, const void* src, size_t n) {
  check(cudaMemcpy(dst, src, n, cudaMemcpyDeviceToDevice), "memcpy d2d");
}
template <>
void synchronize<Gpu>() { check(cudaDeviceSynchronize(), "synchronize"); }

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the
// operands. The compute type carries the precision per call (no handle state):
// CUBLAS_COMPUTE_32F_FAST_TF32 lets cuBLAS round the inputs to TF32 for the
// tensor cores, CUBLAS_COMPUTE_32F keeps FP32 (what cublasSgemm computes).
template <>
void gemm<Gpu>(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
               const float* b, int64_t ldb, float beta, float* c, int64_t ldc, bool tf32) {
  const cublasComputeType_t compute = tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  check_blas(cublasGemmEx(handle(), tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, int(n), int(m), int(k),
                          &alpha, b, CUDA_R_32F, int(ldb), a, CUDA_R_32F, int(lda), &beta, c, CUDA_R_32F, int(ldc), compute,
                          CUBLAS_GEMM_DEFAULT),
             tf32 ? "gemm (TF32)" : "gemm");
}

}  // namespace impl
}  // namespace genlab::cuda
