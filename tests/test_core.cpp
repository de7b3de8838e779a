// Tensor, dtypes, views, broadcasting, allocator, RNG and error messages.
#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>

#include <genlab/genlab.hpp>

using namespace genlab;

TEST(Philox, MatchesRandom123KnownAnswers) {
  // philox4x32-10 vectors from Random123's kat_vectors
  EXPECT_EQ(Philox::block(0, 0, 0), (std::array<uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(Philox::block(~0ULL, ~0ULL, ~0ULL), (std::array<uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(Philox::block(0x299f31d0a4093822ULL, 0x85a308d3243f6a88ULL, 0x0370734413198a2eULL),
            (std::array<uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Random, SeedReproducesAndMomentsAreRight) {
  manual_seed(42);
  auto a = Tensor::randn({20000}).to_vector<double>();
  manual_seed(42);
  auto b = Tensor::randn({20000}).to_vector<double>();
  EXPECT_EQ(a, b);
  double m = 0, v = 0;
  for (double x : a) m += x;
  m /= double(a.size());
  for (double x : a) v += (x - m) * (x - m);
  v /= double(a.size());
  EXPECT_NEAR(m, 0.0, 0.03);
  EXPECT_NEAR(v, 1.0, 0.04);
  auto u = Tensor::rand({20000}).to_vector<double>();
  for (double x : u) ASSERT_TRUE(x >= 0 && x < 1);
}

TEST(DType, HalfAndBFloat16RoundTrip) {
  EXPECT_EQ(Half(1.0f / 3).bits, 0x3555);
  EXPECT_EQ(Half(65504.0f).bits, 0x7bff);
  EXPECT_EQ(Half(1e6f).bits, 0x7c00);      // overflow -> inf
  EXPECT_EQ(Half(1e-7f).bits, 0x0002);     // subnormal
  EXPECT_EQ(float(Half(0.5f)), 0.5f);
  EXPECT_EQ(BFloat16(1.0f / 3).bits, 0x3eab);
  EXPECT_EQ(float(BFloat16(2.0f)), 2.0f);
  Tensor x = Tensor::from_vector(std::vector<float>{0.1f, -2.5f, 1000.f}, {3});
  for (DType t : {DType::f16, DType::bf16, DType::f64}) {
    auto back = x.to(t).to(DType::f32).to_vector<float>();
    EXPECT_NEAR(back[0], 0.1f, 1e-3);
    EXPECT_EQ(back[1], -2.5f);
    EXPECT_NEAR(back[2], 1000.f, 4.f);
  }
  EXPECT_EQ(x.to(DType::i32).to_vector<int32_t>(), (std::vector<int32_t>{0, -2, 1000}));
}

TEST(Tensor, ViewsShareStorage) {
  Tensor x = Tensor::arange(12).reshape({3, 4});
  Tensor t = x.t();
  EXPECT_EQ(t.shape(), (Shape{4, 3}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.storage().get(), x.storage().get());
  EXPECT_EQ(t.contiguous().to_vector<int>(), (std::vector<int>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  Tensor s = x.slice(1, 1, 4, 2);  // columns 1 and 3
  EXPECT_EQ(s.to_vector<int>(), (std::vector<int>{1, 3, 5, 7, 9, 11}));
  s.fill_(-1);  // writes through to x
  EXPECT_EQ(x.to_vector<int>()[1], -1);
  EXPECT_EQ(x.select(0, 2).to_vector<int>(), (std::vector<int>{8, -1, 10, -1}));
  EXPECT_EQ(Tensor::arange(3).reshape({3, 1}).expand({3, 2}).to_vector<int>(), (std::vector<int>{0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(x.unsqueeze(0).shape(), (Shape{1, 3, 4}));
  EXPECT_EQ(x.unsqueeze(0).squeeze(0).shape(), (Shape{3, 4}));
  EXPECT_EQ(x.permute({1, 0}).reshape({-1}).numel(), 12);
  EXPECT_EQ(Tensor::zeros({2, 3, 4}).flatten(1).shape(), (Shape{2, 12}));
}

TEST(Tensor, BroadcastingArithmetic) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3, 1});
  Tensor b = Tensor::from_vector(std::vector<float>{10, 20}, {2});
  EXPECT_EQ((a + b).shape(), (Shape{3, 2}));
  EXPECT_EQ((a + b).to_vector<float>(), (std::vector<float>{11, 21, 12, 22, 13, 23}));
  EXPECT_EQ((2.0 * a - 1.0).to_vector<float>(), (std::vector<float>{1, 3, 5}));
}

TEST(Errors, NameBothShapes) {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 5});
  try {
    ops::add(a, b);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[4, 5]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::matmul(a, b), Error);
  EXPECT_THROW(ops::matmul(a, Tensor::zeros({3, 2}, DType::f64)), Error);  // PyTorch: "expected ... same dtype"
  EXPECT_THROW(a.reshape({5}), Error);
  EXPECT_THROW(a.data<double>(), Error);
  EXPECT_THROW(Tensor::zeros({2}).item(), Error);
  EXPECT_THROW(ops::cross_entropy(a, Tensor::from_vector(std::vector<int64_t>{0, 7}, {2})), Error);
  const Tensor out_of_range = Tensor::from_vector(std::vector<int64_t>{1, 3}, {2, 1});  // a has 3 columns
  EXPECT_THROW(ops::gather(a, 1, out_of_range), Error);
  EXPECT_THROW(ops::index_select(a, 1, ops::reshape(out_of_range, {2})), Error);
  EXPECT_THROW(ops::embedding(a.t().contiguous(), out_of_range), Error);
  EXPECT_THROW(Tensor::empty({int64_t(1) << 40, int64_t(1) << 40}), Error);
  // Where no device exists (no GPU, or no CUDA build), moving there is a clear error.
  if (!cuda_is_available()) EXPECT_THROW(a.to(Device::cuda()), Error);
}

TEST(Tensor, PrintsLikePyTorch) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, -2.5f, 3, 4}, {2, 2});
  EXPECT_EQ(x.str(), "tensor([[ 1.0000, -2.5000],\n        [ 3.0000,  4.0000]], shape=[2, 2], dtype=float32, device=cpu)");
  EXPECT_EQ(Tensor::arange(3, DType::i64).str(), "tensor([0, 1, 2], shape=[3], dtype=int64, device=cpu)");
  Tensor big = Tensor::zeros({2000});
  EXPECT_NE(big.str().find("..."), std::string::npos);
}

TEST(Allocator, CachesBlocks) {
  empty_cache();
  auto before = memory_stats();
  { Tensor a = Tensor::empty({1000}); }
  { Tensor b = Tensor::empty({1000}); }  // reuses a's block
  auto after = memory_stats();
  EXPECT_EQ(after.num_allocs - before.num_allocs, 2u);
  if (allocator_caches_blocks()) EXPECT_GE(after.num_cache_hits - before.num_cache_hits, 1u);
  else EXPECT_EQ(after.num_cache_hits, before.num_cache_hits);  // ASan build: every block is freed
  Tensor c = Tensor::empty({16});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(c.raw_data()) % kAlignment, 0u);
}

TEST(Allocator, LargeBlocksAreHugePageAligned) {
  // 2 MiB alignment is what lets the kernel back a block with transparent huge pages
  Tensor big = Tensor::empty({3 << 18});  // 3 MiB of float32
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big.raw_data()) % (uintptr_t(2) << 20), 0u);
}

// Arrays laid end to end are cut across threads: every element of every array
// is visited exactly once, whatever the thread count and however the cuts fall.
TEST(Threads, ParallelForPartsVisitsEveryElementOnce) {
  const int saved = num_threads();
  const std::vector<int64_t> sizes = {5000, 0, 1, 70000, 3, 12345};
  for (int threads : {1, 2, 3, 7}) {
    set_num_threads(threads);
    std::vector<std::vector<std::atomic<int>>> hits, owner;
    for (int64_t n : sizes) {
      hits.emplace_back(size_t(n));
      owner.emplace_back(size_t(n));
    }
    parallel_for_parts(sizes, 1000, [&](size_t i, int64_t b, int64_t e) {
      ASSERT_LE(e, sizes[i]);
      for (int64_t k = b; k < e; ++k) {
        hits[i][size_t(k)]++;
        owner[i][size_t(k)] = omp_get_thread_num();
      }
    });
    for (size_t i = 0; i < sizes.size(); ++i)
      for (size_t k = 0; k < hits[i].size(); ++k)
        ASSERT_EQ(hits[i][k].load(), 1) << "array " << i << " element " << k << " at " << threads << " threads";
    // thread t takes the t-th slice of every array: the first element of each
    // array goes to thread 0, the last to the last thread
    for (size_t i = 0; i < sizes.size(); ++i)
      if (sizes[i] >= threads) {
        EXPECT_EQ(owner[i].front().load(), 0) << "array " << i << " at " << threads << " threads";
        EXPECT_EQ(owner[i].back().load(), threads - 1) << "array " << i << " at " << threads << " threads";
      }
  }
  set_num_threads(saved);
}

// set_data swaps a leaf's data in place: every handle sees it, the grad is
// dropped, and tensors inside a graph refuse.
TEST(Tensor, SetDataKeepsIdentity) {
  Tensor p = Tensor::zeros({2, 3}).requires_grad_();
  Tensor alias = p;  // e.g. a module field and the optimizer's list
  p.set_grad(Tensor::ones({2, 3}));
  p.set_data(Tensor::full({4}, 2.0, DType::f64));
  EXPECT_EQ(alias.shape(), Shape{4});
  EXPECT_EQ(alias.dtype(), DType::f64);
  EXPECT_EQ(alias.to_vector<double>(), std::vector<double>(4, 2.0));
  EXPECT_TRUE(alias.requires_grad());
  EXPECT_FALSE(alias.grad().defined());
  Tensor y = ops::mul(p, 3.0);
  EXPECT_THROW(y.set_data(Tensor::zeros({4}, DType::f64)), Error);
}
