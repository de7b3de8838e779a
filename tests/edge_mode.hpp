// `genlab_ops edge`: every op of the table on the inputs where defects live
// (0-d, 0-sized dims, size-1 broadcasting, transposed / strided / expanded
// views, NaN and ±inf, each function's boundary values, every legal and illegal
// dim), against PyTorch. The cases are derived from each op's input specs by
// tests/parity/make_edge_fixtures.py, which stores their inputs, the dim, the
// layout and torch's output and gradients (or the message torch raised) in
// edge.safetensors; this file only replays them, so a new op gets every case by
// being listed in tests/op_table.cpp and make_fixtures.py's CASES.
//
// A case passes when genlab's output and the gradients of sum(out * weights)
// match torch's (NaN where torch has NaN, ±inf exactly, finite values within the
// backend's tolerance), or when both raise — genlab with a genlab::Error (also
// when torch returns for inputs outside its documented contract, C.lenient). Each
// case runs in a forked child, so a crash (a signal, std::terminate) is reported
// as that case's failure and the others still run; --no-fork runs them in-process
// (for debuggers and sanitizers; a crash then ends the run).
//
//   genlab_ops edge [--backend cpu|cuda|cpu-f64,cpu-f32,cuda-f32] [--filter SUBSTRING] [--no-fork] [-v]
#pragma once
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "op_table.hpp"

namespace genlab::testing::edge {

struct Backend {
  std::string name;
  Device device;
  DType dtype;
  double atol, rtol;  // finite values: |genlab - torch| <= atol + rtol |torch|
};

inline std::vector<Backend> all_backends() {
  return {{"cpu-f64", Device::cpu(), DType::f64, 1e-10, 1e-8},
          {"cpu-f32", Device::cpu(), DType::f32, 1e-4, 1e-3},
          {"cuda-f32", Device::cuda(), DType::f32, 1e-4, 1e-3}};
}

struct Fixture {
  io::SafeTensors file;
  std::map<std::string, std::vector<std::string>> cases_of;  // op -> its case names, in file order
  std::set<std::string> with_dim;                            // ops with a case that passes a dim
};

inline Fixture load_fixture(const std::string& path) {
  Fixture f{io::SafeTensors::open(path), {}, {}};
  std::set<std::string> seen;
  for (const auto& t : f.file.tensors()) {
    const std::string c = t.name.substr(0, t.name.rfind('.')), op = c.substr(0, c.find('@'));
    if (seen.insert(c).second) f.cases_of[op].push_back(c);
    if (t.name.size() > 4 && t.name.compare(t.name.size() - 4, 4, ".dim") == 0) f.with_dim.insert(op);
  }
  return f;
}

// An input with the case's layout: 0 contiguous, 1 transposed (dims reversed),
// 2 every second element of a buffer from offset 1 (NaN or -999 between), 3
// expanded along dim 0 from its first slice (stride 0). A copy: the fixture's
// mapping is read-only.
inline Tensor make_input(const Tensor& values, int64_t layout, const Backend& b) {
  const bool fl = is_floating(values.dtype());
  const DType dt = fl ? b.dtype : DType::i64;
  const Shape& s = values.shape();
  const auto v = values.to_vector<double>();
  if (s.empty() || layout == 0) return Tensor::from_vector(v, s, TensorOptions(dt, b.device));
  Shape buf_shape;
  Strides st(s.size());
  int64_t offset = 0;
  std::vector<double> buf;
  if (layout == 1 && s.size() >= 2) {  // buf is the values permuted to reversed dims, read back transposed
    buf_shape.assign(s.rbegin(), s.rend());
    Strides bs = contiguous_strides(buf_shape), cs = contiguous_strides(s);
    buf.resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      int64_t off = 0;
      for (size_t k = 0; k < s.size(); ++k) off += (int64_t(i) / cs[k] % s[k]) * bs[s.size() - 1 - k];
      buf[size_t(off)] = v[i];
    }
    for (size_t k = 0; k < s.size(); ++k) st[k] = bs[s.size() - 1 - k];
  } else if (layout == 3) {  // the first slice along dim 0, expanded
    buf_shape = s;
    buf_shape[0] = 1;
    buf.assign(v.begin(), v.begin() + numel_of(buf_shape));
    st = contiguous_strides(buf_shape);
    st[0] = 0;
  } else {  // strided with an offset
    buf.assign(2 * v.size() + 1, fl ? std::nan("") : -999.0);
    for (size_t i = 0; i < v.size(); ++i) buf[2 * i + 1] = v[i];
    buf_shape = {int64_t(buf.size())};
    st = contiguous_strides(s);
    for (auto& x : st) x *= 2;
    offset = 1;
  }
  Tensor base = Tensor::from_vector(buf, buf_shape, TensorOptions(dt, b.device));
  return base.as_strided(s, st, offset);
}

inline std::string fmt(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

inline std::string describe(const Tensor& t) {
  std::string r = "shape " + shape_str(t.shape());
  auto v = t.to_vector<double>();
  if (!v.empty()) {
    r += " [";
    for (size_t i = 0; i < std::min<size_t>(v.size(), 4); ++i) r += (i ? ", " : "") + fmt(v[i]);
    r += v.size() > 4 ? ", ...]" : "]";
  }
  return r;
}

// Empty when `got` matches torch's `want` (NaN positionally, ±inf exactly), else the first difference.
inline std::string compare(const Tensor& got, const Tensor& want, const Backend& b) {
  if (got.shape() != want.shape()) return "shape " + shape_str(got.shape()) + " vs torch " + shape_str(want.shape());
  auto g = got.to_vector<double>(), w = want.to_vector<double>();
  for (size_t i = 0; i < w.size(); ++i) {
    const bool ok = std::isnan(w[i])   ? std::isnan(g[i])
                    : std::isinf(w[i]) ? g[i] == w[i]
                                       : std::abs(g[i] - w[i]) <= b.atol + b.rtol * std::abs(w[i]);
    if (!ok) return "element " + std::to_string(i) + ": genlab " + fmt(g[i]) + " vs torch " + fmt(w[i]);
  }
  return "";
}

inline std::vector<double> grad_weights(int64_t n) {  // as make_fixtures.py's weights()
  std::vector<double> w(size_t(std::max<int64_t>(n, 0)));
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.5 + 0.37 * double((i * 7919) % 11) / 11.0;
  return w;
}

// Runs one case; empty when it passes, else why not.
inline std::string run_case(const OpCase& c, const Fixture& fx, const std::string& name, const Backend& b) {
  const auto& f = fx.file;
  auto field = [&](const std::string& k) { return name + "." + k; };
  const auto layout = f.get(field("layout")).to_vector<int64_t>();
  if (layout.size() != c.inputs.size())
    return "the fixture has " + std::to_string(layout.size()) + " inputs, the op " + std::to_string(c.inputs.size());
  const bool has_dim = f.contains(field("dim"));
  if (has_dim && !c.dim_fn) return "the fixture passes a dim but the op has no dim_fn";
  std::vector<Tensor> in;
  std::string stage = "building the inputs";
  std::string error;
  Tensor out;
  try {
    for (size_t i = 0; i < layout.size(); ++i) {
      in.push_back(make_input(f.get(field("in" + std::to_string(i))), layout[i], b));
      if (c.differentiable[i] && is_floating(in[i].dtype())) in[i].requires_grad_(true);
    }
    stage = "forward";
    out = has_dim ? c.dim_fn(in, f.get(field("dim")).item<int64_t>()) : c.fn(in);
    stage = "backward";
    if (out.requires_grad())
      ops::sum(out * Tensor::from_vector(grad_weights(out.numel()), out.shape(), TensorOptions(out.dtype(), out.device())))
          .backward();
  } catch (const Error& e) {
    error = std::string(e.what()).substr(0, 240);
  } catch (const std::exception& e) {
    return "wrong exception type in " + stage + ": " + typeid(e).name() + ": " + e.what();
  } catch (...) {
    return "a non-std exception in " + stage;
  }
  if (f.contains(field("raises"))) {
    if (!error.empty()) return "";
    auto m = f.get(field("raises")).to_vector<uint8_t>();
    return "torch raises (" + std::string(m.begin(), m.end()) + "), genlab returned " + describe(out);
  }
  if (!error.empty() && f.contains(field("lenient"))) return "";  // outside torch's documented contract
  if (!error.empty())
    return "genlab raised in " + stage + " (" + error + "), torch returned " + describe(f.get(field("out")));
  if (auto d = compare(out.to(Device::cpu()), f.get(field("out")), b); !d.empty()) return "value: " + d;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!f.contains(field("grad" + std::to_string(i)))) continue;
    Tensor g = in[i].grad();
    if (!g.defined()) g = Tensor::zeros(in[i].shape(), TensorOptions(in[i].dtype()));
    if (auto d = compare(g.to(Device::cpu()), f.get(field("grad" + std::to_string(i))), b); !d.empty())
      return "gradient of input " + std::to_string(i) + ": " + d;
  }
  return "";
}

// Runs a case in a forked child: a crash or a hang is that case's failure.
inline std::string run_isolated(const OpCase& c, const Fixture& fx, const std::string& name, const Backend& b,
                                int timeout_s) {
  int fd[2];
  if (pipe(fd) != 0) return "pipe() failed";
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return "fork() failed";
  if (pid == 0) {
    close(fd[0]);
    std::string r;
    try {
      r = run_case(c, fx, name, b);
    } catch (const std::exception& e) {  // an error while checking (e.g. a malformed fixture)
      r = std::string("harness error: ") + e.what();
    }
    r = "R" + r;  // the R says the child finished
    for (size_t off = 0; off < r.size();) {
      ssize_t n = write(fd[1], r.data() + off, r.size() - off);
      if (n <= 0) break;
      off += size_t(n);
    }
    _exit(0);
  }
  close(fd[1]);
  std::string msg;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  bool timed_out = false;
  for (;;) {
    int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    pollfd p{fd[0], POLLIN, 0};
    if (left <= 0 || poll(&p, 1, left) == 0) { timed_out = true; kill(pid, SIGKILL); break; }
    ssize_t n = read(fd[0], buf, sizeof buf);
    if (n <= 0) break;
    msg.append(buf, size_t(n));
  }
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (timed_out) return "timeout: no result after " + std::to_string(timeout_s) + " s";
  if (WIFSIGNALED(status))
    return std::string("crash: ") + strsignal(WTERMSIG(status)) + " (signal " + std::to_string(WTERMSIG(status)) + ")";
  if (msg.empty() || msg[0] != 'R') return "crash: the case exited with status " + std::to_string(WEXITSTATUS(status));
  return msg.substr(1);
}

inline int main(int argc, char** argv) {
  std::string backend_arg, filter;
  bool fork_each = true, verbose = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--backend" && i + 1 < argc) backend_arg = argv[++i];
    else if (a == "--filter" && i + 1 < argc) filter = argv[++i];
    else if (a == "--no-fork") fork_each = false;
    else if (a == "-v" || a == "--verbose") verbose = true;
    else {
      std::fprintf(stderr, "usage: genlab_ops edge [--backend cpu|cuda|cpu-f64,cpu-f32,cuda-f32] [--filter S] [--no-fork] [-v]\n");
      return 2;
    }
  }
  std::vector<Backend> backends;
  for (const auto& b : all_backends()) {
    const bool wanted = backend_arg.empty() || backend_arg == b.name.substr(0, b.name.find('-')) ||
                        ("," + backend_arg + ",").find("," + b.name + ",") != std::string::npos;
    if (!wanted) continue;
    if (b.device.is_cuda() && !cuda_is_available()) {
      std::printf("# %s: no CUDA device (GENLAB_CUDA_EMULATE=1 runs the emulated one): skipped\n", b.name.c_str());
      continue;
    }
    backends.push_back(b);
  }
  const std::string path = parity_dir() + "/edge.safetensors";
  const Fixture fx = load_fixture(path);
  std::printf("# edge cases from %s\n", path.c_str());
  int failed = 0, passed = 0;
  std::map<std::string, int> failed_by_op;
  auto fail = [&](const std::string& what, const std::string& backend, const std::string& why) {
    std::printf("FAIL  %-40s %-8s %s\n", what.c_str(), backend.c_str(), why.c_str());
    ++failed;
    ++failed_by_op[what.substr(0, what.find('@'))];
  };
  std::set<std::string> ops;
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& c : op_table()) {
    ops.insert(c.name);
    auto it = fx.cases_of.find(c.name);
    if (it == fx.cases_of.end()) {
      if (filter.empty()) fail(c.name, "-", "no edge cases in the fixture: list the op in make_fixtures.py");
      continue;
    }
    if (filter.empty() && bool(c.dim_fn) != bool(fx.with_dim.count(c.name)))
      fail(c.name, "-", c.dim_fn ? "the op has a dim_fn but its CASES function takes no `dim`"
                                 : "its CASES function takes `dim` but the op has no dim_fn");
    for (const auto& name : it->second) {
      if (!filter.empty() && name.find(filter) == std::string::npos) continue;
      for (const auto& b : backends) {
        if (b.device.is_cuda() && !c.cuda) continue;
        std::string why = fork_each ? run_isolated(c, fx, name, b, 60) : run_case(c, fx, name, b);
        if (why.empty()) {
          ++passed;
          if (verbose) std::printf("ok    %-40s %s\n", name.c_str(), b.name.c_str());
        } else {
          fail(name, b.name, why);
        }
      }
    }
  }
  for (const auto& [op, cases] : fx.cases_of)
    if (filter.empty() && !ops.count(op)) fail(op, "-", "fixture cases for an op that is not in tests/op_table.cpp");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string by_op;
  for (const auto& [op, n] : failed_by_op) by_op += " " + op + ":" + std::to_string(n);
  std::printf("%d passed, %d failed in %.1f s%s%s\n", passed, failed, secs, failed ? "; failures by op:" : "",
              by_op.c_str());
  return failed ? 1 : 0;
}

}  // namespace genlab::testing::edge
