// safetensors and IDX: round trips, a file written by Python (independent writer),
// and malformed input that must throw genlab::Error naming the problem.
#include <gtest/gtest.h>

#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <genlab/genlab.hpp>

#include "op_table.hpp"

using namespace genlab;

namespace {
std::vector<uint8_t> header_file(const std::string& json, size_t data_bytes, uint64_t declared = 0) {
  std::vector<uint8_t> b(8);
  uint64_t n = declared ? declared : json.size();
  for (int i = 0; i < 8; ++i) b[size_t(i)] = uint8_t(n >> (8 * i));
  b.insert(b.end(), json.begin(), json.end());
  b.resize(b.size() + data_bytes, 0);
  return b;
}
std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    io::SafeTensors::from_buffer(bytes).all();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(SafeTensors, RoundTripAllDTypes) {
  std::map<std::string, Tensor> in;
  in["a.f32"] = Tensor::randn({3, 4});
  in["b.f64"] = Tensor::randn({2}, DType::f64);
  in["c.f16"] = Tensor::randn({5}).to(DType::f16);
  in["d.bf16"] = Tensor::randn({5}).to(DType::bf16);
  in["e.i64"] = Tensor::arange(7, DType::i64);
  in["f.i32"] = Tensor::arange(3, DType::i32);
  in["g.u8"] = Tensor::arange(9, DType::u8).reshape({3, 3});
  in["h.empty"] = Tensor::zeros({0, 4});
  in["i.view"] = Tensor::randn({4, 3}).t();  // non-contiguous: written in logical order
  std::string path = ::testing::TempDir() + "/rt.safetensors";
  io::save_safetensors(path, in, {{"k", "v"}});
  auto f = io::SafeTensors::open(path);
  EXPECT_EQ(f.metadata().at("k"), "v");
  for (auto& [name, t] : in) {
    Tensor r = f.get(name);
    EXPECT_EQ(r.dtype(), t.dtype()) << name;
    EXPECT_EQ(r.shape(), t.shape()) << name;
    EXPECT_EQ(r.to_vector<double>(), t.to_vector<double>()) << name;
  }
}

TEST(SafeTensors, ReadsAFileWrittenByPython) {
  auto f = io::SafeTensors::open(genlab::testing::parity_dir() + "/ops.safetensors");
  EXPECT_NE(f.metadata().at("producer").find("torch"), std::string::npos);
  Tensor w = f.get("linear.in1");
  EXPECT_EQ(w.shape(), (Shape{5, 4}));
  EXPECT_EQ(w.dtype(), DType::f64);
  EXPECT_EQ(f.get("embedding.in1").dtype(), DType::i64);
}

TEST(SafeTensors, MalformedFilesThrowWithOffsets) {
  EXPECT_NE(error_of({1, 2, 3}).find("fewer than the 8-byte"), std::string::npos);
  EXPECT_NE(error_of(header_file("{}", 0, 1000)).find("declares a 1000-byte header"), std::string::npos);
  EXPECT_NE(error_of(header_file("{}", 0, uint64_t(1) << 60)).find("limit"), std::string::npos);
  EXPECT_NE(error_of(header_file("{not json", 0)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(header_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4)).find("outside"),
            std::string::npos);
  EXPECT_NE(error_of(header_file(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)).find("needs 12"),
            std::string::npos);
  EXPECT_NE(error_of(header_file(R"({"t":{"dtype":"Q9","shape":[1],"data_offsets":[0,1]}})", 1)).find("unsupported dtype"),
            std::string::npos);
  EXPECT_NE(error_of(header_file(R"({"t":{"dtype":"U8","shape":[0,1099511627776,1099511627776],"data_offsets":[0,0]}})", 0))
                .find("too large"),
            std::string::npos);
  EXPECT_NE(error_of(header_file(R"({"t":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}})", 0)).find("non-negative"),
            std::string::npos);
  EXPECT_THROW(io::SafeTensors::open("/nonexistent/file.safetensors"), Error);
}

TEST(SafeTensors, AtomicWriteLeavesNoTempFile) {
  std::string path = ::testing::TempDir() + "/atomic.safetensors";
  io::save_safetensors(path, {{"x", Tensor::ones({2})}});
  io::save_safetensors(path, {{"x", Tensor::zeros({3})}});
  EXPECT_EQ(io::SafeTensors::open(path).get("x").numel(), 3);
  std::ifstream tmp(path + ".tmp." + std::to_string(::getpid()));
  EXPECT_FALSE(tmp.good());
}

TEST(Idx, ParsesAndRejects) {
  const uint8_t ok[] = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6};
  Tensor t = io::parse_idx(ok, sizeof ok);
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.to_vector<int>(), (std::vector<int>{1, 2, 3, 4, 5, 6}));
  auto err = [](std::vector<uint8_t> b) {
    try { io::parse_idx(b.data(), b.size()); } catch (const Error& e) { return std::string(e.what()); }
    return std::string();
  };
  EXPECT_NE(err({0, 0, 8}).find("fewer than the 4-byte"), std::string::npos);
  EXPECT_NE(err({1, 0, 8, 1, 0, 0, 0, 1, 0}).find("bad magic"), std::string::npos);
  EXPECT_NE(err({0, 0, 0x0d, 1, 0, 0, 0, 1, 0}).find("not supported"), std::string::npos);
  EXPECT_NE(err({0, 0, 8, 1, 0, 0}).find("truncated"), std::string::npos);
  EXPECT_NE(err({0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff, 0}).find("declare more"), std::string::npos);
  EXPECT_NE(err({0, 0, 8, 1, 0, 0, 0, 2, 7}).find("declares 2 bytes"), std::string::npos);
}

TEST(Idx, ReadsGzipFromDisk) {
  std::string path = ::testing::TempDir() + "/x.idx.gz";
  std::string raw("\0\0\x08\x01\0\0\0\x03\x07\x08\x09", 11);
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, raw.data(), unsigned(raw.size()));
  gzclose(f);
  EXPECT_EQ(io::read_idx(path).to_vector<int>(), (std::vector<int>{7, 8, 9}));
}
