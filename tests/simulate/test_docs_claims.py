"""What docs/simulation.md says about the engine against FIFO holds for the replicates behind it."""

from __future__ import annotations

import re
from pathlib import Path

from matcher.simulate import load_scenario
from matcher.simulate.montecarlo import summary_figures
from matcher.simulate.simulator import run_replicate
from matcher.simulate.world import build_world

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "simulation.md"


def _row(label: str) -> list[str]:
    """The cells of the table row of docs/simulation.md that starts with this label."""
    line = next(x for x in DOC.read_text(encoding="utf-8").splitlines() if x.startswith(f"| {label} |"))
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def test_q1_engine_does_not_offer_more_in_time_in_every_replicate() -> None:
    """With the 50 flexwoningen of q1, FIFO offers more new koppelingen a home within 10 weeks
    than the engine in some replicates (replicate 6 of seed 1: 61% against 48%). So the page
    does not say the engine offers more in time; it gives the paired difference, whose band
    in q1 reaches below zero."""
    scenario = load_scenario(ROOT / "examples" / "scenarios" / "q1-ndw21-flexwoningen.yaml")
    world = build_world(scenario, 6)
    share = {
        strategy: summary_figures(run_replicate(scenario, world, 6, strategy))["offered_within_deadline_share_end"]
        for strategy in ("optimise", "fifo")
    }
    assert share["fifo"] > share["optimise"]

    header, row = _row("figure"), _row("engine - FIFO, offered within 10 weeks (points)")
    band = re.fullmatch(r"[+-]?\d+ \[(-?\d+) to (-?\d+)\]", row[header.index("q1 NDW21")])
    assert band is not None and int(band.group(1)) < 0 < int(band.group(2))
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    assert "and offers more new koppelingen a home within 10 weeks" not in text
