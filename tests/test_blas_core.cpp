// OpenBLAS kernel choice against the CPU (issue 8.3): the decision with the
// core name and feature set injected, and the feature detection against the
// kernel's own /proc/cpuinfo flags.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "genlab/backend/blas_core.hpp"
#include "genlab/backend/cpu.hpp"

using genlab::cpu::check_blas_core;
using genlab::cpu::CpuFeatures;

namespace {
CpuFeatures avx2_cpu(const char* vendor) {
  CpuFeatures f;
  f.vendor = vendor;
  f.avx = f.fma = f.avx2 = true;
  return f;
}
// The Xeon of the issue (family 6 model 207): AVX-512 with BF16, and AMX.
CpuFeatures xeon_207() {
  CpuFeatures f = avx2_cpu("GenuineIntel");
  f.avx512f = f.avx512dq = f.avx512bw = f.avx512vl = f.avx512_bf16 = true;
  f.amx_tile = f.amx_bf16 = f.amx_int8 = true;
  return f;
}
}  // namespace

TEST(BlasCore, PrescottOnAnAvx512XeonIsAMismatchThatNamesTheFix) {
  auto c = check_blas_core("Prescott", xeon_207());
  EXPECT_TRUE(c.mismatch);
  EXPECT_EQ(c.suggested, "SkylakeX");
  EXPECT_NE(c.message.find("OPENBLAS_CORETYPE=SkylakeX"), std::string::npos) << c.message;
  EXPECT_NE(c.message.find("Prescott"), std::string::npos) << c.message;
  EXPECT_EQ(c.features, "AVX AVX2 FMA AVX-512(F DQ BW VL BF16) AMX(TILE BF16 INT8)");
}

TEST(BlasCore, Avx2KernelsOnAnAvx512CpuAreAMismatchToo) {
  EXPECT_TRUE(check_blas_core("Haswell", xeon_207()).mismatch);
  EXPECT_EQ(check_blas_core("Haswell", xeon_207()).suggested, "SkylakeX");
}

TEST(BlasCore, SuggestionFollowsTheVendorOnAvx2Cpus) {
  EXPECT_EQ(check_blas_core("Prescott", avx2_cpu("GenuineIntel")).suggested, "Haswell");
  EXPECT_EQ(check_blas_core("Nehalem", avx2_cpu("AuthenticAMD")).suggested, "Zen");
  CpuFeatures sandy;
  sandy.vendor = "GenuineIntel";
  sandy.avx = true;
  EXPECT_EQ(check_blas_core("Core2", sandy).suggested, "Sandybridge");
}

TEST(BlasCore, RightKernelsAreNotFlaggedWhateverTheCase) {
  for (const char* name : {"SkylakeX", "skylakex", "Cooperlake", "SAPPHIRERAPIDS"}) {
    auto c = check_blas_core(name, xeon_207());
    EXPECT_FALSE(c.mismatch) << name << ": " << c.message;
    EXPECT_TRUE(c.suggested.empty());
  }
  EXPECT_FALSE(check_blas_core("Zen", avx2_cpu("AuthenticAMD")).mismatch);
  EXPECT_FALSE(check_blas_core("Haswell", avx2_cpu("AuthenticAMD")).mismatch);  // the same kernels
}

TEST(BlasCore, KernelsTheCpuCannotRunAreFlagged) {
  auto c = check_blas_core("SkylakeX", avx2_cpu("AuthenticAMD"));
  EXPECT_TRUE(c.mismatch);
  EXPECT_EQ(c.suggested, "Zen");
  EXPECT_NE(c.message.find("illegal instruction"), std::string::npos) << c.message;
}

TEST(BlasCore, Avx512WithoutBwAndVlGetsAvx2Kernels) {  // Knights Landing: OpenBLAS's SkylakeX kernels need BW/VL
  CpuFeatures knl = avx2_cpu("GenuineIntel");
  knl.avx512f = true;
  EXPECT_FALSE(check_blas_core("Haswell", knl).mismatch);
  EXPECT_EQ(check_blas_core("Prescott", knl).suggested, "Haswell");
}

TEST(BlasCore, UnknownCoresAndOtherBlasAreLeftAlone) {
  EXPECT_FALSE(check_blas_core("neoversen1", xeon_207()).mismatch);
  EXPECT_FALSE(check_blas_core("", xeon_207()).mismatch);
  CpuFeatures arm;  // no vendor: not x86
  EXPECT_FALSE(check_blas_core("Prescott", arm).mismatch);
}

// The kernel lists a flag only when the CPU has it and the OS enabled its state.
TEST(BlasCore, DetectedFeaturesMatchProcCpuinfo) {
  std::ifstream in("/proc/cpuinfo");
  if (!in) GTEST_SKIP() << "no /proc/cpuinfo";
  std::set<std::string> flags;
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) {
      std::istringstream words(line.substr(line.find(':') + 1));
      for (std::string w; words >> w;) flags.insert(w);
      break;
    }
  if (flags.empty() || !flags.count("sse2")) GTEST_SKIP() << "not an x86 /proc/cpuinfo";
  const CpuFeatures f = genlab::cpu::detect_cpu_features();
  EXPECT_EQ(f.avx, flags.count("avx") == 1);
  EXPECT_EQ(f.avx2, flags.count("avx2") == 1);
  EXPECT_EQ(f.fma, flags.count("fma") == 1);
  EXPECT_EQ(f.avx512f, flags.count("avx512f") == 1);
  EXPECT_EQ(f.avx512bw, flags.count("avx512bw") == 1);
  EXPECT_EQ(f.avx512vl, flags.count("avx512vl") == 1);
  EXPECT_EQ(f.avx512dq, flags.count("avx512dq") == 1);
  EXPECT_EQ(f.avx512_bf16, flags.count("avx512_bf16") == 1);
  EXPECT_EQ(f.amx_tile, flags.count("amx_tile") == 1);
  EXPECT_FALSE(f.vendor.empty());
}

TEST(BlasCore, ThisProcessReportsOpenBlasCore) {
  auto c = genlab::cpu::blas_core_check();
  if (std::string(genlab::cpu::blas_name()) == "openblas")
    EXPECT_FALSE(c.corename.empty()) << c.message;
  else
    EXPECT_TRUE(c.corename.empty()) << c.message;
  EXPECT_FALSE(c.message.empty());
}
