#include "genlab/models/mlp.hpp"

#include <chrono>
#include <cstdio>

#include "genlab/backend/cuda.hpp"
#include "genlab/io/checkpoint.hpp"
#include "genlab/optim/optim.hpp"

namespace genlab::models {

MLP::MLP(const std::vector<int64_t>& sizes) {
  GENLAB_CHECK(sizes.size() >= 2, "MLP: need at least input and output sizes, got ", sizes.size());
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    push_back(std::make_shared<nn::Linear>(sizes[i], sizes[i + 1]));
    if (i + 2 < sizes.size()) push_back(std::make_shared<nn::ReLU>());
  }
}

double accuracy(nn::Module& model, const data::TensorDataset& ds, int64_t batch_size) {
  autograd::NoGradGuard ng;
  bool was_training = model.is_training();
  model.eval();
  const auto params = model.parameters();
  const Device device = params.empty() ? Device::cpu() : params[0].device();
  int64_t correct = 0;
  for (int64_t s = 0; s < ds.size(); s += batch_size) {
    int64_t e = std::min(ds.size(), s + batch_size);
    Tensor pred = ops::argmax(model.forward(ops::slice(ds.x, 0, s, e).to(device)), 1).to(Device::cpu());
    const int64_t* p = pred.data<int64_t>();
    const int64_t* y = ds.y.data<int64_t>() + s;
    for (int64_t i = 0; i < e - s; ++i) correct += p[i] == y[i];
  }
  model.train(was_training);
  return double(correct) / double(std::max<int64_t>(ds.size(), 1));
}

std::string TrainResult::energy_str() const {
  return gpu_energy ? energy::str({*gpu_energy, energy}) : energy.str();
}

TrainResult train_classifier(nn::Module& model, const data::TensorDataset& train, const data::TensorDataset& test,
                             const TrainOptions& o, const std::string& checkpoint) {
  model.to(o.device);
  optim::Adam opt(model.parameters(), {.lr = o.lr});
  data::DataLoader loader(train, {.batch_size = o.batch_size, .shuffle = true, .drop_last = false, .seed = o.seed});
  TrainResult res;
  // a GPU run meters the GPU and the host (which drives it) apart
  const bool gpu = o.device.is_cuda();
  energy::Meter meter = gpu ? energy::Meter::host() : energy::Meter();
  std::optional<energy::Meter> gpu_meter;
  if (gpu) gpu_meter = energy::Meter::cuda_device();
  meter.start();
  if (gpu_meter) gpu_meter->start();
  model.train();
  const int64_t total_steps = o.epochs * loader.num_batches();
  int64_t step = 0;
  for (int64_t ep = 0; ep < o.epochs; ++ep) {
    auto t0 = std::chrono::steady_clock::now();
    loader.start_epoch(uint64_t(ep));
    data::ProgressBar bar("epoch " + std::to_string(ep + 1), loader.num_batches());
    double loss_sum = 0;
    int64_t nb = 0;
    while (auto batch = loader.next()) {
      if (o.cosine) opt.set_lr(optim::warmup_cosine_lr(step++, 0, total_steps, o.lr));
      Tensor loss = ops::cross_entropy(model.forward(batch->x.to(o.device)), batch->y.to(o.device));
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
      ++nb;
      bar.update(nb, loss_sum / double(nb));
    }
    bar.finish();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double acc = accuracy(model, test);
    res.epochs.push_back({ep + 1, loss_sum / double(std::max<int64_t>(nb, 1)), acc, secs});
    if (o.verbose)
      std::printf("epoch %2lld  loss %.4f  test accuracy %.4f  (%.2f s)\n", (long long)ep + 1,
                  loss_sum / double(std::max<int64_t>(nb, 1)), acc, secs);
  }
  if (gpu_meter) {
    cuda::synchronize();  // the GPU's work is done before its counter is read
    res.gpu_energy = gpu_meter->stop();
  }
  res.energy = meter.stop();
  res.test_accuracy = res.epochs.empty() ? accuracy(model, test) : res.epochs.back().test_accuracy;
  if (!checkpoint.empty())
    io::save_checkpoint(checkpoint, model, &opt, {{"test_accuracy", std::to_string(res.test_accuracy)}});
  return res;
}

}  // namespace genlab::models
