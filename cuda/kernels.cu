// __global__ wrappers around the kernel bodies in kernels.cuh (and norm.cuh), and their launches;
// the listed kernels (elementwise.cuh) are launched by gpu_launch.cuh instead.
#include <cuda_runtime.h>

#include <algorithm>

#include "genlab/core/error.hpp"
#include "impl.hpp"
#include "kernels.cuh"

namespace genlab::cuda::impl {
namespace {
using kernels::DeviceCtx;

__global__ void sum_rows_kernel(const float* x, float* out, int64_t rows, int64_t cols) {
  DeviceCtx c;
  kernels::sum_rows_body(c, x, out, rows, cols);
}
__global__ void softmax_kernel(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  DeviceCtx c;
  kernels::softmax_body(c, x, y, rows, cols, log);
}
__global__ void softmax_backward_kernel(const float* y, const float* gy, float* gx, int64_t rows, int64_t cols, bool log) {
  DeviceCtx c;
  kernels::softmax_backward_body(c, y, gy, gx, rows, cols, log);
}
__global__ void norm_rows_kernel(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd,
                                 int64_t rows, int64_t cols, float eps) {
  DeviceCtx c;
  kernels::norm_rows_body(c, x, w, b, y, mean, rstd, rows, cols, eps);
}
__global__ void norm_rows_backward_kernel(const float* x, const float* w, const float* mean, const float* rstd,
                                          const float* gy, float* gx, int64_t rows, int64_t cols) {
  DeviceCtx c;
  kernels::norm_rows_backward_body(c, x, w, mean, rstd, gy, gx, rows, cols);
}
__global__ void norm_param_grads_kernel(const float* x, const float* mean, const float* rstd, const float* gy, float* gw,
                                        float* gb, int64_t rows, int64_t cols) {
  DeviceCtx c;
  kernels::norm_param_grads_body(c, x, mean, rstd, gy, gw, gb, rows, cols);
}
// The register-cached row kernels (norm.cuh), instantiated per RowPlan's pack
// and chunks; blocks of up to kMaxRowThreads threads (128 registers each).
template <int P, int C>
__global__ void __launch_bounds__(kernels::kMaxRowThreads) softmax_cached_kernel(const float* x, float* y, int64_t rows, int64_t cols,
                                                              bool log, unsigned tpr) {
  DeviceCtx c;
  kernels::softmax_cached_body<P, C>(c, x, y, rows, cols, log, tpr);
}
template <int P, int C>
__global__ void __launch_bounds__(kernels::kMaxRowThreads) softmax_backward_cached_kernel(const float* y, const float* gy, float* gx,
                                                                       int64_t rows, int64_t cols, bool log, unsigned tpr) {
  DeviceCtx c;
  kernels::softmax_backward_cached_body<P, C>(c, y, gy, gx, rows, cols, log, tpr);
}
template <int P, int C>
__global__ void __launch_bounds__(kernels::kMaxRowThreads) norm_rows_cached_kernel(const float* x, const float* w, const float* b, float* y,
                                                                float* mean, float* rstd, int64_t rows, int64_t cols,
                                                                float eps, unsigned tpr) {
  DeviceCtx c;
  kernels::norm_rows_cached_body<P, C>(c, x, w, b, y, mean, rstd, rows, cols, eps, tpr);
}
template <int P, int C>
__global__ void __launch_bounds__(kernels::kMaxRowThreads) norm_rows_backward_cached_kernel(const float* x, const float* w, const float* mean,
                                                                         const float* rstd, const float* gy, float* gx,
                                                                         int64_t rows, int64_t cols, unsigned tpr) {
  DeviceCtx c;
  kernels::norm_rows_backward_cached_body<P, C>(c, x, w, mean, rstd, gy, gx, rows, cols, tpr);
}
__global__ void cross_entropy_rows_kernel(const float* x, const int64_t* target, float* loss, float* lse, int64_t rows,
                                          int64_t cols, int64_t ignore_index, float smoothing) {
  DeviceCtx c;
  kernels::cross_entropy_rows_body(c, x, target, loss, lse, rows, cols, ignore_index, smoothing);
}
__global__ void cross_entropy_backward_kernel(const float* x, const int64_t* target, const float* lse, float* gx,
                                              int64_t rows, int64_t cols, int64_t ignore_index, float smoothing,
                                              float scale) {
  DeviceCtx c;
  kernels::cross_entropy_backward_body(c, x, target, lse, gx, rows, cols, ignore_index, smoothing, scale);
}
__global__ void adam_kernel(kernels::ParamBatch<cpu::AdamParam<float>> b, float beta1, float beta2, float eps,
                            float step_size, float rbc2, float decay, float l2) {
  DeviceCtx c;
  kernels::adam_batch_body(c, b, beta1, beta2, eps, step_size, rbc2, decay, l2);
}
__global__ void sgd_kernel(kernels::ParamBatch<cpu::SgdParam<float>> b, float lr, float weight_decay, float momentum,
                           float dampening, bool nesterov) {
  DeviceCtx c;
  kernels::sgd_batch_body(c, b, lr, weight_decay, momentum, dampening, nesterov);
}
__global__ void max_rows_kernel(const float* x, float* out, int64_t* arg, int64_t rows, int64_t cols) {
  DeviceCtx c;
  kernels::max_rows_body(c, x, out, arg, rows, cols);
}
__global__ void max_backward_kernel(const float* g, const int64_t* arg, float* gx, int64_t outer, int64_t r,
                                    int64_t inner) {
  DeviceCtx c;
  kernels::max_backward_body(c, g, arg, gx, outer, r, inner);
}
__global__ void index_rows_kernel(const float* src, const int64_t* index, bool per_element, float* out, int64_t outer,
                                  int64_t src_n, int64_t n, int64_t inner) {
  DeviceCtx c;
  kernels::index_rows_body(c, src, index, per_element, out, outer, src_n, n, inner);
}
__global__ void index_rows_backward_kernel(const float* g, const int64_t* index, bool per_element, float* gsrc,
                                           int64_t outer, int64_t src_n, int64_t n, int64_t inner) {
  DeviceCtx c;
  kernels::index_rows_backward_body(c, g, index, per_element, gsrc, outer, src_n, n, inner);
}

constexpr unsigned kBlock = 256;
unsigned grid_for(int64_t n) { return unsigned(std::clamp<int64_t>((n + kBlock - 1) / kBlock, 1, 65535)); }
constexpr int64_t kMaxRowGrid = 65535;
unsigned grid_for_rows(int64_t rows) { return unsigned(std::min<int64_t>(rows, kMaxRowGrid)); }  // one block per row
void check_launch(const char* what) {
  cudaError_t e = cudaGetLastError();
  GENLAB_CHECK(e == cudaSuccess, "CUDA kernel ", what, " failed to launch: ", cudaGetErrorString(e));
}
}  // namespace

template <>
void sum_rows<Gpu>(const float* x, float* out, int64_t rows, int64_t cols) {
  if (rows == 0) return;
  sum_rows_kernel<<<grid_for_rows(rows), kBlock, kBlock * sizeof(float)>>>(x, out, rows, cols);
  check_launch("sum_rows");
}
template <>
void softmax<Gpu>(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  if (rows == 0 || cols == 0) return;
  const auto plan = kernels::plan_rows(cols, kernels::aligned16(x) && kernels::aligned16(y));
  if (plan.chunks == 0) {
    softmax_kernel<<<grid_for_rows(rows), kBlock, kBlock * sizeof(float)>>>(x, y, rows, cols, log);
  } else {
    kernels::dispatch_plan(plan, [&](auto p, auto ch) {
      softmax_cached_kernel<decltype(p)::value, decltype(ch)::value>
          <<<kernels::plan_grid(plan, rows, kMaxRowGrid), plan.block, plan.shared_bytes()>>>(x, y, rows, cols, log,
                                                                                             plan.threads);
    });
  }
  check_launch("softmax");
}
template <>
void softmax_backward<Gpu>(const float* y, const float* gy, float* gx, int64_t rows, int64_t cols, bool log) {
  if (rows == 0 || cols == 0) return;
  const bool aligned = kernels::aligned16(y) && kernels::aligned16(gy) && kernels::aligned16(gx);
  const auto plan = kernels::plan_rows(cols, aligned, kernels::kBackwardChunks);
  if (plan.chunks == 0) {
    softmax_backward_kernel<<<grid_for_rows(rows), kBlock, kBlock * sizeof(float)>>>(y, gy, gx, rows, cols, log);
  } else {
    kernels::dispatch_plan<kernels::kBackwardChunks>(plan, [&](auto p, auto ch) {
      softmax_backward_cached_kernel<decltype(p)::value, decltype(ch)::value>
          <<<kernels::plan_grid(plan, rows, kMaxRowGrid), plan.block, plan.shared_bytes()>>>(y, gy, gx, rows, cols, log,
                                                                                             plan.threads);
    });
  }
  check_launch("softmax_backward");
}

template <>
void norm_rows<Gpu>(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd, int64_t rows,
                    int64_t cols, float eps) {
  if (rows == 0 || cols == 0) return;
  const bool aligned = kernels::aligned16(x) && kernels::aligned16(w) && kernels::aligned16(b) && kernels::aligned16(y);
  const auto plan = kernels::plan_rows(cols, aligned);
  if (plan.chunks == 0) {
    norm_rows_kernel<<<grid_for_rows(rows), kBlock, kBlock * sizeof(float)>>>(x, w, b, y, mean, rstd, rows, cols, eps);
  } else {
    kernels::dispatch_plan(plan, [&](auto p, auto ch) {
      norm_rows_cached_kernel<decltype(p)::value, decltype(ch)::value>
          <<<kernels::plan_grid(plan, rows, kMaxRowGrid), plan.block, plan.shared_bytes()>>>(x, w, b, y, mean, rstd, rows,
                                                                                             cols, eps, plan.threads);
    });
  }
  check_launch("norm_rows");
}
template <>
void norm_rows_backward<Gpu>(const float* x, const float* w, const float* mean, const float* rstd, const float* gy,
                             float* gx, float* gw, float* gb, int64_t rows, int64_t cols) {
  if (cols == 0) return;
  if (rows > 0) {
    const bool aligned = kernels::aligned16(x) && kernels::aligned16(w) && kernels::aligned16(gy) && kernels::aligned16(gx);
    const auto plan = kernels::plan_rows(cols, aligned, kernels::kBackwardChunks);
    if (plan.chunks == 0) {
      norm_rows_backward_kernel<<<grid_for_rows(rows), kBlock, kBlock * sizeof(float)>>>(x, w, mean, rstd, gy, gx, rows,
                                                                                          cols);
    } else {
      kernels::dispatch_plan<kernels::kBackwardChunks>(plan, [&](auto p, auto ch) {
        norm_rows_backward_cached_kernel<decltype(p)::value, decltype(ch)::value>
            <<<kernels::plan_grid(plan, rows, kMaxRowGrid), plan.block, plan.shared_bytes()>>>(x, w, mean, rstd, gy, gx,
                                                                                               rows, cols, plan.threads);
      });
    }
    check_launch("norm_rows_backward");
  }
  if (!gw && !gb) return;
  // written even over 0 rows (sums of nothing: 0), as PyTorch's weight and bias gradients
  norm_param_grads_kernel<<<grid_for(cols), kBlock>>>(x, mean, rstd, gy, gw, gb, rows, cols);
  check_launch("norm_param_grads");
}

template <>
void cross_entropy_rows<Gpu>(const float* x, const int64_t* target, float* loss, float* lse, int64_t rows, int64_t cols,
                             int64_t ignore_index, float smoothing) {
  if (rows == 0 || cols == 0) return;
  cross_entropy_rows_kernel<<<grid_for_rows(rows), kBlock, kBlock * sizeof(float)>>>(x, target, loss, lse, rows, cols,
                                                                                      ignore_index, smoothing);
  check_launch("cross_entropy_rows");
}
template <>
void cross_entropy_backward<Gpu>(const float* x, const int64_t* target, const float* lse, float* gx, int64_t rows,
                                 int64_t cols, int64_t ignore_index, float smoothing, float scale) {
  if (rows == 0 || cols == 0) return;
  cross_entropy_backward_kernel<<<grid_for(rows * cols), kBlock>>>(x, target, lse, gx, rows, cols, ignore_index,
                                                                   smoothing, scale);
  check_launch("cross_entropy_backward");
}

template <>
void adam_step<Gpu>(const std::vector<cpu::AdamParam<float>>& params, float beta1, float beta2, float eps,
                    float step_size, float rbc2, float decay, float l2) {
  kernels::for_param_batches(params, [&](const auto& b) {
    adam_kernel<<<grid_for(b.largest), kBlock>>>(b, beta1, beta2, eps, step_size, rbc2, decay, l2);
    check_launch("adam_step");
  });
}
template <>
void sgd_step<Gpu>(const std::vector<cpu::SgdParam<float>>& params, float lr, float weight_decay, float momentum,
                   float dampening, bool nesterov) {
  kernels::for_param_batches(params, [&](const auto& b) {
    sgd_kernel<<<grid_for(b.largest), kBlock>>>(b, lr, weight_decay, momentum, dampening, nesterov);
    check_launch("sgd_step");
  });
}

template <>
void max_rows<Gpu>(const float* x, float* out, int64_t* arg, int64_t rows, int64_t cols) {
  if (rows == 0 || cols == 0) return;
  max_rows_kernel<<<grid_for_rows(rows), kBlock, kBlock * (sizeof(float) + sizeof(int64_t))>>>(x, out, arg, rows, cols);
  check_launch("max_rows");
}
template <>
void max_backward<Gpu>(const float* g, const int64_t* arg, float* gx, int64_t outer, int64_t r, int64_t inner) {
  if (outer * inner == 0) return;
  max_backward_kernel<<<grid_for(outer * inner), kBlock>>>(g, arg, gx, outer, r, inner);
  check_launch("max_backward");
}

template <>
void index_rows<Gpu>(const float* src, const int64_t* index, bool per_element, float* out, int64_t outer, int64_t src_n,
                     int64_t n, int64_t inner) {
  const int64_t total = outer * n * inner;
  if (total == 0) return;
  index_rows_kernel<<<grid_for(total), kBlock>>>(src, index, per_element, out, outer, src_n, n, inner);
  check_launch("index_rows");
}
template <>
void index_rows_backward<Gpu>(const float* g, const int64_t* index, bool per_element, float* gsrc, int64_t outer,
                              int64_t src_n, int64_t n, int64_t inner) {
  const int64_t total = outer * n * inner;
  if (total == 0) return;
  index_rows_backward_kernel<<<grid_for(total), kBlock>>>(g, index, per_element, gsrc, outer, src_n, n, inner);
  check_launch("index_rows_backward");
}

}  // namespace genlab::cuda::impl
