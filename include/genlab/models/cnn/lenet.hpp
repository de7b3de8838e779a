// LeNet-5 (LeCun et al. 1998) as it is used today: ReLU and max pooling in
// place of the scaled tanh and subsampling, trained by train::fit.
//   input [N, in_channels, S, S] float32 -> logits [N, classes]
//   features:   Conv2d(in, 6, 5, padding 2), ReLU, MaxPool2d(2), Conv2d(6, 16, 5), ReLU, MaxPool2d(2)
//   classifier: Linear(16 * s * s, 120), ReLU, Linear(120, 84), ReLU, Linear(84, classes), s = (S / 2 - 4) / 2
// State-dict names are those of the same torch.nn.Sequential pair ("features.0.weight",
// "classifier.4.bias"), so the PyTorch model of tests/parity/make_cnn_fixtures.py loads by name.
#pragma once
#include "genlab/nn/nn.hpp"

namespace genlab::models {

class LeNet5 : public nn::Module {
 public:
  explicit LeNet5(int64_t in_channels = 1, int64_t classes = 10, int64_t image_size = 28);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Sequential> features, classifier;
};

}  // namespace genlab::models
