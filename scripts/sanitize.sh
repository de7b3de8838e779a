#!/usr/bin/env bash
# ASan + UBSan build (clang) of the library and the unit tests (tutorial/bench targets skipped).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/scripts/asan_configure.sh"
cmake --build "$B" -j2 --target genlab_tests genlab_ops genlab_gpu_tests
# OpenMP's runtime keeps thread pools alive at exit; leak checks would only report those.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$B/tests/genlab_tests" --gtest_brief=1 --gtest_filter=-*Convergence*:*Tutorial*
"$B/tests/genlab_ops" grad > /dev/null
# Every op on the edge-case inputs, in-process so ASan/UBSan report any bad access.
"$B/tests/genlab_ops" edge --backend cpu --no-fork > "$B/edge.log" || { grep -v " OK" "$B/edge.log" | tail -40; exit 1; }
# The CUDA code paths of the ops on the emulated device (built without nvcc here).
GENLAB_CUDA_EMULATE=1 "$B/tests/genlab_gpu_tests" --gtest_brief=1
echo "sanitize: ASan+UBSan test run passed"
