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
