// The float32 matmul precision switch (its TF32 values: tests/test_gpu.cpp).
#include <gtest/gtest.h>

#include <genlab/genlab.hpp>

using namespace genlab;

// ---- set_float32_matmul_precision (values: tests/test_gpu.cpp, Gpu.Float32MatmulPrecision).
TEST(Precision, Float32MatmulPrecisionSwitch) {
  EXPECT_EQ(get_float32_matmul_precision(), "highest");  // the default
  for (const char* p : {"high", "medium", "highest"}) {
    set_float32_matmul_precision(p);
    EXPECT_EQ(get_float32_matmul_precision(), p);
  }
  try {
    set_float32_matmul_precision("tf32");
    FAIL() << "no error for \"tf32\"";
  } catch (const Error& e) {
    const std::string m = e.what();
    for (const char* part : {"\"tf32\"", "\"highest\"", "\"high\"", "\"medium\""})
      EXPECT_NE(m.find(part), std::string::npos) << m;
  }
  EXPECT_EQ(get_float32_matmul_precision(), "highest");  // unchanged by the bad call
  // The CPU GEMM stays FP32 at "high": 1 + 2^-11 (a TF32 tie) times 1 is itself.
  set_float32_matmul_precision("high");
  const float v = 1.f + 1.f / 2048;
  EXPECT_EQ(ops::matmul(Tensor::full({1, 1}, v), Tensor::ones({1, 1})).item<float>(), v);
  set_float32_matmul_precision("highest");
}
