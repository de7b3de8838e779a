#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <genlab/genlab.hpp>

using namespace genlab;

TEST(Energy, EveryReadingStatesItsSource) {
  energy::Meter m;
  ASSERT_TRUE(m.source() == "rapl" || m.source() == "estimate") << m.source();
  m.start();
  volatile double sink = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200)) sink = sink + 1;
  energy::Reading r = m.stop();
  EXPECT_EQ(r.source, m.source());
  EXPECT_GT(r.joules, 0);
  EXPECT_GE(r.seconds, 0.19);
  EXPECT_NE(r.str().find("(" + r.source), std::string::npos) << r.str();
  if (r.source == "estimate") {
    // one busy core for ~0.2 s at the stated watts per core (plus a little system time)
    const double w = energy::Meter::watts_per_core();
    EXPECT_NEAR(r.joules, w * r.seconds, 0.35 * w * r.seconds);
    EXPECT_NE(r.assumption.find("W per busy core"), std::string::npos);
  }
}

TEST(Energy, EstimateFollowsTheStatedWatts) {
  setenv("GENLAB_WATTS_PER_CORE", "3.5", 1);
  EXPECT_DOUBLE_EQ(energy::Meter::watts_per_core(), 3.5);
  unsetenv("GENLAB_WATTS_PER_CORE");
  EXPECT_DOUBLE_EQ(energy::Meter::watts_per_core(), 10.0);
}
