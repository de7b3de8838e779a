#include <genlab/genlab.hpp>
#include <iostream>
using namespace genlab;

int main() {
  manual_seed(0);
  nn::Sequential net{std::make_shared<nn::Linear>(4, 16), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Linear>(16, 3)};
  optim::Adam opt(net.parameters(), {.lr = 1e-2});
  Tensor x = Tensor::randn({32, 4});
  Tensor y = ops::argmax(x.slice(1, 0, 3), 1);  // learn which of the first 3 features is largest
  for (int step = 0; step < 200; ++step) {
    Tensor loss = ops::cross_entropy(net(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (step % 50 == 0) std::cout << "step " << step << " loss " << loss.item() << "\n";
  }
  net.save("tiny.safetensors");
}
