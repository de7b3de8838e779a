// GEMM, the one place genlab calls BLAS: OpenBLAS (cblas) by default, Eigen when
// configured with -DGENLAB_BLAS=eigen.
#include <omp.h>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

#if GENLAB_BLAS_EIGEN
#include <Eigen/Core>
#else
#include <cblas.h>
#endif

namespace genlab::cpu {

namespace {
// Products split across our threads: below kSplitMinFlops threading does not
// pay, above kSplitMaxFlops BLAS's own threading is as good.
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
}  // namespace

// Mid-sized products (an MLP's 128x784x256) scale poorly under BLAS's own
// threading; splitting C's columns (or rows) across our threads, each calling
// single-threaded BLAS, scales better. Large products keep BLAS's threading.
template <class T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
          int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  const int threads = num_threads();
  const double flops = 2.0 * double(m) * double(n) * double(k);
  if (threads == 1 || flops < kSplitMinFlops || flops > kSplitMaxFlops) {
    gemm_blas(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  const bool split_n = n >= m;
  const int64_t len = split_n ? n : m;
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t s = len * t / nt, e = len * (t + 1) / nt;
    if (e > s) {
      if (split_n)  // columns s..e of op(B) and C
        gemm_blas(ta, tb, m, e - s, k, alpha, a, lda, tb ? b + s * ldb : b + s, ldb, beta, c + s, ldc);
      else          // rows s..e of op(A) and C
        gemm_blas(ta, tb, e - s, n, k, alpha, ta ? a + s : a + s * lda, lda, b, ldb, beta, c + s * ldc, ldc);
    }
  }
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                          float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                           int64_t, double, double*, int64_t);

}  // namespace genlab::cpu
