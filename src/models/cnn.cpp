// The CNN family: LeNet-5 and the VGG-style net (include/genlab/models/cnn/).
#include "genlab/models/cnn/lenet.hpp"
#include "genlab/models/cnn/vgg.hpp"

namespace genlab::models {

namespace {
template <class M, class... A>
std::shared_ptr<nn::Module> make(A&&... args) { return std::make_shared<M>(std::forward<A>(args)...); }

void check_image(const char* model, int64_t in_channels, int64_t classes, int64_t image_size, int64_t min_size) {
  GENLAB_CHECK(in_channels > 0 && classes > 0, model, ": in_channels and classes must be positive, got ", in_channels,
               " and ", classes);
  GENLAB_CHECK(image_size >= min_size, model, ": images of ", image_size, "x", image_size, " are too small; the layers need at least ",
               min_size, "x", min_size);
}
}  // namespace

LeNet5::LeNet5(int64_t in_channels, int64_t classes, int64_t image_size) {
  check_image("LeNet5", in_channels, classes, image_size, 12);
  const int64_t s = (image_size / 2 - 4) / 2;
  features = register_module("features", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      make<nn::Conv2d>(in_channels, 6, 5, 1, 2), make<nn::ReLU>(), make<nn::MaxPool2d>(2),
      make<nn::Conv2d>(6, 16, 5), make<nn::ReLU>(), make<nn::MaxPool2d>(2)}));
  classifier = register_module("classifier", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      make<nn::Linear>(16 * s * s, 120), make<nn::ReLU>(), make<nn::Linear>(120, 84), make<nn::ReLU>(),
      make<nn::Linear>(84, classes)}));
}

Tensor LeNet5::forward(const Tensor& x) { return classifier->forward(ops::flatten(features->forward(x), 1)); }

VGG::VGG(int64_t in_channels, int64_t classes, int64_t image_size, const VGGOptions& o) {
  GENLAB_CHECK(!o.channels.empty() && o.convs_per_stage > 0 && o.hidden > 0, "VGG: need at least one stage, one conv per stage and a hidden size, got ",
               o.channels.size(), " stages, ", o.convs_per_stage, " convs per stage, hidden ", o.hidden);
  check_image("VGG", in_channels, classes, image_size, int64_t(1) << o.channels.size());
  features = register_module("features", std::make_shared<nn::Sequential>());
  int64_t c = in_channels, s = image_size;
  for (int64_t out : o.channels) {
    for (int64_t i = 0; i < o.convs_per_stage; ++i, c = out) {
      features->push_back(make<nn::Conv2d>(c, out, 3, 1, 1));
      features->push_back(make<nn::ReLU>());
    }
    features->push_back(make<nn::MaxPool2d>(2));
    s /= 2;
  }
  classifier = register_module("classifier", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      make<nn::Linear>(c * s * s, o.hidden), make<nn::ReLU>(), make<nn::Dropout>(o.dropout), make<nn::Linear>(o.hidden, classes)}));
}

Tensor VGG::forward(const Tensor& x) { return classifier->forward(ops::flatten(features->forward(x), 1)); }

}  // namespace genlab::models
