#include "genlab/energy/meter.hpp"

#include <dlfcn.h>
#include <glob.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include "genlab/backend/cuda.hpp"

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
const char* const kUnavailable = "unavailable: ";

}  // namespace

// NVML through dlopen so genlab links without the driver. `error` says why
// energy cannot be read (empty when it can).
struct Nvml {
  using InitFn = int (*)();
  using IndexFn = int (*)(unsigned, void**);
  using BusFn = int (*)(const char*, void**);
  using EnergyFn = int (*)(void*, unsigned long long*);
  using ErrorFn = const char* (*)(int);
  void* dev = nullptr;
  EnergyFn energy = nullptr;
  std::string error;

  Nvml(const std::string& lib_name, const std::string& bus_id) {
    void* lib = dlopen(lib_name.c_str(), RTLD_LAZY);
    if (!lib) {
      const char* e = dlerror();
      error = "NVML not loaded (" + std::string(e ? e : lib_name) + ")";
      return;
    }
    auto init = reinterpret_cast<InitFn>(dlsym(lib, "nvmlInit_v2"));
    auto by_index = reinterpret_cast<IndexFn>(dlsym(lib, "nvmlDeviceGetHandleByIndex_v2"));
    auto by_bus = reinterpret_cast<BusFn>(dlsym(lib, "nvmlDeviceGetHandleByPciBusId_v2"));
    auto err = reinterpret_cast<ErrorFn>(dlsym(lib, "nvmlErrorString"));
    auto fn = reinterpret_cast<EnergyFn>(dlsym(lib, "nvmlDeviceGetTotalEnergyConsumption"));
    auto why = [&](int status) { return err ? std::string(err(status)) : "status " + std::to_string(status); };
    if (!init || !by_index || !by_bus || !fn) {
      error = lib_name + " lacks the NVML functions genlab needs";
      return;
    }
    if (int s = init(); s != 0) {
      error = "nvmlInit failed (" + why(s) + ")";
      return;
    }
    // CUDA's device 0 is not NVML's index 0 under CUDA_VISIBLE_DEVICES: match the PCI bus id
    if (int s = bus_id.empty() ? by_index(0, &dev) : by_bus(bus_id.c_str(), &dev); s != 0) {
      error = "NVML has no GPU " + (bus_id.empty() ? std::string("0") : bus_id) + " (" + why(s) + ")";
      return;
    }
    unsigned long long mj;
    if (int s = fn(dev, &mj); s != 0) {
      error = "this GPU has no NVML energy counter (" + why(s) + ")";
      return;
    }
    energy = fn;
  }
  double joules() const {
    unsigned long long mj = 0;
    energy(dev, &mj);
    return double(mj) * 1e-3;
  }
  // One per library and device, loaded once (and never unloaded: meters may outlive statics).
  static const Nvml& get(const std::string& bus_id) {
    const char* env = std::getenv("GENLAB_NVML_LIBRARY");
    const std::string lib = env && *env ? env : "libnvidia-ml.so.1";
    static std::mutex m;
    static auto* cache = new std::map<std::string, Nvml*>;
    std::lock_guard<std::mutex> l(m);
    Nvml*& n = (*cache)[lib + '\n' + bus_id];
    if (!n) n = new Nvml(lib, bus_id);
    return *n;
  }
};

double Meter::watts_per_core() {
  if (const char* s = std::getenv("GENLAB_WATTS_PER_CORE")) return std::atof(s);
  return 10.0;
}

bool Reading::available() const { return source.rfind(kUnavailable, 0) != 0; }

std::string Reading::str() const {
  std::ostringstream os;
  os.precision(4);
  if (!available()) {  // no figure: what was not metered, and why
    os << (scope.empty() ? "" : scope + " ") << "n/a (" << source << ")";
    return os.str();
  }
  os << joules << " J (" << source;
  if (!scope.empty()) os << ", " << scope << (assumption.empty() ? "" : ": " + assumption);
  else if (!assumption.empty()) os << ", " << assumption;
  os << ")";
  return os.str();
}

std::string str(const std::vector<Reading>& readings) {
  std::string out;
  for (const Reading& r : readings) out += (out.empty() ? "" : " + ") + r.str();
  return out;
}

Meter::Meter(bool gpu) {
  if (gpu && !cuda::emulated()) {
    const Nvml& n = Nvml::get(cuda::pci_bus_id());
    if (n.error.empty()) {
      source_ = "nvml";
      nvml_ = &n;
      return;
    }
  }
  source_ = rapl_files().empty() ? "estimate" : "rapl";
}

Meter Meter::host() {
  Meter m(false);
  m.scope_ = "host";
  return m;
}

Meter Meter::cuda_device() {
  Meter m(false);
  m.scope_ = "GPU";
  if (cuda::emulated()) {
    m.source_ = std::string(kUnavailable) + "emulated CUDA device, no GPU to meter";
    return m;
  }
  const Nvml& n = Nvml::get(cuda::pci_bus_id());
  m.source_ = n.error.empty() ? "nvml" : kUnavailable + n.error;
  if (n.error.empty()) m.nvml_ = &n;
  return m;
}

double Meter::read_energy() const {
  if (nvml_) return nvml_->joules();
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
  if (source_ == "estimate") return cpu_seconds() * watts_per_core();
  return 0;  // unavailable
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
  r.scope = scope_;
  r.joules = read_energy() - start_energy_;
  if (source_ == "estimate") {
    std::ostringstream os;
    os << watts_per_core() << " W per busy core";
    r.assumption = os.str();
  }
  return r;
}

}  // namespace genlab::energy
