// docs/rnn.md's example, built and run by ctest (docs_rnn_example_runs): an LSTM
// reads sequences of different lengths and learns their sums.
#include <genlab/genlab.hpp>
#include <iostream>
using namespace genlab;

int main() {
  manual_seed(0);
  nn::LSTM lstm(nn::RNNOptions{.input_size = 1, .hidden_size = 16, .batch_first = true});
  nn::Linear head(16, 1);
  auto params = lstm.parameters();
  for (auto& p : head.parameters()) params.push_back(p);
  optim::Adam opt(params, {.lr = 1e-2});

  const std::vector<int64_t> lengths = {10, 3, 7, 1, 10, 5, 8, 2};  // any order
  Tensor x = Tensor::rand({8, 10, 1});                             // [batch, seq, features]
  std::vector<float> sums;
  for (int64_t b = 0; b < 8; ++b)
    sums.push_back(ops::sum(x.slice(0, b, b + 1).slice(1, 0, lengths[size_t(b)])).item());
  Tensor target = Tensor::from_vector(sums, {8, 1});

  for (int step = 0; step <= 300; ++step) {
    auto [out, state] = lstm.forward(x, {}, lengths);  // out [8, 10, 16], zero past each length
    Tensor h_n = state.first.select(0, 0);             // [8, 16]: each sample's state at its last step
    Tensor loss = ops::mse_loss(head(h_n), target);
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (step % 100 == 0) std::cout << "step " << step << " loss " << loss.item() << "\n";
  }
  lstm.save("lstm.safetensors");  // names as torch.nn.LSTM's state_dict: weight_ih_l0, ...
}
