#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <thread>

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
  Tensor out = Tensor::empty(s, t.dtype());
  const size_t row_bytes = row_bytes_of(t);
  const char* src = static_cast<const char*>(t.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  parallel_for(int64_t(rows.size()), std::max<int64_t>(1, (1 << 16) / int64_t(row_bytes + 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      std::memcpy(dst + size_t(i) * row_bytes, src + size_t(rows[size_t(i)]) * row_bytes, row_bytes);
  });
  return out;
}
}  // namespace

Batch TensorDataset::get(const std::vector<int64_t>& rows) const {
  for (auto r : rows) GENLAB_CHECK(r >= 0 && r < size(), "TensorDataset: row ", r, " out of range [0, ", size(), ")");
  return {gather_rows(x, rows), gather_rows(y, rows)};
}

void DataLoader::start_epoch(uint64_t epoch) {
  if (pending_.valid()) pending_.wait();
  order_.resize(size_t(ds_.size()));
  std::iota(order_.begin(), order_.end(), 0);
  if (opt_.shuffle) {  // Fisher-Yates driven by Philox(seed, epoch): reproducible anywhere
    uint64_t ctr = 0;
    for (size_t i = order_.size(); i > 1; --i) {
      auto r = Philox::block(opt_.seed, ctr++, epoch + 1);
      uint64_t v = (uint64_t(r[0]) << 32) | r[1];
      std::swap(order_[i - 1], order_[size_t(v % i)]);
    }
  }
  cursor_ = 0;
  // Decided once per epoch: a set_num_threads() mid-epoch must not leave next()
  // waiting on a batch that was never requested.
  prefetch_epoch_ = opt_.prefetch == Prefetch::automatic ? num_threads() < int(std::thread::hardware_concurrency())
                                                         : opt_.prefetch == Prefetch::on;
  if (prefetch_epoch_ && num_batches() > 0) pending_ = std::async(std::launch::async, [this] { return make(0); });
}

Batch DataLoader::make(int64_t b) const {
  const int64_t s = b * opt_.batch_size, e = std::min<int64_t>(s + opt_.batch_size, ds_.size());
  return ds_.get(std::vector<int64_t>(order_.begin() + s, order_.begin() + e));
}

std::optional<Batch> DataLoader::next() {
  if (cursor_ >= num_batches()) return std::nullopt;
  Batch b = prefetch_epoch_ ? pending_.get() : make(cursor_);
  ++cursor_;
  if (prefetch_epoch_ && cursor_ < num_batches()) {
    int64_t nb = cursor_;
    pending_ = std::async(std::launch::async, [this, nb] { return make(nb); });
  }
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
