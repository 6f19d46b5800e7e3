#!/usr/bin/env bash
# The test suite (benchmarks are separate: scripts/benchmark.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" dev
cd "$ROOT"
"$VENV/bin/python" -m pytest "$@"
