// Sorting (ops::sort, argsort, topk) beyond the op table, whose rows are
// checked against PyTorch (tests/op_table.cpp, make_fixtures.py, the edge
// mode): orders quoted from PyTorch 1.13 (NaN, -0.0, ties), 0-d and empty
// inputs, k at its bounds, errors that name k and the shape, and every path
// of the CPU kernel (src/cpu/sort.cpp) and of the CUDA kernel (cuda/sort.cuh,
// on the emulated device) on long rows against std::stable_sort with torch's
// comparison (NaN above every number), which is the order torch.sort(stable=True) defines.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "../cuda/emulate.hpp"
#include "../cuda/sort.cuh"
#include "emulated_device.hpp"
#include "expect_error.hpp"
#include "genlab/genlab.hpp"

using namespace genlab;
using genlab::testing::expect_error;
using genlab::testing::on_emulated_device;

namespace {

std::vector<int64_t> idx_of(const Tensor& t) { return t.to(Device::cpu()).to_vector<int64_t>(); }

// The stable order of v, with torch's comparison: NaN above every number, -0.0 equal to 0.0.
std::vector<int64_t> stable_order(const std::vector<double>& v, bool descending) {
  std::vector<int64_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), int64_t(0));
  std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
    const double x = v[size_t(a)], y = v[size_t(b)];
    return descending ? (std::isnan(x) && !std::isnan(y)) || x > y : (!std::isnan(x) && std::isnan(y)) || x < y;
  });
  return idx;
}

// Rows with ties, NaNs, infinities and both zeros: normals rounded to quarters.
std::vector<double> awkward_row(int64_t n, uint64_t seed) {
  manual_seed(seed);
  auto v = Tensor::randn({n}, DType::f64).to_vector<double>();
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = std::round(v[i] * 4) / 4;
    if (i % 17 == 3) v[i] = NAN;
    if (i % 23 == 5) v[i] = -0.0;
    if (i % 29 == 7) v[i] = i % 2 ? INFINITY : -INFINITY;
  }
  return v;
}

// Checks the first k of every row of x [outer, n, inner] along dim 1 against stable_order.
void expect_stable(const Tensor& x, int64_t k, bool descending, const std::string& what) {
  const int64_t outer = x.shape()[0], n = x.shape()[1], inner = x.shape()[2];
  auto [values, indices] = ops::topk(x, k, 1, descending);
  const auto xv = x.to(Device::cpu()).to(DType::f64).to_vector<double>();
  const auto vv = values.to(Device::cpu()).to(DType::f64).to_vector<double>();
  const auto iv = idx_of(indices);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      std::vector<double> row(static_cast<size_t>(n));
      for (int64_t j = 0; j < n; ++j) row[size_t(j)] = xv[size_t((o * n + j) * inner + i)];
      const auto want = stable_order(row, descending);
      for (int64_t j = 0; j < k; ++j) {
        const size_t at = size_t((o * k + j) * inner + i);
        ASSERT_EQ(iv[at], want[size_t(j)]) << what << ": row (" << o << ", " << i << ") position " << j;
        const double w = row[size_t(want[size_t(j)])];  // the input's own value: -0.0 keeps its sign
        ASSERT_TRUE(std::isnan(w) ? std::isnan(vv[at]) : vv[at] == w && std::signbit(vv[at]) == std::signbit(w))
            << what << ": value at " << j;
      }
    }
}

TEST(Sort, NaNZerosAndInfinitiesInTorchsOrder) {
  // torch 1.13: a = [1, nan, -0., 0., inf, -inf, nan, 0.]
  for (DType t : {DType::f32, DType::f64}) {
    const Tensor a = Tensor::from_vector(std::vector<double>{1, NAN, -0.0, 0.0, INFINITY, -INFINITY, NAN, 0.0}, {8},
                                         TensorOptions(t));
    auto [v, i] = ops::sort(a, -1, false, true);  // torch.sort(a, stable=True)
    EXPECT_EQ(idx_of(i), (std::vector<int64_t>{5, 2, 3, 7, 0, 4, 1, 6}));
    EXPECT_TRUE(std::signbit(v.to(DType::f64).to_vector<double>()[1]));  // values: -inf, -0., 0., 0., 1., inf, nan, nan
    EXPECT_EQ(idx_of(ops::sort(a, 0, true).second), (std::vector<int64_t>{1, 6, 4, 0, 2, 3, 7, 5}));
    EXPECT_EQ(idx_of(ops::argsort(a)), (std::vector<int64_t>{5, 2, 3, 7, 0, 4, 1, 6}));  // torch.argsort(a)
    EXPECT_EQ(idx_of(ops::topk(a, 3).second), (std::vector<int64_t>{1, 6, 4}));          // torch.topk(a, 3)
    // torch.topk(a, 3, largest=False) gives values [-inf, 0., 0.] at [5, 3, 7]: its order among the tied
    // zeros is unspecified; genlab's is torch.sort(a, stable=True)'s
    auto [sv, si] = ops::topk(a, 3, 0, false);
    EXPECT_EQ(idx_of(si), (std::vector<int64_t>{5, 2, 3}));
    EXPECT_EQ(sv.to(DType::f64).to_vector<double>(), (std::vector<double>{-INFINITY, 0.0, 0.0}));
  }
}

TEST(Sort, ZeroDimEmptyAndKAtItsBounds) {
  const Tensor s = Tensor::full({}, 3.0);
  for (int64_t k : {0, 1}) {  // torch: a 0-d tensor comes back whole, index 0, also for k = 0
    auto [v, i] = ops::topk(s, k);
    EXPECT_EQ(v.shape(), Shape{});
    EXPECT_EQ(v.item<float>(), 3.f);
    EXPECT_EQ(i.item<int64_t>(), 0);
  }
  auto [v0, i0] = ops::sort(s, 0, true);
  EXPECT_EQ(v0.shape(), Shape{});
  EXPECT_EQ(i0.item<int64_t>(), 0);
  expect_error([&] { ops::topk(s, 2); }, {"topk", "k = 2", "[]"}, "k = 2 of a 0-d tensor");
  const Tensor e = Tensor::zeros({2, 0});
  EXPECT_EQ(ops::sort(e, 1).first.shape(), (Shape{2, 0}));
  EXPECT_EQ(ops::topk(e, 0, 1).second.shape(), (Shape{2, 0}));
  EXPECT_EQ(ops::topk(e, 2, 0).first.shape(), (Shape{2, 0}));  // torch: k = 2 along the dim of size 2
  // k = 0 keeps nothing; the gradient is all zeros
  Tensor x = Tensor::randn({3, 4}).requires_grad_(true);
  Tensor none = ops::topk(x, 0, 1).first;
  EXPECT_EQ(none.shape(), (Shape{3, 0}));
  ops::sum(none).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), std::vector<float>(12, 0.f));
}

TEST(Sort, BadInputNamesKTheShapeAndTheDtype) {
  const Tensor x = Tensor::randn({3, 4});
  expect_error([&] { ops::topk(x, 5, 1); }, {"topk", "k = 5", "size 4", "[3, 4]"}, "k above the dim's size");
  expect_error([&] { ops::topk(x, -1); }, {"topk", "k = -1", "[3, 4]"}, "negative k");
  expect_error([&] { ops::topk(Tensor::zeros({2, 0}), 1, 1); }, {"topk", "k = 1", "[2, 0]"}, "k of an empty dim");
  expect_error([&] { ops::sort(x, 2); }, {"sort", "2"}, "dim out of range");
  expect_error([&] { ops::argsort(x, -3); }, {"sort", "-3"}, "negative dim out of range");
  expect_error([&] { ops::sort(Tensor::zeros({3}, DType::i64)); }, {"sort", "int64"}, "an integer tensor");
}

// A tie's gradient goes to the position its (stable) index names.
TEST(Sort, GradientGoesToTheSelectedPositions) {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 3, 3, 2}, {4}, TensorOptions(DType::f64)).requires_grad_(true);
  auto [v, i] = ops::topk(x, 2);
  EXPECT_EQ(idx_of(i), (std::vector<int64_t>{1, 2}));
  ops::sum(v * Tensor::from_vector(std::vector<double>{10, 20}, {2}, TensorOptions(DType::f64))).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 10, 20, 0}));
}

// Each path of src/cpu/sort.cpp: a heap (k * 16 <= n), nth_element (k * 4 < n), radix (a full sort
// of 256 or more, also for k < n) and std::sort, along the last dim and a middle one, in both dtypes
// and orders.
TEST(Sort, EveryCpuPathGivesTheStableOrder) {
  for (int64_t n : {1, 7, 255, 256, 3000})
    for (int64_t k : {n, n / 2, n / 5, int64_t(1), std::min<int64_t>(n, 50)})
      for (DType t : {DType::f32, DType::f64})
        for (bool desc : {false, true}) {
          if (k < 1) continue;
          const std::string what = "n " + std::to_string(n) + " k " + std::to_string(k) + " " + dtype_name(t) +
                                   (desc ? " descending" : " ascending");
          const Tensor row = Tensor::from_vector(awkward_row(3 * n * 2, uint64_t(n + k)), {3, n, 2}, TensorOptions(t));
          expect_stable(row, k, desc, what + " (inner 2)");
          expect_stable(ops::reshape(ops::slice(row, 2, 0, 1), {3, n, 1}), k, desc, what);
        }
}

// The kernel struct on grids other than its geometry's (the bodies stride), with a width small
// enough that rows longer than it take the chunked running top-k.
TEST(SortCuda, KernelOnOddGridsMatchesTheCpu) {
  namespace k = genlab::cuda::kernels;
  namespace emu = genlab::cuda::emulate;
  struct Case { int64_t outer, n, inner, keep; unsigned width; };
  for (const Case& c : {Case{3, 5, 1, 5, 8}, Case{2, 100, 3, 100, 128}, Case{2, 300, 1, 20, 64}, Case{1, 97, 2, 31, 64},
                        Case{2, 1, 1, 1, 2}})
    for (bool desc : {false, true})
      for (auto grid : {std::pair<unsigned, unsigned>{1, 1}, {3, 64}, {2, 7}}) {
        std::vector<float> x(size_t(c.outer * c.n * c.inner));
        const auto src = awkward_row(int64_t(x.size()), uint64_t(c.n));
        std::copy(src.begin(), src.end(), x.begin());
        const size_t m = size_t(c.outer * c.keep * c.inner);
        std::vector<float> v(m), v_cpu(m);
        std::vector<int64_t> i(m), i_cpu(m);
        const k::SortRows kernel{x.data(), v.data(), i.data(), c.outer, c.n, c.inner, c.keep, desc, c.width};
        emu::launch(grid.first, grid.second, c.width * sizeof(uint64_t), [&](emu::Ctx& ctx) { kernel(ctx); });
        cpu::sort_rows(x.data(), v_cpu.data(), i_cpu.data(), c.outer, c.n, c.inner, c.keep, desc);
        ASSERT_EQ(i, i_cpu) << "n " << c.n << " k " << c.keep << " width " << c.width << " grid " << grid.first << "x"
                            << grid.second;
      }
}

// The ops on the emulated device: one pass (n <= kSortShared), the chunked top-k of a long row,
// and a full sort of a long row, which runs on the host; values, indices and gradients as on the CPU.
TEST(SortCuda, OpsOnTheEmulatedDeviceMatchTheCpu) {
  on_emulated_device([] {
    struct Case { Shape shape; int64_t dim, k; bool largest; };
    const int64_t longer = cuda::kSortShared + 300;
    for (const Case& c : {Case{{3, 50}, -1, 50, false}, Case{{40, 3}, 0, 7, true}, Case{{1, longer}, 1, 10, true},
                          Case{{2, longer}, -1, longer, false}}) {
      const auto vals = awkward_row(numel_of(c.shape), 5);
      Tensor x = Tensor::from_vector(vals, c.shape, TensorOptions(DType::f32)).requires_grad_(true);
      Tensor xd = x.detach().to(Device::cuda()).requires_grad_(true);
      auto [v, i] = ops::topk(x, c.k, c.dim, c.largest);
      auto [vd, id] = ops::topk(xd, c.k, c.dim, c.largest);
      const std::string what = shape_str(c.shape) + " k " + std::to_string(c.k);
      ASSERT_EQ(idx_of(id), idx_of(i)) << what;
      EXPECT_EQ(vd.device(), Device::cuda());
      Tensor w = Tensor::randn(v.shape());
      ops::sum(v * w).backward();  // a NaN value's gradient is w too
      ops::sum(vd * w.to(Device::cuda())).backward();
      EXPECT_EQ(xd.grad().to(Device::cpu()).to_vector<float>(), x.grad().to_vector<float>()) << what;
    }
  });
}

}  // namespace
