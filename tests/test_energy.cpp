#include <gtest/gtest.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <genlab/genlab.hpp>

using namespace genlab;

TEST(Energy, EveryReadingStatesItsSource) {
  energy::Meter m;
  ASSERT_TRUE(m.source() == "rapl" || m.source() == "estimate") << m.source();
  auto cpu_seconds = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  };
  const double cpu0 = cpu_seconds();
  m.start();
  volatile double sink = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200)) sink = sink + 1;
  energy::Reading r = m.stop();
  const double cpu = cpu_seconds() - cpu0;
  EXPECT_EQ(r.source, m.source());
  EXPECT_GT(r.joules, 0);
  EXPECT_GE(r.seconds, 0.19);
  EXPECT_NE(r.str().find("(" + r.source), std::string::npos) << r.str();
  if (r.source == "estimate") {
    // the CPU time this process used, measured here independently, at the stated watts per core
    const double w = energy::Meter::watts_per_core();
    EXPECT_NEAR(r.joules, w * cpu, 0.05 * w * cpu + 0.02 * w);
    EXPECT_NE(r.assumption.find("W per busy core"), std::string::npos);
  }
}

TEST(Energy, EstimateFollowsTheStatedWatts) {
  setenv("GENLAB_WATTS_PER_CORE", "3.5", 1);
  EXPECT_DOUBLE_EQ(energy::Meter::watts_per_core(), 3.5);
  unsetenv("GENLAB_WATTS_PER_CORE");
  EXPECT_DOUBLE_EQ(energy::Meter::watts_per_core(), 10.0);
}

// How readings print: the source always, the scope and assumption when set;
// a GPU run's readings joined by " + ".
TEST(Energy, ReadingsPrintTheirSourceScopeAndAssumption) {
  energy::Reading rapl{12.3, 1, "rapl", "", ""}, gpu{25.1, 1, "nvml", "", "GPU"};
  energy::Reading host{180, 1, "estimate", "10 W per busy core", "host"}, old{275, 1, "estimate", "10 W per busy core", ""};
  energy::Reading none{0, 1, "unavailable: emulated CUDA device, no GPU to meter", "", "GPU"};
  EXPECT_EQ(rapl.str(), "12.3 J (rapl)");
  EXPECT_EQ(old.str(), "275 J (estimate, 10 W per busy core)");
  EXPECT_EQ(gpu.str(), "25.1 J (nvml, GPU)");
  EXPECT_EQ(host.str(), "180 J (estimate, host: 10 W per busy core)");
  EXPECT_EQ(none.str(), "GPU n/a (unavailable: emulated CUDA device, no GPU to meter)");
  EXPECT_TRUE(gpu.available());
  EXPECT_FALSE(none.available());
  EXPECT_EQ(energy::str({gpu, host}), "25.1 J (nvml, GPU) + 180 J (estimate, host: 10 W per busy core)");
  train::Result r;
  r.energy = host;
  EXPECT_EQ(r.energy_str(), host.str());  // a CPU run: the host's reading only
  r.gpu_energy = gpu;
  EXPECT_EQ(r.energy_str(), "25.1 J (nvml, GPU) + 180 J (estimate, host: 10 W per busy core)");
}

// Without a GPU to meter, the GPU meter says why and reads nothing; it never
// throws. NVML that cannot be loaded is named (GENLAB_NVML_LIBRARY points the
// loader at a library that does not exist).
TEST(Energy, GpuMeterSaysWhyItCannotRead) {
  if (cuda::emulated()) GTEST_SKIP() << "needs the real-device path";
  setenv("GENLAB_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
  energy::Meter m = energy::Meter::cuda_device();
  unsetenv("GENLAB_NVML_LIBRARY");
  m.start();
  const energy::Reading r = m.stop();
  EXPECT_EQ(r.source.rfind("unavailable: NVML not loaded (/nonexistent/libnvidia-ml.so.1", 0), 0u) << r.source;
  EXPECT_FALSE(r.available());
  EXPECT_EQ(r.joules, 0);
  EXPECT_EQ(r.scope, "GPU");
  // the machine's own NVML: either it reads, or it says why not
  const energy::Reading own = [] {
    energy::Meter g = energy::Meter::cuda_device();
    g.start();
    return g.stop();
  }();
  EXPECT_TRUE(own.source == "nvml" || own.source.rfind("unavailable: ", 0) == 0) << own.source;
  const energy::Reading host = [] {
    energy::Meter h = energy::Meter::host();
    h.start();
    return h.stop();
  }();
  EXPECT_TRUE(host.source == "rapl" || host.source == "estimate") << host.source;
  EXPECT_EQ(host.scope, "host");
}

// A training run on the (emulated) CUDA device reports the host's energy and
// a GPU reading that says the device is emulated; a CPU run reports the host only.
TEST(Energy, TrainingOnTheDeviceReportsGpuAndHost) {
  const bool was = cuda::emulated();
  cuda::set_emulated(true);
  std::vector<train::Result> runs;
  {
    manual_seed(3);
    Tensor x = Tensor::randn({32, 6});
    data::TensorDataset ds(x, ops::argmax(ops::slice(x, 1, 0, 2), 1));
    for (Device d : {Device::cpu(), Device::cuda()}) {
      models::MLP net({6, 8, 2});
      runs.push_back(
          train::fit(net, ds, train::classification(ds), {.epochs = 1, .batch_size = 16, .verbose = false, .device = d}));
    }
  }
  cuda::set_emulated(was);
  const auto& cpu = runs[0];
  const auto& gpu = runs[1];
  EXPECT_FALSE(cpu.gpu_energy.has_value());
  EXPECT_TRUE(cpu.energy.source == "rapl" || cpu.energy.source == "estimate") << cpu.energy.source;
  ASSERT_TRUE(gpu.gpu_energy.has_value());
  EXPECT_EQ(gpu.gpu_energy->source, "unavailable: emulated CUDA device, no GPU to meter");
  EXPECT_EQ(gpu.gpu_energy->scope, "GPU");
  EXPECT_TRUE(gpu.energy.source == "rapl" || gpu.energy.source == "estimate") << gpu.energy.source;
  EXPECT_EQ(gpu.energy.scope, "host");
  EXPECT_GT(gpu.energy.joules, 0);
  const std::string s = gpu.energy_str();
  EXPECT_EQ(s.find("GPU n/a (unavailable: emulated CUDA device, no GPU to meter) + "), 0u) << s;
  EXPECT_NE(s.find("(" + gpu.energy.source + ", host"), std::string::npos) << s;
}
