// Reductions: sum, mean, var, std, amax/amin, logsumexp, any/all over dims
// (keepdim), max/min/argmax/argmin over a dim, cumsum, prod, and sum_to (the
// broadcasting backward). Inputs are viewed as [outer, r, inner].
#pragma once
#include <algorithm>
#include <utility>

#include "genlab/ops/elementwise.hpp"

namespace genlab::ops {

namespace detail {
inline std::vector<int64_t> normalize_dims(const std::vector<int64_t>& dims, int64_t ndim, const char* op) {
  std::vector<int64_t> out;
  if (dims.empty()) {  // all dims
    for (int64_t i = 0; i < ndim; ++i) out.push_back(i);
    return out;
  }
  if (ndim == 0) {  // a 0-d tensor reduces over dim 0 or -1 to itself, as PyTorch
    for (auto d : dims) GENLAB_CHECK(d == 0 || d == -1, op, ": dim ", d, " out of range for a 0-d tensor (expected 0 or -1)");
    return out;
  }
  for (auto d : dims) out.push_back(wrap_dim(d, ndim, op));
  std::sort(out.begin(), out.end());
  GENLAB_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), op, ": repeated dim in ", shape_str(dims));
  return out;
}
inline Shape reduced_shape(const Shape& in, const std::vector<int64_t>& dims, bool keepdim) {
  Shape out;
  for (int64_t i = 0; i < int64_t(in.size()); ++i) {
    bool red = std::find(dims.begin(), dims.end(), i) != dims.end();
    if (!red) out.push_back(in[size_t(i)]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}
// x rearranged so the reduced dims form the middle of [outer, r, inner], contiguous.
struct Blocked {
  Tensor data;
  int64_t outer, r, inner;
};
// trailing: the reduced dims are moved last (inner == 1), as the CUDA kernel wants.
inline Blocked block_for(const Tensor& x, const std::vector<int64_t>& dims, bool trailing = false) {
  const Shape& s = x.shape();
  bool adjacent = dims.empty() || dims.back() - dims.front() + 1 == int64_t(dims.size());
  if (trailing && !dims.empty() && dims.back() != x.dim() - 1) adjacent = false;
  if (adjacent) {
    int64_t outer = 1, r = 1, inner = 1;
    for (int64_t i = 0; i < int64_t(s.size()); ++i) {
      if (dims.empty() || i < dims.front()) outer *= s[size_t(i)];
      else if (i <= dims.back()) r *= s[size_t(i)];
      else inner *= s[size_t(i)];
    }
    if (dims.empty()) { r = outer; outer = 1; }
    return {dense(x), outer, r, inner};
  }
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (std::find(dims.begin(), dims.end(), i) == dims.end()) perm.push_back(i);
  int64_t outer = 1, r = 1;
  for (auto p : perm) outer *= s[size_t(p)];
  for (auto d : dims) { perm.push_back(d); r *= s[size_t(d)]; }
  return {contiguous(permute(x.detach(), perm)), outer, r, 1};
}
}  // namespace detail

inline Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false) {
  auto rd = detail::normalize_dims(dims, x.dim(), "sum");
  Shape out_shape = detail::reduced_shape(x.shape(), rd, keepdim);
  Tensor out = detail::empty_like(x, out_shape);
  if (x.device().is_cuda()) {
    detail::check_cuda_f32("sum", x);
    auto b = detail::block_for(x, rd, /*trailing=*/true);
    cuda::sum_rows(b.data.data<float>(), out.data<float>(), b.outer, b.r);
  } else {
    auto b = detail::block_for(x, rd);
    dispatch_float(x.dtype(), "sum", [&]<class T>() { cpu::sum(b.data.data<T>(), out.data<T>(), b.outer, b.r, b.inner); });
  }
  if (autograd::needs_grad(x)) {
    Shape in = x.shape(), keep = detail::reduced_shape(x.shape(), rd, true);
    autograd::record("SumBackward", out, {x}, [in, keep](const Tensor& g) { return std::vector{expand(reshape(g, keep), in)}; },
                     autograd::Saves::nothing);
  }
  return out;
}
inline Tensor sum(const Tensor& x) { return sum(x, {}, false); }

inline Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false) {
  auto rd = detail::normalize_dims(dims, x.dim(), "mean");
  int64_t n = 1;
  for (auto d : rd) n *= x.shape()[size_t(d)];
  return div(sum(x, rd, keepdim), double(n));  // over zero elements 0/0 = NaN, as PyTorch
}
inline Tensor mean(const Tensor& x) { return mean(x, {}, false); }

// Variance with Bessel's correction (correction=1) by default, as torch.var.
inline Tensor var(const Tensor& x, const std::vector<int64_t>& dims, int64_t correction = 1, bool keepdim = false) {
  auto rd = detail::normalize_dims(dims, x.dim(), "var");
  int64_t n = 1;
  for (auto d : rd) n *= x.shape()[size_t(d)];
  Tensor centered = sub(x, mean(x, rd, true));
  return div(sum(mul(centered, centered), rd, keepdim), double(std::max<int64_t>(n - correction, 0)));
}

inline Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  std::vector<int64_t> dims;
  size_t lead = g.shape().size() - shape.size();
  for (size_t i = 0; i < g.shape().size(); ++i)
    if (i < lead || (shape[i - lead] == 1 && g.shape()[i] != 1)) dims.push_back(int64_t(i));
  if (dims.empty()) return reshape(g, shape);
  return reshape(sum(g, dims, true), shape);
}

namespace detail {
// The CPU backward of ops that pick k of the n entries along a dim (max, min,
// sort, topk): gx [outer, n, inner], zeroed, gets g [outer, k, inner] at the
// picked indices. No entry is picked twice in a row, so each is a write.
inline void scatter_picked(const Tensor& idx, const Tensor& gd, Tensor& gx, int64_t outer, int64_t n, int64_t k,
                           int64_t inner, const char* op) {
  const int64_t* pi = idx.data<int64_t>();
  dispatch_float(gd.dtype(), op, [&]<class T>() {
    T* px = gx.data<T>();
    const T* pg = gd.data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t e = o * k * inner; e < (o + 1) * k * inner; ++e) px[(o * n + pi[e]) * inner + e % inner] = pg[e];
  });
}
// Max over one dim with its first index; `name` is the op in errors (min runs
// it on -x, keeping max's rules: the first index among ties, NaN wins).
inline std::pair<Tensor, Tensor> max_impl(const Tensor& x, int64_t dim, bool keepdim, const char* name) {
  int64_t d = detail::scalar_dim(x, dim, name);
  GENLAB_CHECK(x.dim() == 0 || x.shape()[size_t(d)] > 0, name, ": reducing an empty dim of shape ", shape_str(x.shape()));
  const std::vector<int64_t> dims = x.dim() == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{d};
  Shape out_shape = detail::reduced_shape(x.shape(), {d}, keepdim);
  Tensor values = detail::empty_like(x, out_shape), idx = Tensor::empty(out_shape, TensorOptions(DType::i64, x.device()));
  // The CUDA kernel reduces rows, so the dim is moved last there; indices and
  // the backward refer to the input's own layout, [outer, r, inner] around d.
  auto b = detail::block_for(x, dims, /*trailing=*/x.device().is_cuda());
  if (x.device().is_cuda()) {
    detail::check_cuda_f32(name, x);
    cuda::max_rows(b.data.data<float>(), values.data<float>(), idx.data<int64_t>(), b.outer, b.r);
  } else {
    dispatch_float(x.dtype(), name, [&]<class T>() {
      cpu::max(b.data.data<T>(), values.data<T>(), idx.data<int64_t>(), b.outer, b.r, b.inner);
    });
  }
  if (autograd::needs_grad(x)) {
    Shape in = x.shape();
    const int64_t r = x.dim() == 0 ? 1 : x.shape()[size_t(d)];
    const auto around = detail::outer_inner(x.shape(), d);  // named ints: the backward captures them
    const int64_t outer = around.first, inner = around.second;
    autograd::record("MaxBackward", values, {x}, [in, idx, outer, r, inner](const Tensor& g) {  // reads idx only
      Tensor gx = Tensor::zeros(in, TensorOptions(g.dtype(), g.device()));
      Tensor gd = detail::dense(g);
      if (g.device().is_cuda()) {
        cuda::max_backward(gd.data<float>(), idx.data<int64_t>(), gx.data<float>(), outer, r, inner);
        return std::vector{gx};
      }
      scatter_picked(idx, gd, gx, outer, r, 1, inner, "max");
      return std::vector{gx};
    }, autograd::Saves::nothing, {idx});
  }
  return {values, idx};
}
}  // namespace detail

// Max (min) over one dim: (values, int64 indices), as torch.max(x, dim) and
// torch.min(x, dim); the gradient goes to the index.
inline std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false) {
  return detail::max_impl(x, dim, keepdim, "max");
}
inline std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false) {
  auto [values, index] = detail::max_impl(neg(x), dim, keepdim, "min");
  return {neg(values), index};
}
inline Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false) {
  autograd::NoGradGuard ng;
  return max(x, dim, keepdim).second;
}
inline Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false) {
  autograd::NoGradGuard ng;
  return min(x, dim, keepdim).second;
}

namespace detail {
// The largest (or smallest) value over dims, as torch.amax / torch.amin: the
// gradient is split evenly between the elements that tie for it.
inline Tensor extreme(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim, bool largest, const char* name) {
  auto rd = normalize_dims(dims, x.dim(), name);
  for (auto d : rd)
    GENLAB_CHECK(x.shape()[size_t(d)] > 0, name, ": reducing the empty dim ", d, " of shape ", shape_str(x.shape()));
  const Tensor xs = largest ? x.detach() : neg(x.detach());
  auto b = block_for(xs, rd, /*trailing=*/true);  // the reduced dims last: [outer, r]
  Tensor v = max(reshape(b.data, {b.outer, b.r}), 1).first;
  const Shape keep = reduced_shape(x.shape(), rd, true);
  Tensor out = reshape(largest ? v : neg(v), reduced_shape(x.shape(), rd, keepdim));
  if (autograd::needs_grad(x)) {
    Tensor xd = x.detach(), ext = reshape(out.detach(), keep);
    autograd::record(largest ? "AmaxBackward" : "AminBackward", out, {x}, [xd, ext, keep, rd](const Tensor& g) {
      // g * hit / count, as PyTorch: a slice whose extreme is NaN has no hit, and all of it gets 0 / 0
      Tensor hit = where(compare(xd, ext, CompareOp::eq), scalar_like(xd, 1.0), scalar_like(xd, 0.0));
      return std::vector{div(mul(reshape(g, keep), hit), sum(hit, rd, true))};
    });
  }
  return out;
}
}  // namespace detail

inline Tensor amax(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false) {
  return detail::extreme(x, dims, keepdim, true, "amax");
}
inline Tensor amin(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false) {
  return detail::extreme(x, dims, keepdim, false, "amin");
}
inline Tensor amax(const Tensor& x, int64_t dim, bool keepdim = false) { return amax(x, std::vector{dim}, keepdim); }
inline Tensor amin(const Tensor& x, int64_t dim, bool keepdim = false) { return amin(x, std::vector{dim}, keepdim); }

// log(sum(exp(x))) over dims, shifted by the max so that large inputs do not
// overflow (an infinite max shifts by 0, as PyTorch); over no elements, -inf.
// The reduced dims are moved last (a copy unless they already are) and each
// row goes through one fused kernel: the composed five ops cost 1.1-1.4x
// PyTorch's time (make bench, "logsumexp"). The gradient is g exp(x - out).
inline Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false) {
  auto rd = detail::normalize_dims(dims, x.dim(), "logsumexp");
  const Shape keep = detail::reduced_shape(x.shape(), rd, true);
  std::vector<int64_t> order;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!std::binary_search(rd.begin(), rd.end(), d)) order.push_back(d);
  order.insert(order.end(), rd.begin(), rd.end());
  const Tensor rows_x = detail::dense(x.dim() ? permute(x.detach(), order) : x.detach());
  const int64_t rows = numel_of(keep), cols = rows ? x.numel() / rows : 0;
  Tensor out = Tensor::empty(keep, TensorOptions(x.dtype(), x.device()));
  if (x.device().is_cuda()) {
    detail::check_cuda_f32("logsumexp", x);
    cuda::logsumexp_rows(rows_x.data<float>(), out.data<float>(), rows, cols);
  } else {
    dispatch_float(x.dtype(), "logsumexp",
                   [&]<class T>() { cpu::logsumexp_rows(rows_x.data<T>(), out.data<T>(), rows, cols); });
  }
  if (autograd::needs_grad(x)) {
    const Tensor xd = x.detach(), od = out.detach();
    autograd::record("LogsumexpBackward", out, {x}, [xd, od](const Tensor& g) {
      return std::vector{mul(g, exp(sub(xd, od)))};
    });
  }
  return keepdim ? out : reshape(out, detail::reduced_shape(x.shape(), rd, false));
}
inline Tensor logsumexp(const Tensor& x, int64_t dim, bool keepdim = false) {
  return logsumexp(x, std::vector{dim}, keepdim);
}

// Standard deviation, sqrt(var) with var's correction; where it is 0 the
// gradient is 0 (not 0 * inf), as torch.std.
inline Tensor std(const Tensor& x, const std::vector<int64_t>& dims, int64_t correction = 1, bool keepdim = false) {
  Tensor v = var(x, dims, correction, keepdim);
  Tensor y = sqrt(v.detach());
  if (autograd::needs_grad(v)) {
    Tensor yd = y.detach();
    autograd::record("StdBackward", y, {v}, [yd](const Tensor& g) {
      return std::vector{where(compare(yd, 0.0, CompareOp::eq), 0.0, div(g, mul(yd, 2.0)))};
    });
  }
  return y;
}

// Whether any (all) elements over dims are nonzero, as uint8 0/1 (torch.any,
// torch.all); over no elements any is 0 and all is 1. Not differentiable.
namespace detail {
inline Tensor count_where(const Tensor& cond, const std::vector<int64_t>& dims, bool keepdim, const char* name) {
  auto rd = normalize_dims(dims, cond.dim(), name);
  const TensorOptions f32(DType::f32, cond.device());
  return sum(where(cond, Tensor::full({}, 1.0, f32), Tensor::full({}, 0.0, f32)), rd, keepdim);
}
}  // namespace detail
inline Tensor any(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false) {
  autograd::NoGradGuard ng;
  return compare(detail::count_where(compare(x, 0.0, CompareOp::ne), dims, keepdim, "any"), 0.5, CompareOp::gt);
}
inline Tensor all(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false) {
  autograd::NoGradGuard ng;
  return compare(detail::count_where(compare(x, 0.0, CompareOp::eq), dims, keepdim, "all"), 0.5, CompareOp::lt);
}

// Running sums along dim, as torch.cumsum; accumulated in double on either device.
namespace detail {
inline Tensor scan(const Tensor& x, int64_t d, bool reverse) {
  const auto around = outer_inner(x.shape(), d);  // named ints: clang before 16 cannot capture bindings
  const int64_t outer = around.first, r = x.dim() == 0 ? 1 : x.shape()[size_t(d)], inner = around.second;
  Tensor xd = dense(x), y = empty_like(x);
  if (x.device().is_cuda()) {
    check_cuda_f32("cumsum", x);
    cuda::cumsum(xd.data<float>(), y.data<float>(), outer, r, inner, reverse);
  } else {
    dispatch_float(x.dtype(), "cumsum", [&]<class T>() { cpu::cumsum(xd.data<T>(), y.data<T>(), outer, r, inner, reverse); });
  }
  return y;
}
}  // namespace detail
inline Tensor cumsum(const Tensor& x, int64_t dim) {
  const int64_t d = detail::scalar_dim(x, dim, "cumsum");
  Tensor y = detail::scan(x.detach(), d, false);
  if (autograd::needs_grad(x))
    autograd::record("CumsumBackward", y, {x}, [d](const Tensor& g) { return std::vector{detail::scan(g, d, true)}; },
                     autograd::Saves::nothing);
  return y;
}

// Product over one dim or all of them, as torch.prod: prod(x) of a [2, 3] x is
// 0-d, prod(x, 1) is [2]. Accumulated in double on either device; over no
// elements 1. The gradient is zero-safe, as PyTorch's: in a slice without zeros
// g * prod / x; with one zero, that element gets g * (the product of the
// others) and the rest 0; with two or more, 0 everywhere.
namespace detail {
inline Tensor prod_over(const Tensor& x, const std::vector<int64_t>& rd, bool keepdim) {
  Tensor out = empty_like(x, reduced_shape(x.shape(), rd, keepdim));
  if (x.device().is_cuda()) {
    check_cuda_f32("prod", x);
    auto b = block_for(x, rd, /*trailing=*/true);
    cuda::prod_rows(b.data.data<float>(), out.data<float>(), b.outer, b.r);
  } else {
    auto b = block_for(x, rd);
    dispatch_float(x.dtype(), "prod", [&]<class T>() { cpu::prod(b.data.data<T>(), out.data<T>(), b.outer, b.r, b.inner); });
  }
  if (autograd::needs_grad(x)) {
    const Shape keep = reduced_shape(x.shape(), rd, true);
    Tensor xd = x.detach();
    autograd::record("ProdBackward", out, {x}, [xd, keep, rd](const Tensor& g) {
      const Tensor zero = compare(xd, 0.0, CompareOp::eq), one = scalar_like(xd, 1.0);
      const Tensor zeros = sum(where(zero, one, scalar_like(xd, 0.0)), rd, true);  // per slice
      const Tensor others = prod_over(where(zero, one, xd), rd, true);              // of the nonzero elements
      const Tensor at_zero = where(compare(zeros, 1.0, CompareOp::eq), others, 0.0);
      const Tensor elsewhere = where(compare(zeros, 0.0, CompareOp::eq), div(others, xd), 0.0);
      return std::vector{mul(reshape(g, keep), where(zero, at_zero, elsewhere))};
    }, autograd::Saves::inputs);
  }
  return out;
}
}  // namespace detail
inline Tensor prod(const Tensor& x) { return detail::prod_over(x, detail::normalize_dims({}, x.dim(), "prod"), false); }
inline Tensor prod(const Tensor& x, int64_t dim, bool keepdim = false) {
  return detail::prod_over(x, detail::normalize_dims({dim}, x.dim(), "prod"), keepdim);
}

}  // namespace genlab::ops
