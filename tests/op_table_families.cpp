// The op table's rows for the model families (issue 11): convolution, pooling,
// normalisation, transposed convolution, interpolation and recurrences. Kept
// apart from op_table.cpp so neither file is one long compile.
#include <algorithm>

#include "op_table_specs.hpp"

namespace genlab::testing {
namespace {
// Batch sizes of rows with lengths max(1, T - b) for gates_x [T, B, ...] (rnn_reference.py's
// packed_lengths); none for another rank, where the op raises.
std::vector<int64_t> packed_sizes(const Tensor& gx) {
  if (gx.dim() != 3) return {};
  std::vector<int64_t> sizes;
  const int64_t T = gx.shape()[0], B = gx.shape()[1];
  for (int64_t t = 0; t < T; ++t) {
    int64_t n = 0;
    for (int64_t b = 0; b < B; ++b) n += std::max<int64_t>(1, T - b) > t;
    sizes.push_back(n);
  }
  return sizes;
}
}  // namespace

std::vector<OpCase> family_op_cases() {
  using namespace ops;
  return {
      // issue 11: convolution and pooling
      {"conv2d", "conv", {N({2, 3, 6, 5}), N({4, 3, 3, 3}), N({4})}, {1, 1, 1},
       [](V x) { return conv2d(x[0], x[1], x[2]); }, true},
      {"conv2d_stride2_pad", "conv", {N({2, 3, 7, 6}), N({4, 3, 3, 2}), N({4})}, {1, 1, 1},
       [](V x) { return conv2d(x[0], x[1], x[2], 2, {1, 2}); }, true},
      {"conv2d_dilation2", "conv", {N({1, 2, 7, 8}), N({3, 2, 3, 3})}, {1, 1},
       [](V x) { return conv2d(x[0], x[1], {}, {1, 2}, 1, 2); }, true},
      {"conv2d_groups2", "conv", {N({2, 4, 5, 5}), N({6, 2, 3, 3}), N({6})}, {1, 1, 1},
       [](V x) { return conv2d(x[0], x[1], x[2], 1, 1, 1, 2); }, true},
      {"conv2d_depthwise", "conv", {N({2, 3, 5, 6}), N({6, 1, 3, 3}), N({6})}, {1, 1, 1},
       [](V x) { return conv2d(x[0], x[1], x[2], 1, 1, 1, 3); }, true},
      {"conv2d_1x1", "conv", {N({2, 5, 4, 3}), N({3, 5, 1, 1}), N({3})}, {1, 1, 1},
       [](V x) { return conv2d(x[0], x[1], x[2]); }, true},
      {"conv2d_same", "conv", {N({2, 2, 5, 6}), N({3, 2, 2, 4}), N({3})}, {1, 1, 1},
       [](V x) { return conv2d(x[0], x[1], x[2], 1, "same"); }, true},
      {"conv2d_same_dilated", "conv", {N({1, 2, 6, 5}), N({2, 2, 3, 3})}, {1, 1},
       [](V x) { return conv2d(x[0], x[1], {}, 1, "same", 2); }, true},
      {"conv2d_unbatched", "conv", {N({3, 5, 5}), N({2, 3, 3, 3}), N({2})}, {1, 1, 1},
       [](V x) { return conv2d(x[0], x[1], x[2], 1, 1); }, true},
      {"conv2d_5x5_pad2_small", "conv", {N({2, 3, 3, 4}), N({2, 3, 5, 5}), N({2})}, {1, 1, 1},
       [](V x) { return conv2d(x[0], x[1], x[2], 1, 2); }, true},
      {"conv2d_pad_wider_than_input", "conv", {N({1, 2, 4, 1}), N({3, 2, 3, 3})}, {1, 1},
       [](V x) { return conv2d(x[0], x[1], {}, 1, 1); }, true},
      {"conv2d_grouped_dilated_8ch", "conv", {N({2, 16, 6, 5}), N({4, 8, 3, 3}), N({4})}, {1, 1, 1},
       [](V x) { return conv2d(x[0], x[1], x[2], 1, 2, 2, 2); }, true},
      {"conv1d", "conv", {N({2, 3, 9}), N({4, 3, 3}), N({4})}, {1, 1, 1},
       [](V x) { return conv1d(x[0], x[1], x[2], 2, 1); }, true},
      {"conv1d_groups_same", "conv", {N({2, 4, 8}), N({4, 2, 3})}, {1, 1},
       [](V x) { return conv1d(x[0], x[1], {}, 1, "same", 2, 2); }, true},
      {"max_pool2d", "pool", {N({2, 3, 7, 6})}, {1}, [](V x) { return max_pool2d(x[0], 3, 2); }, true},
      {"max_pool2d_pad_ceil", "pool", {N({2, 2, 7, 7})}, {1},
       [](V x) { return max_pool2d(x[0], 3, 2, 1, 1, true); }, true},
      {"max_pool2d_dilation", "pool", {N({1, 2, 8, 7})}, {1},
       [](V x) { return max_pool2d(x[0], {2, 3}, 1, {0, 1}, 2); }, true},
      {"max_pool2d_indices", "pool", {N({2, 3, 6, 6})}, {0},
       [](V x) { return max_pool2d_with_indices(x[0], 2).second.to(x[0].dtype()); }, true},
      {"avg_pool2d", "pool", {N({2, 3, 6, 7})}, {1}, [](V x) { return avg_pool2d(x[0], 2); }, true},
      {"avg_pool2d_pad_ceil", "pool", {N({2, 2, 7, 6})}, {1},
       [](V x) { return avg_pool2d(x[0], 3, 2, 1, true); }, true},
      {"avg_pool2d_exclude_pad", "pool", {N({2, 2, 7, 6})}, {1},
       [](V x) { return avg_pool2d(x[0], {3, 2}, 2, 1, true, false); }, true},
      {"adaptive_avg_pool2d", "pool", {N({2, 3, 7, 5})}, {1}, [](V x) { return adaptive_avg_pool2d(x[0], {3, 2}); }, true},
      {"adaptive_avg_pool2d_up", "pool", {N({3, 4, 3})}, {1}, [](V x) { return adaptive_avg_pool2d(x[0], {5, 4}); }, true},
      // issue 11: normalisation over batch, instance and group statistics
      {"batch_norm_train", "norm", {N({4, 3, 5}), N({3}), N({3})}, {1, 1, 1},
       [](V x) { return batch_norm(x[0], {}, {}, x[1], x[2], true); }, true},
      {"batch_norm_train_2d", "norm", {N({2, 3, 4, 5}), N({3}), N({3})}, {1, 1, 1},
       [](V x) { return batch_norm(x[0], {}, {}, x[1], x[2], true); }, true},
      {"batch_norm_train_1d", "norm", {N({6, 4})}, {1}, [](V x) { return batch_norm(x[0], {}, {}, {}, {}, true); }, true},
      {"batch_norm_eval", "norm", {N({4, 3, 5}), N({3}), P({3}), N({3}), N({3})}, {1, 0, 0, 1, 1},
       [](V x) { return batch_norm(x[0], x[1], x[2], x[3], x[4], false); }, true},
      {"batch_norm_eval_2d", "norm", {N({2, 3, 4, 5}), N({3}), P({3})}, {1, 0, 0},
       [](V x) { return batch_norm(x[0], x[1], x[2]); }, true},
      {"instance_norm", "norm", {N({2, 3, 6}), N({3}), N({3})}, {1, 1, 1},
       [](V x) { return instance_norm(x[0], {}, {}, x[1], x[2]); }, true},
      {"instance_norm_2d", "norm", {N({2, 3, 4, 5})}, {1}, [](V x) { return instance_norm(x[0]); }, true},
      {"group_norm", "norm", {N({2, 6, 5}), N({6}), N({6})}, {1, 1, 1},
       [](V x) { return group_norm(x[0], 3, x[1], x[2]); }, true},
      {"group_norm_2d", "norm", {N({2, 4, 3, 3})}, {1}, [](V x) { return group_norm(x[0], 2); }, true},
      // issue 11: transposed convolution and interpolation
      {"conv_transpose2d", "conv", {N({2, 4, 5, 5}), N({4, 3, 3, 3}), N({3})}, {1, 1, 1},
       [](V x) { return conv_transpose2d(x[0], x[1], x[2]); }, true},
      {"conv_transpose2d_stride2_outpad", "conv", {N({2, 3, 4, 5}), N({3, 2, 3, 4}), N({2})}, {1, 1, 1},
       [](V x) { return conv_transpose2d(x[0], x[1], x[2], {2, 3}, {1, 0}, {1, 2}); }, true},
      {"conv_transpose2d_groups", "conv", {N({2, 4, 5, 4}), N({4, 3, 3, 3}), N({6})}, {1, 1, 1},
       [](V x) { return conv_transpose2d(x[0], x[1], x[2], 2, 1, 0, 2); }, true},
      {"conv_transpose2d_dilation", "conv", {N({1, 2, 5, 6}), N({2, 3, 3, 2})}, {1, 1},
       [](V x) { return conv_transpose2d(x[0], x[1], {}, 1, 1, {1, 0}, 1, {2, 1}); }, true},
      {"conv_transpose2d_unbatched", "conv", {N({3, 4, 4}), N({3, 2, 2, 2}), N({2})}, {1, 1, 1},
       [](V x) { return conv_transpose2d(x[0], x[1], x[2], 2); }, true},
      {"conv_transpose2d_1x1", "conv", {N({2, 5, 4, 3}), N({5, 3, 1, 1}), N({3})}, {1, 1, 1},
       [](V x) { return conv_transpose2d(x[0], x[1], x[2]); }, true},
      {"conv_transpose1d", "conv", {N({2, 3, 7}), N({3, 4, 3}), N({4})}, {1, 1, 1},
       [](V x) { return conv_transpose1d(x[0], x[1], x[2], 2, 1, 1); }, true},
      {"interpolate_nearest_size", "interp", {N({2, 3, 5, 4})}, {1},
       [](V x) { return interpolate(x[0], {.size = {7, 6}}); }, true},
      {"interpolate_nearest_scale", "interp", {N({2, 3, 5, 4})}, {1},
       [](V x) { return interpolate(x[0], {.scale_factor = {1.7}}); }, true},
      {"interpolate_nearest_down", "interp", {N({2, 3, 7, 6})}, {1},
       [](V x) { return interpolate(x[0], {.scale_factor = {0.55, 0.5}}); }, true},
      {"interpolate_nearest_1d", "interp", {N({2, 3, 7})}, {1},
       [](V x) { return interpolate(x[0], {.scale_factor = {2.5}}); }, true},
      {"interpolate_bilinear", "interp", {N({2, 3, 5, 4})}, {1},
       [](V x) { return interpolate(x[0], {.size = {7, 9}, .mode = "bilinear"}); }, true},
      {"interpolate_bilinear_align", "interp", {N({2, 3, 5, 4})}, {1},
       [](V x) { return interpolate(x[0], {.size = {8, 7}, .mode = "bilinear", .align_corners = true}); }, true},
      {"interpolate_bilinear_scale", "interp", {N({2, 3, 4, 5})}, {1},
       [](V x) { return interpolate(x[0], {.scale_factor = {1.7}, .mode = "bilinear"}); }, true},
      {"interpolate_bilinear_x2", "interp", {N({2, 3, 4, 5})}, {1},
       [](V x) { return interpolate(x[0], {.scale_factor = {2}, .mode = "bilinear"}); }, true},
      {"interpolate_bilinear_down", "interp", {N({2, 2, 7, 8})}, {1},
       [](V x) { return interpolate(x[0], {.size = {3, 5}, .mode = "bilinear"}); }, true},
      {"interpolate_bilinear_down_align", "interp", {N({2, 2, 7, 8})}, {1},
       [](V x) { return interpolate(x[0], {.scale_factor = {0.5, 0.6}, .mode = "bilinear", .align_corners = true}); }, true},
      {"interpolate_linear", "interp", {N({2, 3, 7})}, {1},
       [](V x) { return interpolate(x[0], {.size = {10}, .mode = "linear"}); }, true},
      {"interpolate_linear_align_scale", "interp", {N({2, 3, 6})}, {1},
       [](V x) { return interpolate(x[0], {.scale_factor = {1.5}, .mode = "linear", .align_corners = true}); }, true},
      // issue 11: recurrent cells and whole-sequence recurrences; "packed" rows run rows of lengths
      // max(1, T - b) (rnn_reference.py's packed_lengths)
      {"lstm_cell_pointwise", "rnn", {N({4, 12}), N({4, 12}), N({4, 3})}, {1, 1, 1}, [](V x) {
         auto hc = lstm_cell_pointwise(x[0], x[1], x[2]);
         return stack({hc.first, hc.second}, 0);
       }, true},
      {"gru_cell_pointwise", "rnn", {N({4, 9}), N({4, 9}), N({4, 3})}, {1, 1, 1},
       [](V x) { return gru_cell_pointwise(x[0], x[1], x[2]); }, true},
      {"lstm_recurrence", "rnn", {N({3, 4, 8}), N({8, 2}), N({4, 2}), N({4, 2})}, {1, 1, 1, 1},
       [](V x) { return lstm_recurrence(x[0], x[1], x[2], x[3]); }, true},
      {"lstm_recurrence_packed_reverse", "rnn", {N({3, 4, 8}), N({8, 2}), N({4, 2}), N({4, 2})}, {1, 1, 1, 1},
       [](V x) { return lstm_recurrence(x[0], x[1], x[2], x[3], packed_sizes(x[0]), true); }, true},
      {"gru_recurrence", "rnn", {N({3, 4, 6}), N({6, 2}), N({6}), N({4, 2})}, {1, 1, 1, 1},
       [](V x) { return gru_recurrence(x[0], x[1], x[2], x[3]); }, true},
      {"gru_recurrence_packed", "rnn", {N({3, 4, 6}), N({6, 2}), N({6}), N({4, 2})}, {1, 1, 1, 1},
       [](V x) { return gru_recurrence(x[0], x[1], x[2], x[3], packed_sizes(x[0])); }, true},
      {"rnn_recurrence_tanh", "rnn", {N({3, 4, 5}), N({5, 5}), N({4, 5})}, {1, 1, 1},
       [](V x) { return rnn_recurrence(x[0], x[1], x[2]); }, true},
      {"rnn_recurrence_relu_packed_reverse", "rnn", {N({3, 4, 5}), N({5, 5}), N({4, 5})}, {1, 1, 1},
       [](V x) { return rnn_recurrence(x[0], x[1], x[2], packed_sizes(x[0]), true, true); }, true},
  };
}

}  // namespace genlab::testing
