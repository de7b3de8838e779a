// Data: an in-memory dataset of (inputs, targets) tensors, a DataLoader that
// shuffles with a seed, batches, drops the last partial batch on request and
// prepares the next batch on a background thread; Fashion-MNIST from Debian's
// dataset-fashion-mnist; a progress bar that stays quiet off a terminal.
#pragma once
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "genlab/core/tensor.hpp"

namespace genlab::data {

struct Batch {
  Tensor x, y;
};

// Rows of x and y (same first dim), on the CPU or a CUDA device (rows are then
// gathered on that device).
struct TensorDataset {
  Tensor x, y;
  TensorDataset(Tensor x, Tensor y);
  int64_t size() const { return x.shape()[0]; }
  Batch get(const std::vector<int64_t>& rows) const;
};

// Background prefetch builds the next batch on another thread. It pays only when a
// core is free: with every core in the compute pool the extra thread slows the
// OpenMP barriers (measured: 2-thread MLP epoch 0.61 s with it, 0.45 s without).
enum class Prefetch { automatic, on, off };

// Applied to each batch as it is made (on the prefetch thread when prefetching),
// e.g. data::augment (augment.hpp). `seed` is drawn from (the loader's seed,
// epoch, batch index), so a transform's randomness does not depend on threads.
using Transform = std::function<Batch(Batch, uint64_t seed)>;

struct LoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true;
  bool drop_last = false;
  uint64_t seed = 0;                        // epoch e shuffles with Philox(seed, e)
  Prefetch prefetch = Prefetch::automatic;  // on when num_threads() < hardware threads
  Transform transform = nullptr;            // none when empty
};

// Holds its own TensorDataset (a pair of tensor handles: copying one copies no
// data), so a loader over a temporary dataset is safe. The prefetch task captures
// the dataset and the epoch's order by value, never the loader, so a loader may be
// moved while a batch is being prepared.
class DataLoader {
 public:
  DataLoader(TensorDataset ds, LoaderOptions o) : ds_(std::move(ds)), opt_(o) {
    GENLAB_CHECK(o.batch_size > 0, "DataLoader: batch_size must be positive, got ", o.batch_size);
  }
  DataLoader(DataLoader&&) noexcept = default;
  DataLoader& operator=(DataLoader&&) noexcept = default;  // waits for the replaced loader's pending batch
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t num_batches() const {
    return opt_.drop_last ? ds_.size() / opt_.batch_size : (ds_.size() + opt_.batch_size - 1) / opt_.batch_size;
  }
  const TensorDataset& dataset() const { return ds_; }
  // Starts an epoch; call next() until it returns nullopt.
  void start_epoch(uint64_t epoch);
  std::optional<Batch> next();

 private:
  std::future<Batch> launch(int64_t b) const;
  TensorDataset ds_;
  LoaderOptions opt_;
  std::shared_ptr<const std::vector<int64_t>> order_ = std::make_shared<std::vector<int64_t>>();
  int64_t cursor_ = 0;
  uint64_t epoch_ = 0;
  bool prefetch_epoch_ = false;
  std::future<Batch> pending_;
};

// split = "train" (60000) or "test" (10000): x float32 [N, 784] in [0, 1], y int64 [N].
TensorDataset fashion_mnist(const std::string& split, const std::string& dir = "");
std::string fashion_mnist_dir();  // $GENLAB_FASHION_MNIST or /usr/share/datasets/fashion-mnist

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  void update(int64_t done, double loss);
  void finish();
 private:
  std::string label_;
  int64_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace genlab::data
