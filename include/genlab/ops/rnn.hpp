// Whole-sequence recurrences of one layer in one direction, each one autograd
// node: the forward loop runs one GEMM (h_prev W_hh^T) and one fused pointwise
// kernel (ops/rnn_cell.hpp) per step; the backward runs the steps in reverse,
// one GEMM per step for the state's gradient, and builds W_hh's gradient
// with ONE GEMM over all steps (instead of T small ones accumulated).
//   gates_x [T, B, k h]: the input projection of every step, computed by the
//     caller in one GEMM (x W_ih^T + b_ih, plus b_hh where it simply adds: LSTM, RNN)
//   w_hh [k h, h]; h0, c0 [B, h]
//   batch_sizes: empty (every row runs every step) or T non-increasing counts,
//     as in a PackedSequence: step t updates rows [0, batch_sizes[t]) only, so
//     rows sorted by decreasing length stop at their own length. Outputs of
//     inactive rows are 0 and their state is carried; with `reverse` the steps
//     run from T - 1 to 0 and a row starts (from h0) at its last valid step.
//   -> [T + 2, B, h] (LSTM: outputs, h_n, c_n) or [T + 1, B, h] (GRU, RNN: outputs, h_n)
// Saves the states entering each step and the activated gates.
// CPU: f32 and f64; CUDA: f32 (the device GEMM and the cell kernels).
#pragma once
#include <optional>

#include "genlab/ops/rnn_cell.hpp"

namespace genlab::ops {

namespace detail {
struct Recurrence {
  int64_t T, B, H;
  std::vector<int64_t> bs;  // rows active at each step
  // Rows [0, n) of step t of a contiguous [T, B, cols] tensor, as a [n, cols] matrix.
  Tensor rows(const Tensor& x, int64_t t, int64_t n, int64_t cols) const {
    return x.as_strided({n, cols}, {cols, 1}, x.storage_offset() + t * B * cols);
  }
  Tensor prefix(const Tensor& x, int64_t n) const { return x.as_strided({n, H}, {H, 1}, x.storage_offset()); }
  int64_t step(int64_t s, bool reverse) const { return reverse ? T - 1 - s : s; }
};
inline Recurrence check_recurrence(const char* op, int64_t k, const Tensor& gx, const Tensor& w, const Tensor& h0,
                                   const Tensor* c0, const std::vector<int64_t>& batch_sizes) {
  GENLAB_CHECK(w.dim() == 2 && w.shape()[0] == k * w.shape()[1], op, ": w_hh must be [", k,
               " * hidden, hidden], got ", shape_str(w.shape()));
  const int64_t H = w.shape()[1];
  GENLAB_CHECK(gx.dim() == 3 && gx.shape()[2] == k * H, op, ": gates_x must be [seq, batch, ", k * H, "] for w_hh ",
               shape_str(w.shape()), ", got ", shape_str(gx.shape()));
  Recurrence r{gx.shape()[0], gx.shape()[1], H, batch_sizes};
  for (const Tensor* s : {&h0, c0}) {
    if (!s) continue;
    GENLAB_CHECK(s->shape() == Shape({r.B, H}), op, ": initial state ", shape_str(s->shape()), " does not match [batch, hidden] = [",
                 r.B, ", ", H, "]");
    check_same(op, gx, *s);
  }
  check_same(op, gx, w);
  if (gx.device().is_cuda()) check_cuda_f32(op, gx);
  if (r.bs.empty()) r.bs.assign(size_t(r.T), r.B);
  GENLAB_CHECK(int64_t(r.bs.size()) == r.T, op, ": ", r.bs.size(), " batch sizes for ", r.T, " steps");
  for (int64_t t = 0; t < r.T; ++t)
    GENLAB_CHECK(r.bs[size_t(t)] >= 0 && r.bs[size_t(t)] <= (t ? r.bs[size_t(t - 1)] : r.B), op, ": batch sizes ",
                 shape_str(r.bs), " must be non-increasing and within the batch of ", r.B);
  return r;
}
inline Tensor zeros_like_dev(const Tensor& x, const Shape& s) { return Tensor::zeros(s, TensorOptions(x.dtype(), x.device())); }
}  // namespace detail

inline Tensor lstm_recurrence(const Tensor& gates_x, const Tensor& w_hh, const Tensor& h0, const Tensor& c0,
                              const std::vector<int64_t>& batch_sizes = {}, bool reverse = false) {
  const auto r = detail::check_recurrence("lstm_recurrence", 4, gates_x, w_hh, h0, &c0, batch_sizes);
  const int64_t T = r.T, B = r.B, H = r.H;
  std::optional<autograd::NoGradGuard> ng(std::in_place);  // the loop's views and copies are no part of the graph
  Tensor gx = detail::dense(gates_x.detach()), w = w_hh.detach(), wt = transpose(w, 0, 1);
  Tensor y = detail::zeros_like_dev(gx, {T + 2, B, H}), hp = detail::zeros_like_dev(gx, {T, B, H});
  Tensor cp = detail::empty_like(gx, {T, B, H}), call = detail::empty_like(gx, {T, B, H});
  Tensor act = detail::empty_like(gx, {T, B, 4 * H}), gh = detail::empty_like(gx, {B, 4 * H});
  Tensor hs = select(y, 0, T), cs = select(y, 0, T + 1);
  hs.copy_(h0.detach()), cs.copy_(c0.detach());
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = r.step(s, reverse), n = r.bs[size_t(t)];
    if (n == 0) continue;
    Tensor hp_t = r.rows(hp, t, n, H), cp_t = r.rows(cp, t, n, H), h_t = r.rows(y, t, n, H), c_t = r.rows(call, t, n, H);
    Tensor gh_t = gh.as_strided({n, 4 * H}, {4 * H, 1}, gh.storage_offset()), act_t = r.rows(act, t, n, 4 * H);
    hp_t.copy_(r.prefix(hs, n)), cp_t.copy_(r.prefix(cs, n));
    detail::gemm_into(hp_t, wt, gh_t);
    detail::lstm_cell_fwd(r.rows(gx, t, n, 4 * H), gh_t, cp_t, h_t, c_t, act_t, n, H);
    Tensor hs_n = r.prefix(hs, n), cs_n = r.prefix(cs, n);
    hs_n.copy_(h_t), cs_n.copy_(c_t);
  }
  ng.reset();
  if (autograd::needs_grad({&gates_x, &w_hh, &h0, &c0})) {
    const bool gw = w_hh.requires_grad();
    autograd::record("LstmRecurrenceBackward", y, {gates_x, w_hh, h0, c0}, [=](const Tensor& g) {
      Tensor gd = detail::dense(g), dg = detail::zeros_like_dev(g, {T, B, 4 * H});
      Tensor dhs = clone(select(gd, 0, T)), dcs = clone(select(gd, 0, T + 1)), dcp = detail::empty_like(g, {B, H});
      for (int64_t s = T - 1; s >= 0; --s) {
        const int64_t t = r.step(s, reverse), n = r.bs[size_t(t)];
        if (n == 0) continue;
        Tensor dh = r.prefix(dhs, n), dc = r.prefix(dcs, n), dg_t = r.rows(dg, t, n, 4 * H), dcp_t = r.prefix(dcp, n);
        add_(dh, r.rows(gd, t, n, H));  // the output's gradient joins the state's
        detail::lstm_cell_bwd(r.rows(act, t, n, 4 * H), r.rows(cp, t, n, H), r.rows(call, t, n, H), dh, dc, dg_t, dcp_t, n, H);
        dc.copy_(dcp_t);
        detail::gemm_into(dg_t, w, dh);  // dh_prev = dgates W_hh
      }
      Tensor dw = gw ? detail::empty_like(g, {4 * H, H}) : Tensor();
      if (gw) detail::gemm_into(transpose(dg.as_strided({T * B, 4 * H}, {4 * H, 1}, 0), 0, 1),
                                hp.as_strided({T * B, H}, {H, 1}, 0), dw);
      return std::vector{dg, dw, dhs, dcs};
    }, autograd::Saves::inputs);
  }
  return y;
}

inline Tensor gru_recurrence(const Tensor& gates_x, const Tensor& w_hh, const Tensor& b_hh, const Tensor& h0,
                             const std::vector<int64_t>& batch_sizes = {}, bool reverse = false) {
  const auto r = detail::check_recurrence("gru_recurrence", 3, gates_x, w_hh, h0, nullptr, batch_sizes);
  const int64_t T = r.T, B = r.B, H = r.H;
  GENLAB_CHECK(!b_hh.defined() || b_hh.shape() == Shape({3 * H}), "gru_recurrence: b_hh must be [", 3 * H, "], got ",
               shape_str(b_hh.shape()));
  if (b_hh.defined()) detail::check_same("gru_recurrence", gates_x, b_hh);
  std::optional<autograd::NoGradGuard> ng(std::in_place);
  Tensor gx = detail::dense(gates_x.detach()), w = w_hh.detach(), wt = transpose(w, 0, 1);
  Tensor bias = b_hh.defined() ? b_hh.detach() : Tensor();
  Tensor y = detail::zeros_like_dev(gx, {T + 1, B, H}), hp = detail::zeros_like_dev(gx, {T, B, H});
  Tensor gh = detail::empty_like(gx, {T, B, 3 * H}), act = detail::empty_like(gx, {T, B, 3 * H});
  Tensor hs = select(y, 0, T);
  hs.copy_(h0.detach());
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = r.step(s, reverse), n = r.bs[size_t(t)];
    if (n == 0) continue;
    Tensor hp_t = r.rows(hp, t, n, H), h_t = r.rows(y, t, n, H), gh_t = r.rows(gh, t, n, 3 * H);
    hp_t.copy_(r.prefix(hs, n));
    detail::gemm_group_into({{hp_t, wt, &gh_t, false, bias}});
    detail::gru_cell_fwd(r.rows(gx, t, n, 3 * H), gh_t, hp_t, h_t, r.rows(act, t, n, 3 * H), n, H);
    Tensor hs_n = r.prefix(hs, n);
    hs_n.copy_(h_t);
  }
  ng.reset();
  if (autograd::needs_grad({&gates_x, &w_hh, &b_hh, &h0})) {
    const bool gw = w_hh.requires_grad(), gb = b_hh.defined() && b_hh.requires_grad();
    autograd::record("GruRecurrenceBackward", y, {gates_x, w_hh, b_hh, h0}, [=](const Tensor& g) {
      Tensor gd = detail::dense(g), dgx = detail::zeros_like_dev(g, {T, B, 3 * H}), dgh = detail::zeros_like_dev(g, {T, B, 3 * H});
      Tensor dhs = clone(select(gd, 0, T));
      for (int64_t s = T - 1; s >= 0; --s) {
        const int64_t t = r.step(s, reverse), n = r.bs[size_t(t)];
        if (n == 0) continue;
        Tensor dh = r.prefix(dhs, n), dgh_t = r.rows(dgh, t, n, 3 * H);
        add_(dh, r.rows(gd, t, n, H));
        Tensor dhp = detail::empty_like(g, {n, H});
        detail::gru_cell_bwd(r.rows(act, t, n, 3 * H), r.rows(gh, t, n, 3 * H), r.rows(hp, t, n, H), dh,
                             r.rows(dgx, t, n, 3 * H), dgh_t, dhp, n, H);
        dh.copy_(dhp);
        detail::gemm_into(dgh_t, w, dh, true);  // dh_prev = z dh + dgates_h W_hh
      }
      Tensor dgh2 = dgh.as_strided({T * B, 3 * H}, {3 * H, 1}, 0), dw = gw ? detail::empty_like(g, {3 * H, H}) : Tensor();
      if (gw) detail::gemm_into(transpose(dgh2, 0, 1), hp.as_strided({T * B, H}, {H, 1}, 0), dw);
      return std::vector{dgx, dw, gb ? sum(dgh2, {0}) : Tensor(), dhs};
    }, autograd::Saves::inputs);
  }
  return y;
}

// h_t = tanh (or relu) of gates_x_t + h_{t-1} W_hh^T; composed from the
// elementwise ops, whose kernels already do this in one pass each.
inline Tensor rnn_recurrence(const Tensor& gates_x, const Tensor& w_hh, const Tensor& h0,
                             const std::vector<int64_t>& batch_sizes = {}, bool reverse = false, bool relu = false) {
  const auto r = detail::check_recurrence("rnn_recurrence", 1, gates_x, w_hh, h0, nullptr, batch_sizes);
  const int64_t T = r.T, B = r.B, H = r.H;
  std::optional<autograd::NoGradGuard> ng(std::in_place);
  Tensor gx = detail::dense(gates_x.detach()), w = w_hh.detach(), wt = transpose(w, 0, 1);
  Tensor y = detail::zeros_like_dev(gx, {T + 1, B, H}), hp = detail::zeros_like_dev(gx, {T, B, H});
  Tensor gh = detail::empty_like(gx, {B, H}), hs = select(y, 0, T);
  hs.copy_(h0.detach());
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = r.step(s, reverse), n = r.bs[size_t(t)];
    if (n == 0) continue;
    Tensor hp_t = r.rows(hp, t, n, H), h_t = r.rows(y, t, n, H), gh_t = r.prefix(gh, n);
    hp_t.copy_(r.prefix(hs, n));
    detail::gemm_into(hp_t, wt, gh_t);
    Tensor pre = add(r.rows(gx, t, n, H), gh_t), hs_n = r.prefix(hs, n);
    h_t.copy_(relu ? ops::relu(pre) : ops::tanh(pre));
    hs_n.copy_(h_t);
  }
  ng.reset();
  if (autograd::needs_grad({&gates_x, &w_hh, &h0})) {
    const bool gw = w_hh.requires_grad();
    Tensor yd = y.detach();  // not y itself: its node would hold it
    autograd::record("RnnRecurrenceBackward", y, {gates_x, w_hh, h0}, [=](const Tensor& g) {
      Tensor gd = detail::dense(g), dg = detail::zeros_like_dev(g, {T, B, H}), dhs = clone(select(gd, 0, T));
      for (int64_t s = T - 1; s >= 0; --s) {
        const int64_t t = r.step(s, reverse), n = r.bs[size_t(t)];
        if (n == 0) continue;
        Tensor dh = r.prefix(dhs, n), dg_t = r.rows(dg, t, n, H), h_t = r.rows(yd, t, n, H);
        add_(dh, r.rows(gd, t, n, H));
        // relu passes the gradient at NaN, as torch's threshold_backward (zero only where h <= 0)
        dg_t.copy_(relu ? where(compare(h_t, 0.0, CompareOp::le), 0.0, dh) : mul(dh, sub(1.0, mul(h_t, h_t))));
        detail::gemm_into(dg_t, w, dh);
      }
      Tensor dw = gw ? detail::empty_like(g, {H, H}) : Tensor();
      if (gw) detail::gemm_into(transpose(dg.as_strided({T * B, H}, {H, 1}, 0), 0, 1), hp.as_strided({T * B, H}, {H, 1}, 0), dw);
      return std::vector{dg, dw, dhs};
    }, autograd::Saves::inputs_and_output);
  }
  return y;
}

}  // namespace genlab::ops
