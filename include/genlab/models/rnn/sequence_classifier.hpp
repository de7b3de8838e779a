// The recurrent family's models share one choice of recurrence (nn::RNN, LSTM or GRU).
// SequenceClassifier: the recurrence over a sequence, then a Linear head on the top
// layer's last hidden state (both directions' when bidirectional) — the nets of the
// adding problem (Le et al. 2015) and of row-by-row image classification.
//   input [B, L, input_size] float32 (batch first), lengths optional -> [B, outputs]
//   (logits for cross-entropy, or outputs = 1 for a regression such as the adding problem)
// State-dict names: rnn.weight_ih_l0 ... (torch.nn.LSTM's), head.weight, head.bias.
//
//   models::SequenceClassifier net({.cell = "gru", .input_size = 28, .hidden_size = 128}, 10);
//   Tensor logits = net(images.reshape({-1, 28, 28}));  // the 28 rows are the 28 steps
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "genlab/nn/nn.hpp"

namespace genlab::models {

struct RecurrenceOptions {
  std::string cell = "lstm";  // "rnn" (tanh), "rnn_relu", "lstm" or "gru"
  int64_t input_size = 0, hidden_size = 0, num_layers = 1;
  bool bidirectional = false;
  double dropout = 0;  // between layers, in training
};

// The module `cell` names, batch first; an error lists the cells there are.
std::shared_ptr<nn::RNNBase> make_recurrence(const RecurrenceOptions& o);

class SequenceClassifier : public nn::Module {
 public:
  SequenceClassifier(const RecurrenceOptions& rnn, int64_t outputs);
  Tensor forward(const Tensor& x) override { return forward(x, {}); }
  // lengths: one per sample, in [1, L]; the state at each sample's last step is used
  Tensor forward(const Tensor& x, const std::vector<int64_t>& lengths);
  std::shared_ptr<nn::RNNBase> rnn;
  std::shared_ptr<nn::Linear> head;
};

}  // namespace genlab::models
