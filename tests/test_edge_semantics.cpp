// Op-level edge semantics of issue 7 (items G, H and edge items 2, 4-7, smaller
// defects): 0-d tensors, invalid shapes, where's condition, pow at 0, means over
// zero elements, empty dims, mixed dtypes and wrong-dtype arguments; and issue
// 10's activations at their kinks and non-finite inputs. Every
// expectation is PyTorch 1.13's result (float64), named in the comment beside it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string>

#include "expect_error.hpp"
#include "genlab/genlab.hpp"

using namespace genlab;
using genlab::testing::expect_error;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
const TensorOptions f64 = TensorOptions(DType::f64);

Tensor vec(std::vector<double> v, DType t = DType::f64) {
  const int64_t n = int64_t(v.size());
  return Tensor::from_vector(v, {n}, TensorOptions(t));
}
Tensor leaf(std::vector<double> v, DType t = DType::f64) { return vec(std::move(v), t).requires_grad_(true); }
Tensor scalar_leaf(double v) { return Tensor::scalar(v, f64).requires_grad_(true); }

// NaN equals NaN, infinities compare exactly, other values within tol (relative past 1).
void expect_values(const Tensor& t, const std::vector<double>& want, const char* what, double tol = 1e-9) {
  auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) EXPECT_TRUE(std::isnan(got[i])) << what << " [" << i << "] = " << got[i];
    else if (std::isinf(want[i])) EXPECT_EQ(got[i], want[i]) << what << " [" << i << "]";
    else EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << what << " [" << i << "]";
  }
}

// ---- item G: 0-d tensors ----

TEST(EdgeZeroDim, ReductionsOverDimZeroOrMinusOne) {
  Tensor s = scalar_leaf(2.5);
  Tensor m = ops::mean(s, {0});  // torch.mean(s, 0) = 2.5, shape (), grad 1
  EXPECT_EQ(m.dim(), 0);
  expect_values(m, {2.5}, "mean(s, 0)");
  m.backward();
  expect_values(s.grad(), {1.0}, "mean(s, 0) grad");
  Tensor mk = ops::mean(s, {-1}, true);  // torch.mean(s, [-1], keepdim=True) = 2.5, shape ()
  EXPECT_EQ(mk.dim(), 0);
  expect_values(mk, {2.5}, "mean(s, -1, keepdim)");
  expect_values(ops::sum(s, {-1}), {2.5}, "sum(s, -1)");         // 2.5
  expect_values(ops::var(s, {0}), {kNaN}, "var(s, 0)");          // nan (1 element, correction 1)
  expect_values(ops::var(s, {0}, 0), {0.0}, "var(s, 0, c=0)");   // 0
  auto [v, i] = ops::max(s, -1);                                   // values 2.5, indices 0
  expect_values(v, {2.5}, "max(s, -1)");
  expect_values(i, {0.0}, "max(s, -1) index");
  expect_error([&] { ops::mean(s, {1}); }, {"mean", "0-d"}, "mean(s, 1)");  // IndexError: dim out of range
}

TEST(EdgeZeroDim, ViewsReturnTheScalar) {
  Tensor s = scalar_leaf(2.5);
  for (auto [a, b] : {std::pair<int64_t, int64_t>{0, 0}, {0, -1}}) {
    Tensor t = ops::transpose(s, a, b);  // torch: s.transpose(0, 0) = 2.5, shape ()
    EXPECT_EQ(t.dim(), 0);
    expect_values(t, {2.5}, "transpose");
  }
  Tensor q = ops::squeeze(s, 0);  // s.squeeze(0) = 2.5, shape ()
  EXPECT_EQ(q.dim(), 0);
  ops::mul(ops::squeeze(s, -1), 3.0).backward();
  expect_values(s.grad(), {3.0}, "squeeze(s, -1) * 3 grad");
  EXPECT_EQ(ops::flatten(s, 0, -1).shape(), Shape{1});  // torch.flatten(s, 0, -1): shape (1,)
  expect_error([&] { ops::flatten(s, 1); }, {"flatten"}, "flatten(s, 1)");  // IndexError
  EXPECT_EQ(ops::t(s).dim(), 0);  // s.t() = 2.5
}

TEST(EdgeZeroDim, IndexSelectAndGather) {
  Tensor s = scalar_leaf(2.5);
  const Tensor i1 = Tensor::from_vector(std::vector<int64_t>{0}, {1});
  Tensor a = ops::index_select(s, 0, i1);  // torch.index_select(s, 0, [0]) = 2.5, shape (), grad 1
  EXPECT_EQ(a.dim(), 0);
  expect_values(a, {2.5}, "index_select");
  a.backward();
  expect_values(s.grad(), {1.0}, "index_select grad");
  Tensor s2 = scalar_leaf(2.5);
  Tensor g = ops::gather(s2, 0, Tensor::scalar(0, TensorOptions(DType::i64)));  // torch.gather = 2.5, shape (), grad 1
  EXPECT_EQ(g.dim(), 0);
  g.backward();
  expect_values(s2.grad(), {1.0}, "gather grad");
  EXPECT_EQ(ops::gather(s2, -1, i1).shape(), Shape{1});  // 1-d index: shape (1,)
  // index 1 is out of bounds for a 0-d input (RuntimeError in PyTorch)
  expect_error([&] { ops::gather(s2, 0, Tensor::scalar(1, TensorOptions(DType::i64))); }, {"gather"}, "gather 1");
}

TEST(EdgeZeroDim, SoftmaxOfAScalar) {
  Tensor s = scalar_leaf(2.5);
  Tensor y = ops::log_softmax(s, -1);  // torch.log_softmax(s, -1) = 0, grad 0
  EXPECT_EQ(y.dim(), 0);
  expect_values(y, {0.0}, "log_softmax");
  y.backward();
  expect_values(s.grad(), {0.0}, "log_softmax grad");
  expect_values(ops::softmax(s, 0), {1.0}, "softmax(s, 0)");  // 1
}

TEST(EdgeZeroDim, OpsThatNeedADimRaise) {
  Tensor s = Tensor::scalar(2.5, f64);
  // PyTorch: "slice() / select() cannot be applied to a 0-dim tensor",
  // "zero-dimensional tensor (at position 0) cannot be concatenated",
  // "split expects at least a 1-dimensional tensor"
  expect_error([&] { ops::slice(s, 0, 0, 1); }, {"slice", "0-d"}, "slice");
  expect_error([&] { ops::select(s, 0, 0); }, {"select", "0-d"}, "select");
  expect_error([&] { ops::cat({s, s}, 0); }, {"cat", "position 0"}, "cat");
  expect_error([&] { ops::split(s, 1, 0); }, {"split", "0-d"}, "split");
}

// ---- item H: invalid shapes ----

TEST(EdgeShapes, ReshapeAndExpandRejectInvalidSizes) {
  Tensor x = Tensor::zeros({4});
  expect_error([&] { ops::reshape(x, {-2, -2}); }, {"reshape", "-2"}, "reshape -2");  // invalid shape dimension -2
  const int64_t big = (int64_t(1) << 62) + 1;
  expect_error([&] { ops::reshape(x, {big, 4}); }, {"reshape"}, "reshape 2^62+1 x 4");  // raises
  expect_error([&] { ops::reshape(Tensor::zeros({0}), {0, -1}); }, {"reshape", "ambiguous"}, "reshape [0, -1]");
  Tensor one = Tensor::zeros({1});
  expect_error([&] { ops::expand(one, {-3}); }, {"expand", "-3"}, "expand -3");  // raises
  expect_error([&] { ops::expand(one, {int64_t(1) << 62, 4}); }, {"expand"}, "expand 2^62 x 4");  // overflow
  EXPECT_EQ(ops::expand(Tensor::zeros({2}), {3, -1}).shape(), (Shape{3, 2}));  // -1 keeps the size: (3, 2)
}

// ---- edge item 2 / item F: where's condition ----

TEST(EdgeWhere, NonzeroConditionIsTrueForEveryDtype) {
  // torch.where(c != 0, a, b) for c = [256, 512, 0, 1] and [0.5, 1e-3, 0, nan]: [1, 1, 0, 1]
  const std::vector<double> want{1, 1, 0, 1};
  for (DType t : {DType::i64, DType::i32}) {
    Tensor a = leaf({1, 1, 1, 1}), b = leaf({0, 0, 0, 0});
    Tensor y = ops::where(vec({256, 512, 0, 1}, t), a, b);
    expect_values(y, want, dtype_name(t));
    ops::sum(y).backward();
    expect_values(a.grad(), {1, 1, 0, 1}, "where grad a");  // [1, 1, 0, 1]
    expect_values(b.grad(), {0, 0, 1, 0}, "where grad b");  // [0, 0, 1, 0]
  }
  for (DType t : {DType::f32, DType::f64})
    expect_values(ops::where(vec({0.5, 1e-3, 0, kNaN}, t), vec({1, 1, 1, 1}), vec({0, 0, 0, 0})), want, dtype_name(t));
}

// The same rule on the (emulated) CUDA device, where the mask is formed apart.
TEST(EdgeWhere, NonzeroConditionOnTheCudaDevice) {
  const bool was = cuda::emulated();
  cuda::set_emulated(true);
  {
    const TensorOptions dev(DType::f32, Device::cuda());
    Tensor a = Tensor::ones({4}, dev), b = Tensor::zeros({4}, dev);
    for (DType t : {DType::i64, DType::f32}) {
      Tensor c = vec({256, 0.5, 0, 1}, t).to(Device::cuda());  // int64: [256, 0, 0, 1]; float: [256, 0.5, 0, 1]
      const std::vector<double> want = t == DType::i64 ? std::vector<double>{1, 0, 0, 1} : std::vector<double>{1, 1, 0, 1};
      expect_values(ops::where(c, a, b).to(Device::cpu()), want, dtype_name(t));  // torch.where(c != 0, 1, 0)
    }
  }
  cuda::set_emulated(was);
}

// ---- edge item 4: pow gradients at 0 ----

TEST(EdgePow, GradientsAtZero) {
  Tensor a = leaf({0, 0, 0, 2}), b = leaf({0, 2, -1, 0});
  ops::sum(ops::pow(a, b)).backward();
  expect_values(a.grad(), {0, 0, -kInf, 0}, "d/da");             // [0, 0, -inf, 0]
  expect_values(b.grad(), {0, 0, -kInf, std::log(2.0)}, "d/db");  // [0, 0, -inf, 0.6931]
  Tensor x = leaf({0, 1});
  ops::sum(ops::pow(x, 0.0)).backward();
  expect_values(x.grad(), {0, 0}, "pow(x, 0) grad");  // [0, 0]
  Tensor x2 = leaf({0, 1});
  ops::sum(ops::pow(x2, 0.5)).backward();
  expect_values(x2.grad(), {kInf, 0.5}, "pow(x, 0.5) grad");  // [inf, 0.5]
  Tensor e = scalar_leaf(0.0);
  ops::sum(ops::pow(vec({0, 3}), e)).backward();
  expect_values(e.grad(), {std::log(3.0)}, "d/de of [0, 3]^e");  // 1.0986
}

// ---- edge item 5: means over zero elements ----

TEST(EdgeEmptyMean, IsNaN) {
  Tensor z = Tensor::zeros({0, 3}, f64);
  expect_values(ops::mean(z, {0}), {kNaN, kNaN, kNaN}, "mean over dim 0");  // [nan, nan, nan]
  expect_values(ops::mean(z), {kNaN}, "mean()");                           // nan
  expect_values(ops::mse_loss(z, z), {kNaN}, "mse_loss");                  // nan
  expect_values(ops::l1_loss(z, z), {kNaN}, "l1_loss");                    // nan
  const Tensor no_targets = Tensor::zeros({0}, TensorOptions(DType::i64));
  expect_values(ops::cross_entropy(z, no_targets), {kNaN}, "cross_entropy N=0");  // nan
  expect_values(ops::nll_loss(z, no_targets), {kNaN}, "nll_loss N=0");            // nan
  expect_values(ops::cross_entropy(z, no_targets, -100, 0.0, ops::Reduction::sum), {0.0}, "sum N=0");  // 0
}

TEST(EdgeEmptyMean, AllTargetsIgnoredIsNaNWithZeroGradient) {
  const Tensor ignored = Tensor::from_vector(std::vector<int64_t>{-100, -100}, {2});
  for (double smoothing : {0.0, 0.1}) {
    Tensor l = Tensor::randn({2, 3}, f64).requires_grad_(true);
    Tensor loss = ops::cross_entropy(l, ignored, -100, smoothing);
    expect_values(loss, {kNaN}, "cross_entropy all ignored");  // nan
    loss.backward();
    expect_values(l.grad(), std::vector<double>(6, 0.0), "cross_entropy grad");  // zeros
  }
  // an ignored row of NaN logits: F.cross_entropy(x, [-100, 1]).backward() gives
  // x.grad = [[nan, nan, nan], [0.09003, -0.75527, 0.66524]] for x = [[1, nan, 0], [0, 1, 2]]
  Tensor x = Tensor::from_vector(std::vector<double>{1, kNaN, 0, 0, 1, 2}, {2, 3}, f64).requires_grad_(true);
  ops::cross_entropy(x, Tensor::from_vector(std::vector<int64_t>{-100, 1}, {2})).backward();
  expect_values(x.grad(), {kNaN, kNaN, kNaN, 0.09003057317038043, -0.7552715289452023, 0.6652409557748218}, "cross_entropy NaN ignored row");
  Tensor l = Tensor::randn({2, 3}, f64).requires_grad_(true);
  Tensor loss = ops::nll_loss(l, ignored);
  expect_values(loss, {kNaN}, "nll_loss all ignored");  // nan
  loss.backward();
  expect_values(l.grad(), std::vector<double>(6, 0.0), "nll_loss grad");  // zeros
}

// ---- edge item 6: empty dims and invalid arguments ----

TEST(EdgeEmptyDims, LinearWithNoInputFeaturesIsTheBias) {
  // empty(): no element to initialise (Tensor::zeros of a 0-sized shape is a core matter)
  Tensor x = Tensor::empty({2, 3, 0}, f64).requires_grad_(true), w = Tensor::empty({4, 0}, f64).requires_grad_(true);
  Tensor b = leaf({0, 1, 2, 3});
  Tensor y = ops::linear(x, w, b);  // F.linear: the bias on each of the 2 x 3 rows, shape (2, 3, 4)
  EXPECT_EQ(y.shape(), (Shape{2, 3, 4}));
  std::vector<double> want;
  for (int r = 0; r < 6; ++r) want.insert(want.end(), {0, 1, 2, 3});
  expect_values(y, want, "linear in=0");
  ops::sum(y).backward();
  expect_values(b.grad(), {6, 6, 6, 6}, "bias grad");  // [6, 6, 6, 6]
  EXPECT_EQ(w.grad().shape(), (Shape{4, 0}));
  EXPECT_EQ(x.grad().shape(), (Shape{2, 3, 0}));
}

TEST(EdgeEmptyDims, MatmulWithNoInnerDim) {
  Tensor a = Tensor::empty({2, 3, 0}, f64).requires_grad_(true), b = Tensor::empty({0, 5}, f64).requires_grad_(true);
  Tensor y = ops::matmul(a, b);  // torch.matmul: zeros of shape (2, 3, 5); grads of shapes (2, 3, 0), (0, 5)
  EXPECT_EQ(y.shape(), (Shape{2, 3, 5}));
  expect_values(y, std::vector<double>(30, 0.0), "matmul K=0");
  ops::sum(y).backward();
  EXPECT_EQ(a.grad().shape(), (Shape{2, 3, 0}));
  EXPECT_EQ(b.grad().shape(), (Shape{0, 5}));
}

TEST(EdgeEmptyDims, SplitFlattenLayerNorm) {
  auto parts = ops::split(Tensor::zeros({0, 3}), 2, 0);  // torch.split: one chunk of shape (0, 3)
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].shape(), (Shape{0, 3}));
  // "flatten() has invalid args: start_dim cannot come after end_dim"
  expect_error([&] { ops::flatten(Tensor::zeros({2, 3, 4}), 2, 1); }, {"flatten", "start_dim"}, "flatten(x, 2, 1)");
  // "Expected normalized_shape to be at least 1-dimensional"
  expect_error([&] { ops::layer_norm(Tensor::scalar(1.0), {}); }, {"layer_norm", "normalized_shape"}, "layer_norm 0-d");
  expect_error([&] { ops::layer_norm(Tensor::ones({3}), {}); }, {"layer_norm", "normalized_shape"}, "layer_norm []");
}

// ---- edge item 7: API gaps ----

TEST(EdgeApi, TransposeOfVectorsAndScalars) {
  Tensor v = vec({1, 2, 3});
  EXPECT_EQ(ops::t(v).shape(), Shape{3});  // torch.ones(3).t(): shape (3,)
  EXPECT_EQ(v.t().shape(), Shape{3});       // the method too
  EXPECT_EQ(ops::t(Tensor::zeros({2, 3})).shape(), (Shape{3, 2}));
  expect_error([&] { ops::t(Tensor::zeros({2, 2, 2})); }, {"t:"}, "t of 3-d");  // "t() expects <= 2 dimensions"
}

TEST(EdgeApi, PlainNumbersInWhereAndCompare) {
  const Tensor c = Tensor::from_vector(std::vector<int64_t>{1, 0}, {2});
  expect_values(ops::where(c, vec({1, 2}), 0.0), {1, 0}, "where(c, x, 0.0)");  // [1, 0]
  expect_values(ops::where(c, 5.0, vec({1, 2})), {5, 2}, "where(c, 5.0, x)");  // [5, 2]
  // torch.tensor([2, 3]) < 2.5 = [True, False]: the integer is compared as a number
  expect_values(ops::compare(Tensor::from_vector(std::vector<int64_t>{2, 3}, {2}), 2.5, CompareOp::lt), {1, 0}, "int < 2.5");
  expect_values(ops::compare(vec({1, 3}), 2.0, CompareOp::ge), {0, 1}, "x >= 2");  // [False, True]
}

TEST(EdgeApi, ClampWithOneBound) {
  Tensor x = leaf({-1, 0.2, 0.7, 2});
  Tensor y = ops::clamp(x, std::nullopt, 0.5);  // torch.clamp(x, max=0.5) = [-1, 0.2, 0.5, 0.5], grad [1, 1, 0, 0]
  expect_values(y, {-1, 0.2, 0.5, 0.5}, "clamp max");
  ops::sum(y).backward();
  expect_values(x.grad(), {1, 1, 0, 0}, "clamp max grad");
  Tensor x2 = leaf({-1, 0.2, 0.7, 2});
  Tensor y2 = ops::clamp_min(x2, 0.5);  // torch.clamp(x, min=0.5) = [0.5, 0.5, 0.7, 2], grad [0, 0, 1, 1]
  expect_values(y2, {0.5, 0.5, 0.7, 2}, "clamp_min");
  ops::sum(y2).backward();
  expect_values(x2.grad(), {0, 0, 1, 1}, "clamp_min grad");
  expect_values(ops::clamp_max(vec({3}), 1.0), {1}, "clamp_max");
  // "torch.clamp: At least one of 'min' or 'max' must not be None"
  expect_error([&] { ops::clamp(x, std::nullopt, std::nullopt); }, {"clamp"}, "clamp without bounds");
}

TEST(EdgeApi, MixedFloatDtypesPromote) {
  Tensor a = leaf({1, 2, 3}, DType::f32), b = leaf({0.5, 0.25, 2});
  Tensor y = ops::mul(a, b);  // float32 * float64 -> float64; grads in each input's dtype
  EXPECT_EQ(y.dtype(), DType::f64);
  expect_values(y, {0.5, 0.5, 6}, "mul");
  ops::sum(y).backward();
  EXPECT_EQ(a.grad().dtype(), DType::f32);
  EXPECT_EQ(b.grad().dtype(), DType::f64);
  expect_values(a.grad(), {0.5, 0.25, 2}, "grad a");  // [0.5, 0.25, 2] float32
  expect_values(b.grad(), {1, 2, 3}, "grad b");       // [1, 2, 3] float64
  // a 0-d float64 does not widen a float32 tensor with dims (torch: float32), and its grad is float64
  Tensor s = scalar_leaf(2.0);
  Tensor z = ops::add(a, s);
  EXPECT_EQ(z.dtype(), DType::f32);
  ops::sum(z).backward();
  EXPECT_EQ(s.grad().dtype(), DType::f64);
  expect_values(s.grad(), {3}, "0-d grad");  // 3
  EXPECT_EQ(ops::add(Tensor::scalar(1.0, f64), Tensor::scalar(1.0)).dtype(), DType::f64);  // float64
  EXPECT_EQ(ops::pow(vec({2}, DType::f32), vec({3})).dtype(), DType::f64);                // float64
  EXPECT_EQ(ops::sub(vec({2}), vec({3}, DType::f32)).dtype(), DType::f64);
  EXPECT_EQ(ops::div(vec({2}, DType::f32), vec({3})).dtype(), DType::f64);
  const Tensor c = Tensor::from_vector(std::vector<uint8_t>{1, 0, 1}, {3});
  EXPECT_EQ(ops::where(c, vec({1, 2, 3}, DType::f32), vec({0, 0, 0})).dtype(), DType::f64);  // float64
  // torch.tensor([1., 2, 3]) < torch.tensor([1.5] * 3, dtype=float64) = [True, False, False]
  expect_values(ops::compare(vec({1, 2, 3}, DType::f32), vec({1.5, 1.5, 1.5}), CompareOp::lt), {1, 0, 0}, "compare");
  EXPECT_EQ(ops::mse_loss(vec({1}, DType::f32), vec({3})).dtype(), DType::f64);  // F.mse_loss promotes: float64
}

// ---- smaller defects: float indices and wrong-dtype arguments ----

TEST(EdgeDtypes, FloatIndicesRaise) {
  const Tensor fidx = vec({0, 1}, DType::f32);
  // PyTorch raises for each: "expected scalar type Long but found Float", "Expected dtype int32 or int64 for index"
  expect_error([&] { ops::cross_entropy(Tensor::zeros({2, 3}), fidx); }, {"cross_entropy", "float32", "[2]"}, "ce");
  expect_error([&] { ops::nll_loss(Tensor::zeros({2, 3}), fidx); }, {"nll_loss", "float32"}, "nll");
  expect_error([&] { ops::embedding(Tensor::zeros({3, 2}), fidx); }, {"embedding", "float32"}, "embedding");
  expect_error([&] { ops::index_select(Tensor::zeros({3}), 0, fidx); }, {"index_select", "float32"}, "index_select");
  expect_error([&] { ops::gather(Tensor::zeros({3}), 0, fidx); }, {"gather", "float32"}, "gather");
}

TEST(EdgeDtypes, WrongDtypeParametersNameTheArgument) {
  // F.linear / F.layer_norm raise for a float64 bias or weight with float32 input
  expect_error([&] { ops::linear(Tensor::zeros({2, 3}), Tensor::zeros({4, 3}), Tensor::zeros({4}, f64)); },
               {"linear", "bias", "float32", "float64", "[4]"}, "linear bias");
  expect_error([&] { ops::layer_norm(Tensor::zeros({2, 3}), {3}, Tensor::ones({3}, f64)); },
               {"layer_norm weight", "float32", "float64"}, "layer_norm weight");
}

}  // namespace

// Issue 10's activations at their kinks, bounds and non-finite inputs, values and
// gradients (of sum), each element as torch 1.13 computes it alone (its scalar
// loop; see NAN_GRAD_SPLIT in make_edge_fixtures.py for its vectorised one at NaN).
TEST(EdgeActivations, KinksBoundsAndNonFiniteInputs) {
  const std::vector<double> in = {kNaN, kInf, -kInf, 0.0, -0.0, 1.0, -1.0, -1.5};
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&)> fn;
    std::vector<double> out, grad;
  };
  const std::vector<Case> cases = {
      {"leaky_relu", [](const Tensor& x) { return ops::leaky_relu(x, 0.2); },
       {kNaN, kInf, -kInf, 0.0, -0.0, 1.0, -0.2, -0.3}, {0.2, 1.0, 0.2, 0.2, 0.2, 1.0, 0.2, 0.2}},
      {"elu", [](const Tensor& x) { return ops::elu(x, 0.5); },
       {kNaN, kInf, -0.5, 0.0, 0.0, 1.0, -0.31606027941427883, -0.3884349199257851},
       {1.0, 1.0, 0.0, 0.5, 0.5, 1.0, 0.18393972058572117, 0.11156508007421491}},
      {"hardtanh", [](const Tensor& x) { return ops::hardtanh(x); },
       {kNaN, 1.0, -1.0, 0.0, -0.0, 1.0, -1.0, -1.0}, {1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0}},
      {"mish", [](const Tensor& x) { return ops::mish(x); },
       {kNaN, kInf, kNaN, 0.0, -0.0, 0.8650983882673103, -0.30340146137410895, -0.29809974216680674},
       {kNaN, kNaN, kNaN, 0.6, 0.6, 1.0490362200997922, 0.059216755877395014, -0.06409781589225869}},
      {"logsigmoid", [](const Tensor& x) { return ops::logsigmoid(x); },
       {kNaN, 0.0, -kInf, -0.6931471805599453, -0.6931471805599453, -0.31326168751822286, -1.3132616875182228,
        -1.7014132779827524},
       {kNaN, 0.0, 1.0, 0.5, 0.5, 0.2689414213699951, 0.7310585786300049, 0.8175744761936437}},
  };
  for (const auto& c : cases) {
    for (DType t : {DType::f64, DType::f32}) {
      Tensor x = leaf(in, t), y = c.fn(x);
      ops::sum(y).backward();
      const double tol = t == DType::f64 ? 1e-9 : 1e-6;
      expect_values(y.to(DType::f64), c.out, c.name, tol);
      expect_values(x.grad().to(DType::f64), c.grad, c.name, tol);
    }
  }
}

// torch.round rounds halves to even; sign(NaN) is 0 (torch 1.13); floor, round and sign
// have a zero gradient even where the incoming one is inf.
TEST(EdgeActivations, RoundHalfToEvenAndZeroGradients) {
  for (DType t : {DType::f64, DType::f32}) {
    expect_values(ops::round(vec({0.5, 1.5, 2.5, -0.5, -2.5, -1.5, 2.4999999}, t)).to(DType::f64),
                  {0.0, 2.0, 2.0, -0.0, -2.0, -2.0, 2.0}, "round");
    expect_values(ops::sign(vec({kNaN, -0.0, 0.0, -3.0, kInf}, t)).to(DType::f64), {0.0, 0.0, 0.0, -1.0, 1.0}, "sign");
  }
  for (auto fn : {+[](const Tensor& x) { return ops::floor(x); }, +[](const Tensor& x) { return ops::round(x); },
                  +[](const Tensor& x) { return ops::sign(x); }}) {
    Tensor x = leaf({0.5, kNaN, -2.0});
    ops::sum(fn(x) * vec({kInf, 1.0, kNaN})).backward();
    expect_values(x.grad(), {0.0, 0.0, 0.0}, "zero gradient");
  }
}
