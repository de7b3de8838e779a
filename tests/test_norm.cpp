// batch_norm, instance_norm, group_norm and their layers beyond the op table
// (whose rows check values and gradients against PyTorch on the CPU and the
// emulated device, and the edge cases): the running statistics after training
// steps, train vs eval, state_dict names and loading, all against PyTorch
// (tests/parity/make_norm_fixtures.py -> norm.safetensors); errors that name
// the shapes; the one-pass statistics where the mean lies far from the first
// value; thread-count independence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <sstream>
#include <string>

#include "emulated_device.hpp"
#include "expect_error.hpp"
#include "op_table.hpp"

using namespace genlab;
using genlab::testing::expect_error;
using genlab::testing::on_emulated_device;

namespace {

const io::SafeTensors& fixture() {
  static io::SafeTensors f = io::SafeTensors::open(genlab::testing::parity_dir() + "/norm.safetensors");
  return f;
}
Tensor fx(const std::string& name, Device d = Device::cpu(), DType t = DType::f64) {
  return fixture().get(name).to(t).to(d);
}
void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(shape_str(got.shape()), shape_str(want.shape())) << what;
  auto g = got.to(Device::cpu()).to(DType::f64).to_vector<double>(), w = want.to_vector<double>();
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(g[i], w[i], tol * (1 + std::abs(w[i]))) << what << " element " << i;
}

// F.batch_norm / F.instance_norm moving the running stats in place, 3 calls.
void check_functional(const std::string& name, Device d, DType t, double tol) {
  Tensor rm = fx(name + ".rm0", d, t), rv = fx(name + ".rv0", d, t);
  for (int k = 1; k <= 3; ++k) {
    const Tensor x = fx(name + ".x" + std::to_string(k), d, t);
    if (name == "fbn") ops::batch_norm(x, rm, rv, {}, {}, true, 0.3);
    else ops::instance_norm(x, rm, rv, {}, {}, true, 0.2);
    expect_close(rm, fixture().get(name + ".rm" + std::to_string(k)), tol, name + " running_mean, call " + std::to_string(k));
    expect_close(rv, fixture().get(name + ".rv" + std::to_string(k)), tol, name + " running_var, call " + std::to_string(k));
  }
}

TEST(Norm, RunningStatsFollowPyTorch) {
  check_functional("fbn", Device::cpu(), DType::f64, 1e-12);
  check_functional("fin", Device::cpu(), DType::f64, 1e-12);
  check_functional("fbn", Device::cpu(), DType::f32, 1e-5);
  on_emulated_device([] {
    check_functional("fbn", Device::cuda(), DType::f32, 1e-5);
    check_functional("fin", Device::cuda(), DType::f32, 1e-5);
  });
}

// The layers of make_norm_fixtures.py's LAYERS, built with the same options in float64.
std::shared_ptr<nn::Module> make_layer(const std::string& name) {
  const DType f64 = DType::f64;
  if (name == "bn2d") return std::make_shared<nn::BatchNorm2d>(3, 1e-5, 0.1, true, true, f64);
  if (name == "bn2d_cma") return std::make_shared<nn::BatchNorm2d>(3, 1e-5, std::nullopt, true, true, f64);
  if (name == "bn2d_untracked") return std::make_shared<nn::BatchNorm2d>(3, 1e-5, 0.1, true, false, f64);
  if (name == "bn1d") return std::make_shared<nn::BatchNorm1d>(5, 1e-3, 0.2, true, true, f64);
  if (name == "bn1d_3d") return std::make_shared<nn::BatchNorm1d>(4, 1e-5, 0.1, false, true, f64);
  if (name == "in2d") return std::make_shared<nn::InstanceNorm2d>(3, 1e-5, 0.1, false, false, f64);
  if (name == "in2d_tracked") return std::make_shared<nn::InstanceNorm2d>(3, 1e-5, 0.1, true, true, f64);
  if (name == "in2d_unbatched") return std::make_shared<nn::InstanceNorm2d>(3, 1e-5, 0.1, true, false, f64);
  if (name == "gn") return std::make_shared<nn::GroupNorm>(2, 4, 1e-5, true, f64);
  ADD_FAILURE() << "no layer " << name;
  return nullptr;
}

// The starting state by name (load_state_dict: every name must match), 3 training steps
// (outputs and buffers), then eval; on `device` (float32 there: tolerance `tol`).
void check_layer(const std::string& name, Device device, double tol) {
  SCOPED_TRACE(name + " on " + device.str());
  auto layer = make_layer(name);
  const DType t = device.is_cuda() ? DType::f32 : DType::f64;
  std::map<std::string, Tensor> init;
  const std::string prefix = name + ".init.";
  for (const auto& [k, v] : fixture().all())
    if (k.rfind(prefix, 0) == 0) init[k.substr(prefix.size())] = v;
  layer->load_state_dict(init);  // strict
  if (device.is_cuda()) {
    for (auto& [k, p] : layer->named_parameters()) p.set_data(p.detach().to(t));
    for (auto& [k, b] : layer->named_buffers())
      if (is_floating(b.dtype())) b.set_data(b.detach().to(t));
    layer->to(device);
  }
  layer->train();
  for (int k = 1; k <= 3; ++k) {
    const std::string step = std::to_string(k);
    expect_close(layer->forward(fx(name + ".x" + step, device, t)), fixture().get(name + ".y" + step), tol,
                 "output of step " + step);
    for (const auto& [b, v] : layer->named_buffers())
      expect_close(v, fixture().get(name + "." + b + step), tol, b + " after step " + step);
  }
  layer->eval();
  expect_close(layer->forward(fx(name + ".x_eval", device, t)), fixture().get(name + ".y_eval"), tol, "eval output");
}

const char* kLayers[] = {"bn2d", "bn2d_cma", "bn2d_untracked", "bn1d", "bn1d_3d",
                         "in2d", "in2d_tracked", "in2d_unbatched", "gn"};

TEST(NormLayers, TrainingStepsAndEvalFollowPyTorch) {
  for (const char* name : kLayers) check_layer(name, Device::cpu(), 1e-10);
}

TEST(NormLayers, OnTheEmulatedDevice) {
  on_emulated_device([] {
    for (const char* name : kLayers) check_layer(name, Device::cuda(), 2e-5);
  });
}

TEST(NormLayers, StateDictNamesArePyTorchs) {
  for (const char* name : kLayers) {
    auto want = fixture().get(std::string(name) + ".names").to_vector<uint8_t>();
    std::vector<std::string> torch_names;
    std::stringstream ss(std::string(want.begin(), want.end()));
    for (std::string item; std::getline(ss, item, ',');) torch_names.push_back(item);
    std::sort(torch_names.begin(), torch_names.end());
    std::vector<std::string> ours;
    for (const auto& [k, v] : make_layer(name)->state_dict()) ours.push_back(k);  // a sorted map
    EXPECT_EQ(ours, torch_names) << name;
  }
  nn::BatchNorm2d bn(4);
  EXPECT_EQ(bn.state_dict().at("num_batches_tracked").dtype(), DType::i64);
  EXPECT_EQ(bn.state_dict().at("num_batches_tracked").dim(), 0);
  EXPECT_EQ(bn.parameters().size(), 2u);  // the running stats are buffers, not parameters
}

TEST(NormLayers, TrainAndEvalSwitchBehaviour) {
  nn::Sequential net{std::make_shared<nn::BatchNorm2d>(2)};
  auto& bn = static_cast<nn::BatchNorm2d&>(*net.layers[0]);
  const Tensor x = Tensor::randn({3, 2, 4, 4}) * 3.0 + 2.0;
  net.eval();  // through the parent: running stats 0 and 1, nothing moves
  expect_close(net(x), (x / std::sqrt(1 + 1e-5)).to(DType::f64), 1e-6, "eval with fresh stats");
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 0);
  net.train();
  const Tensor y = net(x);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
  expect_close(ops::mean(y, {0, 2, 3}), Tensor::zeros({2}, DType::f64), 1e-5, "batch mean of the output");
  expect_close(bn.running_mean, ops::mul(ops::mean(x, {0, 2, 3}), 0.1).to(DType::f64), 1e-5, "running_mean");
}

TEST(Norm, GradientsReachWeightAndBiasInEval) {
  const Tensor x = Tensor::randn({4, 3, 5}, DType::f64).requires_grad_(true);
  const Tensor w = Tensor::randn({3}, DType::f64).requires_grad_(true), b = Tensor::randn({3}, DType::f64).requires_grad_(true);
  const Tensor rm = Tensor::randn({3}, DType::f64), rv = Tensor::rand({3}, DType::f64) + 0.5;
  const Tensor rm0 = rm.clone(), rv0 = rv.clone();
  ops::sum(ops::batch_norm(x, rm, rv, w, b, false)).backward();
  // d/db sum(y) = N * L per channel; eval leaves the running stats alone
  expect_close(b.grad(), Tensor::full({3}, 20.0, DType::f64), 1e-12, "bias gradient");
  expect_close(rm, rm0, 0, "running_mean");
  expect_close(rv, rv0, 0, "running_var");
  EXPECT_TRUE(w.grad().defined() && x.grad().defined());
}

TEST(Norm, StatisticsStayAccurateWhenTheMeanIsFarFromTheFirstValue) {
  // channel 0 starts with an outlier, 1000, among 0s and 1e-3s (the one-pass shift is far from the
  // mean: every float 1e-3 - 1000 rounds alike, 2e-5 off, which shifts the variance by 5e-3 of itself;
  // a second pass around the mean); channel 1 sits at 1e4 with spread 1 (one pass, no cancellation)
  const int64_t n = 64, s = 1600;
  std::vector<double> v(size_t(n * 2 * s));
  for (int64_t k = 0; k < n; ++k)
    for (int64_t j = 0; j < s; ++j) {
      const double u = double((k * s + j) * 7919 % 10007) / 10007.0 - 0.5;
      v[size_t((k * 2 + 0) * s + j)] = k == 0 && j == 0 ? 1000.0 : 1e-3 * double(j % 2);
      v[size_t((k * 2 + 1) * s + j)] = 1e4 + u;
    }
  const Tensor x = Tensor::from_vector(v, {n, 2, s}).to(DType::f32);
  const auto xf = x.to(DType::f64).to_vector<double>();
  Tensor rm = Tensor::zeros({2}), rv = Tensor::zeros({2});
  ops::batch_norm(x, rm, rv, {}, {}, true, 1.0);  // momentum 1: the running stats are the batch's
  for (int64_t ch = 0; ch < 2; ++ch) {  // the float inputs' statistics, two passes in double
    double m = 0, q = 0;
    for (int64_t k = 0; k < n; ++k)
      for (int64_t j = 0; j < s; ++j) m += xf[size_t((k * 2 + ch) * s + j)];
    m /= double(n * s);
    for (int64_t k = 0; k < n; ++k)
      for (int64_t j = 0; j < s; ++j) q += std::pow(xf[size_t((k * 2 + ch) * s + j)] - m, 2);
    EXPECT_NEAR(rm.to_vector<float>()[size_t(ch)], m, 1e-6 * std::abs(m) + 1e-6) << "channel " << ch;
    EXPECT_NEAR(rv.to_vector<float>()[size_t(ch)], q / double(n * s - 1), 1e-5 * q / double(n * s)) << "channel " << ch;
  }
}

TEST(Norm, ResultsDoNotDependOnTheThreadCount) {
  for (const Shape& shape : {Shape{32, 8, 100}, Shape{4096, 16}}) {  // runs, and columns (s = 1): 2 threads each
    Tensor x = Tensor::randn(shape).requires_grad_(true), w = Tensor::randn({shape[1]}).requires_grad_(true);
    auto run = [&](int threads) {
      set_num_threads(threads);
      x.set_grad(Tensor()), w.set_grad(Tensor());
      Tensor y = ops::batch_norm(x, {}, {}, w, {}, true);
      ops::sum(ops::mul(y, y)).backward();
      return std::vector{y.to_vector<float>(), x.grad().to_vector<float>(), w.grad().to_vector<float>()};
    };
    const int before = num_threads();
    const auto one = run(1), two = run(2);
    set_num_threads(before);
    EXPECT_EQ(one, two) << shape_str(shape);
  }
}

TEST(Norm, ErrorsNameTheShapes) {
  const Tensor x = Tensor::randn({2, 3, 4});
  expect_error([&] { ops::batch_norm(x, Tensor::zeros({4}), Tensor::ones({4}), {}, {}, true); },
               {"batch_norm", "running_mean", "should contain 3 elements", "[2, 3, 4]", "[4]"}, "running_mean size");
  expect_error([&] { ops::batch_norm(x, {}, {}, Tensor::ones({2}), {}, true); }, {"weight", "3 elements", "[2]"},
               "weight size");
  expect_error([&] { ops::batch_norm(x, {}, {}, {}, Tensor::ones({5}), true); }, {"bias", "3 elements", "[5]"},
               "bias size");
  expect_error([&] { ops::batch_norm(Tensor::randn({1, 3}), {}, {}, {}, {}, true); },
               {"Expected more than 1 value per channel when training", "[1, 3]"}, "one value per channel");
  expect_error([&] { ops::batch_norm(Tensor::randn({1, 3, 1}), {}, {}, {}, {}, true); },
               {"more than 1 value per channel", "[1, 3, 1]"}, "one value per channel, 3-d");
  expect_error([&] { ops::batch_norm(x, {}, {}); }, {"running_mean and running_var must be defined", "evaluation"},
               "eval without running stats");
  expect_error([&] { ops::batch_norm(Tensor::randn({3}), {}, {}, {}, {}, true); }, {"2 or more dims", "[3]"}, "1-d");
  expect_error([&] { ops::batch_norm(x, {}, {}, Tensor::ones({3}, DType::f64), {}, true); }, {"dtype"}, "dtypes");
  expect_error([&] { ops::group_norm(Tensor::randn({2, 6, 4}), 4); },
               {"divisible by num_groups", "[2, 6, 4]", "num_groups=4"}, "groups");
  expect_error([&] { ops::group_norm(Tensor::randn({2, 6, 4}), 0); }, {"num_groups=0"}, "zero groups");
  expect_error([&] { ops::group_norm(Tensor::randn({2, 6, 4}), 3, Tensor::ones({4})); },
               {"weight", "[4]", "[2, 6, 4]"}, "group_norm weight");
  expect_error([&] { ops::instance_norm(Tensor::randn({2, 3, 1})); },
               {"Expected more than 1 spatial element when training", "[2, 3, 1]"}, "one spatial element");
  expect_error([&] { ops::instance_norm(x, Tensor::zeros({4}), Tensor::ones({4})); },
               {"instance_norm", "running_mean", "3 elements", "[4]"}, "instance_norm running stats");
  expect_error([&] { ops::instance_norm(x, {}, {}, {}, {}, false); }, {"use_input_stats"}, "no stats to use");
  // as PyTorch 1.13 (its kernel indexes the first channel's weight): an empty batch is fine, its weight is not
  EXPECT_EQ(ops::instance_norm(Tensor::randn({0, 3, 4})).shape(), (Shape{0, 3, 4}));
  expect_error([&] { ops::instance_norm(Tensor::randn({0, 3, 4}), {}, {}, Tensor::ones({3})); },
               {"no instances", "[0, 3, 4]"}, "empty batch with a weight");
  expect_error([&] { ops::batch_norm(Tensor::randn({2, 0, 4}), {}, {}, {}, Tensor::ones({0}), true); },
               {"no channels", "[2, 0, 4]"}, "no channels with a bias");
  expect_error([&] { nn::BatchNorm2d(3).forward(x); }, {"BatchNorm2d", "4D", "3D", "[2, 3, 4]"}, "BatchNorm2d rank");
  expect_error([&] { nn::BatchNorm1d(3).forward(Tensor::randn({2, 3, 4, 5})); }, {"BatchNorm1d", "2D or 3D", "4D"},
               "BatchNorm1d rank");
  expect_error([&] { nn::BatchNorm2d(4).forward(Tensor::randn({2, 3, 4, 4})); }, {"should contain 3 elements", "[4]"},
               "BatchNorm2d channels");
  expect_error([&] { nn::InstanceNorm2d(4, 1e-5, 0.1, true).forward(Tensor::randn({2, 3, 4, 4})); },
               {"num_features (4)", "got 3"}, "InstanceNorm2d channels");
  expect_error([&] { nn::GroupNorm(4, 6); }, {"num_channels (6)", "num_groups (4)"}, "GroupNorm groups");
  on_emulated_device([] {
    const Tensor xc = Tensor::randn({2, 3, 4}, DType::f64).to(Device::cuda());
    expect_error([&] { ops::batch_norm(xc, {}, {}, {}, {}, true); }, {"batch_norm", "float32"}, "f64 on CUDA");
  });
}

}  // namespace
