// OpenBLAS's kernel choice against the CPU's own features (see blas_core.hpp).
#include "genlab/backend/blas_core.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define GENLAB_X86 1
#endif

#if !GENLAB_BLAS_EIGEN
extern "C" char* openblas_get_corename(void);
extern "C" char* openblas_get_config(void);
#endif

namespace genlab::cpu {

std::string CpuFeatures::str() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (on) s += s.empty() || s.back() == '(' ? name : std::string(" ") + name;
  };
  add(avx, "AVX");
  add(avx2, "AVX2");
  add(fma, "FMA");
  if (avx512f) {
    s += " AVX-512(";
    add(true, "F");
    add(avx512dq, "DQ");
    add(avx512bw, "BW");
    add(avx512vl, "VL");
    add(avx512_bf16, "BF16");
    s += ")";
  }
  if (amx_tile) {
    s += " AMX(";
    add(true, "TILE");
    add(amx_bf16, "BF16");
    add(amx_int8, "INT8");
    s += ")";
  }
  if (s.empty()) s = "no AVX";
  if (s[0] == ' ') s.erase(0, 1);
  return s;
}

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
#if GENLAB_X86
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return f;
  const unsigned max_leaf = a;
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  f.vendor = vendor;
  __get_cpuid(1, &a, &b, &c, &d);
  const bool osxsave = c & (1u << 27);
  // Instructions count only when the OS saves their registers (XCR0):
  // SSE+AVX state for AVX, opmask+ZMM state for AVX-512, tile state for AMX.
  unsigned long long xcr0 = 0;
  if (osxsave) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
  }
  const bool os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = os_avx && (xcr0 & 0xE0) == 0xE0,
             os_amx = (xcr0 & 0x60000) == 0x60000;
  f.avx = os_avx && (c & (1u << 28));
  f.fma = f.avx && (c & (1u << 12));
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = f.avx && (b & (1u << 5));
    f.avx512f = os_avx512 && (b & (1u << 16));
    f.avx512dq = f.avx512f && (b & (1u << 17));
    f.avx512bw = f.avx512f && (b & (1u << 30));
    f.avx512vl = f.avx512f && (b & (1u << 31));
    f.amx_bf16 = os_amx && (d & (1u << 22));
    f.amx_tile = os_amx && (d & (1u << 24));
    f.amx_int8 = os_amx && (d & (1u << 25));
    const unsigned subleaves = a;
    if (subleaves >= 1) {
      __cpuid_count(7, 1, a, b, c, d);
      f.avx512_bf16 = f.avx512f && (a & (1u << 5));
    }
  }
#endif
  return f;
}

namespace {

// OpenBLAS's x86-64 DYNAMIC_ARCH kernels by the widest vectors they use:
// 0 SSE, 1 AVX, 2 AVX2+FMA, 3 AVX-512. -1: not an x86 core name we know.
int core_level(std::string_view corename) {
  std::string n(corename);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
  for (const char* s : {"skylakex", "cooperlake", "sapphirerapids"})
    if (n == s) return 3;
  for (const char* s : {"haswell", "zen", "excavator"})
    if (n == s) return 2;
  for (const char* s : {"sandybridge", "bulldozer", "piledriver", "steamroller"})
    if (n == s) return 1;
  for (const char* s : {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "athlon", "opteron",
                        "opteron_sse3", "barcelona", "nano", "bobcat", "katmai", "coppermine", "northwood", "banias",
                        "unknown"})
    if (n == s) return 0;
  return -1;
}

// The widest kernels the CPU can run, and the core name that selects them.
// SkylakeX rather than Cooperlake or SapphireRapids: the same sgemm kernels,
// and every DYNAMIC_ARCH build since 0.3.x has them.
int cpu_level(const CpuFeatures& f) {
  if (f.avx512f && f.avx512dq && f.avx512bw && f.avx512vl) return 3;
  if (f.avx2 && f.fma) return 2;
  if (f.avx) return 1;
  return f.vendor.empty() ? -1 : 0;
}
std::string core_for(int level, const CpuFeatures& f) {
  switch (level) {
    case 3: return "SkylakeX";
    case 2: return f.vendor == "AuthenticAMD" ? "Zen" : "Haswell";
    case 1: return "Sandybridge";
    default: return "";
  }
}

bool env_is(const char* name, const char* value) {
  const char* v = std::getenv(name);
  return v && std::strcmp(v, value) == 0;
}

}  // namespace

BlasCoreCheck check_blas_core(std::string_view corename, const CpuFeatures& features) {
  BlasCoreCheck r;
  r.corename = std::string(corename);
  r.features = features.str();
  const int have = core_level(corename), can = cpu_level(features);
  if (corename.empty() || have < 0 || can < 0) {
    r.message = corename.empty() ? "BLAS is not OpenBLAS: nothing to check"
                                 : "OpenBLAS core " + r.corename + " on a CPU with " + r.features + ": not checked";
    return r;
  }
  if (have == can) {
    r.message = "OpenBLAS core " + r.corename + " suits this CPU (" + r.features + ")";
    return r;
  }
  r.mismatch = true;
  r.suggested = core_for(can, features);
  if (have < can)
    r.message = "OpenBLAS chose its " + r.corename + " kernels, but this CPU has " + r.features +
                ": GEMM can run several times slower. Set OPENBLAS_CORETYPE=" + r.suggested +
                " before the program starts (genlab's own programs restart themselves with it)";
  else
    r.message = "OpenBLAS runs its " + r.corename + " kernels, which need instructions this CPU lacks (it has " +
                r.features + "): expect a crash (illegal instruction). Set OPENBLAS_CORETYPE=" +
                (r.suggested.empty() ? std::string("Prescott") : r.suggested) + " or unset it";
  return r;
}

BlasCoreCheck blas_core_check() {
#if GENLAB_BLAS_EIGEN
  return check_blas_core("", detect_cpu_features());
#else
  const char* name = openblas_get_corename();
  // Test hook: pretend OpenBLAS chose another core, as long as the user has
  // not chosen one, so the restart can be tested on a recognised CPU.
  if (const char* fake = std::getenv("GENLAB_FAKE_BLAS_CORENAME"); fake && !std::getenv("OPENBLAS_CORETYPE"))
    name = fake;
  return check_blas_core(name ? name : "", detect_cpu_features());
#endif
}

void restart_with_right_blas_core(char** argv) {
#if !GENLAB_BLAS_EIGEN
  if (const char* from = std::getenv("GENLAB_BLAS_RESTARTED_FROM")) {
    const BlasCoreCheck now = blas_core_check();
    std::fprintf(stderr, "genlab: OpenBLAS had chosen its %s kernels for this CPU (%s); restarted with "
                 "OPENBLAS_CORETYPE=%s: OpenBLAS core is now %s\n",
                 from, now.features.c_str(), std::getenv("OPENBLAS_CORETYPE"), now.corename.c_str());
    unsetenv("GENLAB_BLAS_RESTARTED_FROM");  // children of this program decide for themselves
    return;
  }
  if (env_is("GENLAB_BLAS_RESTART", "0") || std::getenv("OPENBLAS_CORETYPE") || !argv || !argv[0]) return;
  const char* config = openblas_get_config();
  if (!config || !std::strstr(config, "DYNAMIC_ARCH")) return;  // the variable would be ignored
  const BlasCoreCheck c = blas_core_check();
  if (!c.mismatch || c.suggested.empty()) return;
  setenv("OPENBLAS_CORETYPE", c.suggested.c_str(), 1);
  setenv("GENLAB_BLAS_RESTARTED_FROM", c.corename.c_str(), 1);
  std::fflush(nullptr);
  execv("/proc/self/exe", argv);
  // No /proc (or no exec permission): carry on with the slow kernels, and say so.
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv("GENLAB_BLAS_RESTARTED_FROM");
  std::fprintf(stderr, "genlab: could not restart (%s): %s\n", std::strerror(errno), c.message.c_str());
#else
  (void)argv;
#endif
}

void warn_once_about_blas_core() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (env_is("GENLAB_BLAS_CHECK", "0")) return;
    const BlasCoreCheck c = blas_core_check();
    if (c.mismatch) std::fprintf(stderr, "genlab: warning: %s (GENLAB_BLAS_CHECK=0 silences this)\n", c.message.c_str());
  });
}

}  // namespace genlab::cpu
