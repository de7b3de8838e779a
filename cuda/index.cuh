// The indexing CUDA kernels (the CPU side is in genlab/ops/index.hpp):
// rows picked by int64 indices (index_select, embedding, gather) and their
// backward. Written once as kernel structs (see elementwise.cuh and
// docs/adding_an_op.md).
#pragma once
#include <cstdint>

#include "common.cuh"
#include "impl.hpp"

namespace genlab::cuda::kernels {

// Rows picked along the middle dim of src [outer, src_n, inner]:
// out[o][i][j] = src[o][index[k]][j] for out [outer, n, inner], where k = i
// (one index per row: index_select, embedding) or, when per_element, k is the
// output element itself (torch.gather, whose index has out's shape). Indices
// were range-checked on the host.
GENLAB_HD inline int64_t index_rows_source(const int64_t* index, bool per_element, int64_t e, int64_t src_n, int64_t n,
                                           int64_t inner) {
  const int64_t j = e % inner, row = e / inner, o = row / n, i = row % n;
  return (o * src_n + index[per_element ? e : i]) * inner + j;
}
struct IndexRows {
  const float* src;
  const int64_t* index;
  bool per_element;
  float* out;
  int64_t outer, src_n, n, inner;
  static constexpr const char* name = "index_rows";
  Geometry geometry() const { return elements(outer * n * inner); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t e = grid_first(c); e < outer * n * inner; e += grid_step(c))
      out[e] = src[index_rows_source(index, per_element, e, src_n, n, inner)];
  }
};
// The backward: g (out's shape) added into gsrc (zeroed, src's shape);
// atomically, since repeated indices add into the same element.
struct IndexRowsBackward {
  const float* g;
  const int64_t* index;
  bool per_element;
  float* gsrc;
  int64_t outer, src_n, n, inner;
  static constexpr const char* name = "index_rows_backward";
  Geometry geometry() const { return elements(outer * n * inner); }
  template <class Ctx>
  GENLAB_HD void operator()(Ctx& c) const {
    for (int64_t e = grid_first(c); e < outer * n * inner; e += grid_step(c))
      c.atomic_add(gsrc + index_rows_source(index, per_element, e, src_n, n, inner), g[e]);
  }
};

}  // namespace genlab::cuda::kernels

// ---- Entry points (listed in genlab/backend/cuda_kernels.inc).
namespace genlab::cuda::impl {

template <class B>
void index_rows(const float* src, const int64_t* index, bool per_element, float* out, int64_t outer, int64_t src_n,
                int64_t n, int64_t inner) {
  B::launch(kernels::IndexRows{src, index, per_element, out, outer, src_n, n, inner});
}
template <class B>
void index_rows_backward(const float* g, const int64_t* index, bool per_element, float* gsrc, int64_t outer,
                         int64_t src_n, int64_t n, int64_t inner) {
  B::launch(kernels::IndexRowsBackward{g, index, per_element, gsrc, outer, src_n, n, inner});
}

}  // namespace genlab::cuda::impl
