"""The ``matcher simulate`` command: load, run with a progress bar, write the folder, summarise.

Kept apart from ``matcher/cli.py`` so that the CLI module stays small and imports nothing of
the simulator until the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from matcher.errors import InputError
from matcher.simulate.montecarlo import SimulationResult, run_sweep
from matcher.simulate.output import to_json_text, write_result, write_text
from matcher.simulate.scenario import Scenario, load_scenario


def _fmt(b: dict[str, float | None], digits: int = 1, scale: float = 1.0) -> str:
    if b["mean"] is None:
        return "-"
    assert b["p10"] is not None and b["p90"] is not None
    return f"{b['mean'] * scale:.{digits}f} [{b['p10'] * scale:.{digits}f}-{b['p90'] * scale:.{digits}f}]"


def summary_table(result: SimulationResult) -> Table:
    """End-of-horizon figures per strategy: mean [10%-90%]."""
    strategies = list(result.summary)
    table = Table(title=f"{result.scenario.get('name')}: {result.replicates} replicates, {len(result.dates)} weeks")
    table.add_column("figure (end of horizon)")
    for strategy in strategies:
        table.add_column(strategy, justify="right")
    rows = (
        ("Persons housed", "persons_housed_total", 0, 1.0),
        ("Taakstelling still open", "taakstelling_remaining_end", 0, 1.0),
        ("Households waiting", "pool_households_end", 0, 1.0),
        ("Median wait (weeks)", "wait_median_weeks_end", 1, 1.0),
        ("90th pct wait (weeks)", "wait_p90_weeks_end", 1, 1.0),
        ("Offered within 10 weeks (%)", "offered_within_deadline_share_end", 0, 100.0),
        ("Moves per household", "moves_per_household_end", 2, 1.0),
        ("Temporary occupancy (%)", "temporary_occupancy_mean", 0, 100.0),
    )
    for label, key, digits, scale in rows:
        table.add_row(label, *(_fmt(result.summary[s][key], digits, scale) for s in strategies))
    if result.hindsight:
        table.add_row(
            "% of hindsight optimum",
            *(_fmt(result.hindsight.get(f"{s}_percent_of_hindsight", {"mean": None}), 1) for s in strategies),
        )
    return table


def mix_table(advice: dict[str, Any]) -> Table:
    """The advised koppeling mix beside today's, with the supply figures behind it."""
    table = Table(
        title=(
            f"Koppeling mix for the forecast supply ({advice['homes_per_week']:.1f} homes a week): "
            f"{advice['current_persons_per_week']:.1f} persons a week today, {advice['advised_persons_per_week']:.1f} advised"
        )
    )
    for column in ("group", "persons", "share today", "share advised", "eligible homes/wk", "housed/wk today", "advised"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for row in advice["groups"]:
        table.add_row(
            row["group"],
            f"{row['persons_per_household']:.1f}",
            f"{100 * row['share_today']:.0f}%",
            f"{100 * row['share_advised']:.0f}%",
            f"{row['eligible_homes_per_week']:.2f}",
            f"{row['households_housed_per_week_today']:.2f}",
            f"{row['households_housed_per_week_advised']:.2f}",
        )
    return table


def run_simulate_command(
    path: Path,
    replicates: int,
    workers: int,
    out_dir: Path,
    backend: str,
    address: str | None,
    charts: bool,
    with_base: bool,
    out: Console,
    err: Console,
    mix_advice: bool = False,
) -> None:
    if backend not in ("local", "ray"):
        raise InputError.single("--backend", f"expected local or ray, got {backend!r}")
    scenario = load_scenario(path)
    scenarios: list[Scenario] = [scenario]
    if with_base and scenario.base is not None:
        scenarios.insert(0, load_scenario(Path(scenario.base)))
    total = len(scenarios) * replicates
    with Progress(
        TextColumn("Simulating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("replicates", total=total)
        results = run_sweep(
            scenarios, replicates, workers, backend, address, lambda done, _: progress.update(task, completed=done)
        )
    result = results[-1]
    base = results[0] if len(results) > 1 else None
    if base is not None:
        write_result(base, out_dir / "base", charts)
    write_result(result, out_dir, charts, base)
    if base is not None:
        out.print(summary_table(base))
    out.print(summary_table(result))
    if mix_advice:
        from matcher.simulate.mix import advise_mix

        advice = advise_mix(scenario)
        write_text(out_dir / "mix_advice.json", to_json_text(advice.to_json()))
        out.print(mix_table(advice.to_json()))
    out.print(f"Results written to {out_dir} in {result.timing['wall_s']:.1f} s", highlight=False)
