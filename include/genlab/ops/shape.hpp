// Copying rearrangements, composed from index_select, cat, slice and expand
// (so they are differentiable and run on CUDA through those ops' kernels):
//   pad(x, pads, mode, value)   F.pad: constant, reflect, replicate; pads are (before, after) pairs, last dim first
//   flip(x, dims)               torch.flip
//   roll(x, shifts, dims)       torch.roll; without dims, x is rolled flattened
//   repeat(x, repeats)          Tensor.repeat
// Each returns a new tensor (never a view of x). The index_select kernels on
// CUDA are float32: another dtype on CUDA is rearranged on the host.
#pragma once
#include "genlab/ops/index.hpp"

namespace genlab::ops {

namespace detail {
// fn(x) where the CUDA index kernels cannot run it (a CUDA tensor that is not float32): on the host, then back.
template <class F>
Tensor rearrange(const Tensor& x, F fn) {
  if (x.device().is_cuda() && x.dtype() != DType::f32) return to(fn(to(x, Device::cpu())), x.device());
  return fn(x);
}
inline Tensor indices(const std::vector<int64_t>& v) { return Tensor::from_vector(v, {int64_t(v.size())}); }
}  // namespace detail

// Reverses x along each of `dims` (distinct; a 0-d x accepts 0 and -1).
inline Tensor flip(const Tensor& x, const std::vector<int64_t>& dims) {
  std::vector<bool> seen(size_t(std::max<int64_t>(x.dim(), 1)), false);
  for (int64_t dim : dims) {
    const int64_t d = detail::scalar_dim(x, dim, "flip");
    GENLAB_CHECK(!seen[size_t(d)], "flip: dim ", d, " appears more than once in ", shape_str(dims));
    seen[size_t(d)] = true;
  }
  return detail::rearrange(x, [&](const Tensor& in) {
    Tensor out = in;
    for (int64_t d = 0; d < in.dim(); ++d) {
      const int64_t n = in.shape()[size_t(d)];
      if (!seen[size_t(d)] || n <= 1) continue;
      std::vector<int64_t> idx(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) idx[size_t(i)] = n - 1 - i;
      out = index_select(out, d, detail::indices(idx));
    }
    return out.is_same(in) ? clone(in) : out;
  });
}

// Rolls x by shifts[i] along dims[i] (elements leaving one end enter at the
// other; a dim may repeat, its shifts add up). Without dims, one shift rolls x flattened.
inline Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims = {}) {
  GENLAB_CHECK(!shifts.empty(), "roll: expects at least one shift");
  if (dims.empty()) {
    GENLAB_CHECK(shifts.size() == 1, "roll: without dims x is rolled flattened by one shift, got ", shifts.size(),
                 " shifts ", shape_str(shifts));
    return reshape(roll(flatten(x), shifts, {0}), x.shape());
  }
  GENLAB_CHECK(shifts.size() == dims.size(), "roll: shifts ", shape_str(shifts), " and dims ", shape_str(dims),
               " must have the same length");
  Tensor out = x;
  for (size_t k = 0; k < dims.size(); ++k) {
    const int64_t d = detail::real_dim(x, dims[k], "roll"), n = x.shape()[size_t(d)];
    const int64_t s = n == 0 ? 0 : (shifts[k] % n + n) % n;
    if (s != 0) out = cat({slice(out, d, n - s, n), slice(out, d, 0, n - s)}, d);
  }
  return out.is_same(x) ? clone(x) : out;
}

// x tiled repeats[i] times along dim i (Tensor.repeat); more repeats than x
// has dims add leading dims. expand + reshape: one copy.
inline Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats) {
  GENLAB_CHECK(int64_t(repeats.size()) >= x.dim(), "repeat: ", repeats.size(), " repeats ", shape_str(repeats),
               " for a tensor of shape ", shape_str(x.shape()), " (at least one per dim)");
  for (int64_t r : repeats) GENLAB_CHECK(r >= 0, "repeat: negative repeat ", r, " in ", shape_str(repeats));
  Shape padded(repeats.size() - size_t(x.dim()), 1), pairs, tiled, out;
  padded.insert(padded.end(), x.shape().begin(), x.shape().end());
  for (size_t i = 0; i < repeats.size(); ++i) {
    pairs.insert(pairs.end(), {1, padded[i]});
    tiled.insert(tiled.end(), {repeats[i], padded[i]});
    out.push_back(repeats[i] * padded[i]);
  }
  return reshape(contiguous(expand(reshape(x, pairs), tiled)), out);
}

namespace detail {
// Rows of a reflect (or replicate) pad of a dim of size n by (l, r): output j
// reads input j - l, mirrored at the ends without repeating the edge (reflect)
// or clamped to it (replicate), as PyTorch's kernels; negative l, r crop.
inline std::vector<int64_t> pad_rows(int64_t n, int64_t l, int64_t r, bool reflect) {
  std::vector<int64_t> idx;
  for (int64_t j = 0; j < n + l + r; ++j) {
    int64_t i = j - l;
    if (reflect) i = i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i);
    idx.push_back(std::clamp<int64_t>(i, 0, n - 1));
  }
  return idx;
}
}  // namespace detail

// F.pad: pads = (before, after) for the last dim, then for the one before it,
// and so on. "constant" fills with `value`; a negative pad crops (not past the
// dim's size). "reflect" mirrors without repeating the edge (each pad below the
// dim's size) and "replicate" repeats the edge; as PyTorch, these two pad the
// last 1-3 dims of an input with one or two more dims (a batch and a channel
// dim), none of them 0-sized but the first (reflect over 1 or 2 dims: also the
// first of the unbatched form), and give at least one element per padded dim.
// Their gradient sums over the rows each input row was copied to (index_select's backward).
inline Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode = "constant",
                  double value = 0.0) {
  const int64_t np = int64_t(pads.size()) / 2, r = x.dim();
  GENLAB_CHECK(pads.size() % 2 == 0, "pad: pads must come in (before, after) pairs, got ", pads.size(), " values ",
               shape_str(pads));
  GENLAB_CHECK(np <= r, "pad: ", np, " (before, after) pairs ", shape_str(pads), " for a tensor of shape ",
               shape_str(x.shape()), " (at most one per dim)");
  const bool constant = mode == "constant", reflect = mode == "reflect";
  GENLAB_CHECK(constant || reflect || mode == "replicate", "pad: mode '", mode,
               "' is not supported (constant, reflect, replicate)");
  if (!constant) {
    GENLAB_CHECK(value == 0.0, "pad: mode '", mode, "' takes no value (got ", value, ")");
    GENLAB_CHECK(np >= 1 && np <= 3 && (r == np + 1 || r == np + 2), "pad: ", mode, " padding of the last ", np,
                 " dims expects a ", np + 1, "-d or ", np + 2, "-d input, got shape ", shape_str(x.shape()));
    const bool empty_first_ok = r == np + 2 || (reflect && np <= 2);
    for (int64_t d = empty_first_ok ? 1 : 0; d < r; ++d)
      GENLAB_CHECK(x.shape()[size_t(d)] > 0, "pad: ", mode, " padding needs non-empty dims", empty_first_ok ? " after the first" : "",
                   ", got shape ", shape_str(x.shape()));
  }
  for (int64_t k = 0; k < np; ++k) {
    const int64_t d = r - 1 - k, n = x.shape()[size_t(d)], lo = pads[size_t(2 * k)], hi = pads[size_t(2 * k + 1)];
    if (constant) {
      GENLAB_CHECK(n + std::min<int64_t>(lo, 0) + std::min<int64_t>(hi, 0) >= 0, "pad: padding (", lo, ", ", hi,
                   ") crops more than the size ", n, " of dim ", d, " of shape ", shape_str(x.shape()));
      continue;
    }
    GENLAB_CHECK(!reflect || (lo < n && hi < n), "pad: reflect padding (", lo, ", ", hi, ") of dim ", d,
                 " must be smaller than its size ", n, " (shape ", shape_str(x.shape()), ")");
    GENLAB_CHECK(n + lo + hi >= 1, "pad: ", mode, " padding (", lo, ", ", hi, ") of dim ", d, " of shape ",
                 shape_str(x.shape()), " leaves ", n + lo + hi, " elements (at least 1)");
  }
  if (constant) {
    Tensor out = x;
    bool copied = false;
    for (int64_t k = 0; k < np; ++k) {
      const int64_t d = r - 1 - k, lo = pads[size_t(2 * k)], hi = pads[size_t(2 * k + 1)];
      if (lo < 0) out = slice(out, d, -lo, out.shape()[size_t(d)]);
      if (hi < 0) out = slice(out, d, 0, out.shape()[size_t(d)] + hi);
      if (lo <= 0 && hi <= 0) continue;
      auto filled = [&](int64_t size) {
        Shape s = out.shape();
        s[size_t(d)] = size;
        return Tensor::full(s, value, TensorOptions(x.dtype(), x.device()));
      };
      std::vector<Tensor> parts;
      if (lo > 0) parts.push_back(filled(lo));
      parts.push_back(out);
      if (hi > 0) parts.push_back(filled(hi));
      out = cat(parts, d);
      copied = true;
    }
    return copied ? out : clone(out);
  }
  return detail::rearrange(x, [&](const Tensor& in) {
    Tensor out = in;
    for (int64_t k = 0; k < np; ++k) {
      const int64_t d = r - 1 - k;
      out = index_select(out, d, detail::indices(detail::pad_rows(in.shape()[size_t(d)], pads[size_t(2 * k)],
                                                                   pads[size_t(2 * k + 1)], reflect)));
    }
    return out;
  });
}

}  // namespace genlab::ops
