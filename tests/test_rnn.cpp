// RNN, LSTM, GRU and their cells against torch.nn (tests/parity/rnn.safetensors, made by
// make_rnn_fixtures.py): each PyTorch state_dict is loaded by name (strict), then outputs, final
// states and the gradients of input, initial state and every parameter are compared, for 2
// layers, bidirectional, batch_first, initial states, variable lengths, unbatched input and no
// bias; in float64 on the CPU and float32 on the CPU and the emulated CUDA device. Then the
// errors, which name the shapes. The ops' own rows are in op_table.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "emulated_device.hpp"
#include "expect_error.hpp"
#include "genlab/genlab.hpp"

using namespace genlab;
using genlab::testing::expect_error;
using genlab::testing::on_emulated_device;

namespace {

struct Result {
  Tensor out, h_n, c_n;
};
using Forward = std::function<Result(const Tensor& x, const Tensor& h0, const Tensor& c0, const std::vector<int64_t>&)>;
struct Case {
  std::shared_ptr<nn::Module> m;
  Forward fwd;
};

template <class M>
Case sequence(nn::RNNOptions o) {
  auto m = std::make_shared<M>(o);
  return {m, [m](const Tensor& x, const Tensor& h0, const Tensor& c0, const std::vector<int64_t>& lengths) {
            if constexpr (std::is_same_v<M, nn::LSTM>) {
              auto r = m->forward(x, {h0, c0}, lengths);
              return Result{r.first, r.second.first, r.second.second};
            } else {
              auto r = m->forward(x, h0, lengths);
              return Result{r.first, r.second, Tensor()};
            }
          }};
}

// The cases of make_rnn_fixtures.py, with the same options.
Case make_case(const std::string& name, DType dt) {
  using O = nn::RNNOptions;
  if (name == "lstm_2l_bi_h0")
    return sequence<nn::LSTM>(O{.input_size = 5, .hidden_size = 4, .num_layers = 2, .bidirectional = true, .dtype = dt});
  if (name == "lstm_bi_batch_first_lengths")
    return sequence<nn::LSTM>(O{.input_size = 5, .hidden_size = 4, .batch_first = true, .bidirectional = true, .dtype = dt});
  if (name == "lstm_2l_lengths_sorted")
    return sequence<nn::LSTM>(O{.input_size = 5, .hidden_size = 4, .num_layers = 2, .dtype = dt});
  if (name == "lstm_no_bias_unbatched")
    return sequence<nn::LSTM>(O{.input_size = 5, .hidden_size = 4, .bias = false, .dtype = dt});
  if (name == "gru_2l_bi_batch_first_lengths")
    return sequence<nn::GRU>(
        O{.input_size = 5, .hidden_size = 4, .num_layers = 2, .batch_first = true, .bidirectional = true, .dtype = dt});
  if (name == "gru_h0") return sequence<nn::GRU>(O{.input_size = 5, .hidden_size = 4, .dtype = dt});
  if (name == "rnn_tanh_2l_bi_lengths")
    return sequence<nn::RNN>(O{.input_size = 5, .hidden_size = 4, .num_layers = 2, .bidirectional = true, .dtype = dt});
  if (name == "rnn_relu_unbatched")
    return sequence<nn::RNN>(O{.input_size = 5, .hidden_size = 4, .nonlinearity = "relu", .dtype = dt});
  if (name == "lstm_cell") {
    auto m = std::make_shared<nn::LSTMCell>(5, 4, true, dt);
    return {m, [m](const Tensor& x, const Tensor& h, const Tensor& c, const std::vector<int64_t>&) {
              auto r = m->forward(x, {h, c});
              return Result{r.first, Tensor(), r.second};
            }};
  }
  if (name == "gru_cell") {
    auto m = std::make_shared<nn::GRUCell>(5, 4, true, dt);
    return {m, [m](const Tensor& x, const Tensor& h, const Tensor&, const std::vector<int64_t>&) {
              return Result{m->forward(x, h), Tensor(), Tensor()};
            }};
  }
  auto m = std::make_shared<nn::RNNCell>(5, 4, true, "relu", dt);  // rnn_cell_relu_unbatched
  return {m, [m](const Tensor& x, const Tensor& h, const Tensor&, const std::vector<int64_t>&) {
            return Result{m->forward(x, h), Tensor(), Tensor()};
          }};
}
const char* kCases[] = {"lstm_2l_bi_h0", "lstm_bi_batch_first_lengths", "lstm_2l_lengths_sorted",
                        "lstm_no_bias_unbatched", "gru_2l_bi_batch_first_lengths", "gru_h0",
                        "rnn_tanh_2l_bi_lengths", "rnn_relu_unbatched", "lstm_cell", "gru_cell",
                        "rnn_cell_relu_unbatched"};

const std::map<std::string, Tensor>& fixtures() {
  static const auto all = io::SafeTensors::open(std::string(GENLAB_TEST_DIR) + "/parity/rnn.safetensors").all();
  return all;
}
Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  return it == fixtures().end() ? Tensor() : it->second;
}
// make_fixtures.py's weights: 0.5 + 0.37 ((i 7919) mod 11) / 11
Tensor loss_weights(const Tensor& like) {
  std::vector<double> w(size_t(like.numel()));
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.5 + 0.37 * double((i * 7919) % 11) / 11.0;
  return Tensor::from_vector(w, like.shape()).to(like.dtype()).to(like.device());
}
void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_TRUE(got.defined()) << what << ": no value";
  ASSERT_EQ(shape_str(got.shape()), shape_str(want.shape())) << what;
  auto g = ops::contiguous(got.detach()).to(Device::cpu()).to(DType::f64).to_vector<double>();
  auto w = want.to_vector<double>();
  double worst = 0;
  for (size_t i = 0; i < w.size(); ++i) worst = std::max(worst, std::abs(g[i] - w[i]) / (1 + std::abs(w[i])));
  EXPECT_LE(worst, tol) << what;
}

// Loads the case's PyTorch state_dict by name, runs forward and backward on `device` in `dt`, compares.
void check_case(const std::string& name, DType dt, Device device, double tol) {
  SCOPED_TRACE(name + " " + dtype_name(dt) + " on " + device.str());
  Case c = make_case(name, dt);
  std::map<std::string, Tensor> sd;
  const std::string prefix = name + ".sd.";
  for (const auto& [k, v] : fixtures())
    if (k.rfind(prefix, 0) == 0) sd[k.substr(prefix.size())] = v;
  c.m->load_state_dict(sd);  // strict: every PyTorch name is ours and the other way round
  c.m->to(device);
  auto input = [&](const std::string& key) {
    Tensor t = fx(name + "." + key);
    if (!t.defined()) return t;
    Tensor d = t.to(dt).to(device).detach();  // a leaf of its own, never the shared fixture
    d.requires_grad_(true);
    return d;
  };
  Tensor x = input("x"), h0 = input("h0"), c0 = input("c0");
  std::vector<int64_t> lengths;
  if (Tensor l = fx(name + ".lengths"); l.defined()) lengths = l.to_vector<int64_t>();
  Result r = c.fwd(x, h0, c0, lengths);
  Tensor loss;
  for (auto [key, v] : {std::pair{"out", r.out}, std::pair{"h_n", r.h_n}, std::pair{"c_n", r.c_n}}) {
    Tensor want = fx(name + "." + key);
    if (!want.defined()) continue;
    expect_close(v, want, tol, key);
    Tensor part = ops::sum(ops::mul(v, loss_weights(v)));
    loss = loss.defined() ? ops::add(loss, part) : part;
  }
  loss.backward();
  expect_close(x.grad(), fx(name + ".grad.x"), tol, "grad x");
  if (h0.defined()) expect_close(h0.grad(), fx(name + ".grad.h0"), tol, "grad h0");
  if (c0.defined()) expect_close(c0.grad(), fx(name + ".grad.c0"), tol, "grad c0");
  for (const auto& [k, p] : c.m->named_parameters()) expect_close(p.grad(), fx(name + ".grad." + k), tol, "grad " + k);
}

TEST(RNN, ModulesMatchPyTorchWithItsStateDictLoadedByName) {
  for (const char* name : kCases) check_case(name, DType::f64, Device::cpu(), 1e-10);
}

TEST(RNN, ModulesMatchPyTorchInFloat32OnTheCpuAndTheEmulatedDevice) {
  for (const char* name : kCases) check_case(name, DType::f32, Device::cpu(), 2e-5);
  on_emulated_device([&] {  // every code path once (the emulated GEMM is slow)
    for (const char* name : {"lstm_bi_batch_first_lengths", "gru_2l_bi_batch_first_lengths", "rnn_tanh_2l_bi_lengths",
                             "lstm_cell", "gru_cell"})
      check_case(name, DType::f32, Device::cuda(), 2e-5);
  });
}

TEST(RNN, ParameterNamesShapesAndInitAsPyTorch) {
  nn::LSTM lstm(nn::RNNOptions{.input_size = 3, .hidden_size = 4, .num_layers = 2, .bidirectional = true});
  auto sd = lstm.state_dict();
  EXPECT_EQ(sd.size(), 16u);
  EXPECT_EQ(shape_str(sd.at("weight_ih_l0").shape()), "[16, 3]");
  EXPECT_EQ(shape_str(sd.at("weight_ih_l1_reverse").shape()), "[16, 8]");
  EXPECT_EQ(shape_str(sd.at("weight_hh_l1").shape()), "[16, 4]");
  EXPECT_EQ(shape_str(sd.at("bias_hh_l1_reverse").shape()), "[16]");
  for (const auto& [k, p] : sd)
    for (double v : p.to(DType::f64).to_vector<double>()) EXPECT_LE(std::abs(v), 0.5) << k;  // U(-1/sqrt(4), 1/sqrt(4))
  nn::GRU gru(3, 5);
  EXPECT_EQ(shape_str(gru.state_dict().at("weight_hh_l0").shape()), "[15, 5]");
  EXPECT_EQ(nn::RNN(nn::RNNOptions{.input_size = 3, .hidden_size = 5, .bias = false}).state_dict().size(), 2u);
  EXPECT_EQ(shape_str(nn::LSTMCell(3, 5).state_dict().at("bias_ih").shape()), "[20]");
}

TEST(RNN, DropoutActsBetweenLayersInTrainingOnly) {
  nn::GRU g(nn::RNNOptions{.input_size = 3, .hidden_size = 4, .num_layers = 2, .dropout = 0.5});
  nn::GRU plain(nn::RNNOptions{.input_size = 3, .hidden_size = 4, .num_layers = 2});
  plain.load_state_dict(g.state_dict());
  Tensor x = Tensor::randn({5, 2, 3});
  auto same = [](const Tensor& a, const Tensor& b) { return a.to_vector<float>() == b.to_vector<float>(); };
  EXPECT_FALSE(same(g.forward(x).first, plain.forward(x).first));
  g.eval();
  EXPECT_TRUE(same(g.forward(x).first, plain.forward(x).first));
}

TEST(RNN, BadInputsNameTheShapes) {
  nn::LSTM lstm(nn::RNNOptions{.input_size = 5, .hidden_size = 4, .num_layers = 2, .bidirectional = true});
  const Tensor x = Tensor::randn({6, 3, 5});
  expect_error([&] { lstm.forward(Tensor::randn({2, 6, 3, 5})); }, {"LSTM", "3 dims", "2 dims", "[2, 6, 3, 5]"}, "rank 4");
  expect_error([&] { lstm.forward(Tensor::randn({5})); }, {"LSTM", "[5]"}, "rank 1");
  expect_error([&] { lstm.forward(Tensor::randn({6, 3, 7})); }, {"LSTM", "[6, 3, 7]", "7 features", "input_size is 5"},
               "features");
  expect_error([&] { lstm.forward(x, {Tensor::zeros({4, 2, 4}), Tensor::zeros({4, 3, 4})}); },
               {"LSTM", "h0 is [4, 2, 4]", "expected [4, 3, 4]", "[6, 3, 5]"}, "h0 batch");
  expect_error([&] { lstm.forward(x, {Tensor::zeros({4, 3, 4}), Tensor::zeros({2, 3, 4})}); },
               {"LSTM", "c0 is [2, 3, 4]", "expected [4, 3, 4]"}, "c0 layers");
  expect_error([&] { lstm.forward(x, {Tensor::zeros({4, 3, 4}), Tensor()}); }, {"LSTM", "both h0 and c0"}, "h0 alone");
  expect_error([&] { lstm.forward(x, {}, {6, 7, 1}); }, {"LSTM", "lengths[1] = 7", "6 steps", "[1, 6]", "[6, 3, 5]"},
               "length too long");
  expect_error([&] { lstm.forward(x, {}, {6, 0, 1}); }, {"LSTM", "lengths[1] = 0", "[1, 6]"}, "length 0");
  expect_error([&] { lstm.forward(x, {}, {6, 2}); }, {"LSTM", "2 lengths", "batch of 3"}, "length count");
  expect_error([&] { lstm.forward(Tensor::randn({6, 5}), {}, {6}); }, {"LSTM", "unbatched", "[6, 5]"}, "unbatched lengths");
  nn::GRU gru(5, 4);
  expect_error([&] { gru.forward(Tensor::randn({6, 5}), Tensor::zeros({1, 3, 4})); }, {"GRU", "h0 is [1, 3, 4]", "expected [1, 4]"},
               "unbatched h0");
  expect_error([&] { nn::RNN(nn::RNNOptions{.input_size = 5, .hidden_size = 4, .nonlinearity = "sigmoid"}); },
               {"nonlinearity", "sigmoid"}, "nonlinearity");
  expect_error([&] { nn::LSTM(0, 4); }, {"LSTM", "positive"}, "input_size 0");
  nn::LSTMCell cell(5, 4);
  expect_error([&] { cell.forward(Tensor::randn({3, 6})); }, {"LSTMCell", "[3, 6]", "[batch, 5]"}, "cell features");
  expect_error([&] { cell.forward(Tensor::randn({3, 5}), {Tensor::zeros({2, 4}), Tensor::zeros({2, 4})}); },
               {"LSTMCell", "[2, 4]", "expected [3, 4]"}, "cell state");
}

TEST(RNN, BadOpArgumentsNameTheShapes) {
  using namespace ops;
  expect_error([&] { lstm_cell_pointwise(Tensor::randn({3, 8}), Tensor::randn({1, 8}), Tensor::randn({3, 2})); },
               {"lstm_cell_pointwise", "gates_h [1, 8]", "[3, 8]"}, "gates_h broadcast");
  expect_error([&] { lstm_cell_pointwise(Tensor::randn({3, 8}), Tensor::randn({3, 8}), Tensor::randn({3, 4})); },
               {"lstm_cell_pointwise", "c_prev [3, 4]", "[3, 2]"}, "c_prev");
  expect_error([&] { gru_cell_pointwise(Tensor::randn({3, 7}), Tensor::randn({3, 7}), Tensor::randn({3, 2})); },
               {"gru_cell_pointwise", "3 * hidden", "[3, 7]"}, "gates");
  expect_error([&] { lstm_recurrence(Tensor::randn({2, 3, 8}), Tensor::randn({8, 3}), Tensor::zeros({3, 2}), Tensor::zeros({3, 2})); },
               {"lstm_recurrence", "w_hh", "[8, 3]"}, "w_hh");
  expect_error([&] { gru_recurrence(Tensor::randn({2, 3, 6}), Tensor::randn({6, 2}), Tensor(), Tensor::zeros({3, 2}), {3, 4}); },
               {"gru_recurrence", "batch sizes [3, 4]", "non-increasing"}, "batch sizes");
  expect_error([&] { rnn_recurrence(Tensor::randn({2, 3, 2}), Tensor::randn({2, 2}), Tensor::zeros({4, 2})); },
               {"rnn_recurrence", "[4, 2]", "[3, 2]"}, "h0");
}

}  // namespace
