// Process-wide state: the caching allocators, the default Philox generator,
// the thread count and the autograd grad mode.
#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <omp.h>

#include "genlab/autograd/node.hpp"
#include "genlab/backend/cuda.hpp"
#include "genlab/core/core.hpp"

namespace genlab {
namespace {

// Under AddressSanitizer released blocks go straight back to the system, so a
// kernel or closure that reads a freed tensor is reported instead of reading a
// cached block that happens to hold the old values.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheBlocks = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kCacheBlocks = false;
#else
constexpr bool kCacheBlocks = true;
#endif
#else
constexpr bool kCacheBlocks = true;
#endif

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
    if (!kCacheBlocks) {
      raw_free(p);
      stats_.reserved_bytes -= sz;
      return;
    }
    free_.emplace(sz, p);
  }
  void empty() {
    std::lock_guard<std::mutex> l(m_);
    empty_locked();
  }
  MemoryStats stats() {
    std::lock_guard<std::mutex> l(m_);
    return stats_;
  }

 private:
  void* raw_alloc(size_t sz) {
    if (device_.is_cuda()) return cuda::malloc(sz);
    void* p = cpu_alloc(sz);
    if (!p) {
      empty_locked();
      p = cpu_alloc(sz);
    }
    GENLAB_CHECK(p != nullptr, "out of CPU memory allocating ", sz, " bytes (", stats_.allocated_bytes,
                 " bytes in use)");
    return p;
  }
  // Blocks of 2 MiB and more are 2 MiB aligned and asked to be backed by huge
  // pages: a dataset read in random rows (or a weight matrix) then costs one
  // TLB entry per 2 MiB instead of one per 4 KiB; a shuffled batch gather from
  // the 188 MB Fashion-MNIST tensor, cold, takes about a third less time.
  static void* cpu_alloc(size_t sz) {
    constexpr size_t kHuge = size_t(2) << 20;
    if (sz < kHuge) return std::aligned_alloc(kAlignment, sz);
    void* p = std::aligned_alloc(kHuge, (sz + kHuge - 1) & ~(kHuge - 1));
    if (p) madvise(p, sz, MADV_HUGEPAGE);  // a hint: ignored where THP is off
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
  if (std::getenv("OMP_NUM_THREADS")) return omp_get_max_threads();
  return default_num_threads();
}
// A function-local static, so tensors built during other files' static
// initialisation already see the right count.
// Atomic: set_num_threads on one thread races with num_threads on others.
std::atomic<int>& thread_count() {
  static std::atomic<int> n{[] {
    int t = initial_threads();
    omp_set_num_threads(t);
    return t;
  }()};
  return n;
}
thread_local bool g_grad_mode = true;

}  // namespace

void* device_alloc(Device d, size_t nbytes) { return allocator_for(d).alloc(nbytes); }
void device_free(Device d, void* p, size_t nbytes) { allocator_for(d).release(p, nbytes); }
MemoryStats memory_stats(Device d) { return allocator_for(d).stats(); }
void empty_cache(Device d) { allocator_for(d).empty(); }
bool allocator_caches_blocks() { return kCacheBlocks; }

Generator& default_generator() {
  static Generator g;
  return g;
}

// OpenMP's thread count is a per-thread setting that a new std::thread starts
// with at its default (all cores), and OpenBLAS (OpenMP flavour) reads the
// calling thread's: each thread applies genlab's count before its first use.
int num_threads() {
  thread_local int applied = 0;
  const int n = thread_count().load(std::memory_order_relaxed);
  if (applied != n) {
    omp_set_num_threads(n);
    applied = n;
  }
  return n;
}
void set_num_threads(int n) {
  GENLAB_CHECK(n > 0, "set_num_threads: need at least 1 thread, got ", n);
  thread_count().store(n, std::memory_order_relaxed);
  num_threads();
}

bool cuda_is_available() { return cuda::device_count() > 0; }  // a GPU, or the emulated device

namespace autograd {
bool grad_mode_enabled() { return g_grad_mode; }
void set_grad_mode(bool on) { g_grad_mode = on; }
}  // namespace autograd

}  // namespace genlab
