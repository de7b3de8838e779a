// GEMM, the one place genlab calls BLAS: OpenBLAS (cblas) by default, Eigen when
// configured with -DGENLAB_BLAS=eigen.
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "genlab/backend/blas_core.hpp"
#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

#if GENLAB_BLAS_EIGEN
#include <Eigen/Core>
#else
#include <cblas.h>
#endif

namespace genlab::cpu {

namespace {
// Products split across our threads: from kSplitMinFlops a second thread pays
// (more as threads_for() allows), above kSplitMaxFlops BLAS's own threading is as good.
constexpr double kSplitMinFlops = 2e6, kSplitMaxFlops = 2e9;
}  // namespace

const char* blas_name() {
#if GENLAB_BLAS_EIGEN
  return "eigen";
#else
  return "openblas";
#endif
}

namespace {
template <class T>
void gemm_blas(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
               int64_t ldb, T beta, T* c, int64_t ldc) {
#if GENLAB_BLAS_EIGEN
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Stride = Eigen::OuterStride<>;
  Eigen::Map<const Mat, 0, Stride> A(a, ta ? k : m, ta ? m : k, Stride(lda));
  Eigen::Map<const Mat, 0, Stride> B(b, tb ? n : k, tb ? k : n, Stride(ldb));
  Eigen::Map<Mat, 0, Stride> C(c, m, n, Stride(ldc));
  if (beta == T(0)) C.setZero();
  else if (beta != T(1)) C *= beta;
  if (k == 0) return;
  if (ta && tb) C.noalias() += alpha * A.transpose() * B.transpose();
  else if (ta) C.noalias() += alpha * A.transpose() * B;
  else if (tb) C.noalias() += alpha * A * B.transpose();
  else C.noalias() += alpha * A * B;
#else
  const auto TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, TA, TB, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
  else
    cblas_dgemm(CblasRowMajor, TA, TB, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
#endif
}

// Columns [s, e) of C (or rows, when `rows`) of one product, single-threaded.
// A bias row is written into the piece first, by the thread that then
// accumulates onto it, while that part of C is in its cache.
template <class T>
void gemm_piece(const GemmArgs<T>& g, bool rows, int64_t s, int64_t e) {
  if (e <= s) return;
  const int64_t r0 = rows ? s : 0, r1 = rows ? e : g.m, c0 = rows ? 0 : s, c1 = rows ? g.n : e;
  T beta = g.beta;
  if (g.bias) {
    for (int64_t i = r0; i < r1; ++i) std::copy(g.bias + c0, g.bias + c1, g.c + i * g.ldc + c0);
    beta = T(1);
  }
  if (g.k == 0) {  // BLAS wants lda >= 1; C is just beta * C (or the bias)
    if (beta != T(1))
      for (int64_t i = r0; i < r1; ++i)
        for (int64_t j = c0; j < c1; ++j) g.c[i * g.ldc + j] = beta == T(0) ? T(0) : beta * g.c[i * g.ldc + j];
    return;
  }
  if (rows)
    gemm_blas(g.trans_a, g.trans_b, e - s, g.n, g.k, g.alpha, g.trans_a ? g.a + s : g.a + s * g.lda, g.lda, g.b, g.ldb,
              beta, g.c + s * g.ldc, g.ldc);
  else
    gemm_blas(g.trans_a, g.trans_b, g.m, e - s, g.k, g.alpha, g.a, g.lda, g.trans_b ? g.b + s * g.ldb : g.b + s, g.ldb,
              beta, g.c + s, g.ldc);
}

template <class T>
double flops_of(const GemmArgs<T>& g) { return 2.0 * double(g.m) * double(g.n) * double(g.k); }
}  // namespace

// Mid-sized products (an MLP's 128x784x256) scale poorly under BLAS's own
// threading; splitting C's columns (or rows) across our threads, each calling
// single-threaded BLAS, scales better. Large products keep BLAS's threading.
//
// The group's flops are laid end to end and cut into one equal share per
// thread; a share covers whole columns (rows) of one or more products. The cut
// points are rounded the same way for neighbouring threads, so the pieces tile
// each C exactly.
template <class T>
void gemm_group(const std::vector<GemmArgs<T>>& group) {
  warn_once_about_blas_core();
  double total = 0, largest = 0;
  for (const auto& g : group) {
    total += flops_of(g);
    largest = std::max(largest, flops_of(g));
  }
  const int threads = threads_for(total, kSplitMinFlops);
  if (threads == 1 || largest > kSplitMaxFlops) {
    for (const auto& g : group)
      if (g.m > 0 && g.n > 0) gemm_piece(g, false, 0, g.n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const double nt = omp_get_num_threads(), t = omp_get_thread_num();
    const double lo = total * t / nt, hi = total * (t + 1) / nt;
    double offset = 0;  // flops of the products before this one
    for (const auto& g : group) {
      const double f = flops_of(g);
      if (f == 0 && t == 0 && g.m > 0)  // k == 0: C = beta * C still applies
        gemm_piece(g, false, 0, g.n);
      if (f > 0 && offset < hi && offset + f > lo) {
        // Rows when C is taller than wide, and also when each thread's rows
        // still number 128 or more (a 256 x 784 weight gradient): row pieces
        // are the contiguous slices parallel_for_parts gives each thread of
        // the optimizer, so a gradient is written where it is then read.
        const bool rows = g.m > g.n || g.m >= 128 * int64_t(nt);
        const int64_t len = rows ? g.m : g.n;
        auto cut = [&](double x) { return std::clamp<int64_t>(std::llround((x - offset) / f * double(len)), 0, len); };
        gemm_piece(g, rows, cut(lo), cut(hi));
      }
      offset += f;
    }
  }
}

template <class T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
          int64_t ldb, T beta, T* c, int64_t ldc) {
  gemm_group<T>({{ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc}});
}

template void gemm_group<float>(const std::vector<GemmArgs<float>>&);
template void gemm_group<double>(const std::vector<GemmArgs<double>>&);
template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                          float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                           int64_t, double, double*, int64_t);

}  // namespace genlab::cpu
