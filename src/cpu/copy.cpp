// Strided copy with dtype conversion: the kernel behind contiguous(), to(DType) and copy_().
#include "genlab/backend/cpu.hpp"
#include "genlab/core/tensor.hpp"
#include "genlab/core/threads.hpp"

namespace genlab::cpu {

void copy_strided(const void* src, DType st, const Strides& ss, int64_t so, void* dst, DType dt, const Strides& ds,
                  int64_t doff, const Shape& shape) {
  const int64_t n = numel_of(shape);
  if (n == 0) return;
  dispatch_all(st, [&]<class S>() {
    dispatch_all(dt, [&]<class D>() {
      const S* s = static_cast<const S*>(src) + so;
      D* d = static_cast<D*>(dst) + doff;
      const size_t nd = shape.size();
      if (nd == 0) { d[0] = convert<D>(s[0]); return; }
      const int64_t inner = shape[nd - 1], rows = n / inner;
      const int64_t is = ss[nd - 1], id = ds[nd - 1];
      parallel_for(rows, std::max<int64_t>(1, (1 << 14) / inner), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          int64_t os = 0, od = 0, rem = r;
          for (size_t k = nd - 1; k-- > 0;) {
            int64_t i = rem % shape[k];
            rem /= shape[k];
            os += i * ss[k];
            od += i * ds[k];
          }
          const S* sp = s + os;
          D* dp = d + od;
          if (is == 1 && id == 1) {
            for (int64_t i = 0; i < inner; ++i) dp[i] = convert<D>(sp[i]);
          } else {
            for (int64_t i = 0; i < inner; ++i) dp[i * id] = convert<D>(sp[i * is]);
          }
        }
      });
    });
  });
}

}  // namespace genlab::cpu
