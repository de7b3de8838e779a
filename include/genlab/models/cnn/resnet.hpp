// A small ResNet (He et al. 2016) of BasicBlocks for small images, with
// torchvision's state-dict names (conv1, bn1, layer1.0.conv1, layer2.0.downsample.0, fc).
//   input [N, in_channels, S, S] float32 -> logits [N, classes]
//   stem:   Conv2d(in, w0, 3, padding 1, no bias), BatchNorm2d, ReLU
//   layerK: blocks[K] BasicBlocks of width widths[K]; the first of each later layer has stride 2
//   head:   AdaptiveAvgPool2d(1), Linear(widths.back(), classes)
// BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); the shortcut is
// Conv2d 1x1 (stride) + BatchNorm2d where the shape changes, else the identity.
#pragma once
#include <vector>

#include "genlab/nn/nn.hpp"

namespace genlab::models {

class BasicBlock : public nn::Module {
 public:
  BasicBlock(int64_t in, int64_t out, int64_t stride);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Conv2d> conv1, conv2;
  std::shared_ptr<nn::BatchNorm2d> bn1, bn2;
  std::shared_ptr<nn::Sequential> downsample;  // null: identity shortcut
};

struct ResNetOptions {
  std::vector<int64_t> widths{16, 32, 64};
  std::vector<int64_t> blocks{2, 2, 2};
};

class ResNet : public nn::Module {
 public:
  ResNet(int64_t in_channels, int64_t classes, const ResNetOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm2d> bn1;
  std::vector<std::shared_ptr<nn::Sequential>> layers;
  std::shared_ptr<nn::Linear> fc;
};

}  // namespace genlab::models
