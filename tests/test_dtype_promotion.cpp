// Mixed float32/float64 inputs against PyTorch (tests/parity/promotion.txt,
// made by make_promotion_fixture.py): every op that takes two float tensors
// gives PyTorch's result dtype and value, or raises where PyTorch refuses the
// mix, with a message that names both dtypes. Each input's gradient comes back
// in its own dtype. Where genlab departs from PyTorch 1.13 on purpose it is
// listed in kDepartures with the reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "genlab/genlab.hpp"

using namespace genlab;

namespace {

// The fixture's inputs, exact in float32 (see make_promotion_fixture.py).
Tensor six(DType t) { return Tensor::arange(6).to(DType::f64).reshape({2, 3}).to(t); }
Tensor in_a(DType t) { return ops::div(ops::sub(six(t), 2.5), 4.0); }
Tensor in_b(DType t) { return ops::sub(ops::mul(six(t), 0.375), 1.0); }
Tensor in_p(DType t) { return ops::div(ops::add(six(t), 1.0), 8.0); }
Tensor in_w(DType t) { return ops::add(ops::mul(Tensor::arange(3).to(t), 0.5), 0.5); }

using Maker = Tensor (*)(DType);
struct Case {
  Maker x, y;
  std::function<Tensor(const Tensor&, const Tensor&)> f;
};

const std::map<std::string, Case>& cases() {
  using T = const Tensor&;
  static const std::map<std::string, Case> c = {
      {"add", {in_a, in_b, [](T x, T y) { return ops::add(x, y); }}},
      {"sub", {in_a, in_b, [](T x, T y) { return ops::sub(x, y); }}},
      {"mul", {in_a, in_b, [](T x, T y) { return ops::mul(x, y); }}},
      {"div", {in_a, in_p, [](T x, T y) { return ops::div(x, y); }}},
      {"pow", {in_p, in_b, [](T x, T y) { return ops::pow(x, y); }}},
      {"maximum", {in_a, in_b, [](T x, T y) { return ops::maximum(x, y); }}},
      {"minimum", {in_a, in_b, [](T x, T y) { return ops::minimum(x, y); }}},
      {"where", {in_a, in_b, [](T x, T y) { return ops::where(ops::compare(x, 0.0, CompareOp::gt), x, y); }}},
      {"cat", {in_a, in_b, [](T x, T y) { return ops::cat({x, y}, 0); }}},
      {"stack", {in_a, in_b, [](T x, T y) { return ops::stack({x, y}, 1); }}},
      {"matmul", {in_a, in_b, [](T x, T y) { return ops::matmul(x, ops::transpose(y, 0, 1)); }}},
      {"mm", {in_a, in_b, [](T x, T y) { return ops::mm(x, ops::transpose(y, 0, 1)); }}},
      {"linear", {in_a, in_b, [](T x, T y) { return ops::linear(x, y); }}},
      {"layer_norm", {in_a, in_w, [](T x, T y) { return ops::layer_norm(x, {3}, y); }}},
      {"mse_loss", {in_a, in_b, [](T x, T y) { return ops::mse_loss(x, y); }}},
      {"l1_loss", {in_a, in_b, [](T x, T y) { return ops::l1_loss(x, y); }}},
      {"smooth_l1_loss", {in_a, in_b, [](T x, T y) { return ops::smooth_l1_loss(x, y); }}},
      {"huber_loss", {in_a, in_b, [](T x, T y) { return ops::huber_loss(x, y); }}},
      {"binary_cross_entropy_with_logits",
       {in_a, in_p, [](T x, T y) { return ops::binary_cross_entropy_with_logits(x, y); }}},
      {"binary_cross_entropy", {in_p, in_p, [](T x, T y) { return ops::binary_cross_entropy(x, y); }}},
      {"kl_div", {in_a, in_p, [](T x, T y) { return ops::kl_div(x, y, ops::Reduction::batchmean); }}},
      {"cross_entropy_probs", {in_a, in_p, [](T x, T y) { return ops::cross_entropy(x, y); }}},
      {"cross_entropy_weight",
       {in_a, in_w, [](T x, T y) { return ops::cross_entropy(x, Tensor::from_vector<int64_t>({0, 2}, {2}), y); }}},
  };
  return c;
}

// Where genlab promotes by result_type although PyTorch 1.13 does not: the
// pointwise losses follow one rule (the element-wise ops' promotion).
const std::map<std::string, const char*> kDepartures = {
    {"huber_loss f32,f64", "PyTorch keeps the input's float32; genlab promotes as smooth_l1_loss does"},
    {"binary_cross_entropy_with_logits f64,f32", "PyTorch takes the target's float32; genlab promotes"},
    {"binary_cross_entropy f32,f64", "PyTorch raises; genlab promotes as the other pointwise losses"},
    {"binary_cross_entropy f64,f32", "PyTorch raises; genlab promotes as the other pointwise losses"},
};

struct Expected {
  std::string dtype;
  double sum;
};

std::map<std::string, Expected> fixture() {
  std::ifstream in(std::string(GENLAB_TEST_DIR) + "/parity/promotion.txt");
  EXPECT_TRUE(in) << "tests/parity/promotion.txt is missing";
  std::map<std::string, Expected> m;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string name, order, dtype, sum;
    s >> name >> order >> dtype >> sum;
    m[name + " " + order] = {dtype, std::stod(sum)};
  }
  return m;
}

}  // namespace

TEST(DTypePromotion, FixtureCoversEveryCase) {
  const auto fx = fixture();
  EXPECT_EQ(fx.size(), 2 * cases().size());
  for (const auto& [name, c] : cases()) {
    EXPECT_TRUE(fx.count(name + " f32,f64")) << name;
    EXPECT_TRUE(fx.count(name + " f64,f32")) << name;
  }
}

TEST(DTypePromotion, MixedFloatInputsAsPyTorch) {
  const auto fx = fixture();
  for (const auto& [key, want] : fx) {
    const std::string name = key.substr(0, key.find(' '));
    const bool x32 = key.ends_with("f32,f64");
    const DType tx = x32 ? DType::f32 : DType::f64, ty = x32 ? DType::f64 : DType::f32;
    ASSERT_TRUE(cases().count(name)) << "no genlab case for " << key;
    const Case& c = cases().at(name);
    const bool departs = kDepartures.count(key) > 0;
    if (want.dtype == "error" && !departs) {
      try {
        c.f(c.x(tx), c.y(ty));
        ADD_FAILURE() << key << ": PyTorch raises, genlab does not";
      } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("float32"), std::string::npos) << key << ": " << msg;
        EXPECT_NE(msg.find("float64"), std::string::npos) << key << ": " << msg;
      }
      continue;
    }
    Tensor x = c.x(tx).requires_grad_(true), y = c.y(ty).requires_grad_(true);
    Tensor r = c.f(x, y);
    const DType expected = departs ? DType::f64 : (want.dtype == "f32" ? DType::f32 : DType::f64);
    EXPECT_EQ(r.dtype(), expected) << key << (departs ? std::string(": ") + kDepartures.at(key) : "");
    const double got = ops::sum(r).to(DType::f64).item<double>();
    // one input is float32: PyTorch computes some parts (log_softmax of a float32 input, softplus) in float32
    // before promoting, genlab after, so the two agree to float32 rounding
    if (!departs) EXPECT_NEAR(got, want.sum, 1e-6 * std::max(1.0, std::abs(want.sum))) << key;
    ops::sum(r).backward();
    if (x.grad().defined()) EXPECT_EQ(x.grad().dtype(), tx) << key << ": x's gradient";
    if (y.grad().defined()) EXPECT_EQ(y.grad().dtype(), ty) << key << ": y's gradient";
  }
}
