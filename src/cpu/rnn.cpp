// The pointwise halves of the LSTM and GRU cells on the CPU (the GEMMs are the
// callers'): gate nonlinearities, state update and their backward, one pass
// over a step's [b, h] elements, vectorised with xsimd over h, rows spread
// over the threads. Gate order is PyTorch's: i, f, g, o (LSTM), r, z, n (GRU).
#include <algorithm>
#include <cmath>
#include <xsimd/xsimd.hpp>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

namespace genlab::cpu {
namespace {
constexpr int64_t kGrain = 1 << 11;  // elements (about 5 exp/tanh each) at which a second thread pays

// The same math for xsimd batches and for the scalar tail of a row.
template <class T> T tanh_(T x) { return std::tanh(x); }
template <class T, class A> xsimd::batch<T, A> tanh_(const xsimd::batch<T, A>& x) { return xsimd::tanh(x); }
template <class T> T exp_(T x) { return std::exp(x); }
template <class T, class A> xsimd::batch<T, A> exp_(const xsimd::batch<T, A>& x) { return xsimd::exp(x); }
template <class V> V sigmoid_(const V& x) { return V(1) / (V(1) + exp_(-x)); }

template <class V, class T> V ld(const T* p) {
  if constexpr (std::is_same_v<V, T>) return *p; else return V::load_unaligned(p);
}
template <class V, class T> void st(T* p, const V& v) {
  if constexpr (std::is_same_v<V, T>) *p = v; else v.store_unaligned(p);
}

// fn.template operator()<V>(row, j) on every element of [rows, h]: batches of
// xsimd's width, then scalars for the rest of each row.
template <class T, class F>
void for_elements(int64_t rows, int64_t h, F&& fn) {
  using B = xsimd::batch<T>;
  constexpr int64_t W = int64_t(B::size);
  parallel_for(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(h, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t j = 0;
      for (; j + W <= h; j += W) fn.template operator()<B>(r, j);
      for (; j < h; ++j) fn.template operator()<T>(r, j);
    }
  });
}
}  // namespace

template <class T>
void lstm_cell(const T* gx, const T* gh, const T* c_prev, T* h, T* c, T* act, int64_t b, int64_t hd) {
  for_elements<T>(b, hd, [=]<class V>(int64_t r, int64_t j) {
    const T *x = gx + r * 4 * hd + j, *y = gh + r * 4 * hd + j;
    T* a = act + r * 4 * hd + j;
    const V i = sigmoid_(ld<V>(x) + ld<V>(y)), f = sigmoid_(ld<V>(x + hd) + ld<V>(y + hd));
    const V g = tanh_(ld<V>(x + 2 * hd) + ld<V>(y + 2 * hd)), o = sigmoid_(ld<V>(x + 3 * hd) + ld<V>(y + 3 * hd));
    const V cn = f * ld<V>(c_prev + r * hd + j) + i * g;
    st(a, i), st(a + hd, f), st(a + 2 * hd, g), st(a + 3 * hd, o);
    st(c + r * hd + j, cn), st(h + r * hd + j, o * tanh_(cn));
  });
}

template <class T>
void lstm_cell_backward(const T* act, const T* c_prev, const T* c, const T* gh, const T* gc, T* ggates, T* gc_prev,
                        int64_t b, int64_t hd) {
  for_elements<T>(b, hd, [=]<class V>(int64_t r, int64_t j) {
    const T* a = act + r * 4 * hd + j;
    T* gg = ggates + r * 4 * hd + j;
    const int64_t e = r * hd + j;
    const V i = ld<V>(a), f = ld<V>(a + hd), g = ld<V>(a + 2 * hd), o = ld<V>(a + 3 * hd);
    const V tc = tanh_(ld<V>(c + e)), dh = ld<V>(gh + e);
    const V dc = ld<V>(gc + e) + dh * o * (V(1) - tc * tc);  // through h = o tanh(c) and directly
    st(gg, dc * g * i * (V(1) - i));
    st(gg + hd, dc * ld<V>(c_prev + e) * f * (V(1) - f));
    st(gg + 2 * hd, dc * i * (V(1) - g * g));
    st(gg + 3 * hd, dh * tc * o * (V(1) - o));
    st(gc_prev + e, dc * f);
  });
}

template <class T>
void gru_cell(const T* gx, const T* gh, const T* h_prev, T* h, T* act, int64_t b, int64_t hd) {
  for_elements<T>(b, hd, [=]<class V>(int64_t row, int64_t j) {
    const T *x = gx + row * 3 * hd + j, *y = gh + row * 3 * hd + j;
    T* a = act + row * 3 * hd + j;
    const V r = sigmoid_(ld<V>(x) + ld<V>(y)), z = sigmoid_(ld<V>(x + hd) + ld<V>(y + hd));
    const V n = tanh_(ld<V>(x + 2 * hd) + r * ld<V>(y + 2 * hd));
    st(a, r), st(a + hd, z), st(a + 2 * hd, n);
    st(h + row * hd + j, n + z * (ld<V>(h_prev + row * hd + j) - n));  // (1 - z) n + z h_prev
  });
}

template <class T>
void gru_cell_backward(const T* act, const T* gh, const T* h_prev, const T* gy, T* ggx, T* ggh, T* gh_prev, int64_t b,
                       int64_t hd) {
  for_elements<T>(b, hd, [=]<class V>(int64_t row, int64_t j) {
    const int64_t g3 = row * 3 * hd + j, e = row * hd + j;
    const V r = ld<V>(act + g3), z = ld<V>(act + g3 + hd), n = ld<V>(act + g3 + 2 * hd), dh = ld<V>(gy + e);
    const V dn = dh * (V(1) - z) * (V(1) - n * n), dz = dh * (ld<V>(h_prev + e) - n) * z * (V(1) - z);
    const V hn = ld<V>(gh + g3 + 2 * hd), dr = dn * hn * r * (V(1) - r);
    st(ggx + g3, dr), st(ggx + g3 + hd, dz), st(ggx + g3 + 2 * hd, dn);
    st(ggh + g3, dr), st(ggh + g3 + hd, dz), st(ggh + g3 + 2 * hd, dn * r);
    st(gh_prev + e, dh * z);
  });
}

#define GENLAB_INSTANTIATE(T)                                                                                   \
  template void lstm_cell<T>(const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t);                       \
  template void lstm_cell_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, int64_t, int64_t); \
  template void gru_cell<T>(const T*, const T*, const T*, T*, T*, int64_t, int64_t);                            \
  template void gru_cell_backward<T>(const T*, const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t);
GENLAB_INSTANTIATE(float)
GENLAB_INSTANTIATE(double)
#undef GENLAB_INSTANTIATE

}  // namespace genlab::cpu
