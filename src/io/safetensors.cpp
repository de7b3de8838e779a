#include "genlab/io/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "genlab/ops/ops.hpp"

namespace genlab::io {
namespace {
struct DTypeName {
  const char* name;
  DType dtype;
};
constexpr DTypeName kNames[] = {{"F32", DType::f32}, {"F64", DType::f64}, {"F16", DType::f16}, {"BF16", DType::bf16},
                                {"I32", DType::i32}, {"I64", DType::i64}, {"U8", DType::u8}};
// Header sizes beyond this are refused before allocation (HF's reader uses 100 MB).
constexpr uint64_t kMaxHeader = 100u << 20;
}  // namespace

const char* safetensors_dtype_name(DType t) {
  for (auto& n : kNames)
    if (n.dtype == t) return n.name;
  return "?";
}

SafeTensors SafeTensors::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  GENLAB_CHECK(fd >= 0, "safetensors: cannot open '", path, "': ", std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) { ::close(fd); GENLAB_FAIL("safetensors: cannot stat '", path, "'"); }
  SafeTensors s;
  s.size_ = uint64_t(st.st_size);
  if (s.size_ == 0) { ::close(fd); GENLAB_FAIL("safetensors: '", path, "' is empty (need at least 8 bytes)"); }
  // Copy-on-write: tensors from get() can be written (fill_, an optimizer step);
  // the written pages become private to this process and never reach the file.
  void* p = mmap(nullptr, s.size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ::close(fd);
  GENLAB_CHECK(p != MAP_FAILED, "safetensors: cannot mmap '", path, "'");
  uint64_t sz = s.size_;
  s.holder_ = std::shared_ptr<void>(p, [sz](void* q) { munmap(q, sz); });
  s.base_ = static_cast<const uint8_t*>(p);
  s.parse(path);
  return s;
}

SafeTensors SafeTensors::from_buffer(std::vector<uint8_t> bytes) {
  SafeTensors s;
  auto buf = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  s.size_ = buf->size();
  s.base_ = buf->data();
  s.holder_ = buf;
  s.parse("<buffer>");
  return s;
}

void SafeTensors::parse(const std::string& origin) {
  GENLAB_CHECK(size_ >= 8, "safetensors: '", origin, "' has ", size_, " bytes, fewer than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | base_[i];
  GENLAB_CHECK(n <= kMaxHeader, "safetensors: '", origin, "' declares a ", n, "-byte header at offset 0 (limit ", kMaxHeader, ")");
  GENLAB_CHECK(n <= size_ - 8, "safetensors: '", origin, "' declares a ", n, "-byte header but only ", size_ - 8,
               " bytes follow offset 8");
  header_len_ = n;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(base_ + 8, base_ + 8 + n);
  } catch (const nlohmann::json::exception& e) {
    GENLAB_FAIL("safetensors: '", origin, "' header (offsets 8..", 8 + n, ") is not valid JSON: ", e.what());
  }
  GENLAB_CHECK(j.is_object(), "safetensors: '", origin, "' header is not a JSON object");
  const uint64_t data_size = size_ - 8 - n;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      // The format defines it as a string-to-string map; anything else is a damaged
      // file or a tensor saved under the reserved name.
      GENLAB_CHECK(it->is_object(), "safetensors: '", origin, "' __metadata__ is not a string-to-string map");
      for (auto m = it->begin(); m != it->end(); ++m) {
        GENLAB_CHECK(m->is_string(), "safetensors: '", origin, "' __metadata__ entry '", m.key(), "' is not a string");
        metadata_[m.key()] = m->get<std::string>();
      }
      continue;
    }
    const auto& v = *it;
    auto bad = [&](const std::string& why) { GENLAB_FAIL("safetensors: '", origin, "' tensor '", it.key(), "': ", why); };
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets")) bad("needs dtype, shape and data_offsets");
    if (!v["dtype"].is_string() || !v["shape"].is_array() || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
      bad("malformed dtype, shape or data_offsets");
    TensorInfo info;
    info.name = it.key();
    std::string dt = v["dtype"].get<std::string>();
    bool found = false;
    for (auto& nm : kNames)
      if (dt == nm.name) { info.dtype = nm.dtype; found = true; }
    if (!found) bad("unsupported dtype '" + dt + "'");
    uint64_t count = 1, nonzero = 1;  // nonzero: a 0 dim must not hide huge others
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) bad("shape entries must be non-negative integers");
      uint64_t x = d.get<uint64_t>();
      if (x > (uint64_t(1) << 40) || (x && nonzero > (uint64_t(1) << 50) / x)) bad("shape is too large");
      count *= x;
      if (x) nonzero *= x;
      info.shape.push_back(int64_t(x));
    }
    for (const auto& o : v["data_offsets"])
      if (!o.is_number_unsigned()) bad("data_offsets must be non-negative integers");
    info.begin = v["data_offsets"][0].get<uint64_t>();
    info.end = v["data_offsets"][1].get<uint64_t>();
    if (info.begin > info.end || info.end > data_size) {
      std::ostringstream os;
      os << "data_offsets [" << info.begin << ", " << info.end << ") fall outside the " << data_size
         << "-byte data section (file offsets " << 8 + n << ".." << size_ << ")";
      bad(os.str());
    }
    if (info.end - info.begin != count * dtype_size(info.dtype)) {
      std::ostringstream os;
      os << "data_offsets span " << info.end - info.begin << " bytes but shape " << shape_str(info.shape) << " of "
         << dt << " needs " << count * dtype_size(info.dtype);
      bad(os.str());
    }
    infos_.push_back(info);
  }
}

bool SafeTensors::contains(const std::string& name) const {
  for (auto& i : infos_)
    if (i.name == name) return true;
  return false;
}

Tensor SafeTensors::get(const std::string& name) const {
  for (auto& info : infos_) {
    if (info.name != name) continue;
    const uint8_t* p = base_ + 8 + header_len_ + info.begin;
    if (reinterpret_cast<uintptr_t>(p) % dtype_size(info.dtype) == 0) {
      auto holder = holder_;
      // const_cast: the mapping is copy-on-write (open) or an owned buffer (from_buffer), so writes are safe
      return Tensor::from_blob(const_cast<uint8_t*>(p), info.shape, info.dtype, [holder] {});
    }
    Tensor t = Tensor::empty(info.shape, info.dtype);
    std::memcpy(t.raw_data(), p, info.end - info.begin);
    return t;
  }
  GENLAB_FAIL("safetensors: no tensor named '", name, "' (", infos_.size(), " tensors present)");
}

std::map<std::string, Tensor> SafeTensors::all() const {
  std::map<std::string, Tensor> out;
  for (auto& i : infos_) out[i.name] = get(i.name);
  return out;
}

namespace {
std::string errno_str() { return std::strerror(errno); }
std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}
// A name no other call (thread or process) uses: pid + a process-wide counter.
std::string unique_tmp(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}
// A writer killed between naming its temporary and the rename (a few
// microseconds) leaves PATH.tmp.<pid>.<n>; the next save to PATH removes the
// ones whose process is gone. A live pid (ours, or a reused one) is left alone.
void remove_temps_of_dead_writers(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = dir_of(path), prefix = path.substr(slash == std::string::npos ? 0 : slash + 1) + ".tmp.";
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename();
    if (name.rfind(prefix, 0) != 0) continue;
    char* end = nullptr;
    const long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
    if (pid <= 0 || *end != '.' || pid == ::getpid()) continue;
    if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH) std::filesystem::remove(e.path(), ec);
  }
}
}  // namespace

// The data goes to an unnamed file (O_TMPFILE) that gets a name only once it is
// complete, so a writer killed mid-save (kill -9) leaves nothing behind, except
// when killed in the microseconds between naming and rename: then the next save
// to the same path removes it. File systems without O_TMPFILE get a named
// temporary, unlinked on every failure.
void write_file_atomic(const std::string& path, const std::string& bytes) {
  remove_temps_of_dead_writers(path);
  const std::string dir = dir_of(path), tmp = unique_tmp(path);
  bool named = false;
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    GENLAB_CHECK(fd >= 0, "cannot write '", tmp, "': ", errno_str());
    named = true;
  }
  auto fail = [&](const std::string& what) {
    const std::string why = errno_str();
    if (fd >= 0) ::close(fd);
    if (named) ::unlink(tmp.c_str());
    GENLAB_FAIL("atomic write of '", path, "': ", what, " failed: ", why);
  };
  for (size_t done = 0; done < bytes.size();) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("write");
    done += size_t(w);
  }
  if (::fsync(fd) != 0) fail("fsync");
  if (!named) {  // give the complete file its temporary name
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, tmp.c_str(), AT_SYMLINK_FOLLOW) != 0) fail("linking '" + tmp + "'");
    named = true;
  }
  // Rename before close: the named temporary lives as short as it can.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("renaming '" + tmp + "' to '" + path + "'");
  named = false;
  const int c = ::close(fd);
  fd = -1;
  if (c != 0) fail("close");
  // The rename itself is durable only once the directory is synced.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  GENLAB_CHECK(dfd >= 0, "atomic write of '", path, "': cannot open directory '", dir, "': ", errno_str());
  const int r = ::fsync(dfd), err = errno;
  ::close(dfd);
  // EINVAL: the file system cannot sync directories (nothing more to do there)
  GENLAB_CHECK(r == 0 || err == EINVAL, "atomic write of '", path, "': fsync of directory '", dir, "' failed: ", std::strerror(err));
}

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> host;
  uint64_t off = 0;
  for (auto& [name, t] : tensors) {
    GENLAB_CHECK(name != "__metadata__", "save_safetensors: '", path,
                 "': a tensor may not be named '__metadata__' (the format reserves it for the metadata map)");
    Tensor h = ops::copy_as(t.detach(), t.dtype(), Device::cpu());
    header[name] = {{"dtype", safetensors_dtype_name(t.dtype())}, {"shape", t.shape()}, {"data_offsets", {off, off + h.nbytes()}}};
    off += h.nbytes();
    host.push_back(h);
  }
  std::string js = header.dump();
  while ((js.size() + 8) % 8) js += ' ';  // keep the data 8-byte aligned
  std::string out(8, '\0');
  uint64_t n = js.size();
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xff);
  out += js;
  out.reserve(out.size() + off);
  for (auto& h : host) out.append(static_cast<const char*>(h.raw_data()), h.nbytes());
  write_file_atomic(path, out);
}

}  // namespace genlab::io
