#!/usr/bin/env bash
# Benchmarks on generated instances; results land in .benchmarks/ and on screen.
# Example: bash scripts/benchmark.sh -k regional
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" dev
cd "$ROOT"
"$VENV/bin/python" -m pytest benchmarks -p no:randomly -s --benchmark-sort=name "$@"
