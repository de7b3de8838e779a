// The model families' rows of genlab_bench (issue 11), against PyTorch in the
// same run (benchmarks/peers/torch_peer.py, same names; group torch_ratio):
//   conv_part: conv2d on 3x3 ResNet shapes, conv_transpose2d and bilinear
//              upsampling of a DCGAN step, batch_norm in training
//   rnn_part:  LSTM and GRU (seq 64, batch 32, 128 -> 256)
//   train_part: one training step (forward, backward, Adam) of the tutorials'
//              models: ResNet and LeNet-5 on Fashion-MNIST batches, the row-by-row
//              LSTM classifier and the char-LSTM of tutorial 03 (images/s, sequences/s)
// Each forward alone and forward+backward, medians.
#include <functional>
#include <string>
#include <vector>

#include "common.hpp"
#include "families.hpp"

namespace genlab::bench {

void conv_part(nlohmann::json& out, bool quick, int reps) {
  // issue 11: conv2d forward and forward+backward on 3x3 ResNet shapes (batch 32, padding 1) against
  // PyTorch (group torch_ratio; the bar for forward+backward is 1.0 on 2 threads)
  // The machine's own GEMM peak at this thread count (a 1024^3 sgemm), to say what fraction of it conv2d reaches
  const Tensor ga = Tensor::randn({1024, 1024}), gb = Tensor::randn({1024, 1024});
  const double peak = 2.0 * 1024 * 1024 * 1024 / median_seconds([&] { ops::matmul(ga, gb); }, quick ? 3 : 7);
  std::printf("%-42s          %6.1f GFLOP/s\n", "GEMM peak (1024^3 sgemm)", peak * 1e-9);
  const int64_t shapes[][2] = {{32, 28}, {64, 14}, {128, 14}};
  for (const auto& shape : shapes) {
    const int64_t c = shape[0], hw = shape[1];
    Tensor x = Tensor::randn({32, c, hw, hw}).requires_grad_(true), w = Tensor::randn({c, c, 3, 3}).requires_grad_(true);
    Tensor b = Tensor::randn({c}).requires_grad_(true);
    const std::string tag = std::to_string(c) + "->" + std::to_string(c) + " " + std::to_string(hw) + "x" +
                            std::to_string(hw);
    const double tf = median_seconds([&] {
      autograd::NoGradGuard ng;
      ops::conv2d(x, w, b, 1, 1);
    }, quick ? 3 : 7);
    const double tb = median_seconds([&] {
      x.set_grad(Tensor()), w.set_grad(Tensor()), b.set_grad(Tensor());
      ops::sum(ops::conv2d(x, w, b, 1, 1)).backward();
    }, quick ? 3 : 7);
    const double flop = 2.0 * 32 * double(c * c * 9 * hw * hw);
    for (const auto& [name, t, f] : {std::tuple{"conv2d 3x3 p1 b32 " + tag, tf, flop},
                                     std::tuple{"conv2d fwd+bwd 3x3 p1 b32 " + tag, tb, 3 * flop}}) {
      std::printf("%-42s genlab %8.2f ms  %6.1f GFLOP/s (%.0f %% of the GEMM peak)\n", name.c_str(), t * 1e3, f / t * 1e-9,
                  100 * f / t / peak);
      out.push_back({{"name", name}, {"group", "torch_ratio"}, {"genlab_s", t}, {"gemm_peak_fraction", f / t / peak}});
    }
  }
  // A DCGAN generator's upsampling step, batch 32: conv_transpose2d 128->64, 7x7->14x14 (k4 s2 p1),
  // and bilinear x2 upsampling of (32, 64, 14, 14), forward and forward+backward
  Tensor ux = Tensor::randn({32, 128, 7, 7}).requires_grad_(true), uw = Tensor::randn({128, 64, 4, 4}).requires_grad_(true);
  Tensor ub = Tensor::randn({64}).requires_grad_(true), up = Tensor::randn({32, 64, 14, 14}).requires_grad_(true);
  Tensor mp = Tensor::randn({32, 64, 28, 28}).requires_grad_(true);  // max_pool2d 2x2: ResNet/VGG-style downsampling
  const ops::InterpolateOptions x2{.scale_factor = {2}, .mode = "bilinear"};
  struct UpOp {
    std::string name, bwd_name;
    std::function<Tensor()> fn;
  };
  const std::vector<UpOp> up_ops = {
      {"conv_transpose2d k4 s2 p1 b32 128->64 7x7", "conv_transpose2d fwd+bwd k4 s2 p1 b32 128->64 7x7",
       [&] { return ops::conv_transpose2d(ux, uw, ub, 2, 1); }},
      {"upsample bilinear x2 (32, 64, 14, 14)", "upsample fwd+bwd bilinear x2 (32, 64, 14, 14)",
       [&] { return ops::interpolate(up, x2); }},
      {"max_pool2d 2x2 (32, 64, 28, 28)", "max_pool2d fwd+bwd 2x2 (32, 64, 28, 28)", [&] { return ops::max_pool2d(mp, 2); }}};
  for (const UpOp& op : up_ops) {
    const double tf = median_seconds([&] {
      autograd::NoGradGuard ng;
      op.fn();
    }, quick ? 3 : 7);
    const double tb = median_seconds([&] {
      for (Tensor* t : {&ux, &uw, &ub, &up, &mp}) t->set_grad(Tensor());
      ops::sum(op.fn()).backward();
    }, quick ? 3 : 7);
    for (const auto& [name, t] : {std::pair{op.name, tf}, std::pair{op.bwd_name, tb}}) {
      std::printf("%-48s genlab %8.3f ms\n", name.c_str(), t * 1e3);
      out.push_back({{"name", name}, {"group", "torch_ratio"}, {"genlab_s", t}});
    }
  }
  // issue 11: batch_norm in training (batch statistics, running stats updated) forward and
  // forward+backward on ResNet shapes against PyTorch (group torch_ratio)
  for (const Shape& shape : {Shape{32, 64, 28, 28}, Shape{32, 128, 14, 14}}) {
    const int64_t c = shape[1];
    Tensor x = Tensor::randn(shape).requires_grad_(true), w = Tensor::randn({c}).requires_grad_(true);
    Tensor b = Tensor::randn({c}).requires_grad_(true), rm = Tensor::zeros({c}), rv = Tensor::ones({c});
    const double tf = median_seconds([&] {
      autograd::NoGradGuard ng;
      ops::batch_norm(x, rm, rv, w, b, true);
    }, reps);
    const double tb = median_seconds([&] {
      x.set_grad(Tensor()), w.set_grad(Tensor()), b.set_grad(Tensor());
      ops::sum(ops::batch_norm(x, rm, rv, w, b, true)).backward();
    }, reps);
    for (const auto& [name, t] : {std::pair{"batch_norm train " + shape_str(shape), tf},
                                  std::pair{"batch_norm fwd+bwd train " + shape_str(shape), tb}}) {
      std::printf("%-42s genlab %8.3f ms\n", name.c_str(), t * 1e3);
      out.push_back({{"name", name}, {"group", "torch_ratio"}, {"genlab_s", t}});
    }
  }
}

void rnn_part(nlohmann::json& out, bool quick) {
  // issue 11: LSTM and GRU forward+backward (seq 64, batch 32, input 128, hidden 256) against
  // PyTorch (group torch_ratio; the bar is 1.2 on 2 threads), and the forward alone
  for (const char* kind : {"LSTM", "GRU"}) {
    nn::RNNOptions o{.input_size = 128, .hidden_size = 256};
    std::shared_ptr<nn::RNNBase> m;
    if (kind == std::string("LSTM")) m = std::make_shared<nn::LSTM>(o); else m = std::make_shared<nn::GRU>(o);
    auto run = [&](const Tensor& x) {
      if (auto* l = dynamic_cast<nn::LSTM*>(m.get())) return l->forward(x).first;
      return static_cast<nn::GRU*>(m.get())->forward(x).first;
    };
    Tensor x = Tensor::randn({64, 32, 128}).requires_grad_(true);
    const double tf = median_seconds([&] {
      autograd::NoGradGuard ng;
      run(x);
    }, quick ? 3 : 7);
    const double tb = median_seconds([&] {
      x.set_grad(Tensor()), m->zero_grad();
      ops::sum(run(x)).backward();
    }, quick ? 3 : 7);
    const std::string tag = std::string(kind) + " seq64 b32 128->256";
    for (const auto& [name, t] : {std::pair{tag, tf}, std::pair{std::string(kind) + " fwd+bwd seq64 b32 128->256", tb}}) {
      std::printf("%-42s genlab %8.2f ms\n", name.c_str(), t * 1e3);
      out.push_back({{"name", name}, {"group", "torch_ratio"}, {"genlab_s", t}});
    }
  }
}

void train_part(nlohmann::json& out, bool quick) {
  // issue 11: a training step of each tutorial model (cross-entropy, backward, Adam 1e-3) against the
  // same model in PyTorch (group torch_ratio; the bar for the ResNet is 1.0 on 2 threads). Items/s = batch / time.
  struct Model {
    std::string name;
    std::shared_ptr<nn::Module> net;
    Tensor x, y;
  };
  manual_seed(0);
  auto images = [](int64_t n) { return Tensor::rand({n, 1, 28, 28}); };
  auto labels = [](int64_t n, int64_t classes, Shape s) {
    return ops::to(ops::mul(Tensor::rand(std::move(s)), double(classes)), DType::i64);  // uniform in [0, classes)
  };
  const std::vector<Model> models = {
      {"ResNet train step b128 1x28x28", std::make_shared<models::ResNet>(1, 10), images(128), labels(128, 10, {128})},
      {"LeNet-5 train step b128 1x28x28", std::make_shared<models::LeNet5>(), images(128), labels(128, 10, {128})},
      {"LSTM classifier train step b128 28x28 h128",
       std::make_shared<models::SequenceClassifier>(models::RecurrenceOptions{.cell = "lstm", .input_size = 28, .hidden_size = 128}, 10),
       Tensor::rand({128, 28, 28}), labels(128, 10, {128})},
      {"char-LSTM train step b64 seq64 h256", std::make_shared<models::CharLM>(models::CharLMOptions{.hidden_size = 256}),
       labels(64, 256, {64, 64}), labels(64, 256, {64, 64})}};
  for (const Model& m : models) {
    optim::Adam opt(m.net->parameters(), {.lr = 1e-3});
    const double t = median_seconds([&] {
      Tensor logits = m.net->forward(m.x);
      Tensor loss = ops::cross_entropy(ops::reshape(logits, {-1, logits.shape().back()}), ops::reshape(m.y, {-1}));
      opt.zero_grad();
      loss.backward();
      opt.step();
    }, quick ? 3 : 7);
    const double items = double(m.x.shape()[0]);
    std::printf("%-46s genlab %8.2f ms  %8.0f items/s\n", m.name.c_str(), t * 1e3, items / t);
    out.push_back({{"name", m.name}, {"group", "torch_ratio"}, {"genlab_s", t}});
  }
}

}  // namespace genlab::bench
