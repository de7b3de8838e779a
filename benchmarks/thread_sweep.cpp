// The thread sweep (issue 8.4): the MLP epoch and a transformer-sized GEMM at
// 1, 2, 4, ... threads up to the CPUs this process may use, plus the
// default, alternating the counts so a burst of noise hits all of them
// alike. The claim checked: the default (each op choosing its own thread
// count from its work size) is never more than 10 % slower than the best
// fixed count. Also the work at which a second thread starts to pay for an
// elementwise op, the measurement behind the grains in src/cpu/.
#include "thread_sweep.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "common.hpp"

namespace genlab::bench {
namespace {

// 1, 2, 4, ... below the CPU count, the CPU count, and the default.
std::vector<int> counts_to_sweep() {
  const int cpus = int(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int> c;
  for (int t = 1; t < cpus; t *= 2) c.push_back(t);
  c.push_back(cpus);
  c.push_back(default_num_threads());
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  return c;
}

// Seconds per MLP epoch (784-256-128-10, batch 128, Adam) at each count: the
// median over rounds of a block of steps, scaled to the epoch's batches.
std::vector<double> mlp_epoch_seconds(const data::TensorDataset& train, const std::vector<int>& counts, int rounds,
                                      int64_t block) {
  manual_seed(0);
  models::MLP net({784, 256, 128, 10});
  optim::Adam opt(net.parameters(), {.lr = 1e-3});
  data::DataLoader loader(train, {.batch_size = 128, .shuffle = true, .seed = 0, .prefetch = data::Prefetch::off});
  uint64_t epoch = 0;
  loader.start_epoch(epoch);
  auto step = [&] {
    auto b = loader.next();
    if (!b) {
      loader.start_epoch(++epoch);
      b = loader.next();
    }
    mlp_step(net, opt, *b, Device::cpu());
  };
  for (int i = 0; i < 20; ++i) step();  // warm-up
  std::vector<std::vector<double>> t(counts.size());
  for (int r = 0; r < rounds; ++r)
    for (size_t i = 0; i < counts.size(); ++i) {
      const size_t k = r % 2 ? counts.size() - 1 - i : i;  // A B C, C B A, ...
      set_num_threads(counts[k]);
      t[k].push_back(seconds_of([&] {
        for (int64_t s = 0; s < block; ++s) step();
      }));
    }
  std::vector<double> out;
  for (auto& v : t) out.push_back(median(v) * double(loader.num_batches()) / double(block));
  return out;
}

}  // namespace

nlohmann::json thread_sweep(const data::TensorDataset& train, bool quick) {
  const int saved = num_threads();
  const std::vector<int> counts = counts_to_sweep();
  const int dflt = default_num_threads();
  nlohmann::json out = nlohmann::json::array();
  std::printf("thread sweep: %u CPUs; default %d threads (%s)\n", std::thread::hardware_concurrency(), dflt,
              default_num_threads_reason().c_str());

  const std::vector<double> mlp = mlp_epoch_seconds(train, counts, quick ? 3 : 7, quick ? 40 : 120);

  // x @ W^T of GPT-2 small's MLP up-projection: 2048 tokens (512 quick), 768 -> 3072.
  const int64_t m = quick ? 512 : 2048, k = 768, n = 3072;
  Tensor x = Tensor::randn({m, k}), w = Tensor::randn({n, k});
  const double flop = 2.0 * double(m) * double(n) * double(k);
  std::vector<double> gemm;
  for (int t : counts) {
    set_num_threads(t);
    gemm.push_back(flop / median_seconds([&] { return ops::linear(x, w); }, quick ? 5 : 11) * 1e-9);
  }

  std::printf("| threads | MLP epoch (s) | linear %lldx%lld @ %lldx%lld^T (GFLOP/s) |\n|---|---|---|\n", (long long)m,
              (long long)k, (long long)n, (long long)k);
  for (size_t i = 0; i < counts.size(); ++i) {
    std::printf("| %d%s | %.3f | %.1f |\n", counts[i], counts[i] == dflt ? " (default)" : "", mlp[i], gemm[i]);
    out.push_back({{"name", "threads " + std::to_string(counts[i])}, {"group", "threads"}, {"threads", counts[i]},
                   {"default", counts[i] == dflt}, {"mlp_epoch_s", mlp[i]}, {"gemm_GFLOPs", gemm[i]},
                   {"gemm_shape", std::to_string(m) + "x" + std::to_string(k) + " @ " + std::to_string(n) + "x" +
                                      std::to_string(k) + "^T"}});
  }
  const size_t d = size_t(std::find(counts.begin(), counts.end(), dflt) - counts.begin());
  const double best_mlp = *std::min_element(mlp.begin(), mlp.end()), best_gemm = *std::max_element(gemm.begin(), gemm.end());
  std::printf("default / best fixed count: MLP epoch time %.3f, GEMM time %.3f (bar: at most 1.10)\n",
              mlp[d] / best_mlp, best_gemm / gemm[d]);
  out.push_back({{"name", "threads default vs best"}, {"group", "threads_verdict"}, {"default_threads", dflt},
                 {"mlp_ratio", mlp[d] / best_mlp}, {"gemm_ratio", best_gemm / gemm[d]}, {"bar", 1.10}});

  // Where a second thread starts to pay for an elementwise op (the grain):
  // the same add with every thread forced on it, and as the cost model runs it.
  const int most = counts.back();
  std::printf("| add of n floats | 1 thread (us) | %d threads forced (us) | %d threads, cost model (us) |\n"
              "|---|---|---|---|\n", most, most);
  for (int64_t len = 1 << 10; len <= (1 << 18); len *= 4) {
    Tensor a = Tensor::randn({len}), b = Tensor::randn({len}), c = Tensor::empty({len});
    const float *pa = a.data<float>(), *pb = b.data<float>();
    float* pc = c.data<float>();
    auto forced = [&] {
      parallel_for(len, 1, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) pc[i] = pa[i] + pb[i];
      });
    };
    set_num_threads(1);
    const double t1 = median_seconds([&] { return ops::add(a, b); }, 51);
    set_num_threads(most);
    const double tf = median_seconds(forced, 51), tm = median_seconds([&] { return ops::add(a, b); }, 51);
    std::printf("| %lld | %.2f | %.2f | %.2f |\n", (long long)len, t1 * 1e6, tf * 1e6, tm * 1e6);
    out.push_back({{"name", "add " + std::to_string(len) + " floats"}, {"group", "threads_grain"}, {"n", len},
                   {"t1_s", t1}, {"forced_s", tf}, {"model_s", tm}, {"threads", most}});
  }
  set_num_threads(saved);
  return out;
}

}  // namespace genlab::bench
