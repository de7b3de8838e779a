// The one training loop every model family uses. The family supplies its loss
// on a batch and its metrics; the loop owns the rest: Adam, the learning-rate
// schedule, gradient clipping, the progress bar, the energy meter, evaluation
// after each epoch, checkpoints (weights, optimizer state and the epoch, written
// atomically after each epoch) and resuming from one.
//
// A non-finite loss stops the run with a genlab::Error that names the step,
// before the optimizer takes it, so the weights and the last checkpoint stay
// those of the last good epoch.
//
//   train::Options o{.epochs = 5, .checkpoint = "run.safetensors"};
//   auto res = train::fit(model, train_set, train::classification(test_set), o);
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "genlab/data/data.hpp"
#include "genlab/energy/meter.hpp"
#include "genlab/nn/module.hpp"

namespace genlab::train {

enum class Schedule { constant, cosine };  // cosine: optim::warmup_cosine_lr to 0 over the run

struct Options {
  int64_t epochs = 10, batch_size = 128;
  double lr = 1e-3;
  Schedule schedule = Schedule::cosine;
  int64_t warmup_steps = 0;
  double clip_grad_norm = 0;  // > 0: scale gradients to this global L2 norm at most
  uint64_t seed = 0;          // shuffling (the model's init is the caller's: manual_seed before building it)
  bool verbose = true;        // a line per epoch, and the progress bar
  Device device = Device::cpu();  // the model is moved there (Module::to); batches follow
  std::string checkpoint;     // written after each epoch when not empty
  bool resume = false;        // start from `checkpoint`: weights, optimizer state, next epoch
  data::Transform transform = nullptr;  // augmentation of each training batch (data/augment.hpp), in the prefetch
};

// What a family supplies: its loss on one batch (already on the model's device)
// and the metrics measured after each epoch (e.g. {"test_accuracy", 0.91}).
struct Task {
  std::function<Tensor(nn::Module&, const data::Batch&)> loss;
  std::function<std::map<std::string, double>(nn::Module&)> evaluate;
};

struct EpochStats {
  int64_t epoch;  // from 1
  double train_loss, seconds;
  std::map<std::string, double> metrics;
};

struct Result {
  std::vector<EpochStats> epochs;  // this run's epochs (after a resume, only the new ones)
  std::map<std::string, double> metrics;  // after the last epoch (measured anew when no epoch ran)
  energy::Reading energy;          // the host's (scoped "host" on a GPU run)
  // On a CUDA run, the GPU's own reading (NVML, or "unavailable: <why>").
  std::optional<energy::Reading> gpu_energy;
  // Every reading with its source: "25.1 J (nvml, GPU) + 180 J (estimate, host: 10 W per busy core)".
  std::string energy_str() const;
  double metric(const std::string& name) const;  // metrics[name], or an error naming the ones there are
};

Result fit(nn::Module& model, const data::TensorDataset& train, const Task& task, const Options& o);

// Classification: cross-entropy on logits [N, C] against int64 labels, and
// test accuracy after each epoch ("test_accuracy").
Task classification(const data::TensorDataset& test);

// Regression: mean squared error against float targets shaped as the output, and
// its value on `test` after each epoch ("test_mse").
Task regression(const data::TensorDataset& test);

// Fraction of correct argmax predictions, computed on the model's device.
double accuracy(nn::Module& model, const data::TensorDataset& ds, int64_t batch_size = 1000);

// A per-row mean loss over a whole data set (eval mode, no gradients): the batches'
// means weighted by their rows.
using LossFn = std::function<Tensor(nn::Module&, const data::Batch&)>;
double mean_loss(nn::Module& model, const data::TensorDataset& ds, const LossFn& loss, int64_t batch_size = 1000);

}  // namespace genlab::train
