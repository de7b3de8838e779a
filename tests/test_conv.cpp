// Convolution and pooling beyond the op table (whose rows check values and
// gradients against PyTorch, on the CPU and the emulated device, and the edge
// cases): errors that name the shapes and parameters, a few results quoted
// from PyTorch 1.13, the threaded paths against the single-threaded one, and
// the CUDA paths' dtype rule.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "emulated_device.hpp"
#include "genlab/genlab.hpp"

using namespace genlab;
using genlab::testing::on_emulated_device;

namespace {

template <class F>
void expect_error(F&& f, std::vector<std::string> words, const char* what) {
  try {
    f();
    ADD_FAILURE() << what << ": no error";
  } catch (const Error& e) {
    for (const auto& w : words) EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << what << ": " << e.what();
  }
}
std::vector<double> values(const Tensor& t) { return t.to(Device::cpu()).to_vector<double>(); }
void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) EXPECT_TRUE(std::isnan(got[i])) << "element " << i;
    else EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
  }
}

TEST(Conv, BadConvolutionsNameShapesAndParameters) {
  const Tensor x = Tensor::randn({2, 4, 5, 5}), w = Tensor::randn({6, 2, 3, 3});
  expect_error([&] { ops::conv2d(Tensor::randn({4, 5}), w); }, {"conv2d", "3-d (unbatched) or 4-d", "[4, 5]"}, "rank");
  expect_error([&] { ops::conv2d(x, Tensor::randn({6, 2, 3})); }, {"conv2d", "4-d weight", "[6, 2, 3]"}, "weight rank");
  expect_error([&] { ops::conv2d(x, w); }, {"conv2d", "[2, 4, 5, 5]", "4 channels", "[6, 2, 3, 3]", "expects 2"},
               "channels vs weight");
  expect_error([&] { ops::conv2d(x, Tensor::randn({5, 2, 3, 3}), {}, 1, 0, 1, 2); },
               {"conv2d", "out_channels 5", "groups = 2"}, "out_channels not divisible");
  expect_error([&] { ops::conv2d(Tensor::randn({2, 5, 5, 5}), w, {}, 1, 0, 1, 2); },
               {"conv2d", "5 channels", "groups = 2", "expects 4"}, "in_channels not divisible");
  expect_error([&] { ops::conv2d(x, Tensor::randn({6, 4, 7, 3})); },
               {"conv2d", "kernel (7, 3)", "padded input (5, 5)"}, "kernel larger than the input");
  expect_error([&] { ops::conv2d(x, Tensor::randn({6, 4, 8, 3}), {}, 1, 1); }, {"(1, 1)", "[6, 4, 8, 3]"},
               "kernel larger than the padded input");
  expect_error([&] { ops::conv2d(x, Tensor::randn({6, 4, 3, 3}), {}, {1, 0}); }, {"conv2d", "stride", "(1, 0)"},
               "zero stride");
  expect_error([&] { ops::conv2d(x, Tensor::randn({6, 4, 3, 3}), {}, -2); }, {"stride", "(-2, -2)"}, "negative stride");
  expect_error([&] { ops::conv2d(x, Tensor::randn({6, 4, 3, 3}), {}, 1, 0, {0, 1}); }, {"dilation", "(0, 1)"},
               "zero dilation");
  expect_error([&] { ops::conv2d(x, Tensor::randn({6, 4, 3, 3}), {}, 1, {0, -1}); }, {"padding", "(0, -1)"},
               "negative padding");
  expect_error([&] { ops::conv2d(x, Tensor::randn({6, 4, 3, 3}), {}, 2, "same"); }, {"same", "stride (2, 2)"},
               "'same' with a stride");
  expect_error([&] { ops::conv2d(x, Tensor::randn({6, 4, 3, 3}), {}, 1, "full"); }, {"'full'"}, "unknown padding");
  expect_error([&] { ops::conv2d(x, Tensor::randn({6, 4, 3, 3}), Tensor::randn({4})); }, {"bias [4]", "expects [6]"},
               "bias");
  expect_error([&] { ops::conv2d(x, Tensor::randn({6, 4, 3, 3}), {}, 1, 0, 1, 0); }, {"groups", "got 0"}, "groups 0");
  expect_error([&] { ops::conv2d(x, Tensor::randn({6, 4, 3, 3}, DType::f64)); }, {"conv2d", "dtype"}, "dtypes");
  expect_error([&] { ops::conv1d(Tensor::randn({2, 3, 4}), Tensor::randn({2, 3, 5})); },
               {"conv1d", "kernel (5)", "padded input (4)"}, "1-d kernel too long");
  expect_error([&] { ops::conv1d(Tensor::randn({2, 3, 4, 4}), Tensor::randn({2, 3, 3})); },
               {"conv1d", "2-d (unbatched) or 3-d"}, "1-d rank");
  expect_error([&] { ops::conv1d(Tensor::randn({2, 3, 8}), Tensor::randn({2, 3, 3}), {}, 1, {1, 2}); },
               {"conv1d", "one number"}, "1-d padding pair");
}

TEST(Conv, BadPoolingNamesShapesAndParameters) {
  const Tensor x = Tensor::randn({2, 3, 4, 4});
  expect_error([&] { ops::max_pool2d(Tensor::randn({4, 4}), 2); }, {"max_pool2d", "3-d (unbatched) or 4-d", "[4, 4]"},
               "rank");
  expect_error([&] { ops::max_pool2d(x, 3, 1, 2); }, {"max_pool2d", "padding (2, 2)", "half the kernel (3, 3)"},
               "padding past half the kernel");
  expect_error([&] { ops::max_pool2d(x, 5); }, {"max_pool2d", "[2, 3, 4, 4]", "kernel (5, 5)", "too small"},
               "output size 0");
  expect_error([&] { ops::max_pool2d(x, 2, 0); }, {"stride", "(0, 0)"}, "zero stride");
  expect_error([&] { ops::max_pool2d(x, {2, 0}); }, {"kernel_size", "(2, 0)"}, "zero kernel");
  expect_error([&] { ops::max_pool2d(x, 2, 1, 0, 0); }, {"dilation", "(0, 0)"}, "zero dilation");
  expect_error([&] { ops::avg_pool2d(x, 2, 1, -1); }, {"avg_pool2d", "padding (-1, -1)"}, "negative padding");
  expect_error([&] { ops::avg_pool2d(Tensor::randn({2, 0, 4, 4}), 2); }, {"avg_pool2d", "[2, 0, 4, 4]", "empty"},
               "no channels");
  expect_error([&] { ops::adaptive_avg_pool2d(x, {2, -1}); }, {"adaptive_avg_pool2d", "(2, -1)"}, "negative size");
}

// Values printed by PyTorch 1.13 for the same calls.
TEST(Conv, ResultsQuotedFromPyTorch) {
  const Tensor x = Tensor::arange(16, TensorOptions(DType::f64)).reshape({1, 1, 4, 4});
  const Tensor w = Tensor::ones({1, 1, 3, 3}, TensorOptions(DType::f64));
  expect_near(values(ops::conv2d(x, w, {}, 2, 1)), {10, 24, 51, 90}, 1e-12);
  expect_near(values(ops::avg_pool2d(x, 3, 2, 1, true, false)), {2.5, 4, 5, 8.5, 10, 11, 12.5, 14, 15}, 1e-12);
  expect_near(values(ops::avg_pool2d(x, 3, 2, 1, true)),
              {10 / 9., 24 / 9., 10 / 6., 51 / 9., 10, 33 / 6., 25 / 6., 42 / 6., 15 / 4.}, 1e-12);
  const double nan = std::nan("");
  const Tensor y = Tensor::from_vector(std::vector<double>{1, 3, 3, 0, nan, 2, -1, 5, 4, 4, nan, 4, 0, 1, 2, -3},
                                       {1, 1, 4, 4}, TensorOptions(DType::f64));
  auto [v, i] = ops::max_pool2d_with_indices(y, 2, 1);
  expect_near(values(v), {nan, 3, 5, nan, nan, nan, 4, nan, nan}, 0);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{4, 1, 7, 4, 10, 10, 8, 10, 10}));
  EXPECT_EQ(i.dtype(), DType::i64);
}

// With dilation 2 and padding 1 over a height of 1, the window's rows are -1
// and 1: none is inside. torch 1.13 returns -inf with an index past the plane
// (its backward then writes out of bounds); genlab gives -inf, index -1, and no gradient.
TEST(Conv, MaxPoolWindowInThePaddingHasNoIndex) {
  const Tensor x = Tensor::randn({1, 1, 1, 7}, DType::f64).requires_grad_(true);
  auto [v, i] = ops::max_pool2d_with_indices(x, {2, 3}, 1, {1, 0}, 2);
  ASSERT_EQ(v.shape(), (Shape{1, 1, 1, 3}));
  for (double e : values(v)) EXPECT_EQ(e, -INFINITY);
  for (int64_t e : i.to_vector<int64_t>()) EXPECT_EQ(e, -1);
  ops::sum(v).backward();
  for (double e : values(x.grad())) EXPECT_EQ(e, 0.0);
}

TEST(Conv, PaddingModesAndConv1dAreTheConv2dTheyName) {
  const Tensor x = Tensor::randn({2, 4, 7, 6}, DType::f64), w = Tensor::randn({6, 2, 3, 3}, DType::f64);
  expect_near(values(ops::conv2d(x, w, {}, 2, "valid", 1, 2)), values(ops::conv2d(x, w, {}, 2, 0, 1, 2)), 0);
  expect_near(values(ops::conv2d(x, w, {}, 1, "same", 2, 2)), values(ops::conv2d(x, w, {}, 1, 2, 2, 2)), 0);
  const Tensor s = Tensor::randn({2, 4, 9}, DType::f64), k = Tensor::randn({6, 2, 3}, DType::f64);
  expect_near(values(ops::conv1d(s, k, {}, 2, 1, 2, 2)),
              values(ops::conv2d(s.reshape({2, 4, 1, 9}), k.reshape({6, 2, 1, 3}), {}, {1, 2}, {0, 1}, {1, 2}, 2)),
              1e-12);
}

// The per-sample threads (many samples) and the threaded GEMM (one sample)
// agree with one thread, forward and backward.
TEST(Conv, ThreadedPathsMatchOneThread) {
  const int before = num_threads();
  for (int64_t n : {1, 6}) {
    const Tensor x = Tensor::randn({n, 8, 12, 11}), w = Tensor::randn({16, 4, 3, 3}), b = Tensor::randn({16});
    std::vector<std::vector<double>> runs;
    for (int t : {1, 2}) {
      set_num_threads(t);
      Tensor xg = x.detach().requires_grad_(true), wg = w.detach().requires_grad_(true);
      Tensor y = ops::conv2d(xg, wg, b, {2, 1}, 1, 1, 2);
      ops::sum(y * y).backward();
      std::vector<double> r = values(y), gx = values(xg.grad()), gw = values(wg.grad());
      r.insert(r.end(), gx.begin(), gx.end());
      r.insert(r.end(), gw.begin(), gw.end());
      runs.push_back(r);
    }
    for (size_t i = 0; i < runs[0].size(); ++i) ASSERT_NEAR(runs[0][i], runs[1][i], 1e-3 * (1 + std::abs(runs[0][i])));
  }
  set_num_threads(before);
}

TEST(Conv, CudaPathsTakeFloat32Only) {
  on_emulated_device([] {
    const Tensor x = Tensor::randn({1, 2, 5, 5}, DType::f64).to(Device::cuda());
    expect_error([&] { ops::conv2d(x, Tensor::randn({2, 2, 3, 3}, DType::f64).to(Device::cuda())); },
                 {"conv2d", "float32"}, "f64 conv on CUDA");
    expect_error([&] { ops::max_pool2d(x, 2); }, {"max_pool2d", "float32"}, "f64 pool on CUDA");
    expect_error([&] { ops::conv2d(x.to(DType::f32), Tensor::randn({2, 2, 3, 3})); }, {"conv2d", "device"},
                 "devices differ");
  });
}

}  // namespace
