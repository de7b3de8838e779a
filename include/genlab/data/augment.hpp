// Image augmentation as DataLoader transforms (LoaderOptions::transform), run
// inside the loader's prefetch. Each works on float32 CPU images whose rows hold
// C*H*W values: x of shape [N, C, H, W], or flat [N, H*W] as Fashion-MNIST with
// ImageShape{1, 28, 28}; x keeps its shape. Per-image randomness comes from the
// batch seed the loader passes, so a run is reproducible with or without prefetch.
//
//   using namespace data::augment;
//   LoaderOptions o{.batch_size = 128, .transform = compose({random_crop({1, 28, 28}, 2),
//                                                            horizontal_flip({1, 28, 28}),
//                                                            normalize({1, 28, 28}, {0.286}, {0.353})})};
#pragma once
#include <vector>

#include "genlab/data/data.hpp"

namespace genlab::data::augment {

struct ImageShape {
  int64_t c, h, w;
};

// Zero-pad each image by `padding` on every side, then cut an H x W window at a
// random offset (torchvision's RandomCrop(size, padding)): a shift by up to
// `padding` pixels each way, the uncovered border filled with 0.
Transform random_crop(ImageShape shape, int64_t padding);
// Mirror each image left-right with probability p.
Transform horizontal_flip(ImageShape shape, double p = 0.5);
// (x - mean[c]) / std[c] per channel (one value each, or one per channel).
Transform normalize(ImageShape shape, std::vector<double> mean, std::vector<double> stddev);
// The transforms in order, each with its own seed.
Transform compose(std::vector<Transform> transforms);

}  // namespace genlab::data::augment
