#!/usr/bin/env bash
# make bench: genlab and its peers measured in one run, on the same machine.
# The machine is shared and noisy, so genlab and PyTorch are measured in
# alternating rounds (ROUNDS, default 5) and the report takes medians across
# rounds: the second vCPU is sometimes taken from outside for seconds at a
# time, which slows a whole round's 2-thread blocks, and five rounds keep one
# or two such rounds out of the median. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
# (pinned here for tests) are unset for genlab and peers alike so OpenBLAS
# uses its best kernels. PyTorch is run at 1 and 2 threads, with and without
# OPENBLAS_NUM_THREADS=1 and OMP_PROC_BIND, and its best configuration is
# kept. QUICK=1: fewer repetitions. PARTS="ops conv": only those parts (report in the run's folder).
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/reports/bench-$(date -u +%Y%m%dT%H%M%SZ)"
ROUNDS=${ROUNDS:-5}
mkdir -p "$OUT"
Q=""
[ "${QUICK:-0}" = 1 ] && Q="--quick"
run() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; }
HAVE_TORCH=0
/usr/bin/python3 -c "import torch" 2>/dev/null && HAVE_TORCH=1
[ $HAVE_TORCH = 1 ] || echo "python3-torch missing (apt-get install python3-torch): PyTorch ratios will be absent"
torch_peer() {  # PART ROUND
  [ $HAVE_TORCH = 1 ] || return 0
  local P="$ROOT/benchmarks/peers/torch_peer.py"
  for t in 1 2; do
    run /usr/bin/python3 "$P" $t "$OUT/torch_${1}_t${t}_r$2.json" $Q --only "$1" >/dev/null
    run env OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$P" $t "$OUT/torch_${1}_t${t}_ob1_r$2.json" $Q --only "$1" >/dev/null
    run env OPENBLAS_NUM_THREADS=1 OMP_PROC_BIND=true /usr/bin/python3 "$P" $t "$OUT/torch_${1}_t${t}_ob1_bind_r$2.json" $Q \
      --only "$1" >/dev/null
  done
}

PARTS=${PARTS:-}  # e.g. PARTS="ops conv": only those parts against PyTorch, then the report
if [ -z "$PARTS" ]; then
  echo "== matmul: genlab vs raw OpenBLAS (same process)"
  run "$ROOT/$BUILD/benchmarks/genlab_bench" "$OUT/genlab_matmul_r1.json" $Q --only matmul
fi
for part in ${PARTS:-ops conv rnn train mlp}; do
  for r in $(seq 1 "$ROUNDS"); do
    echo "== $part, round $r: genlab, then PyTorch"
    run "$ROOT/$BUILD/benchmarks/genlab_bench" "$OUT/genlab_${part}_r$r.json" $Q --only $part | tail -n +2
    torch_peer $part $r
  done
done
# a partial run writes its report beside its measurements, leaving the full reports/bench.md alone
if [ -n "$PARTS" ]; then /usr/bin/python3 "$ROOT/benchmarks/report.py" "$OUT" "$OUT/report.md"; echo "report: $OUT/report.md"; exit 0; fi
echo "== thread sweep: 1, 2, 4, ... threads against the default"
run "$ROOT/$BUILD/benchmarks/genlab_bench" "$OUT/genlab_threads_r1.json" $Q --only threads | tail -n +2
echo "== CUDA (where a device exists)"
run "$ROOT/$BUILD/benchmarks/genlab_bench" "$OUT/genlab_cuda_r1.json" $Q --only cuda | tail -n +2
echo "== micro-benchmarks (Google Benchmark)"
run "$ROOT/$BUILD/benchmarks/genlab_micro" --benchmark_min_time=0.2 --benchmark_out="$OUT/micro.json" \
  --benchmark_out_format=json | tail -n +4
/usr/bin/python3 "$ROOT/benchmarks/report.py" "$OUT" "$ROOT/reports/bench.md"
