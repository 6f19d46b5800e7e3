"""Writing a result folder: JSON for machines, CSV for spreadsheets, charts for people.

Files are written to a temporary name and renamed, so a folder never holds a half-written
file.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from matcher.simulate.fairness import FIGURES
from matcher.simulate.montecarlo import SUMMARY_FIGURES, SimulationResult, no_nan
from matcher.simulate.simulator import WEEKLY_KPIS


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def to_json_text(document: dict[str, Any]) -> str:
    return json.dumps(no_nan(document), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def weekly_csv(result: SimulationResult) -> str:
    """Long format: one row per strategy, KPI and week with mean and percentiles."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["strategy", "kpi", "week", "date", "mean", "p10", "p50", "p90"])
    for strategy, kpis in result.weekly.items():
        for kpi in WEEKLY_KPIS:
            series = kpis[kpi]
            for week, date in enumerate(result.dates):
                writer.writerow([strategy, kpi, week, date, *(_cell(series[k][week]) for k in ("mean", "p10", "p50", "p90"))])
    return buffer.getvalue()


def neighbourhoods_csv(result: SimulationResult) -> str:
    """Placements per neighbourhood and week: strategy, neighbourhood, week, date, mean and percentiles."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["strategy", "neighbourhood", "week", "date", "mean", "p10", "p50", "p90"])
    for strategy, by_name in result.neighbourhoods_weekly.items():
        for name, series in by_name.items():
            for week, date in enumerate(result.dates):
                writer.writerow([strategy, name, week, date, *(_cell(series[k][week]) for k in ("mean", "p10", "p50", "p90"))])
    return buffer.getvalue()


def summary_csv(result: SimulationResult) -> str:
    """One row per strategy and end figure (plus the comparisons and hindsight)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", "figure", "mean", "p10", "p50", "p90"])
    for strategy, figures in result.summary.items():
        for figure in SUMMARY_FIGURES:
            writer.writerow([strategy, figure, *(_cell(figures[figure][k]) for k in ("mean", "p10", "p50", "p90"))])
    for name, figures in result.comparison.items():
        if "_minus_" in name:
            for figure, b in figures.items():
                writer.writerow([name, figure, *(_cell(b[k]) for k in ("mean", "p10", "p50", "p90"))])
    for key, b in _bands(result.hindsight or {}):
        writer.writerow(["hindsight", key, *(_cell(b[k]) for k in ("mean", "p10", "p50", "p90"))])
    return buffer.getvalue()


def _bands(document: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every band in a nested document, named by its path: ``exact.percent.optimise``."""
    found: list[tuple[str, dict[str, Any]]] = []
    for key, value in document.items():
        if isinstance(value, dict) and "mean" in value:
            found.append((prefix + key, value))
        elif isinstance(value, dict):
            found.extend(_bands(value, f"{prefix}{key}."))
    return found


def fairness_csv(result: SimulationResult) -> str:
    """One row per grouping, group, strategy (or the paired difference) and figure, with the replicates it was computed over."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["grouping", "group", "strategy", "figure", "replicates", "mean", "p10", "p50", "p90"])
    if not result.fairness:
        return buffer.getvalue()
    columns = ("replicates", "mean", "p10", "p50", "p90")
    for grouping, groups in result.fairness["groupings"].items():
        for group, entry in groups.items():
            writer.writerow([grouping, group, "all", "households", *(_cell(entry["households"][k]) for k in columns)])
            for row in (*result.summary, *(f"{s}_minus_fifo" for s in result.summary if s != "fifo")):
                for figure in FIGURES:
                    if row in entry:
                        writer.writerow([grouping, group, row, figure, *(_cell(entry[row][figure][k]) for k in columns)])
    return buffer.getvalue()


def replicates_csv(result: SimulationResult) -> str:
    buffer = io.StringIO()
    if not result.per_replicate:
        return ""
    writer = csv.DictWriter(buffer, fieldnames=list(result.per_replicate[0]), lineterminator="\n")
    writer.writeheader()
    for row in result.per_replicate:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


PARTIAL_NOTE = "ONVOLLEDIG.txt"


def partial_note(partial: dict[str, int]) -> str:
    """What a folder of a run cut short says about itself, in Dutch."""
    done, requested = partial["replicates_done"], partial["replicates_requested"]
    return (
        f"Deze uitkomst is onvolledig: de doorrekening is onderbroken na {done} van de {requested} herhalingen.\n"
        f"Alle cijfers in deze map gaan over de eerste {done} herhalingen (herhaling 0 tot en met {done - 1}),\n"
        f"precies wat een doorrekening met {done} herhalingen geeft; result.json zegt het in het veld partial.\n"
    )


def write_result(result: SimulationResult, folder: Path, charts: bool = True, base: SimulationResult | None = None) -> list[Path]:
    """Fill ``folder`` with result.json, weekly.csv, summary.csv, replicates.csv, fairness.csv and charts
    (and ONVOLLEDIG.txt when the run was cut short)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    files = {
        "result.json": to_json_text(result.to_json()),
        "weekly.csv": weekly_csv(result),
        "summary.csv": summary_csv(result),
        "replicates.csv": replicates_csv(result),
        "neighbourhoods.csv": neighbourhoods_csv(result),
    }
    if result.fairness is not None:
        files["fairness.csv"] = fairness_csv(result)
    if base is not None:
        from matcher.simulate.compare import compare

        comparison = compare(base, result)
        if result.partial is not None:
            comparison["partial"] = dict(result.partial)
        files["comparison.json"] = to_json_text(comparison)
    if result.partial is not None:
        files[PARTIAL_NOTE] = partial_note(result.partial)
    else:
        (folder / PARTIAL_NOTE).unlink(missing_ok=True)  # left by an earlier run that was cut short
    for name, text in files.items():
        write_text(folder / name, text)
        written.append(folder / name)
    if charts:
        from matcher.simulate.charts import write_charts

        written.extend(write_charts(result, folder / "charts", base))
    return written
