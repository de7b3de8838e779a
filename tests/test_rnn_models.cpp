// The recurrent family against the same models built from torch.nn
// (fixture: tests/parity/make_rnn_model_fixtures.py): SequenceClassifier and
// CharLM load the PyTorch state_dict by name and match its outputs, gradients
// and bits per character; sampling picks the index PyTorch's softmax/top-k CDF
// gives; and a CharLM learns a periodic text and then samples it back.
#include <gtest/gtest.h>

#include <genlab/genlab.hpp>

#include "expect_error.hpp"
#include "op_table.hpp"

using namespace genlab;
using genlab::testing::expect_error;

namespace {
io::SafeTensors fixture() { return io::SafeTensors::open(genlab::testing::parity_dir() + "/rnn_models.safetensors"); }

// Loads `name`'s state, checks y = run(model) against the fixture and the gradients of sum(y * w).
void expect_matches_pytorch(nn::Module& model, const std::string& name, const std::function<Tensor(io::SafeTensors&)>& run) {
  auto f = fixture();
  std::map<std::string, Tensor> state;
  const std::string prefix = name + ".state.";
  for (auto& [k, v] : f.all())
    if (k.rfind(prefix, 0) == 0) state[k.substr(prefix.size())] = ops::copy_as(v, DType::f32, Device::cpu());
  model.load_state_dict(state);
  Tensor y = run(f);
  const Tensor want = f.get(name + ".y");
  ASSERT_EQ(y.shape(), want.shape()) << name;
  auto got = y.to_vector<float>();
  auto w_y = want.to_vector<double>();
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], w_y[i], 1e-5 * (1 + std::abs(w_y[i]))) << name << " output " << i;
  ops::sum(ops::mul(y, ops::copy_as(f.get(name + ".w"), DType::f32, Device::cpu()))).backward();
  int64_t compared = 0;
  for (auto& [pname, p] : model.named_parameters()) {
    auto g = p.grad().to_vector<float>();
    auto gw = f.get(name + ".grad." + pname).to_vector<double>();
    ASSERT_EQ(g.size(), gw.size()) << name << " " << pname;
    for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], gw[i], 1e-4 * (1 + std::abs(gw[i]))) << name << " grad " << pname << "[" << i << "]";
    ++compared;
  }
  EXPECT_GE(compared, 6) << name;
}
}  // namespace

TEST(RnnModels, SequenceClassifiersMatchPyTorch) {
  struct Case { const char* name; models::RecurrenceOptions o; int64_t outputs; };
  for (const Case& c : {Case{"cls_rnn", {.cell = "rnn", .input_size = 3, .hidden_size = 5}, 4},
                        Case{"cls_lstm", {.cell = "lstm", .input_size = 3, .hidden_size = 5}, 4},
                        Case{"cls_gru", {.cell = "gru", .input_size = 3, .hidden_size = 5}, 4},
                        Case{"cls_gru_bi2", {.cell = "gru", .input_size = 2, .hidden_size = 4, .num_layers = 2, .bidirectional = true}, 1}}) {
    models::SequenceClassifier m(c.o, c.outputs);
    expect_matches_pytorch(m, c.name, [&](io::SafeTensors& f) {
      return m.forward(ops::copy_as(f.get(std::string(c.name) + ".x"), DType::f32, Device::cpu()));
    });
  }
}

TEST(RnnModels, CharLMsMatchPyTorchWithTheirBitsPerChar) {
  struct Case { std::string name; models::CharLMOptions o; };
  for (const Case& c : {Case{"lm_lstm", {.cell = "lstm", .vocab = 11, .embedding = 4, .hidden_size = 6}},
                        Case{"lm_gru2", {.cell = "gru", .vocab = 9, .embedding = 3, .hidden_size = 5, .num_layers = 2}}}) {
    const std::string& name = c.name;
    models::CharLM lm(c.o);
    Tensor ids;
    expect_matches_pytorch(lm, name, [&](io::SafeTensors& f) {
      ids = f.get(name + ".ids");
      return lm.forward(ops::slice(ids, 1, 0, ids.shape()[1] - 1));
    });
    data::TensorDataset windows(ops::contiguous(ops::slice(ids, 1, 0, ids.shape()[1] - 1)), ops::contiguous(ops::slice(ids, 1, 1, ids.shape()[1])));
    EXPECT_NEAR(models::bits_per_char(lm, windows, 2), fixture().get(name + ".bpc").to_vector<double>()[0], 1e-5) << name;
    // Two halves with the state carried give the logits of one pass.
    Tensor x = windows.x, whole = lm.forward(x);
    auto [first, state] = lm.forward(ops::slice(x, 1, 0, 3), {});
    Tensor second = lm.forward(ops::slice(x, 1, 3, x.shape()[1]), state).first;
    auto a = ops::cat({first, second}, 1).to_vector<float>(), b = whole.to_vector<float>();
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-6) << name << " logit " << i;
  }
}

TEST(RnnModels, SamplingPicksTheIndexOfPyTorchsTopKSoftmax) {
  auto f = fixture();
  const auto logits = f.get("sample.logits").to_vector<double>();
  const auto u = f.get("sample.u").to_vector<double>();
  for (auto [t, k] : {std::pair{1.0, 0}, {0.7, 3}, {2.5, 5}, {0.3, 1}}) {
    char key[64];
    std::snprintf(key, sizeof key, "sample.t%.1f_k%d", t, k);
    const auto want = f.get(key).to_vector<int64_t>();
    for (size_t i = 0; i < u.size(); ++i) ASSERT_EQ(models::sample_logits(logits, t, k, u[i]), want[i]) << key << " u " << u[i];
  }
  EXPECT_EQ(models::sample_logits(logits, 0, 0, 0.5), 1);  // temperature 0: the first of the two largest
  expect_error([&] { models::sample_logits(logits, -1, 0, 0.5); }, {"temperature", "-1"}, "negative temperature");
  expect_error([&] { models::sample_logits({}, 1, 0, 0.5); }, {"no logits"}, "empty");
}

TEST(RnnModels, WindowsShiftByOneByte) {
  data::TensorDataset w = models::next_byte_windows(data::bytes_tensor("abcdefghij"), 3);
  EXPECT_EQ(w.x.shape(), (Shape{3, 3}));  // (10 - 1) / 3 windows
  EXPECT_EQ(w.x.to_vector<int64_t>(), (std::vector<int64_t>{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'}));
  EXPECT_EQ(w.y.to_vector<int64_t>(), (std::vector<int64_t>{'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'}));
  expect_error([] { models::next_byte_windows(data::bytes_tensor("ab"), 2); }, {"2 bytes", "window of 2"}, "too short");
}

TEST(RnnModels, BadOptionsNameThemselves) {
  expect_error([] { models::SequenceClassifier({.cell = "transformer", .input_size = 2, .hidden_size = 3}, 2); },
               {"transformer", "lstm", "gru"}, "unknown cell");
  expect_error([] { models::SequenceClassifier({.cell = "gru", .input_size = 2, .hidden_size = 3}, 0); }, {"outputs", "0"}, "no outputs");
  models::SequenceClassifier m({.cell = "lstm", .input_size = 2, .hidden_size = 3}, 1);
  expect_error([&] { m.forward(Tensor::randn({4, 2})); }, {"SequenceClassifier", "[4, 2]"}, "rank 2 input");
  models::CharLM lm({.vocab = 5, .embedding = 2, .hidden_size = 3});
  expect_error([&] { lm.forward(Tensor::randn({1, 4})); }, {"CharLM", "integer", "float32 [1, 4]"}, "float ids");
  expect_error([&] { lm.sample("", 3); }, {"prompt"}, "empty prompt");
}

// A small CharLM learns a periodic text through train::fit, then greedy sampling
// continues it exactly and the validation bits per character fall near 0.
TEST(RnnModels, CharLMLearnsAPeriodicTextAndSamplesIt) {
  manual_seed(1);
  std::string text;
  while (text.size() < 2000) text += "hello world. ";
  auto set = models::next_byte_windows(data::bytes_tensor(text), 26);
  models::CharLM lm({.cell = "gru", .vocab = 128, .embedding = 16, .hidden_size = 32});
  const double before = models::bits_per_char(lm, set);
  auto res = train::fit(lm, set, models::language_model(set),
                        {.epochs = 60, .batch_size = 16, .lr = 1e-2, .schedule = train::Schedule::constant,
                         .clip_grad_norm = 1, .verbose = false});
  EXPECT_GT(before, 5.0);  // about log2(128) untrained
  EXPECT_LT(res.metric("validation_bpc"), 0.1);
  EXPECT_EQ(lm.sample("hello wo", 18, {.temperature = 0}), "hello world. hello world. ");
  // the same seed draws the same text; temperature sampling of a learnt text still follows it
  EXPECT_EQ(lm.sample("hel", 30, {.temperature = 0.5, .top_k = 3, .seed = 7}), lm.sample("hel", 30, {.temperature = 0.5, .top_k = 3, .seed = 7}));
}
