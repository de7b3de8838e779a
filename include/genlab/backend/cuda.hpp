// CUDA backend entry points: raw device pointers and sizes in, no autograd.
// Defined in cuda/ when genlab is built with CUDA (GENLAB_HAS_CUDA=1); without
// it, calling them throws genlab::Error naming the missing build option.
#pragma once
#include <cstddef>
#include <cstdint>

#include "genlab/backend/cpu.hpp"

namespace genlab::cuda {

bool built();             // compiled with nvcc
int device_count();       // 0 when no GPU (or no driver)
void* malloc(size_t nbytes);
void free(void* p);
void memcpy_h2d(void* dst, const void* src, size_t nbytes);
void memcpy_d2h(void* dst, const void* src, size_t nbytes);
void memcpy_d2d(void* dst, const void* src, size_t nbytes);
void synchronize();

// Kernels (f32). Same contracts as their cpu:: namesakes; binary takes
// contiguous same-shape inputs or a scalar b (b_numel == 1).
void unary(UnaryOp op, const float* x, float* y, int64_t n);
void unary_backward(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, int64_t n);
void binary(BinaryOp op, const float* a, const float* b, int64_t b_numel, float* out, int64_t n);
void sum_rows(const float* x, float* out, int64_t rows, int64_t cols);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace genlab::cuda
