#include <genlab/genlab.hpp>
#include <iostream>

int main() {
  genlab::Tensor x = genlab::Tensor::ones({2, 3});
  genlab::Tensor y = genlab::ops::sum(x * 2.0);
  std::cout << y.item() << "\n";
  return y.item() == 12.0 ? 0 : 1;
}
