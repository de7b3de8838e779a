#!/usr/bin/env bash
# make offline-deps-check (CI): the offline install path of scripts/deps.sh, end to end.
#   1. deps.sh --download into a fresh folder (needs apt's package lists and the network);
#      the manifest must hold genlab's packages and none of the base system's
#   2. deps.sh --from into a fresh prefix, with dpkg-deb and again with the ar + tar fallback
#   3. configure with exactly the environment --from printed; build the CPU library and the CLI
#   4. run the CLI: --help, `info` on a fixture, one epoch of MLP training on the prefix's data
# This machine has the same packages installed system-wide, so step 3 and 4 must show that the
# prefix was used: CMakeCache's dependency paths lie inside it, the compiler's dependency files
# list the prefix's headers and no system header that the prefix also has, and ldd resolves
# every library the prefix has (libopenblas, libgfortran) to the prefix's copy.
#   scripts/offline_deps_check.sh [WORK_DIR]   (default build-offline/, emptied first)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-$ROOT/build-offline}
case "$(basename "$W")" in build-offline* | offline*) ;; *) echo "offline-deps-check: WORK_DIR must be named build-offline* (it is emptied)" >&2; exit 2 ;; esac
rm -rf "$W"
mkdir -p "$W"
W=$(cd "$W" && pwd)
P=$W/prefix
T_START=$SECONDS
COSTS=()
phase() {  # NAME CMD...: runs CMD, records its seconds
  local name=$1 t0=$SECONDS
  shift
  echo "== offline-deps-check: $name"
  "$@"
  COSTS+=("$name $((SECONDS - t0)) s")
}
fail() {
  echo "offline-deps-check: FAIL: $*" >&2
  exit 1
}
in_prefix() { case "$1" in "$P"/*) return 0 ;; esac; return 1; }
listed() { awk -F'\t' -v p="$1" '$1 == p || (p ~ /\*/ && $1 ~ "^" p "$") {f = 1} END {exit !f}' "$M"; }

# ---- 1. download -------------------------------------------------------------------------
phase "deps.sh --download" bash "$ROOT/scripts/deps.sh" --download "$W/debs"
M=$W/debs/manifest.tsv
for p in libxsimd-dev libopenblas-openmp-dev libopenblas0-openmp libgfortran5 libquadmath0 libeigen3-dev libgtest-dev \
  libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev zlib1g-dev pkgconf-bin dataset-fashion-mnist; do
  listed "$p" || fail "manifest.tsv lacks $p"
done
for p in libc6 libc6-dev linux-libc-dev libstdc++6 libgcc-s1 libgomp1 zlib1g debconf dpkg 'gcc-.*-base' libopenblas0-pthread; do
  ! listed "$p" || fail "manifest.tsv lists $p, which must not be unpacked into a prefix"
done

# ---- 2. unpack ---------------------------------------------------------------------------
from_prefix() { bash "$ROOT/scripts/deps.sh" --from "$W/debs" --prefix "$P" >"$W/deps.env"; }
phase "deps.sh --from" from_prefix
echo "--from printed:"
cat "$W/deps.env"
tree_of() { (cd "$1" && find . ! -name genlab-deps.env -printf '%p %y %l\n' | sort); }
phase "deps.sh --from, ar + tar instead of dpkg-deb" env GENLAB_DEPS_NO_DPKG_DEB=1 \
  bash "$ROOT/scripts/deps.sh" --from "$W/debs" --prefix "$W/prefix-ar" >/dev/null
diff <(tree_of "$P") <(tree_of "$W/prefix-ar") >"$W/prefix-ar.diff" ||
  fail "the ar + tar fallback unpacked a different tree (see $W/prefix-ar.diff)"
rm -rf "$W/prefix-ar"

# ---- 3. configure and build against the prefix, with exactly what --from printed -------------
# shellcheck disable=SC1091
source "$W/deps.env"
[ "$GENLAB_DEPS_PREFIX" = "$P" ] || fail "deps.env names the prefix $GENLAB_DEPS_PREFIX, not $P"
B=$W/build
# shellcheck disable=SC2086  # GENLAB_CMAKE_FLAGS is a list of flags
phase configure cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release -DGENLAB_CUDA=OFF $GENLAB_CMAKE_FLAGS
for var in XSIMD_INCLUDE_DIR CLI11_INCLUDE_DIR nlohmann_json_DIR ZLIB_INCLUDE_DIR pkgcfg_lib_OPENBLAS_openblas \
  PKG_CONFIG_EXECUTABLE GTest_DIR benchmark_DIR; do
  v=$(sed -n "s/^$var:[A-Z]*=//p" "$B/CMakeCache.txt")
  in_prefix "$v" || fail "CMakeCache.txt: $var=${v:-(unset)} is not inside the prefix $P"
  echo "  $var=$v"
done
phase "build genlab, genlab_cli" cmake --build "$B" -j2 --target genlab genlab_cli

# The headers the compiler read (its .d dependency files): the prefix's, never a system header
# that the prefix also ships (the include path must put the prefix first).
mapfile -t headers < <(find "$B" -name '*.o.d' -exec cat {} + | tr ' ' '\n' | grep '^/' | sort -u)
[ ${#headers[@]} -gt 100 ] || fail "found no compiler dependency files (*.o.d) under $B"
mapfile -t headers < <(realpath -m -s "${headers[@]}" | sort -u)
all_headers=$(printf '%s\n' "${headers[@]}")
for h in "usr/include/xsimd/xsimd.hpp" "usr/include/.*/openblas-openmp/cblas.h" "usr/include/CLI/CLI.hpp" \
  "usr/include/nlohmann/json.hpp" "usr/include/zlib.h"; do
  grep -qx "$P/$h" <<<"$all_headers" || fail "no object was compiled with the prefix's $h"
done
shadowed=()
for h in "${headers[@]}"; do
  if ! in_prefix "$h" && [ -e "$P$h" ]; then shadowed+=("$h"); fi
done
[ ${#shadowed[@]} -eq 0 ] || fail "compiled with system headers that the prefix also has: ${shadowed[*]}"
echo "  headers: ${#headers[@]} read, those of xsimd, cblas, CLI11, nlohmann-json and zlib from the prefix"

# The libraries the CLI loads, with the printed LD_LIBRARY_PATH
ldd "$B/genlab" >"$W/ldd.txt"
! grep 'not found' "$W/ldd.txt" || fail "ldd $B/genlab: libraries not found"
for lib in libopenblas.so.0 libgfortran.so.5; do
  path=$(awk -v l="$lib" '$1 == l {print $3}' "$W/ldd.txt")
  in_prefix "$path" || fail "ldd $B/genlab: $lib => ${path:-(not linked)}, not the prefix's"
done
LIBDIR=$(find "$P/usr/lib" -mindepth 1 -maxdepth 1 -type d -name '*-linux-gnu*' | sed -n 1p)
while read -r name _ path _; do
  for d in "$LIBDIR" "$LIBDIR/openblas-openmp"; do
    if [ -n "$path" ] && ! in_prefix "$path" && [ -e "$d/$name" ]; then
      fail "ldd $B/genlab: $name => $path, where the prefix has $d/$name"
    fi
  done
done < <(grep '=>' "$W/ldd.txt")
echo "  ldd: $(grep -E 'libopenblas|libgfortran' "$W/ldd.txt" | awk '{print $1 " => " $3}' | paste -sd';')"

# ---- 4. run --------------------------------------------------------------------------------
run_cli() {
  "$B/genlab" --help >/dev/null
  "$B/genlab" info "$ROOT/tests/parity/optim.safetensors" | sed -n 1p
  in_prefix "$GENLAB_FASHION_MNIST" || fail "GENLAB_FASHION_MNIST=$GENLAB_FASHION_MNIST is not in the prefix"
  (cd "$W" && "$B/genlab" train mlp --epochs 1 --checkpoint "$W/mlp.safetensors") | tee "$W/train.txt" | tail -2
  grep -q '^test accuracy 0\.[6-9]' "$W/train.txt" || fail "one epoch of MLP training did not reach accuracy 0.6"
}
phase "run the CLI (help, info, 1 epoch of MLP training)" run_cli

echo "offline-deps-check: passed; cost: $(printf '%s; ' "${COSTS[@]}")total $((SECONDS - T_START)) s"
