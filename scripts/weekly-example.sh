#!/usr/bin/env bash
# The main job: a weekly proposal on the example week, with the summary printed and the
# proposal written to out/proposal.json.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" ""
cd "$ROOT"
EX="examples/nijmegen-week"
"$VENV/bin/matcher" propose --households "$EX/households.csv" --units "$EX/units.csv" \
  --policy "$EX/policy.json" --what-it-would-take --out out/proposal.json "$@"
