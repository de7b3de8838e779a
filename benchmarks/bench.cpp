// genlab_bench: genlab against raw OpenBLAS sgemm and memcpy, measured in this
// process, with medians. Writes JSON (one object per measurement) for
// benchmarks/report.py, which adds the PyTorch peer measured in the same run.
//   genlab_bench OUT.json [--quick]
#include <cblas.h>
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <genlab/genlab.hpp>
#include <nlohmann/json.hpp>

#include "common.hpp"

using namespace genlab;
using bench::median_seconds;
using json = nlohmann::json;

namespace {

json gemm_case(int64_t m, int64_t k, int64_t n, bool weight_transposed, int reps) {
  Tensor a = Tensor::randn({m, k});
  // transformer layers store W as [out, in] and compute x @ W^T
  Tensor w = weight_transposed ? Tensor::randn({n, k}) : Tensor::randn({k, n});
  Tensor c = Tensor::empty({m, n});
  auto genlab_fn = [&] { return weight_transposed ? ops::linear(a, w) : ops::matmul(a, w); };
  auto blas_fn = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, weight_transposed ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), 1.f,
                a.data<float>(), int(k), w.data<float>(), weight_transposed ? int(k) : int(n), 0.f, c.data<float>(), int(n));
  };
  double tb = median_seconds(blas_fn, reps), tg = median_seconds(genlab_fn, reps);
  double flop = 2.0 * double(m) * double(n) * double(k);
  char name[96];
  std::snprintf(name, sizeof name, "matmul %lldx%lld @ %lldx%lld%s", (long long)m, (long long)k, (long long)k, (long long)n,
                weight_transposed ? " (W^T)" : "");
  std::printf("%-36s genlab %8.2f GFLOP/s  openblas %8.2f GFLOP/s  ratio %.3f\n", name, flop / tg * 1e-9,
              flop / tb * 1e-9, tb / tg);
  return {{"name", name}, {"group", "matmul"}, {"genlab_s", tg}, {"openblas_s", tb}, {"ratio", tb / tg}, {"bar", 0.9}};
}

// Best memcpy bandwidth over 1 and all threads, bytes moved (read + write) per second.
double memcpy_bandwidth(size_t bytes) {
  std::vector<char> src(bytes, 1), dst(bytes);
  double best = 0;
  for (int threads : {1, num_threads()}) {
    double t = median_seconds([&] {
#pragma omp parallel num_threads(threads)
      {
        size_t id = size_t(omp_get_thread_num()), nt = size_t(omp_get_num_threads());
        size_t b = bytes * id / nt, e = bytes * (id + 1) / nt;
        std::memcpy(dst.data() + b, src.data() + b, e - b);
      }
    });
    best = std::max(best, 2.0 * double(bytes) / t);
  }
  return best;
}

// MLP epoch time at 1 thread and at `threads`. The machine's noise comes in
// bursts of a second or so, longer than a block of steps, so the two thread
// counts alternate every eighth of an epoch (in A B B A order) and each epoch
// time is the median block time times the blocks in an epoch, plus the
// epoch's shuffle: many samples, each pair seeing nearly the same machine.
std::pair<double, double> mlp_epochs(const data::TensorDataset& train, int threads, int epochs) {
  manual_seed(0);
  models::MLP net({784, 256, 128, 10});
  optim::Adam opt(net.parameters(), {.lr = 1e-3});
  // no background prefetch: "1 thread" must mean one core
  data::DataLoader loader(train, {.batch_size = 128, .shuffle = true, .seed = 0, .prefetch = data::Prefetch::off});
  constexpr int kBlocks = 8;
  const int64_t per_block = loader.num_batches() / kBlocks;
  auto steps = [&](int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      auto b = loader.next();
      if (!b) return;
      Tensor loss = ops::cross_entropy(net(b->x), b->y);
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
  };
  auto seconds = [](auto&& fn) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  loader.start_epoch(0);  // warm-up epoch
  steps(loader.num_batches());
  std::vector<double> t1, tn, shuffle;
  for (int ep = 0; ep < epochs; ++ep) {
    set_num_threads(1);
    shuffle.push_back(seconds([&] { loader.start_epoch(uint64_t(ep + 1)); }));
    for (int blk = 0; blk < kBlocks; ++blk) {
      const int th = (blk % 4 == 0 || blk % 4 == 3) ? 1 : threads;
      set_num_threads(th);
      (th == 1 ? t1 : tn).push_back(seconds([&] { steps(per_block); }));
    }
    steps(loader.num_batches());  // the remainder, untimed
  }
  set_num_threads(threads);
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  const double blocks_per_epoch = double(loader.num_batches()) / double(per_block);
  return {median(t1) * blocks_per_epoch + median(shuffle), median(tn) * blocks_per_epoch + median(shuffle)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: genlab_bench OUT.json [--quick] [--only matmul|ops|mlp]\n");
    return 2;
  }
  bool quick = false;
  std::string only;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
  }
  auto want = [&](const char* part) { return only.empty() || only == part; };
  const int reps = quick ? 5 : 11;
  const int threads = num_threads();
  json out = json::array();
  std::printf("genlab_bench: %d threads, BLAS %s\n", threads, cpu::blas_name());

  if (want("matmul")) {
    for (int64_t n : {256, 512, 1024, 2048}) out.push_back(gemm_case(n, n, n, false, n >= 2048 ? 5 : reps));
    out.push_back(gemm_case(128, 768, 3072, true, reps));
    out.push_back(gemm_case(128, 3072, 768, true, reps));
    out.push_back(gemm_case(8192, 768, 768, true, 5));
  }

  if (want("ops")) {
    Tensor x = Tensor::randn({64 * 128, 768}), w = Tensor::randn({768}), b = Tensor::randn({768});
    double ts = median_seconds([&] { return ops::softmax(x, -1); }, reps);
    double tl = median_seconds([&] { return ops::layer_norm(x, {768}, w, b); }, reps);
    std::printf("%-36s genlab %.3f ms\n%-36s genlab %.3f ms\n", "softmax (8192, 768)", ts * 1e3, "layer_norm (8192, 768)",
                tl * 1e3);
    out.push_back({{"name", "softmax (8192, 768)"}, {"group", "torch_op"}, {"genlab_s", ts}, {"bar", 1.5}});
    out.push_back({{"name", "layer_norm (8192, 768)"}, {"group", "torch_op"}, {"genlab_s", tl}, {"bar", 1.5}});

    const int64_t n = int64_t(1) << 24;  // 64 MiB of float32
    Tensor p = Tensor::randn({n}), q = Tensor::randn({n});
    double bw = memcpy_bandwidth(size_t(n) * 4);
    double ta = median_seconds([&] { return ops::add(p, q); }, reps);
    double tg = median_seconds([&] { return ops::gelu(p); }, reps);
    double bw_add = 3.0 * double(n) * 4 / ta, bw_gelu = 2.0 * double(n) * 4 / tg;
    std::printf("memcpy %.1f GB/s; add %.1f GB/s (ratio %.2f); gelu %.1f GB/s (ratio %.2f)\n", bw * 1e-9,
                bw_add * 1e-9, bw_add / bw, bw_gelu * 1e-9, bw_gelu / bw);
    out.push_back({{"name", "add 64 MiB"}, {"group", "bandwidth"}, {"genlab_s", ta}, {"genlab_GBps", bw_add * 1e-9},
                   {"memcpy_GBps", bw * 1e-9}, {"ratio", bw_add / bw}, {"bar", 0.6}});
    out.push_back({{"name", "gelu 64 MiB"}, {"group", "bandwidth"}, {"genlab_s", tg}, {"genlab_GBps", bw_gelu * 1e-9},
                   {"memcpy_GBps", bw * 1e-9}, {"ratio", bw_gelu / bw}, {"bar", 0.6}});
  }

  if (want("mlp")) {
    auto train = data::fashion_mnist("train");
    auto [e1, e2] = mlp_epochs(train, threads, quick ? 4 : 10);
    std::printf("MLP epoch: %.3f s on 1 thread, %.3f s on %d threads (speed-up %.2f)\n", e1, e2, threads, e1 / e2);
    out.push_back({{"name", "MLP epoch 784-256-128-10 b128 Adam"}, {"group", "mlp"}, {"genlab_s", e2},
                   {"genlab_1t_s", e1}, {"threads", threads}, {"speedup", e1 / e2}});
  }

  std::ofstream(argv[1]) << out.dump(2);
  return 0;
}
