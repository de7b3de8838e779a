// CUDA backend entry points: raw device pointers and sizes in, no autograd.
// Defined in cuda/: cuda/select.cpp forwards each to the GPU implementation
// (cuda/*.cu when built with nvcc; without it, src/core/cuda_stub.cpp throws
// genlab::Error naming the missing build option) or to the emulated device.
// The kernels are listed in cuda_kernels.inc, from which all of these come.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/precision.hpp"  // set_float32_matmul_precision: TF32 for gemm

namespace genlab::cuda {

bool built();             // compiled with nvcc
int device_count();       // 0 when no GPU (or no driver); 1 when emulated
std::string pci_bus_id(); // of cuda:0 ("0000:1b:00.0", which NVML accepts); empty when emulated or unknown

// The emulated device: with GENLAB_CUDA_EMULATE=1 in the environment, or after
// set_emulated(true), "cuda:0" is host memory and the kernel bodies run through
// the CPU emulation harness (cuda/emulate.hpp; cuBLAS is replaced by the CPU
// GEMM), with or without nvcc. Every CUDA code path of the ops then runs
// without a GPU: for tests, and slow. Switch before creating CUDA tensors.
bool emulated();
void set_emulated(bool on);

void* malloc(size_t nbytes);
void free(void* p);
void memcpy_h2d(void* dst, const void* src, size_t nbytes);
void memcpy_d2h(void* dst, const void* src, size_t nbytes);
void memcpy_d2d(void* dst, const void* src, size_t nbytes);
void synchronize();

// Kernels (f32), listed in cuda_kernels.inc (one line each, with its contract)
// and declared from there.
#define GENLAB_CUDA_KERNEL(name, params, args) void name params;
#include "genlab/backend/cuda_kernels.inc"
#undef GENLAB_CUDA_KERNEL

// sort_rows sorts rows of up to kSortShared elements in shared memory, and
// keeps the first k of longer rows when k <= kSortShared / 2; ops::sort runs
// other sorts on the host.
constexpr int64_t kSortShared = 4096;
inline bool sort_on_device(int64_t n, int64_t k) { return n <= kSortShared || 2 * k <= kSortShared; }

// Row-major C = alpha op(A) op(B) + beta C through cuBLAS: FP32, or TF32
// tensor cores after set_float32_matmul_precision("high") (genlab/core/precision.hpp).
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace genlab::cuda
