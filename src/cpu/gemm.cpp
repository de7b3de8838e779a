// GEMM, the one place genlab calls BLAS: OpenBLAS (cblas) by default, Eigen when
// configured with -DGENLAB_BLAS=eigen.
#include "genlab/backend/cpu.hpp"

#if GENLAB_BLAS_EIGEN
#include <Eigen/Core>
#else
#include <cblas.h>
#endif

namespace genlab::cpu {

const char* blas_name() {
#if GENLAB_BLAS_EIGEN
  return "eigen";
#else
  return "openblas";
#endif
}

template <class T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
          int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
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

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                          float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                           int64_t, double, double*, int64_t);

}  // namespace genlab::cpu
