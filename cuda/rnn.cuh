// The recurrent cells' pointwise CUDA kernels (mirroring src/cpu/rnn.cpp; the
// ops are in genlab/ops/rnn.hpp): one thread per (row, hidden unit) reads its
// four (LSTM) or three (GRU) gate pre-activations, so a step's gates, state
// update and saved activations take one launch instead of one per op.
// Written once as kernel structs (see elementwise.cuh and docs/adding_an_op.md).
#pragma once
#include <cmath>
#include <cstdint>

#include "common.cuh"
#include "impl.hpp"

namespace genlab::cuda::kernels {

GENLAB_HD inline float rnn_sigmoid(float x) { return 1.f / (1.f + expf(-x)); }

// gx, gh [b, 4h] (i, f, g, o); c = f c_prev + i g, h = o tanh(c); act keeps the activated gates.
struct LstmCell {
  const float *gx, *gh, *c_prev;
  float *h, *c, *act;
  int64_t b, hd;
  static constexpr const char* name = "lstm_cell";
  Geometry geometry() const { return elements(b * hd); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& cx) const {
    for (int64_t e = grid_first(cx); e < b * hd; e += grid_step(cx)) {
      const int64_t g0 = e / hd * 4 * hd + e % hd;
      const float i = rnn_sigmoid(gx[g0] + gh[g0]), f = rnn_sigmoid(gx[g0 + hd] + gh[g0 + hd]);
      const float g = tanhf(gx[g0 + 2 * hd] + gh[g0 + 2 * hd]), o = rnn_sigmoid(gx[g0 + 3 * hd] + gh[g0 + 3 * hd]);
      const float cn = f * c_prev[e] + i * g;
      act[g0] = i, act[g0 + hd] = f, act[g0 + 2 * hd] = g, act[g0 + 3 * hd] = o;
      c[e] = cn, h[e] = o * tanhf(cn);
    }
  }
};

// ggates [b, 4h] and gc_prev [b, h] from the gradients gh, gc of h and c.
struct LstmCellBackward {
  const float *act, *c_prev, *c, *gh, *gc;
  float *ggates, *gc_prev;
  int64_t b, hd;
  static constexpr const char* name = "lstm_cell_backward";
  Geometry geometry() const { return elements(b * hd); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& cx) const {
    for (int64_t e = grid_first(cx); e < b * hd; e += grid_step(cx)) {
      const int64_t g0 = e / hd * 4 * hd + e % hd;
      const float i = act[g0], f = act[g0 + hd], g = act[g0 + 2 * hd], o = act[g0 + 3 * hd];
      const float tc = tanhf(c[e]), dh = gh[e], dc = gc[e] + dh * o * (1.f - tc * tc);
      ggates[g0] = dc * g * i * (1.f - i);
      ggates[g0 + hd] = dc * c_prev[e] * f * (1.f - f);
      ggates[g0 + 2 * hd] = dc * i * (1.f - g * g);
      ggates[g0 + 3 * hd] = dh * tc * o * (1.f - o);
      gc_prev[e] = dc * f;
    }
  }
};

// gx, gh [b, 3h] (r, z, n; gh includes b_hh); n = tanh(gx_n + r gh_n), h = (1 - z) n + z h_prev.
struct GruCell {
  const float *gx, *gh, *h_prev;
  float *h, *act;
  int64_t b, hd;
  static constexpr const char* name = "gru_cell";
  Geometry geometry() const { return elements(b * hd); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& cx) const {
    for (int64_t e = grid_first(cx); e < b * hd; e += grid_step(cx)) {
      const int64_t g0 = e / hd * 3 * hd + e % hd;
      const float r = rnn_sigmoid(gx[g0] + gh[g0]), z = rnn_sigmoid(gx[g0 + hd] + gh[g0 + hd]);
      const float n = tanhf(gx[g0 + 2 * hd] + r * gh[g0 + 2 * hd]);
      act[g0] = r, act[g0 + hd] = z, act[g0 + 2 * hd] = n;
      h[e] = n + z * (h_prev[e] - n);
    }
  }
};

// ggx, ggh [b, 3h] and gh_prev [b, h] from the gradient gy of h.
struct GruCellBackward {
  const float *act, *gh, *h_prev, *gy;
  float *ggx, *ggh, *gh_prev;
  int64_t b, hd;
  static constexpr const char* name = "gru_cell_backward";
  Geometry geometry() const { return elements(b * hd); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& cx) const {
    for (int64_t e = grid_first(cx); e < b * hd; e += grid_step(cx)) {
      const int64_t g0 = e / hd * 3 * hd + e % hd;
      const float r = act[g0], z = act[g0 + hd], n = act[g0 + 2 * hd], dh = gy[e];
      const float dn = dh * (1.f - z) * (1.f - n * n), dz = dh * (h_prev[e] - n) * z * (1.f - z);
      const float dr = dn * gh[g0 + 2 * hd] * r * (1.f - r);
      ggx[g0] = dr, ggx[g0 + hd] = dz, ggx[g0 + 2 * hd] = dn;
      ggh[g0] = dr, ggh[g0 + hd] = dz, ggh[g0 + 2 * hd] = dn * r;
      gh_prev[e] = dh * z;
    }
  }
};

}  // namespace genlab::cuda::kernels

namespace genlab::cuda::impl {

template <class B>
void lstm_cell(const float* gx, const float* gh, const float* c_prev, float* h, float* c, float* act, int64_t b,
               int64_t hd) {
  B::launch(kernels::LstmCell{gx, gh, c_prev, h, c, act, b, hd});
}
template <class B>
void lstm_cell_backward(const float* act, const float* c_prev, const float* c, const float* gh, const float* gc,
                        float* ggates, float* gc_prev, int64_t b, int64_t hd) {
  B::launch(kernels::LstmCellBackward{act, c_prev, c, gh, gc, ggates, gc_prev, b, hd});
}
template <class B>
void gru_cell(const float* gx, const float* gh, const float* h_prev, float* h, float* act, int64_t b, int64_t hd) {
  B::launch(kernels::GruCell{gx, gh, h_prev, h, act, b, hd});
}
template <class B>
void gru_cell_backward(const float* act, const float* gh, const float* h_prev, const float* gy, float* ggx, float* ggh,
                       float* gh_prev, int64_t b, int64_t hd) {
  B::launch(kernels::GruCellBackward{act, gh, h_prev, gy, ggx, ggh, gh_prev, b, hd});
}

}  // namespace genlab::cuda::impl
