"""Charts of the weekly KPIs: the mean as a line and the 10-90% band around it.

One chart per KPI, as PNG and SVG, with one line per strategy; when a base result is given
the base's optimiser run is drawn dashed beside the variant's, so a chart answers "what
changes". Matplotlib runs on the Agg backend: no display is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from matcher.simulate.montecarlo import SimulationResult

CHARTED = {
    "persons_housed_cum": "Persons housed (cumulative)",
    "taakstelling_remaining": "Taakstelling: persons still to house this half year (incl. backlog)",
    "pool_households": "Households waiting for a first home",
    "wait_median_weeks": "Median waiting time since koppeling (weeks)",
    "wait_p90_weeks": "90th percentile waiting time (weeks)",
    "offered_within_deadline_share": "Share of new koppelingen offered a home within 10 weeks",
    "moves_per_household": "Moves per housed household",
    "temporary_occupancy": "Occupancy of temporary places",
    "movers_waiting": "Households waiting to move on",
}

COLOURS = {"optimise": "#1f6feb", "fifo": "#d1242f", "lookahead": "#1a7f37"}

# No creation date in the files and a fixed salt for the SVG element ids: the same result
# draws the same bytes, so two runs of the same inputs (locally or on a cluster) can be
# compared file by file.
_METADATA: dict[str, dict[str, Any]] = {"png": {"Software": None}, "svg": {"Date": None}}
_SVG_SALT = "statushouder-matcher"


def _series(values: list[Any]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def write_charts(result: SimulationResult, folder: Path, base: SimulationResult | None = None) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = _SVG_SALT
    folder.mkdir(parents=True, exist_ok=True)
    dates = np.array(result.dates, dtype="datetime64[D]")
    name = str(result.scenario.get("name", "scenario"))
    written: list[Path] = []
    for kpi, title in CHARTED.items():
        figure, axis = plt.subplots(figsize=(8, 4.2), dpi=110)
        if base is not None and "optimise" in base.weekly:
            series = base.weekly["optimise"][kpi]
            base_dates = np.array(base.dates, dtype="datetime64[D]")
            axis.fill_between(base_dates, _series(series["p10"]), _series(series["p90"]), color="grey", alpha=0.15)
            label = f"base ({base.scenario.get('name', 'base')}), optimiser"
            axis.plot(base_dates, _series(series["mean"]), color="grey", linestyle="--", label=label)
        for strategy, kpis in result.weekly.items():
            series = kpis[kpi]
            colour = COLOURS.get(strategy, "black")
            axis.fill_between(dates, _series(series["p10"]), _series(series["p90"]), color=colour, alpha=0.18)
            axis.plot(dates, _series(series["mean"]), color=colour, label=f"{name}, {strategy} (mean, 10-90% band)")
        axis.set_title(title, fontsize=10)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="best")
        figure.autofmt_xdate()
        figure.tight_layout()
        for suffix in ("png", "svg"):
            path = folder / f"{kpi}.{suffix}"
            tmp = path.with_name(f"{kpi}.tmp.{suffix}")
            figure.savefig(tmp, format=suffix, metadata=_METADATA[suffix])
            tmp.replace(path)
            written.append(path)
        plt.close(figure)
    return written
