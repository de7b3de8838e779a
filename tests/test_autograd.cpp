#include <gtest/gtest.h>

#include <genlab/genlab.hpp>

using namespace genlab;

TEST(Autograd, AccumulatesAcrossUsesAndCalls) {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3}, {3});
  x.requires_grad_();
  Tensor y = ops::sum(x * x + x);  // dy/dx = 2x + 1
  y.backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{3, 5, 7}));
  ops::sum(x * 2.0).backward();  // accumulates
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{5, 7, 9}));
}

TEST(Autograd, NoGradAndDetach) {
  Tensor x = Tensor::ones({2}, TensorOptions(DType::f32, Device::cpu(), true));
  {
    autograd::NoGradGuard ng;
    EXPECT_FALSE((x * 2.0).requires_grad());
  }
  EXPECT_TRUE((x * 2.0).requires_grad());
  EXPECT_FALSE(x.detach().requires_grad());
  EXPECT_THROW(ops::sum(x.detach()).backward(), Error);
}

TEST(Autograd, SecondBackwardNeedsRetainGraph) {
  Tensor x = Tensor::ones({2}, TensorOptions(DType::f64, Device::cpu(), true));
  Tensor y = ops::sum(ops::exp(x));
  y.backward(Tensor(), true);
  y.backward();
  EXPECT_NEAR(x.grad().to_vector<double>()[0], 2 * std::exp(1.0), 1e-12);
  EXPECT_THROW(y.backward(), Error);
}

TEST(Autograd, GradcheckCatchesAWrongGradient) {
  // a deliberately wrong backward: d/dx of x^3 claimed as 2x
  auto wrong = [](const std::vector<Tensor>& in) {
    Tensor x = in[0];
    Tensor out = ops::detail::binary_forward(BinaryOp::mul, ops::detail::binary_forward(BinaryOp::mul, x, x), x);
    Tensor xd = x.detach();
    autograd::record("WrongCube", out, {x}, [xd](const Tensor& g) { return std::vector{g * xd * 2.0}; });
    return out;
  };
  Tensor x = Tensor::randn({4}, DType::f64).requires_grad_();
  EXPECT_FALSE(autograd::gradcheck(wrong, {x}).ok);
}

TEST(Autograd, GraphOfAnMlpStep) {
  manual_seed(1);
  Tensor w = Tensor::randn({3, 4}, DType::f64).requires_grad_();
  Tensor x = Tensor::randn({5, 4}, DType::f64);
  auto r = autograd::gradcheck(
      [&](const std::vector<Tensor>& in) {
        return ops::cross_entropy(ops::relu(ops::linear(x, in[0])), Tensor::from_vector(std::vector<int64_t>{0, 1, 2, 1, 0}, {5}));
      },
      {w});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(Autograd, AdoptedGradientsDoNotAlias) {
  // AddBackward hands the same gradient to both inputs: one leaf may adopt it,
  // the other must get its own copy, or accumulating into one changes the other.
  Tensor a = Tensor::ones({2}, TensorOptions(DType::f64, Device::cpu(), true));
  Tensor b = Tensor::ones({2}, TensorOptions(DType::f64, Device::cpu(), true));
  ops::sum(a + b).backward();
  ops::sum(a * 3.0).backward();
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{4, 4}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{1, 1}));
  ops::sum(b * 2.0).backward();
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{4, 4}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{3, 3}));
}
