// The data sets Debian ships (data/corpora.hpp) against an independent reader
// run by this test (tests/parity/data_reference.py: scikit-learn's own
// load_digits, and a Python parse of the fortune files and their indexes), and
// the parsers on bad input: a clear genlab::Error naming the line, the file and
// the package to install.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "expect_error.hpp"
#include "genlab/genlab.hpp"

using namespace genlab;
using genlab::testing::expect_error;

namespace {

// data_reference.py's "key v1 v2 ..." lines, run once.
const std::map<std::string, std::vector<int64_t>>& reference() {
  static const auto ref = [] {
    std::map<std::string, std::vector<int64_t>> m;
    const std::string out = ::testing::TempDir() + "/data_reference.txt";
    const std::string cmd = "/usr/bin/python3 " + std::string(GENLAB_TEST_DIR) + "/parity/data_reference.py " +
                            data::fortunes_dir() + " > " + out;
    if (std::system(cmd.c_str()) != 0) return m;
    std::ifstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream s(line);
      std::string key;
      s >> key;
      for (int64_t v; s >> v;) m[key].push_back(v);
    }
    return m;
  }();
  return ref;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

}  // namespace

TEST(Corpora, DigitsMatchScikitLearn) {
  const auto& ref = reference();
  ASSERT_TRUE(ref.count("digits_n")) << "tests/parity/data_reference.py failed (python3-sklearn installed?)";
  auto ds = data::digits();
  ASSERT_EQ(ds.size(), ref.at("digits_n")[0]);
  ASSERT_EQ(ds.x.shape(), (Shape{ds.size(), 64}));
  std::vector<int64_t> counts(10, 0);
  int64_t pixel_sum = 0, weighted = 0;
  const float* x = ds.x.data<float>();
  for (int64_t i = 0; i < ds.size(); ++i) {
    ++counts[size_t(ds.y.data<int64_t>()[i])];
    int64_t row = 0;
    for (int j = 0; j < 64; ++j) row += int64_t(std::lround(x[i * 64 + j] * 16));
    pixel_sum += row;
    weighted += row * i;
  }
  EXPECT_EQ(counts, ref.at("digits_label_counts"));
  EXPECT_EQ(pixel_sum, ref.at("digits_pixel_sum")[0]);
  EXPECT_EQ(weighted, ref.at("digits_weighted_sum")[0]);
  for (int j = 0; j < 64; ++j) EXPECT_FLOAT_EQ(x[j], float(ref.at("digits_first_image")[size_t(j)]) / 16.0f) << j;
}

TEST(Corpora, FortunesMatchTheirIndexesAndSplitByFortune) {
  const auto& ref = reference();
  ASSERT_TRUE(ref.count("fortunes_docs")) << "tests/parity/data_reference.py failed (fortunes installed?)";
  auto c = data::fortunes_corpus(0.1, 7);
  EXPECT_EQ(int64_t(c.files.size()), ref.at("fortunes_files")[0]);
  EXPECT_EQ(c.train_docs + c.validation_docs, ref.at("fortunes_docs")[0]);
  EXPECT_EQ(int64_t(c.train.size() + c.validation.size()), ref.at("fortunes_bytes")[0]);
  // about 10 % held out, whole fortunes on each side
  const double share = double(c.validation_docs) / double(c.train_docs + c.validation_docs);
  EXPECT_NEAR(share, 0.1, 0.02);
  EXPECT_EQ(c.validation.substr(c.validation.size() - 2), "%\n");
  EXPECT_EQ(int64_t(data::split_fortunes(c.validation).size()), c.validation_docs);
  // the same seed gives the same split; another seed another one
  EXPECT_EQ(data::fortunes_corpus(0.1, 7).validation, c.validation);
  EXPECT_NE(data::fortunes_corpus(0.1, 8).validation, c.validation);
  Tensor ids = data::bytes_tensor("A%\n\xe9");
  EXPECT_EQ(ids.dtype(), DType::i64);
  EXPECT_EQ(ids.to_vector<int64_t>(), (std::vector<int64_t>{65, 37, 10, 233}));
}

TEST(Corpora, SplitFortunesKeepsNewlinesAndDropsEmptyOnes) {
  auto docs = data::split_fortunes("a\nb\n%\n%\nc\n%\nlast without newline");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0], "a\nb\n");
  EXPECT_EQ(docs[1], "c\n");
  EXPECT_EQ(docs[2], "last without newline");
  EXPECT_TRUE(data::split_fortunes("").empty());
}

TEST(Corpora, MissingOrTruncatedFortunesNameThePackage) {
  expect_error([] { data::fortunes_corpus(0.1, 0, "/nonexistent/fortunes"); },
               {"'/nonexistent/fortunes'", "apt-get install fortunes"});
  const std::string dir = ::testing::TempDir() + "/fortunes_truncated";
  std::filesystem::create_directories(dir);
  // an index that promises 3 fortunes over a file that holds 2
  std::ofstream(dir + "/short", std::ios::binary) << "one\n%\ntwo\n%\n";
  const unsigned char header[24] = {0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 0, '%', 0, 0, 0};
  std::ofstream(dir + "/short.dat", std::ios::binary).write(reinterpret_cast<const char*>(header), 24);
  expect_error([&] { data::fortunes_corpus(0.1, 0, dir); },
               {"short' holds 2 fortunes where its index says 3", "apt-get install fortunes"});
  std::ofstream(dir + "/short.dat", std::ios::binary).write(reinterpret_cast<const char*>(header), 10);
  expect_error([&] { data::fortunes_corpus(0.1, 0, dir); }, {"short.dat", "fewer than the 24-byte header"});
  expect_error([] { data::fortunes_corpus(1.0); }, {"validation fraction must be in [0, 1), got 1"});
}

TEST(Corpora, BadDigitsFilesNameTheLine) {
  std::string row = "0";
  for (int i = 1; i < 64; ++i) row += ",16";
  expect_error([&] { data::parse_digits_csv(row + ",3\n" + row + "\n"); }, {"line 2 has 64 values, expected 65"});
  expect_error([&] { data::parse_digits_csv(row + ",11\n"); }, {"line 1, value 65 is 11 (labels are 0..9)"});
  expect_error([&] { data::parse_digits_csv("x" + row + ",1\n"); }, {"line 1, value 1: 'x0' is not an integer"});
  expect_error([&] { data::parse_digits_csv(row + ",1," + "2\n"); }, {"line 1 has more than 65 values"});
  expect_error([] { data::parse_digits_csv("\n\n"); }, {"no images"});
  expect_error([] { data::digits("/nonexistent/digits.csv.gz"); }, {"apt-get install python3-sklearn"});
  const std::string bad = write_temp("digits_bad.csv", "1,2,3\n");
  expect_error([&] { data::digits(bad); }, {"digits_bad.csv", "line 1 has 3 values", "python3-sklearn"});
  auto ok = data::parse_digits_csv(row + ",3\r\n" + row + ",9");
  EXPECT_EQ(ok.size(), 2);
  EXPECT_EQ(ok.y.data<int64_t>()[1], 9);
  EXPECT_FLOAT_EQ(ok.x.data<float>()[1], 1.0f);
}

TEST(Corpora, RandomSplitIsADisjointCover) {
  Tensor x = Tensor::arange(10).to(DType::f32).reshape({10, 1});
  data::TensorDataset ds(x, Tensor::arange(10).to(DType::i64));
  auto [rest, held] = data::random_split(ds, 0.3, 5);
  EXPECT_EQ(rest.size(), 7);
  EXPECT_EQ(held.size(), 3);
  std::vector<int64_t> all;
  for (const auto* d : {&rest, &held})
    for (int64_t i = 0; i < d->size(); ++i) all.push_back(d->y.data<int64_t>()[i]);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, Tensor::arange(10).to(DType::i64).to_vector<int64_t>());
  EXPECT_EQ(data::random_split(ds, 0.3, 5).second.y.to_vector<int64_t>(), held.y.to_vector<int64_t>());
  EXPECT_NE(data::random_split(ds, 0.3, 6).second.y.to_vector<int64_t>(), held.y.to_vector<int64_t>());
}
