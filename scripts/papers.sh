#!/usr/bin/env bash
# make papers: each tutorial's full schedule, written to papers/NN_name.md (the
# head is the tutorial's paper.md; the measured tables and plots are appended).
# Hours on 2 cores; not part of CI.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$ROOT/papers/plots"
for t in 02_cnn_vs_mlp 03_rnn_sequences; do
  out="$ROOT/papers/$t.md"
  cp "$ROOT/tutorials/$t/paper.md" "$out"
  echo >> "$out"
  check=""
  [ $t = 03_rnn_sequences ] && rm -rf "$ROOT/$BUILD/torch_check_03" && mkdir -p "$ROOT/$BUILD/torch_check_03" &&
    check="--torch-check $ROOT/$BUILD/torch_check_03"
  "$ROOT/$BUILD/tutorial_$t" --schedule full --report "$out" --plots "$ROOT/papers/plots" $check
done
# tutorial 03's byte-level LSTM trained again by PyTorch from the same weights and batches
/usr/bin/python3 "$ROOT/tutorials/03_rnn_sequences/torch_char_lm.py" "$ROOT/$BUILD/torch_check_03" \
  --report "$ROOT/papers/03_rnn_sequences.md" || true
/usr/bin/python3 "$ROOT/scripts/plot.py" "$ROOT"/papers/plots/*.plot.json
