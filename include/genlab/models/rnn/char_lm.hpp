// A character-level (byte-level) language model: Embedding, a recurrence
// (RNN, LSTM or GRU; models/rnn/sequence_classifier.hpp) and a Linear head that
// predicts the next byte, with sampling by temperature and top-k.
//   ids int64 [B, L] (values 0..vocab-1) -> logits [B, L, vocab]
// State-dict names: embedding.weight, rnn.weight_ih_l0 ..., head.weight, head.bias
// (those of the PyTorch model in tests/parity/make_rnn_model_fixtures.py).
//
//   auto text = data::fortunes_corpus();
//   auto train_set = models::next_byte_windows(data::bytes_tensor(text.train), 128);
//   models::CharLM lm({.cell = "lstm", .hidden_size = 256});
//   train::fit(lm, train_set, models::language_model(validation_set), {.epochs = 5});
//   std::puts(lm.sample("Q: ", 200, {.temperature = 0.8, .top_k = 20}).c_str());
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "genlab/models/rnn/sequence_classifier.hpp"
#include "genlab/train/trainer.hpp"

namespace genlab::models {

struct CharLMOptions {
  std::string cell = "lstm";
  int64_t vocab = 256, embedding = 64, hidden_size = 256, num_layers = 1;
  double dropout = 0;
};

struct SampleOptions {
  double temperature = 1.0;  // 0: always the most likely byte
  int64_t top_k = 0;         // > 0: draw among the k most likely only (ties with the k-th kept)
  uint64_t seed = 0;         // draw i uses Philox(seed, i): the same seed gives the same text
};

class CharLM : public nn::Module {
 public:
  using State = std::pair<Tensor, Tensor>;  // (h, c); c undefined unless the cell is an LSTM
  explicit CharLM(const CharLMOptions& o);
  Tensor forward(const Tensor& ids) override { return forward(ids, {}).first; }
  // (logits, the state after the last step), starting from `state` (zeros when undefined)
  std::pair<Tensor, State> forward(const Tensor& ids, const State& state);
  // `prompt` continued by n bytes drawn one at a time (in eval mode, without gradients).
  std::string sample(std::string_view prompt, int64_t n, const SampleOptions& o = {});
  const CharLMOptions options;
  std::shared_ptr<nn::Embedding> embedding;
  std::shared_ptr<nn::RNNBase> rnn;
  std::shared_ptr<nn::Linear> head;
};

// One index drawn from `logits` given the uniform u in (0, 1]: logits / temperature, all
// below the k-th largest dropped (top_k > 0), softmax, then the first index whose
// cumulative probability reaches u. temperature 0 gives the argmax (the first on ties).
int64_t sample_logits(const std::vector<double>& logits, double temperature, int64_t top_k, double u);

// Non-overlapping windows of a byte stream for next-byte prediction:
// x [N, L] = ids[iL, iL + L), y [N, L] = ids[iL + 1, iL + L + 1), N = (n - 1) / L.
data::TensorDataset next_byte_windows(const Tensor& ids, int64_t seq_len);

// Training task of a language model: cross-entropy of the next byte, and after
// each epoch "validation_bpc", bits per character on `validation` (windows as above).
train::Task language_model(const data::TensorDataset& validation);
double bits_per_char(nn::Module& model, const data::TensorDataset& windows, int64_t batch_size = 64);

}  // namespace genlab::models
