// Every op in the table: gradcheck in float64, float32 vs float64 agreement,
// and parity with PyTorch (values and gradients from tests/parity/make_fixtures.py).
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "op_table.hpp"

using namespace genlab;
using genlab::testing::OpCase;

namespace {

const io::SafeTensors& fixtures() {
  static io::SafeTensors f = io::SafeTensors::open(genlab::testing::parity_dir() + "/ops.safetensors");
  return f;
}

// max |a - b| / (atol + rtol |b|) <= 1, reported with the worst element.
::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, double atol, double rtol) {
  if (a.shape() != b.shape())
    return ::testing::AssertionFailure() << "shape " << shape_str(a.shape()) << " vs " << shape_str(b.shape());
  auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  for (size_t i = 0; i < va.size(); ++i) {
    if (!(std::abs(va[i] - vb[i]) <= atol + rtol * std::abs(vb[i])))
      return ::testing::AssertionFailure() << "element " << i << ": " << va[i] << " vs " << vb[i];
  }
  return ::testing::AssertionSuccess();
}

class OpTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpTest, Gradcheck) {
  const OpCase& c = GetParam();
  auto in = genlab::testing::make_inputs(c, DType::f64, 7);
  bool any = false;
  for (size_t i = 0; i < in.size(); ++i)
    if (c.differentiable[i]) { in[i].requires_grad_(true); any = true; }
  if (!any) GTEST_SKIP() << c.name << " is not differentiable";
  auto r = autograd::gradcheck(c.fn, in);
  EXPECT_TRUE(r.ok) << c.name << ": " << r.message << " (max abs err " << r.max_abs_err << ")";
}

TEST_P(OpTest, Float32MatchesFloat64) {
  const OpCase& c = GetParam();
  auto in64 = genlab::testing::make_inputs(c, DType::f64, 11);
  std::vector<Tensor> in32;
  for (auto& t : in64) in32.push_back(is_floating(t.dtype()) ? t.to(DType::f32) : t);
  EXPECT_TRUE(all_close(c.fn(in32), c.fn(in64), 1e-5, 1e-4)) << c.name;
}

TEST_P(OpTest, MatchesPyTorch) {
  const OpCase& c = GetParam();
  const auto& f = fixtures();
  ASSERT_TRUE(f.contains(c.name + ".out")) << "no PyTorch fixture for " << c.name
                                           << "; add it to tests/parity/make_fixtures.py";
  std::vector<Tensor> in;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    Tensor t = ops::clone(f.get(c.name + ".in" + std::to_string(i)));
    if (c.differentiable[i]) t.requires_grad_(true);
    in.push_back(t);
  }
  Tensor out = c.fn(in);
  Tensor ref = f.get(c.name + ".out");
  ASSERT_TRUE(all_close(out, ref.reshape(out.shape()), 1e-10, 1e-8)) << c.name << " forward";
  if (!out.requires_grad()) return;
  std::vector<double> w(static_cast<size_t>(out.numel()));
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.5 + 0.37 * double((i * 7919) % 11) / 11.0;
  ops::sum(out * Tensor::from_vector(w, out.shape())).backward();
  for (size_t i = 0; i < in.size(); ++i) {
    if (!c.differentiable[i]) continue;
    ASSERT_TRUE(in[i].grad().defined()) << c.name << " input " << i << " got no gradient";
    EXPECT_TRUE(all_close(in[i].grad(), f.get(c.name + ".grad" + std::to_string(i)), 1e-10, 1e-8))
        << c.name << " gradient of input " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpTest, ::testing::ValuesIn(genlab::testing::op_table()),
                         [](const auto& info) { return info.param.name; });

TEST(OpTable, EveryFixtureCaseHasAnOp) {
  std::set<std::string> names;
  for (auto& c : genlab::testing::op_table()) names.insert(c.name);
  for (auto& t : fixtures().tensors()) {
    std::string base = t.name.substr(0, t.name.rfind('.'));
    EXPECT_TRUE(names.count(base)) << "fixture case '" << base << "' has no entry in tests/op_table.cpp";
  }
}

}  // namespace

namespace {
// Sizes past the caches take the kernels' streaming-store paths; they must agree
// with the same function composed from primitive ops.
TEST(LargeInputs, LayerNormStreamingPathMatchesComposed) {
  manual_seed(4);
  Tensor x = Tensor::randn({3000, 768}), w = Tensor::randn({768}), b = Tensor::randn({768});
  Tensor fused = ops::layer_norm(x, {768}, w, b, 1e-5);
  Tensor composed = (x - ops::mean(x, {1}, true)) / ops::sqrt(ops::var(x, {1}, 0, true) + 1e-5) * w + b;
  EXPECT_TRUE(all_close(fused, composed, 1e-4, 1e-4));
}

// Float gelu's absolute error is at most 1.5e-6 on [-20, 20] (measured on a
// 1e-5 grid): a few ulps of x for large x, and 1 + erf(x) cancellation in the
// negative tail, as with any float erf; PyTorch's float gelu shares the latter.
TEST(LargeInputs, GeluFloatMatchesDouble) {
  Tensor x = Tensor::randn({1 << 16}) * 4.0;
  EXPECT_TRUE(all_close(ops::gelu(x), ops::gelu(x.to(DType::f64)), 2e-6, 1e-5));
}
// erf shares gelu's float approximation (and passes NaN, which its clip would drop).
TEST(LargeInputs, ErfFloatMatchesDouble) {
  Tensor x = Tensor::randn({1 << 16}) * 3.0;
  EXPECT_TRUE(all_close(ops::erf(x), ops::erf(x.to(DType::f64)), 1e-6, 1e-6));
  EXPECT_TRUE(std::isnan(ops::erf(Tensor::full({20}, NAN)).to_vector<float>()[17]));
}
}  // namespace

namespace {
// The fused mean cross-entropy against the composed version it replaced (and
// which other reductions still use), values and gradients.
TEST(FusedLoss, CrossEntropyMatchesComposed) {
  manual_seed(8);
  for (double smoothing : {0.0, 0.2}) {
    Tensor x = Tensor::randn({7, 5}, DType::f64).requires_grad_();
    Tensor t = Tensor::from_vector(std::vector<int64_t>{0, 4, -100, 2, 2, 1, 3}, {7});
    Tensor fused = ops::cross_entropy(x, t, -100, smoothing);
    fused.backward();
    Tensor g_fused = x.grad();
    x.set_grad(Tensor());
    Tensor composed = ops::detail::classification_loss(ops::log_softmax(x, -1), t, -100, smoothing,
                                                       ops::Reduction::mean, "test");
    composed.backward();
    EXPECT_NEAR(fused.item(), composed.item(), 1e-12);
    EXPECT_TRUE(all_close(g_fused, x.grad(), 1e-12, 1e-10));
  }
}
}  // namespace

namespace {
// A group of products large enough to be cut across threads, against a naive
// triple loop: the pieces must tile every C exactly once (transposes, a
// row-split product, accumulating ones, bias rows, empty k).
TEST(GemmGroup, PiecesTileEveryProduct) {
  const int saved = num_threads();
  manual_seed(9);
  struct P { bool ta, tb; int64_t m, n, k; double beta; bool bias = false; };
  const std::vector<P> ps = {{false, true, 61, 97, 130, 0}, {true, false, 203, 37, 64, 1},
                             {true, true, 45, 88, 75, 0},   {false, false, 9, 3, 0, 1},
                             {false, false, 70, 150, 33, 1}, {false, true, 90, 40, 50, 0, true},
                             {false, false, 7, 5, 0, 0, true},
                             {true, false, 260, 300, 40, 1}};  // wider than tall, split by rows at 2 threads
  for (int threads : {2, 3, 5}) {
    set_num_threads(threads);
    std::vector<std::vector<double>> A, B, C, bias, want;
    std::vector<cpu::GemmArgs<double>> group;
    for (const auto& p : ps) {
      A.push_back(Tensor::randn({p.m * p.k}, DType::f64).to_vector<double>());
      B.push_back(Tensor::randn({p.k * p.n}, DType::f64).to_vector<double>());
      C.push_back(Tensor::randn({p.m * p.n}, DType::f64).to_vector<double>());
      bias.push_back(Tensor::randn({p.n}, DType::f64).to_vector<double>());
      std::vector<double> w(size_t(p.m * p.n));
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t j = 0; j < p.n; ++j) {
          double s = p.bias ? bias.back()[size_t(j)] : p.beta * C.back()[size_t(i * p.n + j)];
          for (int64_t l = 0; l < p.k; ++l)
            s += 0.5 * A.back()[size_t(p.ta ? l * p.m + i : i * p.k + l)] * B.back()[size_t(p.tb ? j * p.k + l : l * p.n + j)];
          w[size_t(i * p.n + j)] = s;
        }
      want.push_back(w);
    }
    for (size_t i = 0; i < ps.size(); ++i) {
      const auto& p = ps[i];
      group.push_back({p.ta, p.tb, p.m, p.n, p.k, 0.5, A[i].data(), std::max<int64_t>(p.ta ? p.m : p.k, 1), B[i].data(),
                       p.tb ? p.k : p.n, p.beta, C[i].data(), p.n, p.bias ? bias[i].data() : nullptr});
    }
    cpu::gemm_group(group);
    for (size_t i = 0; i < ps.size(); ++i)
      for (size_t j = 0; j < want[i].size(); ++j)
        ASSERT_NEAR(C[i][j], want[i][j], 1e-9) << "product " << i << " element " << j << " at " << threads << " threads";
  }
  set_num_threads(saved);
}
}  // namespace
