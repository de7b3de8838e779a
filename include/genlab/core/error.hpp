// genlab::Error and GENLAB_CHECK: every user-facing validation failure throws
// an Error whose message names the shapes, dtypes or file offsets involved.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace genlab {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
inline void stream_all(std::ostringstream&) {}
template <class T, class... Rest>
void stream_all(std::ostringstream& os, const T& first, const Rest&... rest) {
  os << first;
  stream_all(os, rest...);
}
template <class... Args>
[[noreturn]] void fail(const char* file, int line, const char* cond, const Args&... args) {
  std::ostringstream os;
  stream_all(os, args...);
  if (cond) os << " [check '" << cond << "' failed at " << file << ":" << line << "]";
  throw Error(os.str());
}
}  // namespace detail
}  // namespace genlab

// GENLAB_CHECK(cond, "message parts", shape, ...) throws genlab::Error when cond is false.
#define GENLAB_CHECK(cond, ...) \
  do { if (!(cond)) ::genlab::detail::fail(__FILE__, __LINE__, #cond, __VA_ARGS__); } while (0)
#define GENLAB_FAIL(...) ::genlab::detail::fail(__FILE__, __LINE__, nullptr, __VA_ARGS__)
