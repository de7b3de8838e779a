#!/usr/bin/python3
"""PyTorch reference for `genlab_ops edge`: every op of CASES (make_fixtures.py) on
the inputs where defects live, derived from its input specs, so a new op gets
these cases by being listed in CASES (and in tests/op_table.cpp).

Variants of an op with input specs S (names are what genlab_ops prints):
  base              the ordinary inputs
  all_0d            every input 0-d (index inputs 0); in<i>_0d: input i alone 0-d
  empty_n<s>        every dim of size s (in any input) becomes 0
  in<i>_d<k>_1      dim k of input i becomes 1 (the others broadcast against it)
  in<i>_T           input i is a transposed view (dims reversed), same values
  all_strided       every input is a step-2 view at storage offset 1, NaN between
  in0_expand        input 0 is a stride-0 view expanded along dim 0
  in<i>_nonfinite   input i holds NaN, +inf and -inf
  in<i>_boundary    input i holds the op's BOUNDARY values (0 for pow/log/sqrt,
  all_boundary      ties for max ...); all_boundary: every combination
An op whose CASES function takes `dim` (and whose OpCase has a dim_fn) is also
run with every dim from -r-1 to r (r = rank of input 0; one more each side
for DIM_EXTRA ops) on base, all_0d and in0_0d, and with each dim from 0 to r-1
on the empty variants: `<variant>_dim<d>`.

Per case `C` (= op@variant): C.in<i> (logical values, float64/int64), C.layout
(per input: 0 contiguous, 1 transposed, 2 strided with offset, 3 expanded),
C.dim (when a dim is given), and either C.out + C.grad<i> (the gradient of
sum(out * weights), as in make_fixtures.py) or C.raises (the message, uint8).
C.lenient (a message) marks inputs outside torch's documented contract, or that
torch warns about: there a genlab::Error passes too (OUTSIDE_CONTRACT).
C.quirk (a message) replaces the gradients where torch contradicts itself (GRAD_QUIRKS), also
where torch's backward raises on a forward it accepted.
Deterministic: each variant's inputs come from torch.manual_seed(crc32(C)).

Run: /usr/bin/python3 tests/parity/make_edge_fixtures.py OUT_DIR   (make_fixtures.py also calls it)
"""
import inspect
import math
import os
import sys
import warnings
import zlib

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import CASES, save_safetensors, weights  # noqa: E402

NAN, INF = math.nan, math.inf
# Values at each function's boundaries, per input index (or "all" float inputs).
BOUNDARY = {
    "div": {"all": [0.0, -0.0, 1.0]},
    "pow_tensor": {"all": [0.0, 2.0, -1.0]},
    "pow_scalar": {0: [0.0, -1.0, 1.0]},
    "pow_zero": {0: [0.0, -0.0, 2.0]},
    "log": {0: [0.0, -1.0, 1.0]},
    "sqrt": {0: [0.0, -0.0, -1.0, 4.0]},
    "relu": {0: [0.0, -0.0, 1.0]},
    "abs": {0: [0.0, -0.0, 1.0]},
    "clamp": {0: [-0.5, 0.7, 0.0]},
    "exp": {0: [800.0, -800.0, 0.0]},
    "tanh": {0: [800.0, -800.0, 0.0]},
    "sigmoid": {0: [800.0, -800.0, 0.0]},
    "softplus": {0: [800.0, -800.0, 0.0]},
    "silu": {0: [800.0, -800.0, 0.0]},
    "gelu": {0: [800.0, -800.0, 0.0]},
    "gelu_tanh": {0: [800.0, -800.0, 0.0]},
    "max_dim": {0: [1.0, 1.0, -2.0]},  # ties
    "argmax": {0: [1.0, 1.0, -2.0]},
    "min_dim": {0: [-2.0, -2.0, 1.0]},  # ties
    "argmin": {0: [-2.0, -2.0, 1.0]},
    "amax_dim": {0: [1.0, 1.0, -2.0]},  # ties share the gradient
    "amin_dims_02": {0: [-1.0, -1.0, 2.0]},
    "amax_dims_keepdim": {0: [1.0, 1.0, -2.0]},
    "logsumexp": {0: [800.0, 800.0, -800.0]},  # exp would overflow unshifted
    "logsumexp_dims_02": {0: [800.0, -800.0, float("inf"), float("-inf"), float("nan")]},
    "std_dim": {0: [1.0]},  # constant rows: std 0, gradient 0
    "any_dim": {0: [0.0, 0.0, 3.0]},
    "all_dim": {0: [0.0, -3.0, 1.0]},
    "softmax": {0: [0.0, 1e4, -1e4, -INF]},
    "log_softmax": {0: [0.0, 1e4, -1e4, -INF]},
    "layer_norm": {0: [1.0]},  # constant rows: variance 0
    "rms_norm": {0: [0.0]},
    "where_cond": {0: [0.0, 0.5, 1e-3, -1e-3, NAN, -0.0]},
    "where_int_cond": {0: [0, 256, 512, 1, 257]},
    "cross_entropy": {0: [0.0, -INF, 1e4], 1: [-100]},  # -inf logits; every target ignored
    "cross_entropy_smooth_ignore": {0: [0.0, -INF], 1: [-100]},
    "nll_loss": {1: [-100]},
    "bce_with_logits": {0: [800.0, -800.0, 0.0], 1: [0.0, 1.0]},
    "embedding": {1: [-1]},
    "gather": {1: [-1]},
    "index_select": {1: [5]},
    # issue 10: kinks, bounds, ties, domain ends, halves (round to even) and overflow
    "sin": {0: [0.0, 1e4, -1e4]},  # the op's input is 3x these
    "cos": {0: [0.0, 1e4, -1e4]},
    "erf": {0: [0.0, -0.0, 10.0, -10.0]},
    "log1p": {0: [0.5, -0.5, -1.5, 1e-12]},  # the op's input is these - 0.5: 0, -1, -2, ~-0.5
    "expm1": {0: [800.0, -800.0, 0.0, 1e-12]},
    "rsqrt": {0: [0.0, -0.0, -1.0, 4.0]},
    "reciprocal": {0: [0.0, -0.0, -1.0, 4.0]},
    "sign": {0: [0.0, -0.0, 1.0, -3.0]},
    "floor": {0: [0.25, -0.25, 0.125, -0.375]},  # the op's input is 4x these: 1, -1, 0.5, -1.5
    "round": {0: [0.125, 0.375, 0.625, -0.125, -0.625, 0.25]},  # 4x: halves (to even), 1
    "leaky_relu": {0: [0.0, -0.0, 1.0, -800.0]},
    "leaky_relu_slope": {0: [0.0, -0.0, 1.0, -800.0]},
    "elu": {0: [0.0, -0.0, 800.0, -800.0]},
    "elu_alpha": {0: [0.0, -0.0, 800.0, -800.0]},
    "mish": {0: [800.0, -800.0, 0.0, 30.0, -30.0]},
    "hardtanh": {0: [-1.0, 1.0, 0.0, 2.0, -2.0]},
    "hardtanh_bounds": {0: [-0.5, 2.0, 0.0, 3.0, -3.0]},
    "logsigmoid": {0: [800.0, -800.0, 0.0, 30.0, -30.0]},
    "maximum": {"all": [1.0, -2.0, 0.0]},  # all_boundary holds every pair: ties at 1, -2 and 0
    "minimum": {"all": [1.0, -2.0, 0.0]},
    # issue 10: kinks, clamps, ties and ignored targets of the composed losses; masks; bad class values
    "masked_fill": {1: [0.0, -0.0, 1.0, NAN]},
    "masked_fill_value": {1: [0.0, 1.0], 2: [-INF]},
    "one_hot": {0: [-1]},
    "one_hot_infer": {0: [6, 0, 2]},
    "bce": {0: [0.0, 1.0, 0.5, 1e-13], 1: [0.0, 1.0, 0.5]},
    "bce_weight": {0: [0.0, 1.0, 0.5], 1: [0.0, 1.0], 2: [0.0]},
    "bce_weight_sum": {0: [0.0, 1.0, 1.0 - 2.0**-20], 1: [0.0, 1.0]},  # 1 - 2^-20: exact in float32
    "smooth_l1": {0: [1.0, -1.0, 0.0, 2.0], 1: [0.0]},  # |d| = beta: the kink
    "smooth_l1_beta": {0: [0.5, -0.5, 0.0], 1: [0.0]},
    "smooth_l1_beta0": {0: [0.0, -0.0, 1.0], 1: [0.0]},
    "huber": {0: [1.0, -1.0, 0.0], 1: [0.0]},
    "huber_delta": {0: [0.7, -0.7, 0.0], 1: [0.0]},
    "cross_entropy_weight": {0: [0.0, -INF, 1e4], 1: [-100]},  # every target ignored: 0 / 0
    "cross_entropy_weight_smooth": {0: [0.0, -INF], 1: [-100], 2: [0.0]},
    "cross_entropy_weight_none": {0: [0.0, -INF], 1: [-100]},
    "nll_loss_weight_sum": {1: [-100]},
    "cross_entropy_probs": {0: [0.0, -INF, 1e4], 1: [0.0, 1.0]},
    "cross_entropy_probs_weight_smooth": {0: [0.0, -INF], 1: [0.0, 1.0], 2: [0.0]},
    "cross_entropy_probs_none": {1: [0.0, 1.0], 2: [0.0]},
    # issue 10: sorting: ties (kept in input order), -0.0 equal to 0.0
    **{op: {0: [1.0, -0.0, 0.0, 1.0, -2.0]} for op in
       ["sort", "sort_indices", "sort_descending", "argsort_descending", "topk", "topk_indices", "topk_smallest",
        "topk_long"]},
    "sort_long": {0: [0.0, -0.0, 1.0, 1.0, -INF]},
    "topk_k1": {0: [2.0, 2.0, -0.0, 0.0]},
    # issue 10: scatter_add, index_add, prod, einsum: repeated and out-of-range indices; slices with 0, 1, 2 zeros
    "scatter_add": {1: [4, 4, 0]},
    "scatter_add_3d": {1: [3, 0, 3], 2: [INF, 1.0]},
    "index_add": {1: [5]},
    "index_add_alpha": {1: [4, 4, 1]},
    "prod_dim": {0: [0.0, -1.5, 2.0, 0.0, 0.5, -0.75, 1.25]},  # zeros per slice along dim 1: 0, 1 and 2
    "prod_dim_keepdim": {0: [0.0, -2.0, 0.5, 3.0, -0.75, 1.25, 2.5, -1.0, -0.0, -2.0]},  # 1, 2, 0, 2
    "prod_all": {0: [2.0, -0.5, 0.0, 1.5, -1.25, 0.75, 3.0, -2.0, 0.5, 1.0, -1.0, 1.75]},  # one zero in 12
    # issue 11: convolution and pooling: ties (the first max wins), several NaN in a window (the last wins),
    # windows of -inf only (the index is the window's first element), inf - inf in a mean
    "max_pool2d": {0: [1.0, 1.0, -2.0, NAN, NAN, 1.0]},
    "max_pool2d_pad_ceil": {0: [-INF]},
    "max_pool2d_dilation": {0: [1.0, 1.0, -INF]},
    "max_pool2d_indices": {0: [2.0, 2.0, NAN, -INF, NAN]},
    "avg_pool2d_pad_ceil": {0: [INF, -INF, 1.0]},
    "adaptive_avg_pool2d": {0: [INF, 1.0, 1.0]},
    "conv2d_depthwise": {1: [INF, 0.0]},  # 0 * inf in the padding gives NaN, as in torch's im2col
    # issue 11: normalisation: constant channels, instances and groups (variance 0)
    **{op: {0: [1.0]} for op in ["batch_norm_train", "batch_norm_train_2d", "batch_norm_train_1d", "instance_norm",
                                 "instance_norm_2d", "group_norm", "group_norm_2d"]},
    "batch_norm_eval": {2: [0.0]},  # running_var 0: rstd = 1 / sqrt(eps)
    "conv_transpose2d_stride2_outpad": {1: [INF, 0.0, -INF]},  # col2im sums inf - inf; the x gradient's im2col pads
}


def bias_outside(x):
    w, b = x[1], x[2]
    if w.dim() == 2 and tuple(b.shape) != (w.shape[0],):
        return f"the bias has shape {list(b.shape)} (docs: shape (out_features) = [{w.shape[0]}])"
    return None


def bias_not_last_dim(x):
    """genlab's bias_gelu takes a bias of the input's last dim only; torch's x + b broadcasts any."""
    if x[0].dim() >= 1 and x[1].dim() == 1 and x[1].shape[0] == x[0].shape[-1]:
        return None
    return f"the bias has shape {list(x[1].shape)} for an input {list(x[0].shape)} (genlab: [input.size(-1)])"


# Inputs outside PyTorch's documented contract that torch accepts anyway: there genlab may raise
# a genlab::Error instead of matching torch's value (C.lenient says why). So may it where torch warns
# that the call is likely wrong (mse_loss with a target of another shape).
OUTSIDE_CONTRACT = {
    "kl_div": lambda x: x[0].shape != x[1].shape and "the target's shape differs (docs: same shape as the input)",
    "linear": lambda x: bias_outside(x),
    "linear_3d": lambda x: bias_outside(x),
    "index_select": lambda x: x[1].dim() != 1 and "the index is not 1-d (docs: the 1-D tensor of indices)",
    "bias_gelu": lambda x: bias_not_last_dim(x),
    "bias_gelu_tanh": lambda x: bias_not_last_dim(x),
}


def conv_outside(x):
    """torch 1.13 returns 0 output channels (not out_channels) for an input without channels, and output sizes
    for a kernel dim of 0; genlab raises for both."""
    if len(x) < 2 or x[0].dim() < 2 or x[1].dim() < 3:
        return None
    c = x[0].shape[1 if x[0].dim() == x[1].dim() else 0]
    if c == 0:
        return "the input has no channels (torch returns 0 output channels, docs: out_channels)"
    if 0 in x[1].shape[2:]:
        return f"the weight {list(x[1].shape)} has a kernel dim of size 0"
    return None


OUTSIDE_CONTRACT.update({name: conv_outside for name in CASES if name.startswith("conv")})
# Gradients where torch 1.13 disagrees with itself: the case keeps torch's value
# and error checks, but its gradients are not compared (C.quirk says why).
GRAD_QUIRKS = {
    "pad_constant@empty_n4": "torch's backward of F.pad with a negative pad raises on this empty input (its gradient "
                             "is empty): constant_pad_nd's backward pads the gradient by the negated pads and applies "
                             "the forward's check that every padded dim keeps a positive size",
    "group_norm@in1_nonfinite": "an infinite weight makes the input gradient of its group a sum of opposite "
                                "infinities: torch's fused backward gives -inf where genlab's composed one gives NaN",
    "var_dim@all_0d": "torch gives an inf gradient for var of a 0-d tensor but NaN for var over a size-1 dim of "
                      "a [2, 1] tensor; both are 0/0, and genlab gives NaN for both",
}
# At a NaN input torch 1.13's vectorised CPU loop gives elu the gradient NaN and hardtanh 0, its scalar loop
# (a tensor's tail, and its CUDA kernels) 1 and 1: which one an element gets depends on its position. genlab
# gives 1 and 1 (the scalar formulas: x <= 0 ? alpha e^x : 1, and gy outside the bounds' masks), checked
# against torch's scalar loop in tests/test_edge_semantics.cpp (EdgeActivations).
NAN_GRAD_SPLIT = ("torch 1.13's gradient at a NaN input depends on the element's position (vectorised loop: "
                  "{}; scalar tail: 1); genlab gives 1")
GRAD_QUIRKS.update({f"{op}@in0_nonfinite": NAN_GRAD_SPLIT.format(v) for op, v in
                    [("elu", "NaN"), ("elu_alpha", "NaN"), ("hardtanh", "0"), ("hardtanh_bounds", "0")]})
DIM_EXTRA = {"stack": 1, "unsqueeze": 1}  # the dim ranges over the output's rank, one more
DIM_VARIANTS = ("base", "all_0d", "in0_0d")  # every dim, legal or not; empty_*: the legal dims >= 0
C, T, S, E = 0, 1, 2, 3  # layouts


def is_float(spec): return spec[0] != "index"


def draw(spec, shape):
    kind = spec[0]
    if kind == "normal": return torch.randn(shape, dtype=torch.float64)
    if kind == "positive": return torch.randn(shape, dtype=torch.float64).abs() + 0.5
    if kind == "uniform": return torch.rand(shape, dtype=torch.float64)
    return torch.randint(0, spec[2] if shape else 1, shape, dtype=torch.int64)


def fill(x, values, period=1):
    """x[j] = values[(j // period) % len(values)] over x's flat index."""
    flat = x.view(-1)
    for j in range(flat.numel()):
        flat[j] = values[(j // period) % len(values)]


def variants(name, specs):
    """(variant, shapes, layouts, value edit) for each edge variant of an op, in a fixed order."""
    shapes = [tuple(s[1]) for s in specs]
    n = len(specs)
    floats = [i for i in range(n) if is_float(specs[i])]
    base = [C] * n
    out = [("base", shapes, base, None), ("all_0d", [()] * n, base, None)]
    if n > 1:
        out += [(f"in{i}_0d", [() if j == i else s for j, s in enumerate(shapes)], base, None) for i in floats]
    for size in sorted({d for s in shapes for d in s if d >= 2}):
        out.append((f"empty_n{size}", [tuple(0 if d == size else d for d in s) for s in shapes], base, None))
    for i in floats:
        for k, d in enumerate(shapes[i]):
            if d >= 2:
                s1 = list(shapes)
                s1[i] = tuple(1 if q == k else e for q, e in enumerate(shapes[i]))
                out.append((f"in{i}_d{k}_1", s1, base, None))
    for i in range(n):
        if len(shapes[i]) >= 2:
            out.append((f"in{i}_T", shapes, [T if j == i else C for j in range(n)], None))
    out.append(("all_strided", shapes, [S if len(s) else C for s in shapes], None))
    if is_float(specs[0]) and len(shapes[0]) >= 1 and shapes[0][0] >= 2:
        def expand0(xs):
            xs[0] = xs[0][:1].expand_as(xs[0]).clone()
        out.append(("in0_expand", shapes, [E] + [C] * (n - 1), expand0))
    for i in floats:
        out.append((f"in{i}_nonfinite", shapes, base, lambda xs, i=i: fill(xs[i], [0.5, NAN, -1.5, INF, -INF, 2.0])))
    bnd = BOUNDARY.get(name, {})
    lists = {i: bnd.get(i, bnd.get("all")) for i in range(n) if i in bnd or ("all" in bnd and is_float(specs[i]))}
    for i, vals in lists.items():
        out.append((f"in{i}_boundary", shapes, base, lambda xs, i=i, v=vals: fill(xs[i], v)))
    if len(lists) > 1:
        def all_boundary(xs):
            period = 1
            for i, vals in lists.items():
                fill(xs[i], vals, period)
                period *= len(vals)
        out.append(("all_boundary", shapes, base, all_boundary))
    return out


def takes_dim_arg(fn):
    try:
        return "dim" in inspect.signature(fn).parameters
    except ValueError:  # a torch builtin such as torch.exp
        return False


def run(fn, ins, diff, dim, quirk=None):
    """The output and gradients, or the message of the exception torch raises; and torch's first warning.
    With a quirk (GRAD_QUIRKS), a backward that raises leaves the output and no gradients."""
    ins = [x.clone().requires_grad_(bool(d)) for x, d in zip(ins, diff)]
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        try:
            y = fn(*ins) if dim is None else fn(*ins, dim=dim)
            grads = {}
            if y.requires_grad:
                try:
                    (y * weights(y.numel()).reshape(y.shape)).sum().backward()
                except RuntimeError:
                    if not quirk:
                        raise
                grads = {i: (x.grad if x.grad is not None else torch.zeros_like(x)) for i, x in enumerate(ins) if diff[i]}
            result = y.detach().double(), grads, None
        except (RuntimeError, IndexError, ValueError) as e:
            result = None, None, f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
    return result + ((f"torch warns: {str(warned[0].message)[:200]}" if warned else None),)


def as_bytes(message):
    return torch.tensor(list(message.encode()), dtype=torch.uint8)


def edge_cases():
    tensors, count, raised = {}, 0, 0
    for name, (specs, diff, fn) in CASES.items():
        takes_dim = takes_dim_arg(fn)
        for variant, shapes, layouts, edit in variants(name, specs):
            case = f"{name}@{variant}"
            torch.manual_seed(zlib.crc32(case.encode()))
            ins = [draw(spec, shape) for spec, shape in zip(specs, shapes)]
            if edit: edit(ins)
            dims = [None]
            r = len(shapes[0]) + DIM_EXTRA.get(name, 0)
            if takes_dim and variant in DIM_VARIANTS:
                dims = list(range(-r - 1, r + 1))
            elif takes_dim and variant.startswith("empty_"):  # negative and illegal dims are checked above
                dims = list(range(r))
            for dim in dims:
                c = case if dim is None else f"{case}_dim{dim}"
                for i, x in enumerate(ins):
                    tensors[f"{c}.in{i}"] = x
                tensors[f"{c}.layout"] = torch.tensor(layouts, dtype=torch.int64)
                if dim is not None:
                    tensors[f"{c}.dim"] = torch.tensor(dim, dtype=torch.int64)
                quirk = next((q for k, q in GRAD_QUIRKS.items() if c.startswith(k)), None)
                y, grads, err, warned = run(fn, ins, diff, dim, quirk)
                lenient = (OUTSIDE_CONTRACT.get(name, lambda x: None)(ins) or warned) if err is None else None
                if lenient:
                    tensors[f"{c}.lenient"] = as_bytes(lenient)
                if err is not None:
                    tensors[f"{c}.raises"] = as_bytes(err)
                    raised += 1
                else:
                    tensors[f"{c}.out"] = y
                    if quirk:
                        tensors[f"{c}.quirk"] = as_bytes(quirk)
                    for i, g in grads.items():
                        if not quirk:
                            tensors[f"{c}.grad{i}"] = g.detach()
                count += 1
    return tensors, count, raised


def main(out_dir):
    tensors, count, raised = edge_cases()
    save_safetensors(f"{out_dir}/edge.safetensors", tensors)
    print(f"wrote {count} edge cases ({raised} where torch raises) of {len(CASES)} ops to {out_dir}/edge.safetensors")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
