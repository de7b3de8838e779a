#!/usr/bin/env bash
# Bounded libFuzzer runs of the file parsers: safetensors, IDX, and the digits/fortunes corpora (clang, ASan+UBSan).
# FUZZ_SECONDS per target (default 60).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${FUZZ_SECONDS:-60}
# the sanitizer build's folder: after `make sanitize` only the fuzz targets are left to build
source "$ROOT/scripts/asan_configure.sh"
cmake --build "$B" -j2 --target fuzz_safetensors fuzz_idx fuzz_corpora
export ASAN_OPTIONS=detect_leaks=0
# seed corpora: a real safetensors file and a small IDX file
mkdir -p "$B/corpus_st" "$B/corpus_idx" "$B/corpus_text"
cp "$ROOT/tests/parity/ops.safetensors" "$ROOT/tests/parity/optim.safetensors" "$B/corpus_st/"
printf '\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03abcdef' > "$B/corpus_idx/small.idx"
"$B/tests/fuzz_safetensors" -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 "$B/corpus_st" 2>&1 | tail -3
"$B/tests/fuzz_idx" -max_total_time="$SECS" -max_len=4096 -rss_limit_mb=2048 "$B/corpus_idx" 2>&1 | tail -3
# seeds: two digits rows and a fortune file with its strfile header in front
{ printf '0'; for i in $(seq 63); do printf ',16'; done; printf ',7\n'; } > "$B/corpus_text/digits.csv"
printf '\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x04\x00\x00\x00\x04\x00\x00\x00\x00%%\x00\x00\x00one\n%%\ntwo\n%%\n' \
  > "$B/corpus_text/fortunes"
"$B/tests/fuzz_corpora" -max_total_time="$SECS" -max_len=8192 -rss_limit_mb=2048 "$B/corpus_text" 2>&1 | tail -3
echo "fuzz: ${SECS}s per parser, no crash"
