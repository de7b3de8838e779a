// Image augmentation inside the DataLoader (data/augment.hpp): what each
// transform does to a known image, that a run is the same with and without
// prefetch, and that bad shapes or parameters raise naming them.
#include <gtest/gtest.h>

#include <set>

#include "expect_error.hpp"
#include "genlab/genlab.hpp"

using namespace genlab;
using namespace genlab::data::augment;
using genlab::testing::expect_error;

namespace {

// n images of [c, h, w] holding 1 + their flat index within the batch (no zeros)
data::Batch numbered(int64_t n, ImageShape s) {
  Tensor x = ops::add(Tensor::arange(n * s.c * s.h * s.w).to(DType::f32), 1.0).reshape({n, s.c, s.h, s.w});
  return {x, Tensor::arange(n).to(DType::i64)};
}

float at(const Tensor& x, int64_t i, int64_t c, int64_t y, int64_t xx, ImageShape s) {
  return x.data<float>()[((i * s.c + c) * s.h + y) * s.w + xx];
}

}  // namespace

TEST(Augment, RandomCropIsAShiftWithZeroBorder) {
  const ImageShape s{2, 5, 6};
  const int64_t pad = 2, n = 64;
  data::Batch in = numbered(n, s);
  data::Batch out = random_crop(s, pad)(in, 42);
  ASSERT_EQ(out.x.shape(), in.x.shape());
  std::set<std::pair<int64_t, int64_t>> shifts;
  for (int64_t i = 0; i < n; ++i) {
    // find the shift (dy, dx) that explains image i, channel 0 and 1 alike
    bool found = false;
    for (int64_t dy = -pad; dy <= pad && !found; ++dy)
      for (int64_t dx = -pad; dx <= pad && !found; ++dx) {
        bool ok = true;
        for (int64_t c = 0; c < s.c && ok; ++c)
          for (int64_t y = 0; y < s.h && ok; ++y)
            for (int64_t x = 0; x < s.w && ok; ++x) {
              const bool inside = y + dy >= 0 && y + dy < s.h && x + dx >= 0 && x + dx < s.w;
              ok = at(out.x, i, c, y, x, s) == (inside ? at(in.x, i, c, y + dy, x + dx, s) : 0.0f);
            }
        if (ok) shifts.insert({dy, dx}), found = true;
      }
    EXPECT_TRUE(found) << "image " << i << " is not a shift of its input by at most " << pad;
  }
  EXPECT_GT(shifts.size(), 12u) << "64 images drew only " << shifts.size() << " of the 25 shifts";
  EXPECT_EQ(out.y.to_vector<int64_t>(), in.y.to_vector<int64_t>());
  // padding 0: the image itself
  EXPECT_EQ(random_crop(s, 0)(in, 42).x.to_vector<float>(), in.x.to_vector<float>());
}

TEST(Augment, HorizontalFlipMirrorsRowsWithProbabilityP) {
  const ImageShape s{1, 2, 3};
  data::Batch in = numbered(200, s);
  data::Batch all = horizontal_flip(s, 1.0)(in, 1);
  EXPECT_EQ(at(all.x, 0, 0, 0, 0, s), 3.0f);
  EXPECT_EQ(at(all.x, 0, 0, 1, 2, s), 4.0f);
  EXPECT_EQ(horizontal_flip(s, 1.0)(all, 9).x.to_vector<float>(), in.x.to_vector<float>());
  EXPECT_EQ(horizontal_flip(s, 0.0)(in, 1).x.to_vector<float>(), in.x.to_vector<float>());
  data::Batch half = horizontal_flip(s, 0.5)(in, 3);
  int flipped = 0;
  for (int64_t i = 0; i < 200; ++i) flipped += at(half.x, i, 0, 0, 0, s) != at(in.x, i, 0, 0, 0, s);
  EXPECT_GT(flipped, 70);
  EXPECT_LT(flipped, 130);
}

TEST(Augment, NormalizePerChannelOnFlatImages) {
  const ImageShape s{2, 1, 2};
  data::Batch in{Tensor::from_vector(std::vector<float>{1, 3, 5, 7}, {1, 4}), Tensor::arange(1)};
  data::Batch out = normalize(s, {1.0, 3.0}, {2.0, 4.0})(in, 0);
  EXPECT_EQ(out.x.shape(), (Shape{1, 4}));
  EXPECT_EQ(out.x.to_vector<float>(), (std::vector<float>{0.0f, 1.0f, 0.5f, 1.0f}));
}

TEST(Augment, LoaderRunsTheTransformTheSameWithAndWithoutPrefetch) {
  const ImageShape s{1, 4, 4};
  data::Batch all = numbered(40, s);
  data::TensorDataset ds(all.x, all.y);
  auto run = [&](data::Prefetch p, uint64_t seed) {
    data::DataLoader loader(ds, {.batch_size = 8, .seed = seed, .prefetch = p,
                                 .transform = compose({random_crop(s, 1), horizontal_flip(s)})});
    std::vector<float> seen;
    for (uint64_t ep = 0; ep < 2; ++ep) {
      loader.start_epoch(ep);
      while (auto b = loader.next()) {
        auto v = b->x.to_vector<float>();
        seen.insert(seen.end(), v.begin(), v.end());
      }
    }
    return seen;
  };
  const auto a = run(data::Prefetch::on, 5), b = run(data::Prefetch::off, 5);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, run(data::Prefetch::off, 6));
  EXPECT_NE(a, all.x.to_vector<float>());
}

TEST(Augment, BadShapesAndParametersAreNamed) {
  data::Batch b = numbered(2, {1, 3, 3});
  expect_error([&] { random_crop({1, 4, 4}, 1)(b, 0); }, {"batch [2, 1, 3, 3] does not hold images of [1, 4, 4]"});
  expect_error([&] { random_crop({1, 3, 3}, -1); }, {"padding must be >= 0, got -1"});
  expect_error([&] { horizontal_flip({1, 3, 3}, 1.5); }, {"probability must be in [0, 1], got 1.5"});
  expect_error([&] { normalize({3, 3, 3}, {0.5, 0.5}, {1.0}); }, {"2 mean values for 3 channels"});
  expect_error([&] { normalize({1, 3, 3}, {0.5}, {0.0}); }, {"std must be positive, got 0"});
  data::Batch ints{Tensor::arange(18).to(DType::i64).reshape({2, 1, 3, 3}), Tensor::arange(2)};
  expect_error([&] { horizontal_flip({1, 3, 3})(ints, 0); }, {"needs float32 images on the CPU, got int64"});
}
