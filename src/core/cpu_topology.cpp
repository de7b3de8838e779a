// The default thread count: physical cores in this process's affinity mask,
// capped by a cgroup CPU quota (a container given 4 CPUs of a 64-core host
// must not start 64 threads). Hyperthreads of one core share its FMA units,
// so a second thread per core does not speed up GEMM-bound work and makes
// every barrier wait for the slower sibling.
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "genlab/core/threads.hpp"

namespace genlab {
namespace detail {

int cgroup_cpu_limit(std::string_view cpu_max) {
  std::istringstream in{std::string(cpu_max)};
  std::string quota;
  double period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0) return 0;
  const double q = std::atof(quota.c_str());
  return q > 0 ? int(std::ceil(q / period)) : 0;
}

int physical_cores(const std::vector<int>& cpus, const std::string& sysfs_cpu_dir) {
  std::set<std::pair<long, long>> cores;  // (package, core id)
  for (int c : cpus) {
    const std::string topo = sysfs_cpu_dir + "/cpu" + std::to_string(c) + "/topology/";
    long core = -1, package = -1;
    std::ifstream(topo + "core_id") >> core;
    std::ifstream(topo + "physical_package_id") >> package;
    if (core < 0) return 0;  // no topology: the caller falls back
    cores.insert({package, core});
  }
  return int(cores.size());
}

namespace {
std::vector<int> affinity_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}
std::string read_all(const char* path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
// cgroup v2's cpu.max ("400000 100000"), else v1's quota and period files.
int cgroup_limit() {
  if (int n = cgroup_cpu_limit(read_all("/sys/fs/cgroup/cpu.max"))) return n;
  return cgroup_cpu_limit(read_all("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") + " " +
                          read_all("/sys/fs/cgroup/cpu/cpu.cfs_period_us"));
}
struct Default {
  int threads;
  std::string reason;
};
const Default& computed_default() {
  static const Default d = [] {
    const std::vector<int> cpus = affinity_cpus();
    const int logical = cpus.empty() ? int(std::max(1u, std::thread::hardware_concurrency())) : int(cpus.size());
    const int physical = cpus.empty() ? 0 : physical_cores(cpus, "/sys/devices/system/cpu");
    const int quota = cgroup_limit();
    int n = physical > 0 ? physical : logical;
    if (quota > 0) n = std::min(n, quota);
    std::ostringstream why;
    if (physical > 0) why << physical << " physical cores in the affinity mask of " << logical << " CPUs";
    else why << logical << " CPUs in the affinity mask (no core topology)";
    if (quota > 0) why << "; cgroup quota " << quota << " CPUs";
    else why << "; no cgroup quota";
    return Default{std::max(1, n), why.str()};
  }();
  return d;
}
}  // namespace
}  // namespace detail

int default_num_threads() { return detail::computed_default().threads; }
std::string default_num_threads_reason() { return detail::computed_default().reason; }

}  // namespace genlab
