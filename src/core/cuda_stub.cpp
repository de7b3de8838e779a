// The GPU side of the CUDA entry points when genlab is built without nvcc:
// each says how to get CUDA. The emulated device (cuda::set_emulated) still works.
#include "../../cuda/impl.hpp"
#include "genlab/core/error.hpp"

namespace genlab::cuda {

bool built() { return false; }

namespace impl {
namespace {
[[noreturn]] void unavailable(const char* what) {
  GENLAB_FAIL("cuda::", what, ": genlab was built without CUDA; reconfigure with -DGENLAB_CUDA=ON and nvcc on PATH");
}
// The listed kernels' stubs take their arguments only to mark them used.
template <class... Args>
[[noreturn]] void unavailable(const char* what, const Args&...) {
  unavailable(what);
}
#define GENLAB_CUDA_ARGS(...) __VA_ARGS__
}  // namespace

// Every listed kernel (genlab/backend/cuda_kernels.inc).
#define GENLAB_CUDA_KERNEL(name, params, args) \
  template <>                                  \
  void name<Gpu> params {                      \
    unavailable(#name, GENLAB_CUDA_ARGS args); \
  }
#include "genlab/backend/cuda_kernels.inc"
#undef GENLAB_CUDA_KERNEL

template <> int device_count<Gpu>() { return 0; }
template <> std::string pci_bus_id<Gpu>() { return ""; }
template <> void* malloc<Gpu>(size_t) { unavailable("malloc"); }
template <> void free<Gpu>(void*) { unavailable("free"); }
template <> void memcpy_h2d<Gpu>(void*, const void*, size_t) { unavailable("memcpy_h2d"); }
template <> void memcpy_d2h<Gpu>(void*, const void*, size_t) { unavailable("memcpy_d2h"); }
template <> void memcpy_d2d<Gpu>(void*, const void*, size_t) { unavailable("memcpy_d2d"); }
template <> void synchronize<Gpu>() { unavailable("synchronize"); }
template <>
void gemm<Gpu>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float, float*,
               int64_t, bool) {
  unavailable("gemm");
}
}  // namespace impl
}  // namespace genlab::cuda
