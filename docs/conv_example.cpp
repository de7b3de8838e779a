// docs/conv.md's example, built and run by ctest (docs_conv_example_runs): a small
// CNN learns to tell images of a horizontal bar from images of a vertical one.
#include <genlab/genlab.hpp>
#include <iostream>
using namespace genlab;

// n noisy 8x8 images [n, 1, 8, 8], each with one bar: a row (label 0) or a column (label 1).
data::TensorDataset bars(int64_t n) {
  const std::vector<float> noise = Tensor::rand({n, 64}).to_vector<float>(), pick = Tensor::rand({n, 2}).to_vector<float>();
  std::vector<float> pixels(size_t(n * 64));
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (size_t i = 0; i < size_t(n); ++i) {
    const int64_t label = pick[2 * i] < 0.5f, at = int64_t(pick[2 * i + 1] * 8);
    labels[i] = label;
    for (int64_t r = 0; r < 8; ++r)
      for (int64_t c = 0; c < 8; ++c)
        pixels[i * 64 + size_t(r * 8 + c)] = 0.5f * noise[i * 64 + size_t(r * 8 + c)] + ((label ? c : r) == at ? 1.f : 0.f);
  }
  return {Tensor::from_vector(pixels, {n, 1, 8, 8}), Tensor::from_vector(labels, {n})};
}

int main() {
  manual_seed(0);
  nn::Sequential net{std::make_shared<nn::Conv2d>(1, 8, 3, 1, 1),  // in, out, kernel, stride, padding
                     std::make_shared<nn::BatchNorm2d>(8), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::MaxPool2d>(2),                  // [n, 8, 4, 4]
                     std::make_shared<nn::Conv2d>(8, 16, 3, 1, "same"),  // [n, 16, 4, 4]
                     std::make_shared<nn::ReLU>(), std::make_shared<nn::AdaptiveAvgPool2d>(1),
                     std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(16, 2)};
  optim::Adam opt(net.parameters(), {.lr = 1e-2});
  const data::TensorDataset train = bars(256), test = bars(256);
  for (int step = 0; step <= 100; ++step) {
    Tensor loss = ops::cross_entropy(net(train.x), train.y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (step % 50 == 0) std::cout << "step " << step << " loss " << loss.item() << "\n";
  }
  std::cout << "test accuracy " << train::accuracy(net, test) << "\n";  // eval mode: BatchNorm's running statistics
}
