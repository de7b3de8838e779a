#!/usr/bin/python3
"""PyTorch reference values for genlab's op table (tests/op_table.cpp).

For each case: inputs drawn here (float64), the output, and the gradient of
sum(out * r) for every differentiable input, with r[i] = 0.5 + 0.37*((i*7919)%11)/11
(the same weights genlab's gradcheck uses). Written as safetensors by a minimal
writer below, so genlab's reader is also checked against an independent writer.

Also writes edge.safetensors, the edge cases of every op for `genlab_ops edge`
(make_edge_fixtures.py), optim_late_start.safetensors (make_optim_fixtures.py), norm.safetensors
(make_norm_fixtures.py), and optimizer trajectories (optim.safetensors): a parameter, three
gradients and the parameter after each step for SGD (momentum, Nesterov, weight
decay), Adam and AdamW.

Run with Debian's python3-torch:  /usr/bin/python3 tests/parity/make_fixtures.py OUT_DIR
"""
import json
import struct
import sys

import torch
import torch.nn.functional as F

import rnn_reference as rnn

torch.manual_seed(1234)


def normal(*s): return ("normal", s)
def positive(*s): return ("positive", s)
def uniform(*s): return ("uniform", s)
def index(n, *s): return ("index", s, n)


def gen(spec):
    kind, shape = spec[0], spec[1]
    if kind == "normal": return torch.randn(shape, dtype=torch.float64)  # a tuple: () gives a 0-d input
    if kind == "positive": return torch.randn(shape, dtype=torch.float64).abs() + 0.5
    if kind == "uniform": return torch.rand(shape, dtype=torch.float64)
    return torch.randint(0, spec[2], shape, dtype=torch.int64)


def rms_norm(x, w, normalized_shape=(8,)):
    """RMSNorm over the last dim (torch 1.13 has none), checking shapes as torch 2's F.rms_norm does."""
    n = len(normalized_shape)
    if x.dim() < n or tuple(x.shape[x.dim() - n:]) != normalized_shape or tuple(w.shape) != normalized_shape:
        raise RuntimeError(f"rms_norm: input {tuple(x.shape)}, weight {tuple(w.shape)}, normalized_shape {normalized_shape}")
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w


def with_ignored(t, pos, value=-100):
    t = t.clone()
    t[pos] = value
    return t


def topk(a, k, dim=-1, largest=True):
    """torch.topk's checks and values, with torch.sort(stable=True)'s order among ties (torch.topk leaves it
    unspecified; genlab's is the stable one), so indices and gradients are defined where values tie."""
    v = torch.topk(a, k, dim, largest).values
    s = torch.sort(a, dim=dim, descending=largest, stable=True)
    if a.dim() == 0:
        return s
    sv, si = s.values.narrow(dim, 0, k), s.indices.narrow(dim, 0, k)
    assert torch.equal(v.isnan(), sv.isnan()) and torch.equal(v.nan_to_num(), sv.detach().nan_to_num()), (v, sv)
    return sv, si


# name -> (input specs, differentiable flags, function). Keep in sync with tests/op_table.cpp.
CASES = {
    "add_bcast": ([normal(4, 5), normal(5)], [1, 1], lambda a, b: a + b),
    "sub_bcast": ([normal(3, 1, 4), normal(2, 4)], [1, 1], lambda a, b: a - b),
    "mul_bcast": ([normal(4, 5), normal(4, 1)], [1, 1], lambda a, b: a * b),
    "div": ([normal(4, 5), positive(4, 5)], [1, 1], lambda a, b: a / b),
    "pow_tensor": ([positive(3, 4), normal(3, 4)], [1, 1], lambda a, b: torch.pow(a, b)),
    "pow_scalar": ([positive(3, 4)], [1], lambda a: a ** 2.5),
    "scalar_ops": ([normal(3, 4)], [1], lambda a: (a * -0.7 + 1.5) / 2.0 - 0.25),
    "neg": ([normal(3, 7)], [1], lambda a: -a),
    "exp": ([normal(3, 7)], [1], torch.exp),
    "log": ([positive(3, 7)], [1], torch.log),
    "sqrt": ([positive(3, 7)], [1], torch.sqrt),
    "tanh": ([normal(3, 7)], [1], torch.tanh),
    "sigmoid": ([normal(3, 7)], [1], torch.sigmoid),
    "relu": ([normal(3, 7)], [1], torch.relu),
    "gelu": ([normal(3, 7)], [1], F.gelu),
    "gelu_tanh": ([normal(3, 7)], [1], lambda a: F.gelu(a, approximate="tanh")),
    "silu": ([normal(3, 7)], [1], F.silu),
    "softplus": ([normal(3, 7)], [1], F.softplus),
    "abs": ([normal(3, 7)], [1], torch.abs),
    "clamp": ([normal(4, 6)], [1], lambda a: torch.clamp(a, -0.5, 0.7)),
    "where": ([normal(4, 5), normal(4, 5)], [1, 1], lambda a, b: torch.where(a > 0, a, b)),
    "sum_all": ([normal(3, 4, 5)], [1], lambda a: a.sum()),
    "sum_dim_keepdim": ([normal(3, 4, 5)], [1], lambda a, dim=1: a.sum(dim, keepdim=True)),
    "sum_dims_02": ([normal(3, 4, 5)], [1], lambda a: a.sum((0, 2))),
    "mean_last": ([normal(3, 4, 5)], [1], lambda a, dim=-1: a.mean(dim)),
    "var_dim": ([normal(4, 6)], [1], lambda a, dim=1: a.var(dim)),
    "max_dim": ([normal(4, 6)], [1], lambda a, dim=1: a.max(dim).values),
    "argmax": ([normal(4, 6)], [0], lambda a, dim=1: a.argmax(dim).double()),
    "min_dim": ([normal(4, 6)], [1], lambda a, dim=1: a.min(dim).values),
    "argmin": ([normal(4, 6)], [0], lambda a, dim=1: a.argmin(dim).double()),
    "amax_dim": ([normal(4, 6)], [1], lambda a, dim=1: a.amax(dim)),
    "amin_dims_02": ([normal(3, 4, 5)], [1], lambda a: a.amin((0, 2))),
    "amax_dims_keepdim": ([normal(3, 4, 5)], [1], lambda a: a.amax((0, 1), keepdim=True)),
    "logsumexp": ([normal(3, 5)], [1], lambda a, dim=1: torch.logsumexp(a, dim)),
    "logsumexp_dims_02": ([normal(3, 4, 5)], [1], lambda a: torch.logsumexp(a, (0, 2), keepdim=True)),
    "std_dim": ([normal(4, 6)], [1], lambda a, dim=1: a.std(dim)),
    "any_dim": ([normal(4, 6)], [0], lambda a, dim=1: torch.any(F.relu(a - 1), dim).double()),
    "all_dim": ([normal(4, 6)], [0], lambda a, dim=1: torch.all(F.relu(a + 1), dim).double()),
    "cumsum": ([normal(3, 4, 5)], [1], lambda a, dim=1: torch.cumsum(a, dim)),
    "matmul_2d": ([normal(3, 4), normal(4, 5)], [1, 1], torch.matmul),
    "matmul_batched": ([normal(2, 3, 4), normal(2, 4, 5)], [1, 1], torch.matmul),
    "matmul_broadcast": ([normal(2, 3, 4), normal(4, 5)], [1, 1], torch.matmul),
    "matmul_vec": ([normal(3, 4), normal(4)], [1, 1], torch.matmul),
    "bmm": ([normal(2, 3, 4), normal(2, 4, 2)], [1, 1], torch.bmm),
    "linear": ([normal(3, 4), normal(5, 4), normal(5)], [1, 1, 1], F.linear),
    "softmax": ([normal(3, 7)], [1], lambda a, dim=-1: F.softmax(a, dim)),
    "softmax_dim0": ([normal(3, 7)], [1], lambda a: F.softmax(a, 0)),
    "log_softmax": ([normal(3, 7)], [1], lambda a, dim=-1: F.log_softmax(a, dim)),
    "layer_norm": ([normal(3, 8), normal(8), normal(8)], [1, 1, 1], lambda x, w, b: F.layer_norm(x, (8,), w, b)),
    "rms_norm": ([normal(3, 8), normal(8)], [1, 1], rms_norm),
    "embedding": ([normal(10, 4), index(10, 2, 3)], [1, 0], lambda w, i: F.embedding(i, w)),
    "bias_gelu": ([normal(3, 8), normal(8)], [1, 1], lambda x, b: F.gelu(x + b)),
    "bias_gelu_tanh": ([normal(2, 3, 8), normal(8)], [1, 1], lambda x, b: F.gelu(x + b, approximate="tanh")),
    "cat": ([normal(2, 3), normal(4, 3)], [1, 1], lambda a, b, dim=0: torch.cat([a, b], dim)),
    "stack": ([normal(2, 3), normal(2, 3)], [1, 1], lambda a, b, dim=1: torch.stack([a, b], dim)),
    "split": ([normal(5, 3)], [1], lambda a, dim=0: torch.split(a, 2, dim)[-1]),
    "gather": ([normal(3, 5), index(5, 3, 2)], [1, 0], lambda a, i, dim=1: torch.gather(a, dim, i)),
    "index_select": ([normal(5, 3), index(5, 4)], [1, 0], lambda a, i, dim=0: torch.index_select(a, dim, i)),
    "permute": ([normal(2, 3, 4)], [1], lambda a: a.permute(2, 0, 1).contiguous() * 2),
    "slice_step": ([normal(6, 4)], [1], lambda a: a[1:6:2] * 3),
    "expand": ([normal(3, 1)], [1], lambda a: a.expand(3, 4) * torch.arange(4, dtype=torch.float64)),
    "reshape": ([normal(2, 6)], [1], lambda a: a.t().reshape(3, 4) * 2),
    "cross_entropy": ([normal(5, 4), index(4, 5)], [1, 0], F.cross_entropy),
    "cross_entropy_smooth_ignore": ([normal(6, 5), index(5, 6)], [1, 0],
                                    lambda x, t: F.cross_entropy(x, with_ignored(t, 2), label_smoothing=0.1)),
    "nll_loss": ([normal(5, 4), index(4, 5)], [1, 0], F.nll_loss),
    "mse_loss": ([normal(4, 5), normal(4, 5)], [1, 1], F.mse_loss),
    "l1_loss": ([normal(4, 5), normal(4, 5)], [1, 1], F.l1_loss),
    "bce_with_logits": ([normal(4, 5), uniform(4, 5)], [1, 1], F.binary_cross_entropy_with_logits),
    "kl_div": ([normal(4, 5), normal(4, 5)], [1, 1],
               lambda a, b: F.kl_div(F.log_softmax(a, 1), F.softmax(b, 1), reduction="batchmean")),
    # Cases added with the edge-case mode (tests/parity/make_edge_fixtures.py): ops whose dim, boundary or
    # empty-input behaviour the issue-7 review found wrong. Keep them after kl_div (see main()).
    "mean_dim_keepdim": ([normal(3, 4, 5)], [1], lambda a, dim=1: a.mean(dim, keepdim=True)),
    "squeeze": ([normal(3, 1, 4)], [1], lambda a, dim=1: a.squeeze(dim) * 2),
    "unsqueeze": ([normal(3, 4)], [1], lambda a, dim=1: a.unsqueeze(dim) * 2),
    "select": ([normal(3, 4)], [1], lambda a, dim=0: a.select(dim, 0) * 2),
    "transpose": ([normal(2, 3, 4)], [1], lambda a, dim=1: a.transpose(dim, 0) * 2),
    "flatten": ([normal(2, 3, 4)], [1], lambda a, dim=0: a.flatten(dim, 1) * 2),
    "layer_norm_trailing": ([normal(3, 8)], [1], lambda a, dim=-1: F.layer_norm(a, a.shape[dim:])),
    "where_cond": ([normal(4, 5), normal(4, 5), normal(4, 5)], [0, 1, 1], lambda c, a, b: torch.where(c != 0, a, b)),
    "where_int_cond": ([index(1024, 4, 5), normal(4, 5), normal(4, 5)], [0, 1, 1],
                       lambda c, a, b: torch.where(c != 0, a, b)),
    "pow_zero": ([normal(3, 4)], [1], lambda a: a ** 0.0),
    "linear_3d": ([normal(2, 3, 4), normal(5, 4), normal(5)], [1, 1, 1], F.linear),
    # issue 10: unary math, activations, maximum/minimum (after linear_3d: earlier cases keep their inputs)
    "sin": ([normal(3, 7)], [1], lambda a: torch.sin(a * 3)),
    "cos": ([normal(3, 7)], [1], lambda a: torch.cos(a * 3)),
    "erf": ([normal(3, 7)], [1], torch.erf),
    "log1p": ([uniform(3, 7)], [1], lambda a: torch.log1p(a - 0.5)),
    "expm1": ([normal(3, 7)], [1], torch.expm1),
    "rsqrt": ([positive(3, 7)], [1], torch.rsqrt),
    "reciprocal": ([positive(3, 7)], [1], torch.reciprocal),
    "sign": ([normal(3, 7)], [1], torch.sign),
    "floor": ([normal(3, 7)], [1], lambda a: torch.floor(a * 4)),
    "round": ([normal(3, 7)], [1], lambda a: torch.round(a * 4)),
    "leaky_relu": ([normal(3, 7)], [1], F.leaky_relu),
    "leaky_relu_slope": ([normal(3, 7)], [1], lambda a: F.leaky_relu(a, 0.2)),
    "elu": ([normal(3, 7)], [1], F.elu),
    "elu_alpha": ([normal(3, 7)], [1], lambda a: F.elu(a, 0.5)),
    "mish": ([normal(3, 7)], [1], F.mish),
    "hardtanh": ([normal(3, 7)], [1], F.hardtanh),
    "hardtanh_bounds": ([normal(3, 7)], [1], lambda a: F.hardtanh(a, -0.5, 2.0)),
    "logsigmoid": ([normal(3, 7)], [1], F.logsigmoid),
    "maximum": ([normal(4, 5), normal(5)], [1, 1], torch.maximum),
    "minimum": ([normal(3, 1, 4), normal(2, 4)], [1, 1], torch.minimum),
    # issue 10: composed index/shape ops and losses (op_table.cpp: the block after linear_3d)
    "masked_fill": ([normal(2, 3, 4), normal(3, 1)], [1, 0], lambda a, m: a.masked_fill(m > 0, -1e4)),
    "masked_fill_value": ([normal(4, 1), normal(3, 1, 5), normal()], [1, 0, 1],
                          lambda a, m, v: a.masked_fill(m > 0, v)),
    "one_hot": ([index(5, 2, 3)], [0], lambda i: F.one_hot(i, 5).double()),
    "one_hot_infer": ([index(6, 7)], [0], lambda i: F.one_hot(i).double()),
    "pad_constant": ([normal(2, 3, 4)], [1], lambda a: F.pad(a, (1, 2, -1, 1), value=0.5)),
    "pad_reflect": ([normal(2, 3, 5)], [1], lambda a: F.pad(a, (2, 1, 1, 2), mode="reflect")),
    "pad_reflect_1d": ([normal(2, 4)], [1], lambda a: F.pad(a, (3, -1), mode="reflect")),
    "pad_replicate": ([normal(2, 3, 4)], [1], lambda a: F.pad(a, (5, 2), mode="replicate")),
    "chunk": ([normal(5, 3)], [1], lambda a, dim=0: torch.cat(torch.chunk(a, 3, dim)[::-1], dim)),
    "flip": ([normal(2, 3, 4)], [1], lambda a, dim=1: torch.flip(a, [dim])),
    "flip_dims": ([normal(2, 3, 4)], [1], lambda a: torch.flip(a, [0, -1])),
    "roll": ([normal(3, 4)], [1], lambda a, dim=1: torch.roll(a, 3, dim)),
    "roll_dims": ([normal(3, 4)], [1], lambda a: torch.roll(a, (1, -5, 2), (0, 1, 0))),
    "roll_flat": ([normal(3, 4)], [1], lambda a: torch.roll(a, 5)),
    "repeat": ([normal(2, 3)], [1], lambda a: a.repeat(2, 1, 3)),
    "bce": ([uniform(4, 5), uniform(4, 5)], [1, 1], F.binary_cross_entropy),
    "bce_weight": ([uniform(4, 5), uniform(4, 5), positive(5)], [1, 1, 0],
                   lambda x, t, w: F.binary_cross_entropy(x, t, weight=w, reduction="none")),
    "bce_weight_sum": ([uniform(4, 5), uniform(4, 5), positive(4, 1)], [1, 1, 0],
                       lambda x, t, w: F.binary_cross_entropy(x, t, weight=w, reduction="sum")),
    "smooth_l1": ([normal(4, 5), normal(4, 5)], [1, 1], F.smooth_l1_loss),
    "smooth_l1_beta": ([normal(4, 5), normal(4, 5)], [1, 1],
                       lambda a, b: F.smooth_l1_loss(a, b, reduction="none", beta=0.5)),
    "smooth_l1_beta0": ([normal(4, 5), normal(4, 5)], [1, 1],
                        lambda a, b: F.smooth_l1_loss(a, b, reduction="sum", beta=0.0)),
    "huber": ([normal(4, 5), normal(4, 5)], [1, 1], F.huber_loss),
    "huber_delta": ([normal(4, 5), normal(4, 5)], [1, 1], lambda a, b: F.huber_loss(a, b, reduction="none", delta=0.7)),
    "cross_entropy_weight": ([normal(6, 5), index(5, 6), positive(5)], [1, 0, 0],
                             lambda x, t, w: F.cross_entropy(x, with_ignored(t, 2), weight=w)),
    "cross_entropy_weight_smooth": ([normal(6, 5), index(5, 6), positive(5)], [1, 0, 0],
                                    lambda x, t, w: F.cross_entropy(x, with_ignored(t, 1), weight=w, label_smoothing=0.2)),
    "cross_entropy_weight_none": ([normal(6, 5), index(5, 6), positive(5)], [1, 0, 0],
                                  lambda x, t, w: F.cross_entropy(x, with_ignored(t, 3), weight=w, label_smoothing=0.1,
                                                                  reduction="none")),
    "nll_loss_weight_sum": ([normal(5, 4), index(4, 5), positive(4)], [1, 0, 0],
                            lambda x, t, w: F.nll_loss(x, t, weight=w, reduction="sum")),
    "cross_entropy_probs": ([normal(5, 4), uniform(5, 4)], [1, 1], F.cross_entropy),
    "cross_entropy_probs_weight_smooth": ([normal(5, 4), uniform(5, 4), positive(4)], [1, 1, 0],
                                          lambda x, p, w: F.cross_entropy(x, p, weight=w, label_smoothing=0.3)),
    "cross_entropy_probs_none": ([normal(5, 4), uniform(5, 4), positive(4)], [1, 1, 0],
                                 lambda x, p, w: F.cross_entropy(x, p, weight=w, reduction="none")),
    # issue 10: sorting, always with torch's stable order (op_table.cpp: the block after cross_entropy_probs_none)
    "sort": ([normal(4, 6)], [1], lambda a, dim=-1: torch.sort(a, dim=dim, stable=True).values),
    "sort_indices": ([normal(4, 6)], [0], lambda a, dim=-1: torch.sort(a, dim=dim, stable=True).indices.double()),
    "sort_descending": ([normal(4, 6)], [1],
                        lambda a, dim=0: torch.sort(a, dim=dim, descending=True, stable=True).values),
    "argsort_descending": ([normal(4, 6)], [0],
                           lambda a, dim=0: torch.argsort(a, dim=dim, descending=True, stable=True).double()),
    "sort_long": ([normal(2, 300)], [1], lambda a: torch.sort(a, dim=-1, descending=True, stable=True).values),
    "topk": ([normal(4, 6)], [1], lambda a, dim=-1: topk(a, 3, dim)[0]),
    "topk_indices": ([normal(4, 6)], [0], lambda a, dim=-1: topk(a, 3, dim)[1].double()),
    "topk_smallest": ([normal(5, 4)], [1], lambda a, dim=0: topk(a, 2, dim, largest=False)[0]),
    "topk_k1": ([normal(3, 5)], [1], lambda a, dim=1: topk(a, 1, dim)[0]),
    "topk_long": ([normal(2, 400)], [1], lambda a: topk(a, 5)[0]),
    # issue 10: scatter_add, index_add, prod, einsum (op_table.cpp: the block after cross_entropy_probs_none)
    "scatter_add": ([normal(4, 5), index(5, 3, 2), normal(3, 2)], [1, 0, 1],
                    lambda s, i, src, dim=1: torch.scatter_add(s, dim, i, src)),
    "scatter_add_3d": ([normal(2, 4, 3), index(4, 2, 5, 3), normal(2, 5, 3)], [1, 0, 1],
                       lambda s, i, src, dim=1: torch.scatter_add(s, dim, i, src)),
    "index_add": ([normal(5, 3), index(5, 4), normal(4, 3)], [1, 0, 1],
                  lambda s, i, src, dim=0: torch.index_add(s, dim, i, src)),
    "index_add_alpha": ([normal(2, 5, 3), index(5, 7), normal(2, 7, 3)], [1, 0, 1],
                        lambda s, i, src, dim=1: torch.index_add(s, dim, i, src, alpha=-0.5)),
    "prod_dim": ([normal(3, 4, 5)], [1], lambda a, dim=1: torch.prod(a, dim)),
    "prod_dim_keepdim": ([normal(4, 6)], [1], lambda a, dim=1: torch.prod(a, dim, keepdim=True)),
    "prod_all": ([normal(3, 4)], [1], torch.prod),
    "einsum_mm": ([normal(3, 4), normal(4, 5)], [1, 1], lambda a, b: torch.einsum("ij,jk->ik", a, b)),
    "einsum_bmm": ([normal(2, 3, 4), normal(2, 4, 5)], [1, 1], lambda a, b: torch.einsum("bij,bjk->bik", a, b)),
    "einsum_attention": ([normal(2, 2, 3, 4), normal(2, 2, 5, 4)], [1, 1],
                         lambda a, b: torch.einsum("bhqd,bhkd->bhqk", a, b)),
    "einsum_dot": ([normal(5), normal(5)], [1, 1], lambda a, b: torch.einsum("i,i->", a, b)),
    "einsum_outer": ([normal(3), normal(4)], [1, 1], lambda a, b: torch.einsum("i,j->ij", a, b)),
    "einsum_batch_outer": ([normal(2, 3), normal(2, 4)], [1, 1], lambda a, b: torch.einsum("bi,bj->bij", a, b)),
    "einsum_hadamard": ([normal(3, 4), normal(3, 4)], [1, 1], lambda a, b: torch.einsum("ij,ij->ij", a, b)),
    "einsum_proj": ([normal(2, 3, 4), normal(4, 5)], [1, 1], lambda a, b: torch.einsum("bld,dh->blh", a, b)),
    "einsum_sum_out": ([normal(3, 4, 2), normal(4, 5)], [1, 1], lambda a, b: torch.einsum("ijk,jl->il", a, b)),
    "einsum_implicit": ([normal(3, 4), normal(5, 4)], [1, 1], lambda a, b: torch.einsum("ij,kj", a, b)),
    "einsum_ellipsis": ([normal(2, 3, 4), normal(4, 5)], [1, 1], lambda a, b: torch.einsum("...ij,...jk->...ik", a, b)),
    "einsum_transpose": ([normal(3, 4)], [1], lambda a: torch.einsum("ij->ji", a)),
    "einsum_implicit_upper": ([normal(3, 4)], [1], lambda a: torch.einsum("bA", a)),
    "einsum_sum": ([normal(3, 4)], [1], lambda a: torch.einsum("ij->", a)),
    "einsum_diagonal": ([normal(4, 4)], [1], lambda a: torch.einsum("ii->i", a)),
    "einsum_trace": ([normal(4, 4)], [1], lambda a: torch.einsum("ii", a)),
    # issue 11: convolution and pooling
    "conv2d": ([normal(2, 3, 6, 5), normal(4, 3, 3, 3), normal(4)], [1, 1, 1], F.conv2d),
    "conv2d_stride2_pad": ([normal(2, 3, 7, 6), normal(4, 3, 3, 2), normal(4)], [1, 1, 1],
                           lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=(1, 2))),
    "conv2d_dilation2": ([normal(1, 2, 7, 8), normal(3, 2, 3, 3)], [1, 1],
                         lambda x, w: F.conv2d(x, w, stride=(1, 2), padding=1, dilation=2)),
    "conv2d_groups2": ([normal(2, 4, 5, 5), normal(6, 2, 3, 3), normal(6)], [1, 1, 1],
                       lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=2)),
    "conv2d_depthwise": ([normal(2, 3, 5, 6), normal(6, 1, 3, 3), normal(6)], [1, 1, 1],
                         lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=3)),
    "conv2d_1x1": ([normal(2, 5, 4, 3), normal(3, 5, 1, 1), normal(3)], [1, 1, 1], F.conv2d),
    "conv2d_same": ([normal(2, 2, 5, 6), normal(3, 2, 2, 4), normal(3)], [1, 1, 1],
                    lambda x, w, b: F.conv2d(x, w, b, padding="same")),
    "conv2d_same_dilated": ([normal(1, 2, 6, 5), normal(2, 2, 3, 3)], [1, 1],
                            lambda x, w: F.conv2d(x, w, padding="same", dilation=2)),
    "conv2d_unbatched": ([normal(3, 5, 5), normal(2, 3, 3, 3), normal(2)], [1, 1, 1],
                         lambda x, w, b: F.conv2d(x, w, b, padding=1)),
    # stride 1, output as wide as the input: the shifted-row im2col, where the kernel outgrows the
    # input (rows clipped) and where the padding is as wide as the input
    "conv2d_5x5_pad2_small": ([normal(2, 3, 3, 4), normal(2, 3, 5, 5), normal(2)], [1, 1, 1],
                              lambda x, w, b: F.conv2d(x, w, b, padding=2)),
    "conv2d_pad_wider_than_input": ([normal(1, 2, 4, 1), normal(3, 2, 3, 3)], [1, 1],
                                    lambda x, w: F.conv2d(x, w, padding=1)),
    # 8 input channels per group or more: the input gradient runs as a convolution of gy
    "conv2d_grouped_dilated_8ch": ([normal(2, 16, 6, 5), normal(4, 8, 3, 3), normal(4)], [1, 1, 1],
                                   lambda x, w, b: F.conv2d(x, w, b, padding=2, dilation=2, groups=2)),
    "conv1d": ([normal(2, 3, 9), normal(4, 3, 3), normal(4)], [1, 1, 1],
               lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1)),
    "conv1d_groups_same": ([normal(2, 4, 8), normal(4, 2, 3)], [1, 1],
                           lambda x, w: F.conv1d(x, w, padding="same", dilation=2, groups=2)),
    "max_pool2d": ([normal(2, 3, 7, 6)], [1], lambda x: F.max_pool2d(x, 3, 2)),
    "max_pool2d_pad_ceil": ([normal(2, 2, 7, 7)], [1], lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
    "max_pool2d_dilation": ([normal(1, 2, 8, 7)], [1], lambda x: F.max_pool2d(x, (2, 3), 1, (0, 1), dilation=2)),
    "max_pool2d_indices": ([normal(2, 3, 6, 6)], [0], lambda x: F.max_pool2d(x, 2, return_indices=True)[1].double()),
    "avg_pool2d": ([normal(2, 3, 6, 7)], [1], lambda x: F.avg_pool2d(x, 2)),
    "avg_pool2d_pad_ceil": ([normal(2, 2, 7, 6)], [1], lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)),
    "avg_pool2d_exclude_pad": ([normal(2, 2, 7, 6)], [1],
                               lambda x: F.avg_pool2d(x, (3, 2), 2, 1, ceil_mode=True, count_include_pad=False)),
    "adaptive_avg_pool2d": ([normal(2, 3, 7, 5)], [1], lambda x: F.adaptive_avg_pool2d(x, (3, 2))),
    "adaptive_avg_pool2d_up": ([normal(3, 4, 3)], [1], lambda x: F.adaptive_avg_pool2d(x, (5, 4))),
    # issue 11: normalisation over batch, instance and group statistics (running stats: make_norm_fixtures.py)
    "batch_norm_train": ([normal(4, 3, 5), normal(3), normal(3)], [1, 1, 1],
                         lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)),
    "batch_norm_train_2d": ([normal(2, 3, 4, 5), normal(3), normal(3)], [1, 1, 1],
                            lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)),
    "batch_norm_train_1d": ([normal(6, 4)], [1], lambda x: F.batch_norm(x, None, None, training=True)),
    "batch_norm_eval": ([normal(4, 3, 5), normal(3), positive(3), normal(3), normal(3)], [1, 0, 0, 1, 1],
                        lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=False)),
    "batch_norm_eval_2d": ([normal(2, 3, 4, 5), normal(3), positive(3)], [1, 0, 0], F.batch_norm),
    "instance_norm": ([normal(2, 3, 6), normal(3), normal(3)], [1, 1, 1],
                      lambda x, w, b: F.instance_norm(x, weight=w, bias=b)),
    "instance_norm_2d": ([normal(2, 3, 4, 5)], [1], F.instance_norm),
    "group_norm": ([normal(2, 6, 5), normal(6), normal(6)], [1, 1, 1], lambda x, w, b: F.group_norm(x, 3, w, b)),
    "group_norm_2d": ([normal(2, 4, 3, 3)], [1], lambda x: F.group_norm(x, 2)),
    # issue 11: transposed convolution and interpolation
    "conv_transpose2d": ([normal(2, 4, 5, 5), normal(4, 3, 3, 3), normal(3)], [1, 1, 1], F.conv_transpose2d),
    "conv_transpose2d_stride2_outpad": ([normal(2, 3, 4, 5), normal(3, 2, 3, 4), normal(2)], [1, 1, 1],
                                        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 3), padding=(1, 0),
                                                                           output_padding=(1, 2))),
    "conv_transpose2d_groups": ([normal(2, 4, 5, 4), normal(4, 3, 3, 3), normal(6)], [1, 1, 1],
                                lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, groups=2)),
    "conv_transpose2d_dilation": ([normal(1, 2, 5, 6), normal(2, 3, 3, 2)], [1, 1],
                                  lambda x, w: F.conv_transpose2d(x, w, padding=1, output_padding=(1, 0),
                                                                  dilation=(2, 1))),
    "conv_transpose2d_unbatched": ([normal(3, 4, 4), normal(3, 2, 2, 2), normal(2)], [1, 1, 1],
                                   lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2)),
    "conv_transpose2d_1x1": ([normal(2, 5, 4, 3), normal(5, 3, 1, 1), normal(3)], [1, 1, 1], F.conv_transpose2d),
    "conv_transpose1d": ([normal(2, 3, 7), normal(3, 4, 3), normal(4)], [1, 1, 1],
                         lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1)),
    "interpolate_nearest_size": ([normal(2, 3, 5, 4)], [1], lambda x: F.interpolate(x, size=(7, 6))),
    "interpolate_nearest_scale": ([normal(2, 3, 5, 4)], [1], lambda x: F.interpolate(x, scale_factor=1.7)),
    "interpolate_nearest_down": ([normal(2, 3, 7, 6)], [1], lambda x: F.interpolate(x, scale_factor=(0.55, 0.5))),
    "interpolate_nearest_1d": ([normal(2, 3, 7)], [1], lambda x: F.interpolate(x, scale_factor=2.5)),
    "interpolate_bilinear": ([normal(2, 3, 5, 4)], [1], lambda x: F.interpolate(x, size=(7, 9), mode="bilinear")),
    "interpolate_bilinear_align": ([normal(2, 3, 5, 4)], [1],
                                   lambda x: F.interpolate(x, size=(8, 7), mode="bilinear", align_corners=True)),
    "interpolate_bilinear_scale": ([normal(2, 3, 4, 5)], [1],
                                   lambda x: F.interpolate(x, scale_factor=1.7, mode="bilinear")),
    "interpolate_bilinear_x2": ([normal(2, 3, 4, 5)], [1], lambda x: F.interpolate(x, scale_factor=2, mode="bilinear")),
    "interpolate_bilinear_down": ([normal(2, 2, 7, 8)], [1], lambda x: F.interpolate(x, size=(3, 5), mode="bilinear")),
    "interpolate_bilinear_down_align": ([normal(2, 2, 7, 8)], [1],
                                        lambda x: F.interpolate(x, scale_factor=(0.5, 0.6), mode="bilinear",
                                                                align_corners=True)),
    "interpolate_linear": ([normal(2, 3, 7)], [1], lambda x: F.interpolate(x, size=10, mode="linear")),
    "interpolate_linear_align_scale": ([normal(2, 3, 6)], [1],
                                       lambda x: F.interpolate(x, scale_factor=1.5, mode="linear", align_corners=True)),
    # issue 11: recurrent cells and whole-sequence recurrences (references in rnn_reference.py)
    "lstm_cell_pointwise": ([normal(4, 12), normal(4, 12), normal(4, 3)], [1, 1, 1],
                            lambda gx, gh, c: torch.stack(rnn.lstm_cell_pointwise(gx, gh, c))),
    "gru_cell_pointwise": ([normal(4, 9), normal(4, 9), normal(4, 3)], [1, 1, 1], rnn.gru_cell_pointwise),
    "lstm_recurrence": ([normal(3, 4, 8), normal(8, 2), normal(4, 2), normal(4, 2)], [1, 1, 1, 1],
                        lambda gx, w, h, c: rnn.recurrence("lstm", gx, w, h, c)),
    "lstm_recurrence_packed_reverse": ([normal(3, 4, 8), normal(8, 2), normal(4, 2), normal(4, 2)], [1, 1, 1, 1],
                                       lambda gx, w, h, c: rnn.recurrence("lstm", gx, w, h, c, packed=True,
                                                                          reverse=True)),
    "gru_recurrence": ([normal(3, 4, 6), normal(6, 2), normal(6), normal(4, 2)], [1, 1, 1, 1],
                       lambda gx, w, b, h: rnn.recurrence("gru", gx, w, h, b_hh=b)),
    "gru_recurrence_packed": ([normal(3, 4, 6), normal(6, 2), normal(6), normal(4, 2)], [1, 1, 1, 1],
                              lambda gx, w, b, h: rnn.recurrence("gru", gx, w, h, b_hh=b, packed=True)),
    "rnn_recurrence_tanh": ([normal(3, 4, 5), normal(5, 5), normal(4, 5)], [1, 1, 1],
                            lambda gx, w, h: rnn.recurrence("tanh", gx, w, h)),
    "rnn_recurrence_relu_packed_reverse": ([normal(3, 4, 5), normal(5, 5), normal(4, 5)], [1, 1, 1],
                                           lambda gx, w, h: rnn.recurrence("relu", gx, w, h, packed=True,
                                                                           reverse=True)),
}


def weights(n):
    return torch.tensor([0.5 + 0.37 * ((i * 7919) % 11) / 11.0 for i in range(n)], dtype=torch.float64)


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        dt = {torch.float64: "F64", torch.int64: "I64", torch.uint8: "U8"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    header["__metadata__"] = {"producer": "torch " + torch.__version__}
    js = json.dumps(header).encode()
    js += b" " * ((8 - (len(js) + 8) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(blobs))


OPTIMIZERS = {
    "sgd_momentum": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda p: torch.optim.Adam([p], lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01),
    "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1),
}


def optimizer_fixtures():
    tensors = {}
    for name, make in OPTIMIZERS.items():
        p = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
        tensors[f"{name}.p0"] = p.detach().clone()
        opt = make(p)
        for step in range(1, 4):
            g = torch.randn(3, 4, dtype=torch.float64)
            tensors[f"{name}.g{step}"] = g
            p.grad = g.clone()
            opt.step()
            tensors[f"{name}.p{step}"] = p.detach().clone()
    return tensors


def main(out_dir):
    tensors = {}
    optim_rng = None
    for name, (specs, diff, fn) in CASES.items():
        ins = [gen(s) for s in specs]
        for i, (x, d) in enumerate(zip(ins, diff)):
            tensors[f"{name}.in{i}"] = x
            if d:
                x.requires_grad_(True)
        y = fn(*ins)
        tensors[f"{name}.out"] = y.detach().double()
        if y.requires_grad:
            (y * weights(y.numel()).reshape(y.shape)).sum().backward()
            for i, (x, d) in enumerate(zip(ins, diff)):
                if d:
                    tensors[f"{name}.grad{i}"] = x.grad
        if name == "kl_div":  # the optimizer trajectories draw from here on, as before later cases were added
            optim_rng = torch.get_rng_state()
    save_safetensors(f"{out_dir}/ops.safetensors", tensors)
    torch.set_rng_state(optim_rng)
    save_safetensors(f"{out_dir}/optim.safetensors", optimizer_fixtures())
    print(f"wrote {len(CASES)} op cases and {len(OPTIMIZERS)} optimizer trajectories to {out_dir}")
    import make_edge_fixtures  # edge.safetensors for `genlab_ops edge`, from the same CASES
    make_edge_fixtures.main(out_dir)
    import make_optim_fixtures  # optim_late_start.safetensors: per-parameter Adam steps
    save_safetensors(f"{out_dir}/optim_late_start.safetensors", make_optim_fixtures.late_start())
    import make_cnn_fixtures  # cnn_models.safetensors: the CNN family's PyTorch twins
    make_cnn_fixtures.main(f"{out_dir}/cnn_models.safetensors")
    import make_norm_fixtures  # norm.safetensors: running stats and state_dict names of the norm layers
    save_safetensors(f"{out_dir}/norm.safetensors", make_norm_fixtures.norm_fixtures())
    import make_rnn_model_fixtures  # rnn_models.safetensors: the recurrent family's PyTorch twins
    make_rnn_model_fixtures.main(f"{out_dir}/rnn_models.safetensors")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/parity")
