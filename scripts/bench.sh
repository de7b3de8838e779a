#!/usr/bin/env bash
# make bench: genlab and its peers measured in one run, on the same machine.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (pinned here for tests) are unset for
# genlab and peers alike so OpenBLAS uses its best kernels. PyTorch is measured
# at 1 and 2 threads, with and without OPENBLAS_NUM_THREADS=1 and OMP_PROC_BIND,
# and its best time is kept. Set QUICK=1 for fewer repetitions.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/reports/bench-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
Q=""
[ "${QUICK:-0}" = 1 ] && Q="--quick"
run() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; }

echo "== genlab"
run "$ROOT/$BUILD/benchmarks/genlab_bench" "$OUT/genlab.json" $Q
echo "== PyTorch peer"
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  for t in 1 2; do
    run /usr/bin/python3 "$ROOT/benchmarks/peers/torch_peer.py" "$t" "$OUT/torch_t${t}.json" $Q
    run env OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$ROOT/benchmarks/peers/torch_peer.py" "$t" "$OUT/torch_t${t}_ob1.json" $Q
    run env OPENBLAS_NUM_THREADS=1 OMP_PROC_BIND=true /usr/bin/python3 "$ROOT/benchmarks/peers/torch_peer.py" "$t" "$OUT/torch_t${t}_ob1_bind.json" $Q
  done
else
  echo "python3-torch missing (apt-get install python3-torch): PyTorch ratios will be absent"
fi
echo "== micro-benchmarks (Google Benchmark)"
run "$ROOT/$BUILD/benchmarks/genlab_micro" --benchmark_min_time=0.2 --benchmark_out="$OUT/micro.json" \
  --benchmark_out_format=json | tail -n +4
/usr/bin/python3 "$ROOT/benchmarks/report.py" "$OUT" "$ROOT/reports/bench.md"
