"""Charts of the weekly KPIs: the mean as a line and the 10-90% band around it.

One chart per KPI, as PNG and SVG, with one line per strategy; when a base result is given
the base's optimiser run is drawn dashed beside the variant's, so a chart answers "what
changes". Matplotlib runs on the Agg backend: no display is needed. The charts are read by
people at the municipality, so every word on them is Dutch, and the SVG keeps its text as
text (searchable, and checked for English by the tests).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np

from matcher.explain.reasons import dutch_date
from matcher.simulate.montecarlo import SimulationResult

CHARTED = {
    "persons_housed_cum": "Gehuisveste personen (opgeteld)",
    "taakstelling_remaining": "Taakstelling: personen nog te huisvesten dit halfjaar (met achterstand)",
    "pool_households": "Huishoudens die op een eerste woning wachten",
    "wait_median_weeks": "Mediaan van de wachttijd sinds koppeling (weken)",
    "wait_p90_weeks": "90e percentiel van de wachttijd (weken)",
    "offered_within_deadline_share": "Aandeel nieuwe koppelingen met een woningaanbod binnen 10 weken",
    "moves_per_household": "Verhuizingen per gehuisvest huishouden",
    "temporary_occupancy": "Bezetting van tijdelijke plekken",
    "movers_waiting": "Huishoudens die op doorstroming wachten",
}

COLOURS = {"optimise": "#1f6feb", "fifo": "#d1242f", "lookahead": "#1a7f37"}
STRATEGIES = {"optimise": "optimalisatie", "fifo": "FIFO (oudste koppeling eerst)", "lookahead": "vooruitkijken"}

# No creation date in the files and a fixed salt for the SVG element ids: the same result
# draws the same bytes, so two runs of the same inputs (locally or on a cluster) can be
# compared file by file.
_METADATA: dict[str, dict[str, Any]] = {"png": {"Software": None}, "svg": {"Date": None}}
_SVG_SALT = "statushouder-matcher"


def _dutch_date(value: float, _position: object = None) -> str:
    """An axis tick as "3 maart 2025"."""
    from matplotlib import dates

    to_date = cast(Callable[[float], dt.datetime], dates.num2date)
    return dutch_date(to_date(value).date().isoformat())


def dutch_number(value: float, _position: object = None) -> str:
    """An axis tick with a decimal comma: 0,25 rather than 0.25."""
    return f"{value:g}".replace("-", "\u2212").replace(".", ",")


def _series(values: list[Any]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def write_charts(result: SimulationResult, folder: Path, base: SimulationResult | None = None) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    matplotlib.rcParams["svg.hashsalt"] = _SVG_SALT
    matplotlib.rcParams["svg.fonttype"] = "none"
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
            label = f"basis ({base.scenario.get('name', 'basis')}), optimalisatie"
            axis.plot(base_dates, _series(series["mean"]), color="grey", linestyle="--", label=label)
        for strategy, kpis in result.weekly.items():
            series = kpis[kpi]
            colour = COLOURS.get(strategy, "black")
            axis.fill_between(dates, _series(series["p10"]), _series(series["p90"]), color=colour, alpha=0.18)
            axis.plot(
                dates,
                _series(series["mean"]),
                color=colour,
                label=f"{name}, {STRATEGIES.get(strategy, strategy)} (gemiddelde, band 10-90%)",
            )
        axis.set_title(title, fontsize=10)
        axis.xaxis.set_major_formatter(FuncFormatter(_dutch_date))
        axis.yaxis.set_major_formatter(FuncFormatter(dutch_number))
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
