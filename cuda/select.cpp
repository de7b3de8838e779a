// The public CUDA entry points (genlab/backend/cuda.hpp): each forwards to the
// GPU implementation, or to the emulated device when cuda::emulated().
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "genlab/core/allocator.hpp"
#include "genlab/core/error.hpp"
#include "impl.hpp"

namespace genlab::cuda {
namespace {
bool& emulation_flag() {
  static bool on = [] {
    const char* e = std::getenv("GENLAB_CUDA_EMULATE");
    return e && std::strcmp(e, "0") != 0 && *e;
  }();
  return on;
}
std::atomic<int64_t> g_live_blocks{0};  // device blocks malloc'd and not yet freed
}  // namespace

bool emulated() { return emulation_flag(); }
void set_emulated(bool on) {
  if (on == emulated()) return;
  empty_cache(Device::cuda());  // the caching allocator's blocks belong to the old device
  GENLAB_CHECK(g_live_blocks == 0, "cuda::set_emulated(", on, "): ", g_live_blocks.load(),
               " CUDA blocks are still alive; switch before creating CUDA tensors");
  emulation_flag() = on;
}

#define GENLAB_CUDA_SELECT(fn, ...) (emulated() ? impl::fn<impl::Emulated>(__VA_ARGS__) : impl::fn<impl::Gpu>(__VA_ARGS__))

int device_count() { return GENLAB_CUDA_SELECT(device_count); }
std::string pci_bus_id() { return GENLAB_CUDA_SELECT(pci_bus_id); }
void* malloc(size_t nbytes) {
  void* p = GENLAB_CUDA_SELECT(malloc, nbytes);
  ++g_live_blocks;
  return p;
}
void free(void* p) {
  GENLAB_CUDA_SELECT(free, p);
  --g_live_blocks;
}
void memcpy_h2d(void* dst, const void* src, size_t n) { GENLAB_CUDA_SELECT(memcpy_h2d, dst, src, n); }
void memcpy_d2h(void* dst, const void* src, size_t n) { GENLAB_CUDA_SELECT(memcpy_d2h, dst, src, n); }
void memcpy_d2d(void* dst, const void* src, size_t n) { GENLAB_CUDA_SELECT(memcpy_d2d, dst, src, n); }
void synchronize() { GENLAB_CUDA_SELECT(synchronize); }

// Every listed kernel (genlab/backend/cuda_kernels.inc): one branch, then a
// direct call of the chosen instantiation, as by hand.
#define GENLAB_CUDA_KERNEL(name, params, args) \
  void name params { emulated() ? impl::name<impl::Emulated> args : impl::name<impl::Gpu> args; }
#include "genlab/backend/cuda_kernels.inc"
#undef GENLAB_CUDA_KERNEL
void sum_rows(const float* x, float* out, int64_t rows, int64_t cols) { GENLAB_CUDA_SELECT(sum_rows, x, out, rows, cols); }
void softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  GENLAB_CUDA_SELECT(softmax, x, y, rows, cols, log);
}
void softmax_backward(const float* y, const float* gy, float* gx, int64_t rows, int64_t cols, bool log) {
  GENLAB_CUDA_SELECT(softmax_backward, y, gy, gx, rows, cols, log);
}
void norm_rows(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd, int64_t rows,
               int64_t cols, float eps) {
  GENLAB_CUDA_SELECT(norm_rows, x, w, b, y, mean, rstd, rows, cols, eps);
}
void norm_rows_backward(const float* x, const float* w, const float* mean, const float* rstd, const float* gy, float* gx,
                        float* gw, float* gb, int64_t rows, int64_t cols) {
  GENLAB_CUDA_SELECT(norm_rows_backward, x, w, mean, rstd, gy, gx, gw, gb, rows, cols);
}
void cross_entropy_rows(const float* x, const int64_t* target, float* loss, float* lse, int64_t rows, int64_t cols,
                        int64_t ignore_index, float smoothing) {
  GENLAB_CUDA_SELECT(cross_entropy_rows, x, target, loss, lse, rows, cols, ignore_index, smoothing);
}
void cross_entropy_backward(const float* x, const int64_t* target, const float* lse, float* gx, int64_t rows,
                            int64_t cols, int64_t ignore_index, float smoothing, float scale) {
  GENLAB_CUDA_SELECT(cross_entropy_backward, x, target, lse, gx, rows, cols, ignore_index, smoothing, scale);
}
void adam_step(const std::vector<cpu::AdamParam<float>>& params, float beta1, float beta2, float eps, float step_size,
               float rbc2, float decay, float l2) {
  GENLAB_CUDA_SELECT(adam_step, params, beta1, beta2, eps, step_size, rbc2, decay, l2);
}
void sgd_step(const std::vector<cpu::SgdParam<float>>& params, float lr, float weight_decay, float momentum,
              float dampening, bool nesterov) {
  GENLAB_CUDA_SELECT(sgd_step, params, lr, weight_decay, momentum, dampening, nesterov);
}
void max_rows(const float* x, float* out, int64_t* arg, int64_t rows, int64_t cols) {
  GENLAB_CUDA_SELECT(max_rows, x, out, arg, rows, cols);
}
void max_backward(const float* g, const int64_t* arg, float* gx, int64_t outer, int64_t r, int64_t inner) {
  GENLAB_CUDA_SELECT(max_backward, g, arg, gx, outer, r, inner);
}
void index_rows(const float* src, const int64_t* index, bool per_element, float* out, int64_t outer, int64_t src_n,
                int64_t n, int64_t inner) {
  GENLAB_CUDA_SELECT(index_rows, src, index, per_element, out, outer, src_n, n, inner);
}
void index_rows_backward(const float* g, const int64_t* index, bool per_element, float* gsrc, int64_t outer,
                         int64_t src_n, int64_t n, int64_t inner) {
  GENLAB_CUDA_SELECT(index_rows_backward, g, index, per_element, gsrc, outer, src_n, n, inner);
}
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
          int64_t ldb, float beta, float* c, int64_t ldc) {
  GENLAB_CUDA_SELECT(gemm, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, impl::tf32_allowed());
}

}  // namespace genlab::cuda
