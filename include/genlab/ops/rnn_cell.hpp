// The pointwise halves of the recurrent cells, fused (one pass, one kernel,
// its own backward) instead of the five to eight elementwise ops they
// decompose into. The GEMMs around them are the caller's (nn::LSTMCell,
// nn::GRUCell, and the whole-sequence recurrences in ops/rnn.hpp).
//   lstm_cell_pointwise(gates_x [b, 4h], gates_h [b, 4h], c_prev [b, h]) -> (h, c), each [b, h]
//     gates = gates_x + gates_h in PyTorch's order i, f, g, o; c = sigmoid(f) c_prev +
//     sigmoid(i) tanh(g), h = sigmoid(o) tanh(c). Saves the activated gates [b, 4h].
//     h and c are views of one [2, b, h] result.
//   gru_cell_pointwise(gates_x [b, 3h], gates_h [b, 3h], h_prev [b, h]) -> h [b, h]
//     order r, z, n, gates_h = h_prev W_hh^T + b_hh; n = tanh(x_n + r h_n),
//     h = (1 - z) n + z h_prev, as torch.nn.GRUCell. Saves r, z, n [b, 3h].
// CPU: f32 and f64; CUDA: f32.
#pragma once
#include "genlab/ops/index.hpp"

namespace genlab::ops {

namespace detail {
// Shapes of a cell's gate pre-activations [b, k h] and state [b, h]; returns h.
inline int64_t check_cell(const char* op, int64_t k, const Tensor& gx, const Tensor& gh, const Tensor& state,
                          const char* state_name) {
  GENLAB_CHECK(gx.dim() == 2 && gx.shape()[1] % k == 0, op, ": gates_x must be [batch, ", k,
               " * hidden], got ", shape_str(gx.shape()));
  GENLAB_CHECK(gh.shape() == gx.shape(), op, ": gates_h ", shape_str(gh.shape()), " does not match gates_x ",
               shape_str(gx.shape()));
  const int64_t h = gx.shape()[1] / k;
  GENLAB_CHECK(state.dim() == 2 && state.shape()[0] == gx.shape()[0] && state.shape()[1] == h, op, ": ", state_name, " ",
               shape_str(state.shape()), " does not match gates ", shape_str(gx.shape()), " (expects [",
               gx.shape()[0], ", ", h, "])");
  check_same(op, gx, gh);
  check_same(op, gx, state);
  if (gx.device().is_cuda()) check_cuda_f32(op, gx);
  return h;
}

// The kernels on dense tensors of one device, b rows of hidden size hd.
inline void lstm_cell_fwd(const Tensor& gx, const Tensor& gh, const Tensor& c_prev, const Tensor& h, const Tensor& c, const Tensor& act,
                          int64_t b, int64_t hd) {
  if (gx.device().is_cuda()) {
    cuda::lstm_cell(gx.data<float>(), gh.data<float>(), c_prev.data<float>(), h.data<float>(), c.data<float>(),
                    act.data<float>(), b, hd);
    return;
  }
  dispatch_float(gx.dtype(), "lstm_cell", [&]<class T>() {
    cpu::lstm_cell(gx.data<T>(), gh.data<T>(), c_prev.data<T>(), h.data<T>(), c.data<T>(), act.data<T>(), b, hd);
  });
}
inline void lstm_cell_bwd(const Tensor& act, const Tensor& c_prev, const Tensor& c, const Tensor& gh, const Tensor& gc,
                          const Tensor& ggates, const Tensor& gc_prev, int64_t b, int64_t hd) {
  if (act.device().is_cuda()) {
    cuda::lstm_cell_backward(act.data<float>(), c_prev.data<float>(), c.data<float>(), gh.data<float>(), gc.data<float>(),
                             ggates.data<float>(), gc_prev.data<float>(), b, hd);
    return;
  }
  dispatch_float(act.dtype(), "lstm_cell", [&]<class T>() {
    cpu::lstm_cell_backward(act.data<T>(), c_prev.data<T>(), c.data<T>(), gh.data<T>(), gc.data<T>(), ggates.data<T>(),
                            gc_prev.data<T>(), b, hd);
  });
}
inline void gru_cell_fwd(const Tensor& gx, const Tensor& gh, const Tensor& h_prev, const Tensor& h, const Tensor& act, int64_t b,
                         int64_t hd) {
  if (gx.device().is_cuda()) {
    cuda::gru_cell(gx.data<float>(), gh.data<float>(), h_prev.data<float>(), h.data<float>(), act.data<float>(), b, hd);
    return;
  }
  dispatch_float(gx.dtype(), "gru_cell", [&]<class T>() {
    cpu::gru_cell(gx.data<T>(), gh.data<T>(), h_prev.data<T>(), h.data<T>(), act.data<T>(), b, hd);
  });
}
inline void gru_cell_bwd(const Tensor& act, const Tensor& gh, const Tensor& h_prev, const Tensor& gy, const Tensor& ggx,
                         const Tensor& ggh, const Tensor& gh_prev, int64_t b, int64_t hd) {
  if (act.device().is_cuda()) {
    cuda::gru_cell_backward(act.data<float>(), gh.data<float>(), h_prev.data<float>(), gy.data<float>(), ggx.data<float>(),
                            ggh.data<float>(), gh_prev.data<float>(), b, hd);
    return;
  }
  dispatch_float(act.dtype(), "gru_cell", [&]<class T>() {
    cpu::gru_cell_backward(act.data<T>(), gh.data<T>(), h_prev.data<T>(), gy.data<T>(), ggx.data<T>(), ggh.data<T>(),
                           gh_prev.data<T>(), b, hd);
  });
}
}  // namespace detail

inline std::pair<Tensor, Tensor> lstm_cell_pointwise(const Tensor& gates_x, const Tensor& gates_h, const Tensor& c_prev) {
  const int64_t hd = detail::check_cell("lstm_cell_pointwise", 4, gates_x, gates_h, c_prev, "c_prev");
  const int64_t b = gates_x.shape()[0];
  Tensor gx = detail::dense(gates_x), gh = detail::dense(gates_h), cp = detail::dense(c_prev);
  Tensor hc = detail::empty_like(gx, {2, b, hd}), act = detail::empty_like(gx, {b, 4 * hd});
  Tensor h = hc.as_strided({b, hd}, {hd, 1}, 0), c = hc.as_strided({b, hd}, {hd, 1}, b * hd);
  detail::lstm_cell_fwd(gx, gh, cp, h, c, act, b, hd);
  if (autograd::needs_grad({&gates_x, &gates_h, &c_prev})) {
    autograd::record("LstmCellBackward", hc, {gates_x, gates_h, c_prev}, [act, cp, c, b, hd](const Tensor& g) {
      Tensor gd = detail::dense(g), gg = detail::empty_like(g, {b, 4 * hd}), gcp = detail::empty_like(g, {b, hd});
      detail::lstm_cell_bwd(act, cp, c, gd.as_strided({b, hd}, {hd, 1}, gd.storage_offset()),
                            gd.as_strided({b, hd}, {hd, 1}, gd.storage_offset() + b * hd), gg, gcp, b, hd);
      return std::vector{gg, gg, gcp};
    }, autograd::Saves::inputs_and_output, {act});
  }
  return {select(hc, 0, 0), select(hc, 0, 1)};
}

inline Tensor gru_cell_pointwise(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h_prev) {
  const int64_t hd = detail::check_cell("gru_cell_pointwise", 3, gates_x, gates_h, h_prev, "h_prev");
  const int64_t b = gates_x.shape()[0];
  Tensor gx = detail::dense(gates_x), gh = detail::dense(gates_h), hp = detail::dense(h_prev);
  Tensor h = detail::empty_like(gx, {b, hd}), act = detail::empty_like(gx, {b, 3 * hd});
  detail::gru_cell_fwd(gx, gh, hp, h, act, b, hd);
  if (autograd::needs_grad({&gates_x, &gates_h, &h_prev})) {
    autograd::record("GruCellBackward", h, {gates_x, gates_h, h_prev}, [act, gh, hp, b, hd](const Tensor& g) {
      Tensor gd = detail::dense(g), ggx = detail::empty_like(g, {b, 3 * hd}), ggh = detail::empty_like(g, {b, 3 * hd});
      Tensor ghp = detail::empty_like(g, {b, hd});
      detail::gru_cell_bwd(act, gh, hp, gd, ggx, ggh, ghp, b, hd);
      return std::vector{ggx, ggh, ghp};
    }, autograd::Saves::inputs, {act});
  }
  return h;
}

}  // namespace genlab::ops
