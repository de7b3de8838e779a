// Philox4x32-10 counter-based RNG. A draw is a pure function of (seed, offset):
// element i of a tensor drawn at `offset` uses counter offset + i/4, so the CPU
// and CUDA backends produce the same values for the same seed, in any thread order.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <mutex>

namespace genlab {

struct Philox {
  static std::array<uint32_t, 4> block(uint64_t seed, uint64_t counter, uint64_t subsequence = 0) {
    uint32_t c0 = uint32_t(counter), c1 = uint32_t(counter >> 32);
    uint32_t c2 = uint32_t(subsequence), c3 = uint32_t(subsequence >> 32);
    uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
    for (int r = 0; r < 10; ++r) {
      uint64_t p0 = uint64_t(0xD2511F53u) * c0, p1 = uint64_t(0xCD9E8D57u) * c2;
      uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0, n1 = uint32_t(p1);
      uint32_t n2 = uint32_t(p0 >> 32) ^ c3 ^ k1, n3 = uint32_t(p0);
      c0 = n0; c1 = n1; c2 = n2; c3 = n3;
      k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
    }
    return {c0, c1, c2, c3};
  }
  // Uniform in (0, 1], 24 bits of mantissa as PyTorch uses for float.
  static double to_unit(uint32_t x) { return (double(x >> 8) + 1.0) * (1.0 / 16777216.0); }
};

// The global generator: a seed and an offset that each draw advances.
class Generator {
 public:
  void manual_seed(uint64_t seed) { std::lock_guard<std::mutex> l(m_); seed_ = seed; offset_ = 0; }
  uint64_t seed() const { return seed_; }
  // Reserves `n` counters and returns the first.
  uint64_t reserve(uint64_t n) { std::lock_guard<std::mutex> l(m_); uint64_t o = offset_; offset_ += n; return o; }
 private:
  std::mutex m_;
  uint64_t seed_ = 0x2545F4914F6CDD1DULL, offset_ = 0;
};

Generator& default_generator();
inline void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace genlab
