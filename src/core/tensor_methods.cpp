// Tensor's differentiable member functions: sugar over the ops in ops/.
#include "genlab/ops/ops.hpp"

namespace genlab {

Tensor Tensor::contiguous() const { return ops::contiguous(*this); }
Tensor Tensor::clone() const { return ops::clone(*this); }
Tensor Tensor::to(DType t) const { return ops::to(*this, t); }
Tensor Tensor::to(Device d) const { return ops::to(*this, d); }
Tensor Tensor::reshape(const Shape& shape) const { return ops::reshape(*this, shape); }
Tensor Tensor::flatten(int64_t start, int64_t end) const { return ops::flatten(*this, start, end); }
Tensor Tensor::permute(const std::vector<int64_t>& dims) const { return ops::permute(*this, dims); }
Tensor Tensor::transpose(int64_t a, int64_t b) const { return ops::transpose(*this, a, b); }
Tensor Tensor::t() const { return ops::t(*this); }
Tensor Tensor::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  return ops::slice(*this, dim, start, end, step);
}
Tensor Tensor::select(int64_t dim, int64_t index) const { return ops::select(*this, dim, index); }
Tensor Tensor::expand(const Shape& shape) const { return ops::expand(*this, shape); }
Tensor Tensor::unsqueeze(int64_t dim) const { return ops::unsqueeze(*this, dim); }
Tensor Tensor::squeeze(int64_t dim) const { return ops::squeeze(*this, dim); }
Tensor Tensor::sum() const { return ops::sum(*this); }
Tensor Tensor::mean() const { return ops::mean(*this); }
Tensor Tensor::matmul(const Tensor& o) const { return ops::matmul(*this, o); }
Tensor Tensor::exp() const { return ops::exp(*this); }
Tensor Tensor::log() const { return ops::log(*this); }
Tensor Tensor::pow(double e) const { return ops::pow(*this, e); }

}  // namespace genlab
