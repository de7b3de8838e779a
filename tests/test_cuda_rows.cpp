// The register-cached row kernels of cuda/norm.cuh on the emulated device:
// warp shuffles, the launch geometry, and their accuracy against numpy; and
// the float32 matmul precision switch (its TF32 values: tests/test_gpu.cpp).
#include <gtest/gtest.h>

#include <genlab/genlab.hpp>

#include "../cuda/emulate.hpp"
#include "../cuda/row_cache.cuh"
#include "emulated_device.hpp"

using namespace genlab;
namespace emu = genlab::cuda::emulate;
namespace k = genlab::cuda::kernels;

using genlab::testing::host;
using genlab::testing::on_device;
using genlab::testing::on_emulated_device;
using genlab::testing::u_row;

// shfl_xor exchanges within each warp of 32 (two warps here), for floats and
// doubles; row_reduce over a warp and over a whole block gives every thread
// the exact sum 0 + 1 + ... and the max.
TEST(CudaEmulation, WarpShufflesAndRowReductions) {
  std::vector<float> got(64);
  std::vector<double> got_d(64);
  emu::launch(1, 64, 0, [&](emu::Ctx& c) {
    got[c.thread()] = c.shfl_xor(float(c.thread()), 5u);
    got_d[c.thread()] = c.shfl_xor(double(c.thread()) + 0.5, 16u);
  });
  for (unsigned t = 0; t < 64; ++t) {
    EXPECT_EQ(got[t], float(t ^ 5u)) << t;
    EXPECT_EQ(got_d[t], double(t ^ 16u) + 0.5) << t;
  }
  std::vector<double> warp_sum(128), block_sum(128);
  std::vector<float> block_max(128);
  emu::launch(2, 128, 32 * sizeof(double), [&](emu::Ctx& c) {
    const unsigned t = c.thread();
    warp_sum[t] = k::row_reduce(c, double(t), k::Sum{}, 32);
    block_sum[t] = k::row_reduce(c, double(t), k::Sum{}, 128);
    block_max[t] = k::row_reduce(c, float((t * 37) % 128), k::Max{}, 128);
  });
  for (unsigned t = 0; t < 128; ++t) {
    const double w = t / 32 * 32;  // the warp's first lane
    EXPECT_EQ(warp_sum[t], 32 * w + 496) << t;
    EXPECT_EQ(block_sum[t], 8128) << t;
    EXPECT_EQ(block_max[t], 127.f) << t;
  }
}

// The launch geometry: a warp per row up to 8 packs per lane, a block per
// row up to 512 threads x 8 packs, float4 only for aligned rows of 4k floats.
TEST(CudaEmulation, RowPlansPickWarpBlockOrMultiPass) {
  struct Want { int64_t cols; bool aligned; int pack, chunks; unsigned threads; };
  for (const Want& w : {Want{1, true, 1, 1, 32}, Want{7, true, 1, 1, 32}, Want{768, true, 4, 6, 32},
                        Want{1000, true, 4, 8, 32}, Want{1024, true, 4, 8, 32}, Want{768, false, 1, 3, 256},
                        Want{1028, true, 4, 3, 128}, Want{4096, true, 4, 4, 256}, Want{5000, true, 4, 3, 512},
                        Want{3001, true, 1, 6, 512}, Want{4099, true, 1, 0, 0}, Want{16384, true, 4, 8, 512},
                        Want{16388, true, 4, 0, 0}, Want{int64_t(1) << 22, true, 4, 0, 0}}) {
    const auto p = k::plan_rows(w.cols, w.aligned);
    EXPECT_EQ(p.pack, w.pack) << w.cols;
    EXPECT_EQ(p.chunks, w.chunks) << w.cols;
    if (w.chunks == 0) continue;
    EXPECT_EQ(p.threads, w.threads) << w.cols;
    EXPECT_EQ(p.block, w.threads == 32 ? 128u : w.threads) << w.cols;
  }
  EXPECT_EQ(k::plan_rows(4096, true, k::kBackwardChunks).chunks, 4);
  EXPECT_EQ(k::plan_rows(16384, true, k::kBackwardChunks).chunks, 0);  // two arrays: half as long
}

// The cached kernels keep the double-accumulation accuracy of issue 7 on rows
// that stay in registers (a warp's 1000, a block's 4096 and 16384 columns):
// layer_norm of x = 10 + u and softmax of 4u against numpy float64 statistics
// of the same float32 inputs (mean, variance; S = sum exp(4u)).
TEST(CudaEmulation, CachedRowsAreAsExactAsDoubleSums) {
  struct Ref { int64_t n; double mean, var, s; };
  for (const Ref& ref : {Ref{1000, 10.000355846405029, 0.08340861063757127, 1816.0245340233064},
                         Ref{4096, 10.000291542615741, 0.08335311487864205, 7436.55826198264},
                         Ref{16384, 10.000013875425793, 0.08333810147023879, 29712.827688323905}}) {
    ASSERT_GT(k::plan_rows(ref.n, true).chunks, 0) << ref.n << " columns should take the cached kernels";
    on_emulated_device([&] {
      auto xl = u_row(ref.n, 1.f, 10.f), xs = u_row(ref.n, 4.f, 0.f);
      auto y = host(ops::layer_norm(on_device(xl, {1, ref.n}), {ref.n}));
      auto p = host(ops::softmax(on_device(xs, {1, ref.n}), -1));
      const double rs = 1.0 / std::sqrt(ref.var + 1e-5);
      double worst_y = 0, worst_p = 0;
      for (int64_t i = 0; i < ref.n; ++i) {
        worst_y = std::max(worst_y, std::abs(double(y[size_t(i)]) - (double(xl[size_t(i)]) - ref.mean) * rs));
        const double pr = std::exp(double(xs[size_t(i)])) / ref.s;
        worst_p = std::max(worst_p, std::abs(p[size_t(i)] - pr) / pr);
      }
      EXPECT_LT(worst_y, 5e-6) << ref.n;
      EXPECT_LT(worst_p, 1e-6) << ref.n;
    });
  }
}

// ---- set_float32_matmul_precision (values: tests/test_gpu.cpp, Gpu.Float32MatmulPrecision).
TEST(Precision, Float32MatmulPrecisionSwitch) {
  EXPECT_EQ(get_float32_matmul_precision(), "highest");  // the default
  for (const char* p : {"high", "medium", "highest"}) {
    set_float32_matmul_precision(p);
    EXPECT_EQ(get_float32_matmul_precision(), p);
  }
  try {
    set_float32_matmul_precision("tf32");
    FAIL() << "no error for \"tf32\"";
  } catch (const Error& e) {
    const std::string m = e.what();
    for (const char* part : {"\"tf32\"", "\"highest\"", "\"high\"", "\"medium\""})
      EXPECT_NE(m.find(part), std::string::npos) << m;
  }
  EXPECT_EQ(get_float32_matmul_precision(), "highest");  // unchanged by the bad call
  // The CPU GEMM stays FP32 at "high": 1 + 2^-11 (a TF32 tie) times 1 is itself.
  set_float32_matmul_precision("high");
  const float v = 1.f + 1.f / 2048;
  EXPECT_EQ(ops::matmul(Tensor::full({1, 1}, v), Tensor::ones({1, 1})).item<float>(), v);
  set_float32_matmul_precision("highest");
}
