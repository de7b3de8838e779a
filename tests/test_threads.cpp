// The thread cost model and the default thread count (issue 8.4), with
// injected inputs: a fake sysfs tree, cgroup quota strings, fixed counts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "genlab/core/threads.hpp"

using namespace genlab;

namespace {
struct ThreadCount {  // sets the count for one test and restores it
  int saved = num_threads();
  explicit ThreadCount(int n) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved); }
};
}  // namespace

// The t-th thread pays once work >= grain * t(t-1)/2 (values worked by hand).
TEST(Threads, CostModelGrowsWithTheSquareRootOfWork) {
  ThreadCount t(16);
  EXPECT_EQ(threads_for(0, 100), 1);
  EXPECT_EQ(threads_for(99, 100), 1);
  EXPECT_EQ(threads_for(100, 100), 2);    // 2 threads from one grain, as before the model
  EXPECT_EQ(threads_for(299, 100), 2);
  EXPECT_EQ(threads_for(300, 100), 3);    // 3*2/2 = 3 grains
  EXPECT_EQ(threads_for(600, 100), 4);    // 4*3/2 = 6
  EXPECT_EQ(threads_for(2800, 100), 8);   // 8*7/2 = 28
  EXPECT_EQ(threads_for(11999, 100), 15); // 16*15/2 = 120 grains for the 16th
  EXPECT_EQ(threads_for(12000, 100), 16);
  EXPECT_EQ(threads_for(1e12, 100), 16);  // capped by num_threads()
  EXPECT_EQ(threads_for(std::nan(""), 100), 1);
}

TEST(Threads, CostModelKeepsTheTwoThreadRule) {
  ThreadCount t(2);
  EXPECT_EQ(threads_for(99, 100), 1);
  EXPECT_EQ(threads_for(100, 100), 2);
  EXPECT_EQ(threads_for(1e9, 100), 2);
  set_num_threads(1);
  EXPECT_EQ(threads_for(1e9, 100), 1);
}

TEST(Threads, ParallelForUsesTheModelsThreadCount) {
  ThreadCount t(8);
  for (auto [n, want] : std::vector<std::pair<int64_t, int>>{{50, 1}, {100, 2}, {600, 4}, {100000, 8}}) {
    std::atomic<int> calls{0};
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    parallel_for(n, 100, [&](int64_t b, int64_t e) {
      calls++;
      for (int64_t i = b; i < e; ++i) hits[size_t(i)]++;
    });
    EXPECT_EQ(calls.load(), want) << "n = " << n;
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

TEST(Threads, CgroupQuotaParsing) {
  EXPECT_EQ(detail::cgroup_cpu_limit("max 100000\n"), 0);
  EXPECT_EQ(detail::cgroup_cpu_limit("400000 100000\n"), 4);
  EXPECT_EQ(detail::cgroup_cpu_limit("150000 100000"), 2);  // 1.5 CPUs: 2 threads
  EXPECT_EQ(detail::cgroup_cpu_limit("50000 100000"), 1);
  EXPECT_EQ(detail::cgroup_cpu_limit("-1 100000"), 0);  // cgroup v1's "no quota"
  EXPECT_EQ(detail::cgroup_cpu_limit(""), 0);
  EXPECT_EQ(detail::cgroup_cpu_limit("garbage"), 0);
}

// Two sockets of two cores with two hyperthreads each; core ids repeat per socket.
TEST(Threads, PhysicalCoresFromAFakeSysfs) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("genlab_sysfs_" + std::to_string(getpid()));
  const int core_of[8] = {0, 1, 0, 1, 0, 1, 0, 1}, package_of[8] = {0, 0, 1, 1, 0, 0, 1, 1};
  for (int c = 0; c < 8; ++c) {
    fs::create_directories(root / ("cpu" + std::to_string(c)) / "topology");
    std::ofstream(root / ("cpu" + std::to_string(c)) / "topology" / "core_id") << core_of[c] << "\n";
    std::ofstream(root / ("cpu" + std::to_string(c)) / "topology" / "physical_package_id") << package_of[c] << "\n";
  }
  EXPECT_EQ(detail::physical_cores({0, 1, 2, 3, 4, 5, 6, 7}, root.string()), 4);
  EXPECT_EQ(detail::physical_cores({0, 4}, root.string()), 1);  // siblings of one core
  EXPECT_EQ(detail::physical_cores({0, 2}, root.string()), 2);  // core 0 of each socket
  EXPECT_EQ(detail::physical_cores({0, 9}, root.string()), 0);  // cpu9 has no topology: unknown
  fs::remove_all(root);
}

TEST(Threads, DefaultIsBetweenOneAndTheCpuCount) {
  EXPECT_GE(default_num_threads(), 1);
  EXPECT_LE(unsigned(default_num_threads()), std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_FALSE(default_num_threads_reason().empty());
}

// Run by ctest under `taskset -c 0` with GENLAB_TEST_EXPECT_DEFAULT_THREADS=1.
TEST(Threads, DefaultFollowsTheAffinityMask) {
  const char* want = std::getenv("GENLAB_TEST_EXPECT_DEFAULT_THREADS");
  if (!want) GTEST_SKIP() << "run by the threads_default_under_taskset ctest";
  EXPECT_EQ(default_num_threads(), std::atoi(want)) << default_num_threads_reason();
  if (!std::getenv("GENLAB_NUM_THREADS") && !std::getenv("OMP_NUM_THREADS"))
    EXPECT_EQ(num_threads(), std::atoi(want));
}
