// Google Benchmark micro-benchmarks of the CPU kernels through the public ops.
#include <benchmark/benchmark.h>

#include <genlab/genlab.hpp>

using namespace genlab;

static void BM_Matmul(benchmark::State& s) {
  const int64_t n = s.range(0);
  Tensor a = Tensor::randn({n, n}), b = Tensor::randn({n, n});
  for (auto _ : s) benchmark::DoNotOptimize(ops::matmul(a, b));
  s.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(n * n * n), benchmark::Counter::kIsIterationInvariantRate,
                                             benchmark::Counter::kIs1000);
}
BENCHMARK(BM_Matmul)->Arg(256)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

static void BM_Add(benchmark::State& s) {
  Tensor a = Tensor::randn({1 << 24}), b = Tensor::randn({1 << 24});
  for (auto _ : s) benchmark::DoNotOptimize(ops::add(a, b));
  s.SetBytesProcessed(int64_t(s.iterations()) * 3 * (int64_t(4) << 24));
}
BENCHMARK(BM_Add)->Unit(benchmark::kMillisecond)->UseRealTime();

static void BM_Gelu(benchmark::State& s) {
  Tensor a = Tensor::randn({1 << 24});
  for (auto _ : s) benchmark::DoNotOptimize(ops::gelu(a));
  s.SetBytesProcessed(int64_t(s.iterations()) * 2 * (int64_t(4) << 24));
}
BENCHMARK(BM_Gelu)->Unit(benchmark::kMillisecond)->UseRealTime();

static void BM_Softmax(benchmark::State& s) {
  Tensor x = Tensor::randn({64 * 128, 768});
  for (auto _ : s) benchmark::DoNotOptimize(ops::softmax(x, -1));
}
BENCHMARK(BM_Softmax)->Unit(benchmark::kMillisecond)->UseRealTime();

static void BM_LayerNorm(benchmark::State& s) {
  Tensor x = Tensor::randn({64 * 128, 768}), w = Tensor::ones({768}), b = Tensor::zeros({768});
  for (auto _ : s) benchmark::DoNotOptimize(ops::layer_norm(x, {768}, w, b));
}
BENCHMARK(BM_LayerNorm)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
