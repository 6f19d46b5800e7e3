"""The simulation's charts are read by people at the municipality: every word on them is Dutch."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from english import english

ROOT = Path(__file__).resolve().parents[2]


def test_every_chart_speaks_dutch(tmp_path: Path) -> None:
    """A variant run with its base draws every chart with Dutch titles, legends and dates (the SVG keeps its
    text as text, so what a reader sees can be read back): no English giveaway, no ISO date."""
    (tmp_path / "base.yaml").write_text("name: basis\nhorizon_weeks: 5\nseed: 3\n", encoding="utf-8")
    (tmp_path / "variant.yaml").write_text("base: base.yaml\nname: meer\nvacancies:\n  statushouder_share: 0.03\n")
    out = tmp_path / "out"
    env = {**os.environ, "COLUMNS": "250"}
    command = [sys.executable, "-m", "cli", "simulate", str(tmp_path / "variant.yaml"), "--replicates", "1", "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    charts = sorted((out / "charts").glob("*.svg"))
    assert len(charts) >= 9
    for chart in charts:
        texts = [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text\b.*?</text>", chart.read_text(), re.S)]
        words = " ".join(texts)
        assert "Gehuisveste" in words or "Huishoudens" in words or "wachttijd" in words or "Aandeel" in words \
            or "Verhuizingen" in words or "Bezetting" in words or "Taakstelling" in words, chart.name  # fmt: skip
        assert english(words) == [], (chart.name, english(words))
