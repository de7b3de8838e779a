// The small ResNet of include/genlab/models/cnn/resnet.hpp.
#include "genlab/models/cnn/resnet.hpp"

namespace genlab::models {

BasicBlock::BasicBlock(int64_t in, int64_t out, int64_t stride) {
  conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(in, out, 3, stride, 1, 1, 1, false));
  bn1 = register_module("bn1", std::make_shared<nn::BatchNorm2d>(out));
  conv2 = register_module("conv2", std::make_shared<nn::Conv2d>(out, out, 3, 1, 1, 1, 1, false));
  bn2 = register_module("bn2", std::make_shared<nn::BatchNorm2d>(out));
  if (stride != 1 || in != out)
    downsample = register_module("downsample", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        std::make_shared<nn::Conv2d>(in, out, 1, stride, 0, 1, 1, false), std::make_shared<nn::BatchNorm2d>(out)}));
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor h = ops::relu(bn1->forward(conv1->forward(x)));
  h = bn2->forward(conv2->forward(h));
  return ops::relu(ops::add(h, downsample ? downsample->forward(x) : x));
}

ResNet::ResNet(int64_t in_channels, int64_t classes, const ResNetOptions& o) {
  GENLAB_CHECK(!o.widths.empty() && o.widths.size() == o.blocks.size(), "ResNet: widths and blocks need one entry per layer, got ",
               o.widths.size(), " widths and ", o.blocks.size(), " block counts");
  GENLAB_CHECK(in_channels > 0 && classes > 0, "ResNet: in_channels and classes must be positive, got ", in_channels, " and ", classes);
  conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(in_channels, o.widths[0], 3, 1, 1, 1, 1, false));
  bn1 = register_module("bn1", std::make_shared<nn::BatchNorm2d>(o.widths[0]));
  int64_t c = o.widths[0];
  for (size_t l = 0; l < o.widths.size(); ++l) {
    GENLAB_CHECK(o.blocks[l] > 0 && o.widths[l] > 0, "ResNet: layer ", l + 1, " needs a positive width and block count, got ",
                 o.widths[l], " and ", o.blocks[l]);
    auto layer = register_module("layer" + std::to_string(l + 1), std::make_shared<nn::Sequential>());
    for (int64_t b = 0; b < o.blocks[l]; ++b, c = o.widths[l])
      layer->push_back(std::make_shared<BasicBlock>(c, o.widths[l], b == 0 && l > 0 ? 2 : 1));
    layers.push_back(layer);
  }
  fc = register_module("fc", std::make_shared<nn::Linear>(c, classes));
}

Tensor ResNet::forward(const Tensor& x) {
  Tensor h = ops::relu(bn1->forward(conv1->forward(x)));
  for (auto& layer : layers) h = layer->forward(h);
  return fc->forward(ops::flatten(ops::adaptive_avg_pool2d(h, 1), 1));
}

}  // namespace genlab::models
