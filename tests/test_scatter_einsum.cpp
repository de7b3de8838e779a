// scatter_add, index_add, prod and einsum (issue 10) beyond the op table:
// values and gradients are checked against PyTorch there (tests/op_table.cpp,
// make_fixtures.py, the edge mode). Here: bad input raises a genlab::Error that
// names the shapes, index or subscript; results quoted from PyTorch 1.13 for
// cases the table does not reach (a src larger than the index, int32 indices,
// zeros in prod's slices, einsum's spellings); the CUDA paths on the emulated device.
#include <gtest/gtest.h>

#include <string>

#include "../cuda/emulate.hpp"
#include "../cuda/reduce.cuh"
#include "emulated_device.hpp"
#include "expect_error.hpp"
#include "genlab/genlab.hpp"

using namespace genlab;
using genlab::testing::expect_error;
using genlab::testing::on_emulated_device;

namespace {

Tensor ints(std::vector<int64_t> v, Shape s) { return Tensor::from_vector(v, s); }
Tensor f64(std::vector<double> v, Shape s) { return Tensor::from_vector(v, s, TensorOptions(DType::f64)); }
std::vector<double> vals(const Tensor& t) { return t.to(Device::cpu()).to_vector<double>(); }

TEST(ScatterAdd, BadInputNamesShapesAndIndices) {
  const Tensor self = Tensor::zeros({3, 4}), src = Tensor::ones({2, 3});
  expect_error([&] { ops::scatter_add(self, 1, ints({0, 1}, {1, 2}).to(DType::i32), src); }, {"scatter_add", "int64", "int32"},
               "int32 index");
  expect_error([&] { ops::scatter_add(self, 1, ints({0, 1}, {2}), src); }, {"scatter_add", "[2]", "[3, 4]", "[2, 3]", "dims"},
               "index dims");
  expect_error([&] { ops::scatter_add(self, 1, ints({0, 1, 2, 3, 0}, {5, 1}), Tensor::ones({5, 1})); },
               {"scatter_add", "[5, 1]", "self [3, 4]", "dim 0"}, "index larger than self");
  expect_error([&] { ops::scatter_add(self, 1, ints({0, 1, 2, 3}, {1, 4}), src); },
               {"scatter_add", "[1, 4]", "src [2, 3]", "dim 1"}, "index larger than src");
  expect_error([&] { ops::scatter_add(self, 1, ints({0, 1, 4, 3}, {2, 2}), src); },
               {"scatter_add", "index 4", "position 2", "[0, 4)"}, "index past the end");
  expect_error([&] { ops::scatter_add(self, 0, ints({0, -1}, {1, 2}), src); }, {"scatter_add", "index -1", "position 1"},
               "negative index");
  expect_error([&] { ops::scatter_add(self, 2, ints({0}, {1, 1}), src); }, {"scatter_add", "2"}, "dim out of range");
  expect_error([&] { ops::scatter_add(self, 1, ints({0}, {1, 1}), src.to(DType::f64)); },
               {"scatter_add", "float32", "float64"}, "dtypes differ");
}

// PyTorch: torch.scatter_add(arange(12).reshape(3, 4), 1, [[3, 0], [1, 1]], arange(10).reshape(2, 5) * 0.5).
// Its backward raises there (src's gradient has the index's shape); genlab
// gives src the gradient zero where no index reads it.
TEST(ScatterAdd, SrcLargerThanIndex) {
  const Tensor self = Tensor::arange(12, TensorOptions(DType::f64)).reshape({3, 4});
  const Tensor src = Tensor::arange(10, TensorOptions(DType::f64)).reshape({2, 5}) * 0.5;
  for (bool emulated : {false, true}) {
    auto run = [&] {
      const Device dev = emulated ? Device::cuda() : Device::cpu();
      const DType dt = emulated ? DType::f32 : DType::f64;
      Tensor s = self.detach().to(dt).to(dev).requires_grad_(), x = src.detach().to(dt).to(dev).requires_grad_();
      Tensor y = ops::scatter_add(s, 1, ints({3, 0, 1, 1}, {2, 2}), x);
      EXPECT_EQ(vals(y), (std::vector<double>{0.5, 1, 2, 3, 4, 10.5, 6, 7, 8, 9, 10, 11})) << "emulated " << emulated;
      ops::sum(y * Tensor::arange(12, TensorOptions(dt, dev)).reshape({3, 4})).backward();
      EXPECT_EQ(vals(x.grad()), (std::vector<double>{3, 0, 0, 0, 0, 5, 5, 0, 0, 0})) << "emulated " << emulated;
      EXPECT_EQ(vals(s.grad()), vals(Tensor::arange(12)));
    };
    if (emulated) on_emulated_device(run);
    else run();
  }
}

TEST(ScatterAdd, EmptyIndexAndZeroDim) {
  // PyTorch checks no shapes for an empty index: self comes back
  Tensor self = Tensor::randn({3, 4});
  EXPECT_EQ(vals(ops::scatter_add(self, 1, ints({}, {0}), Tensor::ones({5}))), vals(self));
  // 0-d tensors are read as [1]: torch.scatter_add(tensor(1.), 0, tensor([0, 0]), tensor([2., 3.])) is 6
  EXPECT_EQ(ops::scatter_add(f64({1}, {}), 0, ints({0, 0}, {2}), f64({2, 3}, {2})).item<double>(), 6.0);
  expect_error([&] { ops::scatter_add(f64({1}, {}), 0, ints({0, 0}, {2}), f64({2}, {})); }, {"scatter_add", "larger than src"},
               "two indices, one src element");
}

TEST(IndexAdd, BadInputNamesShapesAndIndices) {
  const Tensor self = Tensor::zeros({5, 3}), source = Tensor::ones({3, 3});
  expect_error([&] { ops::index_add(self, 0, ints({0, 1, 2}, {1, 3}), source); }, {"index_add", "vector", "[1, 3]"}, "2-d index");
  expect_error([&] { ops::index_add(self, 0, Tensor::zeros({3}), source); }, {"index_add", "int64 or int32", "float32"},
               "float index");
  expect_error([&] { ops::index_add(self, 0, ints({0, 1}, {2}), source); }, {"index_add", "source [3, 3]", "[2, 3]", "dim 0"},
               "index length");
  expect_error([&] { ops::index_add(self, 0, ints({0, 1, 2}, {3}), Tensor::ones({3, 2})); },
               {"index_add", "source [3, 2]", "[3, 3]", "self [5, 3]"}, "other dims");
  expect_error([&] { ops::index_add(self, 0, ints({0, 5, 1}, {3}), source); }, {"index_add", "index 5", "position 1", "[0, 5)"},
               "index past the end");
  expect_error([&] { ops::index_add(self, 0, ints({-1, 0, 1}, {3}), source); }, {"index_add", "index -1", "position 0"},
               "negative index");
  expect_error([&] { ops::index_add(self, 0, ints({0, 1, 2}, {3}), source.to(DType::f64)); }, {"index_add", "float64"},
               "dtypes differ");
}

// PyTorch: torch.index_add(zeros(4, 2), 0, tensor([3, 0, 3], dtype=int32), arange(6).reshape(3, 2), alpha=2)
TEST(IndexAdd, Int32IndexAndAlpha) {
  const Tensor src = Tensor::arange(6, TensorOptions(DType::f64)).reshape({3, 2});
  const std::vector<double> want{4, 6, 0, 0, 0, 0, 8, 12};
  EXPECT_EQ(vals(ops::index_add(Tensor::zeros({4, 2}, DType::f64), 0, ints({3, 0, 3}, {3}).to(DType::i32), src, 2.0)), want);
  on_emulated_device([&] {
    Tensor got = ops::index_add(Tensor::zeros({4, 2}).to(Device::cuda()), 0, ints({3, 0, 3}, {3}).to(Device::cuda()),
                                src.to(DType::f32).to(Device::cuda()), 2.0);
    EXPECT_EQ(vals(got), want);
    expect_error([&] { ops::index_add(Tensor::zeros({4, 2}, DType::f64).to(Device::cuda()), 0, ints({0}, {1}),
                                      Tensor::zeros({1, 2}, DType::f64).to(Device::cuda())); },
                 {"index_add", "float32 only", "float64"}, "float64 on CUDA");
  });
}

// PyTorch: x = [[2, 0, 3], [0, 0, 4], [1, 2, 3], [-1, 5, 0.5]]; torch.prod(x, 1) and torch.prod(x) with their gradients.
TEST(Prod, ZerosInASlice) {
  const std::vector<double> x{2, 0, 3, 0, 0, 4, 1, 2, 3, -1, 5, 0.5};
  for (bool emulated : {false, true}) {
    auto run = [&] {
      const Device dev = emulated ? Device::cuda() : Device::cpu();
      const DType dt = emulated ? DType::f32 : DType::f64;
      Tensor t = f64(x, {4, 3}).to(dt).to(dev).requires_grad_();
      Tensor y = ops::prod(t, 1);
      EXPECT_EQ(vals(y), (std::vector<double>{0, 0, 6, -2.5}));
      ops::sum(y * f64({1, 2, 3, 4}, {4}).to(dt).to(dev)).backward();
      EXPECT_EQ(vals(t.grad()), (std::vector<double>{0, 6, 0, 0, 0, 0, 18, 9, 6, 10, -2, -20})) << "emulated " << emulated;
      Tensor one = f64({2, 0, 3, 1, 2, 3}, {2, 3}).to(dt).to(dev).requires_grad_();  // one zero in all: it gets 36
      ops::prod(one).backward();
      EXPECT_EQ(vals(one.grad()), (std::vector<double>{0, 36, 0, 0, 0, 0}));
    };
    if (emulated) on_emulated_device(run);
    else run();
  }
  EXPECT_EQ(ops::prod(Tensor::zeros({0, 3}), 0).to_vector<float>(), (std::vector<float>{1, 1, 1}));  // empty product
  EXPECT_EQ(ops::prod(f64({-1.5}, {}), -1).item<double>(), -1.5);
  expect_error([&] { ops::prod(Tensor::ones({2, 3}), 2); }, {"prod", "2"}, "dim out of range");
  expect_error([&] { ops::prod(ints({1, 2}, {2})); }, {"prod", "int64"}, "integer input");
}

// The ProdRows kernel on an odd grid (more rows than blocks, cols not a
// multiple of the block) against the CPU kernel; values near 1 keep it finite.
TEST(Prod, RowKernelOnOddGrid) {
  const int64_t rows = 5, cols = 1003;
  manual_seed(5);
  const std::vector<float> x = (Tensor::rand({rows * cols}) * 0.2 + 0.9).to_vector<float>();
  std::vector<float> out(rows, -1.f), ref(rows);
  cuda::emulate::launch(2, 128, 128 * sizeof(float),
                        [&](cuda::emulate::Ctx& c) { cuda::kernels::ProdRows{x.data(), out.data(), rows, cols}(c); });
  cpu::prod(x.data(), ref.data(), rows, cols, 1);
  for (int64_t r = 0; r < rows; ++r) EXPECT_NEAR(out[size_t(r)], ref[size_t(r)], 1e-5f * std::abs(ref[size_t(r)])) << r;
}

TEST(Einsum, BadEquationsNameTheSubscript) {
  const Tensor a = Tensor::randn({2, 3}), b = Tensor::randn({4, 5});
  expect_error([&] { ops::einsum("ij,jk->ik", {a}); }, {"einsum", "2 operands", "got 1"}, "too few operands");
  expect_error([&] { ops::einsum("ij->ij", {a, a}); }, {"einsum", "1 operands", "got 2"}, "too many operands");
  expect_error([&] { ops::einsum("i,j,k->ijk", {a, a, a}); }, {"einsum", "3 operands", "1 or 2"}, "three operands");
  expect_error([&] { ops::einsum("ij,jk->ik", {a, b}); }, {"einsum", "subscript j", "size 4", "size 3", "[4, 5]", "[2, 3]"},
               "size mismatch");
  expect_error([&] { ops::einsum("ij->k", {a}); }, {"einsum", "output subscript k", "does not appear"}, "unknown output");
  expect_error([&] { ops::einsum("ij->ii", {a}); }, {"einsum", "output subscript i", "more than once"}, "repeated output");
  expect_error([&] { ops::einsum("i1->i", {a}); }, {"einsum", "invalid subscript '1'", "index 1", "a-zA-Z"}, "digit");
  expect_error([&] { ops::einsum("ij->j-i", {a}); }, {"einsum", "'-'", "index 5"}, "second arrow");
  expect_error([&] { ops::einsum("ijk->ij", {a}); }, {"einsum", "operand 0", "[2, 3]", "2 dims", "name 3"}, "too many letters");
  expect_error([&] { ops::einsum("i..j", {a}); }, {"einsum", "'.'", "ellipsis"}, "two dots");
  expect_error([&] { ops::einsum("i......", {a}); }, {"einsum", "second ellipsis"}, "two ellipses");
  expect_error([&] { ops::einsum("ii->i", {a}); }, {"einsum", "subscript i", "repeated", "2 and 3"}, "diagonal of a non-square");
  expect_error([&] { ops::einsum("ij,jk", {a, Tensor::randn({3, 2}, DType::f64)}); }, {"einsum", "float64"}, "dtypes differ");
}

// PyTorch 1.13's results for spellings the op table does not use.
TEST(Einsum, SpellingsAsPyTorch) {
  const Tensor m = Tensor::arange(12).reshape({3, 4});
  // a size-1 subscript broadcasts: [[1], [2]] with j of size 1 against 3
  EXPECT_EQ(vals(ops::einsum("ij,jk->ik", {Tensor::from_vector(std::vector<float>{1, 2}, {2, 1}), m})),
            (std::vector<double>{12, 15, 18, 21, 24, 30, 36, 42}));
  EXPECT_EQ(ops::einsum(" b i , b j -> b i j ", {Tensor::ones({1, 2}), Tensor::ones({1, 2})}).shape(), (Shape{1, 2, 2}));
  EXPECT_EQ(ops::einsum(",->", {Tensor::full({}, 3.0), Tensor::full({}, 2.0)}).item<float>(), 6.f);
  EXPECT_EQ(vals(ops::einsum("i,->i", {Tensor::from_vector(std::vector<float>{1, 2}, {2}), Tensor::full({}, 2.0)})),
            (std::vector<double>{2, 4}));
  // implicit output: upper case sorts first, so "Ab,bA" contracts both
  EXPECT_EQ(ops::einsum("Ab,bA", {Tensor::arange(6).reshape({2, 3}), Tensor::arange(6).reshape({3, 2})}).item<float>(), 50.f);
  // "..." alone and moved: '...j' is the input, 'j...' moves j first, '...j->...' sums j
  const Tensor x = Tensor::arange(24).reshape({2, 3, 4});
  EXPECT_EQ(ops::einsum("j...", {x}).shape(), (Shape{3, 4, 2}));
  EXPECT_EQ(vals(ops::einsum("...j->...", {x})), vals(ops::sum(x, {2})));
  EXPECT_EQ(vals(ops::einsum("b...,b...->...", {x, x})), vals(ops::sum(x * x, {0})));
  expect_error([&] { ops::einsum("...ij,...jk", {x, Tensor::ones({5, 4, 5})}); }, {"einsum", "'...' dim 0", "size 5", "size 2"},
               "ellipsis dims that do not broadcast");
}

// The composed CUDA path (index_select, bmm, mul, sum) on the emulated device, with gradients.
TEST(Einsum, EmulatedDeviceMatchesCpu) {
  manual_seed(3);
  const Tensor a = Tensor::randn({2, 3, 3}), b = Tensor::randn({3, 5});
  for (const char* eq : {"bii,ik->bk", "bij,jk->bki", "bii->", "...ij,jk"}) {
    const bool two = std::string(eq).find(',') != std::string::npos;
    Tensor ca = a.detach().requires_grad_(), cb = b.detach().requires_grad_();
    Tensor want = two ? ops::einsum(eq, {ca, cb}) : ops::einsum(eq, {ca});
    ops::sum(want * want).backward();
    on_emulated_device([&] {
      Tensor ga = a.to(Device::cuda()).requires_grad_(), gb = b.to(Device::cuda()).requires_grad_();
      Tensor got = two ? ops::einsum(eq, {ga, gb}) : ops::einsum(eq, {ga});
      ops::sum(got * got).backward();
      auto close = [](const Tensor& x, const Tensor& y) {
        auto u = vals(x), v = vals(y);
        for (size_t i = 0; i < u.size(); ++i)
          if (std::abs(u[i] - v[i]) > 1e-4 * (1 + std::abs(v[i]))) return false;
        return u.size() == v.size();
      };
      EXPECT_TRUE(close(got, want)) << eq;
      EXPECT_TRUE(close(ga.grad(), ca.grad())) << eq;
      if (two) EXPECT_TRUE(close(gb.grad(), cb.grad())) << eq;
    });
  }
}

}  // namespace
