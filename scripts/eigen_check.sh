#!/usr/bin/env bash
# The Eigen GEMM backend (-DGENLAB_BLAS=eigen): build it and run the op harness
# and unit tests against it, so the configure-time choice stays working.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B="$ROOT/build-eigen"
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release -DGENLAB_BLAS=eigen -DGENLAB_CUDA=OFF -DGENLAB_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$B" -j2 --target genlab_ops genlab_tests
"$B/tests/genlab_ops" parity | tail -1
"$B/tests/genlab_ops" grad | tail -1
"$B/tests/genlab_tests" --gtest_brief=1 --gtest_filter=-Tutorial.*
echo "eigen: GEMM backend checked"
