#include "genlab/io/idx.hpp"

#include <zlib.h>

#include <cstring>
#include <fstream>

namespace genlab::io {

std::vector<uint8_t> read_maybe_gzip(const std::string& path, size_t max_bytes) {
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files unchanged
  GENLAB_CHECK(f != nullptr, "cannot open '", path, "'");
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) {
    if (out.size() + size_t(n) > max_bytes) {
      gzclose(f);
      GENLAB_FAIL("'", path, "' decompresses to more than ", max_bytes, " bytes");
    }
    out.insert(out.end(), buf, buf + n);
  }
  int err = 0;
  const char* msg = n < 0 ? gzerror(f, &err) : nullptr;
  gzclose(f);
  GENLAB_CHECK(n == 0, "'", path, "': gzip data is corrupt after ", out.size(), " bytes (", msg ? msg : "", ")");
  return out;
}

Tensor parse_idx(const uint8_t* d, size_t size, const std::string& origin) {
  GENLAB_CHECK(size >= 4, "idx: '", origin, "' has ", size, " bytes, fewer than the 4-byte magic");
  GENLAB_CHECK(d[0] == 0 && d[1] == 0, "idx: '", origin, "' bad magic at offset 0 (", int(d[0]), " ", int(d[1]),
               "), expected 0 0");
  GENLAB_CHECK(d[2] == 0x08, "idx: '", origin, "' element type 0x", std::hex, int(d[2]), std::dec,
               " at offset 2 is not supported (only 0x08, unsigned byte)");
  const size_t nd = d[3];
  GENLAB_CHECK(nd >= 1 && nd <= 8, "idx: '", origin, "' has ", nd, " dims at offset 3 (expected 1..8)");
  GENLAB_CHECK(size >= 4 + 4 * nd, "idx: '", origin, "' is truncated in the dims header (", size, " bytes, need ",
               4 + 4 * nd, ")");
  Shape shape;
  uint64_t count = 1, nonzero = 1;  // nonzero: product of the non-zero dims, so a 0 dim cannot hide huge others
  for (size_t i = 0; i < nd; ++i) {
    const uint8_t* p = d + 4 + 4 * i;
    uint64_t v = (uint64_t(p[0]) << 24) | (uint64_t(p[1]) << 16) | (uint64_t(p[2]) << 8) | p[3];
    count *= v;  // each v < 2^32 and the running products stay <= size < 2^63 below
    if (v) nonzero *= v;
    GENLAB_CHECK(count <= size && nonzero <= size, "idx: '", origin, "' dims at offset ", 4 + 4 * i,
                 " declare more than the ", size, " bytes in the file");
    shape.push_back(int64_t(v));
  }
  const size_t header = 4 + 4 * nd;
  GENLAB_CHECK(size - header == count, "idx: '", origin, "' declares ", count, " bytes of data for shape ",
               shape_str(shape), " but ", size - header, " follow offset ", header);
  Tensor t = Tensor::empty(shape, DType::u8);
  if (count) std::memcpy(t.raw_data(), d + header, count);
  return t;
}

Tensor read_idx(const std::string& path) {
  std::vector<uint8_t> bytes = read_maybe_gzip(path);
  return parse_idx(bytes.data(), bytes.size(), path);
}

}  // namespace genlab::io
