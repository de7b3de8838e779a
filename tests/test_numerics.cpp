// Numerical accuracy of the CPU kernels on long inputs (1e7-1.7e7 elements),
// and the NaN rule of the activations. Every expected value is exact math or
// numpy/PyTorch float64 on the same float32 inputs; the script that printed
// them is quoted next to each. The inputs are u(i) = float((i * 7919) % 10007)
// / 10007 - 0.5, exactly reproducible in numpy:
//   k = (np.arange(n) * 7919) % 10007; u = k.astype(np.float32) / np.float32(10007) - np.float32(0.5)
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <genlab/genlab.hpp>

using namespace genlab;

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> u(int64_t n, float scale = 1.f, float offset = 0.f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[size_t(i)] = (float((i * 7919) % 10007) / 10007.f - 0.5f) * scale + offset;
  return v;
}
Tensor tensor(const std::vector<float>& v, const Shape& s) { return Tensor::from_vector(v, s); }
}  // namespace

// A naive float sum of 1e7 x 0.1f gives 1010791.75; the exact sum of the
// float inputs is 1e7 * 0.100000001490116 = 1000000.0149, which rounds to
// 1e6. Bound: one float ulp at 1e6 (0.0625). PyTorch float32: 999999.4375.
TEST(Numerics, SumOfTenMillionTenthsRoundsOnce) {
  const int64_t n = 10'000'000;
  Tensor x = Tensor::full({n}, 0.1);
  EXPECT_NEAR(ops::sum(x).item<float>(), 1000000.0149011612, 0.0625);
  // the same data as columns: [2.5e6, 4] summed over dim 0 (the strided path)
  Tensor cols = ops::sum(ops::reshape(x, {n / 4, 4}), {0});
  for (float v : cols.to_vector<float>()) EXPECT_NEAR(v, 250000.00372529030, 0.03125);
}

// Mixed signs, x = u + 0.125: the bound is 2u sum|x| (u = 2^-24) with numpy
// sum|x| = 2656125.612020105; numpy float64: x.sum() = 1249501.1261627376 and
// the column sums of x.reshape(2500000, 4) over dim 0 below.
TEST(Numerics, SumOfMixedSignsWithinBound) {
  const int64_t n = 10'000'000;
  Tensor x = tensor(u(n, 1.f, 0.125f), {n});
  const double abs_sum = 2656125.612020105;
  EXPECT_NEAR(ops::sum(x).item<float>(), 1249501.1261627376, 0x1p-23 * abs_sum);
  const double ref[4] = {312379.3149422109, 312372.4593414068, 312372.6037398279, 312376.748139292};
  auto cols = ops::sum(ops::reshape(x, {n / 4, 4}), {0}).to_vector<float>();
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(cols[size_t(j)], ref[j], 0x1p-23 * abs_sum / 4) << "column " << j;
}

// mse_loss over 2^24 elements, u against 0.25. numpy: d = u - np.float32(0.25);
// (d * d).astype(np.float64).mean() = 0.14585828731861575 (PyTorch float32:
// 0.1458582878, relative error 3e-9). Bound: 3 float ulps (relative 2e-7).
TEST(Numerics, MseLossOverSixteenMillionElements) {
  const int64_t n = int64_t(1) << 24;
  Tensor loss = ops::mse_loss(tensor(u(n), {n}), Tensor::full({n}, 0.25));
  EXPECT_NEAR(loss.item<float>(), 0.14585828731861575, 2e-7 * 0.14585828731861575);
}

// layer_norm over one row of 2^22 elements x = 10 + u (numpy float64: mean
// 9.999950117862682, population variance 0.08333334731013559). The float
// mean's own rounding (ulp(10) / 2 = 5e-7, over std 0.29) bounds |y - y_ref|
// near 2e-6; the naive float mean gave mean(y) = 0.969.
TEST(Numerics, LayerNormOfFourMillionElementRow) {
  const int64_t n = int64_t(1) << 22;
  auto xv = u(n, 1.f, 10.f);
  Tensor y = ops::layer_norm(tensor(xv, {1, n}), {n});
  auto yv = y.to_vector<float>();
  const double mu = 9.999950117862682, rs = 1.0 / std::sqrt(0.08333334731013559 + 1e-5);
  double worst = 0, sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    worst = std::max(worst, std::abs(double(yv[size_t(i)]) - (double(xv[size_t(i)]) - mu) * rs));
    sum += yv[size_t(i)];
  }
  EXPECT_LT(worst, 5e-6);
  EXPECT_LT(std::abs(sum / double(n)), 5e-6);  // mean(y) ~ 0
}

// rms_norm of x = 1 + u over 2^22 elements: numpy mean(x^2) = 1.0832335861767997.
TEST(Numerics, RmsNormOfFourMillionElementRow) {
  const int64_t n = int64_t(1) << 22;
  auto xv = u(n, 1.f, 1.f);
  auto yv = ops::rms_norm(tensor(xv, {1, n}), {n}).to_vector<float>();
  const double rs = 1.0 / std::sqrt(1.0832335861767997 + 1e-6);
  double worst = 0;
  for (int64_t i = 0; i < n; ++i)
    worst = std::max(worst, std::abs(double(yv[size_t(i)]) - double(xv[size_t(i)]) * rs) / (1e-3 + std::abs(xv[size_t(i)] * rs)));
  EXPECT_LT(worst, 1e-6);
}

// Norm backward sums over 2^22 rows: rows [0, 1, 0, 1] have xhat = [-1, 1, -1, 1]
// * 0.5 / sqrt(0.25 + eps); with upstream gradient 0.1f everywhere (through
// sum(y * 0.1)) the bias gradient is 2^22 * 0.1f = 419430.40625 exactly in
// double and the weight gradient +-419430.40625 * 0.5 / sqrt(0.25 + 1e-5).
TEST(Numerics, NormParameterGradientsOverFourMillionRows) {
  const int64_t rows = int64_t(1) << 22;
  std::vector<float> xv(size_t(rows * 4));
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = float(i % 2);
  Tensor x = tensor(xv, {rows, 4});
  Tensor w = Tensor::full({4}, 1.0).requires_grad_(), b = Tensor::full({4}, 0.0).requires_grad_();
  ops::sum(ops::layer_norm(x, {4}, w, b) * 0.1).backward();
  const double gb = double(rows) * double(0.1f), gw = gb * 0.5 / std::sqrt(0.25 + 1e-5);
  auto vw = w.grad().to_vector<float>(), vb = b.grad().to_vector<float>();
  for (int j = 0; j < 4; ++j) {
    EXPECT_NEAR(vb[size_t(j)], gb, 2e-7 * gb) << j;
    EXPECT_NEAR(vw[size_t(j)], j % 2 ? gw : -gw, 2e-7 * gb) << j;
  }
  Tensor wr = Tensor::full({4}, 1.0).requires_grad_();  // rms: xhat = x / sqrt(0.5 + eps)
  ops::sum(ops::rms_norm(x, {4}, wr) * 0.1).backward();
  const double gr = double(rows) * double(0.1f) / std::sqrt(0.5 + 1e-6);
  auto vr = wr.grad().to_vector<float>();
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(vr[size_t(j)], j % 2 ? gr : 0.0, 2e-7 * gr) << j;
}

// softmax and log_softmax over one row of 2^22 elements x = 4u: numpy
// S = sum(exp(x)) = 7604560.938163108, log S = 15.844258748697012.
TEST(Numerics, SoftmaxOfFourMillionElementRow) {
  const int64_t n = int64_t(1) << 22;
  auto xv = u(n, 4.f);
  Tensor x = tensor(xv, {1, n});
  auto p = ops::softmax(x, -1).to_vector<float>(), lp = ops::log_softmax(x, -1).to_vector<float>();
  const double S = 7604560.938163108, logS = 15.844258748697012;
  double worst_rel = 0, worst_log = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double ref = std::exp(double(xv[size_t(i)])) / S;
    worst_rel = std::max(worst_rel, std::abs(double(p[size_t(i)]) - ref) / ref);
    worst_log = std::max(worst_log, std::abs(double(lp[size_t(i)]) - (double(xv[size_t(i)]) - logS)));
  }
  EXPECT_LT(worst_rel, 1e-6);
  EXPECT_LT(worst_log, 4e-6);  // |log p| <= 18: a couple of float ulps
}

// Logits near 1e4: PyTorch float64 log_softmax([1e4, 1e4 + 1]) =
// [-1.3132616875182228, -0.31326168751822286]; m + log(s) rounded to float
// first gave -0.313477. cross_entropy of the same row against class 1 is 0.31326168751822286.
TEST(Numerics, LogSoftmaxAndCrossEntropyNearTenThousand) {
  Tensor x = tensor({1e4f, 1e4f + 1.f}, {1, 2});
  auto lp = ops::log_softmax(x, -1).to_vector<float>();
  EXPECT_NEAR(lp[0], -1.3132616875182228, 1e-6);
  EXPECT_NEAR(lp[1], -0.31326168751822286, 1e-6);
  EXPECT_NEAR(ops::cross_entropy(x, Tensor::from_vector(std::vector<int64_t>{1}, {1})).item<float>(),
              0.31326168751822286, 1e-6);
}

// NaN never becomes a number (PyTorch 1.13 values and gradients):
// relu(NaN) = NaN with gradient 1 (threshold_backward passes gy where x <= 0
// is false); relu's gradient at x < 0 is 0 even for gy = inf (a select, not 0 * inf).
TEST(Numerics, ReluPropagatesNaN) {
  Tensor x = tensor({kNaN, -1.f, 0.f, 2.f, -0.f}, {5}).requires_grad_();
  Tensor y = ops::relu(x);
  auto yv = y.to_vector<float>();
  EXPECT_TRUE(std::isnan(yv[0]));
  EXPECT_EQ(yv[1], 0.f);
  EXPECT_EQ(yv[3], 2.f);
  y.backward(tensor({1.f, kInf, 1.f, 1.f, 1.f}, {5}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{1.f, 0.f, 0.f, 1.f, 0.f}));
}

// The other activations at NaN: value NaN; gradient NaN, except abs (0, as
// torch.sgn(NaN) = 0) and clamp (0: NaN is not inside [lo, hi]).
TEST(Numerics, ActivationsAndClampKeepNaN) {
  struct Case { const char* name; Tensor (*f)(const Tensor&); bool grad_nan; };
  const Case cases[] = {
      {"gelu", [](const Tensor& t) { return ops::gelu(t); }, true},
      {"gelu_tanh", [](const Tensor& t) { return ops::gelu(t, "tanh"); }, true},
      {"silu", [](const Tensor& t) { return ops::silu(t); }, true},
      {"sigmoid", [](const Tensor& t) { return ops::sigmoid(t); }, true},
      {"tanh", [](const Tensor& t) { return ops::tanh(t); }, true},
      {"softplus", [](const Tensor& t) { return ops::softplus(t); }, true},
      {"abs", [](const Tensor& t) { return ops::abs(t); }, false},
      {"clamp", [](const Tensor& t) { return ops::clamp(t, -1.0, 1.0); }, false},
  };
  for (const Case& c : cases) {
    Tensor x = tensor(std::vector<float>(9, kNaN), {9}).requires_grad_();  // 9: a full batch and a tail
    Tensor y = c.f(x);
    ops::sum(y).backward();
    for (float v : y.to_vector<float>()) EXPECT_TRUE(std::isnan(v)) << c.name;
    for (float g : x.grad().to_vector<float>()) EXPECT_EQ(std::isnan(g), c.grad_nan) << c.name << " grad " << g;
  }
}

// maximum/minimum kernels: NaN in either operand gives NaN (torch.maximum).
TEST(Numerics, MaximumMinimumPropagateNaN) {
  const std::vector<float> a{kNaN, 1.f, 2.f, kNaN}, b{1.f, kNaN, 1.f, kNaN};
  for (BinaryOp op : {BinaryOp::maximum, BinaryOp::minimum}) {
    std::vector<float> out(4);
    cpu::binary(op, a.data(), {1}, b.data(), {1}, out.data(), {4});
    EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]) && std::isnan(out[3])) << binary_name(op);
    EXPECT_EQ(out[2], op == BinaryOp::maximum ? 2.f : 1.f);
  }
}

// max/argmax: NaN wins and the first NaN's index is returned (PyTorch:
// max([[1, nan, 3], [nan, nan, 1]], 1) = ([nan, nan], [1, 0])).
TEST(Numerics, MaxAndArgmaxPickTheFirstNaN) {
  Tensor x = tensor({1.f, kNaN, 3.f, kNaN, kNaN, 1.f}, {2, 3});
  auto [v, i] = ops::max(x, 1);
  for (float f : v.to_vector<float>()) EXPECT_TRUE(std::isnan(f));
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(ops::argmax(x, 1).to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
}
