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
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
          int64_t ldb, float beta, float* c, int64_t ldc) {
  GENLAB_CUDA_SELECT(gemm, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, impl::tf32_allowed());
}

}  // namespace genlab::cuda
