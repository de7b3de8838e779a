// The two implementations behind genlab/backend/cuda.hpp, chosen at run time
// by cuda::emulated(): B = Gpu (cuda/*.cu, compiled by nvcc; stubs in
// src/core/cuda_stub.cpp without it) or Emulated (cuda/emulated*.cpp, the
// kernel bodies run on the host by the emulation harness). Each entry point
// is declared once here. A listed kernel (cuda_kernels.inc) has one
// definition, impl::name<B> in its group's cuda/<group>.cuh, which hands its
// kernel to B::launch; cuda/gpu_kernels.cu and cuda/emulated_kernels.cpp
// instantiate it for each B. Only the runtime entry points (memory, copies,
// gemm) are specialised per implementation by hand: runtime.cu, emulated.cpp.
#pragma once
#include "genlab/backend/cuda.hpp"

namespace genlab::cuda::impl {

// launch(k): runs kernel k (a struct with geometry() and a body
// operator()(Ctx&), see cuda/elementwise.cuh) on the device; defined in
// cuda/gpu_launch.cuh (nvcc only) and cuda/emulated.hpp.
struct Gpu {
  template <class K>
  static void launch(const K& k);
};
struct Emulated {
  template <class K>
  static void launch(const K& k);
};

#define GENLAB_CUDA_KERNEL(name, params, args) \
  template <class B>                           \
  void name params;
#include "genlab/backend/cuda_kernels.inc"
#undef GENLAB_CUDA_KERNEL

// Whether float32 GEMMs may use TF32 (set_float32_matmul_precision "high" or "medium").
bool tf32_allowed();

template <class B> int device_count();
template <class B> std::string pci_bus_id();
template <class B> void* malloc(size_t nbytes);
template <class B> void free(void* p);
template <class B> void memcpy_h2d(void* dst, const void* src, size_t nbytes);
template <class B> void memcpy_d2h(void* dst, const void* src, size_t nbytes);
template <class B> void memcpy_d2d(void* dst, const void* src, size_t nbytes);
template <class B> void synchronize();
// tf32: set_float32_matmul_precision allows TF32 (passed in, so the GPU
// library needs nothing from the host one)
template <class B>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, bool tf32);

}  // namespace genlab::cuda::impl
