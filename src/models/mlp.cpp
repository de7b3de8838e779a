#include "genlab/models/mlp.hpp"

namespace genlab::models {

MLP::MLP(const std::vector<int64_t>& sizes) {
  GENLAB_CHECK(sizes.size() >= 2, "MLP: need at least input and output sizes, got ", sizes.size());
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    push_back(std::make_shared<nn::Linear>(sizes[i], sizes[i + 1]));
    if (i + 2 < sizes.size()) push_back(std::make_shared<nn::ReLU>());
  }
}

}  // namespace genlab::models
