// A program that restarts itself when OpenBLAS chose the wrong kernels, as
// genlab's CLI, tutorials and benchmarks do; ctest runs it with a fake core name.
#include <cstdio>
#include <cstdlib>

#include "genlab/backend/blas_core.hpp"

int main(int, char** argv) {
  genlab::cpu::restart_with_right_blas_core(argv);
  const auto c = genlab::cpu::blas_core_check();
  const char* env = std::getenv("OPENBLAS_CORETYPE");
  std::printf("probe: core %s, OPENBLAS_CORETYPE=%s, mismatch %d, arg %s\n", c.corename.c_str(), env ? env : "(unset)",
              int(c.mismatch), argv[1] ? argv[1] : "(none)");
  return 0;
}
