#include "genlab/data/corpora.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include "genlab/core/rng.hpp"
#include "genlab/io/idx.hpp"
#include "genlab/ops/ops.hpp"

namespace genlab::data {

namespace fs = std::filesystem;

std::vector<std::string> split_fortunes(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    const size_t next = end == std::string_view::npos ? text.size() : end + 1;
    std::string_view line = text.substr(pos, next - pos);
    if (line == "%\n" || line == "%") {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.append(line);
    }
    pos = next;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

uint32_t strfile_count(const uint8_t* d, size_t size) {
  // strfile(1) header: version, numstr, longlen, shortlen, flags (big-endian u32), then the delimiter
  GENLAB_CHECK(size >= 24, "strfile index: ", size, " bytes, fewer than the 24-byte header");
  auto be32 = [&](size_t off) {
    return uint32_t(d[off]) << 24 | uint32_t(d[off + 1]) << 16 | uint32_t(d[off + 2]) << 8 | uint32_t(d[off + 3]);
  };
  const uint32_t version = be32(0);
  GENLAB_CHECK(version >= 1 && version <= 2, "strfile index: version ", version, " at offset 0 (expected 1 or 2)");
  return be32(4);
}

std::string fortunes_dir() {
  if (const char* d = std::getenv("GENLAB_FORTUNES")) return d;
  return "/usr/share/games/fortunes";
}

namespace {
const char* kFortunesHint = "; install the Debian package fortunes (apt-get install fortunes)";
}

TextSplit fortunes_corpus(double validation_fraction, uint64_t seed, const std::string& dir_in) {
  GENLAB_CHECK(validation_fraction >= 0 && validation_fraction < 1,
               "fortunes_corpus: validation fraction must be in [0, 1), got ", validation_fraction);
  const std::string dir = dir_in.empty() ? fortunes_dir() : dir_in;
  std::error_code ec;
  GENLAB_CHECK(fs::is_directory(dir, ec), "fortunes_corpus: no directory '", dir, "'", kFortunesHint);
  TextSplit out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    // the text files: regular, no extension (X.dat is X's index, X.u8 a link to X)
    if (e.is_regular_file() && !e.is_symlink() && name.find('.') == std::string::npos &&
        fs::exists(e.path().string() + ".dat"))
      out.files.push_back(e.path().string());
  }
  std::sort(out.files.begin(), out.files.end());
  GENLAB_CHECK(!out.files.empty(), "fortunes_corpus: no fortune files (X with an index X.dat) in '", dir, "'",
               kFortunesHint);
  int64_t index = 0;
  for (const auto& path : out.files) {
    const auto bytes = io::read_maybe_gzip(path, size_t(1) << 28);
    const auto dat = io::read_maybe_gzip(path + ".dat", size_t(1) << 24);
    const auto docs = split_fortunes(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    uint32_t expected = 0;
    try {
      expected = strfile_count(dat.data(), dat.size());
    } catch (const Error& e) {
      GENLAB_FAIL("fortunes_corpus: '", path, ".dat': ", e.what(), kFortunesHint);
    }
    GENLAB_CHECK(docs.size() == expected, "fortunes_corpus: '", path, "' holds ", docs.size(),
                 " fortunes where its index says ", expected, " (truncated?)", kFortunesHint);
    for (const auto& doc : docs) {
      const bool held_out = Philox::to_unit(Philox::block(seed, uint64_t(index++), 0x666f7274)[0]) <= validation_fraction;
      (held_out ? out.validation : out.train).append(doc).append("%\n");
      ++(held_out ? out.validation_docs : out.train_docs);
    }
  }
  return out;
}

Tensor bytes_tensor(std::string_view text) {
  Tensor t = Tensor::empty({int64_t(text.size())}, DType::i64);
  int64_t* p = t.data<int64_t>();
  for (size_t i = 0; i < text.size(); ++i) p[i] = static_cast<unsigned char>(text[i]);
  return t;
}

TensorDataset parse_digits_csv(std::string_view csv) {
  std::vector<float> pixels;
  std::vector<int64_t> labels;
  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < csv.size()) {
    ++line_no;
    size_t end = csv.find('\n', pos);
    if (end == std::string_view::npos) end = csv.size();
    std::string_view line = csv.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    int values[65];
    int n = 0;
    size_t at = 0;
    while (true) {
      size_t comma = line.find(',', at);
      std::string_view field = line.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
      GENLAB_CHECK(n < 65, "digits: line ", line_no, " has more than 65 values");
      GENLAB_CHECK(!field.empty() && field.size() <= 2 &&
                       std::all_of(field.begin(), field.end(), [](char c) { return c >= '0' && c <= '9'; }),
                   "digits: line ", line_no, ", value ", n + 1, ": '", std::string(field.substr(0, 16)),
                   "' is not an integer 0..16");
      values[n] = std::stoi(std::string(field));
      GENLAB_CHECK(values[n] <= (n < 64 ? 16 : 9), "digits: line ", line_no, ", value ", n + 1, " is ", values[n],
                   n < 64 ? " (pixels are 0..16)" : " (labels are 0..9)");
      ++n;
      if (comma == std::string_view::npos) break;
      at = comma + 1;
    }
    GENLAB_CHECK(n == 65, "digits: line ", line_no, " has ", n, " values, expected 65 (64 pixels and the label)");
    for (int i = 0; i < 64; ++i) pixels.push_back(float(values[i]) / 16.0f);
    labels.push_back(values[64]);
  }
  GENLAB_CHECK(!labels.empty(), "digits: no images in the file");
  const int64_t n = int64_t(labels.size());
  return TensorDataset(Tensor::from_vector(pixels, {n, 64}), Tensor::from_vector(labels, {n}));
}

std::string digits_path() {
  if (const char* p = std::getenv("GENLAB_DIGITS")) return p;
  return "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
}

TensorDataset digits(const std::string& path_in) {
  const std::string path = path_in.empty() ? digits_path() : path_in;
  std::error_code ec;
  GENLAB_CHECK(fs::exists(path, ec), "digits: no file '", path,
               "'; install the Debian package python3-sklearn (apt-get install python3-sklearn)");
  const auto bytes = io::read_maybe_gzip(path, size_t(1) << 26);
  try {
    return parse_digits_csv(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const Error& e) {
    GENLAB_FAIL("'", path, "': ", e.what(), "; reinstall the Debian package python3-sklearn");
  }
}

std::pair<TensorDataset, TensorDataset> random_split(const TensorDataset& ds, double fraction, uint64_t seed) {
  GENLAB_CHECK(fraction >= 0 && fraction <= 1, "random_split: fraction must be in [0, 1], got ", fraction);
  std::vector<int64_t> order(size_t(ds.size()));
  std::iota(order.begin(), order.end(), 0);
  uint64_t ctr = 0;
  for (size_t i = order.size(); i > 1; --i) {  // Fisher-Yates by Philox(seed)
    auto r = Philox::block(seed, ctr++, 0x73706c6974);
    std::swap(order[i - 1], order[size_t(((uint64_t(r[0]) << 32) | r[1]) % i)]);
  }
  const auto held = size_t(std::llround(fraction * double(ds.size())));
  std::vector<int64_t> rest(order.begin(), order.end() - int64_t(held)), out(order.end() - int64_t(held), order.end());
  std::sort(rest.begin(), rest.end());
  std::sort(out.begin(), out.end());
  Batch a = ds.get(rest), b = ds.get(out);
  return {TensorDataset(a.x, a.y), TensorDataset(b.x, b.y)};
}

}  // namespace genlab::data
