// energy::Meter: joules spent between start() and stop(), with their source:
//   "rapl"     package energy from /sys/class/powercap (intel-rapl:*, also on AMD) when readable,
//   "nvml"     GPU energy through libnvidia-ml (dlopen) when a GPU is metered,
//   "estimate" process CPU time x a stated watts-per-core (GENLAB_WATTS_PER_CORE, default 10 W),
//   "unavailable: <why>" a GPU meter that cannot read (emulated device, no NVML, no counter).
// Every figure printed by genlab carries its source; a GPU run reports the
// GPU's reading and the host's, each scoped: "25.1 J (nvml, GPU) + 180 J
// (estimate, host: 10 W per busy core)".
#pragma once
#include <string>
#include <vector>

namespace genlab::energy {

struct Reading {
  double joules = 0, seconds = 0;
  std::string source;       // rapl | nvml | estimate | "unavailable: <why>"
  std::string assumption;   // for estimates: the watts-per-core used
  std::string scope;        // what was metered, "GPU" or "host"; printed when set
  bool available() const;   // false for an "unavailable: ..." reading (its joules are 0)
  std::string str() const;  // "12.3 J (rapl)", "25.1 J (nvml, GPU)", "GPU n/a (unavailable: <why>)"
};
// Readings joined by " + ", e.g. a GPU run's GPU and host readings.
std::string str(const std::vector<Reading>& readings);

struct Nvml;

class Meter {
 public:
  // gpu: the GPU through NVML where it can be read, else the host meter
  // (unscoped readings, as before; a GPU run that wants both uses the two below).
  explicit Meter(bool gpu = false);
  // The host: RAPL where readable, else the estimate; readings scoped "host".
  static Meter host();
  // The CUDA device genlab runs on (cuda:0, found in NVML by its PCI bus id):
  // readings scoped "GPU", source "nvml", or "unavailable: <why>" on the
  // emulated device or where NVML cannot be loaded or has no energy counter.
  // GENLAB_NVML_LIBRARY names another library than libnvidia-ml.so.1.
  static Meter cuda_device();
  void start();
  Reading stop() const;
  const std::string& source() const { return source_; }
  static double watts_per_core();

 private:
  std::string source_, scope_;
  const Nvml* nvml_ = nullptr;
  double start_energy_ = 0, start_cpu_ = 0, start_wall_ = 0;
  double read_energy() const;  // joules from the chosen counter
};

}  // namespace genlab::energy
