// IDX (the MNIST / Fashion-MNIST format), plain or gzip-compressed: magic
// 0x00 0x00 <type> <ndim>, ndim big-endian u32 dims, then the data. Returns a
// uint8 tensor (type 0x08). Malformed input throws genlab::Error with the offset.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "genlab/core/tensor.hpp"

namespace genlab::io {

Tensor read_idx(const std::string& path);
Tensor parse_idx(const uint8_t* data, size_t size, const std::string& origin = "<buffer>");
// Reads a whole file, gunzipping when it starts with the gzip magic; refuses more than max_bytes.
std::vector<uint8_t> read_maybe_gzip(const std::string& path, size_t max_bytes = size_t(1) << 31);

}  // namespace genlab::io
