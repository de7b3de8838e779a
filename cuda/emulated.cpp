// The emulated CUDA device (cuda::emulated()): device memory is host memory,
// and every kernel body runs through the emulation harness (Emulated::launch
// in emulated.hpp, instantiated by emulated_kernels.cpp), so the ops' CUDA
// code paths (dispatch, strides, launches, autograd on the device) are tested
// without a GPU. cuBLAS, not our code, is stood in for by the CPU GEMM. This
// file holds the device's memory, copies and GEMM.
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

#include "emulated.hpp"
#include "impl.hpp"

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
