// Scans along the middle axis of [outer, r, inner]: cumsum and its reverse
// (cumsum's backward). Each (outer, inner) column is one running sum in
// double, so a long column does not drift; the columns of a block of inner
// indices advance together, so a row of memory is read in order.
#include <algorithm>
#include <vector>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

namespace genlab::cpu {

template <class T>
void cumsum(const T* x, T* y, int64_t outer, int64_t r, int64_t inner, bool reverse) {
  constexpr int64_t kColumns = 256;  // running sums held at once
  const int64_t blocks = (inner + kColumns - 1) / kColumns;
  parallel_for(outer * blocks, std::max<int64_t>(1, (1 << 12) / std::max<int64_t>(r * kColumns, 1)),
               [&](int64_t b, int64_t e) {
    double acc[kColumns];
    for (int64_t ob = b; ob < e; ++ob) {
      const int64_t o = ob / blocks, j0 = ob % blocks * kColumns, w = std::min(kColumns, inner - j0);
      std::fill(acc, acc + w, 0.0);
      for (int64_t s = 0; s < r; ++s) {
        const int64_t k = reverse ? r - 1 - s : s, base = (o * r + k) * inner + j0;
        for (int64_t j = 0; j < w; ++j) y[base + j] = T(acc[j] += double(x[base + j]));
      }
    }
  });
}

template void cumsum<float>(const float*, float*, int64_t, int64_t, int64_t, bool);
template void cumsum<double>(const double*, double*, int64_t, int64_t, int64_t, bool);

}  // namespace genlab::cpu
