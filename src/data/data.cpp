#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <thread>

#include "genlab/backend/cuda.hpp"
#include "genlab/core/rng.hpp"
#include "genlab/core/threads.hpp"
#include "genlab/data/data.hpp"
#include "genlab/io/idx.hpp"
#include "genlab/ops/ops.hpp"

namespace genlab::data {

TensorDataset::TensorDataset(Tensor x_, Tensor y_) : x(ops::contiguous(x_)), y(ops::contiguous(y_)) {
  GENLAB_CHECK(x.dim() >= 1 && y.dim() >= 1 && x.shape()[0] == y.shape()[0], "TensorDataset: inputs ", shape_str(x.shape()),
               " and targets ", shape_str(y.shape()), " need the same first dim");
}

namespace {
// Bytes of one row (one sample) of a contiguous dataset tensor.
size_t row_bytes_of(const Tensor& t) {
  return size_t(t.numel() / std::max<int64_t>(t.shape()[0], 1)) * dtype_size(t.dtype());
}

Tensor gather_rows(const Tensor& t, const std::vector<int64_t>& rows) {
  Shape s = t.shape();
  s[0] = int64_t(rows.size());
  const size_t row_bytes = row_bytes_of(t);
  if (t.device().is_cuda()) {  // device memory: gather there (a host memcpy would read device pointers)
    autograd::NoGradGuard ng;
    if (t.dtype() == DType::f32) return ops::index_select(t.detach(), 0, Tensor::from_vector(rows, {int64_t(rows.size())}));
    // Other dtypes (integer targets): device-to-device copies, one per run of consecutive rows.
    Tensor out = Tensor::empty(s, TensorOptions(t.dtype(), t.device()));
    const char* src = static_cast<const char*>(t.raw_data());
    char* dst = static_cast<char*>(out.raw_data());
    for (size_t i = 0, j; i < rows.size(); i = j) {
      for (j = i + 1; j < rows.size() && rows[j] == rows[j - 1] + 1;) ++j;
      if (row_bytes) cuda::memcpy_d2d(dst + i * row_bytes, src + size_t(rows[i]) * row_bytes, (j - i) * row_bytes);
    }
    return out;
  }
  GENLAB_CHECK(t.device().is_cpu(), "TensorDataset: cannot gather rows of a tensor on ", t.device());
  Tensor out = Tensor::empty(s, t.dtype());
  const char* src = static_cast<const char*>(t.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  parallel_for(int64_t(rows.size()), std::max<int64_t>(1, (1 << 16) / int64_t(row_bytes + 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      std::memcpy(dst + size_t(i) * row_bytes, src + size_t(rows[size_t(i)]) * row_bytes, row_bytes);
  });
  return out;
}

// Rows [b*bs, b*bs + bs) of `order`, transformed; static, so a task running it holds no loader.
Batch make_batch(const TensorDataset& ds, const std::vector<int64_t>& order, const LoaderOptions& o, uint64_t epoch,
                 int64_t b) {
  const int64_t s = b * o.batch_size, e = std::min<int64_t>(s + o.batch_size, ds.size());
  Batch batch = ds.get(std::vector<int64_t>(order.begin() + s, order.begin() + e));
  if (!o.transform) return batch;
  const auto r = Philox::block(o.seed, uint64_t(b), (epoch + 1) << 32 | 0x7472);  // apart from the shuffle's stream
  return o.transform(std::move(batch), uint64_t(r[0]) << 32 | r[1]);
}
}  // namespace

Batch TensorDataset::get(const std::vector<int64_t>& rows) const {
  for (auto r : rows) GENLAB_CHECK(r >= 0 && r < size(), "TensorDataset: row ", r, " out of range [0, ", size(), ")");
  return {gather_rows(x, rows), gather_rows(y, rows)};
}

void DataLoader::start_epoch(uint64_t epoch) {
  if (pending_.valid()) pending_.wait();
  // A fresh vector: a task of the previous epoch may still hold the old one.
  auto order = std::make_shared<std::vector<int64_t>>(size_t(ds_.size()));
  std::iota(order->begin(), order->end(), 0);
  if (opt_.shuffle) {  // Fisher-Yates driven by Philox(seed, epoch): reproducible anywhere
    uint64_t ctr = 0;
    for (size_t i = order->size(); i > 1; --i) {
      auto r = Philox::block(opt_.seed, ctr++, epoch + 1);
      uint64_t v = (uint64_t(r[0]) << 32) | r[1];
      std::swap((*order)[i - 1], (*order)[size_t(v % i)]);
    }
  }
  order_ = std::move(order);
  cursor_ = 0;
  epoch_ = epoch;
  // Decided once per epoch: a set_num_threads() mid-epoch must not leave next()
  // waiting on a batch that was never requested.
  prefetch_epoch_ = opt_.prefetch == Prefetch::automatic ? num_threads() < int(std::thread::hardware_concurrency())
                                                         : opt_.prefetch == Prefetch::on;
  if (prefetch_epoch_ && num_batches() > 0) pending_ = launch(0);
}

std::future<Batch> DataLoader::launch(int64_t b) const {
  return std::async(std::launch::async, [ds = ds_, order = order_, o = opt_, epoch = epoch_, b] {
    return make_batch(ds, *order, o, epoch, b);
  });
}

std::optional<Batch> DataLoader::next() {
  GENLAB_CHECK(order_ && int64_t(order_->size()) == ds_.size(), "DataLoader: next() called before start_epoch()");
  if (cursor_ >= num_batches()) return std::nullopt;
  Batch b = prefetch_epoch_ ? pending_.get() : make_batch(ds_, *order_, opt_, epoch_, cursor_);
  ++cursor_;
  if (prefetch_epoch_ && cursor_ < num_batches()) pending_ = launch(cursor_);
  return b;
}

std::string fashion_mnist_dir() {
  if (const char* d = std::getenv("GENLAB_FASHION_MNIST")) return d;
  return "/usr/share/datasets/fashion-mnist";
}

TensorDataset fashion_mnist(const std::string& split, const std::string& dir_in) {
  GENLAB_CHECK(split == "train" || split == "test", "fashion_mnist: split must be 'train' or 'test', got '", split, "'");
  const std::string dir = dir_in.empty() ? fashion_mnist_dir() : dir_in;
  const std::string stem = split == "train" ? "train" : "t10k";
  auto find = [&](const std::string& kind) {
    for (std::string ext : {".gz", ""}) {
      std::string p = dir + "/" + stem + "-" + kind + "-idx" + (kind == "images" ? "3" : "1") + "-ubyte" + ext;
      if (std::filesystem::exists(p)) return p;
    }
    GENLAB_FAIL("fashion_mnist: no ", stem, "-", kind, " file in '", dir,
                "'; install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) "
                "or set GENLAB_FASHION_MNIST");
  };
  Tensor images = io::read_idx(find("images")), labels = io::read_idx(find("labels"));
  GENLAB_CHECK(images.dim() == 3 && labels.dim() == 1 && images.shape()[0] == labels.shape()[0],
               "fashion_mnist: images ", shape_str(images.shape()), " and labels ", shape_str(labels.shape()), " disagree");
  const int64_t n = images.shape()[0], d = images.shape()[1] * images.shape()[2];
  autograd::NoGradGuard ng;
  Tensor x = ops::div(images.reshape({n, d}).to(DType::f32), 255.0);
  return {x, labels.to(DType::i64)};
}

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)), total_(total), tty_(isatty(STDOUT_FILENO)), start_(std::chrono::steady_clock::now()) {}

void ProgressBar::update(int64_t done, double loss) {
  if (!tty_) return;
  double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double eta = done > 0 ? el / double(done) * double(total_ - done) : 0;
  int w = 30, filled = total_ ? int(w * done / total_) : w;
  std::printf("\r%s [%.*s%*s] %lld/%lld loss %.4f  %.1fs eta %.1fs ", label_.c_str(), filled,
              "##############################", w - filled, "", (long long)done, (long long)total_, loss, el, eta);
  std::fflush(stdout);
}
void ProgressBar::finish() {
  if (tty_) std::printf("\r%*s\r", 100, "");
}

}  // namespace genlab::data
