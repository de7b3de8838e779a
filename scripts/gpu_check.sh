#!/usr/bin/env bash
# make gpu-check: genlab on a machine with an NVIDIA GPU, every step on the real device,
# written to reports/gpu.md (device, driver, CUDA version, each step's result and time, the
# MLP's accuracy / epoch time / energy, the CUDA benchmark's ratios).
#
#   scripts/gpu_check.sh [--dry-run] [--prefix P] [--epochs N] [--build DIR] [--report FILE]
#
#   configure, build   -DGENLAB_CUDA=ON into build-gpu/ (JOBS=N, default all cores)
#   gpu-tests          ctest -L gpu (tests/test_gpu.cpp) on the device; a test skipped for want of a device fails
#   ops-parity         genlab_ops parity: every op on the device against the CPU's float64 reference
#   ops-edge           genlab_ops edge --backend cuda: the edge cases (the emulated-device ctest, on the GPU)
#   memcheck, racecheck  compute-sanitizer over genlab_gpu_tests
#   train-mlp          genlab train mlp --device cuda --epochs N (default 10)
#   bench              genlab_bench --only cuda, rendered by benchmarks/report.py
#   threads            genlab_bench --only threads: the CPU thread sweep on this (many-core) host
#
# A failing step is reported and the rest still run; the exit status is 1 if any step
# failed. Without nvidia-smi and a visible GPU it stops at once (exit 1); --dry-run prints
# the plan and what it found instead. A GPU machine without Debian packages: make a prefix
# with `scripts/deps.sh --download DIR` (networked Debian) and `scripts/deps.sh --from DIR
# --prefix P` (here), then GENLAB_DEPS_PREFIX=P (or --prefix P): the build and every step use
# the environment --from wrote to P/genlab-deps.env.
# Testing this script without a GPU: --emulate runs every step on the emulated device
# (GENLAB_CUDA_EMULATE=1, no preflight); its numbers are not GPU numbers and the report says so.
#   scripts/gpu_check.sh --render-bench RUN_DIR   prints the benchmark section for RUN_DIR's JSON
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DRY=0 EMULATE=0 EPOCHS=10 PREFIX=${GENLAB_DEPS_PREFIX:-} B=$ROOT/build-gpu JOBS=${JOBS:-$(nproc)}
REPORT=$ROOT/reports/gpu.md

die() {
  echo "gpu-check: error: $*" >&2
  exit 1
}

# The benchmark section of the report, from genlab_bench's JSON in RUN_DIR: the "## CUDA"
# section benchmarks/report.py renders, else (report.py failed) a table made here.
render_bench() {
  local run=$1 md
  md=$(mktemp)
  if python3 "$ROOT/benchmarks/report.py" "$run" "$md" >/dev/null 2>"$md.err"; then
    awk '/^## CUDA/ {on = 1; next} on && /^\|/ {table = 1} on && table && !/^\|/ {exit} on && (started || NF) {started = 1; print}' "$md"
  else
    echo "(benchmarks/report.py failed: $(tail -1 "$md.err"); the table below is made by scripts/gpu_check.sh)"
    echo
    python3 - "$run" <<'EOF'
import glob, json, sys
rows = [m for p in sorted(glob.glob(sys.argv[1] + "/genlab_cuda_*.json")) for m in json.load(open(p))]
print("| measurement | group | ratio / speed-up | emulated |\n|---|---|---|---|")
for m in rows:
    print(f"| {m['name']} | {m['group']} | {m.get('ratio', m.get('speedup', float('nan'))):.3f} | {m.get('emulated', False)} |")
EOF
  fi
  rm -f "$md" "$md.err"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1 ;;
    --emulate) EMULATE=1 ;;
    --prefix) PREFIX=${2:?--prefix needs a folder}; shift ;;
    --epochs) EPOCHS=${2:?--epochs needs a number}; shift ;;
    --build) B=${2:?--build needs a folder}; shift ;;
    --report) REPORT=${2:?--report needs a file}; shift ;;
    --render-bench) render_bench "${2:?--render-bench needs a folder}"; exit 0 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done
case "$B" in /*) ;; *) B=$PWD/$B ;; esac
case "$REPORT" in /*) ;; *) REPORT=$PWD/$REPORT ;; esac
LOGS=$B/gpu-check-logs

# ---- dependencies: the system's, or a prefix made by deps.sh --from ----------------------
CMAKE_FLAGS=()
if [ -n "$PREFIX" ]; then
  [ -f "$PREFIX/genlab-deps.env" ] ||
    die "$PREFIX/genlab-deps.env not found: make the prefix with 'scripts/deps.sh --from DIR --prefix $PREFIX'"
  # shellcheck disable=SC1091
  source "$PREFIX/genlab-deps.env"  # LD_LIBRARY_PATH, GENLAB_FASHION_MNIST, GENLAB_CMAKE_FLAGS
  read -r -a CMAKE_FLAGS <<<"$GENLAB_CMAKE_FLAGS"
fi

# ---- the CUDA tools: on PATH, else under $CUDA_HOME or /usr/local/cuda --------------------
find_tool() {  # NAME: prints its path, or nothing
  local d
  command -v "$1" 2>/dev/null && return
  for d in "${CUDA_HOME:-}" "${CUDA_PATH:-}" /usr/local/cuda; do
    [ -n "$d" ] || continue
    for f in "$d/bin/$1" "$d/$1/$1"; do [ -x "$f" ] && echo "$f" && return; done
  done
  return 0
}
NVIDIA_SMI=$(find_tool nvidia-smi)
NVCC=$(find_tool nvcc)
SANITIZER=$(find_tool compute-sanitizer)
GPU=""
[ -z "$NVIDIA_SMI" ] || GPU=$("$NVIDIA_SMI" --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | sed -n 1p || true)
[ -z "$NVCC" ] || CMAKE_FLAGS+=("-DCMAKE_CUDA_COMPILER=$NVCC")

if [ $EMULATE = 1 ]; then
  export GENLAB_CUDA_EMULATE=1
else
  unset GENLAB_CUDA_EMULATE  # every step on the real device
fi

if [ $DRY = 1 ]; then
  echo "gpu-check plan (--dry-run: nothing is run)"
  echo "  nvidia-smi:         ${NVIDIA_SMI:-MISSING (needed: an NVIDIA GPU and its driver)}"
  echo "  GPU:                ${GPU:-NONE VISIBLE}"
  echo "  nvcc:               ${NVCC:-MISSING (needed: the CUDA toolkit)}"
  echo "  compute-sanitizer:  ${SANITIZER:-MISSING (the memcheck and racecheck steps would fail)}"
  echo "  dependencies:       ${PREFIX:-system packages (scripts/deps.sh)}${PREFIX:+ (prefix from scripts/deps.sh --from)}"
  echo "  report:             $REPORT; step logs in $LOGS/"
  echo "  steps:"
elif [ $EMULATE = 0 ]; then
  [ -n "$NVIDIA_SMI" ] || die "nvidia-smi not found: make gpu-check needs a machine with an NVIDIA GPU and its driver" \
    "(without one, make test runs the GPU tests on the emulated device; --dry-run shows the plan)"
  [ -n "$GPU" ] || die "nvidia-smi sees no GPU ($("$NVIDIA_SMI" -L 2>&1 | sed -n 1p))"
  [ -n "$NVCC" ] || die "nvcc not found (on PATH, \$CUDA_HOME/bin or /usr/local/cuda/bin): install the CUDA toolkit"
fi

# ---- steps ---------------------------------------------------------------------------------
RESULTS=() FAILED=0
run() {  # prints the command; runs it unless --dry-run
  if [ $DRY = 1 ]; then echo "        \$$(printf ' %q' "$@")"; else echo "\$$(printf ' %q' "$@")" && "$@"; fi
}
keep() { if [ $DRY = 1 ]; then cat; else tee "$LOGS/$1"; fi; }  # a copy of the output to check
step() {  # ID FUNCTION: runs FUNCTION with its output in $LOGS/ID.log, records pass/FAIL and seconds
  local id=$1 t0 t1 status
  if [ $DRY = 1 ]; then
    echo "    $id"
    "$2"
    return 0
  fi
  echo "gpu-check: $id ..."
  t0=$(date +%s.%N)
  if "$2" >"$LOGS/$id.log" 2>&1; then status=pass; else status=FAIL FAILED=$((FAILED + 1)); fi
  t1=$(date +%s.%N)
  RESULTS+=("$id $status $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')")
  echo "gpu-check: $id: $status (${RESULTS[-1]##* } s)"
}
need() { [ -x "$1" ] || { echo "$1 was not built"; return 1; }; }
dry() { [ $DRY = 1 ]; }

s_configure() {
  run cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release -DGENLAB_CUDA=ON "${CMAKE_FLAGS[@]}"
}
s_build() { run cmake --build "$B" -j"$JOBS"; }
s_gpu_tests() {
  # -V: the tests' own output, where a skip gives its reason (a few skip by design on a GPU)
  run ctest --test-dir "$B" -L '^gpu$' -V --timeout 900 | keep gpu-tests.out || return 1
  dry && return 0
  grep -q 'tests passed' "$LOGS/gpu-tests.out" || { echo "no GPU tests ran"; return 1; }
  if grep -qE 'no CUDA device on this machine|genlab built without CUDA' "$LOGS/gpu-tests.out"; then
    echo "GPU tests were skipped: genlab did not see the device"
    return 1
  fi
}
s_ops_parity() {
  dry || need "$B/tests/genlab_ops" || return 1
  run "$B/tests/genlab_ops" parity | keep ops-parity.out || return 1
  dry && return 0
  grep -q ' cuda:0 ' "$LOGS/ops-parity.out" || { echo "no op ran on the device"; return 1; }
}
s_ops_edge() {
  dry || need "$B/tests/genlab_ops" || return 1
  run "$B/tests/genlab_ops" edge --backend cuda
}
sanitize() {  # TOOL
  dry || need "$B/tests/genlab_gpu_tests" || return 1
  [ -n "$SANITIZER" ] || dry || { echo "compute-sanitizer not found (CUDA toolkit's bin/)"; return 1; }
  run "${SANITIZER:-compute-sanitizer}" --tool "$1" --error-exitcode 1 "$B/tests/genlab_gpu_tests" --gtest_brief=1
}
s_memcheck() { sanitize memcheck; }
s_racecheck() { sanitize racecheck; }
s_train_mlp() {
  dry || need "$B/genlab" || return 1
  run "$B/genlab" train mlp --device cuda --epochs "$EPOCHS" --checkpoint "$B/gpu-check-mlp.safetensors" |
    keep train-mlp.out
}
s_bench() {
  dry || need "$B/benchmarks/genlab_bench" || return 1
  local run_dir=$B/gpu-check-bench
  dry || { rm -rf "$run_dir" && mkdir -p "$run_dir"; }
  run "$B/benchmarks/genlab_bench" "$run_dir/genlab_cuda_r1.json" --only cuda || return 1
  dry && return 0
  python3 -c 'import json, sys; sys.exit(not any(m["group"].startswith("cuda") for m in json.load(open(sys.argv[1]))))' \
    "$run_dir/genlab_cuda_r1.json" || { echo "genlab_bench measured nothing on a CUDA device"; return 1; }
}
# GPU machines have many cores: the thread sweep of issue 8.4 (the default
# against every fixed count, MLP epoch and a transformer-sized GEMM).
s_threads() {
  dry || need "$B/benchmarks/genlab_bench" || return 1
  local run_dir=$B/gpu-check-threads
  dry || { rm -rf "$run_dir" && mkdir -p "$run_dir"; }
  run env GENLAB_CUDA_EMULATE=0 "$B/benchmarks/genlab_bench" "$run_dir/genlab_threads_r1.json" --only threads
}

dry || { mkdir -p "$LOGS" && rm -f "$LOGS"/*.log "$LOGS"/*.out; }
T0=$SECONDS
step configure s_configure
step build s_build
step gpu-tests s_gpu_tests
step ops-parity s_ops_parity
step ops-edge s_ops_edge
step memcheck s_memcheck
step racecheck s_racecheck
step train-mlp s_train_mlp
step bench s_bench
step threads s_threads
if dry; then
  [ $EMULATE = 1 ] || [ -n "$GPU" ] || echo "A run here would stop at once: no GPU is visible (nvidia-smi: ${NVIDIA_SMI:-missing})."
  exit 0
fi

# ---- reports/gpu.md --------------------------------------------------------------------------
mkdir -p "$(dirname "$REPORT")"
{
  echo "# genlab GPU check"
  echo
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit+=" with local changes"
  echo "\`make gpu-check\` on $(hostname), $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit; $((SECONDS - T0)) s in all."
  echo
  if [ $EMULATE = 1 ]; then
    echo "**--emulate: every step ran on the emulated device (GENLAB_CUDA_EMULATE=1), not a GPU; this report"
    echo "checks the script, its numbers are not GPU numbers.**"
    echo
  fi
  echo "- GPU: ${GPU:-none} (name, driver version; nvidia-smi)"
  echo "- CUDA: toolkit $("${NVCC:-nvcc}" --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p'), the driver's" \
    "$("${NVIDIA_SMI:-nvidia-smi}" 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' || echo 'CUDA Version: unknown')"
  echo "- host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores;" \
    "$(c++ --version 2>/dev/null | sed -n 1p); $(cmake --version | sed -n 1p)"
  echo "- dependencies: ${PREFIX:+prefix $PREFIX (scripts/deps.sh --from)}${PREFIX:-system packages}"
  echo
  echo "| step | result | seconds |"
  echo "|---|---|---|"
  for r in "${RESULTS[@]}"; do
    read -r id status secs <<<"$r"
    echo "| $id | $status | $secs |"
  done
  echo
  echo "$(( ${#RESULTS[@]} - FAILED )) of ${#RESULTS[@]} steps passed. Logs: ${LOGS#"$ROOT"/}/"
  echo
  echo "## MLP on the GPU"
  echo
  if [ -s "$LOGS/train-mlp.out" ]; then
    echo "\`genlab train mlp --device cuda --epochs $EPOCHS\`:"
    echo
    echo "    $(grep '^test accuracy' "$LOGS/train-mlp.out" | tail -1)"
    awk '/^epoch / && $NF == "s)" {  # epoch  3  loss 0.3  test accuracy 0.86  (0.23 s)
           s = substr($(NF - 1), 2) + 0; n++; all += s; if (n > 1) rest += s }
         END { if (n == 1) printf "\n1 epoch, %.3f s\n", all
               if (n > 1) printf "\n%d epochs, mean epoch time %.3f s (%.3f s without the first, which warms up)\n",
                                 n, all / n, rest / (n - 1) }' "$LOGS/train-mlp.out"
  else
    echo "Not run (see the train-mlp step)."
  fi
  echo
  echo "## CUDA benchmark (genlab_bench --only cuda)"
  echo
  if [ -s "$B/gpu-check-bench/genlab_cuda_r1.json" ]; then
    render_bench "$B/gpu-check-bench"
  else
    echo "Not run (see the bench step)."
  fi
  echo
  echo "## CPU thread sweep (genlab_bench --only threads, $(nproc) CPUs)"
  echo
  if [ -s "$B/gpu-check-threads/genlab_threads_r1.json" ] &&
    python3 "$ROOT/benchmarks/report.py" "$B/gpu-check-threads" "$B/gpu-check-threads/report.md" >/dev/null; then
    awk '/^## Thread sweep/ {on = 1; next} on && /^## / {exit} on' "$B/gpu-check-threads/report.md"
  else
    echo "Not run (see the threads step)."
  fi
  for r in "${RESULTS[@]}"; do
    read -r id status _ <<<"$r"
    [ "$status" = FAIL ] || continue
    echo
    echo "## $id failed: the end of its log"
    echo
    echo '```'
    tail -n 25 "$LOGS/$id.log"
    echo '```'
  done
} >"$REPORT"
echo "gpu-check: $(( ${#RESULTS[@]} - FAILED )) of ${#RESULTS[@]} steps passed; report in ${REPORT#"$ROOT"/}"
[ $FAILED -eq 0 ]
