// MLP classifier (Linear-ReLU stacks) and the train/evaluate loop used by
// `genlab train mlp` and tutorials/01_mlp_fashion_mnist.
//   input [N, in] float32 -> logits [N, classes]; children named like
//   torch.nn.Sequential: "0.weight", "0.bias", "2.weight", ...
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "genlab/data/data.hpp"
#include "genlab/energy/meter.hpp"
#include "genlab/nn/nn.hpp"

namespace genlab::models {

class MLP : public nn::Sequential {
 public:
  explicit MLP(const std::vector<int64_t>& sizes);  // e.g. {784, 256, 128, 10}
};

struct TrainOptions {
  int64_t epochs = 10, batch_size = 128;
  double lr = 1e-3;
  bool cosine = true;  // decay lr to 0 over the run (optim::warmup_cosine_lr)
  uint64_t seed = 0;
  bool verbose = true;
  Device device = Device::cpu();  // the model is moved there (Module::to); batches follow
};

struct EpochStats {
  int64_t epoch;
  double train_loss, test_accuracy, seconds;
};

struct TrainResult {
  std::vector<EpochStats> epochs;
  double test_accuracy = 0;
  energy::Reading energy;  // the host's (scoped "host" on a GPU run)
  // On a CUDA run, the GPU's own reading (NVML, or "unavailable: <why>").
  std::optional<energy::Reading> gpu_energy;
  // Every reading with its source: "25.1 J (nvml, GPU) + 180 J (estimate, host: 10 W per busy core)".
  std::string energy_str() const;
};

// Adam + cross-entropy on `train`, evaluating accuracy on `test` after each epoch.
TrainResult train_classifier(nn::Module& model, const data::TensorDataset& train, const data::TensorDataset& test,
                             const TrainOptions& o, const std::string& checkpoint = "");

// Fraction of correct argmax predictions, computed on the model's device.
double accuracy(nn::Module& model, const data::TensorDataset& ds, int64_t batch_size = 1000);

}  // namespace genlab::models
