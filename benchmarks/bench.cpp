// genlab_bench: genlab against raw OpenBLAS sgemm and memcpy, measured in this
// process, with medians. Writes JSON (one object per measurement) for
// benchmarks/report.py, which adds the PyTorch peer measured in the same run.
// `--only cuda` (never part of the default set) measures the CUDA backend
// where a device exists: matmul against one raw cuBLAS call, our kernels
// against the device's copy bandwidth, and the MLP epoch against the CPU.
//   genlab_bench OUT.json [--quick] [--only matmul|ops|conv|rnn|train|mlp|threads|cuda]
#include <cblas.h>
#include <omp.h>

#include <array>
#include <cmath>
#include <chrono>
#include <functional>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <genlab/genlab.hpp>
#include <nlohmann/json.hpp>

#include "common.hpp"
#include "families.hpp"
#include "thread_sweep.hpp"

using namespace genlab;
using bench::median;
using bench::median_seconds;
using bench::mlp_step;
using bench::seconds_of;
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
      mlp_step(net, opt, *b, Device::cpu());
    }
  };
  loader.start_epoch(0);  // warm-up epoch
  steps(loader.num_batches());
  std::vector<double> t1, tn, shuffle;
  for (int ep = 0; ep < epochs; ++ep) {
    set_num_threads(1);
    shuffle.push_back(seconds_of([&] { loader.start_epoch(uint64_t(ep + 1)); }));
    for (int blk = 0; blk < kBlocks; ++blk) {
      const int th = (blk % 4 == 0 || blk % 4 == 3) ? 1 : threads;
      set_num_threads(th);
      (th == 1 ? t1 : tn).push_back(seconds_of([&] { steps(per_block); }));
    }
    steps(loader.num_batches());  // the remainder, untimed
  }
  set_num_threads(threads);
  const double blocks_per_epoch = double(loader.num_batches()) / double(per_block);
  return {median(t1) * blocks_per_epoch + median(shuffle), median(tn) * blocks_per_epoch + median(shuffle)};
}

// ---- CUDA, where a device exists ----
// Every timing synchronises the device. On the emulated device (no GPU) the
// sizes shrink and the entries say "emulated": the code paths run, the
// numbers mean nothing.
template <class F>
double device_seconds(F&& fn, int reps) {
  return median_seconds([&] { fn(); cuda::synchronize(); }, reps);
}

// Bytes per second of a device-to-device copy of `bytes` (read + write).
double device_copy_bandwidth(size_t bytes, int reps) {
  Tensor a = Tensor::empty({int64_t(bytes / 4)}, TensorOptions(DType::f32, Device::cuda()));
  Tensor b = Tensor::empty(a.shape(), TensorOptions(DType::f32, Device::cuda()));
  return 2.0 * double(bytes) / device_seconds([&] { cuda::memcpy_d2d(b.raw_data(), a.raw_data(), bytes); }, reps);
}

// One epoch's steps of the MLP on `device` (batches copied there), the
// seconds and the energy they took.
std::pair<double, energy::Reading> mlp_epoch_on(Device device, const data::TensorDataset& train, int64_t steps) {
  manual_seed(0);
  models::MLP net({784, 256, 128, 10});
  net.to(device);
  optim::Adam opt(net.parameters(), {.lr = 1e-3});
  data::DataLoader loader(train, {.batch_size = 128, .shuffle = true, .seed = 0});
  auto run = [&] {
    for (int64_t n = 0; n < steps; ++n) {
      auto b = loader.next();
      if (!b) break;
      mlp_step(net, opt, *b, device);
    }
    if (device.is_cuda()) cuda::synchronize();
  };
  loader.start_epoch(0);
  run();  // warm-up: allocator, cuBLAS handle, caches
  loader.start_epoch(1);
  energy::Meter meter(device.is_cuda());
  meter.start();
  auto t0 = std::chrono::steady_clock::now();
  run();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {s, meter.stop()};
}

json cuda_part(const data::TensorDataset& train, bool quick) {
  json out = json::array();
  const bool emu = cuda::emulated();
  const int reps = emu ? 2 : quick ? 5 : 11;
  const Device dev = Device::cuda();
  // matmul: the op layer (shape checks, allocation, dispatch) over one raw
  // cuda::gemm call, which is a single cuBLAS GEMM on a GPU; in FP32
  // ("highest") and with TF32 tensor cores (set_float32_matmul_precision("high"))
  const std::vector<std::array<int64_t, 3>> shapes =
      emu ? std::vector<std::array<int64_t, 3>>{{64, 96, 80}}
          : std::vector<std::array<int64_t, 3>>{{1024, 1024, 1024}, {4096, 4096, 4096}, {128, 768, 3072}, {8192, 768, 768}};
  for (const char* precision : {"highest", "high"}) {
    set_float32_matmul_precision(precision);
    const bool tf32 = std::strcmp(precision, "high") == 0;
    for (const auto& mkn : shapes) {
      const int64_t m = mkn[0], k = mkn[1], n = mkn[2];  // not a structured binding: clang 14 cannot capture those
      Tensor a = Tensor::randn({m, k}).to(dev), b = Tensor::randn({k, n}).to(dev), c = Tensor::empty({m, n}).to(dev);
      double tg = device_seconds([&] { return ops::matmul(a, b); }, reps);
      double tr = device_seconds([&] {
        cuda::gemm(false, false, m, n, k, 1.f, a.data<float>(), k, b.data<float>(), n, 0.f, c.data<float>(), n);
      }, reps);
      char name[96];
      std::snprintf(name, sizeof name, "cuda matmul %lldx%lld @ %lldx%lld%s", (long long)m, (long long)k, (long long)k,
                    (long long)n, tf32 ? " TF32" : "");
      const double flop = 2.0 * double(m) * double(n) * double(k);
      std::printf("%-40s genlab %9.1f GFLOP/s  cuBLAS %9.1f GFLOP/s  ratio %.3f\n", name, flop / tg * 1e-9,
                  flop / tr * 1e-9, tr / tg);
      out.push_back({{"name", name}, {"group", "cuda_matmul"}, {"genlab_s", tg}, {"cublas_s", tr}, {"ratio", tr / tg},
                     {"GFLOPs", flop / tg * 1e-9}, {"precision", precision}, {"emulated", emu}});
    }
  }
  set_float32_matmul_precision("highest");
  // Our kernels against the device's own copy bandwidth (bytes read + written
  // per second). Each is timed as a batch of back-to-back launches with one
  // synchronize, so launch latency overlaps the kernels as in a model, cycling
  // through enough inputs (>= 256 MiB) that they are not served from the L2
  // cache (50 MiB on an H100).
  const int64_t n = emu ? 1 << 12 : int64_t(1) << 24;
  const double copy_bw = device_copy_bandwidth(size_t(n) * 4, reps);
  auto kernel_row = [&](const std::string& name, int64_t rows, int64_t cols, double bytes,
                        const std::function<Tensor(const Tensor&)>& fn) {
    const int64_t fit = (int64_t(256) << 20) / (rows * cols * 4), count = emu ? 1 : fit < 1 ? 1 : fit > 8 ? 8 : fit;
    std::vector<Tensor> inputs;
    for (int64_t i = 0; i < count; ++i) inputs.push_back(Tensor::randn({rows, cols}).to(dev));
    const int batch = emu ? 1 : 24;
    const double t = device_seconds([&] {
      for (int i = 0; i < batch; ++i) fn(inputs[size_t(i % count)]);
    }, reps) / batch;
    const double bw = bytes / t;
    std::printf("%-40s %8.1f GB/s  (device copy %.1f GB/s, ratio %.2f)\n", name.c_str(), bw * 1e-9, copy_bw * 1e-9,
                bw / copy_bw);
    out.push_back({{"name", name}, {"group", "cuda_bandwidth"}, {"genlab_s", t}, {"genlab_GBps", bw * 1e-9},
                   {"copy_GBps", copy_bw * 1e-9}, {"ratio", bw / copy_bw}, {"rows", rows}, {"cols", cols},
                   {"emulated", emu}});
  };
  // Row-wise kernels (read x once, write y once when the row fits in
  // registers): the first shape, (8192, 768), keeps the plain names.
  const std::vector<std::array<int64_t, 2>> row_shapes =
      emu ? std::vector<std::array<int64_t, 2>>{{64, 96}, {4, 1500}}
          : std::vector<std::array<int64_t, 2>>{{8192, 768}, {8192, 1024}, {8192, 4096}, {32768, 768}, {32768, 1024},
                                                {32768, 4096}};
  for (size_t i = 0; i < row_shapes.size(); ++i) {
    const int64_t rows = row_shapes[i][0], cols = row_shapes[i][1];
    const std::string shape = i == 0 ? "" : " (" + std::to_string(rows) + ", " + std::to_string(cols) + ")";
    const double bytes = 2.0 * double(rows * cols) * 4;
    Tensor w = Tensor::ones({cols}).to(dev), bias = Tensor::zeros({cols}).to(dev);
    kernel_row("cuda softmax" + shape, rows, cols, bytes, [](const Tensor& x) { return ops::softmax(x, -1); });
    kernel_row("cuda layer_norm" + shape, rows, cols, bytes,
               [&](const Tensor& x) { return ops::layer_norm(x, {cols}, w, bias); });
  }
  Tensor q = Tensor::randn({n}).to(dev);
  kernel_row("cuda add", 1, n, 3.0 * double(n) * 4, [&](const Tensor& p) { return ops::add(p.reshape({n}), q); });
  kernel_row("cuda gelu", 1, n, 2.0 * double(n) * 4, [](const Tensor& p) { return ops::gelu(p); });
  // the MLP of the CPU bars, one epoch on the device and on the CPU
  const int64_t steps = emu ? 3 : (train.size() + 127) / 128;
  auto [tg, eg] = mlp_epoch_on(dev, train, steps);
  auto [tc, ec] = mlp_epoch_on(Device::cpu(), train, steps);
  std::printf("MLP epoch on cuda: %.3f s, %s; on the CPU (%d threads): %.3f s, %s; speed-up %.2f\n", tg, eg.str().c_str(),
              num_threads(), tc, ec.str().c_str(), tc / tg);
  out.push_back({{"name", "cuda MLP epoch 784-256-128-10 b128 Adam"}, {"group", "cuda_mlp"}, {"genlab_s", tg},
                 {"cpu_s", tc}, {"speedup", tc / tg}, {"joules", eg.joules}, {"energy_source", eg.source},
                 {"cpu_joules", ec.joules}, {"cpu_energy_source", ec.source}, {"steps", steps}, {"emulated", emu}});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  cpu::restart_with_right_blas_core(argv);  // once, if OpenBLAS picked kernels below this CPU
  if (argc < 2) {
    std::fprintf(stderr, "usage: genlab_bench OUT.json [--quick] [--only matmul|ops|conv|rnn|train|mlp|threads|cuda]\n");
    return 2;
  }
  bool quick = false;
  std::string only;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
  }
  // cuda and threads only when asked: scripts/bench.sh runs each once
  auto want = [&](const char* part) {
    return only.empty() ? std::strcmp(part, "cuda") != 0 && std::strcmp(part, "threads") != 0 : only == part;
  };
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
    // issue 10's elementwise ops that GAN discriminators and sinusoidal embeddings use: forward, no bar (torch_ratio)
    const std::pair<const char*, std::function<Tensor()>> peer_ops[] = {
        {"leaky_relu (8192, 768)", [&] { return ops::leaky_relu(x, 0.2); }},
        {"sin (8192, 768)", [&] { return ops::sin(x); }},
        {"cos (8192, 768)", [&] { return ops::cos(x); }}};
    for (const auto& [name, fn] : peer_ops) {
      double t = median_seconds(fn, reps);
      std::printf("%-36s genlab %.3f ms\n", name, t * 1e3);
      out.push_back({{"name", name}, {"group", "torch_ratio"}, {"genlab_s", t}});
    }

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

    // Issue 10's composed ops that attention masks, VAE decoders and samplers need, against PyTorch; no bar
    // (group torch_ratio): the ratio says whether a fused kernel would pay. The mask is causal (u8, torch: bool).
    Tensor scores = Tensor::randn({32, 12, 128, 128});
    Tensor ar = Tensor::arange(128);
    Tensor causal = ops::compare(ops::sub(ar.reshape({1, 128}), ar.reshape({128, 1})), 0.0, CompareOp::gt);
    Tensor probs = ops::sigmoid(Tensor::randn({8192, 784})), target = Tensor::rand({8192, 784});
    Tensor pg = probs.detach().requires_grad_(true);
    Tensor logits = Tensor::randn({64, 50257});  // a batch of GPT-2 next-token logits: top-k and top-p sampling
    const std::vector<std::pair<const char*, std::function<void()>>> composed = {
        {"masked_fill (32, 12, 128, 128) causal", [&] { ops::masked_fill(scores, causal, -INFINITY); }},
        {"binary_cross_entropy (8192, 784)", [&] { ops::binary_cross_entropy(probs, target); }},
        {"binary_cross_entropy fwd+bwd (8192, 784)", [&] {
           pg.set_grad(Tensor());
           ops::binary_cross_entropy(pg, target).backward();
         }},
        {"topk k=50 (64, 50257)", [&] { ops::topk(logits, 50); }},
        {"sort (64, 50257) descending", [&] { ops::sort(logits, -1, true); }},
        {"logsumexp (8192, 768) dim -1", [&] { ops::logsumexp(x, -1); }}};
    for (const auto& [name, fn] : composed) {
      const double t = median_seconds(fn, reps);
      std::printf("%-42s genlab %.3f ms\n", name, t * 1e3);
      out.push_back({{"name", name}, {"group", "torch_ratio"}, {"genlab_s", t}});
    }
  }

  if (want("conv")) bench::conv_part(out, quick, reps);
  if (want("rnn")) bench::rnn_part(out, quick);
  if (want("train")) bench::train_part(out, quick);

  if (want("mlp")) {
    auto train = data::fashion_mnist("train");
    auto [e1, e2] = mlp_epochs(train, threads, quick ? 4 : 10);
    std::printf("MLP epoch: %.3f s on 1 thread, %.3f s on %d threads (speed-up %.2f)\n", e1, e2, threads, e1 / e2);
    out.push_back({{"name", "MLP epoch 784-256-128-10 b128 Adam"}, {"group", "mlp"}, {"genlab_s", e2},
                   {"genlab_1t_s", e1}, {"threads", threads}, {"speedup", e1 / e2}});
  }

  if (want("threads"))
    for (auto& m : bench::thread_sweep(data::fashion_mnist("train"), quick)) out.push_back(m);

  if (want("cuda")) {
    if (cuda_is_available()) {
      for (auto& m : cuda_part(data::fashion_mnist("train"), quick)) out.push_back(m);
    } else {
      std::printf("no CUDA device (%s): the CUDA part is skipped\n",
                  cuda::built() ? "none found" : "genlab built without CUDA");
    }
  }

  std::ofstream(argv[1]) << out.dump(2);
  return 0;
}
