// Recurrent layers with torch.nn's options, shapes, parameter names and init.
//   RNN / LSTM / GRU (RNNOptions): input [L, B, H_in] ([B, L, H_in] with
//     batch_first, [L, H_in] unbatched), initial state h0 (and c0 for LSTM)
//     [D * num_layers, B, H] ([D * num_layers, H] unbatched), zeros when not
//     given; D = 2 when bidirectional.
//     -> output [L, B, D * H] (batch_first: [B, L, D * H]) and h_n (LSTM:
//     (h_n, c_n)) shaped as h0.
//   lengths (optional, one per sample in [1, L], any order): as a
//     pack_padded_sequence input, the outputs past a sample's length are 0,
//     h_n is the state at its last valid step, and the reverse direction
//     starts at that step.
//   Parameters weight_ih_l{k}[_reverse] [G H, in], weight_hh_l{k}[_reverse]
//     [G H, H], bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] [G H] with
//     G = 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n), all drawn from
//     U(-1/sqrt(H), 1/sqrt(H)), so a PyTorch state_dict loads by name.
//   Each layer and direction: the input projection of all steps in one GEMM,
//     then ops::{rnn,lstm,gru}_recurrence (one GEMM and one fused pointwise
//     kernel per step; backward as one node). Dropout between layers in training.
//   RNNCell / LSTMCell / GRUCell: one step, input [B, in] or [in], state
//     [B, H] or [H] (zeros when not given); weight_ih, weight_hh, bias_ih, bias_hh.
#pragma once
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "genlab/nn/module.hpp"

namespace genlab::nn {

struct RNNOptions {
  int64_t input_size = 0, hidden_size = 0, num_layers = 1;
  std::string nonlinearity = "tanh";  // RNN only: "tanh" or "relu"
  bool bias = true, batch_first = false;
  double dropout = 0;  // on every layer's output but the last, in training
  bool bidirectional = false;
  DType dtype = DType::f32;
};

class RNNBase : public Module {
 public:
  enum class Mode { rnn_tanh, rnn_relu, lstm, gru };
  RNNBase(Mode mode, RNNOptions options);
  const RNNOptions options;
  const Mode mode;
  int64_t directions() const { return options.bidirectional ? 2 : 1; }
  // The parameters of layer k, direction d at [k * directions() + d] (b_ih, b_hh undefined without bias).
  struct Weights {
    Tensor w_ih, w_hh, b_ih, b_hh;
  };
  std::vector<Weights> weights;
  // The forward of every mode, for code that holds any of them (models/rnn/):
  // (output, h_n, c_n); c0 and c_n only for LSTM (undefined otherwise).
  std::tuple<Tensor, Tensor, Tensor> run(const Tensor& input, const Tensor& h0, const Tensor& c0,
                                         const std::vector<int64_t>& lengths) const;

 protected:
  const char* name() const;
};

class RNN : public RNNBase {
 public:
  explicit RNN(RNNOptions o) : RNNBase(o.nonlinearity == "relu" ? Mode::rnn_relu : Mode::rnn_tanh, o) {}
  RNN(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1)
      : RNN(RNNOptions{.input_size = input_size, .hidden_size = hidden_size, .num_layers = num_layers}) {}
  // (output, h_n)
  std::pair<Tensor, Tensor> forward(const Tensor& input, const Tensor& h0 = Tensor(),
                                    const std::vector<int64_t>& lengths = {}) const {
    auto [out, h, c] = run(input, h0, Tensor(), lengths);
    return {out, h};
  }
  std::pair<Tensor, Tensor> operator()(const Tensor& input, const Tensor& h0 = Tensor()) const { return forward(input, h0); }
};

class GRU : public RNNBase {
 public:
  explicit GRU(RNNOptions o) : RNNBase(Mode::gru, o) {}
  GRU(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1)
      : GRU(RNNOptions{.input_size = input_size, .hidden_size = hidden_size, .num_layers = num_layers}) {}
  std::pair<Tensor, Tensor> forward(const Tensor& input, const Tensor& h0 = Tensor(),
                                    const std::vector<int64_t>& lengths = {}) const {
    auto [out, h, c] = run(input, h0, Tensor(), lengths);
    return {out, h};
  }
  std::pair<Tensor, Tensor> operator()(const Tensor& input, const Tensor& h0 = Tensor()) const { return forward(input, h0); }
};

class LSTM : public RNNBase {
 public:
  using State = std::pair<Tensor, Tensor>;  // (h, c)
  explicit LSTM(RNNOptions o) : RNNBase(Mode::lstm, o) {}
  LSTM(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1)
      : LSTM(RNNOptions{.input_size = input_size, .hidden_size = hidden_size, .num_layers = num_layers}) {}
  // (output, (h_n, c_n)); give both of (h0, c0) or neither, as PyTorch
  std::pair<Tensor, State> forward(const Tensor& input, const State& state = {},
                                   const std::vector<int64_t>& lengths = {}) const {
    auto [out, h, c] = run(input, state.first, state.second, lengths);
    return {out, {h, c}};
  }
  std::pair<Tensor, State> operator()(const Tensor& input, const State& state = {}) const { return forward(input, state); }
};

// One step. The state's gradient flows, so a loop of cells backpropagates through time.
class RNNCellBase : public Module {
 public:
  RNNCellBase(const char* name, int64_t gates, int64_t input_size, int64_t hidden_size, bool bias, DType dtype);
  int64_t input_size, hidden_size;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;

 protected:
  // x as [B, in] and the state as [B, H] (zeros when undefined); `unbatched` when x was [in].
  std::pair<Tensor, Tensor> batched(const Tensor& x, const Tensor& state, bool& unbatched) const;
  const char* name_;
};

class RNNCell : public RNNCellBase {
 public:
  RNNCell(int64_t input_size, int64_t hidden_size, bool bias = true, std::string nonlinearity = "tanh",
          DType dtype = DType::f32);
  Tensor forward(const Tensor& x) override { return forward(x, Tensor()); }
  Tensor forward(const Tensor& x, const Tensor& h) const;
  std::string nonlinearity;
};

class GRUCell : public RNNCellBase {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size, bool bias = true, DType dtype = DType::f32)
      : RNNCellBase("GRUCell", 3, input_size, hidden_size, bias, dtype) {}
  Tensor forward(const Tensor& x) override { return forward(x, Tensor()); }
  Tensor forward(const Tensor& x, const Tensor& h) const;
};

class LSTMCell : public RNNCellBase {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, bool bias = true, DType dtype = DType::f32)
      : RNNCellBase("LSTMCell", 4, input_size, hidden_size, bias, dtype) {}
  // (h', c'); give both of (h, c) or neither
  std::pair<Tensor, Tensor> forward(const Tensor& x, const std::pair<Tensor, Tensor>& state = {}) const;
  std::pair<Tensor, Tensor> operator()(const Tensor& x, const std::pair<Tensor, Tensor>& state = {}) const {
    return forward(x, state);
  }
};

}  // namespace genlab::nn
