// RNN, LSTM, GRU and their cells (genlab/nn/rnn.hpp): argument checks with
// PyTorch's shapes, the layer/direction loop around ops::*_recurrence, and
// the sort by length that variable-length batches need (as
// pack_padded_sequence(enforce_sorted=False)).
#include "genlab/nn/rnn.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "genlab/nn/init.hpp"
#include "genlab/ops/ops.hpp"

namespace genlab::nn {

namespace {
int64_t gate_count(RNNBase::Mode m) {
  return m == RNNBase::Mode::lstm ? 4 : m == RNNBase::Mode::gru ? 3 : 1;
}
Tensor uniform_param(Shape s, double bound, DType dtype) {
  Tensor t = Tensor::empty(std::move(s), dtype);
  init::uniform_(t, -bound, bound);
  return t;
}
// An initial state as given, or zeros [layers, B, H]; checked against that shape.
Tensor state_or_zeros(const char* name, const char* what, const Tensor& s, const Shape& want, const Tensor& like) {
  if (!s.defined()) return Tensor::zeros(want, TensorOptions(like.dtype(), like.device()));
  GENLAB_CHECK(s.shape() == want, name, ": ", what, " is ", shape_str(s.shape()), ", expected ", shape_str(want),
               " for input ", shape_str(like.shape()));
  return s;
}
}  // namespace

RNNBase::RNNBase(Mode mode, RNNOptions o) : options(std::move(o)), mode(mode) {
  GENLAB_CHECK(options.input_size > 0 && options.hidden_size > 0 && options.num_layers > 0, name(),
               ": input_size, hidden_size and num_layers must be positive, got ", options.input_size, ", ",
               options.hidden_size, ", ", options.num_layers);
  GENLAB_CHECK(options.dropout >= 0 && options.dropout <= 1, name(), ": dropout must be in [0, 1], got ", options.dropout);
  GENLAB_CHECK(mode == Mode::lstm || mode == Mode::gru || options.nonlinearity == "tanh" || options.nonlinearity == "relu",
               "RNN: nonlinearity must be 'tanh' or 'relu', got '", options.nonlinearity, "'");
  const int64_t G = gate_count(mode) * options.hidden_size, H = options.hidden_size, D = directions();
  const double bound = 1.0 / std::sqrt(double(H));
  for (int64_t k = 0; k < options.num_layers; ++k) {
    for (int64_t d = 0; d < D; ++d) {
      const std::string sfx = "_l" + std::to_string(k) + (d ? "_reverse" : "");
      const int64_t in = k == 0 ? options.input_size : D * H;
      Weights w;
      w.w_ih = register_parameter("weight_ih" + sfx, uniform_param({G, in}, bound, options.dtype));
      w.w_hh = register_parameter("weight_hh" + sfx, uniform_param({G, H}, bound, options.dtype));
      if (options.bias) {
        w.b_ih = register_parameter("bias_ih" + sfx, uniform_param({G}, bound, options.dtype));
        w.b_hh = register_parameter("bias_hh" + sfx, uniform_param({G}, bound, options.dtype));
      }
      weights.push_back(w);
    }
  }
}

const char* RNNBase::name() const { return mode == Mode::lstm ? "LSTM" : mode == Mode::gru ? "GRU" : "RNN"; }

std::tuple<Tensor, Tensor, Tensor> RNNBase::run(const Tensor& input, const Tensor& h0_in, const Tensor& c0_in,
                                                const std::vector<int64_t>& lengths) const {
  using namespace ops;
  const char* nm = name();
  const bool lstm = mode == Mode::lstm;
  GENLAB_CHECK(input.dim() == 2 || input.dim() == 3, nm, ": expected input of 3 dims ([seq, batch, features], or ",
               "[batch, seq, features] with batch_first) or 2 dims (unbatched [seq, features]), got ",
               shape_str(input.shape()));
  const bool unbatched = input.dim() == 2;
  Tensor x = unbatched ? unsqueeze(input, 1) : options.batch_first ? transpose(input, 0, 1) : input;  // [T, B, in]
  const int64_t T = x.shape()[0], B = x.shape()[1], H = options.hidden_size, D = directions();
  const int64_t L = options.num_layers;
  GENLAB_CHECK(x.shape()[2] == options.input_size, nm, ": input ", shape_str(input.shape()), " has ", x.shape()[2],
               " features, but input_size is ", options.input_size);
  GENLAB_CHECK(lstm || !c0_in.defined(), nm, ": only LSTM takes a cell state c0");
  GENLAB_CHECK(h0_in.defined() == c0_in.defined() || !lstm, nm, ": give both h0 and c0, or neither");
  const Shape state_shape = unbatched ? Shape{D * L, H} : Shape{D * L, B, H};
  Tensor h0 = state_or_zeros(nm, "h0", h0_in, state_shape, input), c0;
  if (lstm) c0 = state_or_zeros(nm, "c0", c0_in, state_shape, input);
  if (unbatched) h0 = unsqueeze(h0, 1), c0 = lstm ? unsqueeze(c0, 1) : c0;

  // Variable lengths: rows sorted by decreasing length (stable), so step t runs rows [0, batch_sizes[t]).
  std::vector<int64_t> batch_sizes;
  Tensor perm, inverse;
  if (!lengths.empty()) {
    GENLAB_CHECK(!unbatched, nm, ": lengths need a batched input, got unbatched ", shape_str(input.shape()));
    GENLAB_CHECK(int64_t(lengths.size()) == B, nm, ": ", lengths.size(), " lengths for a batch of ", B, " (input ",
                 shape_str(input.shape()), ")");
    for (size_t b = 0; b < lengths.size(); ++b)
      GENLAB_CHECK(lengths[b] >= 1 && lengths[b] <= T, nm, ": lengths[", b, "] = ", lengths[b],
                   " is out of range for a sequence of ", T, " steps (input ", shape_str(input.shape()),
                   "; each length must be in [1, ", T, "])");
    std::vector<int64_t> order(static_cast<size_t>(B));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return lengths[size_t(a)] > lengths[size_t(b)]; });
    for (int64_t t = 0; t < T; ++t)
      batch_sizes.push_back(std::count_if(lengths.begin(), lengths.end(), [t](int64_t n) { return n > t; }));
    if (!std::is_sorted(order.begin(), order.end())) {
      std::vector<int64_t> inv(static_cast<size_t>(B));
      for (int64_t i = 0; i < B; ++i) inv[size_t(order[size_t(i)])] = i;
      perm = Tensor::from_vector(order, {B}).to(x.device()), inverse = Tensor::from_vector(inv, {B}).to(x.device());
      x = index_select(x, 1, perm), h0 = index_select(h0, 1, perm);
      if (lstm) c0 = index_select(c0, 1, perm);
    }
  }

  Tensor layer = x;
  std::vector<Tensor> hn, cn;
  for (int64_t k = 0; k < L; ++k) {
    std::vector<Tensor> outs;
    for (int64_t d = 0; d < D; ++d) {
      const Weights& w = weights[size_t(k * D + d)];
      const Tensor h0kd = select(h0, 0, k * D + d);
      // b_hh joins the one input GEMM where it simply adds (not GRU's n gate: r scales it)
      Tensor bias = !options.bias ? Tensor() : mode == Mode::gru ? w.b_ih : add(w.b_ih, w.b_hh);
      Tensor gx = linear(layer, w.w_ih, bias), y;
      if (lstm) y = lstm_recurrence(gx, w.w_hh, h0kd, select(c0, 0, k * D + d), batch_sizes, d == 1);
      else if (mode == Mode::gru) y = gru_recurrence(gx, w.w_hh, w.b_hh, h0kd, batch_sizes, d == 1);
      else y = rnn_recurrence(gx, w.w_hh, h0kd, batch_sizes, d == 1, mode == Mode::rnn_relu);
      outs.push_back(slice(y, 0, 0, T));
      hn.push_back(select(y, 0, T));
      if (lstm) cn.push_back(select(y, 0, T + 1));
    }
    layer = D == 1 ? outs[0] : cat(outs, 2);
    if (k + 1 < L && options.dropout > 0) layer = dropout(layer, options.dropout, is_training());
  }
  Tensor out = layer, h_n = stack(hn, 0), c_n = lstm ? stack(cn, 0) : Tensor();
  if (inverse.defined()) {
    out = index_select(out, 1, inverse), h_n = index_select(h_n, 1, inverse);
    if (lstm) c_n = index_select(c_n, 1, inverse);
  }
  if (unbatched) return {squeeze(out, 1), squeeze(h_n, 1), lstm ? squeeze(c_n, 1) : c_n};
  return {options.batch_first ? transpose(out, 0, 1) : out, h_n, c_n};
}

// ---- cells ----
RNNCellBase::RNNCellBase(const char* name, int64_t gates, int64_t input_size, int64_t hidden_size, bool bias, DType dtype)
    : input_size(input_size), hidden_size(hidden_size), name_(name) {
  GENLAB_CHECK(input_size > 0 && hidden_size > 0, name, ": input_size and hidden_size must be positive, got ", input_size,
               ", ", hidden_size);
  const double bound = 1.0 / std::sqrt(double(hidden_size));
  weight_ih = register_parameter("weight_ih", uniform_param({gates * hidden_size, input_size}, bound, dtype));
  weight_hh = register_parameter("weight_hh", uniform_param({gates * hidden_size, hidden_size}, bound, dtype));
  if (bias) {
    bias_ih = register_parameter("bias_ih", uniform_param({gates * hidden_size}, bound, dtype));
    bias_hh = register_parameter("bias_hh", uniform_param({gates * hidden_size}, bound, dtype));
  }
}

std::pair<Tensor, Tensor> RNNCellBase::batched(const Tensor& x, const Tensor& state, bool& unbatched) const {
  GENLAB_CHECK((x.dim() == 1 || x.dim() == 2) && x.shape().back() == input_size, name_, ": input ",
               shape_str(x.shape()), " must be [batch, ", input_size, "] or [", input_size, "]");
  unbatched = x.dim() == 1;
  Tensor xb = unbatched ? ops::unsqueeze(x, 0) : x;
  const Shape want = unbatched ? Shape{hidden_size} : Shape{xb.shape()[0], hidden_size};
  Tensor s = state_or_zeros(name_, "the state", state, want, x);
  return {xb, unbatched ? ops::unsqueeze(s, 0) : s};
}

RNNCell::RNNCell(int64_t input_size, int64_t hidden_size, bool bias, std::string nl, DType dtype)
    : RNNCellBase("RNNCell", 1, input_size, hidden_size, bias, dtype), nonlinearity(std::move(nl)) {
  GENLAB_CHECK(nonlinearity == "tanh" || nonlinearity == "relu", "RNNCell: nonlinearity must be 'tanh' or 'relu', got '",
               nonlinearity, "'");
}

Tensor RNNCell::forward(const Tensor& x, const Tensor& h) const {
  bool unbatched;
  auto [xb, hb] = batched(x, h, unbatched);
  Tensor pre = ops::add(ops::linear(xb, weight_ih, bias_ih), ops::linear(hb, weight_hh, bias_hh));
  Tensor out = nonlinearity == "relu" ? ops::relu(pre) : ops::tanh(pre);
  return unbatched ? ops::squeeze(out, 0) : out;
}

Tensor GRUCell::forward(const Tensor& x, const Tensor& h) const {
  bool unbatched;
  auto [xb, hb] = batched(x, h, unbatched);
  Tensor out = ops::gru_cell_pointwise(ops::linear(xb, weight_ih, bias_ih), ops::linear(hb, weight_hh, bias_hh), hb);
  return unbatched ? ops::squeeze(out, 0) : out;
}

std::pair<Tensor, Tensor> LSTMCell::forward(const Tensor& x, const std::pair<Tensor, Tensor>& state) const {
  GENLAB_CHECK(state.first.defined() == state.second.defined(), "LSTMCell: give both h and c, or neither");
  bool unbatched;
  auto [xb, hb] = batched(x, state.first, unbatched);
  auto [xb2, cb] = batched(x, state.second, unbatched);
  auto [h, c] = ops::lstm_cell_pointwise(ops::linear(xb, weight_ih, bias_ih), ops::linear(hb, weight_hh, bias_hh), cb);
  if (unbatched) return {ops::squeeze(h, 0), ops::squeeze(c, 0)};
  return {h, c};
}

}  // namespace genlab::nn
