// `genlab sysinfo`: what genlab found on this machine and what it will do with
// it: the CPU's features, the thread count and why, OpenBLAS's kernels and
// whether they suit the CPU, the CUDA device and the energy counters.
#include "sysinfo.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <genlab/genlab.hpp>
#include <string>

namespace genlab::cli {
namespace {
std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}
const char* env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}
}  // namespace

int sysinfo() {
  const cpu::CpuFeatures f = cpu::detect_cpu_features();
  std::printf("cpu      %s (%s): %s\n", cpu_model().c_str(), f.vendor.empty() ? "not x86" : f.vendor.c_str(),
              f.str().c_str());
  std::printf("threads  %d (default %d: %s; GENLAB_NUM_THREADS=%s, OMP_NUM_THREADS=%s)\n", num_threads(),
              default_num_threads(), default_num_threads_reason().c_str(), env_or("GENLAB_NUM_THREADS", "unset"),
              env_or("OMP_NUM_THREADS", "unset"));
  const cpu::BlasCoreCheck b = cpu::blas_core_check();
  std::printf("blas     %s%s%s: %s%s\n", cpu::blas_name(), b.corename.empty() ? "" : ", core ", b.corename.c_str(),
              b.mismatch ? "MISMATCH: " : "", b.message.c_str());
  std::printf("cuda     %s; %d device(s)%s\n", cuda::built() ? "built" : "not built (configure with -DGENLAB_CUDA=ON)",
              cuda::device_count(), cuda::emulated() ? " (emulated: GENLAB_CUDA_EMULATE=1)" : "");
  std::printf("energy   host %s, GPU %s\n", energy::Meter(false).source().c_str(),
              cuda_is_available() && !cuda::emulated() ? energy::Meter(true).source().c_str() : "none");
  return 0;
}

}  // namespace genlab::cli
