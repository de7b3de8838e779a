// The CUDA entry points when genlab is built without nvcc: each says how to get CUDA.
#include "genlab/backend/cuda.hpp"
#include "genlab/core/error.hpp"

namespace genlab::cuda {
namespace {
[[noreturn]] void unavailable(const char* what) {
  GENLAB_FAIL("cuda::", what, ": genlab was built without CUDA; reconfigure with -DGENLAB_CUDA=ON and nvcc on PATH");
}
}  // namespace
bool built() { return false; }
int device_count() { return 0; }
void* malloc(size_t) { unavailable("malloc"); }
void free(void*) { unavailable("free"); }
void memcpy_h2d(void*, const void*, size_t) { unavailable("memcpy_h2d"); }
void memcpy_d2h(void*, const void*, size_t) { unavailable("memcpy_d2h"); }
void memcpy_d2d(void*, const void*, size_t) { unavailable("memcpy_d2d"); }
void synchronize() { unavailable("synchronize"); }
void unary(UnaryOp, const float*, float*, int64_t) { unavailable("unary"); }
void unary_backward(UnaryOp, const float*, const float*, const float*, float*, int64_t) { unavailable("unary_backward"); }
void binary(BinaryOp, const float*, const float*, int64_t, float*, int64_t) { unavailable("binary"); }
void sum_rows(const float*, float*, int64_t, int64_t) { unavailable("sum_rows"); }
void gemm(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float, float*,
          int64_t) {
  unavailable("gemm");
}
}  // namespace genlab::cuda
