// GPU tests (ctest label `gpu`): run where a CUDA device exists, skip with a
// clear message elsewhere. Each compares a CUDA op with the CPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>

#include <genlab/genlab.hpp>

#include "op_table.hpp"

using namespace genlab;

#define REQUIRE_GPU()                                                                                          \
  if (!cuda_is_available())                                                                                    \
  GTEST_SKIP() << (cuda::built() ? "no CUDA device on this machine" : "genlab built without CUDA (GENLAB_CUDA=OFF)")

// Forward values and the gradients of every differentiable input, CUDA vs CPU:
// loss = sum(op(inputs) * w) with the same random w on both devices.
TEST(Gpu, EveryCudaOpMatchesTheCpu) {
  REQUIRE_GPU();
  auto expect_close = [](const Tensor& got, const Tensor& ref, const std::string& what) {
    auto g = got.to(Device::cpu()).to_vector<float>(), r = ref.to_vector<float>();
    ASSERT_EQ(g.size(), r.size()) << what;
    for (size_t i = 0; i < r.size(); ++i) EXPECT_NEAR(g[i], r[i], 1e-4f * (1 + std::abs(r[i]))) << what << " " << i;
  };
  for (const auto& c : genlab::testing::op_table()) {
    if (!c.cuda) continue;
    auto in = genlab::testing::make_inputs(c, DType::f32, 9);
    std::vector<Tensor> gin;
    for (size_t i = 0; i < in.size(); ++i) {
      gin.push_back(in[i].to(Device::cuda()));
      if (c.differentiable[i]) {
        in[i].requires_grad_();
        gin[i].requires_grad_();
      }
    }
    Tensor ref = c.fn(in), got = c.fn(gin);
    EXPECT_EQ(got.device(), Device::cuda()) << c.name;
    expect_close(got, ref, c.name);
    if (!ref.requires_grad()) continue;  // e.g. argmax
    Tensor w = Tensor::randn(ref.shape());
    ops::sum(ref * w).backward();
    ops::sum(got * w.to(Device::cuda())).backward();
    for (size_t i = 0; i < in.size(); ++i)
      if (c.differentiable[i]) expect_close(gin[i].grad(), in[i].grad(), c.name + " grad of input " + std::to_string(i));
  }
}

// Views on the device: permuted, sliced and expanded tensors made contiguous,
// copied into strided destinations, and reduced over leading and middle dims.
TEST(Gpu, StridedViewsCopyAndReduce) {
  REQUIRE_GPU();
  Tensor x = Tensor::randn({4, 3, 5}), gx = x.to(Device::cuda());
  auto check = [](const Tensor& got, const Tensor& ref, const char* what) {
    EXPECT_EQ(got.shape(), ref.shape()) << what;
    EXPECT_EQ(got.to(Device::cpu()).to_vector<float>(), ref.contiguous().to_vector<float>()) << what;
  };
  check(ops::permute(gx, {2, 0, 1}).contiguous(), ops::permute(x, {2, 0, 1}), "permute");
  check(ops::slice(gx, 1, 1, 3).contiguous(), ops::slice(x, 1, 1, 3), "slice");
  check(ops::expand(ops::slice(gx, 0, 0, 1), {6, 3, 5}).contiguous(), ops::expand(ops::slice(x, 0, 0, 1), {6, 3, 5}),
        "expand");
  Tensor dst = Tensor::zeros({5, 3, 4}, TensorOptions(DType::f32, Device::cuda()));
  Tensor view = ops::permute(dst, {2, 1, 0});  // strided destination
  view.copy_(gx);
  check(dst, ops::permute(x, {2, 1, 0}), "copy_ into a permuted view");
  auto sum_ref = ops::sum(x, {0}).to_vector<float>(), sum_got = ops::sum(gx, {0}).to(Device::cpu()).to_vector<float>();
  for (size_t i = 0; i < sum_ref.size(); ++i) EXPECT_NEAR(sum_got[i], sum_ref[i], 1e-5f) << "sum over dim 0, " << i;
  // max over a middle dim: values, indices, and the gradient scattered back
  Tensor xr = x.detach().requires_grad_(), gxr = gx.detach().requires_grad_();
  auto [v, i] = ops::max(xr, 1);
  auto [gv, gi] = ops::max(gxr, 1);
  check(gv, v, "max values over dim 1");
  EXPECT_EQ(gi.to(Device::cpu()).to_vector<int64_t>(), i.to_vector<int64_t>());
  ops::sum(v).backward();
  ops::sum(gv).backward();
  check(gxr.grad(), xr.grad(), "max gradient over dim 1");
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
  if (!allocator_caches_blocks()) GTEST_SKIP() << "sanitizer build: the allocator does not cache";
  { Tensor a = Tensor::empty({1 << 20}, TensorOptions(DType::f32, Device::cuda())); }
  auto before = memory_stats(Device::cuda());
  { Tensor b = Tensor::empty({1 << 20}, TensorOptions(DType::f32, Device::cuda())); }
  EXPECT_EQ(memory_stats(Device::cuda()).num_cache_hits, before.num_cache_hits + 1);
}

// On the emulated device, device memory is readable only inside kernels and
// copies: host code that reads it directly faults, as it would with a GPU.
TEST(Gpu, EmulatedDeviceMemoryFaultsOnHostAccess) {
  if (!cuda::emulated()) GTEST_SKIP() << "only the emulated device guards its memory this way";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Tensor t = Tensor::ones({4}).to(Device::cuda());
  EXPECT_EQ(t.to(Device::cpu()).to_vector<float>(), std::vector<float>(4, 1.f));  // through a copy: fine
  EXPECT_DEATH({ volatile float v = *t.data<float>(); (void)v; }, "");
}

// Index tensors on the device are read through a host copy, never
// dereferenced on the host: index ops give the CPU's results whichever device
// holds the indices, and a bad index is a clear error, not a device fault.
TEST(Gpu, IndicesOnTheDeviceAreCopiedAndChecked) {
  REQUIRE_GPU();
  Tensor logits = Tensor::randn({4, 3}), g = logits.to(Device::cuda());
  Tensor cpu_target = Tensor::from_vector(std::vector<int64_t>{0, 2, 1, 0}, {4}), target = cpu_target.to(Device::cuda());
  auto same = [](const Tensor& got, const Tensor& ref) {
    auto a = got.to(Device::cpu()).to_vector<float>(), b = ref.to_vector<float>();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5f) << i;
  };
  same(ops::cross_entropy(g, target), ops::cross_entropy(logits, cpu_target));
  same(ops::cross_entropy(g, cpu_target), ops::cross_entropy(logits, cpu_target));  // uploaded by the op
  same(ops::nll_loss(ops::log_softmax(g, -1), target), ops::nll_loss(ops::log_softmax(logits, -1), cpu_target));
  same(ops::index_select(g, 0, target), ops::index_select(logits, 0, cpu_target));
  same(ops::embedding(g, target), ops::embedding(logits, cpu_target));
  Tensor bad = Tensor::from_vector(std::vector<int64_t>{0, 4}, {2}).to(Device::cuda());
  EXPECT_THROW(ops::index_select(g, 0, bad), Error);
  EXPECT_THROW(ops::embedding(g, bad), Error);
  EXPECT_THROW(ops::gather(g, 0, ops::reshape(bad, {2, 1})), Error);
}

// Index ops beyond the op table: repeated indices accumulate their gradients
// (atomically on the device), index_select over a middle dim, and gather with
// an index smaller than the input in the other dims.
TEST(Gpu, IndexOpsAccumulateAndCutLikeTheCpu) {
  REQUIRE_GPU();
  auto check = [](const std::function<Tensor(const Tensor&)>& f, const Shape& shape, const char* what) {
    Tensor x = Tensor::randn(shape).requires_grad_(), gx = x.to(Device::cuda()).detach().requires_grad_();
    Tensor ref = f(x), got = f(gx);
    EXPECT_EQ(got.shape(), ref.shape()) << what;
    Tensor w = Tensor::randn(ref.shape());
    ops::sum(ref * w).backward();
    ops::sum(got * w.to(Device::cuda())).backward();
    auto a = got.to(Device::cpu()).to_vector<float>(), b = ref.to_vector<float>();
    for (size_t i = 0; i < b.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6f) << what << " value " << i;
    auto ga = gx.grad().to(Device::cpu()).to_vector<float>(), gb = x.grad().to_vector<float>();
    for (size_t i = 0; i < gb.size(); ++i) EXPECT_NEAR(ga[i], gb[i], 1e-5f) << what << " grad " << i;
  };
  auto idx = [](std::vector<int64_t> v, Shape s) { return Tensor::from_vector(v, s); };
  check([&](const Tensor& x) { return ops::index_select(x, 1, idx({2, 0, 2, 2, 1}, {5})); }, {3, 4, 2}, "index_select dim 1");
  check([&](const Tensor& x) { return ops::embedding(x, idx({1, 1, 1, 0, 3, 1}, {2, 3})); }, {4, 5}, "embedding repeats");
  check([&](const Tensor& x) { return ops::gather(x, 1, idx({3, 3, 0, 1, 3, 2}, {2, 3})); }, {4, 6}, "gather, index cut");
  check([&](const Tensor& x) { return ops::gather(x, 0, idx({1, 1, 0, 2}, {2, 2})); }, {3, 4}, "gather dim 0");
  check([&](const Tensor& x) { return ops::clamp(ops::permute(x, {1, 0}), -0.3, 0.4); }, {3, 5}, "clamp of a view");
  check([&](const Tensor& x) {  // cond broadcast over rows, b a scalar
    Tensor cond = ops::compare(ops::slice(x, 0, 0, 1), Tensor::zeros({}, TensorOptions(DType::f32, x.device())), CompareOp::lt);
    return ops::where(cond, x, Tensor::full({}, 2.0, TensorOptions(DType::f32, x.device())));
  }, {3, 4}, "where, broadcast condition");
}

// Gradient clipping on the device: the same total norm and scaled gradients as on the CPU.
TEST(Gpu, ClipGradNormOnTheDevice) {
  REQUIRE_GPU();
  Tensor a = Tensor::randn({30, 7}), b = Tensor::randn({5});
  std::vector<Tensor> cpu_params, gpu_params;
  for (const Tensor& t : {a, b}) {
    cpu_params.push_back(Tensor::zeros(t.shape()).requires_grad_());
    cpu_params.back().set_grad(t * 3.0);
    gpu_params.push_back(Tensor::zeros(t.shape()).to(Device::cuda()).requires_grad_());
    gpu_params.back().set_grad((t * 3.0).to(Device::cuda()));
  }
  const double ref = optim::clip_grad_norm_(cpu_params, 1.0), got = optim::clip_grad_norm_(gpu_params, 1.0);
  EXPECT_NEAR(got, ref, 1e-4 * ref);
  for (size_t i = 0; i < cpu_params.size(); ++i) {
    auto r = cpu_params[i].grad().to_vector<float>(), g = gpu_params[i].grad().to(Device::cpu()).to_vector<float>();
    for (size_t k = 0; k < r.size(); ++k) EXPECT_NEAR(g[k], r[k], 1e-5f) << i << " " << k;
  }
}

// Dropout draws its mask from the seeded host generator, so a seed gives the
// same mask on either device.
TEST(Gpu, DropoutMaskFollowsTheSeedOnEitherDevice) {
  REQUIRE_GPU();
  Tensor x = Tensor::randn({6, 7});
  manual_seed(5);
  auto ref = ops::dropout(x, 0.4).to_vector<float>();
  manual_seed(5);
  auto got = ops::dropout(x.to(Device::cuda()), 0.4).to(Device::cpu()).to_vector<float>();
  EXPECT_EQ(got, ref);
  EXPECT_GT(std::count(ref.begin(), ref.end(), 0.f), 0);
}

// A model moved with Module::to trains on the device as on the CPU: the same
// seed and data give the same parameters after a few Adam and SGD steps.
TEST(Gpu, MlpTrainsOnTheDeviceAsOnTheCpu) {
  REQUIRE_GPU();
  for (bool adam : {true, false}) {
    std::vector<std::vector<float>> results;
    for (Device d : {Device::cpu(), Device::cuda()}) {
      manual_seed(21);
      models::MLP net({12, 16, 5});
      net.to(d);
      for (auto& [name, p] : net.named_parameters()) ASSERT_EQ(p.device(), d) << name;
      std::unique_ptr<optim::Optimizer> opt;
      if (adam) opt = std::make_unique<optim::AdamW>(net.parameters(), optim::AdamOptions{.lr = 1e-2, .weight_decay = 0.1});
      else opt = std::make_unique<optim::SGD>(net.parameters(), optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
      Tensor x = Tensor::randn({8, 12}).to(d), y = Tensor::from_vector(std::vector<int64_t>{0, 1, 2, 3, 4, 0, 1, 2}, {8});
      for (int step = 0; step < 4; ++step) {
        Tensor loss = ops::cross_entropy(net(x), y.to(d));
        opt->zero_grad();
        loss.backward();
        opt->step();
      }
      std::vector<float> all;
      for (auto& [name, p] : net.named_parameters())
        for (float v : p.to_vector<float>()) all.push_back(v);
      results.push_back(all);
    }
    ASSERT_EQ(results[0].size(), results[1].size());
    for (size_t i = 0; i < results[0].size(); ++i)
      EXPECT_NEAR(results[1][i], results[0][i], 1e-4f) << (adam ? "AdamW" : "SGD") << " parameter element " << i;
  }
}

// The training loop on the device (train::Options::device) gives the CPU's losses.
TEST(Gpu, TrainClassifierOnTheDevice) {
  REQUIRE_GPU();
  manual_seed(5);
  Tensor x = Tensor::randn({64, 12});
  data::TensorDataset train(x, ops::argmax(ops::slice(x, 1, 0, 3), 1)), test = train;
  std::vector<train::Result> runs;
  for (Device d : {Device::cpu(), Device::cuda()}) {
    manual_seed(6);
    models::MLP net({12, 16, 3});
    runs.push_back(train::fit(net, train, train::classification(test),
                              {.epochs = 2, .batch_size = 32, .lr = 1e-2, .verbose = false, .device = d}));
    EXPECT_EQ(net.parameters()[0].device(), d);
  }
  for (size_t e = 0; e < 2; ++e) EXPECT_NEAR(runs[1].epochs[e].train_loss, runs[0].epochs[e].train_loss, 1e-4) << "epoch " << e;
  EXPECT_EQ(runs[1].metric("test_accuracy"), runs[0].metric("test_accuracy"));
}

// Non-float32 views on the device (a transposed int64 index, a strided slice)
// copy to and from the host through the memory they span.
TEST(Gpu, NonFloatViewsCopyBothWays) {
  REQUIRE_GPU();
  Tensor host = Tensor::from_vector(std::vector<int64_t>{0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor dev = host.to(Device::cuda());
  EXPECT_EQ(dev.transpose(0, 1).to(Device::cpu()).to_vector<int64_t>(), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(dev.slice(1, 0, 3, 2).to(Device::cpu()).to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 3, 5}));
  dev.slice(1, 1, 2).copy_(Tensor::from_vector(std::vector<int64_t>{7, 8}, {2, 1}));  // writes a column only
  EXPECT_EQ(dev.to(Device::cpu()).to_vector<int64_t>(), (std::vector<int64_t>{0, 7, 2, 3, 8, 5}));
  Tensor idx = Tensor::from_vector(std::vector<int64_t>{2, 0, 1, 1}, {2, 2}).to(Device::cuda()).transpose(0, 1);
  Tensor table = Tensor::randn({3, 4});
  EXPECT_EQ(ops::embedding(table.to(Device::cuda()), idx).to(Device::cpu()).to_vector<float>(),
            ops::embedding(table, idx.to(Device::cpu())).to_vector<float>());
}

// Row-wise softmax, log_softmax, layer_norm and rms_norm, forward and
// backward, at the widths that pick each kernel shape (1 and 7: a warp of
// scalars; 768, 1000: a warp with float4; 4096, 5000: a block per row) and
// with rows that start 4 bytes off a 16-byte boundary (scalar loads; 5000 of
// those take the multi-pass kernels), against the formulas evaluated in double here.
TEST(Gpu, RowKernelsAtEveryWidthMatchADoubleReference) {
  REQUIRE_GPU();
  auto check = [](const Tensor& got, const std::vector<double>& ref, double tol, const std::string& what) {
    auto g = got.to(Device::cpu()).to_vector<float>();
    ASSERT_EQ(g.size(), ref.size()) << what;
    for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(g[i], ref[i], tol * (1 + std::abs(ref[i]))) << what << " " << i;
  };
  struct Case { int64_t rows; bool misaligned; };
  for (int64_t cols : {1, 7, 768, 1000, 4096, 5000}) {
    // a warp per row: more rows than the emulated grid covers at once (16);
    // a block per row: a few on the emulated device (its threads are slow), many on a GPU
    const bool warp = cols <= 1000, emu = cuda::emulated();
    const int64_t many = warp ? (emu ? 19 : 1003) : (emu ? 3 : 301);
    for (const Case& rc : warp ? std::vector<Case>{{1, false}, {many, false}, {many, true}}
                               : std::vector<Case>{{many, false}, {emu ? 1 : many, true}}) {
      {
        const int64_t rows = rc.rows;
        const bool misaligned = rc.misaligned;
        const std::string what = std::to_string(rows) + "x" + std::to_string(cols) + (misaligned ? " misaligned " : " ");
        manual_seed(uint64_t(cols * 7 + rows));
        const int64_t n = rows * cols, off = misaligned ? 1 : 0;
        Tensor xh = Tensor::randn({n}) * 3.0, gh = Tensor::randn({n}), wh = Tensor::randn({cols}), bh = Tensor::randn({cols});
        auto xv = xh.to_vector<float>(), gv = gh.to_vector<float>(), wv = wh.to_vector<float>(), bv = bh.to_vector<float>();
        // on the device, a contiguous view at element `off` of a larger buffer
        auto dev = [&](const Tensor& t, int64_t len, const Shape& s) {
          Tensor buf = Tensor::zeros({len + off}).to(Device::cuda());
          buf.slice(0, off, len + off).copy_(t.to(Device::cuda()));
          return buf.slice(0, off, len + off).reshape(s);
        };
        std::vector<double> ys(static_cast<size_t>(n)), yl(ys.size()), gs(ys.size()), gl(ys.size()), yn(ys.size()), gn(ys.size());
        std::vector<double> yr(ys.size()), gr(ys.size()), gw(size_t(cols), 0.0), gb(size_t(cols), 0.0);
        for (int64_t r = 0; r < rows; ++r) {
          const float* x = xv.data() + r * cols;
          const float* g = gv.data() + r * cols;
          double m = -INFINITY, s = 0, mu = 0, var = 0, ms = 0;
          for (int64_t j = 0; j < cols; ++j) m = std::max(m, double(x[j]));
          for (int64_t j = 0; j < cols; ++j) s += std::exp(x[j] - m), mu += x[j], ms += double(x[j]) * x[j];
          mu /= double(cols);
          for (int64_t j = 0; j < cols; ++j) var += (x[j] - mu) * (x[j] - mu);
          const double rs = 1 / std::sqrt(var / double(cols) + 1e-5), rms = 1 / std::sqrt(ms / double(cols) + 1e-6);  // rms_norm eps
          double gy = 0, g1 = 0, gwn = 0, gxh = 0, gxr = 0;
          for (int64_t j = 0; j < cols; ++j) {
            const size_t i = size_t(r * cols + j);
            ys[i] = std::exp(x[j] - m) / s, yl[i] = x[j] - m - std::log(s);
            yn[i] = (x[j] - mu) * rs * wv[size_t(j)] + bv[size_t(j)], yr[i] = x[j] * rms * wv[size_t(j)];
            gy += g[j] * ys[i], g1 += g[j], gwn += g[j] * wv[size_t(j)];
            gxh += g[j] * wv[size_t(j)] * (x[j] - mu) * rs, gxr += g[j] * wv[size_t(j)] * x[j] * rms;
            gw[size_t(j)] += g[j] * (x[j] - mu) * rs, gb[size_t(j)] += g[j];
          }
          for (int64_t j = 0; j < cols; ++j) {
            const size_t i = size_t(r * cols + j);
            const double gwj = g[j] * wv[size_t(j)];
            gs[i] = ys[i] * (g[j] - gy), gl[i] = g[j] - std::exp(yl[i]) * g1;
            gn[i] = rs * (gwj - gwn / double(cols) - (x[j] - mu) * rs * gxh / double(cols));
            gr[i] = rms * (gwj - x[j] * rms * gxr / double(cols));
          }
        }
        Tensor gd = dev(gh, n, {rows, cols});
        for (int kind = 0; kind < 4; ++kind) {
          Tensor x = dev(xh, n, {rows, cols}).requires_grad_(), w = dev(wh, cols, {cols}).requires_grad_();
          Tensor b = dev(bh, cols, {cols}).requires_grad_();
          Tensor y = kind == 0 ? ops::softmax(x, -1) : kind == 1 ? ops::log_softmax(x, -1)
                   : kind == 2 ? ops::layer_norm(x, {cols}, w, b) : ops::rms_norm(x, {cols}, w);
          const char* name[] = {"softmax", "log_softmax", "layer_norm", "rms_norm"};
          const auto& yref = kind == 0 ? ys : kind == 1 ? yl : kind == 2 ? yn : yr;
          const auto& gref = kind == 0 ? gs : kind == 1 ? gl : kind == 2 ? gn : gr;
          check(y, yref, 2e-5, what + name[kind]);
          ops::sum(y * gd).backward();
          check(x.grad(), gref, 2e-4, what + name[kind] + " grad");
          if (kind == 2) {
            check(w.grad(), gw, 1e-4, what + "layer_norm weight grad");
            check(b.grad(), gb, 1e-4, what + "layer_norm bias grad");
          }
        }
      }
    }
  }
}

// set_float32_matmul_precision on the device (fixture: numpy,
// tests/parity/make_tf32_fixtures.py). "highest" is FP32; "high" rounds the
// inputs to TF32: on the emulated device exactly as numpy does (to nearest,
// even), so its results match numpy's TF32 products at FP32 tolerance; a GPU's
// conversion may differ by a TF32 ulp, so it is held to PyTorch's TF32 test
// tolerance (tf32_on_and_off(0.005)). Either way "high" differs from FP32 by
// about TF32's error.
TEST(Gpu, Float32MatmulPrecision) {
  REQUIRE_GPU();
  std::string path = genlab::testing::parity_dir() + "/tf32_matmul.safetensors";
  if (!std::ifstream(path)) path = GENLAB_TEST_DIR "/parity/tf32_matmul.safetensors";  // make test regenerates others only
  const auto f = io::SafeTensors::open(path);
  Tensor a = f.get("a").to(Device::cuda()), b = f.get("b").to(Device::cuda()), x = f.get("x").to(Device::cuda());
  const auto c_fp32 = f.get("c_fp32").to_vector<double>(), c_tf32 = f.get("c_tf32").to_vector<double>();
  const auto x32 = f.get("x").to_vector<float>(), x_tf32 = f.get("x_tf32").to_vector<float>();
  std::vector<float> eye_v(64, 0.f);
  for (size_t i = 0; i < 8; ++i) eye_v[i * 9] = 1.f;
  const Tensor eye = Tensor::from_vector(eye_v, {8, 8}).to(Device::cuda());
  auto max_diff = [](const std::vector<float>& got, const std::vector<double>& ref, double rtol) {
    double worst = 0;  // largest |got - ref| - rtol |ref|
    for (size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::abs(got[i] - ref[i]) - rtol * std::abs(ref[i]));
    return worst;
  };
  const double fp32_atol = 1e-5, fp32_rtol = 1.3e-6, tf32_tol = 0.005;  // PyTorch's float32 defaults; its TF32 tests
  double tf32_err = 0;  // TF32's own error on this product, numpy's
  for (size_t i = 0; i < c_fp32.size(); ++i) tf32_err = std::max(tf32_err, std::abs(c_tf32[i] - c_fp32[i]));
  ASSERT_GT(tf32_err, 100 * fp32_atol);

  ASSERT_EQ(get_float32_matmul_precision(), "highest");
  auto hi = ops::matmul(a, b).to(Device::cpu()).to_vector<float>(), xi = ops::matmul(x, eye).to(Device::cpu()).to_vector<float>();
  EXPECT_LE(max_diff(hi, c_fp32, fp32_rtol), fp32_atol);
  EXPECT_EQ(xi, x32);
  set_float32_matmul_precision("high");
  auto lo = ops::matmul(a, b).to(Device::cpu()).to_vector<float>(), xl = ops::matmul(x, eye).to(Device::cpu()).to_vector<float>();
  set_float32_matmul_precision("highest");
  EXPECT_LE(max_diff(lo, c_fp32, 0), tf32_tol);
  if (cuda::emulated()) {
    EXPECT_GE(max_diff(lo, c_fp32, 0), 0.5 * tf32_err) << "\"high\" should differ from FP32 by about TF32's error";
    EXPECT_LE(max_diff(lo, c_tf32, fp32_rtol), fp32_atol);
    EXPECT_EQ(xl, x_tf32);  // x @ I is the rounding itself, ties to even
    return;
  }
  // On a GPU cuBLAS may still pick an FP32 kernel for these small products:
  // each result is within TF32's tolerance of numpy's TF32 values either way,
  // and a 512^3 product shows whether "high" reaches the tensor cores at all.
  EXPECT_LE(max_diff(lo, c_tf32, 0), tf32_tol);
  for (size_t i = 0; i < x32.size(); ++i) EXPECT_NEAR(xl[i], x_tf32[i], std::abs(x_tf32[i]) / 1024) << "x @ I, " << i;
  Tensor p = Tensor::randn({512, 512}).to(Device::cuda()), q = (Tensor::randn({512, 512}) / std::sqrt(512.0)).to(Device::cuda());
  const auto big_hi = ops::matmul(p, q).to(Device::cpu()).to_vector<float>();
  set_float32_matmul_precision("high");
  const auto big_lo = ops::matmul(p, q).to(Device::cpu()).to_vector<float>();
  set_float32_matmul_precision("highest");
  if (big_lo == big_hi) GTEST_SKIP() << "FP32 results at \"high\": this GPU has no TF32 tensor cores (before sm_80)";
  double big = 0;
  for (size_t i = 0; i < big_hi.size(); ++i) big = std::max(big, double(std::abs(big_lo[i] - big_hi[i])));
  EXPECT_LE(big, tf32_tol) << "TF32 against FP32, 512^3 product of order-1 outputs";
}

// Norms of an empty batch give zero weight and bias gradients, as PyTorch,
// whatever the device memory held before (freed blocks of the gradients'
// size, full of 7s, are there for the allocator to hand back).
TEST(Gpu, NormsOfAnEmptyBatchGiveZeroParameterGradients) {
  REQUIRE_GPU();
  for (bool layer : {true, false}) {
    const TensorOptions dev(DType::f32, Device::cuda());
    Tensor x = Tensor::zeros({0, 3}, dev).requires_grad_(), w = Tensor::ones({3}, dev).requires_grad_();
    Tensor b = Tensor::zeros({3}, dev).requires_grad_();
    Tensor y = layer ? ops::layer_norm(x, {3}, w, b) : ops::rms_norm(x, {3}, w);
    {
      std::vector<Tensor> junk;  // more freed blocks than the backward allocates
      for (int i = 0; i < 8; ++i) junk.push_back(Tensor::full({3}, 7.0, dev));
    }
    ops::sum(y).backward();
    EXPECT_EQ(w.grad().to(Device::cpu()).to_vector<float>(), std::vector<float>(3, 0.f)) << (layer ? "layer" : "rms");
    if (layer) EXPECT_EQ(b.grad().to(Device::cpu()).to_vector<float>(), std::vector<float>(3, 0.f));
  }
}
