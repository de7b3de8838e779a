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
// and declared from there; the groups not yet moved there follow.
#define GENLAB_CUDA_KERNEL(name, params, args) void name params;
#include "genlab/backend/cuda_kernels.inc"
#undef GENLAB_CUDA_KERNEL

void sum_rows(const float* x, float* out, int64_t rows, int64_t cols);
// Row-wise softmax / log_softmax over `cols` (f32, contiguous), and their backward.
void softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log);
void softmax_backward(const float* y, const float* gy, float* gx, int64_t rows, int64_t cols, bool log);
// Row-wise normalisation over `cols` (f32, contiguous): LayerNorm when `mean`
// is non-null (row means saved there), RMSNorm when it is null; rstd gets
// 1 / sqrt(var + eps) per row; w and b may be null. The backward fills gx and
// the column sums gw, gb (either may be null).
void norm_rows(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd, int64_t rows,
               int64_t cols, float eps);
void norm_rows_backward(const float* x, const float* w, const float* mean, const float* rstd, const float* gy, float* gx,
                        float* gw, float* gb, int64_t rows, int64_t cols);
// Fused mean cross-entropy over logits [rows, cols] (f32) and int64 class
// indices: per-row losses and log-sum-exps; the backward writes gx given
// scale = upstream gradient / number of rows not ignored.
void cross_entropy_rows(const float* x, const int64_t* target, float* loss, float* lse, int64_t rows, int64_t cols,
                        int64_t ignore_index, float smoothing);
void cross_entropy_backward(const float* x, const int64_t* target, const float* lse, float* gx, int64_t rows,
                            int64_t cols, int64_t ignore_index, float smoothing, float scale);
// Optimizer steps over all parameters at once, as cpu::adam_step and
// cpu::sgd_step: one launch per kernels::kParamsPerLaunch parameters.
void adam_step(const std::vector<cpu::AdamParam<float>>& params, float beta1, float beta2, float eps, float step_size,
               float rbc2, float decay, float l2);
void sgd_step(const std::vector<cpu::SgdParam<float>>& params, float lr, float weight_decay, float momentum,
              float dampening, bool nesterov);
// Max over each row of x [rows, cols] with its index (first max; NaN wins),
// and the backward scatter into gx (zeroed) viewed as [outer, r, inner].
void max_rows(const float* x, float* out, int64_t* arg, int64_t rows, int64_t cols);
void max_backward(const float* g, const int64_t* arg, float* gx, int64_t outer, int64_t r, int64_t inner);
// Rows of src [outer, src_n, inner] picked by int64 indices into out
// [outer, n, inner]: index[i] per row i (index_select, embedding) or, when
// per_element, one index per element of out (gather). The backward adds g
// into gsrc (zeroed), repeated indices accumulating.
void index_rows(const float* src, const int64_t* index, bool per_element, float* out, int64_t outer, int64_t src_n,
                int64_t n, int64_t inner);
void index_rows_backward(const float* g, const int64_t* index, bool per_element, float* gsrc, int64_t outer,
                         int64_t src_n, int64_t n, int64_t inner);
// Row-major C = alpha op(A) op(B) + beta C through cuBLAS: FP32, or TF32
// tensor cores after set_float32_matmul_precision("high") (genlab/core/precision.hpp).
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace genlab::cuda
