"""How soon the Wat-als page has its first bands, against the example week's whole `matcher propose`.

The page posts the base and then the variant of the question "50 flexwoningen bij NDW21 in
juni" (52 weeks, 100 herhalingen each, as the page's presets send them) to a real `matcher
serve` on loopback with two replicate processes, and polls the base run as the page does.
Measured: from the POST of the base to the first answer that holds bands (the figures over
the first replicate), and, in the same run, the whole `matcher propose` process on the
example week (median of 5). Target: the first bands within 5 x that process. Both runs are
then cancelled over HTTP, which also measures how soon a cancel is answered.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "api"))

from service_helpers import make_tokens, server  # noqa: E402

MAX_RATIO = 5.0
REPLICATES = 100
ROUNDS = 3


def _propose_seconds() -> float:
    folder = ROOT / "examples" / "nijmegen-week"
    command = [sys.executable, "-m", "cli", "propose", "--quiet", "--out", str(ROOT / "out" / "bench-first-bands.json"),
               "--households", str(folder / "households.csv"), "--units", str(folder / "units.csv"),
               "--policy", str(folder / "policy.json")]  # fmt: skip
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _presets() -> tuple[dict[str, Any], dict[str, Any]]:
    presets = json.loads((ROOT / "api" / "web" / "static" / "scenarios.json").read_text(encoding="utf-8"))["presets"]
    by_name = {p["scenario"]["name"]: p["scenario"] for p in presets}
    return by_name["nijmegen-base"], by_name["q1-ndw21-flexwoningen"]


def test_first_bands_within_five_times_a_proposal(tmp_path: Path, report: list[dict[str, object]]) -> None:
    """The first bands of a 100-herhalingen pair are readable within 5 x the example week's whole propose process."""
    base, variant = _presets()
    firsts, cancels = [], []
    for round_ in range(ROUNDS):
        url = f"sqlite:///{tmp_path / f'matcher-{round_}.db'}"
        tokens = make_tokens(url)
        headers = {"Authorization": f"Bearer {tokens['officer']}"}
        with server({"DATABASE_URL": url, "MATCHER_SCENARIO_PROCESSES": "2"}, cwd=tmp_path) as client:
            started = time.perf_counter()
            base_id, variant_id = (
                client.post("/v1/scenarios", headers=headers, json={"scenario": s, "replicates": REPLICATES}).json()["id"]
                for s in (base, variant)
            )
            while True:
                run = client.get(f"/v1/scenarios/{base_id}", headers=headers).json()
                if run["result"] is not None:
                    break
                assert run["status"] in ("queued", "running"), run
                time.sleep(0.05)
            firsts.append(time.perf_counter() - started)
            assert run["replicates_done"] >= 1 and run["result"]["weekly"]
            started = time.perf_counter()
            for scenario_id in (base_id, variant_id):
                answer = client.post(f"/v1/scenarios/{scenario_id}/cancel", headers=headers)
                assert answer.status_code == 200, answer.text
            cancels.append(time.perf_counter() - started)
    propose = _propose_seconds()
    first = statistics.median(firsts)
    row = {
        "instance": "wat-als first bands (q1 and its base, 100 herhalingen, 2 processes)",
        "first_bands_median_s": round(first, 3),
        "first_bands_s": [round(t, 3) for t in firsts],
        "propose_process_median_s": round(propose, 3),
        "ratio": round(first / propose, 2),
        "cancel_both_median_s": round(statistics.median(cancels), 3),
    }
    report.append(row)
    print(row)
    assert first / propose <= MAX_RATIO, row
