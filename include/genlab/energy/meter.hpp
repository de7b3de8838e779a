// energy::Meter: joules spent between start() and stop(), with their source:
//   "rapl"     package energy from /sys/class/powercap (intel-rapl:*, also on AMD) when readable,
//   "nvml"     GPU energy through libnvidia-ml (dlopen) when a GPU is metered,
//   "estimate" process CPU time x a stated watts-per-core (GENLAB_WATTS_PER_CORE, default 10 W).
// Every figure printed by genlab carries its source.
#pragma once
#include <string>

namespace genlab::energy {

struct Reading {
  double joules = 0, seconds = 0;
  std::string source;       // rapl | nvml | estimate
  std::string assumption;   // for estimates: the watts-per-core used
  std::string str() const;  // "12.3 J (rapl)"
};

class Meter {
 public:
  explicit Meter(bool gpu = false);
  void start();
  Reading stop() const;
  const std::string& source() const { return source_; }
  static double watts_per_core();

 private:
  std::string source_;
  double start_energy_ = 0, start_cpu_ = 0, start_wall_ = 0;
  double read_energy() const;  // joules from the chosen counter
};

}  // namespace genlab::energy
