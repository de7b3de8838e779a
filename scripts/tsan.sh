#!/usr/bin/env bash
# ThreadSanitizer run of the threaded tests: concurrent backward into shared
# leaves, the DataLoader's prefetch thread, OpenMP loops, GEMM groups and
# optimizer steps, at 2 threads.
#
# TSan only understands OpenMP's synchronisation through LLVM's libomp with its
# Archer tool, so this build uses clang + libomp, and Eigen rather than the
# libgomp-linked OpenBLAS (a second OpenMP runtime TSan cannot see into).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B="$ROOT/build-tsan"
ARCHER=/usr/lib/llvm-14/lib/libarcher.so
[ -f "$ARCHER" ] || { echo "tsan: $ARCHER missing (Debian package libomp-14-dev, installed by scripts/deps.sh)"; exit 1; }
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" -DGENLAB_BLAS=eigen -DGENLAB_CUDA=OFF \
  -DGENLAB_BUILD_BENCHMARKS=OFF -DCMAKE_CXX_FLAGS="-fsanitize=thread" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
cmake --build "$B" -j2 --target genlab_thread_tests
export OMP_TOOL_LIBRARIES="$ARCHER" GENLAB_NUM_THREADS=2
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1"
"$B/tests/genlab_thread_tests" --gtest_brief=1 \
  --gtest_filter='Threads.*:DataLoader.*:Graph.*:InPlace.*:GemmGroup.*:Optim.*:Autograd.*'
echo "tsan: ThreadSanitizer run of the threaded tests passed"
