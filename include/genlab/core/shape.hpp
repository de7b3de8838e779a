// Shape and Strides (in elements), broadcasting and the helpers every op uses.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "genlab/core/error.hpp"

namespace genlab {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;

inline std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}
// Element count of a shape; a negative dim or a count past 2^63 is an error
// (naming `op` when given), so a bad shape can never wrap into a small
// allocation that is then read past.
inline int64_t numel_of(const Shape& s, const char* op = "shape") {
  int64_t n = 1;
  for (auto d : s) {
    GENLAB_CHECK(d >= 0, op, ": invalid size ", d, " in shape ", shape_str(s));
    GENLAB_CHECK(!__builtin_mul_overflow(n, d, &n), op, ": shape ", shape_str(s), " has more than 2^63 elements");
  }
  return n;
}
inline Strides contiguous_strides(const Shape& s) {
  Strides st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) { st[i] = acc; acc *= s[i]; }
  return st;
}
// Wraps a possibly negative dim into [0, ndim); `op` names the caller in the error.
inline int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t d = dim < 0 ? dim + ndim : dim;
  GENLAB_CHECK(d >= 0 && d < (ndim == 0 ? 1 : ndim), op, ": dim ", dim, " out of range for a ", ndim, "-d tensor");
  return d;
}
// NumPy/PyTorch broadcasting of two shapes.
inline Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape r(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    GENLAB_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", shape_str(a), " and ", shape_str(b),
                 " cannot be broadcast (dim ", i, ": ", da, " vs ", db, ")");
    r[i] = da == 1 ? db : da;
  }
  return r;
}

}  // namespace genlab
