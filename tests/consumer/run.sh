#!/usr/bin/env bash
# Installs the build into a temporary prefix, then configures, builds and runs
# tests/consumer against it with find_package(genlab).
set -euo pipefail
BUILD=$1
SRC=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cmake --install "$BUILD" --prefix "$WORK/prefix" >/dev/null
cmake -S "$SRC" -B "$WORK/build" -DCMAKE_PREFIX_PATH="$WORK/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$WORK/build" -j2 >/dev/null
"$WORK/build/consumer"
