// The recurrent family: SequenceClassifier and CharLM (include/genlab/models/rnn/),
// compositions of nn::Embedding, nn::RNN/LSTM/GRU and nn::Linear.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "genlab/core/rng.hpp"
#include "genlab/models/rnn/char_lm.hpp"
#include "genlab/ops/ops.hpp"

namespace genlab::models {

std::shared_ptr<nn::RNNBase> make_recurrence(const RecurrenceOptions& o) {
  nn::RNNOptions r{.input_size = o.input_size, .hidden_size = o.hidden_size, .num_layers = o.num_layers,
                   .batch_first = true, .dropout = o.dropout, .bidirectional = o.bidirectional};
  if (o.cell == "lstm") return std::make_shared<nn::LSTM>(r);
  if (o.cell == "gru") return std::make_shared<nn::GRU>(r);
  if (o.cell == "rnn" || o.cell == "rnn_relu") {
    r.nonlinearity = o.cell == "rnn" ? "tanh" : "relu";
    return std::make_shared<nn::RNN>(r);
  }
  GENLAB_FAIL("recurrent cell '", o.cell, "' is not one of rnn, rnn_relu, lstm, gru");
}

SequenceClassifier::SequenceClassifier(const RecurrenceOptions& o, int64_t outputs) {
  GENLAB_CHECK(outputs > 0, "SequenceClassifier: outputs must be positive, got ", outputs);
  rnn = register_module("rnn", make_recurrence(o));
  head = register_module("head", std::make_shared<nn::Linear>(rnn->directions() * o.hidden_size, outputs));
}

Tensor SequenceClassifier::forward(const Tensor& x, const std::vector<int64_t>& lengths) {
  GENLAB_CHECK(x.dim() == 3, "SequenceClassifier: input must be [batch, steps, features], got ", shape_str(x.shape()));
  Tensor h_n = std::get<1>(rnn->run(x, Tensor(), Tensor(), lengths));  // [D * layers, B, H]
  const int64_t D = rnn->directions(), top = h_n.shape()[0] - D;
  // the top layer's state of each direction, side by side: [B, D * H]
  Tensor last = ops::reshape(ops::permute(ops::slice(h_n, 0, top, top + D), {1, 0, 2}), {x.shape()[0], -1});
  return head->forward(last);
}

CharLM::CharLM(const CharLMOptions& o) : options(o) {
  GENLAB_CHECK(o.vocab > 0 && o.embedding > 0, "CharLM: vocab and embedding must be positive, got ", o.vocab, " and ",
               o.embedding);
  embedding = register_module("embedding", std::make_shared<nn::Embedding>(o.vocab, o.embedding));
  rnn = register_module("rnn", make_recurrence({.cell = o.cell, .input_size = o.embedding, .hidden_size = o.hidden_size,
                                                .num_layers = o.num_layers, .dropout = o.dropout}));
  head = register_module("head", std::make_shared<nn::Linear>(o.hidden_size, o.vocab));
}

std::pair<Tensor, CharLM::State> CharLM::forward(const Tensor& ids, const State& state) {
  GENLAB_CHECK(ids.dim() == 2 && (ids.dtype() == DType::i64 || ids.dtype() == DType::i32),
               "CharLM: ids must be integer [batch, steps], got ", dtype_name(ids.dtype()), " ", shape_str(ids.shape()));
  auto [out, h, c] = rnn->run(embedding->forward(ids), state.first, state.second, {});
  return {head->forward(out), {h, c}};
}

int64_t sample_logits(const std::vector<double>& logits, double temperature, int64_t top_k, double u) {
  GENLAB_CHECK(!logits.empty(), "sample_logits: no logits");
  GENLAB_CHECK(temperature >= 0 && std::isfinite(temperature), "sample_logits: temperature must be >= 0, got ", temperature);
  GENLAB_CHECK(top_k >= 0, "sample_logits: top_k must be >= 0, got ", top_k);
  const int64_t V = int64_t(logits.size());
  const int64_t best = std::max_element(logits.begin(), logits.end()) - logits.begin();
  if (temperature == 0) return best;
  double floor = -INFINITY;  // logits below it are dropped
  if (top_k > 0 && top_k < V) {
    std::vector<double> sorted(logits);
    std::nth_element(sorted.begin(), sorted.begin() + (top_k - 1), sorted.end(), std::greater<>());
    floor = sorted[top_k - 1];
  }
  std::vector<double> p(V);
  double total = 0;
  for (int64_t i = 0; i < V; ++i) total += p[i] = logits[i] >= floor ? std::exp((logits[i] - logits[best]) / temperature) : 0;
  double cum = 0;
  for (int64_t i = 0; i < V; ++i) {
    cum += p[i] / total;
    if (p[i] > 0 && cum >= u) return i;
  }
  return best;  // u within rounding of 1
}

std::string CharLM::sample(std::string_view prompt, int64_t n, const SampleOptions& o) {
  GENLAB_CHECK(!prompt.empty(), "CharLM::sample: the prompt must hold at least one byte");
  GENLAB_CHECK(n >= 0, "CharLM::sample: n must be >= 0, got ", n);
  autograd::NoGradGuard ng;
  const bool was_training = is_training();
  eval();
  const Device device = embedding->weight.device();
  std::vector<int64_t> ids(prompt.begin(), prompt.end());
  for (auto& b : ids) b = uint8_t(b);
  auto [logits, state] = forward(Tensor::from_vector(ids, {1, int64_t(ids.size())}).to(device), State{});
  std::string text(prompt);
  for (int64_t i = 0; i < n; ++i) {
    Tensor last = ops::select(ops::select(logits, 0, 0), 0, logits.shape()[1] - 1).to(Device::cpu());
    const std::vector<double> row = ops::to(last, DType::f64).to_vector<double>();
    const int64_t next = sample_logits(row, o.temperature, o.top_k, Philox::to_unit(Philox::block(o.seed, uint64_t(i))[0]));
    text.push_back(char(uint8_t(next)));
    if (i + 1 == n) break;  // the last byte's logits would go unused
    std::tie(logits, state) = forward(Tensor::from_vector(std::vector<int64_t>{next}, {1, 1}).to(device), state);
  }
  train(was_training);
  return text;
}

data::TensorDataset next_byte_windows(const Tensor& ids, int64_t seq_len) {
  GENLAB_CHECK(ids.dim() == 1 && ids.dtype() == DType::i64, "next_byte_windows: ids must be int64 [n], got ",
               dtype_name(ids.dtype()), " ", shape_str(ids.shape()));
  GENLAB_CHECK(seq_len > 0, "next_byte_windows: seq_len must be positive, got ", seq_len);
  const int64_t N = (ids.numel() - 1) / seq_len;
  GENLAB_CHECK(N > 0, "next_byte_windows: ", ids.numel(), " bytes make no window of ", seq_len, " + 1");
  Tensor x = ops::reshape(ops::contiguous(ops::slice(ids, 0, 0, N * seq_len)), {N, seq_len});
  Tensor y = ops::reshape(ops::contiguous(ops::slice(ids, 0, 1, N * seq_len + 1)), {N, seq_len});
  return {x, y};
}

namespace {
Tensor next_byte_loss(nn::Module& m, const data::Batch& b) {
  Tensor logits = m.forward(b.x);
  return ops::cross_entropy(ops::reshape(logits, {-1, logits.shape().back()}), ops::reshape(b.y, {-1}));
}
}  // namespace

double bits_per_char(nn::Module& model, const data::TensorDataset& windows, int64_t batch_size) {
  return train::mean_loss(model, windows, next_byte_loss, batch_size) / std::numbers::ln2;
}

train::Task language_model(const data::TensorDataset& validation) {
  return {next_byte_loss, [validation](nn::Module& m) {
            return std::map<std::string, double>{{"validation_bpc", bits_per_char(m, validation)}};
          }};
}

}  // namespace genlab::models
