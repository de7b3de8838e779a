// The CNN family against the same models built from torch.nn: the PyTorch
// state_dict loads by name, and the logits and every parameter's gradient
// match (fixture: tests/parity/make_cnn_fixtures.py). Plus the layers' own
// contracts: PyTorch's parameter shapes and counts, errors naming the sizes.
#include <gtest/gtest.h>

#include <genlab/genlab.hpp>

#include "expect_error.hpp"
#include "op_table.hpp"

using namespace genlab;
using genlab::testing::expect_error;

namespace {
// Loads `name`'s PyTorch state into `model`, runs the fixture's batch in eval
// mode (or train mode: batch statistics) and compares logits and gradients
// (float32 against PyTorch's float64), and in train mode the running statistics after.
void expect_matches_pytorch(nn::Module& model, const std::string& name, bool train = false) {
  auto f = io::SafeTensors::open(genlab::testing::parity_dir() + "/cnn_models.safetensors");
  std::map<std::string, Tensor> state;
  const std::string prefix = name + ".state.";
  for (auto& [k, v] : f.all())
    if (k.rfind(prefix, 0) == 0) state[k.substr(prefix.size())] = v;
  model.load_state_dict(state);  // strict: every name both ways
  model.train(train);
  const Tensor x = ops::copy_as(f.get(name + ".x"), DType::f32, Device::cpu());
  const Tensor w = ops::copy_as(f.get(name + ".w"), DType::f32, Device::cpu());
  Tensor y = model.forward(x);
  ASSERT_EQ(y.shape(), f.get(name + ".y").shape()) << name;
  auto got = y.to_vector<float>();
  auto want = f.get(name + ".y").to_vector<double>();
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::abs(want[i]))) << name << " logit " << i;
  ops::sum(ops::mul(y, w)).backward();
  for (auto& [pname, p] : model.named_parameters()) {
    auto g = p.grad().to_vector<float>();
    auto gw = f.get(name + ".grad." + pname).to_vector<double>();
    ASSERT_EQ(g.size(), gw.size()) << name << " " << pname;
    for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], gw[i], 2e-4 * (1 + std::abs(gw[i]))) << name << " grad " << pname << "[" << i << "]";
  }
  if (!train) return;
  int64_t checked = 0;
  for (auto& [bname, b] : model.named_buffers()) {
    auto got_b = ops::copy_as(b, DType::f64, Device::cpu()).to_vector<double>();
    auto want_b = ops::copy_as(f.get(name + ".after." + bname), DType::f64, Device::cpu()).to_vector<double>();
    ASSERT_EQ(got_b.size(), want_b.size()) << bname;
    for (size_t i = 0; i < got_b.size(); ++i) ASSERT_NEAR(got_b[i], want_b[i], 1e-5 * (1 + std::abs(want_b[i]))) << name << " " << bname;
    ++checked;
  }
  EXPECT_GT(checked, 0) << name << ": no buffers compared";
}
}  // namespace

TEST(CnnModels, LeNet5MatchesPyTorch) {
  models::LeNet5 m;
  EXPECT_EQ(m.num_parameters(), 61706);  // LeNet-5 with padding 2 on 28x28, as torch counts it
  expect_matches_pytorch(m, "lenet5");
  models::LeNet5 rgb(3, 7, 16);
  expect_matches_pytorch(rgb, "lenet5_rgb16");
}

TEST(CnnModels, VGGMatchesPyTorch) {
  models::VGG m(3, 5, 16, {.channels = {8, 16}, .convs_per_stage = 2, .hidden = 32});
  expect_matches_pytorch(m, "vgg");
}

TEST(CnnModels, ResNetMatchesPyTorchInTrainingMode) {
  models::ResNet m(1, 10, {.widths = {4, 8, 16}, .blocks = {1, 2, 1}});
  expect_matches_pytorch(m, "resnet", true);
  const auto names = m.state_dict();
  for (const char* want : {"conv1.weight", "bn1.running_var", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.bias",
                           "layer2.1.bn2.num_batches_tracked", "fc.bias"})
    EXPECT_TRUE(names.count(want)) << want;
  expect_error([] { models::ResNet(1, 10, {.widths = {4, 8}, .blocks = {1}}); }, {"ResNet", "2 widths", "1 block"}, "sizes");
}

TEST(CnnModels, DropoutOnlyInTraining) {
  models::VGG m(1, 3, 8, {.channels = {4}, .convs_per_stage = 1, .hidden = 16, .dropout = 0.9});
  const Tensor x = Tensor::randn({4, 1, 8, 8});
  m.eval();
  const auto a = m.forward(x).to_vector<float>(), b = m.forward(x).to_vector<float>();
  EXPECT_EQ(a, b);
  m.train();
  EXPECT_NE(m.forward(x).to_vector<float>(), a);
}

TEST(CnnModels, LayersHavePyTorchShapesAndErrors) {
  nn::Conv2d c(4, 8, {3, 5}, 1, "same", 1, 2, true);
  EXPECT_EQ(c.weight.shape(), (Shape{8, 2, 3, 5}));
  EXPECT_EQ(c.bias.shape(), (Shape{8}));
  EXPECT_EQ(c.forward(Tensor::randn({2, 4, 7, 9})).shape(), (Shape{2, 8, 7, 9}));
  nn::Conv1d c1(3, 6, 4, 2);
  EXPECT_EQ(c1.forward(Tensor::randn({2, 3, 10})).shape(), (Shape{2, 6, 4}));
  EXPECT_EQ(nn::Flatten().forward(Tensor::randn({2, 3, 4, 5})).shape(), (Shape{2, 60}));
  EXPECT_EQ(nn::AdaptiveAvgPool2d(1).forward(Tensor::randn({2, 3, 4, 5})).shape(), (Shape{2, 3, 1, 1}));
  EXPECT_EQ(nn::AvgPool2d(2).forward(Tensor::randn({1, 3, 4, 6})).shape(), (Shape{1, 3, 2, 3}));
  expect_error([] { nn::Conv2d(3, 8, 3, 1, 0, 1, 2); }, {"Conv2d", "in_channels 3", "groups 2"}, "channels not divisible");
  expect_error([&] { c.forward(Tensor::randn({2, 3, 7, 9})); }, {"conv2d", "[2, 3, 7, 9]"}, "wrong channel count");
  expect_error([] { models::LeNet5(1, 10, 8); }, {"LeNet5", "8x8"}, "image too small");
  expect_error([] { models::VGG(1, 10, 8, {.channels = {4, 8, 16, 32}}); }, {"VGG", "8x8", "16x16"}, "too many stages");
}
