#!/usr/bin/python3
"""Independent reference for tests/test_corpora.cpp, run by the test itself
(the numbers follow whatever versions of the Debian packages are installed).

digits: scikit-learn's own loader (sklearn.datasets.load_digits).
fortunes: every fortune file with a strfile index in the directory, split on
lines holding only "%", counted against the index's header.

Prints "key value..." lines. Usage: data_reference.py FORTUNES_DIR
"""
import os
import struct
import sys

import numpy as np
from sklearn.datasets import load_digits

d = load_digits()
x, y = d.data.astype(np.int64), d.target.astype(np.int64)
print("digits_n", len(y))
print("digits_label_counts", *np.bincount(y, minlength=10))
print("digits_pixel_sum", int(x.sum()))
print("digits_weighted_sum", int((x.sum(axis=1) * np.arange(len(y))).sum()))  # row order matters
print("digits_first_image", *x[0])

root = sys.argv[1]
files = sorted(f for f in os.listdir(root) if "." not in f and os.path.isfile(os.path.join(root, f))
               and not os.path.islink(os.path.join(root, f)) and os.path.exists(os.path.join(root, f + ".dat")))
docs, nbytes, indexed = 0, 0, 0
for f in files:
    data = open(os.path.join(root, f), "rb").read()
    lines = [l + b"\n" for l in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]  # the text after the last newline, if any
    cur, parts = [], []
    for line in lines:
        if line in (b"%\n", b"%"):
            if cur: parts.append(b"".join(cur))
            cur = []
        elif line:
            cur.append(line)
    if cur: parts.append(b"".join(cur))
    docs += len(parts)
    nbytes += sum(len(p) + 2 for p in parts)  # each followed by "%\n"
    indexed += struct.unpack(">5I", open(os.path.join(root, f + ".dat"), "rb").read(20))[1]
print("fortunes_files", len(files))
print("fortunes_docs", docs, indexed)
print("fortunes_bytes", nbytes)
