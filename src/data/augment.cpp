#include "genlab/data/augment.hpp"

#include <algorithm>

#include "genlab/core/rng.hpp"
#include "genlab/core/threads.hpp"

namespace genlab::data::augment {

namespace {

// x's rows as images of `shape`: checked, float32 on the CPU, contiguous.
Tensor images_of(const Batch& b, const ImageShape& s, const char* op) {
  GENLAB_CHECK(s.c > 0 && s.h > 0 && s.w > 0, op, ": image shape [", s.c, ", ", s.h, ", ", s.w, "] must be positive");
  const Tensor& x = b.x;
  GENLAB_CHECK(x.device().is_cpu() && x.dtype() == DType::f32, op, ": needs float32 images on the CPU, got ",
               dtype_name(x.dtype()), " on ", x.device().str());
  const int64_t n = x.dim() == 0 ? 0 : x.shape()[0];
  GENLAB_CHECK(x.dim() >= 1 && x.numel() == n * s.c * s.h * s.w, op, ": batch ", shape_str(x.shape()),
               " does not hold images of [", s.c, ", ", s.h, ", ", s.w, "]");
  return x.contiguous();
}

// Uniform draw in [0, 1) for image i, stream k, of a batch seeded with `seed`.
double draw(uint64_t seed, int64_t i, uint32_t k) {
  return Philox::to_unit(Philox::block(seed, uint64_t(i), k)[0]) - 1.0 / 16777216.0;
}

}  // namespace

Transform random_crop(ImageShape s, int64_t padding) {
  GENLAB_CHECK(padding >= 0, "random_crop: padding must be >= 0, got ", padding);
  return [s, padding](Batch b, uint64_t seed) {
    Tensor x = images_of(b, s, "random_crop");
    Tensor out = Tensor::zeros(x.shape(), DType::f32);
    const int64_t n = x.shape()[0], span = 2 * padding + 1, plane = s.h * s.w;
    const float* src = x.data<float>();
    float* dst = out.data<float>();
    parallel_for(n, 16, [&](int64_t b0, int64_t b1) {
      for (int64_t i = b0; i < b1; ++i) {
        // output (y, x) reads input (y + dy, x + dx), dy, dx in [-padding, padding]
        const int64_t dy = std::min<int64_t>(int64_t(draw(seed, i, 0) * double(span)), span - 1) - padding;
        const int64_t dx = std::min<int64_t>(int64_t(draw(seed, i, 1) * double(span)), span - 1) - padding;
        for (int64_t c = 0; c < s.c; ++c)
          for (int64_t y = std::max<int64_t>(0, -dy); y < std::min(s.h, s.h - dy); ++y) {
            const int64_t x0 = std::max<int64_t>(0, -dx), x1 = std::min(s.w, s.w - dx);
            if (x1 > x0)
              std::copy_n(src + (i * s.c + c) * plane + (y + dy) * s.w + x0 + dx, x1 - x0,
                          dst + (i * s.c + c) * plane + y * s.w + x0);
          }
      }
    });
    return Batch{out, b.y};
  };
}

Transform horizontal_flip(ImageShape s, double p) {
  GENLAB_CHECK(p >= 0 && p <= 1, "horizontal_flip: probability must be in [0, 1], got ", p);
  return [s, p](Batch b, uint64_t seed) {
    Tensor x = images_of(b, s, "horizontal_flip");
    Tensor out = x.clone();
    float* d = out.data<float>();
    parallel_for(x.shape()[0], 16, [&](int64_t b0, int64_t b1) {
      for (int64_t i = b0; i < b1; ++i)
        if (draw(seed, i, 2) < p)
          for (int64_t r = i * s.c * s.h; r < (i + 1) * s.c * s.h; ++r) std::reverse(d + r * s.w, d + (r + 1) * s.w);
    });
    return Batch{out, b.y};
  };
}

Transform normalize(ImageShape s, std::vector<double> mean, std::vector<double> stddev) {
  auto per_channel = [&](std::vector<double>& v, const char* what) {
    GENLAB_CHECK(v.size() == 1 || int64_t(v.size()) == s.c, "normalize: ", v.size(), " ", what, " values for ", s.c,
                 " channels (give 1 or ", s.c, ")");
    if (v.size() == 1) v.assign(size_t(s.c), v[0]);
  };
  per_channel(mean, "mean");
  per_channel(stddev, "std");
  for (double v : stddev) GENLAB_CHECK(v > 0, "normalize: std must be positive, got ", v);
  return [s, mean, stddev](Batch b, uint64_t) {
    Tensor x = images_of(b, s, "normalize");
    Tensor out = Tensor::empty(x.shape(), DType::f32);
    const float* src = x.data<float>();
    float* dst = out.data<float>();
    const int64_t plane = s.h * s.w, rows = x.shape()[0] * s.c;
    parallel_for(rows, 16, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const auto c = size_t(r % s.c);
        const float m = float(mean[c]), inv = float(1.0 / stddev[c]);
        for (int64_t k = 0; k < plane; ++k) dst[r * plane + k] = (src[r * plane + k] - m) * inv;
      }
    });
    return Batch{out, b.y};
  };
}

Transform compose(std::vector<Transform> ts) {
  return [ts = std::move(ts)](Batch b, uint64_t seed) {
    for (size_t k = 0; k < ts.size(); ++k) {
      const auto r = Philox::block(seed, k, 0x636f6d70);
      b = ts[k](std::move(b), uint64_t(r[0]) << 32 | r[1]);
    }
    return b;
  };
}

}  // namespace genlab::data::augment
