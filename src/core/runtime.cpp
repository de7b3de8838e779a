// Process-wide state: the caching allocators, the default Philox generator,
// the thread count and the autograd grad mode.
#include <pthread.h>
#include <sched.h>

#include <cstdlib>
#include <string>
#include <vector>
#include <map>
#include <mutex>
#include <omp.h>

#include "genlab/autograd/node.hpp"
#include "genlab/backend/cuda.hpp"
#include "genlab/core/core.hpp"

namespace genlab {
namespace {

// Rounds requests so that blocks are reusable across nearby sizes.
size_t round_size(size_t n) {
  if (n < kAlignment) return kAlignment;
  if (n < (1u << 20)) return (n + 511) & ~size_t(511);
  return (n + (1u << 20) - 1) & ~size_t((1u << 20) - 1);
}

class CachingAllocator {
 public:
  explicit CachingAllocator(Device d) : device_(d) {}
  ~CachingAllocator() { empty(); }
  void* alloc(size_t n) {
    size_t sz = round_size(n);
    std::lock_guard<std::mutex> l(m_);
    ++stats_.num_allocs;
    void* p = nullptr;
    auto it = free_.find(sz);
    if (it != free_.end()) {
      p = it->second;
      free_.erase(it);
      ++stats_.num_cache_hits;
    } else {
      p = raw_alloc(sz);
      ++stats_.num_device_allocs;
      stats_.reserved_bytes += sz;
    }
    stats_.allocated_bytes += sz;
    stats_.peak_allocated_bytes = std::max(stats_.peak_allocated_bytes, stats_.allocated_bytes);
    return p;
  }
  void release(void* p, size_t n) {
    size_t sz = round_size(n);
    std::lock_guard<std::mutex> l(m_);
    stats_.allocated_bytes -= sz;
    free_.emplace(sz, p);
  }
  void empty() {
    std::lock_guard<std::mutex> l(m_);
    for (auto& [sz, p] : free_) { raw_free(p); stats_.reserved_bytes -= sz; }
    free_.clear();
  }
  MemoryStats stats() {
    std::lock_guard<std::mutex> l(m_);
    return stats_;
  }

 private:
  void* raw_alloc(size_t sz) {
    if (device_.is_cuda()) return cuda::malloc(sz);
    void* p = std::aligned_alloc(kAlignment, sz);
    if (!p) {
      empty_locked();
      p = std::aligned_alloc(kAlignment, sz);
    }
    GENLAB_CHECK(p != nullptr, "out of CPU memory allocating ", sz, " bytes (", stats_.allocated_bytes,
                 " bytes in use)");
    return p;
  }
  void raw_free(void* p) {
    if (device_.is_cuda()) cuda::free(p);
    else std::free(p);
  }
  void empty_locked() {
    for (auto& [sz, p] : free_) { raw_free(p); stats_.reserved_bytes -= sz; }
    free_.clear();
  }
  Device device_;
  std::mutex m_;
  std::multimap<size_t, void*> free_;
  MemoryStats stats_;
};

CachingAllocator& allocator_for(Device d) {
  // Leaked on purpose: tensors in static objects may be freed after main().
  static auto* cpu = new CachingAllocator(Device::cpu());
  static auto* gpu = new CachingAllocator(Device::cuda(0));
  GENLAB_CHECK(d.is_cpu() || d.index == 0, "only cuda:0 is supported, got ", d.str());
  return d.is_cpu() ? *cpu : *gpu;
}

int initial_threads() {
  if (const char* s = std::getenv("GENLAB_NUM_THREADS")) {
    int n = std::atoi(s);
    if (n > 0) return n;
  }
  return omp_get_max_threads();
}
// With every core in the pool, OpenMP threads that migrate (and land on one core
// together) made the 2-thread MLP epoch bimodal here, 0.34 s or 0.53 s; pinning
// thread t to the t-th allowed CPU, as OMP_PROC_BIND=true does, keeps it at 0.34 s.
// With fewer threads than cores nothing is pinned, so other threads (the data
// loader's prefetch) keep a free core. GENLAB_PIN_THREADS=0 or OMP_PROC_BIND turns it off.
void apply_affinity(int n) {
  const char* pin = std::getenv("GENLAB_PIN_THREADS");
  if ((pin && std::string(pin) == "0") || std::getenv("OMP_PROC_BIND")) return;
  static const cpu_set_t allowed = [] {
    cpu_set_t s;
    CPU_ZERO(&s);
    sched_getaffinity(0, sizeof s, &s);
    return s;
  }();
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  const bool pin_all = cpus.size() > 1 && n == int(cpus.size());
#pragma omp parallel num_threads(n)
  {
    cpu_set_t mine = allowed;
    if (pin_all) {
      CPU_ZERO(&mine);
      CPU_SET(cpus[size_t(omp_get_thread_num())], &mine);
    }
    pthread_setaffinity_np(pthread_self(), sizeof mine, &mine);
  }
}

int g_threads = [] {
  int n = initial_threads();
  omp_set_num_threads(n);
  apply_affinity(n);
  return n;
}();
thread_local bool g_grad_mode = true;

}  // namespace

void* device_alloc(Device d, size_t nbytes) { return allocator_for(d).alloc(nbytes); }
void device_free(Device d, void* p, size_t nbytes) { allocator_for(d).release(p, nbytes); }
MemoryStats memory_stats(Device d) { return allocator_for(d).stats(); }
void empty_cache(Device d) { allocator_for(d).empty(); }

Generator& default_generator() {
  static Generator g;
  return g;
}

int num_threads() { return g_threads; }
void set_num_threads(int n) {
  GENLAB_CHECK(n > 0, "set_num_threads: need at least 1 thread, got ", n);
  g_threads = n;
  omp_set_num_threads(n);  // OpenBLAS (OpenMP flavour) follows this too
  apply_affinity(n);
}

bool cuda_is_available() { return cuda::built() && cuda::device_count() > 0; }

namespace autograd {
bool grad_mode_enabled() { return g_grad_mode; }
void set_grad_mode(bool on) { g_grad_mode = on; }
}  // namespace autograd

}  // namespace genlab
