// Helpers for tests of the CUDA kernels on the emulated device (shared by
// test_cuda_emulation.cpp and test_cuda_rows.cpp).
#pragma once
#include <genlab/genlab.hpp>
#include <vector>

namespace genlab::testing {

// Runs body with the emulated device switched on, restoring the setting after.
template <class F>
void on_emulated_device(F&& body) {
  const bool was = cuda::emulated();
  cuda::set_emulated(true);
  try {
    body();
  } catch (...) {
    cuda::set_emulated(was);
    throw;
  }
  cuda::set_emulated(was);
}
inline Tensor on_device(const std::vector<float>& v, const Shape& s) {
  return Tensor::from_vector(v, s).to(Device::cuda());
}
inline std::vector<float> host(const Tensor& t) { return t.to(Device::cpu()).to_vector<float>(); }
// u(i) of tests/test_numerics.cpp, float((i * 7919) % 10007) / 10007 - 0.5, scaled and offset
inline std::vector<float> u_row(int64_t n, float scale, float offset) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[size_t(i)] = (float((i * 7919) % 10007) / 10007.f - 0.5f) * scale + offset;
  return v;
}

}  // namespace genlab::testing
