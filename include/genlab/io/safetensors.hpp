// safetensors: read (copy-on-write mmap, zero-copy where the data is aligned for
// its dtype; writes to a loaded tensor stay in memory and never reach the file)
// and write (atomic: unnamed temp file + fsync + rename + directory fsync). Format: u64 little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, "__metadata__"},
// then the data. Malformed files throw genlab::Error naming the offset at fault.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "genlab/core/tensor.hpp"

namespace genlab::io {

struct TensorInfo {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin = 0, end = 0;  // byte offsets into the data section
};

class SafeTensors {
 public:
  // Maps the file; tensors stay valid after this object dies.
  static SafeTensors open(const std::string& path);
  // Parses an in-memory copy (what the fuzzer drives).
  static SafeTensors from_buffer(std::vector<uint8_t> bytes);

  const std::vector<TensorInfo>& tensors() const { return infos_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool contains(const std::string& name) const;
  // Zero-copy view when aligned, else a copy. Views of one name share memory, as
  // two torch.frombuffer calls on one buffer would; clone() for an independent copy.
  Tensor get(const std::string& name) const;
  std::map<std::string, Tensor> all() const;
  uint64_t header_size() const { return header_len_; }

 private:
  void parse(const std::string& origin);
  std::shared_ptr<void> holder_;  // keeps the mapping (or buffer) alive
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0, header_len_ = 0;
  std::vector<TensorInfo> infos_;
  std::map<std::string, std::string> metadata_;
};

// Writes tensors (any device; copied to the host) in name order. The name
// "__metadata__" is reserved for `metadata` and refused as a tensor name.
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Writes `bytes` to `path` atomically: a crash leaves the old file or the new one
// and no temporary; concurrent writers to one path each succeed (the last rename wins).
void write_file_atomic(const std::string& path, const std::string& bytes);

const char* safetensors_dtype_name(DType t);

}  // namespace genlab::io
