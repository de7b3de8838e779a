// A program that restarts itself when OpenBLAS chose the wrong kernels, as
// genlab's CLI, tutorials and benchmarks do; ctest runs it with a fake core name.
// Exits 77 (ctest: skipped) where no restart can happen: an OpenBLAS built
// without DYNAMIC_ARCH ignores OPENBLAS_CORETYPE, and off x86 (or without AVX)
// there are no better kernels to restart into. `--check-only` stops there.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "genlab/backend/blas_core.hpp"

extern "C" char* openblas_get_config(void);

int main(int argc, char** argv) {
  const char* config = openblas_get_config();
  if (!config || !std::strstr(config, "DYNAMIC_ARCH")) {
    std::printf("probe: OpenBLAS without DYNAMIC_ARCH (%s): skipped\n", config ? config : "?");
    return 77;
  }
  if (!genlab::cpu::detect_cpu_features().avx) {
    std::printf("probe: not an x86 CPU with AVX: skipped\n");
    return 77;
  }
  if (argc > 1 && !std::strcmp(argv[1], "--check-only")) return 0;
  genlab::cpu::restart_with_right_blas_core(argv);
  const auto c = genlab::cpu::blas_core_check();
  const char* env = std::getenv("OPENBLAS_CORETYPE");
  std::printf("probe: core %s, OPENBLAS_CORETYPE=%s, mismatch %d, arg %s\n", c.corename.c_str(), env ? env : "(unset)",
              int(c.mismatch), argv[1] ? argv[1] : "(none)");
  return 0;
}
