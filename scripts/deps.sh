#!/usr/bin/env bash
# Installs every system package genlab uses (idempotent; run as root on Debian 12).
# Data and peers come from Debian too: nothing is downloaded at run time.
# Machines without apt or network (scripts/offline_deps.sh):
#   deps.sh --download DIR            saves the .debs genlab builds and runs against into DIR
#   deps.sh --from DIR [--prefix P]   unpacks them into P without root and prints the environment
set -euo pipefail
case "${1:-}" in
  --download | --from) exec bash "$(dirname "$0")/offline_deps.sh" "$@" ;;
  "") ;;
  *) echo "usage: scripts/deps.sh [--download DIR | --from DIR [--prefix P]]" >&2; exit 2 ;;
esac

PACKAGES=(
  build-essential cmake make pkg-config git
  clang libclang-rt-14-dev libomp-14-dev   # libFuzzer + ASan/UBSan builds (clang needs libomp for OpenMP)
  libeigen3-dev                       # GENLAB_BLAS=eigen
  libopenblas-openmp-dev libopenblas0-openmp   # default BLAS, OpenMP flavour (no oversubscription)
  libxsimd-dev                        # SIMD kernels
  libgtest-dev libgmock-dev libbenchmark-dev
  libfmt-dev libcli11-dev nlohmann-json3-dev libstb-dev zlib1g-dev
  python3 python3-torch python3-numpy # parity fixtures and the PyTorch peer
  python3-venv                        # the newest CMake from PyPI for the clang CI check
  python3-matplotlib                  # report plots
  dataset-fashion-mnist               # /usr/share/datasets/fashion-mnist
  fortunes                            # /usr/share/games/fortunes: the byte-level text corpus
  python3-sklearn                     # its 8x8 digits (digits.csv.gz), and their reference reader
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
