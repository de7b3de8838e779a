// Walks along the middle axis of [outer, r, inner]: cumsum and its reverse
// (cumsum's backward), and prod. Each (outer, inner) column is one running sum
// (product) in double, so a long column does not drift; the columns of a block
// of inner indices advance together, so a row of memory is read in order.
#include <algorithm>
#include <vector>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

namespace genlab::cpu {
namespace {
constexpr int64_t kColumns = 256;  // running values held at once
// f(o, j0, w, acc): columns j0 .. j0 + w of outer index o, with acc[kColumns] to keep them in.
template <class F>
void column_blocks(int64_t outer, int64_t r, int64_t inner, F f) {
  const int64_t blocks = (inner + kColumns - 1) / kColumns;
  parallel_for(outer * blocks, std::max<int64_t>(1, (1 << 12) / std::max<int64_t>(r * kColumns, 1)),
               [&](int64_t b, int64_t e) {
    double acc[kColumns];
    for (int64_t ob = b; ob < e; ++ob) {
      const int64_t j0 = ob % blocks * kColumns;
      f(ob / blocks, j0, std::min(kColumns, inner - j0), acc);
    }
  });
}
}  // namespace

template <class T>
void cumsum(const T* x, T* y, int64_t outer, int64_t r, int64_t inner, bool reverse) {
  column_blocks(outer, r, inner, [&](int64_t o, int64_t j0, int64_t w, double* acc) {
    std::fill(acc, acc + w, 0.0);
    for (int64_t s = 0; s < r; ++s) {
      const int64_t k = reverse ? r - 1 - s : s, base = (o * r + k) * inner + j0;
      for (int64_t j = 0; j < w; ++j) y[base + j] = T(acc[j] += double(x[base + j]));
    }
  });
}

template <class T>
void prod(const T* x, T* out, int64_t outer, int64_t r, int64_t inner) {
  column_blocks(outer, r, inner, [&](int64_t o, int64_t j0, int64_t w, double* acc) {
    std::fill(acc, acc + w, 1.0);
    for (int64_t k = 0; k < r; ++k) {
      const int64_t base = (o * r + k) * inner + j0;
      for (int64_t j = 0; j < w; ++j) acc[j] *= double(x[base + j]);
    }
    for (int64_t j = 0; j < w; ++j) out[o * inner + j0 + j] = T(acc[j]);
  });
}

template void cumsum<float>(const float*, float*, int64_t, int64_t, int64_t, bool);
template void cumsum<double>(const double*, double*, int64_t, int64_t, int64_t, bool);
template void prod<float>(const float*, float*, int64_t, int64_t, int64_t);
template void prod<double>(const double*, double*, int64_t, int64_t, int64_t);

}  // namespace genlab::cpu
