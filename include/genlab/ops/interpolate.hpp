// interpolate(x, {.size or .scale_factor, .mode, .align_corners}), as
// torch.nn.functional.interpolate (nn::Upsample is the module):
//   mode "nearest": input [N, C, L] or [N, C, H, W]; source floor(dst * step), where
//     step = 1 / scale_factor when a scale_factor is given, else in / out;
//   "linear" (3-d input) / "bilinear" (4-d input): align_corners = false blends at the
//     pixel centres (dst + 0.5) * step - 0.5, true maps the corners onto each other
//     ((in - 1) / (out - 1)); align_corners is refused with nearest.
//   Output size: `size` (one number for every spatial dim, or one each), or
//   floor(in * scale_factor); recompute_scale_factor = true then forgets the
//   scale_factor (the step becomes in / out), as PyTorch.
// Saved for backward: nothing (the geometry). CPU: float32 and float64
// (src/cpu/interp.cpp); CUDA: float32 (cuda/interp.cuh). Sources and weights
// follow torch 1.13's CPU kernels (genlab/backend/interp.hpp); where torch's
// nearest backward departs from its own forward (out = in or 2 * in with
// another scale_factor), genlab's gradient follows the forward.
#pragma once
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "genlab/ops/conv.hpp"

namespace genlab::ops {

// Designated initializers name the keywords: {.scale_factor = {2}, .mode = "bilinear"}.
// (Every member has an initializer, so GCC's -Wmissing-field-initializers stays quiet.)
struct InterpolateOptions {
  std::vector<int64_t> size = {};         // the output's spatial size: one number or one per spatial dim
  std::vector<double> scale_factor = {};  // or the scale: one number or one per spatial dim
  std::string mode = "nearest";           // "nearest", "linear" (3-d input) or "bilinear" (4-d input)
  std::optional<bool> align_corners = {};  // (bi)linear only; unset: false
  std::optional<bool> recompute_scale_factor = {};
};

namespace detail {
inline cpu::Interp2dGeom interp_geom(const Tensor& x, const InterpolateOptions& o) {
  const std::string& m = o.mode;
  GENLAB_CHECK(m == "nearest" || m == "linear" || m == "bilinear", "interpolate: mode '", m,
               "' is not supported (genlab has 'nearest', 'linear' and 'bilinear')");
  GENLAB_CHECK(m != "nearest" || !o.align_corners, "interpolate: align_corners can only be set with mode 'linear' or "
               "'bilinear', got mode 'nearest'");
  GENLAB_CHECK(x.dim() == 3 || x.dim() == 4, "interpolate: expected a 3-d [N, C, L] or 4-d [N, C, H, W] input, got ",
               shape_str(x.shape()));
  const int64_t sd = x.dim() - 2;
  GENLAB_CHECK(m != "bilinear" || sd == 2, "interpolate: mode 'bilinear' needs a 4-d input, got ", shape_str(x.shape()));
  GENLAB_CHECK(m != "linear" || sd == 1, "interpolate: mode 'linear' needs a 3-d input, got ", shape_str(x.shape()));
  GENLAB_CHECK(o.size.empty() != o.scale_factor.empty(), "interpolate: give either size or scale_factor, ",
               o.size.empty() ? "got neither" : "got both");
  GENLAB_CHECK(o.size.empty() || !o.recompute_scale_factor.value_or(false),
               "interpolate: recompute_scale_factor is not meaningful with an explicit size");
  const size_t n = std::max(o.size.size(), o.scale_factor.size());
  GENLAB_CHECK(n == 1 || n == size_t(sd), "interpolate: input ", shape_str(x.shape()), " has ", sd, " spatial dim",
               sd == 1 ? "" : "s", ", but ", o.size.empty() ? "scale_factor" : "size", " has ", n, " entries");
  const Shape in(x.shape().begin() + 2, x.shape().end());
  Shape out(size_t(sd), 0);
  std::vector<double> scale(size_t(sd), 0.0);
  for (size_t i = 0; i < size_t(sd); ++i) {
    if (!o.size.empty()) {
      out[i] = o.size[n == 1 ? 0 : i];
      continue;
    }
    const double s = o.scale_factor[n == 1 ? 0 : i], v = std::floor(double(in[i]) * s);
    GENLAB_CHECK(std::isfinite(v) && std::abs(v) < 9.2e18, "interpolate: scale_factor ", s, " gives no output size for ",
                 shape_str(x.shape()));
    out[i] = int64_t(v);
    if (!o.recompute_scale_factor.value_or(false)) scale[i] = s;  // recomputed: the step is in / out
  }
  GENLAB_CHECK(x.shape()[1] > 0, "interpolate: input ", shape_str(x.shape()),
               " has no channels (only the batch may be empty)");
  GENLAB_CHECK(std::all_of(in.begin(), in.end(), [](int64_t d) { return d > 0; }) &&
                   std::all_of(out.begin(), out.end(), [](int64_t d) { return d > 0; }),
               "interpolate: input and output sizes must be positive, got input ", shape_str(x.shape()),
               " and output size ", dims_str(out));
  const bool one_d = sd == 1;
  return {x.shape()[0] * x.shape()[1], one_d ? 1 : in[0], in.back(), one_d ? 1 : out[0], out.back(),
          one_d ? 0.0 : scale[0], scale.back(), m != "nearest", o.align_corners.value_or(false), one_d};
}
}  // namespace detail

inline Tensor interpolate(const Tensor& x, const InterpolateOptions& options) {
  const cpu::Interp2dGeom g = detail::interp_geom(x, options);
  Shape out = x.shape();
  out.back() = g.ow;
  if (!g.one_d) out[2] = g.oh;
  Tensor xd = detail::dense(x.detach()), y = detail::empty_like(x, out);
  if (x.device().is_cuda()) {
    detail::check_cuda_f32("interpolate", x);
    cuda::interpolate2d(g, xd.data<float>(), y.data<float>());
  } else {
    dispatch_float(x.dtype(), "interpolate", [&]<class T>() { cpu::interpolate2d<T>(g, xd.data<T>(), y.data<T>()); });
  }
  if (autograd::needs_grad(x)) {
    const Shape in = x.shape();
    autograd::record(g.bilinear ? "UpsampleLinearBackward" : "UpsampleNearestBackward", y, {x}, [=](const Tensor& grad) {
      Tensor gd = detail::dense(grad);
      if (gd.device().is_cuda()) {
        Tensor gx = Tensor::zeros(in, TensorOptions(gd.dtype(), gd.device()));
        cuda::interpolate2d_backward(g, gd.data<float>(), gx.data<float>());
        return std::vector{gx};
      }
      Tensor gx = detail::empty_like(gd, in);
      dispatch_float(gd.dtype(), "interpolate", [&]<class T>() {
        cpu::interpolate2d_backward<T>(g, gd.data<T>(), gx.data<T>());
      });
      return std::vector{gx};
    }, autograd::Saves::nothing);
  }
  return y;
}

}  // namespace genlab::ops
