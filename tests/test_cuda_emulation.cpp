// The CUDA kernels (the structs of cuda/<group>.cuh) run on the CPU through the emulation
// harness, compared with the CPU kernels: indexing, grid-stride coverage,
// shared memory and __syncthreads are exercised without a GPU.
#include <gtest/gtest.h>

#include <genlab/genlab.hpp>

#include "../cuda/emulate.hpp"
#include "../cuda/elementwise.cuh"
#include "../cuda/index.cuh"
#include "../cuda/loss.cuh"
#include "../cuda/norm.cuh"
#include "../cuda/optim.cuh"
#include "../cuda/reduce.cuh"
#include "../cuda/softmax.cuh"
#include "emulated_device.hpp"

using namespace genlab;
namespace emu = genlab::cuda::emulate;
namespace k = genlab::cuda::kernels;

namespace {
std::vector<float> randn(int64_t n, uint64_t seed) {
  manual_seed(seed);
  return Tensor::randn({n}).to_vector<float>();
}
}  // namespace

TEST(CudaEmulation, UnaryForwardAndBackwardMatchCpuKernels) {
  const int64_t n = 1000;  // not a multiple of grid x block: the grid-stride tail is covered
  auto x = randn(n, 1), gy = randn(n, 2);
  for (auto& v : x) v = std::abs(v) + 0.1f;  // log/sqrt domain
  for (int o = 0; o <= int(UnaryOp::logsigmoid); ++o) {  // every op, parameters 0
    UnaryOp op = UnaryOp(o);
    std::vector<float> y_emu(n), y_cpu(n), gx_emu(n), gx_cpu(n);
    emu::launch(3, 64, 0, [&](emu::Ctx& c) { k::Unary{op, x.data(), y_emu.data(), n}(c); });
    cpu::unary(op, x.data(), y_cpu.data(), n);
    emu::launch(2, 32, 0, [&](emu::Ctx& c) {
      k::UnaryBackward{op, x.data(), y_emu.data(), gy.data(), gx_emu.data(), n}(c);
    });
    cpu::unary_backward(op, x.data(), y_cpu.data(), gy.data(), gx_cpu.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_NEAR(y_emu[size_t(i)], y_cpu[size_t(i)], 1e-5f * (1 + std::abs(y_cpu[size_t(i)]))) << unary_name(op) << " " << i;
      ASSERT_NEAR(gx_emu[size_t(i)], gx_cpu[size_t(i)], 1e-4f * (1 + std::abs(gx_cpu[size_t(i)]))) << unary_name(op) << " grad " << i;
    }
  }
}

TEST(CudaEmulation, BinaryWithTensorAndScalar) {
  const int64_t n = 777;
  auto a = randn(n, 3), b = randn(n, 4);
  for (auto& v : b) v = std::abs(v) + 0.5f;
  for (int o = 0; o <= int(BinaryOp::bce_grad); ++o) {
    BinaryOp op = BinaryOp(o);
    std::vector<float> aa = a;
    if (op == BinaryOp::pow) for (auto& v : aa) v = std::abs(v) + 0.1f;
    if (op == BinaryOp::bce || op == BinaryOp::bce_grad)  // probabilities, some at 0 and 1
      for (size_t i = 0; i < aa.size(); ++i) aa[i] = i % 50 == 0 ? float(i % 100 == 0) : 1.f / (1.f + std::exp(-a[i]));
    for (int64_t bn : {n, int64_t(1)}) {
      std::vector<float> out(n), ref(n);
      emu::launch(4, 64, 0, [&](emu::Ctx& c) { k::Binary{op, aa.data(), b.data(), bn, out.data(), n}(c); });
      cpu::binary(op, aa.data(), {1}, b.data(), {bn == 1 ? 0 : 1}, ref.data(), {n});
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(out[size_t(i)], ref[size_t(i)], 1e-5f * (1 + std::abs(ref[size_t(i)])));
    }
  }
}

TEST(CudaEmulation, SharedMemoryRowSumsWithSyncthreads) {
  const int64_t rows = 5, cols = 1003;  // more rows than blocks, cols not a multiple of the block
  auto x = randn(rows * cols, 5);
  std::vector<float> out(rows, -1.f), ref(rows);
  emu::launch(2, 128, 128 * sizeof(float), [&](emu::Ctx& c) { k::SumRows{x.data(), out.data(), rows, cols}(c); });
  cpu::sum(x.data(), ref.data(), rows, cols, 1);
  for (int64_t r = 0; r < rows; ++r) EXPECT_NEAR(out[size_t(r)], ref[size_t(r)], 1e-3f) << "row " << r;
}

TEST(CudaEmulation, RejectsBadLaunch) {
  EXPECT_THROW(emu::launch(1, 2048, 0, [](emu::Ctx&) {}), Error);
}

namespace {
// A strided view for the strided kernels: its data, shape, strides and offset.
struct View {
  std::vector<float> data;
  Shape shape;
  Strides strides;
  int64_t offset;
};
// A [4, 2, 3] view with strides {1, 15, 5} at offset 2, as a permuted slice
// has: no dim is contiguous and none merges with its neighbour.
View permuted_slice() { return {randn(4 * 3 * 5, 11), {4, 2, 3}, {1, 15, 5}, 2}; }
}  // namespace

TEST(CudaEmulation, StridedCopyOfViewsAndBroadcasts) {
  View v = permuted_slice();
  const int64_t n = numel_of(v.shape);
  // view -> contiguous
  std::vector<float> out(static_cast<size_t>(n)), ref(static_cast<size_t>(n));
  auto l = k::two_strides(v.shape, v.strides, contiguous_strides(v.shape), "copy");
  emu::launch(2, 8, 0, [&](emu::Ctx& c) { k::CopyStrided{v.data.data() + v.offset, out.data(), l, n}(c); });
  cpu::copy_strided(v.data.data(), DType::f32, v.strides, v.offset, ref.data(), DType::f32, contiguous_strides(v.shape), 0,
                    v.shape);
  EXPECT_EQ(out, ref);
  // a [3] row broadcast into a transposed [3, 6] destination (strides 1, 3)
  std::vector<float> row = {1.f, 2.f, 3.f}, dst(18, 0.f);
  auto lb = k::two_strides({3, 6}, {1, 0}, {1, 3}, "copy");
  emu::launch(1, 4, 0, [&](emu::Ctx& c) { k::CopyStrided{row.data(), dst.data(), lb, 18}(c); });
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 6; ++j) EXPECT_EQ(dst[size_t(i + 3 * j)], row[size_t(i)]) << i << "," << j;
}

TEST(CudaEmulation, BinaryWithBroadcastStrides) {
  View v = permuted_slice();
  auto b = randn(3, 12);  // broadcast along the last dim: strides {0, 0, 1}
  const int64_t n = numel_of(v.shape);
  for (BinaryOp op : {BinaryOp::add, BinaryOp::mul, BinaryOp::div, BinaryOp::maximum}) {
    std::vector<float> out(static_cast<size_t>(n)), ref(static_cast<size_t>(n));
    auto l = k::two_strides(v.shape, v.strides, {0, 0, 1}, binary_name(op));
    emu::launch(3, 4, 0, [&](emu::Ctx& c) {
      k::BinaryStrided{op, v.data.data() + v.offset, b.data(), l, out.data(), n}(c);
    });
    cpu::binary(op, v.data.data() + v.offset, v.strides, b.data(), {0, 0, 1}, ref.data(), v.shape);
    for (int64_t i = 0; i < n; ++i) ASSERT_FLOAT_EQ(out[size_t(i)], ref[size_t(i)]) << binary_name(op) << " " << i;
  }
}

TEST(CudaEmulation, StridedLayoutsMergeDimsAndRejectTooMany) {
  // a contiguous 10-dim tensor merges to one dim
  Shape s(10, 2);
  Strides c = contiguous_strides(s);
  auto l = k::two_strides(s, c, c, "copy");
  EXPECT_EQ(l.ndim, 1);
  EXPECT_EQ(l.shape[0], 1024);
  // every dim of a 10-dim view reversed: nothing merges
  Strides r(c.rbegin(), c.rend());
  EXPECT_THROW(k::two_strides(s, r, c, "copy"), Error);
}

TEST(CudaEmulation, SoftmaxRowsForwardAndBackwardMatchCpu) {
  const int64_t rows = 5, cols = 77;  // more rows than blocks, cols not a multiple of the block
  auto x = randn(rows * cols, 13), gy = randn(rows * cols, 14);
  for (bool log : {false, true}) {
    std::vector<float> y(size_t(rows * cols)), y_ref(y.size()), gx(y.size()), gx_ref(y.size());
    emu::launch(2, 16, 16 * sizeof(float), [&](emu::Ctx& c) { k::Softmax{x.data(), y.data(), rows, cols, log}(c); });
    emu::launch(3, 32, 32 * sizeof(float), [&](emu::Ctx& c) {
      k::SoftmaxBackward{y.data(), gy.data(), gx.data(), rows, cols, log}(c);
    });
    cpu::softmax(x.data(), y_ref.data(), rows, cols, log);
    cpu::softmax_backward(y_ref.data(), gy.data(), gx_ref.data(), rows, cols, log);
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y[i], y_ref[i], 1e-5f * (1 + std::abs(y_ref[i]))) << (log ? "log_softmax " : "softmax ") << i;
      ASSERT_NEAR(gx[i], gx_ref[i], 1e-5f * (1 + std::abs(gx_ref[i]))) << (log ? "log_softmax grad " : "softmax grad ") << i;
    }
  }
}

// LayerNorm (mean given) and RMSNorm (mean null) rows, their input gradients
// and the parameters' column sums, against the CPU kernels.
TEST(CudaEmulation, NormRowsForwardAndBackwardMatchCpu) {
  const int64_t rows = 6, cols = 45;
  auto x = randn(rows * cols, 15), gy = randn(rows * cols, 16), w = randn(cols, 17), b = randn(cols, 18);
  const size_t n = size_t(rows * cols), nr = size_t(rows), nc = size_t(cols);
  for (bool layer : {true, false}) {
    std::vector<float> y(n), y_ref(n), mean(nr), mean_ref(nr), rstd(nr), rstd_ref(nr);
    std::vector<float> gx(n), gx_ref(n), gw(nc), gw_ref(nc), gb(nc), gb_ref(nc);
    float* m = layer ? mean.data() : nullptr;
    const float* bias = layer ? b.data() : nullptr;
    emu::launch(4, 16, 16 * sizeof(float), [&](emu::Ctx& c) {
      k::NormRows{x.data(), w.data(), bias, y.data(), m, rstd.data(), rows, cols, 1e-5f}(c);
    });
    emu::launch(2, 32, 32 * sizeof(float), [&](emu::Ctx& c) {
      k::NormRowsBackward{x.data(), w.data(), m, rstd.data(), gy.data(), gx.data(), rows, cols}(c);
    });
    emu::launch(2, 8, 0, [&](emu::Ctx& c) {
      k::NormParamGrads{x.data(), m, rstd.data(), gy.data(), gw.data(), layer ? gb.data() : nullptr, rows, cols}(c);
    });
    if (layer) {
      cpu::layer_norm(x.data(), w.data(), b.data(), y_ref.data(), mean_ref.data(), rstd_ref.data(), rows, cols, 1e-5f);
      cpu::layer_norm_backward(x.data(), w.data(), mean_ref.data(), rstd_ref.data(), gy.data(), gx_ref.data(), gw_ref.data(),
                               gb_ref.data(), rows, cols);
    } else {
      cpu::rms_norm(x.data(), w.data(), y_ref.data(), rstd_ref.data(), rows, cols, 1e-5f);
      cpu::rms_norm_backward(x.data(), w.data(), rstd_ref.data(), gy.data(), gx_ref.data(), gw_ref.data(), rows, cols);
    }
    const char* what = layer ? "layer_norm" : "rms_norm";
    auto near = [&](const std::vector<float>& got, const std::vector<float>& ref, const char* part) {
      for (size_t i = 0; i < ref.size(); ++i)
        ASSERT_NEAR(got[i], ref[i], 1e-4f * (1 + std::abs(ref[i]))) << what << " " << part << " " << i;
    };
    near(y, y_ref, "y");
    near(rstd, rstd_ref, "rstd");
    near(gx, gx_ref, "gx");
    near(gw, gw_ref, "gw");
    if (layer) {
      near(mean, mean_ref, "mean");
      near(gb, gb_ref, "gb");
    }
  }
}

// set_emulated switches the device only while no CUDA memory is alive, and
// the emulated device then runs the ops' CUDA paths.
TEST(CudaEmulation, SetEmulatedSwitchesTheDevice) {
  const bool was = cuda::emulated();
  cuda::set_emulated(true);
  ASSERT_TRUE(cuda_is_available());
  {
    Tensor a = Tensor::full({3}, 2.0).to(Device::cuda());
    EXPECT_EQ((a * a).to(Device::cpu()).to_vector<float>(), std::vector<float>(3, 4.f));
    EXPECT_THROW(cuda::set_emulated(false), Error);  // `a` lives on the emulated device
  }
  cuda::set_emulated(was);
  EXPECT_EQ(cuda::emulated(), was);
}

// Row max with ties (the first index wins) and NaNs (NaN wins), against cpu::max.
TEST(CudaEmulation, MaxRowsTiesAndNaNsMatchCpu) {
  const int64_t rows = 6, cols = 37;
  auto x = randn(rows * cols, 19);
  for (int64_t j = 0; j < cols; ++j) x[size_t(1 * cols + j)] = 2.f;  // row 1: all tied
  x[size_t(2 * cols + 30)] = x[size_t(2 * cols + 5)] = 9.f;        // row 2: tie between 5 and 30
  x[size_t(3 * cols + 20)] = x[size_t(3 * cols + 33)] = NAN;        // row 3: two NaNs
  const size_t nr = static_cast<size_t>(rows);
  std::vector<float> out(nr), ref(nr);
  std::vector<int64_t> arg(nr), arg_ref(nr);
  emu::launch(4, 16, 16 * (sizeof(float) + sizeof(int64_t)),
              [&](emu::Ctx& c) { k::MaxRows{x.data(), out.data(), arg.data(), rows, cols}(c); });
  cpu::max(x.data(), ref.data(), arg_ref.data(), rows, cols, 1);
  EXPECT_EQ(arg, arg_ref);
  for (int64_t r = 0; r < rows; ++r)
    if (!std::isnan(ref[size_t(r)])) EXPECT_EQ(out[size_t(r)], ref[size_t(r)]) << "row " << r;
  EXPECT_TRUE(std::isnan(out[3]));
  EXPECT_EQ(arg[1], 0);
  EXPECT_EQ(arg[2], 5);
  EXPECT_EQ(arg[3], 20);
}

// Compare into uint8 and where through strides: a permuted slice against a
// broadcast row, and where with a broadcast condition and a scalar b, checked
// element by element through the views' strides.
TEST(CudaEmulation, CompareAndWhereThroughStrides) {
  View v = permuted_slice();
  auto row = randn(3, 13);
  const int64_t n = numel_of(v.shape);
  auto at = [&](int64_t i) {  // v's element at linear index i of [4, 2, 3]
    const int64_t a = i / 6, b = i / 3 % 2, c = i % 3;
    return v.data[size_t(v.offset + a * v.strides[0] + b * v.strides[1] + c * v.strides[2])];
  };
  for (CompareOp op : {CompareOp::lt, CompareOp::le, CompareOp::gt, CompareOp::ge, CompareOp::eq, CompareOp::ne}) {
    std::vector<uint8_t> out(static_cast<size_t>(n), 7);
    auto l = k::two_strides(v.shape, v.strides, {0, 0, 1}, "compare");
    emu::launch(2, 8, 0, [&](emu::Ctx& c) {
      k::CompareStrided{op, v.data.data() + v.offset, row.data(), l, out.data(), n}(c);
    });
    for (int64_t i = 0; i < n; ++i) {
      const float x = at(i), y = row[size_t(i % 3)];
      const bool want = op == CompareOp::lt ? x < y : op == CompareOp::le ? x <= y : op == CompareOp::gt ? x > y
                      : op == CompareOp::ge ? x >= y : op == CompareOp::eq ? x == y : x != y;
      ASSERT_EQ(out[size_t(i)], want ? 1 : 0) << int(op) << " " << i;
    }
  }
  std::vector<uint8_t> cond = {1, 0, 1};  // broadcast along dims 0 and 1
  const float b = -9.f;
  std::vector<float> out(static_cast<size_t>(n));
  auto ca = k::two_strides(v.shape, {0, 0, 1}, v.strides, "where"), bb = k::two_strides(v.shape, {0, 0, 0}, {0, 0, 0}, "where");
  emu::launch(3, 4, 0, [&](emu::Ctx& c) {
    k::WhereStrided{cond.data(), v.data.data() + v.offset, &b, ca, bb, out.data(), n}(c);
  });
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out[size_t(i)], cond[size_t(i % 3)] ? at(i) : b) << i;
}

TEST(CudaEmulation, ClampMatchesCpuAndKeepsNaN) {
  const int64_t n = 300;
  auto x = randn(n, 14), gy = randn(n, 15);
  x[5] = std::nanf("");
  x[6] = -0.25f;  // exactly on a bound: the gradient passes
  std::vector<float> y(n), ref(n), gx(n), gref(n);
  emu::launch(2, 32, 0, [&](emu::Ctx& c) { k::Clamp{x.data(), y.data(), n, -0.25f, 0.5f}(c); });
  emu::launch(3, 16, 0, [&](emu::Ctx& c) { k::ClampBackward{x.data(), gy.data(), gx.data(), n, -0.25f, 0.5f}(c); });
  cpu::clamp(x.data(), ref.data(), n, -0.25f, 0.5f);
  cpu::clamp_backward(x.data(), gy.data(), gref.data(), n, -0.25f, 0.5f);
  EXPECT_TRUE(std::isnan(y[5]));
  EXPECT_EQ(gx[6], gy[6]);
  for (int64_t i = 0; i < n; ++i) {
    if (i != 5) ASSERT_EQ(y[size_t(i)], ref[size_t(i)]) << i;
    ASSERT_EQ(gx[size_t(i)], gref[size_t(i)]) << i;
  }
}

// Rows picked by index from [outer, src_n, inner], one index per row and one
// per element, and the backward's scatter-add, where many threads add into the
// same few rows (atomic adds; a lost update is rare in the emulation, so this
// checks the indexing, and test_gpu.cpp's repeated indices on a real GPU the
// atomics).
TEST(CudaEmulation, IndexRowsAndTheirAtomicScatterAdd) {
  const int64_t outer = 3, src_n = 5, n = 40, inner = 7;
  auto src = randn(outer * src_n * inner, 16), g = randn(outer * n * inner, 17);
  std::vector<int64_t> per_row(static_cast<size_t>(n)), per_elem(static_cast<size_t>(outer * n * inner));
  for (size_t i = 0; i < per_row.size(); ++i) per_row[i] = int64_t(i * 7 % 2);  // rows 0 and 1 only
  for (size_t e = 0; e < per_elem.size(); ++e) per_elem[e] = int64_t(e * 13 % src_n);
  for (bool per_element : {false, true}) {
    const int64_t* index = per_element ? per_elem.data() : per_row.data();
    std::vector<float> out(g.size()), gsrc(src.size(), 0.f);
    std::vector<double> gref(src.size(), 0.0);
    emu::launch(4, 32, 0, [&](emu::Ctx& c) {
      k::IndexRows{src.data(), index, per_element, out.data(), outer, src_n, n, inner}(c);
    });
    emu::launch(4, 64, 0, [&](emu::Ctx& c) {
      k::IndexRowsBackward{g.data(), index, per_element, gsrc.data(), outer, src_n, n, inner}(c);
    });
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < inner; ++j) {
          const int64_t e = (o * n + i) * inner + j, r = index[per_element ? e : i];
          const size_t s = size_t((o * src_n + r) * inner + j);
          ASSERT_EQ(out[size_t(e)], src[s]) << per_element << " " << e;
          gref[s] += g[size_t(e)];
        }
    for (size_t s = 0; s < gsrc.size(); ++s) ASSERT_NEAR(gsrc[s], gref[s], 1e-4) << per_element << " " << s;
  }
}

// The multi-tensor optimizer kernels over more parameters than one launch
// takes (so several batches), of mixed sizes including empty ones, against
// cpu::adam_step and cpu::sgd_step on copies of the same data.
TEST(CudaEmulation, MultiTensorOptimizerBatchesMatchCpu) {
  const int count = 2 * k::kParamsPerLaunch + 5;
  std::vector<std::vector<float>> p, g, m, v;
  for (int i = 0; i < count; ++i) {
    const int64_t n = i % 7 == 3 ? 0 : 1 + (i * 37) % 300;
    p.push_back(randn(n, 100 + uint64_t(i)));
    g.push_back(randn(n, 300 + uint64_t(i)));
    m.push_back(randn(n, 500 + uint64_t(i)));
    v.push_back(randn(n, 700 + uint64_t(i)));
    for (auto& x : v.back()) x = std::abs(x);
  }
  auto params = [&](std::vector<std::vector<float>>& pp, std::vector<std::vector<float>>& mm,
                    std::vector<std::vector<float>>& vv) {
    std::vector<cpu::AdamParam<float>> out;
    for (int i = 0; i < count; ++i)
      out.push_back({pp[size_t(i)].data(), g[size_t(i)].data(), mm[size_t(i)].data(), vv[size_t(i)].data(), int64_t(p[size_t(i)].size())});
    return out;
  };
  auto p2 = p, m2 = m, v2 = v;
  int launches = 0;
  k::for_param_batches(params(p, m, v), [&](const auto& b) {
    ++launches;
    emu::launch(3, 32, 0, [&](emu::Ctx& c) { k::AdamStep{b, 0.9f, 0.999f, 1e-8f, 1e-2f, 1.2f, 0.99f, 0.f}(c); });
  });
  cpu::adam_step<float>(params(p2, m2, v2), 0.9f, 0.999f, 1e-8f, 1e-2f, 1.2f, 0.99f, 0.f);
  int nonempty = 0;
  for (const auto& x : p) nonempty += !x.empty();
  EXPECT_EQ(launches, (nonempty + k::kParamsPerLaunch - 1) / k::kParamsPerLaunch);  // empty ones skipped
  EXPECT_GT(launches, 1);
  for (int i = 0; i < count; ++i)
    for (size_t j = 0; j < p[size_t(i)].size(); ++j) {
      ASSERT_NEAR(p[size_t(i)][j], p2[size_t(i)][j], 1e-6f) << "adam param " << i << " element " << j;
      ASSERT_NEAR(m[size_t(i)][j], m2[size_t(i)][j], 1e-6f) << "adam param " << i << " element " << j;
    }
  // SGD with Nesterov momentum; odd parameters take their first step (buffer = gradient)
  std::vector<cpu::SgdParam<float>> sgd, sgd_ref;
  p2 = p, m2 = m;
  for (int i = 0; i < count; ++i) {
    const int64_t n = int64_t(p[size_t(i)].size());
    sgd.push_back({p[size_t(i)].data(), g[size_t(i)].data(), m[size_t(i)].data(), n, i % 2 == 1});
    sgd_ref.push_back({p2[size_t(i)].data(), g[size_t(i)].data(), m2[size_t(i)].data(), n, i % 2 == 1});
  }
  k::for_param_batches(sgd, [&](const auto& b) {
    emu::launch(2, 64, 0, [&](emu::Ctx& c) { k::SgdStep{b, 0.1f, 1e-3f, 0.9f, 0.f, true}(c); });
  });
  cpu::sgd_step<float>(sgd_ref, 0.1f, 1e-3f, 0.9f, 0.f, true);
  for (int i = 0; i < count; ++i)
    for (size_t j = 0; j < p[size_t(i)].size(); ++j)
      ASSERT_NEAR(p[size_t(i)][j], p2[size_t(i)][j], 1e-6f) << "sgd param " << i << " element " << j;
}
