#include "op_table.hpp"
#include "op_table_specs.hpp"
#include <algorithm>

namespace genlab::testing {
namespace {
Tensor zero_like(const Tensor& x) { return Tensor::zeros({}, TensorOptions(x.dtype(), x.device())); }
// An op that takes a dim: `fn` runs it at `dflt`, `dim_fn` at any dim (the edge mode tries them all).
OpCase D(std::string name, std::string group, std::vector<InputSpec> in, std::vector<bool> diff, int64_t dflt,
         std::function<Tensor(V, int64_t)> f) {
  OpCase c{std::move(name), std::move(group), std::move(in), std::move(diff), [f, dflt](V x) { return f(x, dflt); }, true};
  c.dim_fn = std::move(f);
  return c;
}
// Python's shape[dim:] (make_fixtures.py's layer_norm_trailing): out-of-range dims clip, never raise.
Shape trailing(const Shape& s, int64_t dim) {
  const int64_t r = int64_t(s.size()), b = dim < 0 ? std::max<int64_t>(0, dim + r) : std::min(dim, r);
  return Shape(s.begin() + b, s.end());
}
Tensor with_ignored(const Tensor& t, int64_t pos) {
  auto v = t.to_vector<int64_t>();
  GENLAB_CHECK(pos < int64_t(v.size()), "with_ignored: no target at position ", pos, " of ", shape_str(t.shape()));
  v[size_t(pos)] = -100;
  return Tensor::from_vector(v, t.shape());
}
}  // namespace

const std::vector<OpCase>& op_table() {
  using namespace ops;
  static const std::vector<OpCase> table = [] {
    std::vector<OpCase> t = {
      {"add_bcast", "elementwise", {N({4, 5}), N({5})}, {1, 1}, [](V x) { return x[0] + x[1]; }, true},
      {"sub_bcast", "elementwise", {N({3, 1, 4}), N({2, 4})}, {1, 1}, [](V x) { return x[0] - x[1]; }, true},
      {"mul_bcast", "elementwise", {N({4, 5}), N({4, 1})}, {1, 1}, [](V x) { return x[0] * x[1]; }, true},
      {"div", "elementwise", {N({4, 5}), P({4, 5})}, {1, 1}, [](V x) { return x[0] / x[1]; }, true},
      {"pow_tensor", "elementwise", {P({3, 4}), N({3, 4})}, {1, 1}, [](V x) { return pow(x[0], x[1]); }, true},
      {"pow_scalar", "elementwise", {P({3, 4})}, {1}, [](V x) { return pow(x[0], 2.5); }, true},
      {"scalar_ops", "elementwise", {N({3, 4})}, {1}, [](V x) { return (x[0] * -0.7 + 1.5) / 2.0 - 0.25; }, true},
      {"neg", "unary", {N({3, 7})}, {1}, [](V x) { return neg(x[0]); }, true},
      {"exp", "unary", {N({3, 7})}, {1}, [](V x) { return exp(x[0]); }, true},
      {"log", "unary", {P({3, 7})}, {1}, [](V x) { return log(x[0]); }, true},
      {"sqrt", "unary", {P({3, 7})}, {1}, [](V x) { return sqrt(x[0]); }, true},
      {"tanh", "unary", {N({3, 7})}, {1}, [](V x) { return tanh(x[0]); }, true},
      {"sigmoid", "unary", {N({3, 7})}, {1}, [](V x) { return sigmoid(x[0]); }, true},
      {"relu", "unary", {N({3, 7})}, {1}, [](V x) { return relu(x[0]); }, true},
      {"gelu", "unary", {N({3, 7})}, {1}, [](V x) { return gelu(x[0]); }, true},
      {"gelu_tanh", "unary", {N({3, 7})}, {1}, [](V x) { return gelu(x[0], "tanh"); }, true},
      {"silu", "unary", {N({3, 7})}, {1}, [](V x) { return silu(x[0]); }, true},
      {"softplus", "unary", {N({3, 7})}, {1}, [](V x) { return softplus(x[0]); }, true},
      {"abs", "unary", {N({3, 7})}, {1}, [](V x) { return abs(x[0]); }, true},
      {"clamp", "unary", {N({4, 6})}, {1}, [](V x) { return clamp(x[0], -0.5, 0.7); }, true},
      {"where", "elementwise", {N({4, 5}), N({4, 5})}, {1, 1},
       [](V x) { return where(compare(x[0], zero_like(x[0]), CompareOp::gt), x[0], x[1]); }, true},
      {"sum_all", "reduce", {N({3, 4, 5})}, {1}, [](V x) { return sum(x[0]); }, true},
      D("sum_dim_keepdim", "reduce", {N({3, 4, 5})}, {1}, 1, [](V x, int64_t d) { return sum(x[0], {d}, true); }),
      {"sum_dims_02", "reduce", {N({3, 4, 5})}, {1}, [](V x) { return sum(x[0], {0, 2}); }, true},
      D("mean_last", "reduce", {N({3, 4, 5})}, {1}, -1, [](V x, int64_t d) { return mean(x[0], {d}); }),
      D("mean_dim_keepdim", "reduce", {N({3, 4, 5})}, {1}, 1, [](V x, int64_t d) { return mean(x[0], {d}, true); }),
      D("var_dim", "reduce", {N({4, 6})}, {1}, 1, [](V x, int64_t d) { return var(x[0], {d}); }),
      D("max_dim", "reduce", {N({4, 6})}, {1}, 1, [](V x, int64_t d) { return max(x[0], d).first; }),
      D("argmax", "reduce", {N({4, 6})}, {0}, 1, [](V x, int64_t d) { return argmax(x[0], d).to(x[0].dtype()); }),
      D("min_dim", "reduce", {N({4, 6})}, {1}, 1, [](V x, int64_t d) { return min(x[0], d).first; }),
      D("argmin", "reduce", {N({4, 6})}, {0}, 1, [](V x, int64_t d) { return argmin(x[0], d).to(x[0].dtype()); }),
      D("amax_dim", "reduce", {N({4, 6})}, {1}, 1, [](V x, int64_t d) { return amax(x[0], d); }),
      {"amin_dims_02", "reduce", {N({3, 4, 5})}, {1}, [](V x) { return amin(x[0], {0, 2}); }, true},
      {"amax_dims_keepdim", "reduce", {N({3, 4, 5})}, {1}, [](V x) { return amax(x[0], {0, 1}, true); }, true},
      D("logsumexp", "reduce", {N({3, 5})}, {1}, 1, [](V x, int64_t d) { return logsumexp(x[0], d); }),
      {"logsumexp_dims_02", "reduce", {N({3, 4, 5})}, {1}, [](V x) { return logsumexp(x[0], {0, 2}, true); }, true},
      D("std_dim", "reduce", {N({4, 6})}, {1}, 1, [](V x, int64_t d) { return ops::std(x[0], {d}); }),
      D("any_dim", "reduce", {N({4, 6})}, {0}, 1,
        [](V x, int64_t d) { return any(relu(x[0] - 1.0), {d}).to(x[0].dtype()); }),
      D("all_dim", "reduce", {N({4, 6})}, {0}, 1,
        [](V x, int64_t d) { return all(relu(x[0] + 1.0), {d}).to(x[0].dtype()); }),
      D("cumsum", "reduce", {N({3, 4, 5})}, {1}, 1, [](V x, int64_t d) { return cumsum(x[0], d); }),
      {"matmul_2d", "linalg", {N({3, 4}), N({4, 5})}, {1, 1}, [](V x) { return matmul(x[0], x[1]); }, true},
      {"matmul_batched", "linalg", {N({2, 3, 4}), N({2, 4, 5})}, {1, 1}, [](V x) { return matmul(x[0], x[1]); }, true},
      {"matmul_broadcast", "linalg", {N({2, 3, 4}), N({4, 5})}, {1, 1}, [](V x) { return matmul(x[0], x[1]); }, true},
      {"matmul_vec", "linalg", {N({3, 4}), N({4})}, {1, 1}, [](V x) { return matmul(x[0], x[1]); }, true},
      {"bmm", "linalg", {N({2, 3, 4}), N({2, 4, 2})}, {1, 1}, [](V x) { return bmm(x[0], x[1]); }, true},
      {"linear", "linalg", {N({3, 4}), N({5, 4}), N({5})}, {1, 1, 1}, [](V x) { return linear(x[0], x[1], x[2]); }, true},
      D("softmax", "nn", {N({3, 7})}, {1}, -1, [](V x, int64_t d) { return softmax(x[0], d); }),
      {"softmax_dim0", "nn", {N({3, 7})}, {1}, [](V x) { return softmax(x[0], 0); }, true},
      D("log_softmax", "nn", {N({3, 7})}, {1}, -1, [](V x, int64_t d) { return log_softmax(x[0], d); }),
      {"layer_norm", "nn", {N({3, 8}), N({8}), N({8})}, {1, 1, 1}, [](V x) { return layer_norm(x[0], {8}, x[1], x[2]); }, true},
      {"rms_norm", "nn", {N({3, 8}), N({8})}, {1, 1}, [](V x) { return rms_norm(x[0], {8}, x[1]); }, true},
      {"embedding", "nn", {N({10, 4}), I(10, {2, 3})}, {1, 0}, [](V x) { return embedding(x[0], x[1]); }, true},
      {"bias_gelu", "nn", {N({3, 8}), N({8})}, {1, 1}, [](V x) { return bias_gelu(x[0], x[1]); }, true},
      {"bias_gelu_tanh", "nn", {N({2, 3, 8}), N({8})}, {1, 1}, [](V x) { return bias_gelu(x[0], x[1], "tanh"); }, true},
      D("cat", "index", {N({2, 3}), N({4, 3})}, {1, 1}, 0, [](V x, int64_t d) { return cat({x[0], x[1]}, d); }),
      D("stack", "index", {N({2, 3}), N({2, 3})}, {1, 1}, 1, [](V x, int64_t d) { return stack({x[0], x[1]}, d); }),
      D("split", "index", {N({5, 3})}, {1}, 0,
        [](V x, int64_t d) {
          auto chunks = split(x[0], 2, d);
          GENLAB_CHECK(!chunks.empty(), "split returned no chunk (PyTorch: one empty chunk)");
          return chunks.back();
        }),
      D("gather", "index", {N({3, 5}), I(5, {3, 2})}, {1, 0}, 1, [](V x, int64_t d) { return gather(x[0], d, x[1]); }),
      D("index_select", "index", {N({5, 3}), I(5, {4})}, {1, 0}, 0,
        [](V x, int64_t d) { return index_select(x[0], d, x[1]); }),
      {"permute", "view", {N({2, 3, 4})}, {1}, [](V x) { return contiguous(permute(x[0], {2, 0, 1})) * 2.0; }, true},
      {"slice_step", "view", {N({6, 4})}, {1}, [](V x) { return slice(x[0], 0, 1, 6, 2) * 3.0; }, true},
      {"expand", "view", {N({3, 1})}, {1},
       [](V x) { return expand(x[0], {3, 4}) * Tensor::arange(4, TensorOptions(x[0].dtype(), x[0].device())); }, true},
      {"reshape", "view", {N({2, 6})}, {1}, [](V x) { return reshape(transpose(x[0], 0, 1), {3, 4}) * 2.0; }, true},
      {"cross_entropy", "loss", {N({5, 4}), I(4, {5})}, {1, 0}, [](V x) { return cross_entropy(x[0], x[1]); }, true},
      {"cross_entropy_smooth_ignore", "loss", {N({6, 5}), I(5, {6})}, {1, 0},
       [](V x) { return cross_entropy(x[0], with_ignored(x[1], 2), -100, 0.1); }, true},
      {"nll_loss", "loss", {N({5, 4}), I(4, {5})}, {1, 0}, [](V x) { return nll_loss(x[0], x[1]); }, true},
      {"mse_loss", "loss", {N({4, 5}), N({4, 5})}, {1, 1}, [](V x) { return mse_loss(x[0], x[1]); }, true},
      {"l1_loss", "loss", {N({4, 5}), N({4, 5})}, {1, 1}, [](V x) { return l1_loss(x[0], x[1]); }, true},
      {"bce_with_logits", "loss", {N({4, 5}), U({4, 5})}, {1, 1},
       [](V x) { return binary_cross_entropy_with_logits(x[0], x[1]); }, true},
      {"kl_div", "loss", {N({4, 5}), N({4, 5})}, {1, 1},
       [](V x) { return kl_div(log_softmax(x[0], 1), softmax(x[1], 1), Reduction::batchmean); }, true},
      // added with the edge mode: where the issue-7 review found defects
      D("squeeze", "view", {N({3, 1, 4})}, {1}, 1, [](V x, int64_t d) { return squeeze(x[0], d) * 2.0; }),
      D("unsqueeze", "view", {N({3, 4})}, {1}, 1, [](V x, int64_t d) { return unsqueeze(x[0], d) * 2.0; }),
      D("select", "view", {N({3, 4})}, {1}, 0, [](V x, int64_t d) { return select(x[0], d, 0) * 2.0; }),
      D("transpose", "view", {N({2, 3, 4})}, {1}, 1, [](V x, int64_t d) { return transpose(x[0], d, 0) * 2.0; }),
      D("flatten", "view", {N({2, 3, 4})}, {1}, 0, [](V x, int64_t d) { return flatten(x[0], d, 1) * 2.0; }),
      D("layer_norm_trailing", "nn", {N({3, 8})}, {1}, -1,
        [](V x, int64_t d) { return layer_norm(x[0], trailing(x[0].shape(), d)); }),
      {"where_cond", "elementwise", {N({4, 5}), N({4, 5}), N({4, 5})}, {0, 1, 1},
       [](V x) { return where(x[0], x[1], x[2]); }, true},
      {"where_int_cond", "elementwise", {I(1024, {4, 5}), N({4, 5}), N({4, 5})}, {0, 1, 1},
       [](V x) { return where(x[0], x[1], x[2]); }, false},  // CUDA: float32 conditions only
      {"pow_zero", "elementwise", {N({3, 4})}, {1}, [](V x) { return pow(x[0], 0.0); }, true},
      {"linear_3d", "linalg", {N({2, 3, 4}), N({5, 4}), N({5})}, {1, 1, 1},
       [](V x) { return linear(x[0], x[1], x[2]); }, true},
      // issue 10: unary math, activations, maximum/minimum
      {"sin", "unary", {N({3, 7})}, {1}, [](V x) { return sin(x[0] * 3.0); }, true},
      {"cos", "unary", {N({3, 7})}, {1}, [](V x) { return cos(x[0] * 3.0); }, true},
      {"erf", "unary", {N({3, 7})}, {1}, [](V x) { return erf(x[0]); }, true},
      {"log1p", "unary", {U({3, 7})}, {1}, [](V x) { return log1p(x[0] - 0.5); }, true},
      {"expm1", "unary", {N({3, 7})}, {1}, [](V x) { return expm1(x[0]); }, true},
      {"rsqrt", "unary", {P({3, 7})}, {1}, [](V x) { return rsqrt(x[0]); }, true},
      {"reciprocal", "unary", {P({3, 7})}, {1}, [](V x) { return reciprocal(x[0]); }, true},
      {"sign", "unary", {N({3, 7})}, {1}, [](V x) { return sign(x[0]); }, true},
      {"floor", "unary", {N({3, 7})}, {1}, [](V x) { return floor(x[0] * 4.0); }, true},
      {"round", "unary", {N({3, 7})}, {1}, [](V x) { return round(x[0] * 4.0); }, true},
      {"leaky_relu", "unary", {N({3, 7})}, {1}, [](V x) { return leaky_relu(x[0]); }, true},
      {"leaky_relu_slope", "unary", {N({3, 7})}, {1}, [](V x) { return leaky_relu(x[0], 0.2); }, true},
      {"elu", "unary", {N({3, 7})}, {1}, [](V x) { return elu(x[0]); }, true},
      {"elu_alpha", "unary", {N({3, 7})}, {1}, [](V x) { return elu(x[0], 0.5); }, true},
      {"mish", "unary", {N({3, 7})}, {1}, [](V x) { return mish(x[0]); }, true},
      {"hardtanh", "unary", {N({3, 7})}, {1}, [](V x) { return hardtanh(x[0]); }, true},
      {"hardtanh_bounds", "unary", {N({3, 7})}, {1}, [](V x) { return hardtanh(x[0], -0.5, 2.0); }, true},
      {"logsigmoid", "unary", {N({3, 7})}, {1}, [](V x) { return logsigmoid(x[0]); }, true},
      {"maximum", "elementwise", {N({4, 5}), N({5})}, {1, 1}, [](V x) { return maximum(x[0], x[1]); }, true},
      {"minimum", "elementwise", {N({3, 1, 4}), N({2, 4})}, {1, 1}, [](V x) { return minimum(x[0], x[1]); }, true},
      // issue 10, composed index/shape ops and losses (make_fixtures.py: the block after linear_3d)
      {"masked_fill", "index", {N({2, 3, 4}), N({3, 1})}, {1, 0},
       [](V x) { return masked_fill(x[0], compare(x[1], 0.0, CompareOp::gt), -1e4); }, true},
      {"masked_fill_value", "index", {N({4, 1}), N({3, 1, 5}), N({})}, {1, 0, 1},
       [](V x) { return masked_fill(x[0], compare(x[1], 0.0, CompareOp::gt), x[2]); }, true},
      {"one_hot", "index", {I(5, {2, 3})}, {0}, [](V x) { return one_hot(x[0], 5).to(DType::f32); }, true},
      {"one_hot_infer", "index", {I(6, {7})}, {0}, [](V x) { return one_hot(x[0]).to(DType::f32); }, true},
      {"pad_constant", "index", {N({2, 3, 4})}, {1}, [](V x) { return pad(x[0], {1, 2, -1, 1}, "constant", 0.5); }, true},
      {"pad_reflect", "index", {N({2, 3, 5})}, {1}, [](V x) { return pad(x[0], {2, 1, 1, 2}, "reflect"); }, true},
      {"pad_reflect_1d", "index", {N({2, 4})}, {1}, [](V x) { return pad(x[0], {3, -1}, "reflect"); }, true},
      {"pad_replicate", "index", {N({2, 3, 4})}, {1}, [](V x) { return pad(x[0], {5, 2}, "replicate"); }, true},
      D("chunk", "index", {N({5, 3})}, {1}, 0,
        [](V x, int64_t d) {
          auto c = chunk(x[0], 3, d);
          std::reverse(c.begin(), c.end());
          return cat(c, d);
        }),
      D("flip", "index", {N({2, 3, 4})}, {1}, 1, [](V x, int64_t d) { return flip(x[0], {d}); }),
      {"flip_dims", "index", {N({2, 3, 4})}, {1}, [](V x) { return flip(x[0], {0, -1}); }, true},
      D("roll", "index", {N({3, 4})}, {1}, 1, [](V x, int64_t d) { return roll(x[0], {3}, {d}); }),
      {"roll_dims", "index", {N({3, 4})}, {1}, [](V x) { return roll(x[0], {1, -5, 2}, {0, 1, 0}); }, true},
      {"roll_flat", "index", {N({3, 4})}, {1}, [](V x) { return roll(x[0], {5}); }, true},
      {"repeat", "index", {N({2, 3})}, {1}, [](V x) { return repeat(x[0], {2, 1, 3}); }, true},
      {"bce", "loss", {U({4, 5}), U({4, 5})}, {1, 1}, [](V x) { return binary_cross_entropy(x[0], x[1]); }, true},
      {"bce_weight", "loss", {U({4, 5}), U({4, 5}), P({5})}, {1, 1, 0},
       [](V x) { return binary_cross_entropy(x[0], x[1], x[2], Reduction::none); }, true},
      {"bce_weight_sum", "loss", {U({4, 5}), U({4, 5}), P({4, 1})}, {1, 1, 0},
       [](V x) { return binary_cross_entropy(x[0], x[1], x[2], Reduction::sum); }, true},
      {"smooth_l1", "loss", {N({4, 5}), N({4, 5})}, {1, 1}, [](V x) { return smooth_l1_loss(x[0], x[1]); }, true},
      {"smooth_l1_beta", "loss", {N({4, 5}), N({4, 5})}, {1, 1},
       [](V x) { return smooth_l1_loss(x[0], x[1], Reduction::none, 0.5); }, true},
      {"smooth_l1_beta0", "loss", {N({4, 5}), N({4, 5})}, {1, 1},
       [](V x) { return smooth_l1_loss(x[0], x[1], Reduction::sum, 0.0); }, true},
      {"huber", "loss", {N({4, 5}), N({4, 5})}, {1, 1}, [](V x) { return huber_loss(x[0], x[1]); }, true},
      {"huber_delta", "loss", {N({4, 5}), N({4, 5})}, {1, 1},
       [](V x) { return huber_loss(x[0], x[1], Reduction::none, 0.7); }, true},
      {"cross_entropy_weight", "loss", {N({6, 5}), I(5, {6}), P({5})}, {1, 0, 0},
       [](V x) { return cross_entropy(x[0], with_ignored(x[1], 2), x[2]); }, true},
      {"cross_entropy_weight_smooth", "loss", {N({6, 5}), I(5, {6}), P({5})}, {1, 0, 0},
       [](V x) { return cross_entropy(x[0], with_ignored(x[1], 1), x[2], -100, 0.2); }, true},
      {"cross_entropy_weight_none", "loss", {N({6, 5}), I(5, {6}), P({5})}, {1, 0, 0},
       [](V x) { return cross_entropy(x[0], with_ignored(x[1], 3), x[2], -100, 0.1, Reduction::none); }, true},
      {"nll_loss_weight_sum", "loss", {N({5, 4}), I(4, {5}), P({4})}, {1, 0, 0},
       [](V x) { return nll_loss(x[0], x[1], x[2], -100, Reduction::sum); }, true},
      {"cross_entropy_probs", "loss", {N({5, 4}), U({5, 4})}, {1, 1}, [](V x) { return cross_entropy(x[0], x[1]); }, true},
      {"cross_entropy_probs_weight_smooth", "loss", {N({5, 4}), U({5, 4}), P({4})}, {1, 1, 0},
       [](V x) { return cross_entropy(x[0], x[1], x[2], -100, 0.3); }, true},
      {"cross_entropy_probs_none", "loss", {N({5, 4}), U({5, 4}), P({4})}, {1, 1, 0},
       [](V x) { return cross_entropy(x[0], x[1], x[2], -100, 0.0, Reduction::none); }, true},
      // issue 10: sorting; indices compared as floats (make_fixtures.py: torch's stable order)
      D("sort", "sort", {N({4, 6})}, {1}, -1, [](V x, int64_t d) { return sort(x[0], d).first; }),
      D("sort_indices", "sort", {N({4, 6})}, {0}, -1,
        [](V x, int64_t d) { return sort(x[0], d).second.to(x[0].dtype()); }),
      D("sort_descending", "sort", {N({4, 6})}, {1}, 0, [](V x, int64_t d) { return sort(x[0], d, true).first; }),
      D("argsort_descending", "sort", {N({4, 6})}, {0}, 0,
        [](V x, int64_t d) { return argsort(x[0], d, true).to(x[0].dtype()); }),
      {"sort_long", "sort", {N({2, 300})}, {1}, [](V x) { return sort(x[0], -1, true).first; }, true},  // CPU radix
      D("topk", "sort", {N({4, 6})}, {1}, -1, [](V x, int64_t d) { return topk(x[0], 3, d).first; }),
      D("topk_indices", "sort", {N({4, 6})}, {0}, -1,
        [](V x, int64_t d) { return topk(x[0], 3, d).second.to(x[0].dtype()); }),
      D("topk_smallest", "sort", {N({5, 4})}, {1}, 0, [](V x, int64_t d) { return topk(x[0], 2, d, false).first; }),
      D("topk_k1", "sort", {N({3, 5})}, {1}, 1, [](V x, int64_t d) { return topk(x[0], 1, d).first; }),
      {"topk_long", "sort", {N({2, 400})}, {1}, [](V x) { return topk(x[0], 5).first; }, true},  // CPU heap
      // issue 10: scatter_add, index_add, prod, einsum
      D("scatter_add", "index", {N({4, 5}), I(5, {3, 2}), N({3, 2})}, {1, 0, 1}, 1,
        [](V x, int64_t d) { return scatter_add(x[0], d, x[1], x[2]); }),
      D("scatter_add_3d", "index", {N({2, 4, 3}), I(4, {2, 5, 3}), N({2, 5, 3})}, {1, 0, 1}, 1,
        [](V x, int64_t d) { return scatter_add(x[0], d, x[1], x[2]); }),
      D("index_add", "index", {N({5, 3}), I(5, {4}), N({4, 3})}, {1, 0, 1}, 0,
        [](V x, int64_t d) { return index_add(x[0], d, x[1], x[2]); }),
      D("index_add_alpha", "index", {N({2, 5, 3}), I(5, {7}), N({2, 7, 3})}, {1, 0, 1}, 1,
        [](V x, int64_t d) { return index_add(x[0], d, x[1], x[2], -0.5); }),
      D("prod_dim", "reduce", {N({3, 4, 5})}, {1}, 1, [](V x, int64_t d) { return prod(x[0], d); }),
      D("prod_dim_keepdim", "reduce", {N({4, 6})}, {1}, 1, [](V x, int64_t d) { return prod(x[0], d, true); }),
      {"prod_all", "reduce", {N({3, 4})}, {1}, [](V x) { return prod(x[0]); }, true},
      {"einsum_mm", "linalg", {N({3, 4}), N({4, 5})}, {1, 1}, [](V x) { return einsum("ij,jk->ik", {x[0], x[1]}); }, true},
      {"einsum_bmm", "linalg", {N({2, 3, 4}), N({2, 4, 5})}, {1, 1},
       [](V x) { return einsum("bij,bjk->bik", {x[0], x[1]}); }, true},
      {"einsum_attention", "linalg", {N({2, 2, 3, 4}), N({2, 2, 5, 4})}, {1, 1},
       [](V x) { return einsum("bhqd,bhkd->bhqk", {x[0], x[1]}); }, true},
      {"einsum_dot", "linalg", {N({5}), N({5})}, {1, 1}, [](V x) { return einsum("i,i->", {x[0], x[1]}); }, true},
      {"einsum_outer", "linalg", {N({3}), N({4})}, {1, 1}, [](V x) { return einsum("i,j->ij", {x[0], x[1]}); }, true},
      {"einsum_batch_outer", "linalg", {N({2, 3}), N({2, 4})}, {1, 1},
       [](V x) { return einsum("bi,bj->bij", {x[0], x[1]}); }, true},
      {"einsum_hadamard", "linalg", {N({3, 4}), N({3, 4})}, {1, 1},
       [](V x) { return einsum("ij,ij->ij", {x[0], x[1]}); }, true},
      {"einsum_proj", "linalg", {N({2, 3, 4}), N({4, 5})}, {1, 1},
       [](V x) { return einsum("bld,dh->blh", {x[0], x[1]}); }, true},
      {"einsum_sum_out", "linalg", {N({3, 4, 2}), N({4, 5})}, {1, 1},
       [](V x) { return einsum("ijk,jl->il", {x[0], x[1]}); }, true},
      {"einsum_implicit", "linalg", {N({3, 4}), N({5, 4})}, {1, 1}, [](V x) { return einsum("ij,kj", {x[0], x[1]}); }, true},
      {"einsum_ellipsis", "linalg", {N({2, 3, 4}), N({4, 5})}, {1, 1},
       [](V x) { return einsum("...ij,...jk->...ik", {x[0], x[1]}); }, true},
      {"einsum_transpose", "linalg", {N({3, 4})}, {1}, [](V x) { return einsum("ij->ji", {x[0]}); }, true},
      {"einsum_implicit_upper", "linalg", {N({3, 4})}, {1}, [](V x) { return einsum("bA", {x[0]}); }, true},
      {"einsum_sum", "linalg", {N({3, 4})}, {1}, [](V x) { return einsum("ij->", {x[0]}); }, true},
      {"einsum_diagonal", "linalg", {N({4, 4})}, {1}, [](V x) { return einsum("ii->i", {x[0]}); }, true},
      {"einsum_trace", "linalg", {N({4, 4})}, {1}, [](V x) { return einsum("ii", {x[0]}); }, true},
    };
    for (OpCase& c : family_op_cases()) t.push_back(std::move(c));  // op_table_families.cpp
    return t;
  }();
  return table;
}

std::vector<Tensor> make_inputs(const OpCase& c, DType dtype, uint64_t seed) {
  manual_seed(seed);
  std::vector<Tensor> out;
  autograd::NoGradGuard ng;
  for (const auto& s : c.inputs) {
    switch (s.kind) {
      case InputSpec::normal: out.push_back(Tensor::randn(s.shape, dtype)); break;
      case InputSpec::positive: out.push_back(ops::abs(Tensor::randn(s.shape, dtype)) + 0.5); break;
      case InputSpec::uniform: out.push_back(Tensor::rand(s.shape, dtype)); break;
      case InputSpec::index: {
        auto u = Tensor::rand(s.shape, DType::f64).to_vector<double>();
        std::vector<int64_t> v;
        for (double x : u) v.push_back(std::min<int64_t>(s.high - 1, int64_t(x * double(s.high))));
        out.push_back(Tensor::from_vector(v, s.shape));
        break;
      }
    }
  }
  return out;
}

}  // namespace genlab::testing
