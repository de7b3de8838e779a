// The composed ops of issue 10 (masked_fill, one_hot, pad, chunk, flip, roll,
// repeat, binary_cross_entropy, smooth_l1/huber, weighted and soft-label
// cross_entropy) beyond the op table: values and gradients are checked against
// PyTorch there (tests/op_table.cpp, make_fixtures.py, the edge mode). Here: bad
// input raises a genlab::Error that names the shapes or values, the CUDA paths
// for integer, uint8 and float64 tensors (on the emulated device) agree with
// the CPU or say why not, and a few results quoted from PyTorch 1.13.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "emulated_device.hpp"
#include "expect_error.hpp"
#include "genlab/genlab.hpp"

using namespace genlab;
using genlab::testing::expect_error;
using genlab::testing::on_emulated_device;

namespace {

Tensor ints(std::vector<int64_t> v, Shape s) { return Tensor::from_vector(v, s); }
Tensor f64(std::vector<double> v) {
  const int64_t n = int64_t(v.size());
  return Tensor::from_vector(v, {n}, TensorOptions(DType::f64));
}

TEST(ComposedOps, BadInputNamesShapesAndValues) {
  const Tensor x = Tensor::randn({2, 3});
  const Tensor mask = ops::compare(Tensor::randn({4}), 0.0, CompareOp::gt);
  expect_error([&] { ops::masked_fill(x, mask, 1.0); }, {"masked_fill", "[2, 3]", "[4]"}, "mask not broadcastable");
  expect_error([&] { ops::masked_fill(x, Tensor::ones({2, 3}), 1.0); }, {"masked_fill", "uint8", "float32"},
               "float mask");
  expect_error([&] { ops::masked_fill(x, mask, Tensor::zeros({1})); }, {"masked_fill", "0-d", "[1]"}, "1-d value");
  expect_error([&] { ops::one_hot(ints({0, 5, 1}, {3}), 5); }, {"one_hot", "class value 5", "position 1", "num_classes = 5"},
               "index >= num_classes");
  expect_error([&] { ops::one_hot(ints({0, -2}, {2}), 3); }, {"one_hot", "-2", "position 1"}, "negative index");
  expect_error([&] { ops::one_hot(ints({}, {0})); }, {"one_hot", "empty", "[0]"}, "infer from empty");
  expect_error([&] { ops::one_hot(Tensor::zeros({2}), 3); }, {"one_hot", "int64", "float32"}, "float index");
  expect_error([&] { ops::pad(x, {3, 0}, "reflect"); }, {"pad", "reflect", "(3, 0)", "size 3", "[2, 3]"},
               "reflect pad >= dim");
  expect_error([&] { ops::pad(x, {1, 1, 1, 1}, "reflect"); }, {"pad", "3-d or 4-d", "[2, 3]"}, "reflect 2 dims of 2-d");
  expect_error([&] { ops::pad(x, {1}); }, {"pad", "pairs", "1 values"}, "odd pad list");
  expect_error([&] { ops::pad(x, {1, 1, 1, 1, 1, 1}); }, {"pad", "3 (before, after) pairs", "[2, 3]"}, "too many pads");
  expect_error([&] { ops::pad(x, {-2, -2}); }, {"pad", "(-2, -2)", "size 3", "[2, 3]"}, "crop past the size");
  expect_error([&] { ops::pad(x, {1, 1}, "circular"); }, {"pad", "circular"}, "circular");
  expect_error([&] { ops::pad(x, {1, 1}, "replicate", 2.0); }, {"pad", "replicate", "takes no value"}, "value");
  expect_error([&] { ops::chunk(x, -2); }, {"chunk", "positive", "-2", "[2, 3]"}, "negative chunks");
  expect_error([&] { ops::chunk(x, 0); }, {"chunk", "positive", "got 0"}, "zero chunks");
  expect_error([&] { ops::flip(x, {0, -2}); }, {"flip", "dim 0", "more than once"}, "repeated dim");
  expect_error([&] { ops::roll(x, {1, 2}, {0}); }, {"roll", "[1, 2]", "[0]"}, "shifts vs dims");
  expect_error([&] { ops::roll(x, {1, 2}); }, {"roll", "2 shifts"}, "flattened with 2 shifts");
  expect_error([&] { ops::repeat(x, {2}); }, {"repeat", "[2]", "[2, 3]"}, "fewer repeats than dims");
  expect_error([&] { ops::repeat(x, {2, -1}); }, {"repeat", "negative repeat -1"}, "negative repeat");
}

TEST(ComposedOps, BadLossInputNamesShapesAndValues) {
  const Tensor p = Tensor::from_vector(std::vector<float>{0.2f, 1.5f, 0.5f}, {3});
  expect_error([&] { ops::binary_cross_entropy(p, Tensor::rand({3})); }, {"binary_cross_entropy", "[0, 1]", "element 1 is 1.5"},
               "bce input > 1");
  expect_error([&] { ops::binary_cross_entropy(Tensor::rand({3}), Tensor::rand({2})); },
               {"binary_cross_entropy", "[3]", "[2]"}, "bce shapes");
  expect_error([&] { ops::binary_cross_entropy(Tensor::rand({3}), Tensor::rand({3}), Tensor::rand({2, 3})); },
               {"binary_cross_entropy", "weight [2, 3]", "[3]"}, "bce weight larger");
  expect_error([&] { ops::smooth_l1_loss(p, p, ops::Reduction::mean, -0.5); }, {"smooth_l1_loss", "-0.5"}, "negative beta");
  expect_error([&] { ops::huber_loss(p, p, ops::Reduction::mean, 0.0); }, {"huber_loss", "positive"}, "delta 0");
  const Tensor logits = Tensor::randn({4, 3}), t = ints({0, 2, 1, 2}, {4});
  expect_error([&] { ops::cross_entropy(logits, t, Tensor::ones({4})); }, {"cross_entropy", "weight [4]", "[4, 3]", "[3]"},
               "weight size");
  expect_error([&] { ops::cross_entropy(logits, Tensor::rand({4, 2})); }, {"cross_entropy", "[4, 3]", "[4, 2]", "probabilities"},
               "probability target shape");
  expect_error([&] { ops::cross_entropy(logits, Tensor::rand({4, 3}), 1); }, {"cross_entropy", "ignore_index (1)"},
               "ignore_index with probabilities");
  expect_error([&] { ops::cross_entropy(logits, t, Tensor::ones({3}).requires_grad_(true)); }, {"cross_entropy", "no gradient"},
               "weight requiring grad");
  expect_error([&] { ops::cross_entropy(logits, ints({0, 3, 1, 2}, {4}), Tensor::ones({3})); },
               {"cross_entropy", "target 3", "position 1"}, "target out of range");
}

// Results quoted from PyTorch 1.13 (float64) at the kinks and clamps.
TEST(ComposedOps, KinksAndClampsAsPyTorch) {
  // F.binary_cross_entropy(x, t, reduction='none') and its gradients, x, t in {0, 1, 0.5}
  Tensor x = f64({0, 1, 0, 1, 0.5}).requires_grad_(true), t = f64({0, 1, 1, 0, 0.5}).requires_grad_(true);
  Tensor l = ops::binary_cross_entropy(x, t, Tensor(), ops::Reduction::none);
  const std::vector<double> want{0, 0, 100, 100, std::log(2.0)};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(l.to_vector<double>()[i], want[i], 1e-12) << i;
  ops::sum(l).backward();
  const std::vector<double> gx{0, 0, -1e12, 1e12, 0}, gt{INFINITY, -INFINITY, INFINITY, -INFINITY, 0};
  for (size_t i = 0; i < gx.size(); ++i) {
    EXPECT_NEAR(x.grad().to_vector<double>()[i], gx[i], 1e-3) << i;
    EXPECT_EQ(t.grad().to_vector<double>()[i], gt[i]) << i;
  }
  // F.smooth_l1_loss(d, 0, beta=b, reduction='none') gradients: at |d| = beta the linear slope; beta = 0 gives -1 at d = 0
  auto slope = [](std::vector<double> d, double beta) {
    Tensor in = f64(d).requires_grad_(true);
    ops::sum(ops::smooth_l1_loss(in, Tensor::zeros(in.shape(), DType::f64), ops::Reduction::none, beta)).backward();
    return in.grad().to_vector<double>();
  };
  EXPECT_EQ(slope({-1, 1, 0, 0.5, INFINITY}, 1.0), (std::vector<double>{-1, 1, 0, 0.5, 1}));
  EXPECT_EQ(slope({-1, 1, 0}, 0.0), (std::vector<double>{-1, 1, -1}));
  // a target that needs no gradient gets none, and the input's is the same
  Tensor x2 = x.detach().requires_grad_(true);
  ops::sum(ops::binary_cross_entropy(x2, t.detach(), Tensor(), ops::Reduction::none)).backward();
  EXPECT_EQ(x2.grad().to_vector<double>(), x.grad().to_vector<double>());
}

// where's CPU path reads a repeating operand (an attention mask under [B, H, T, T],
// a 0-d value) in place, in blocks across threads: against a plain loop over
// the same values, with a transposed x (expanded into a copy) as well.
TEST(ComposedOps, MaskedFillOfAttentionScoresMatchesALoop) {
  const int saved = num_threads();
  set_num_threads(2);
  manual_seed(3);
  const Tensor x = Tensor::randn({4, 8, 64, 64}), xt = ops::transpose(x, 2, 3);
  const Tensor mask = ops::compare(Tensor::randn({64, 64}), 0.0, CompareOp::gt);
  const auto m = mask.to_vector<uint8_t>();
  for (const Tensor& in : {x, xt}) {
    const auto got = ops::masked_fill(in, mask, -7.0).to_vector<float>(), v = in.to_vector<float>();
    ASSERT_EQ(got.size(), v.size());
    for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(got[i], m[i % m.size()] ? -7.f : v[i]) << i;
  }
  set_num_threads(saved);
}

TEST(ComposedOps, CudaPathsForOtherDtypesOnTheEmulatedDevice) {
  on_emulated_device([] {
    const Tensor i = ints({3, 1, 4, 1, 5, 9}, {2, 3}), gi = i.to(Device::cuda());
    auto same = [](const Tensor& got, const Tensor& want, const char* what) {
      EXPECT_EQ(got.device(), Device::cuda()) << what;
      EXPECT_EQ(got.dtype(), want.dtype()) << what;
      EXPECT_EQ(got.shape(), want.shape()) << what;
      EXPECT_EQ(got.to(Device::cpu()).to_vector<double>(), want.to_vector<double>()) << what;
    };
    same(ops::flip(gi, {0, 1}), ops::flip(i, {0, 1}), "flip int64");
    same(ops::roll(gi, {1}, {1}), ops::roll(i, {1}, {1}), "roll int64");
    same(ops::roll(gi, {2}), ops::roll(i, {2}), "roll flattened int64");
    same(ops::repeat(gi, {2, 1}), ops::repeat(i, {2, 1}), "repeat int64");
    same(ops::pad(gi, {1, 2}, "constant", 7), ops::pad(i, {1, 2}, "constant", 7), "constant pad int64");
    same(ops::pad(gi, {2, 1}, "reflect"), ops::pad(i, {2, 1}, "reflect"), "reflect pad int64");
    same(ops::pad(gi, {1, 3}, "replicate"), ops::pad(i, {1, 3}, "replicate"), "replicate pad int64");
    same(ops::one_hot(gi, 10), ops::one_hot(i, 10), "one_hot of a CUDA index");
    const Tensor m = ops::compare(i, 2.0, CompareOp::lt), gm = m.to(Device::cuda());
    same(ops::masked_fill(gi, gm, -1.0), ops::masked_fill(i, m, -1.0), "masked_fill int64");
    same(ops::flip(gm, {1}), ops::flip(m, {1}), "flip uint8");
    same(ops::masked_fill(gm, gm, 0.0), ops::masked_fill(m, m, 0.0), "masked_fill uint8");
    // float64 on CUDA: the index ops go through the host, with their gradients
    Tensor d = Tensor::randn({2, 5}, DType::f64), gd = d.to(Device::cuda()).requires_grad_(true);
    d.requires_grad_(true);
    const Tensor w = Tensor::randn({2, 10}, DType::f64);
    ops::pad(d, {3, 2}, "reflect").backward(w);
    ops::pad(gd, {3, 2}, "reflect").backward(w.to(Device::cuda()));
    EXPECT_EQ(gd.grad().to(Device::cpu()).to_vector<double>(), d.grad().to_vector<double>()) << "reflect pad f64 grad";
    // where the float32 kernels cannot run: a genlab::Error that says so
    const Tensor all = Tensor::ones({2, 5}, DType::u8).to(Device::cuda());
    expect_error([&] { ops::masked_fill(gd.detach(), all, 0.0); },
                 {"CUDA", "float32", "float64"}, "masked_fill float64 on CUDA");
    expect_error([&] { ops::binary_cross_entropy(Tensor::full({3}, 1.5).to(Device::cuda()), Tensor::rand({3}).to(Device::cuda())); },
                 {"binary_cross_entropy", "[0, 1]"}, "bce input > 1 on CUDA");
  });
}

}  // namespace
