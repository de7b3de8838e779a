#!/usr/bin/env bash
# The one ASan + UBSan build (build-asan/, clang) that `make sanitize` and `make fuzz`
# share: configured the same way by both, so the library is compiled once. Line tables
# rather than full debug info: enough for the sanitizers' stack traces, much faster to build.
# Usage: source this from a script that set ROOT; it sets B.
B="$ROOT/build-asan"
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" \
  -DGENLAB_SANITIZE=ON -DGENLAB_FUZZ=ON -DGENLAB_CUDA=OFF -DGENLAB_BUILD_BENCHMARKS=OFF >/dev/null
