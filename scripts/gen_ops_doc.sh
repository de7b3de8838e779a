#!/usr/bin/env bash
# Regenerates docs/ops.md from the op table (never edit docs/ops.md by hand).
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/$BUILD/tests/genlab_ops" table > "$ROOT/docs/ops.md"
echo "wrote docs/ops.md"
