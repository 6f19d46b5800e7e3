# Shared by the scripts: make .venv (once) and install the project into it.
# Usage: . scripts/_venv.sh [extras]   e.g. ". scripts/_venv.sh dev"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MATCHER_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
EXTRAS="${1:-}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.installed-${EXTRAS:-base}"
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
  echo "Installing into $VENV (first run only; takes a minute)..." >&2
  LOG="$VENV/install.log"
  target="$ROOT"
  [ -n "$EXTRAS" ] && target="$ROOT[$EXTRAS]"
  if ! { "$VENV/bin/python" -m pip install --quiet --upgrade pip && "$VENV/bin/python" -m pip install --quiet -e "$target"; } >"$LOG" 2>&1; then
    cat "$LOG" >&2
    echo "Installation failed; the log is in $LOG" >&2
    exit 1
  fi
  touch "$STAMP"
fi
