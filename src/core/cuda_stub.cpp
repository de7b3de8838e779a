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
template <> void sum_rows<Gpu>(const float*, float*, int64_t, int64_t) { unavailable("sum_rows"); }
template <> void softmax<Gpu>(const float*, float*, int64_t, int64_t, bool) { unavailable("softmax"); }
template <>
void softmax_backward<Gpu>(const float*, const float*, float*, int64_t, int64_t, bool) {
  unavailable("softmax_backward");
}
template <>
void norm_rows<Gpu>(const float*, const float*, const float*, float*, float*, float*, int64_t, int64_t, float) {
  unavailable("norm_rows");
}
template <>
void norm_rows_backward<Gpu>(const float*, const float*, const float*, const float*, const float*, float*, float*, float*,
                             int64_t, int64_t) {
  unavailable("norm_rows_backward");
}
template <>
void cross_entropy_rows<Gpu>(const float*, const int64_t*, float*, float*, int64_t, int64_t, int64_t, float) {
  unavailable("cross_entropy_rows");
}
template <>
void cross_entropy_backward<Gpu>(const float*, const int64_t*, const float*, float*, int64_t, int64_t, int64_t, float,
                                 float) {
  unavailable("cross_entropy_backward");
}
template <>
void adam_step<Gpu>(const std::vector<cpu::AdamParam<float>>&, float, float, float, float, float, float, float) {
  unavailable("adam_step");
}
template <>
void sgd_step<Gpu>(const std::vector<cpu::SgdParam<float>>&, float, float, float, float, bool) {
  unavailable("sgd_step");
}
template <> void max_rows<Gpu>(const float*, float*, int64_t*, int64_t, int64_t) { unavailable("max_rows"); }
template <>
void max_backward<Gpu>(const float*, const int64_t*, float*, int64_t, int64_t, int64_t) {
  unavailable("max_backward");
}
template <>
void index_rows<Gpu>(const float*, const int64_t*, bool, float*, int64_t, int64_t, int64_t, int64_t) {
  unavailable("index_rows");
}
template <>
void index_rows_backward<Gpu>(const float*, const int64_t*, bool, float*, int64_t, int64_t, int64_t, int64_t) {
  unavailable("index_rows_backward");
}
template <>
void gemm<Gpu>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float, float*,
               int64_t, bool) {
  unavailable("gemm");
}
}  // namespace impl
}  // namespace genlab::cuda
