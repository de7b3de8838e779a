// Modules (names, state_dict, save/load) and optimizers against PyTorch trajectories.
#include <gtest/gtest.h>

#include <genlab/genlab.hpp>

#include "op_table.hpp"

using namespace genlab;

TEST(Module, NamesMatchPyTorch) {
  models::MLP mlp({4, 8, 3});
  std::vector<std::string> names;
  for (auto& [n, p] : mlp.named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  EXPECT_EQ(mlp.num_parameters(), 4 * 8 + 8 + 8 * 3 + 3);
  nn::LayerNorm ln({6});
  EXPECT_EQ(ln.state_dict().size(), 2u);
}

TEST(Module, LinearInitMatchesPyTorchBounds) {
  manual_seed(3);
  nn::Linear lin(100, 50);
  const double bound = 1.0 / std::sqrt(100.0);  // kaiming_uniform(a=sqrt(5)) and the bias both give 1/sqrt(fan_in)
  for (double w : lin.weight.to_vector<double>()) ASSERT_LE(std::abs(w), bound);
  for (double b : lin.bias.to_vector<double>()) ASSERT_LE(std::abs(b), bound);
  double var = 0;
  for (double w : lin.weight.to_vector<double>()) var += w * w;
  EXPECT_NEAR(var / 5000, bound * bound / 3, 0.1 * bound * bound / 3);  // U(-b, b) has variance b^2/3
}

TEST(Module, SaveLoadAndStrictErrors) {
  manual_seed(1);
  models::MLP a({4, 8, 3}), b({4, 8, 3}), wrong({4, 9, 3});
  std::string path = ::testing::TempDir() + "/mlp.safetensors";
  a.save(path);
  b.load(path);
  Tensor x = Tensor::randn({2, 4});
  EXPECT_EQ(a(x).to_vector<float>(), b(x).to_vector<float>());
  try {
    wrong.load(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("shape [8] in the checkpoint but [9] in the model"), std::string::npos) << e.what();
  }
  std::map<std::string, Tensor> partial = a.state_dict();
  partial.erase("2.bias");
  EXPECT_THROW(b.load_state_dict(partial), Error);
  EXPECT_NO_THROW(b.load_state_dict(partial, false));
}

TEST(Module, TrainEvalReachesChildren) {
  nn::Sequential s{std::make_shared<nn::Linear>(4, 4), std::make_shared<nn::Dropout>(0.5)};
  s.eval();
  EXPECT_FALSE(s.layers[1]->is_training());
  Tensor x = Tensor::ones({2, 4});
  EXPECT_EQ(s.layers[1]->forward(x).to_vector<float>(), x.to_vector<float>());
}

class OptimParity : public ::testing::TestWithParam<std::string> {};

TEST_P(OptimParity, MatchesPyTorchTrajectory) {
  const std::string name = GetParam();
  auto f = io::SafeTensors::open(genlab::testing::parity_dir() + "/optim.safetensors");
  Tensor p = ops::clone(f.get(name + ".p0")).requires_grad_();
  std::unique_ptr<optim::Optimizer> opt;
  if (name == "sgd_momentum") opt = std::make_unique<optim::SGD>(std::vector{p}, optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01});
  if (name == "sgd_nesterov") opt = std::make_unique<optim::SGD>(std::vector{p}, optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  if (name == "adam") opt = std::make_unique<optim::Adam>(std::vector{p}, optim::AdamOptions{.lr = 0.01, .beta2 = 0.99, .weight_decay = 0.01});
  if (name == "adamw") opt = std::make_unique<optim::AdamW>(std::vector{p}, optim::AdamOptions{.lr = 0.01, .beta2 = 0.99, .weight_decay = 0.1});
  ASSERT_TRUE(opt);
  for (int step = 1; step <= 3; ++step) {
    p.set_grad(ops::clone(f.get(name + ".g" + std::to_string(step))));
    opt->step();
    auto got = p.to_vector<double>(), want = f.get(name + ".p" + std::to_string(step)).to_vector<double>();
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-12) << name << " step " << step << " element " << i;
  }
}
INSTANTIATE_TEST_SUITE_P(All, OptimParity, ::testing::Values("sgd_momentum", "sgd_nesterov", "adam", "adamw"));

TEST(Optim, StateRoundTripsThroughACheckpoint) {
  manual_seed(2);
  models::MLP m({3, 4, 2});
  optim::Adam opt(m.parameters(), {});
  for (int i = 0; i < 2; ++i) {
    opt.zero_grad();
    ops::sum(m(Tensor::randn({5, 3}))).backward();
    opt.step();
  }
  std::string path = ::testing::TempDir() + "/ckpt.safetensors";
  io::save_checkpoint(path, m, &opt, {{"note", "x"}});
  models::MLP m2({3, 4, 2});
  optim::Adam opt2(m2.parameters(), {});
  auto meta = io::load_checkpoint(path, m2, &opt2);
  EXPECT_EQ(meta["note"], "x");
  EXPECT_EQ(opt2.steps(), 2);
  EXPECT_EQ(opt2.state_dict().at("0.exp_avg").to_vector<float>(), opt.state_dict().at("0.exp_avg").to_vector<float>());
}

TEST(Optim, ClipAndSchedule) {
  Tensor p = Tensor::zeros({2}, DType::f64).requires_grad_();
  p.set_grad(Tensor::from_vector(std::vector<double>{3, 4}, {2}));
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm_({p}, 1.0), 5.0);
  EXPECT_NEAR(p.grad().to_vector<double>()[1], 0.8, 1e-6);
  EXPECT_DOUBLE_EQ(optim::warmup_cosine_lr(0, 10, 100, 1.0), 0.1);
  EXPECT_DOUBLE_EQ(optim::warmup_cosine_lr(10, 10, 100, 1.0), 1.0);
  EXPECT_NEAR(optim::warmup_cosine_lr(55, 10, 100, 1.0), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(optim::warmup_cosine_lr(100, 10, 100, 1.0, 0.1), 0.1);
}
