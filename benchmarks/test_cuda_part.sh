#!/usr/bin/env bash
# ctest bench_cuda_part_on_emulated_device: the CUDA part of genlab_bench runs
# on the emulated device (code paths only) and report.py renders its section.
#   benchmarks/test_cuda_part.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$(mktemp -d)
trap 'rm -rf "$RUN"' EXIT
GENLAB_CUDA_EMULATE=1 "$1/benchmarks/genlab_bench" "$RUN/genlab_cuda_r1.json" --only cuda --quick
/usr/bin/python3 "$ROOT/benchmarks/report.py" "$RUN" "$RUN/report.md" > /dev/null
for row in "cuda matmul 64x96 @ 96x80 vs one raw cuBLAS call" "cuda softmax vs device copy bandwidth" \
           "cuda layer_norm vs device copy bandwidth" "cuda add vs device copy bandwidth" \
           "cuda gelu vs device copy bandwidth" "MLP epoch, CPU time / CUDA time" "Emulated device"; do
  grep -qF "$row" "$RUN/report.md" || { echo "report.md lacks: $row"; cat "$RUN/report.md"; exit 1; }
done
echo "CUDA part: every row rendered"
