#include "genlab/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "genlab/backend/cuda.hpp"
#include "genlab/io/checkpoint.hpp"
#include "genlab/ops/ops.hpp"
#include "genlab/optim/optim.hpp"

namespace genlab::train {

std::string Result::energy_str() const { return gpu_energy ? energy::str({*gpu_energy, energy}) : energy.str(); }

double Result::metric(const std::string& name) const {
  if (auto it = metrics.find(name); it != metrics.end()) return it->second;
  std::string have;
  for (const auto& [k, v] : metrics) have += (have.empty() ? "" : ", ") + k;
  GENLAB_FAIL("no metric '", name, "' (the task measured: ", have.empty() ? "none" : have, ")");
}

namespace {

void check_options(const Options& o) {
  GENLAB_CHECK(o.epochs >= 0, "train: epochs must be >= 0, got ", o.epochs);
  GENLAB_CHECK(o.batch_size > 0, "train: batch size must be positive, got ", o.batch_size);
  GENLAB_CHECK(std::isfinite(o.lr) && o.lr > 0, "train: the learning rate must be a positive number, got ", o.lr);
  GENLAB_CHECK(o.warmup_steps >= 0, "train: warmup steps must be >= 0, got ", o.warmup_steps);
  GENLAB_CHECK(std::isfinite(o.clip_grad_norm) && o.clip_grad_norm >= 0,
               "train: clip_grad_norm must be >= 0 (0: off), got ", o.clip_grad_norm);
  GENLAB_CHECK(!o.resume || !o.checkpoint.empty(), "train: resume needs a checkpoint path");
}

}  // namespace

Result fit(nn::Module& model, const data::TensorDataset& train, const Task& task, const Options& o) {
  check_options(o);
  GENLAB_CHECK(bool(task.loss), "train: the task has no loss");
  model.to(o.device);
  optim::Adam opt(model.parameters(), {.lr = o.lr});
  int64_t first_epoch = 0;
  if (o.resume) {
    GENLAB_CHECK(std::filesystem::exists(o.checkpoint), "train: cannot resume, checkpoint '", o.checkpoint,
                 "' does not exist");
    auto meta = io::load_checkpoint(o.checkpoint, model, &opt);
    GENLAB_CHECK(meta.count("epoch"), "train: checkpoint '", o.checkpoint, "' records no epoch to resume from");
    first_epoch = std::stoll(meta["epoch"]);
    model.to(o.device);
  }
  data::DataLoader loader(train, {.batch_size = o.batch_size, .shuffle = true, .drop_last = false, .seed = o.seed,
                                  .transform = o.transform});
  Result res;
  // a GPU run meters the GPU and the host (which drives it) apart
  const bool gpu = o.device.is_cuda();
  energy::Meter meter = gpu ? energy::Meter::host() : energy::Meter();
  std::optional<energy::Meter> gpu_meter;
  if (gpu) gpu_meter = energy::Meter::cuda_device();
  meter.start();
  if (gpu_meter) gpu_meter->start();
  model.train();
  const int64_t total_steps = o.epochs * loader.num_batches();
  int64_t step = first_epoch * loader.num_batches();
  for (int64_t ep = first_epoch; ep < o.epochs; ++ep) {
    const auto t0 = std::chrono::steady_clock::now();
    loader.start_epoch(uint64_t(ep));
    std::optional<data::ProgressBar> bar;
    if (o.verbose) bar.emplace("epoch " + std::to_string(ep + 1), loader.num_batches());
    double loss_sum = 0;
    int64_t nb = 0;
    while (auto batch = loader.next()) {
      if (o.schedule == Schedule::cosine) opt.set_lr(optim::warmup_cosine_lr(step, o.warmup_steps, total_steps, o.lr));
      data::Batch b{batch->x.to(o.device), batch->y.to(o.device)};
      Tensor loss = task.loss(model, b);
      const double value = loss.item<double>();
      GENLAB_CHECK(std::isfinite(value), "train: the loss is ", value, " at step ", step, " (epoch ", ep + 1,
                   ", batch ", nb + 1, "); stopped before the optimizer took it",
                   o.checkpoint.empty() ? std::string() : "; the last good checkpoint '" + o.checkpoint + "' is kept");
      opt.zero_grad();
      loss.backward();
      if (o.clip_grad_norm > 0) optim::clip_grad_norm_(model.parameters(), o.clip_grad_norm);
      opt.step();
      ++step;
      loss_sum += value;
      ++nb;
      if (bar) bar->update(nb, loss_sum / double(nb));
    }
    if (bar) bar->finish();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EpochStats st{ep + 1, loss_sum / double(std::max<int64_t>(nb, 1)), secs, {}};
    if (task.evaluate) st.metrics = task.evaluate(model);
    if (o.verbose) {
      std::printf("epoch %2lld  loss %.4f", (long long)st.epoch, st.train_loss);
      for (const auto& [k, v] : st.metrics) std::printf("  %s %.4f", k.c_str(), v);
      std::printf("  (%.2f s)\n", secs);
    }
    res.epochs.push_back(st);
    if (!o.checkpoint.empty()) {
      std::map<std::string, std::string> meta{{"epoch", std::to_string(ep + 1)}};
      for (const auto& [k, v] : st.metrics) meta[k] = std::to_string(v);
      io::save_checkpoint(o.checkpoint, model, &opt, meta);
    }
  }
  if (gpu_meter) {
    cuda::synchronize();  // the GPU's work is done before its counter is read
    res.gpu_energy = gpu_meter->stop();
  }
  res.energy = meter.stop();
  if (!res.epochs.empty()) res.metrics = res.epochs.back().metrics;
  else if (task.evaluate) res.metrics = task.evaluate(model);
  return res;
}

Task regression(const data::TensorDataset& test) {
  auto mse = [](nn::Module& m, const data::Batch& b) { return ops::mse_loss(m.forward(b.x), b.y); };
  return {mse, [test, mse](nn::Module& m) { return std::map<std::string, double>{{"test_mse", mean_loss(m, test, mse)}}; }};
}

namespace {
// Calls fn(batch on the model's device, its first row) over consecutive batches of ds,
// in eval mode and without gradients; the model's mode is restored after.
template <class F>
void for_each_eval_batch(nn::Module& model, const data::TensorDataset& ds, int64_t batch_size, F&& fn) {
  GENLAB_CHECK(batch_size > 0, "evaluation batch_size must be positive, got ", batch_size);
  autograd::NoGradGuard ng;
  const bool was_training = model.is_training();
  model.eval();
  const auto params = model.parameters();
  const Device device = params.empty() ? Device::cpu() : params[0].device();
  for (int64_t s = 0; s < ds.size(); s += batch_size) {
    const int64_t e = std::min(ds.size(), s + batch_size);
    fn(data::Batch{ops::slice(ds.x, 0, s, e).to(device), ops::slice(ds.y, 0, s, e).to(device)}, s);
  }
  model.train(was_training);
}
}  // namespace

double mean_loss(nn::Module& model, const data::TensorDataset& ds, const LossFn& loss, int64_t batch_size) {
  double total = 0;
  for_each_eval_batch(model, ds, batch_size, [&](const data::Batch& b, int64_t) {
    total += ops::to(loss(model, b), DType::f64).item<double>() * double(b.x.shape()[0]);
  });
  return total / double(std::max<int64_t>(ds.size(), 1));
}

double accuracy(nn::Module& model, const data::TensorDataset& ds, int64_t batch_size) {
  int64_t correct = 0;
  for_each_eval_batch(model, ds, batch_size, [&](const data::Batch& b, int64_t first) {
    Tensor pred = ops::argmax(model.forward(b.x), 1).to(Device::cpu());
    const int64_t* p = pred.data<int64_t>();
    const int64_t* y = ds.y.data<int64_t>() + first;
    for (int64_t i = 0; i < pred.numel(); ++i) correct += p[i] == y[i];
  });
  return double(correct) / double(std::max<int64_t>(ds.size(), 1));
}

Task classification(const data::TensorDataset& test) {
  return {[](nn::Module& m, const data::Batch& b) { return ops::cross_entropy(m.forward(b.x), b.y); },
          [test](nn::Module& m) { return std::map<std::string, double>{{"test_accuracy", accuracy(m, test)}}; }};
}

}  // namespace genlab::train
