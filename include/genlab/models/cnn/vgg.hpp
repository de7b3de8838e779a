// A VGG-style network (Simonyan & Zisserman 2015) sized for small images:
// stages of 3x3 convolutions (padding 1) and ReLU, each stage ending in a 2x2
// max pool, then a two-layer classifier.
//   input [N, in_channels, S, S] float32 -> logits [N, classes]
//   features:   per stage c in `channels`: convs_per_stage x (Conv2d(., c, 3, padding 1), ReLU), MaxPool2d(2)
//   classifier: Linear(c_last * s * s, hidden), ReLU, Dropout(dropout), Linear(hidden, classes); s = S / 2^stages
// State-dict names are those of torch.nn.Sequential ("features.0.weight", "classifier.3.bias").
#pragma once
#include <vector>

#include "genlab/nn/nn.hpp"

namespace genlab::models {

struct VGGOptions {
  std::vector<int64_t> channels{32, 64};
  int64_t convs_per_stage = 2;
  int64_t hidden = 256;
  double dropout = 0.5;
};

class VGG : public nn::Module {
 public:
  VGG(int64_t in_channels, int64_t classes, int64_t image_size, const VGGOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Sequential> features, classifier;
};

}  // namespace genlab::models
