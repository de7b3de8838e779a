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

namespace {
// A module that holds `w` under "weight" (the tied-embedding pattern: one tensor, two owners).
struct Holder : nn::Module {
  explicit Holder(Tensor t) { register_parameter("weight", t); }
};
struct TiedPair : nn::Module {
  TiedPair() {
    Tensor w = Tensor::ones({2}, DType::f64);
    register_module("emb", std::make_shared<Holder>(w));
    register_module("head", std::make_shared<Holder>(w));
  }
};
}  // namespace

// Expected values by exact math: w = 1, grad 3, lr 0.1 -> 0.7; norm of one [3, 3] grad = sqrt(18).
TEST(Module, TiedParametersCountOnce) {
  TiedPair m;
  ASSERT_EQ(m.parameters().size(), 1u);
  EXPECT_EQ(m.named_parameters().front().first, "emb.weight");  // the first name, as torch
  EXPECT_EQ(m.num_parameters(), 2);
  auto sd = m.state_dict();  // torch's state_dict names a tied tensor under each name
  EXPECT_EQ(sd.size(), 2u);
  EXPECT_TRUE(sd.count("emb.weight") && sd.count("head.weight"));
  Tensor w = m.parameters().front();
  w.set_grad(Tensor::full({2}, 3.0, DType::f64));
  EXPECT_NEAR(optim::clip_grad_norm_(m.parameters(), 100.0), std::sqrt(18.0), 1e-12);
  optim::SGD opt(m.parameters(), {.lr = 0.1});
  opt.step();
  for (double v : w.to_vector<double>()) EXPECT_NEAR(v, 0.7, 1e-12);
  std::string path = ::testing::TempDir() + "/tied.safetensors";
  m.save(path);
  TiedPair m2;
  m2.load(path);
  EXPECT_EQ(m2.parameters().front().to_vector<double>(), w.to_vector<double>());
}

// PyTorch keeps state['step'] per parameter: `b` first gets a gradient at step 2 and
// is bias-corrected as at its own step 1 (fixture: tests/parity/make_optim_fixtures.py).
TEST(Optim, AdamStepCountIsPerParameter) {
  auto f = io::SafeTensors::open(genlab::testing::parity_dir() + "/optim_late_start.safetensors");
  for (std::string name : {"adam", "adamw"}) {
    auto make = [&](std::vector<Tensor> ps) -> std::unique_ptr<optim::Optimizer> {
      if (name == "adam") return std::make_unique<optim::Adam>(ps, optim::AdamOptions{.lr = 0.1, .beta2 = 0.99, .weight_decay = 0.01});
      return std::make_unique<optim::AdamW>(ps, optim::AdamOptions{.lr = 0.1, .beta2 = 0.99, .weight_decay = 0.1});
    };
    Tensor a = ops::clone(f.get(name + ".a0")).requires_grad_(), b = ops::clone(f.get(name + ".b0")).requires_grad_();
    auto opt = make({a, b});
    auto step = [&](optim::Optimizer& o, int k) {
      a.set_grad(ops::clone(f.get(name + ".ga" + std::to_string(k))));
      if (k >= 2) b.set_grad(ops::clone(f.get(name + ".gb" + std::to_string(k))));
      o.step();
      for (auto [t, s] : {std::pair{a, "a"}, std::pair{b, "b"}}) {
        auto got = t.to_vector<double>(), want = f.get(name + "." + s + std::to_string(k)).to_vector<double>();
        for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-12) << name << " " << s << " step " << k;
      }
    };
    step(*opt, 1);
    step(*opt, 2);
    EXPECT_EQ(opt->param_steps(0), 2);
    EXPECT_EQ(opt->param_steps(1), 1);
    // The per-parameter steps survive a save/load into a fresh optimizer, which then takes step 3.
    std::string path = ::testing::TempDir() + "/late_" + name + ".safetensors";
    io::save_safetensors(path, opt->state_dict());
    auto saved = io::SafeTensors::open(path).all();
    auto opt2 = make({a, b});
    opt2->load_state_dict(saved);
    EXPECT_EQ(opt2->param_steps(1), 1);
    step(*opt2, 3);
    // A file from before per-parameter steps: parameters with moments take the global step.
    saved.erase("0.step");
    saved.erase("1.step");
    auto old = make({a, b});
    old->load_state_dict(saved);
    EXPECT_EQ(old->param_steps(0), 2);
    EXPECT_EQ(old->param_steps(1), 2);
  }
}

TEST(Optim, MalformedStateKeysNameTheKey) {
  Tensor p = Tensor::zeros({2}).requires_grad_();
  optim::Adam opt({p}, {});
  for (std::string key : {"x.exp_avg", "1x.exp_avg", ".exp_avg", "0.", "-1.exp_avg", "99999999999999999999999.m"}) {
    try {
      opt.load_state_dict({{key, Tensor::zeros({2})}});
      ADD_FAILURE() << key << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'" + key + "'"), std::string::npos) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << key << " threw a non-genlab error: " << e.what();
    }
  }
  EXPECT_THROW(opt.load_state_dict({{"0.step", Tensor::zeros({2})}}), Error);  // a step is one integer
}

TEST(Optim, RejectsNonLeafAndRepeatedParameters) {
  Tensor p = Tensor::zeros({4}).requires_grad_();
  try {
    optim::SGD opt({ops::slice(p, 0, 0, 2)}, {});
    FAIL() << "a view of a parameter was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("non-leaf"), std::string::npos) << e.what();
  }
  EXPECT_THROW(optim::Adam({p, p}, {}), Error);
}

// PyTorch: backward through a retained graph whose saved weight an optimizer step
// changed raises "modified by an inplace operation"; it silently used the new weight.
TEST(Optim, StepInvalidatesARetainedGraph) {
  for (bool adam : {false, true}) {
    Tensor w = Tensor::full({2}, 2.0, DType::f64).requires_grad_();
    Tensor y = ops::sum(ops::mul(w, w));  // saves w
    y.backward(Tensor(), true);
    std::unique_ptr<optim::Optimizer> opt;
    if (adam) opt = std::make_unique<optim::Adam>(std::vector{w}, optim::AdamOptions{});
    else opt = std::make_unique<optim::SGD>(std::vector{w}, optim::SGDOptions{.lr = 0.1});
    const uint64_t before = w.version();
    opt->step();
    EXPECT_GT(w.version(), before);
    EXPECT_THROW(y.backward(), Error) << (adam ? "Adam" : "SGD");
  }
}

// With no weight decay an inf parameter stays inf (PyTorch 1.13: SGD with momentum,
// Adam and AdamW(weight_decay=0) all give [inf, 0.9]); 0 * inf made it NaN.
TEST(Optim, NoDecayTermWithoutWeightDecay) {
  const bool was = cuda::emulated();
  cuda::set_emulated(true);
  for (Device dev : {Device::cpu(), Device::cuda()}) {
    for (int kind = 0; kind < 3; ++kind) {
      Tensor p = Tensor::from_vector(std::vector<float>{INFINITY, 1.f}, {2}).to(dev).requires_grad_(true);
      p.set_grad(Tensor::ones({2}).to(dev));
      std::unique_ptr<optim::Optimizer> opt;
      if (kind == 0) opt = std::make_unique<optim::SGD>(std::vector<Tensor>{p}, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
      else if (kind == 1) opt = std::make_unique<optim::Adam>(std::vector<Tensor>{p}, optim::AdamOptions{.lr = 0.1});
      else opt = std::make_unique<optim::AdamW>(std::vector<Tensor>{p}, optim::AdamOptions{.lr = 0.1, .weight_decay = 0});
      opt->step();
      auto v = p.to(Device::cpu()).to_vector<float>();
      EXPECT_EQ(v[0], INFINITY) << "optimizer " << kind << " on " << dev.str();
      EXPECT_NEAR(v[1], 0.9f, 1e-6) << "optimizer " << kind << " on " << dev.str();
    }
  }
  cuda::set_emulated(was);
}
