// Caching allocator, one per device: 64-byte-aligned CPU blocks (or cudaMalloc
// blocks) are kept in size buckets after release and reused, like PyTorch's
// caching allocator, so training loops stop paying for malloc/free.
#pragma once
#include <cstddef>
#include <cstdint>

#include "genlab/core/device.hpp"

namespace genlab {

struct MemoryStats {
  size_t allocated_bytes = 0;       // live, handed to tensors
  size_t peak_allocated_bytes = 0;
  size_t reserved_bytes = 0;        // live + cached
  uint64_t num_allocs = 0;          // requests served
  uint64_t num_cache_hits = 0;      // requests served from the cache
  uint64_t num_device_allocs = 0;   // requests that reached malloc/cudaMalloc
};

constexpr size_t kAlignment = 64;

void* device_alloc(Device d, size_t nbytes);
void device_free(Device d, void* p, size_t nbytes);
MemoryStats memory_stats(Device d = Device::cpu());
void empty_cache(Device d = Device::cpu());  // returns cached blocks to the system
bool allocator_caches_blocks();              // false in AddressSanitizer builds

}  // namespace genlab
