// MLP classifier (Linear-ReLU stacks), trained by train::fit (genlab/train/trainer.hpp)
// in `genlab train mlp` and tutorials/01_mlp_fashion_mnist.
//   input [N, in] float32 -> logits [N, classes]; children named like
//   torch.nn.Sequential: "0.weight", "0.bias", "2.weight", ...
#pragma once
#include <vector>

#include "genlab/nn/nn.hpp"

namespace genlab::models {

class MLP : public nn::Sequential {
 public:
  explicit MLP(const std::vector<int64_t>& sizes);  // e.g. {784, 256, 128, 10}
};

}  // namespace genlab::models
