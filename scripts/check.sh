#!/usr/bin/env bash
# Lint and type checks: ruff (lint + format) and mypy strict on matcher/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" dev
cd "$ROOT"
"$VENV/bin/ruff" check matcher api cli tests benchmarks
"$VENV/bin/ruff" format --check matcher api cli tests benchmarks
"$VENV/bin/mypy" matcher api cli
