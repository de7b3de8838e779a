// The float32 matmul precision switch (genlab/core/precision.hpp): host code,
// built with or without nvcc; cuda/runtime.cu and the emulated GEMM read it.
#include "genlab/core/precision.hpp"

#include <atomic>

#include "genlab/core/error.hpp"
#include "impl.hpp"

namespace genlab {
namespace {
enum Precision { kHighest, kHigh, kMedium };
const char* const kNames[] = {"highest", "high", "medium"};
std::atomic<int> g_precision{kHighest};
}  // namespace

void set_float32_matmul_precision(const std::string& precision) {
  for (int p : {kHighest, kHigh, kMedium})
    if (precision == kNames[p]) {
      g_precision = p;
      return;
    }
  GENLAB_FAIL("set_float32_matmul_precision(\"", precision, "\"): expected \"highest\", \"high\" or \"medium\"");
}
std::string get_float32_matmul_precision() { return kNames[g_precision.load()]; }
bool cuda::impl::tf32_allowed() { return g_precision.load() != kHighest; }

}  // namespace genlab
