#include "genlab/energy/meter.hpp"

#include <dlfcn.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <glob.h>
#include <sstream>
#include <vector>

namespace genlab::energy {
namespace {

double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double cpu_seconds() {  // user + system time of all threads of this process
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Top-level RAPL package domains (intel-rapl:N, not the :N:M subdomains).
std::vector<std::string> rapl_files() {
  std::vector<std::string> out;
  glob_t g{};
  if (glob("/sys/class/powercap/intel-rapl:*/energy_uj", 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string p = g.gl_pathv[i];
      if (p.find(':', p.find("intel-rapl:") + 11) != std::string::npos) continue;
      std::ifstream f(p);
      long long v;
      if (f >> v) out.push_back(p);
    }
  }
  globfree(&g);
  return out;
}

// NVML through dlopen so genlab links without the driver.
struct Nvml {
  using InitFn = int (*)();
  using HandleFn = int (*)(unsigned, void**);
  using EnergyFn = int (*)(void*, unsigned long long*);
  void* dev = nullptr;
  EnergyFn energy = nullptr;
  Nvml() {
    void* lib = dlopen("libnvidia-ml.so.1", RTLD_LAZY);
    if (!lib) return;
    auto init = reinterpret_cast<InitFn>(dlsym(lib, "nvmlInit_v2"));
    auto handle = reinterpret_cast<HandleFn>(dlsym(lib, "nvmlDeviceGetHandleByIndex_v2"));
    energy = reinterpret_cast<EnergyFn>(dlsym(lib, "nvmlDeviceGetTotalEnergyConsumption"));
    if (!init || !handle || !energy || init() != 0 || handle(0, &dev) != 0) { energy = nullptr; return; }
    unsigned long long mj;
    if (energy(dev, &mj) != 0) energy = nullptr;
  }
  double joules() const {
    unsigned long long mj = 0;
    energy(dev, &mj);
    return double(mj) * 1e-3;
  }
};
const Nvml& nvml() {
  static Nvml n;
  return n;
}

}  // namespace

double Meter::watts_per_core() {
  if (const char* s = std::getenv("GENLAB_WATTS_PER_CORE")) return std::atof(s);
  return 10.0;
}

std::string Reading::str() const {
  std::ostringstream os;
  os.precision(4);
  os << joules << " J (" << source << (assumption.empty() ? "" : ", " + assumption) << ")";
  return os.str();
}

Meter::Meter(bool gpu) {
  if (gpu && nvml().energy) source_ = "nvml";
  else if (!rapl_files().empty()) source_ = "rapl";
  else source_ = "estimate";
}

double Meter::read_energy() const {
  if (source_ == "nvml") return nvml().joules();
  if (source_ == "rapl") {
    double j = 0;
    for (auto& p : rapl_files()) {
      std::ifstream f(p);
      long long uj = 0;
      f >> uj;
      j += double(uj) * 1e-6;
    }
    return j;
  }
  return cpu_seconds() * watts_per_core();
}

void Meter::start() {
  start_wall_ = wall_now();
  start_cpu_ = cpu_seconds();
  start_energy_ = read_energy();
}

Reading Meter::stop() const {
  Reading r;
  r.seconds = wall_now() - start_wall_;
  r.source = source_;
  r.joules = read_energy() - start_energy_;
  if (source_ == "estimate") {
    std::ostringstream os;
    os << watts_per_core() << " W per busy core";
    r.assumption = os.str();
  }
  return r;
}

}  // namespace genlab::energy
