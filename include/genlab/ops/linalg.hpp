// Matrix products through BLAS: mm (2-D), bmm (3-D), matmul (torch.matmul rules:
// 1-D promotion, batch broadcasting) and linear (x @ W^T + b, W as [out, in]).
// Transposed views are passed to GEMM as transpose flags, never copied.
#pragma once
#include "genlab/ops/reduce.hpp"

namespace genlab::ops {

namespace detail {
// A matrix operand for GEMM: (tensor whose data to use, transpose flag, leading dim).
struct GemmOperand {
  Tensor t;
  bool trans;
  int64_t ld;
};
inline GemmOperand gemm_operand(const Tensor& m) {
  const int64_t r = m.shape()[0], c = m.shape()[1], s0 = m.strides()[0], s1 = m.strides()[1];
  if ((s1 == 1 || c == 1) && s0 >= std::max<int64_t>(c, 1)) return {m, false, s0};
  if ((s0 == 1 || r == 1) && s1 >= std::max<int64_t>(r, 1)) return {m, true, s1};
  Tensor d = contiguous(m.detach());
  return {d, false, std::max<int64_t>(c, 1)};
}
// One product: out[m, n] = a[m, k] @ b[k, n] (+ out when accumulate, or +
// bias [n] on every row when given), `out` contiguous.
struct GemmJob {
  Tensor a, b;
  Tensor* out;
  bool accumulate = false;
  Tensor bias = Tensor();
};
// Independent products computed together (cpu::gemm_group shares the threads
// among them); all of one device and dtype.
inline void gemm_group_into(const std::vector<GemmJob>& jobs) {
  if (jobs.empty()) return;
  std::vector<GemmOperand> A, B;  // keep any contiguous copies alive
  for (const auto& j : jobs) {
    A.push_back(gemm_operand(j.a));
    B.push_back(gemm_operand(j.b));
  }
  const Tensor& first = *jobs[0].out;
  if (first.device().is_cuda()) {
    check_cuda_f32("matmul", first);
    for (size_t i = 0; i < jobs.size(); ++i) {
      const int64_t m = jobs[i].a.shape()[0], k = jobs[i].a.shape()[1], n = jobs[i].b.shape()[1];
      if (jobs[i].bias.defined()) jobs[i].out->copy_(jobs[i].bias);  // rows start as the bias
      cuda::gemm(A[i].trans, B[i].trans, m, n, k, 1.f, A[i].t.data<float>(), A[i].ld, B[i].t.data<float>(), B[i].ld,
                 jobs[i].accumulate || jobs[i].bias.defined() ? 1.f : 0.f, jobs[i].out->data<float>(),
                 std::max<int64_t>(n, 1));
    }
    return;
  }
  std::vector<Tensor> biases;  // contiguous, kept alive
  for (const auto& j : jobs) biases.push_back(j.bias.defined() ? dense(j.bias) : Tensor());
  dispatch_float(first.dtype(), "matmul", [&]<class T>() {
    std::vector<cpu::GemmArgs<T>> group;
    for (size_t i = 0; i < jobs.size(); ++i) {
      const int64_t m = jobs[i].a.shape()[0], k = jobs[i].a.shape()[1], n = jobs[i].b.shape()[1];
      group.push_back({A[i].trans, B[i].trans, m, n, k, T(1), A[i].t.data<T>(), std::max<int64_t>(A[i].ld, 1),
                       B[i].t.data<T>(), std::max<int64_t>(B[i].ld, 1), T(jobs[i].accumulate ? 1 : 0),
                       jobs[i].out->data<T>(), std::max<int64_t>(n, 1), biases[i].defined() ? biases[i].data<T>() : nullptr});
    }
    cpu::gemm_group<T>(group);
  });
}
inline void gemm_into(const Tensor& a, const Tensor& b, Tensor& out, bool accumulate = false) {
  gemm_group_into({{a, b, &out, accumulate}});
}
}  // namespace detail

inline Tensor matmul(const Tensor& a, const Tensor& b);

inline Tensor mm(const Tensor& a, const Tensor& b) {
  detail::check_same("mm", a, b);
  GENLAB_CHECK(a.dim() == 2 && b.dim() == 2 && a.shape()[1] == b.shape()[0], "mm: shapes ", shape_str(a.shape()), " and ",
               shape_str(b.shape()), " cannot be multiplied");
  Tensor out = detail::empty_like(a, {a.shape()[0], b.shape()[1]});
  detail::gemm_into(a, b, out);
  if (autograd::needs_grad(a, b)) {
    Tensor ad = a.detach(), bd = b.detach();
    bool ga = a.requires_grad(), gb = b.requires_grad();
    autograd::record("MmBackward", out, {a, b}, [ad, bd, ga, gb](const Tensor& g) {
      Tensor gad = ga ? detail::empty_like(g, ad.shape()) : Tensor(), gbd = gb ? detail::empty_like(g, bd.shape()) : Tensor();
      std::vector<detail::GemmJob> jobs;
      if (ga) jobs.push_back({g, transpose(bd, 0, 1), &gad});
      if (gb) jobs.push_back({transpose(ad, 0, 1), g, &gbd});
      detail::gemm_group_into(jobs);
      return std::vector{gad, gbd};
    }, autograd::Saves::inputs);
  }
  return out;
}

inline Tensor bmm(const Tensor& a, const Tensor& b) {
  detail::check_same("bmm", a, b);
  GENLAB_CHECK(a.dim() == 3 && b.dim() == 3 && a.shape()[0] == b.shape()[0] && a.shape()[2] == b.shape()[1], "bmm: shapes ",
               shape_str(a.shape()), " and ", shape_str(b.shape()), " cannot be batch-multiplied");
  const int64_t B = a.shape()[0], M = a.shape()[1], N = b.shape()[2];
  Tensor out = detail::empty_like(a, {B, M, N});
  Tensor ad = a.detach(), bd = b.detach();
  std::vector<Tensor> outs;
  std::vector<detail::GemmJob> jobs;
  outs.reserve(size_t(B));
  for (int64_t i = 0; i < B; ++i) {
    outs.push_back(out.as_strided({M, N}, {N, 1}, i * M * N));
    jobs.push_back({select(ad, 0, i), select(bd, 0, i), &outs.back()});
  }
  detail::gemm_group_into(jobs);
  if (autograd::needs_grad(a, b)) {
    bool ga = a.requires_grad(), gb = b.requires_grad();
    autograd::record("BmmBackward", out, {a, b}, [ad, bd, ga, gb](const Tensor& g) {
      return std::vector{ga ? bmm(g, transpose(bd, 1, 2)) : Tensor(), gb ? bmm(transpose(ad, 1, 2), g) : Tensor()};
    }, autograd::Saves::inputs);
  }
  return out;
}

inline Tensor matmul(const Tensor& a, const Tensor& b) {
  GENLAB_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: both arguments need at least 1 dim, got ", shape_str(a.shape()),
               " and ", shape_str(b.shape()));
  if (a.dim() == 1 && b.dim() == 1) return reshape(mm(reshape(a, {1, -1}), reshape(b, {-1, 1})), {});
  if (a.dim() == 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.dim() == 1) return squeeze(matmul(a, unsqueeze(b, -1)), -1);
  const int64_t K = a.shape().back();
  GENLAB_CHECK(b.shape()[size_t(b.dim() - 2)] == K, "matmul: shapes ", shape_str(a.shape()), " and ",
               shape_str(b.shape()), " cannot be multiplied (", K, " vs ", b.shape()[size_t(b.dim() - 2)], ")");
  if (a.dim() == 2 && b.dim() == 2) return mm(a, b);
  if (b.dim() == 2) {  // fold a's batch dims into rows (counted: -1 is ambiguous when K = 0)
    Shape out = a.shape();
    out.back() = b.shape()[1];
    return reshape(mm(reshape(a, {numel_of(Shape(a.shape().begin(), a.shape().end() - 1)), K}), b), out);
  }
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(ba, bb, "matmul");
  const int64_t M = a.shape()[size_t(a.dim() - 2)], N = b.shape().back(), nb = numel_of(batch);
  Shape ea = batch, eb = batch, out = batch;
  ea.insert(ea.end(), {M, K});
  eb.insert(eb.end(), {K, N});
  out.insert(out.end(), {M, N});
  return reshape(bmm(reshape(expand(a, ea), {nb, M, K}), reshape(expand(b, eb), {nb, K, N})), out);
}

// y = x @ weight^T + bias; weight is [out_features, in_features] as in torch.nn.Linear.
// Its own op rather than matmul(x, weight.t()): the backward then produces
// grad_weight = g^T @ x directly in weight's [out, in] layout (no transposed copy).
inline Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor()) {
  GENLAB_CHECK(weight.dim() == 2 && x.dim() >= 1 && x.shape().back() == weight.shape()[1], "linear: input ",
               shape_str(x.shape()), " does not match weight ", shape_str(weight.shape()), " (expects [..., ",
               weight.dim() == 2 ? weight.shape()[1] : -1, "])");
  GENLAB_CHECK(!bias.defined() || (bias.dim() == 1 && bias.shape()[0] == weight.shape()[0]), "linear: bias ",
               shape_str(bias.shape()), " does not match weight ", shape_str(weight.shape()));
  detail::check_same("linear (input vs weight)", x, weight);
  if (bias.defined()) detail::check_same("linear (input vs bias)", x, bias);
  const int64_t in = weight.shape()[1], out = weight.shape()[0];
  Shape out_shape = x.shape();
  out_shape.back() = out;
  // rows counted, not inferred with -1: with in (or out) = 0 a -1 would be ambiguous
  const int64_t rows = numel_of(Shape(x.shape().begin(), x.shape().end() - 1));
  Tensor x2 = x.dim() == 2 ? x.detach() : reshape(x.detach(), {rows, in});
  Tensor wd = weight.detach();
  Tensor y = detail::empty_like(x, {x2.shape()[0], out});
  detail::gemm_group_into({{x2, transpose(wd, 0, 1), &y, false, bias.defined() ? bias.detach() : Tensor()}});
  y = x.dim() == 2 ? y : y.as_strided(out_shape, contiguous_strides(out_shape), 0);
  if (autograd::needs_grad({&x, &weight, &bias})) {
    const bool gx = x.requires_grad(), gw = weight.requires_grad(), gb = bias.defined() && bias.requires_grad();
    Shape xs = x.shape();
    autograd::record("LinearBackward", y, {x, weight, bias}, [=](const Tensor& g) {
      Tensor g2 = g.dim() == 2 ? g : reshape(g, {rows, out});
      Tensor gx2 = gx ? detail::empty_like(g2, x2.shape()) : Tensor(), gwd = gw ? detail::empty_like(g2, wd.shape()) : Tensor();
      std::vector<detail::GemmJob> jobs;  // grad_input = g @ W, grad_weight = g^T @ x, side by side
      if (gx) jobs.push_back({g2, wd, &gx2});
      if (gw) jobs.push_back({transpose(g2, 0, 1), x2, &gwd});
      detail::gemm_group_into(jobs);
      return std::vector{gx ? reshape(gx2, xs) : Tensor(), gwd, gb ? sum(g2, {0}) : Tensor()};
    }, autograd::Saves::inputs);
  }
  return y;
}

}  // namespace genlab::ops
