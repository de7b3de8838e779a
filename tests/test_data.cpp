#include <gtest/gtest.h>

#include <genlab/genlab.hpp>
#include <memory>
#include <numeric>

using namespace genlab;

TEST(DataLoader, ShufflesReproduciblyAndCoversEveryRow) {
  data::TensorDataset ds(Tensor::arange(10, DType::f32).reshape({10, 1}), Tensor::arange(10, DType::i64));
  auto epoch_rows = [&](uint64_t seed, uint64_t epoch, bool drop_last) {
    data::DataLoader dl(ds, {.batch_size = 3, .shuffle = true, .drop_last = drop_last, .seed = seed});
    dl.start_epoch(epoch);
    std::vector<int64_t> rows;
    while (auto b = dl.next()) {
      auto y = b->y.to_vector<int64_t>();
      rows.insert(rows.end(), y.begin(), y.end());
    }
    return rows;
  };
  auto a = epoch_rows(1, 0, false);
  EXPECT_EQ(a, epoch_rows(1, 0, false));
  EXPECT_NE(a, epoch_rows(1, 1, false));
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(epoch_rows(1, 0, true).size(), 9u);
}

TEST(FashionMnist, MissingDataNamesThePackage) {
  try {
    data::fashion_mnist("train", "/nonexistent");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dataset-fashion-mnist"), std::string::npos) << e.what();
  }
  EXPECT_THROW(data::fashion_mnist("validation"), Error);
}

TEST(FashionMnist, LoadsTheDebianPackage) {
  auto test = data::fashion_mnist("test");
  EXPECT_EQ(test.x.shape(), (Shape{10000, 784}));
  EXPECT_EQ(test.y.shape(), (Shape{10000}));
  auto y = test.y.to_vector<int64_t>();
  std::vector<int> counts(10);
  for (auto v : y) counts[size_t(v)]++;
  for (int c : counts) EXPECT_EQ(c, 1000);  // the test split is balanced
  double mx = 0;
  for (double v : ops::slice(test.x, 0, 0, 10).to_vector<double>()) mx = std::max(mx, v);
  EXPECT_LE(mx, 1.0);
}

TEST(DataLoader, ThreadCountChangeMidEpochIsSafe) {
  data::TensorDataset ds(Tensor::arange(10, DType::f32).reshape({10, 1}), Tensor::arange(10, DType::i64));
  data::DataLoader dl(ds, {.batch_size = 3, .shuffle = false});
  const int threads = num_threads();
  for (int first : {1, threads}) {
    set_num_threads(first);
    dl.start_epoch(0);
    set_num_threads(first == 1 ? std::max(threads, 2) : 1);  // flips the automatic prefetch decision
    int64_t rows = 0;
    while (auto b = dl.next()) rows += b->y.numel();
    EXPECT_EQ(rows, 10);
  }
  set_num_threads(threads);
}

namespace {
std::vector<int64_t> all_rows(data::DataLoader& dl, uint64_t epoch = 0) {
  dl.start_epoch(epoch);
  std::vector<int64_t> rows;
  while (auto b = dl.next()) {
    auto y = b->y.to(Device::cpu()).to_vector<int64_t>();
    rows.insert(rows.end(), y.begin(), y.end());
  }
  return rows;
}
std::vector<int64_t> iota_rows(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}
// The loader outlives the dataset it was built from (it kept a reference to it before).
data::DataLoader loader_over_a_temporary(int64_t n) {
  return data::DataLoader(data::TensorDataset(Tensor::arange(n, DType::f32).reshape({n, 1}), Tensor::arange(n, DType::i64)),
                          {.batch_size = 1, .shuffle = false, .prefetch = data::Prefetch::off});
}
}  // namespace

TEST(DataLoader, OwnsATemporaryDataset) {
  data::DataLoader dl = loader_over_a_temporary(10);
  volatile char scribble[4096];  // reuses the stack the dataset lived on
  for (size_t i = 0; i < sizeof scribble; ++i) scribble[i] = char(0xa5);
  EXPECT_EQ(dl.num_batches(), 10);
  EXPECT_EQ(all_rows(dl), iota_rows(10));
}

// The first batch's task used to capture the loader's `this`: moving the loader
// (and freeing the old one) while it ran read freed memory.
TEST(DataLoader, MoveWhilePrefetchingIsSafe) {
  data::TensorDataset ds(Tensor::arange(4000, DType::f32).reshape({1000, 4}), Tensor::arange(1000, DType::i64));
  for (int trial = 0; trial < 20; ++trial) {
    auto a = std::make_unique<data::DataLoader>(ds, data::LoaderOptions{.batch_size = 100, .shuffle = true, .seed = 3,
                                                                        .prefetch = data::Prefetch::on});
    a->start_epoch(0);  // launches the first batch
    data::DataLoader b = std::move(*a);
    a.reset();
    std::vector<int64_t> rows;
    while (auto batch = b.next()) {
      auto y = batch->y.to_vector<int64_t>();
      rows.insert(rows.end(), y.begin(), y.end());
    }
    std::sort(rows.begin(), rows.end());
    ASSERT_EQ(rows, iota_rows(1000)) << "trial " << trial;
  }
  data::DataLoader c(ds, {.batch_size = 7});
  EXPECT_THROW(c.next(), Error);  // before start_epoch
}

// Rows of a CUDA-resident dataset are gathered on the device (a host memcpy from
// device pointers segfaulted); the emulated device faults on host reads as a GPU would.
TEST(DataLoader, GathersACudaDatasetOnTheDevice) {
  const bool was = cuda::emulated();
  cuda::set_emulated(true);
  {
    Tensor x = Tensor::arange(30, DType::f32).reshape({10, 3});
    data::TensorDataset ds(x.to(Device::cuda()), Tensor::arange(10, DType::i64).to(Device::cuda()));
    for (auto pf : {data::Prefetch::off, data::Prefetch::on}) {
      data::DataLoader dl(ds, {.batch_size = 4, .shuffle = true, .seed = 5, .prefetch = pf});
      dl.start_epoch(0);
      int64_t seen = 0;
      while (auto b = dl.next()) {
        ASSERT_TRUE(b->x.device().is_cuda());
        auto y = b->y.to(Device::cpu()).to_vector<int64_t>();
        auto xs = b->x.to(Device::cpu()).to_vector<float>();
        for (size_t i = 0; i < y.size(); ++i)
          for (size_t j = 0; j < 3; ++j) EXPECT_EQ(xs[i * 3 + j], float(y[i] * 3 + int64_t(j)));
        seen += int64_t(y.size());
      }
      EXPECT_EQ(seen, 10);
    }
  }
  cuda::set_emulated(was);
}
