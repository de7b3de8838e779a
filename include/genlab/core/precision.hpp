// float32 matmul precision, as torch.set_float32_matmul_precision:
//   "highest" (default)  float32 GEMMs compute in full FP32;
//   "high"               cuBLAS may use TF32 tensor cores for float32 GEMMs on CUDA:
//                        inputs rounded to 10 mantissa bits, products accumulated in
//                        FP32 (about 1e-3 relative error; 8x the FP32 speed on an H100);
//   "medium"             accepted, and the same as "high": on CUDA PyTorch also uses
//                        TF32 for both (its bfloat16 "medium" path is a oneDNN CPU one).
// The CPU GEMM (OpenBLAS or Eigen) always computes in FP32, whatever the setting.
// The emulated CUDA device honours "high" by rounding GEMM inputs to TF32.
// The setting is process-wide; another string throws genlab::Error.
#pragma once
#include <string>

namespace genlab {

void set_float32_matmul_precision(const std::string& precision);
std::string get_float32_matmul_precision();

}  // namespace genlab
