// Accurate float sums shared by the CPU kernels of reduce.cpp and norm.cpp
// (internal to src/cpu): every sum of floats accumulates in double,
// vectorised, so long rows and columns stay accurate.
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <immintrin.h>
#include <xsimd/xsimd.hpp>

namespace genlab::cpu::sums {

// Accurate sums: four batches are added pairwise in float, (a + b) + (c + d),
// and that sum is widened and added in double lanes. The error is at most
// 2u sum|x_i| (u = 2^-24) whatever n, where a float running sum of 1e7 x
// 0.1f is 1% off; same-sign data rounds about once. Converting one batch in
// four keeps the loop as fast as the plain float sum.
using D = xsimd::batch<double>;
template <class B>
inline void add_wide(D& lo, D& hi, const B& v) {
  if constexpr (std::is_same_v<typename B::value_type, double>) {
    lo += v;
  } else {
#if defined(__AVX512F__)
    if constexpr (B::size == 16 && D::size == 8) {
      const __m512 f = v;
      lo += D(_mm512_cvtps_pd(_mm512_castps512_ps256(f)));
      hi += D(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(f), 1))));
      return;
    }
#endif
#if defined(__AVX__)
    if constexpr (B::size == 8 && D::size == 4) {
      const __m256 f = v;
      lo += D(_mm256_cvtps_pd(_mm256_castps256_ps128(f)));
      hi += D(_mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
      return;
    }
#endif
    alignas(64) float buf[B::size];  // other instruction sets: through memory
    v.store_aligned(buf);
    alignas(64) double wide[B::size];
    for (size_t j = 0; j < B::size; ++j) wide[j] = buf[j];
    for (size_t j = 0; j < B::size; j += D::size) lo += D::load_aligned(wide + j);
  }
}
// sum_{i < n} f(i) in double: fb(i) gives the batch at i, fs(i) one element (the tail).
template <class T, class FB, class FS>
double acc_sum(int64_t n, FB&& fb, FS&& fs) {
  constexpr int64_t W = int64_t(xsimd::batch<T>::size);
  D a0(0.0), a1(0.0), a2(0.0), a3(0.0);
  int64_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    const auto p = fb(i) + fb(i + W), q = fb(i + 2 * W) + fb(i + 3 * W);
    add_wide(a0, a1, p + q);
  }
  for (; i + W <= n; i += W) add_wide(a2, a3, fb(i));
  double total = xsimd::hadd((a0 + a1) + (a2 + a3));
  for (; i < n; ++i) total += double(fs(i));
  return total;
}
template <class T>
double vec_sum(const T* x, int64_t n) {
  using B = xsimd::batch<T>;
  return acc_sum<T>(n, [&](int64_t i) { return B::load_unaligned(x + i); }, [&](int64_t i) { return x[i]; });
}
// Column sums out[j] = sum_r f(r, j) for j in [jb, je), and optionally
// out2[j] = sum_r f2(r, j) in the same pass: four rows added pairwise in
// float, then into double per column (the error bound of acc_sum), kCols
// columns at a time so the accumulators stay in L1.
template <class F>
inline auto four_rows(F& f, int64_t r, int64_t j) {
  return (f(r, j) + f(r + 1, j)) + (f(r + 2, j) + f(r + 3, j));
}
template <class T, class F, class F2>
void column_sums(int64_t rows, int64_t jb, int64_t je, T* out, F&& f, T* out2, F2&& f2) {
  constexpr int64_t kCols = 1024;
  double acc[kCols], acc2[kCols];
  for (int64_t c0 = jb; c0 < je; c0 += kCols) {
    const int64_t n = std::min(kCols, je - c0);
    std::fill(acc, acc + n, 0.0);
    std::fill(acc2, acc2 + n, 0.0);
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4) {
      if (out) {
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) acc[j] += double(four_rows(f, r, c0 + j));
      }
      if (out2) {
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) acc2[j] += double(four_rows(f2, r, c0 + j));
      }
    }
    for (; r < rows; ++r) {
      if (out)
        for (int64_t j = 0; j < n; ++j) acc[j] += double(f(r, c0 + j));
      if (out2)
        for (int64_t j = 0; j < n; ++j) acc2[j] += double(f2(r, c0 + j));
    }
    for (int64_t j = 0; j < n; ++j) {
      if (out) out[c0 + j] = T(acc[j]);
      if (out2) out2[c0 + j] = T(acc2[j]);
    }
  }
}
}  // namespace genlab::cpu::sums
