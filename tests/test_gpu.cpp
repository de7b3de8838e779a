// GPU tests (ctest label `gpu`): run where a CUDA device exists, skip with a
// clear message elsewhere. Each compares a CUDA op with the CPU.
#include <gtest/gtest.h>

#include <genlab/genlab.hpp>

#include "op_table.hpp"

using namespace genlab;

#define REQUIRE_GPU()                                                                                          \
  if (!cuda_is_available())                                                                                    \
  GTEST_SKIP() << (cuda::built() ? "no CUDA device on this machine" : "genlab built without CUDA (GENLAB_CUDA=OFF)")

TEST(Gpu, EveryCudaOpMatchesTheCpu) {
  REQUIRE_GPU();
  for (const auto& c : genlab::testing::op_table()) {
    if (!c.cuda) continue;
    auto in = genlab::testing::make_inputs(c, DType::f32, 9);
    std::vector<Tensor> gin;
    for (auto& t : in) gin.push_back(t.to(Device::cuda()));
    auto ref = c.fn(in).to_vector<float>(), got = c.fn(gin).to(Device::cpu()).to_vector<float>();
    ASSERT_EQ(ref.size(), got.size()) << c.name;
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], 1e-4f * (1 + std::abs(ref[i]))) << c.name << " " << i;
  }
}

TEST(Gpu, LargeMatmulMatchesCpu) {
  REQUIRE_GPU();
  Tensor a = Tensor::randn({300, 200}), b = Tensor::randn({200, 100});
  auto ref = ops::matmul(a, b.t().contiguous().t()).to_vector<float>();
  auto got = ops::matmul(a.to(Device::cuda()), b.to(Device::cuda())).to(Device::cpu()).to_vector<float>();
  for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(got[i], ref[i], 1e-3f * (1 + std::abs(ref[i])));
}

TEST(Gpu, AllocatorCachesDeviceBlocks) {
  REQUIRE_GPU();
  { Tensor a = Tensor::empty({1 << 20}, TensorOptions(DType::f32, Device::cuda())); }
  auto before = memory_stats(Device::cuda());
  { Tensor b = Tensor::empty({1 << 20}, TensorOptions(DType::f32, Device::cuda())); }
  EXPECT_EQ(memory_stats(Device::cuda()).num_cache_hits, before.num_cache_hits + 1);
}
