"""TF32 matmul fixture (tf32_matmul.safetensors) for set_float32_matmul_precision.

numpy only, independent of genlab: TF32 keeps float32's sign and 8-bit exponent
and 10 explicit mantissa bits. tf32() rounds to nearest, ties to even, through
frexp and numpy's half-to-even round (not the bit trick genlab's emulated GEMM
uses), and the references are float64 products of the (rounded) float32 inputs.

Keys (float32 inputs, float64 references):
  a [48, 256], b [256, 40]: a ~ N(0, 1), b ~ N(0, 1) / 16 (outputs of order 1)
  c_fp32 = a @ b and c_tf32 = tf32(a) @ tf32(b), exact in float64
  x [1, 8]: values whose TF32 rounding is known by hand (ties both ways, above
  a tie, negative, inexact decimals); x_tf32 = tf32(x) = x @ I at "high"

Run: /usr/bin/python3 tests/parity/make_tf32_fixtures.py tests/parity
"""
import json
import struct
import sys

import numpy as np


def tf32(x):
    """float32 -> the nearest TF32 value (ties to even), as float32."""
    x = np.asarray(x, dtype=np.float32).astype(np.float64)
    m, e = np.frexp(x)  # x = m 2^e, 0.5 <= |m| < 1: 11 significant bits are m * 2^11 rounded
    return (np.round(m * 2.0**11) * 2.0 ** (e - 11)).astype(np.float32)


def save_safetensors(path, tensors, producer):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = np.ascontiguousarray(tensors[name])
        dt = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64"}[t.dtype]
        data = t.astype(t.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    header["__metadata__"] = {"producer": producer}
    js = json.dumps(header).encode()
    js += b" " * ((8 - (len(js) + 8) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(blobs))


def main(out_dir):
    rng = np.random.default_rng(2024)
    a = rng.standard_normal((48, 256)).astype(np.float32)
    b = (rng.standard_normal((256, 40)) / 16).astype(np.float32)
    u = 2.0**-11  # half a TF32 ulp at 1
    x = np.array([[1 + u, 1 + 3 * u, 1 + u + 2.0**-20, -(1 + u), 0.1, 1 / 3, 1e-30, 12345.678]], dtype=np.float32)
    x_tf32 = tf32(x)
    # the hand-known cases: ties go to the even neighbour, just above a tie goes up
    assert x_tf32[0, 0] == 1.0 and x_tf32[0, 1] == 1 + 4 * u and x_tf32[0, 2] == 1 + 2 * u and x_tf32[0, 3] == -1.0
    out = {
        "a": a,
        "b": b,
        "c_fp32": a.astype(np.float64) @ b.astype(np.float64),
        "c_tf32": tf32(a).astype(np.float64) @ tf32(b).astype(np.float64),
        "x": x,
        "x_tf32": x_tf32,
    }
    save_safetensors(f"{out_dir}/tf32_matmul.safetensors", out, "numpy " + np.__version__)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
