// Convolution and pooling beyond the op table (whose rows check values and
// gradients against PyTorch, on the CPU and the emulated device, and the edge
// cases): errors that name the shapes and parameters, a few results quoted
// from PyTorch 1.13, the threaded paths against the single-threaded one, and
// the CUDA paths' dtype rule.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "emulated_device.hpp"
#include "expect_error.hpp"
#include "genlab/genlab.hpp"

using namespace genlab;
using genlab::testing::expect_error;
using genlab::testing::on_emulated_device;

namespace {

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

// interpolate's planes spread over the threads give what one thread gives, forward and backward.
TEST(Conv, InterpolationThreadsMatchOneThread) {
  const int before = num_threads();
  const Tensor x = Tensor::randn({4, 16, 20, 24}, DType::f64);
  for (const char* mode : {"nearest", "bilinear"}) {
    std::vector<std::vector<double>> runs;
    for (int t : {1, 2}) {
      set_num_threads(t);
      Tensor xg = x.detach().requires_grad_(true);
      Tensor y = ops::interpolate(xg, {.scale_factor = {2.3, 1.7}, .mode = mode});
      ops::sum(y * y).backward();
      std::vector<double> r = values(y), gx = values(xg.grad());
      r.insert(r.end(), gx.begin(), gx.end());
      runs.push_back(r);
    }
    EXPECT_EQ(runs[0], runs[1]) << mode;
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

TEST(Conv, BadTransposedConvolutionsNameShapesAndParameters) {
  const Tensor x = Tensor::randn({2, 4, 5, 5}), w = Tensor::randn({4, 3, 3, 3});
  auto ct = [&](const Tensor& xi, const Tensor& wi, const Tensor& b, ops::Size2 s, ops::Size2 p, ops::Size2 op,
                int64_t groups = 1, ops::Size2 d = 1) { return ops::conv_transpose2d(xi, wi, b, s, p, op, groups, d); };
  expect_error([&] { ops::conv_transpose2d(Tensor::randn({4, 5}), w); },
               {"conv_transpose2d", "3-d (unbatched) or 4-d", "[4, 5]"}, "rank");
  expect_error([&] { ops::conv_transpose2d(x, Tensor::randn({4, 3, 3})); },
               {"conv_transpose2d", "4-d weight [in_channels, out_channels / groups", "[4, 3, 3]"}, "weight rank");
  expect_error([&] { ops::conv_transpose2d(x, Tensor::randn({3, 3, 3, 3})); },
               {"conv_transpose2d", "[2, 4, 5, 5]", "4 channels", "[3, 3, 3, 3]", "expects 3"}, "channels vs weight");
  expect_error([&] { ct(x, w, {}, {2, 0}, 0, 0); }, {"conv_transpose2d", "stride", "(2, 0)"}, "zero stride");
  expect_error([&] { ct(x, w, {}, 2, 0, {1, 2}); },
               {"output_padding (1, 2)", "smaller than either the stride (2, 2) or the dilation (1, 1)"},
               "output_padding = stride");
  expect_error([&] { ct(x, w, {}, 1, 0, 1, 1, {1, 2}); }, {"output_padding (1, 1)", "dilation (1, 2)"},
               "output_padding >= stride and >= dilation in one dim");
  EXPECT_EQ(ct(x, w, {}, 1, 0, {0, 1}, 1, {1, 2}).shape(), (Shape{2, 3, 7, 10}));  // < dilation suffices, as torch
  expect_error([&] { ct(x, w, {}, 1, 0, -1); }, {"output_padding", "(-1, -1)"}, "negative output_padding");
  expect_error([&] { ct(x, w, {}, 1, {0, -1}, 0); }, {"padding", "(0, -1)"}, "negative padding");
  expect_error([&] { ct(x, w, {}, 1, 0, 0, 1, 0); }, {"dilation", "(0, 0)"}, "zero dilation");
  expect_error([&] { ct(x, w, {}, 1, 4, 0); },
               {"conv_transpose2d", "[2, 4, 5, 5]", "padding (4, 4)", "output of (-1, -1)", "too small"},
               "output size below 1");
  expect_error([&] { ct(x, w, {}, 1, 0, 0, 3); }, {"in_channels 4", "groups = 3"}, "groups");
  expect_error([&] { ct(x, w, {}, 1, 0, 0, 0); }, {"groups", "got 0"}, "groups 0");
  expect_error([&] { ct(x, w, Tensor::randn({4}), 1, 0, 0, 2); }, {"bias [4]", "groups = 2", "expects [6]"}, "bias");
  expect_error([&] { ops::conv_transpose2d(x, Tensor::randn({4, 0, 3, 3})); }, {"weight [4, 0, 3, 3]", "empty"},
               "no output channels");
  expect_error([&] { ops::conv_transpose2d(Tensor::randn({2, 4, 0, 5}), w); }, {"[2, 4, 0, 5]", "empty"},
               "empty spatial dim");
  expect_error([&] { ops::conv_transpose2d(x, w.to(DType::f64)); }, {"conv_transpose2d", "dtype"}, "dtypes");
  expect_error([&] { ops::conv_transpose1d(Tensor::randn({2, 3, 4}), Tensor::randn({3, 2, 3}), {}, 2, 0, 2); },
               {"conv_transpose1d", "output_padding (2)", "stride (2)"}, "1-d output_padding");
  expect_error([&] { ops::conv_transpose1d(Tensor::randn({2, 3, 4, 4}), Tensor::randn({3, 2, 3})); },
               {"conv_transpose1d", "2-d (unbatched) or 3-d"}, "1-d rank");
}

TEST(Conv, BadInterpolationsNameShapesAndParameters) {
  const Tensor x = Tensor::randn({2, 3, 5, 4});
  using O = ops::InterpolateOptions;
  expect_error([&] { ops::interpolate(x, O{.size = {7}, .mode = "bicubic"}); }, {"interpolate", "'bicubic'"}, "mode");
  expect_error([&] { ops::interpolate(x, O{.size = {7}, .align_corners = false}); }, {"align_corners", "'nearest'"},
               "align_corners with nearest");
  expect_error([&] { ops::interpolate(x, O{}); }, {"size or scale_factor", "neither"}, "neither");
  expect_error([&] { ops::interpolate(x, O{.size = {7}, .scale_factor = {2}}); }, {"size or scale_factor", "both"},
               "both");
  expect_error([&] { ops::interpolate(x, O{.size = {7, 6, 5}}); }, {"[2, 3, 5, 4]", "2 spatial dims", "size has 3"},
               "size entries");
  expect_error([&] { ops::interpolate(x, O{.scale_factor = {2, 2, 2}}); }, {"scale_factor has 3"}, "scale entries");
  expect_error([&] { ops::interpolate(Tensor::randn({2, 3, 5}), O{.size = {7}, .mode = "bilinear"}); },
               {"'bilinear' needs a 4-d input", "[2, 3, 5]"}, "bilinear on 3-d");
  expect_error([&] { ops::interpolate(x, O{.size = {7}, .mode = "linear"}); }, {"'linear' needs a 3-d input"},
               "linear on 4-d");
  expect_error([&] { ops::interpolate(Tensor::randn({3, 5, 4}).reshape({3, 5, 4, 1, 1}), O{.size = {2}}); },
               {"3-d [N, C, L] or 4-d", "[3, 5, 4, 1, 1]"}, "rank");
  expect_error([&] { ops::interpolate(x, O{.scale_factor = {0.1}}); }, {"positive", "output size (0, 0)"},
               "output size 0");
  expect_error([&] { ops::interpolate(x, O{.size = {3, -1}}); }, {"positive", "(3, -1)"}, "negative size");
  expect_error([&] { ops::interpolate(x, O{.scale_factor = {INFINITY}}); }, {"scale_factor inf"}, "infinite scale");
  expect_error([&] { ops::interpolate(Tensor::randn({2, 0, 5, 4}), O{.size = {3}}); }, {"[2, 0, 5, 4]", "no channels"},
               "no channels");
  expect_error([&] { ops::interpolate(x, O{.size = {3}, .recompute_scale_factor = true}); },
               {"recompute_scale_factor", "explicit size"}, "recompute with a size");
  expect_error([&] { ops::interpolate(x.to(DType::i64), O{.size = {3}}); }, {"interpolate"}, "integer input");
}

// Values printed by PyTorch 1.13 for the same calls: a scale_factor steps by its
// inverse, unlike the size it gives (or recompute_scale_factor).
TEST(Conv, InterpolationAndTransposedResultsQuotedFromPyTorch) {
  const TensorOptions f64(DType::f64);
  const Tensor x = Tensor::arange(5, f64).reshape({1, 1, 1, 5});
  using O = ops::InterpolateOptions;
  expect_near(values(ops::interpolate(x, O{.scale_factor = {1.7}})), {0, 0, 1, 1, 2, 2, 3, 4}, 0);
  expect_near(values(ops::interpolate(x, O{.size = {1, 8}})), {0, 0, 1, 1, 2, 3, 3, 4}, 0);
  expect_near(values(ops::interpolate(x, O{.scale_factor = {1.7}, .recompute_scale_factor = true})),
              {0, 0, 1, 1, 2, 3, 3, 4}, 0);
  expect_near(values(ops::interpolate(x, O{.scale_factor = {1.7}, .mode = "bilinear"})),
              {0.0, 0.3823529411764706, 0.9705882352941178, 1.5588235294117647, 2.1470588235294117, 2.735294117647059,
               3.323529411764706, 3.9117647058823533}, 1e-12);
  expect_near(values(ops::interpolate(x, O{.scale_factor = {1.7}, .mode = "bilinear", .recompute_scale_factor = true})),
              {0.0, 0.4375, 1.0625, 1.6875, 2.3125, 2.9375, 3.5625, 4.0}, 1e-12);
  expect_near(values(ops::interpolate(x, O{.size = {1, 3}, .mode = "bilinear", .align_corners = true})), {0, 2, 4}, 0);
  const Tensor a = Tensor::arange(4, f64).reshape({1, 1, 2, 2}) + 1.0;
  expect_near(values(ops::conv_transpose2d(a, Tensor::ones({1, 1, 2, 2}, f64), {}, 2)),
              {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, 0);
  expect_near(values(ops::conv_transpose2d(a, Tensor::ones({1, 1, 3, 3}, f64), {}, 2, 1, 1)),
              {1, 3, 2, 2, 4, 10, 6, 6, 3, 7, 4, 4, 3, 7, 4, 4}, 0);
}

// conv_transpose2d is conv2d's adjoint: <conv2d(u, w), x> = <u, conv_transpose2d(x, w)>
// for the conv2d whose output has x's shape (a check that does not go through PyTorch).
TEST(Conv, TransposedConvolutionIsTheAdjointOfConv2d) {
  const Tensor x = Tensor::randn({2, 4, 4, 5}, DType::f64), w = Tensor::randn({4, 3, 3, 2}, DType::f64);
  const Tensor y = ops::conv_transpose2d(x, w, {}, {2, 3}, {1, 0}, {1, 2}, 2, {1, 2});
  const Tensor u = Tensor::randn(y.shape(), DType::f64);
  const Tensor cu = ops::conv2d(u, w, {}, {2, 3}, {1, 0}, {1, 2}, 2);
  ASSERT_EQ(cu.shape(), x.shape());
  EXPECT_NEAR(ops::sum(cu * x).item<double>(), ops::sum(u * y).item<double>(), 1e-9);
  // conv_transpose1d (here unbatched) is conv_transpose2d over a height of 1
  const Tensor s = Tensor::randn({3, 7}, DType::f64), k = Tensor::randn({3, 4, 3}, DType::f64);
  const Tensor y1 = ops::conv_transpose1d(s, k, {}, 2, 1, 1, 1, 2);
  EXPECT_EQ(y1.shape(), (Shape{4, 16}));
  expect_near(values(y1), values(ops::conv_transpose2d(s.reshape({3, 1, 7}), k.reshape({3, 4, 1, 3}), {}, {1, 2},
                                                       {0, 1}, {0, 1}, 1, {1, 2})), 1e-12);
}

TEST(Conv, ConvTranspose2dAndUpsampleModules) {
  manual_seed(3);
  nn::ConvTranspose2d ct(8, 6, 4, 2, 1, 0, 2);
  const auto named = ct.named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "weight");
  EXPECT_EQ(named[1].first, "bias");
  EXPECT_EQ(ct.weight.shape(), (Shape{8, 3, 4, 4}));
  EXPECT_EQ(ct.bias.shape(), (Shape{6}));
  const double bound = 1 / std::sqrt(3.0 * 16);  // torch: fan_in = weight.size(1) * kH * kW
  for (const Tensor& p : {ct.weight, ct.bias}) {
    const auto v = values(p);
    EXPECT_LE(*std::max_element(v.begin(), v.end()), bound);
    EXPECT_GE(*std::min_element(v.begin(), v.end()), -bound);
  }
  const auto wv = values(ct.weight);  // 384 draws: the bound is reached, not a smaller one
  EXPECT_GT(*std::max_element(wv.begin(), wv.end()), 0.9 * bound);
  const Tensor x = Tensor::randn({2, 8, 7, 7});
  EXPECT_EQ(ct(x).shape(), (Shape{2, 6, 14, 14}));
  EXPECT_EQ(ct.forward(x, {15, 14}).shape(), (Shape{2, 6, 15, 14}));
  expect_near(values(ct.forward(x, {15, 14})),
              values(ops::conv_transpose2d(x, ct.weight, ct.bias, 2, 1, {1, 0}, 2)), 0);
  expect_error([&] { ct.forward(x, {16, 14}); }, {"output size of (16, 14)", "from 14 to 15"}, "output_size");
  expect_error([&] { nn::ConvTranspose2d(8, 5, 3, 1, 0, 0, 2); }, {"ConvTranspose2d", "out_channels 5", "divisible by groups 2"}, "groups");
  nn::Upsample up({.scale_factor = {2}, .mode = "bilinear", .align_corners = true});
  EXPECT_TRUE(up.named_parameters().empty());
  expect_near(values(up(x)), values(ops::interpolate(x, {.size = {14, 14}, .mode = "bilinear", .align_corners = true})),
              0);
}

TEST(Conv, TransposedAndInterpolationCudaPathsTakeFloat32Only) {
  on_emulated_device([] {
    const Tensor x = Tensor::randn({1, 2, 5, 5}, DType::f64).to(Device::cuda());
    expect_error([&] { ops::conv_transpose2d(x, Tensor::randn({2, 2, 3, 3}, DType::f64).to(Device::cuda())); },
                 {"conv_transpose2d", "float32"}, "f64 conv_transpose2d on CUDA");
    expect_error([&] { ops::interpolate(x, {.size = {7}}); }, {"interpolate", "float32"}, "f64 interpolate on CUDA");
  });
}

}  // namespace
