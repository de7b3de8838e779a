#!/usr/bin/env bash
# Installs the build into a temporary prefix, then configures, builds and runs
# tests/consumer against it with find_package(genlab).
set -euo pipefail
# The consumer uses the CMake and C++ compiler that built genlab (arguments 2
# and 3): a static library built by clang needs clang's OpenMP runtime.
BUILD=$1
CMAKE=${2:-cmake}
CXX_COMPILER=${3:-c++}
SRC=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$CMAKE" --install "$BUILD" --prefix "$WORK/prefix" >/dev/null
"$CMAKE" -S "$SRC" -B "$WORK/build" -DCMAKE_PREFIX_PATH="$WORK/prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$CXX_COMPILER" >/dev/null
"$CMAKE" --build "$WORK/build" -j2 >/dev/null
"$WORK/build/consumer"
