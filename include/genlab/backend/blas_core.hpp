// Does OpenBLAS run the right kernels for this CPU?
//
// A DYNAMIC_ARCH OpenBLAS (Debian's, Ubuntu's) picks its kernels once, when
// the library loads, from a table of CPU models it knows. On a CPU newer than
// the OpenBLAS build (Debian 12's 0.3.21 on a Xeon of model 207, say) it falls
// back to its generic "Prescott" SSE3 kernels: 2048² sgemm ran at 240 GFLOP/s
// on 16 threads instead of 1,120 with OPENBLAS_CORETYPE=SkylakeX. The kernels
// cannot be switched once loaded, so:
//   - genlab's own programs (CLI, tutorials, benchmarks) call
//     restart_with_right_blas_core() first, which restarts the process once
//     with OPENBLAS_CORETYPE set;
//   - a program of yours gets one warning on stderr at the first GEMM, naming
//     the variable and the value to set (GENLAB_BLAS_CHECK=0 silences it).
#pragma once
#include <string>
#include <string_view>

namespace genlab::cpu {

// Instruction sets the CPU has and the OS has enabled (cpuid + xgetbv).
struct CpuFeatures {
  std::string vendor;  // GenuineIntel, AuthenticAMD, ...; empty off x86
  bool avx = false, fma = false, avx2 = false;
  bool avx512f = false, avx512dq = false, avx512bw = false, avx512vl = false, avx512_bf16 = false;
  bool amx_tile = false, amx_bf16 = false, amx_int8 = false;
  std::string str() const;  // "AVX2 FMA AVX-512(F DQ BW VL) AMX(TILE BF16 INT8)"
};
CpuFeatures detect_cpu_features();

struct BlasCoreCheck {
  std::string corename;   // what OpenBLAS chose ("Prescott"); empty when BLAS is not OpenBLAS
  std::string features;   // CpuFeatures::str()
  std::string suggested;  // the OPENBLAS_CORETYPE that suits the CPU; empty when none does better
  bool mismatch = false;  // corename is slower than the CPU allows, or needs instructions it lacks
  std::string message;    // one line for a person: what was found and what to do
};

// The decision alone, for a given core name and feature set (tested with
// injected values; the CI machine's CPU is recognised).
BlasCoreCheck check_blas_core(std::string_view corename, const CpuFeatures& features);

// This process: openblas_get_corename() against detect_cpu_features().
BlasCoreCheck blas_core_check();

// For main(): when OpenBLAS chose kernels below this CPU and the user has not
// set OPENBLAS_CORETYPE, restarts the program (execv of /proc/self/exe with
// the same arguments) with OPENBLAS_CORETYPE=<suggested>, once. Does nothing
// with GENLAB_BLAS_RESTART=0, or when OpenBLAS was not built with DYNAMIC_ARCH
// (it would ignore the variable). Returns only when no restart happened.
void restart_with_right_blas_core(char** argv);

// One warning on stderr on a mismatch, the first time it is called (gemm does).
void warn_once_about_blas_core();

}  // namespace genlab::cpu
