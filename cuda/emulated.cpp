// The emulated CUDA device (cuda::emulated()): device memory is host memory
// and every kernel body runs through the emulation harness (the listed
// kernels through Emulated::launch in emulated.hpp, instantiated by
// emulated_kernels.cpp; the others here), so the ops' CUDA code paths
// (dispatch, strides, launches, autograd on the device) are tested without a GPU. cuBLAS, not our code, is stood in for by
// the CPU GEMM. Small launches keep the thread-per-CUDA-thread harness cheap.
//
// Device memory is one reserved address range that is readable only while an
// emulated kernel or copy runs: host code that touches device memory anywhere
// else faults here, as it would on a GPU, instead of passing unnoticed.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "emulate.hpp"
#include "emulated.hpp"
#include "impl.hpp"
#include "kernels.cuh"

namespace genlab::cuda::impl {
namespace {
class DeviceArena {
 public:
  static DeviceArena& get() {
    static auto* a = new DeviceArena;  // leaked: device tensors may outlive static destructors
    return *a;
  }
  void* alloc(size_t nbytes) {
    const size_t n = (std::max<size_t>(nbytes, 1) + 255) / 256 * 256;
    std::lock_guard<std::mutex> l(m_);
    if (auto it = free_.find(n); it != free_.end()) {  // reuse a block of the same size
      char* p = it->second;
      free_.erase(it);
      sizes_[p] = n;
      return p;
    }
    GENLAB_CHECK(used_ + n <= kReserved, "emulated cudaMalloc of ", nbytes, " bytes: the ", kReserved >> 30,
                 " GiB emulated device is full (", used_, " bytes used)");
    char* p = base_ + used_;
    used_ += n;
    if (open_ > 0) protect(PROT_READ | PROT_WRITE);
    sizes_[p] = n;
    return p;
  }
  void release(void* p) {
    std::lock_guard<std::mutex> l(m_);
    auto it = sizes_.find(static_cast<char*>(p));
    GENLAB_CHECK(it != sizes_.end(), "emulated cudaFree of a pointer it did not allocate");
    free_.emplace(it->second, it->first);
    sizes_.erase(it);
  }
  // Device memory is readable and writable while at least one Access lives.
  struct Access {
    Access() { open(); }
    ~Access() { close(); }
    static void open() {
      auto& a = get();
      std::lock_guard<std::mutex> l(a.m_);
      if (a.open_++ == 0) a.protect(PROT_READ | PROT_WRITE);
    }
    static void close() {
      auto& a = get();
      std::lock_guard<std::mutex> l(a.m_);
      if (--a.open_ == 0) a.protect(PROT_NONE);
    }
  };

 private:
  static constexpr size_t kReserved = size_t(64) << 30;  // address space only, never backed unless used
  DeviceArena() {
    void* p = mmap(nullptr, kReserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    GENLAB_CHECK(p != MAP_FAILED, "emulated CUDA device: cannot reserve ", kReserved >> 30, " GiB of address space");
    base_ = static_cast<char*>(p);
  }
  void protect(int prot) {
    const size_t page = size_t(sysconf(_SC_PAGESIZE)), len = (used_ + page - 1) / page * page;
    if (len > 0) GENLAB_CHECK(mprotect(base_, len, prot) == 0, "emulated CUDA device: mprotect failed");
  }
  std::mutex m_;
  char* base_ = nullptr;
  size_t used_ = 0;
  int open_ = 0;
  std::map<char*, size_t> sizes_;
  std::multimap<size_t, char*> free_;
};
using Access = DeviceArena::Access;

using emulated::grid_for;
using emulated::kBlock;
using emulated::kMaxGrid;
template <class Body>
void launch(int64_t n, Body body) {
  Access access;
  emulate::launch(grid_for(n), kBlock, 0, body);
}
// One block per row, as on the GPU (capped at kMaxGrid: the bodies grid-stride
// over rows), with `shared_per_thread` bytes of shared memory per thread.
template <class Body>
void launch_rows(int64_t rows, Body body, size_t shared_per_thread = sizeof(float)) {
  Access access;
  emulate::launch(unsigned(std::min<int64_t>(rows, kMaxGrid)), kBlock, kBlock * shared_per_thread, body);
}
// x rounded to TF32 (10 explicit mantissa bits), to nearest, ties to even;
// inf and NaN stay as they are, and a value past TF32's largest rounds to inf.
float round_to_tf32(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0xfffu + ((u >> 13) & 1u)) & ~0x1fffu;
  std::memcpy(&x, &u, sizeof x);
  return x;
}
// A rows x cols matrix with leading dimension ld, rounded to TF32 and packed (ld = cols).
std::vector<float> tf32_copy(const float* p, int64_t rows, int64_t cols, int64_t ld) {
  std::vector<float> out(size_t(rows * cols));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) out[size_t(i * cols + j)] = round_to_tf32(p[i * ld + j]);
  return out;
}
// A cached row kernel with its plan's geometry (grid capped at kMaxGrid):
// body(Int<pack>, Int<chunks>, ctx).
template <int MaxChunks = kernels::kMaxChunks, class Body>
void launch_plan(const kernels::RowPlan& plan, int64_t rows, Body body) {
  Access access;
  kernels::dispatch_plan<MaxChunks>(plan, [&](auto p, auto ch) {
    emulate::launch(kernels::plan_grid(plan, rows, kMaxGrid), plan.block, plan.shared_bytes(),
                    [&](emulate::Ctx& c) { body(p, ch, c); });
  });
}
}  // namespace

EmulatedAccess::EmulatedAccess() { DeviceArena::Access::open(); }
EmulatedAccess::~EmulatedAccess() { DeviceArena::Access::close(); }

template <>
int device_count<Emulated>() { return 1; }
template <>
std::string pci_bus_id<Emulated>() { return ""; }
template <>
void* malloc<Emulated>(size_t nbytes) { return DeviceArena::get().alloc(nbytes); }
template <>
void free<Emulated>(void* p) { DeviceArena::get().release(p); }
template <>
void memcpy_h2d<Emulated>(void* dst, const void* src, size_t n) {
  Access access;
  std::memcpy(dst, src, n);
}
template <>
void memcpy_d2h<Emulated>(void* dst, const void* src, size_t n) {
  Access access;
  std::memcpy(dst, src, n);
}
template <>
void memcpy_d2d<Emulated>(void* dst, const void* src, size_t n) {
  Access access;
  std::memcpy(dst, src, n);
}
template <>
void synchronize<Emulated>() {}

template <>
void sum_rows<Emulated>(const float* x, float* out, int64_t rows, int64_t cols) {
  if (rows > 0) launch_rows(rows, [&](emulate::Ctx& c) { kernels::sum_rows_body(c, x, out, rows, cols); });
}
// The row-wise kernels: the cached bodies with the GPU's plan (so the same
// instantiations run here), or the multi-pass bodies for longer rows.
template <>
void softmax<Emulated>(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  if (rows == 0 || cols == 0) return;
  const auto plan = kernels::plan_rows(cols, kernels::aligned16(x) && kernels::aligned16(y));
  if (plan.chunks == 0) return launch_rows(rows, [&](emulate::Ctx& c) { kernels::softmax_body(c, x, y, rows, cols, log); });
  launch_plan(plan, rows, [&](auto p, auto ch, emulate::Ctx& c) {
    kernels::softmax_cached_body<decltype(p)::value, decltype(ch)::value>(c, x, y, rows, cols, log, plan.threads);
  });
}
template <>
void softmax_backward<Emulated>(const float* y, const float* gy, float* gx, int64_t rows, int64_t cols, bool log) {
  if (rows == 0 || cols == 0) return;
  const bool aligned = kernels::aligned16(y) && kernels::aligned16(gy) && kernels::aligned16(gx);
  const auto plan = kernels::plan_rows(cols, aligned, kernels::kBackwardChunks);
  if (plan.chunks == 0)
    return launch_rows(rows, [&](emulate::Ctx& c) { kernels::softmax_backward_body(c, y, gy, gx, rows, cols, log); });
  launch_plan<kernels::kBackwardChunks>(plan, rows, [&](auto p, auto ch, emulate::Ctx& c) {
    kernels::softmax_backward_cached_body<decltype(p)::value, decltype(ch)::value>(c, y, gy, gx, rows, cols, log,
                                                                                    plan.threads);
  });
}
template <>
void norm_rows<Emulated>(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd, int64_t rows,
                         int64_t cols, float eps) {
  if (rows == 0 || cols == 0) return;
  const bool aligned = kernels::aligned16(x) && kernels::aligned16(w) && kernels::aligned16(b) && kernels::aligned16(y);
  const auto plan = kernels::plan_rows(cols, aligned);
  if (plan.chunks == 0)
    return launch_rows(rows, [&](emulate::Ctx& c) { kernels::norm_rows_body(c, x, w, b, y, mean, rstd, rows, cols, eps); });
  launch_plan(plan, rows, [&](auto p, auto ch, emulate::Ctx& c) {
    kernels::norm_rows_cached_body<decltype(p)::value, decltype(ch)::value>(c, x, w, b, y, mean, rstd, rows, cols, eps,
                                                                             plan.threads);
  });
}
template <>
void norm_rows_backward<Emulated>(const float* x, const float* w, const float* mean, const float* rstd, const float* gy,
                                  float* gx, float* gw, float* gb, int64_t rows, int64_t cols) {
  if (cols == 0) return;
  const bool aligned = kernels::aligned16(x) && kernels::aligned16(w) && kernels::aligned16(gy) && kernels::aligned16(gx);
  const auto plan = kernels::plan_rows(cols, aligned, kernels::kBackwardChunks);
  if (rows > 0 && plan.chunks == 0)
    launch_rows(rows, [&](emulate::Ctx& c) { kernels::norm_rows_backward_body(c, x, w, mean, rstd, gy, gx, rows, cols); });
  else if (rows > 0)
    launch_plan<kernels::kBackwardChunks>(plan, rows, [&](auto p, auto ch, emulate::Ctx& c) {
      kernels::norm_rows_backward_cached_body<decltype(p)::value, decltype(ch)::value>(c, x, w, mean, rstd, gy, gx, rows,
                                                                                        cols, plan.threads);
    });
  if (gw || gb)  // written even over 0 rows (sums of nothing: 0), as PyTorch's weight and bias gradients
    launch(cols, [&](emulate::Ctx& c) { kernels::norm_param_grads_body(c, x, mean, rstd, gy, gw, gb, rows, cols); });
}
template <>
void cross_entropy_rows<Emulated>(const float* x, const int64_t* target, float* loss, float* lse, int64_t rows,
                                  int64_t cols, int64_t ignore_index, float smoothing) {
  if (rows > 0 && cols > 0)
    launch_rows(rows, [&](emulate::Ctx& c) {
      kernels::cross_entropy_rows_body(c, x, target, loss, lse, rows, cols, ignore_index, smoothing);
    });
}
template <>
void cross_entropy_backward<Emulated>(const float* x, const int64_t* target, const float* lse, float* gx, int64_t rows,
                                      int64_t cols, int64_t ignore_index, float smoothing, float scale) {
  if (rows > 0 && cols > 0)
    launch(rows * cols, [&](emulate::Ctx& c) {
      kernels::cross_entropy_backward_body(c, x, target, lse, gx, rows, cols, ignore_index, smoothing, scale);
    });
}
template <>
void adam_step<Emulated>(const std::vector<cpu::AdamParam<float>>& params, float beta1, float beta2, float eps,
                         float step_size, float rbc2, float decay, float l2) {
  kernels::for_param_batches(params, [&](const auto& b) {
    launch(b.largest, [&](emulate::Ctx& c) { kernels::adam_batch_body(c, b, beta1, beta2, eps, step_size, rbc2, decay, l2); });
  });
}
template <>
void sgd_step<Emulated>(const std::vector<cpu::SgdParam<float>>& params, float lr, float weight_decay, float momentum,
                        float dampening, bool nesterov) {
  kernels::for_param_batches(params, [&](const auto& b) {
    launch(b.largest, [&](emulate::Ctx& c) { kernels::sgd_batch_body(c, b, lr, weight_decay, momentum, dampening, nesterov); });
  });
}
template <>
void max_rows<Emulated>(const float* x, float* out, int64_t* arg, int64_t rows, int64_t cols) {
  if (rows > 0 && cols > 0)
    launch_rows(rows, [&](emulate::Ctx& c) { kernels::max_rows_body(c, x, out, arg, rows, cols); },
                sizeof(float) + sizeof(int64_t));  // (value, index) pairs
}
template <>
void max_backward<Emulated>(const float* g, const int64_t* arg, float* gx, int64_t outer, int64_t r, int64_t inner) {
  if (outer * inner > 0)
    launch(outer * inner, [&](emulate::Ctx& c) { kernels::max_backward_body(c, g, arg, gx, outer, r, inner); });
}
template <>
void index_rows<Emulated>(const float* src, const int64_t* index, bool per_element, float* out, int64_t outer,
                          int64_t src_n, int64_t n, int64_t inner) {
  if (outer * n * inner > 0)
    launch(outer * n * inner, [&](emulate::Ctx& c) {
      kernels::index_rows_body(c, src, index, per_element, out, outer, src_n, n, inner);
    });
}
template <>
void index_rows_backward<Emulated>(const float* g, const int64_t* index, bool per_element, float* gsrc, int64_t outer,
                                   int64_t src_n, int64_t n, int64_t inner) {
  if (outer * n * inner > 0)
    launch(outer * n * inner, [&](emulate::Ctx& c) {
      kernels::index_rows_backward_body(c, g, index, per_element, gsrc, outer, src_n, n, inner);
    });
}
// cuBLAS's TF32 path stood in for: A and B rounded to TF32, then the CPU GEMM
// (FP32 products and sums, as the tensor cores accumulate). cuBLAS does not
// document its FP32 -> TF32 conversion; we round to nearest, ties to even (the
// IEEE default, and what TensorFlow documents: inputs "rounded" to 10 bits).
// CUDA's __float_to_tf32 (cvt.rna) breaks ties away from zero instead, and
// PyTorch's notes say "only the first 10 bits of the input mantissa are read"
// (truncation): all three agree within one TF32 ulp (2^-10 relative), and a
// real GPU is tested at PyTorch's TF32 tolerance (Gpu.Float32MatmulPrecision).
template <>
void gemm<Emulated>(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                    const float* b, int64_t ldb, float beta, float* c, int64_t ldc, bool tf32) {
  Access access;
  if (!tf32) return cpu::gemm<float>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  // op(A) is m x k, stored (ta ? k x m : m x k) with leading dimension lda; likewise B
  const std::vector<float> a32 = tf32_copy(a, ta ? k : m, ta ? m : k, lda), b32 = tf32_copy(b, tb ? n : k, tb ? k : n, ldb);
  cpu::gemm<float>(ta, tb, m, n, k, alpha, a32.data(), ta ? m : k, b32.data(), tb ? k : n, beta, c, ldc);
}

}  // namespace genlab::cuda::impl
