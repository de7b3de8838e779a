// Accuracy and NaN/inf rules of the CUDA kernels, run on the emulated device
// (test_cuda_emulation.cpp checks their indexing against the CPU kernels).
#include <gtest/gtest.h>

#include <cmath>
#include <genlab/genlab.hpp>
#include <limits>

#include "../cuda/elementwise.cuh"
#include "../cuda/emulate.hpp"
#include "../cuda/norm.cuh"
#include "emulated_device.hpp"

using namespace genlab;
namespace emu = genlab::cuda::emulate;
namespace k = genlab::cuda::kernels;

// Expected values are exact math or PyTorch 1.13 float64; u(i) is the input of
// tests/test_numerics.cpp, float((i * 7919) % 10007) / 10007 - 0.5.
using genlab::testing::host;
using genlab::testing::on_device;
using genlab::testing::on_emulated_device;
using genlab::testing::u_row;

// Block reductions accumulate in double: the sum of 1e7 x 0.1f (exactly
// 1000000.0149) is within one float ulp (0.0625); softmax and layer_norm of a
// 2^22-element row match numpy float64 statistics (S = sum exp(4u) =
// 7604560.938163108; x = 10 + u: mean 9.999950117862682, variance
// 0.08333334731013559); the norms' parameter gradients over 2^22 rows are +-2^22 * 0.1f.
TEST(CudaEmulation, LongReductionsAccumulateInDouble) {
  on_emulated_device([] {
    EXPECT_NEAR(host(ops::sum(Tensor::full({10'000'000}, 0.1).to(Device::cuda())))[0], 1000000.0149011612, 0.0625);
    const int64_t n = int64_t(1) << 22;
    auto xs = u_row(n, 4.f, 0.f);
    auto p = host(ops::softmax(on_device(xs, {1, n}), -1));
    double worst = 0;
    for (int64_t i = 0; i < n; i += 97) {
      const double ref = std::exp(double(xs[size_t(i)])) / 7604560.938163108;
      worst = std::max(worst, std::abs(p[size_t(i)] - ref) / ref);
    }
    EXPECT_LT(worst, 1e-6);
    auto xl = u_row(n, 1.f, 10.f);
    auto y = host(ops::layer_norm(on_device(xl, {1, n}), {n}));
    const double rs = 1.0 / std::sqrt(0.08333334731013559 + 1e-5);
    worst = 0;
    for (int64_t i = 0; i < n; i += 97)
      worst = std::max(worst, std::abs(double(y[size_t(i)]) - (double(xl[size_t(i)]) - 9.999950117862682) * rs));
    EXPECT_LT(worst, 5e-6);
  });
  // the parameter gradients' column sums, one thread per column over 2^22
  // rows (the body itself: the ops' per-row backward would sync 2^22 times)
  const int64_t rows = int64_t(1) << 22;
  std::vector<float> x(size_t(rows * 2)), mean(size_t(rows), 0.5f), rstd(size_t(rows), 2.f), gy(x.size(), 0.1f), gw(2), gb(2);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 2);  // xhat = -1, 1
  emu::launch(1, 32, 0, [&](emu::Ctx& c) {
    k::NormParamGrads{x.data(), mean.data(), rstd.data(), gy.data(), gw.data(), gb.data(), rows, 2}(c);
  });
  const double g = double(rows) * double(0.1f);  // 419430.40625
  EXPECT_NEAR(gb[0], g, 0.03125);
  EXPECT_NEAR(gb[1], g, 0.03125);
  EXPECT_NEAR(gw[0], -g, 0.03125);
  EXPECT_NEAR(gw[1], g, 0.03125);
}

// Cross-entropy with -inf logits (PyTorch float64: loss 0.33151498100990745
// and the gradient below); 0 * -inf in the unused label-smoothing term made
// every such row NaN. With smoothing 0.1 PyTorch gives inf, and so do we.
TEST(CudaEmulation, CrossEntropyWithMinusInfLogits) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> logits{1.f, -inf, 2.f, 0.5f, 0.2f, -inf, -inf, 3.f, 1.f};
  const Tensor target = Tensor::from_vector(std::vector<int64_t>{2, 0, 1}, {3});
  const double grad_ref[9] = {0.08964714045666503, 0.0, -0.08964714045666503, -0.14185249439611364, 0.1418524943961137,
                              0.0, 0.0, -0.03973430734070589, 0.03973430734070584};
  on_emulated_device([&] {
    Tensor x = on_device(logits, {3, 3}).requires_grad_();
    Tensor loss = ops::cross_entropy(x, target.to(Device::cuda()));
    EXPECT_NEAR(host(loss)[0], 0.33151498100990745, 1e-6);
    loss.backward();
    auto g = host(x.grad());
    for (int i = 0; i < 9; ++i) EXPECT_NEAR(g[size_t(i)], grad_ref[i], 1e-6) << i;
    EXPECT_EQ(host(ops::cross_entropy(on_device(logits, {3, 3}), target.to(Device::cuda()), -100, 0.1))[0], inf);
  });
}

// Logits near 1e4 (PyTorch float64: log_softmax([1e4, 1e4 + 1])[1] =
// cross_entropy against class 1 = 0.31326168751822286): the CUDA
// cross-entropy formed x[t] - (m + log s) and lost the small log-prob.
TEST(CudaEmulation, CrossEntropyAndLogSoftmaxNearTenThousand) {
  on_emulated_device([] {
    Tensor x = on_device({1e4f, 1e4f + 1.f}, {1, 2});
    EXPECT_NEAR(host(ops::log_softmax(x, -1))[1], -0.31326168751822286, 1e-6);
    EXPECT_NEAR(host(ops::cross_entropy(x, Tensor::from_vector(std::vector<int64_t>{1}, {1}).to(Device::cuda())))[0],
                0.31326168751822286, 1e-6);
  });
}

// NaN never becomes a number on the device (PyTorch 1.13): relu(NaN) = NaN
// with gradient 1, relu's gradient at x < 0 is 0 even for gy = inf,
// maximum/minimum with a NaN operand are NaN, clamp(NaN) = NaN.
TEST(CudaEmulation, ReluMaximumClampKeepNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x{nan, -1.f, 0.f, 2.f}, gy{1.f, inf, 1.f, 1.f};
  std::vector<float> y(4), gx(4);
  emu::launch(1, 32, 0, [&](emu::Ctx& c) { k::Unary{UnaryOp::relu, x.data(), y.data(), 4}(c); });
  emu::launch(1, 32, 0, [&](emu::Ctx& c) {
    k::UnaryBackward{UnaryOp::relu, x.data(), y.data(), gy.data(), gx.data(), 4}(c);
  });
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 0.f);
  EXPECT_EQ(gx, (std::vector<float>{1.f, 0.f, 0.f, 1.f}));
  const std::vector<float> a{nan, 1.f, 2.f}, b{1.f, nan, 1.f};
  for (BinaryOp op : {BinaryOp::maximum, BinaryOp::minimum}) {
    std::vector<float> out(3);
    emu::launch(1, 32, 0, [&](emu::Ctx& c) { k::Binary{op, a.data(), b.data(), 3, out.data(), 3}(c); });
    EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1])) << binary_name(op);
    EXPECT_EQ(out[2], op == BinaryOp::maximum ? 2.f : 1.f);
  }
  std::vector<float> cl(4);
  emu::launch(1, 32, 0, [&](emu::Ctx& c) { k::Clamp{x.data(), cl.data(), 4, -0.5f, 0.5f}(c); });
  EXPECT_TRUE(std::isnan(cl[0]));
}
