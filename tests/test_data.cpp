#include <gtest/gtest.h>

#include <genlab/genlab.hpp>

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
