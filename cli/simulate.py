"""The ``matcher simulate`` command: load, run with a progress bar, write the folder, summarise.

Kept apart from ``matcher/cli.py`` so that the CLI module stays small and imports nothing of
the simulator until the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from matcher.errors import InputError
from matcher.simulate.fairness import LABELS_NL, largest_p90_gap
from matcher.simulate.montecarlo import Interrupted, SimulationResult, run_sweep
from matcher.simulate.output import PARTIAL_NOTE, to_json_text, write_result, write_text
from matcher.simulate.scenario import Scenario, load_scenario
from matcher.simulate.solve_journal import SolveJournal


def _fmt(b: dict[str, float | None], digits: int = 1, scale: float = 1.0) -> str:
    if b["mean"] is None:
        return "-"
    assert b["p10"] is not None and b["p90"] is not None
    return f"{b['mean'] * scale:.{digits}f} [{b['p10'] * scale:.{digits}f}-{b['p90'] * scale:.{digits}f}]"


SUMMARY_ROWS = (
    ("Persons housed", "persons_housed_total", 0, 1.0),
    ("Taakstelling still open", "taakstelling_remaining_end", 0, 1.0),
    ("Households waiting", "pool_households_end", 0, 1.0),
    ("Median wait (weeks)", "wait_median_weeks_end", 1, 1.0),
    ("90th pct wait (weeks)", "wait_p90_weeks_end", 1, 1.0),
    ("Offered within 10 weeks (%)", "offered_within_deadline_share_end", 0, 100.0),
    ("Moves per household", "moves_per_household_end", 2, 1.0),
    ("Temporary occupancy (%)", "temporary_occupancy_mean", 0, 100.0),
)


def summary_table(result: SimulationResult) -> Table:
    """End-of-horizon figures per strategy: mean [10%-90%]."""
    strategies = list(result.summary)
    table = Table(title=f"{result.scenario.get('name')}: {result.replicates} replicates, {len(result.dates)} weeks")
    table.add_column("figure (end of horizon)")
    for strategy in strategies:
        table.add_column(strategy, justify="right")
    for label, key, digits, scale in SUMMARY_ROWS:
        table.add_row(label, *(_fmt(result.summary[s][key], digits, scale) for s in strategies))
    for label, values in hindsight_rows(result.hindsight):
        table.add_row(label, *(_fmt(values.get(s, {"mean": None}), 1) for s in strategies))
    return table


def hindsight_rows(hindsight: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    """The "% of hindsight" rows, each naming its reference: relaxed, exact (proven in how many), exact bound."""
    if not hindsight:
        return []
    rows = [("% of relaxed hindsight", hindsight["relaxed"]["percent"])]
    exact = hindsight.get("exact")
    if exact is not None:
        proven, total = exact["proven"], exact["replicates"]
        missing = exact.get("without_plan", 0)
        left_out = f"; {missing} without a plan, left out" if missing else ""
        if proven == total:
            rows.append((f"% of exact hindsight (proven optimal in all {total})", exact["percent"]))
        else:
            gap = _fmt(exact["gap_percent"], 2)
            label = f"% of exact hindsight, best plan found (proven in {proven} of {total}; gap % {gap}{left_out})"
            rows.append((label, exact["percent"]))
            rows.append(("% of exact hindsight, its bound (the true % lies between)", exact["percent_of_bound"]))
    return rows


STRATEGY_NL = {"optimise": "de engine", "lookahead": "vooruitkijken"}


def fairness_line(result: SimulationResult, strategy: str = "optimise") -> str | None:
    """One Dutch line: the group whose 90th percentile of waiting for a first offer differs most from FIFO's."""
    if not result.fairness:
        return None
    found = largest_p90_gap(result.fairness, strategy)
    if found is None:
        return None
    grouping, group, entry = found
    gap, mine, fifo = (
        entry[f"{strategy}_minus_fifo"]["wait_p90_weeks"],
        entry[strategy]["wait_p90_weeks"],
        entry["fifo"]["wait_p90_weeks"],
    )
    direction = "langer" if gap["mean"] > 0 else "korter"
    name = STRATEGY_NL.get(strategy, strategy)
    return (
        f"Grootste verschil met FIFO in de p90-wachttijd tot het eerste aanbod: {LABELS_NL[(grouping, group)]}, "
        f"met {name} {abs(gap['mean']):.1f} weken {direction} ({gap['mean']:+.1f} [{gap['p10']:+.1f} tot {gap['p90']:+.1f}]; "
        f"{name} {_fmt(mine)}, FIFO {_fmt(fifo)} weken; over {gap['replicates']} van {result.replicates} replicaties; "
        f"wie aan het eind nog wacht telt mee met de wachttijd tot dan). Alle groepen: fairness.csv."
    )


def comparison_table(comparison: dict[str, Any], strategy: str = "optimise") -> Table | None:
    """Variant against base for one strategy: both bands and the paired difference."""
    figures = comparison["strategies"].get(strategy)
    if figures is None:
        return None
    table = Table(title=f"{comparison['variant']} against {comparison['base']} ({strategy}, paired by replicate)")
    for column in ("figure (end of horizon)", "base", "variant", "difference"):
        table.add_column(column, justify="left" if column.startswith("figure") else "right")
    for label, key, digits, scale in SUMMARY_ROWS:
        f = figures[key]
        table.add_row(
            label, _fmt(f["base"], digits, scale), _fmt(f["variant"], digits, scale), _fmt(f["difference"], digits, scale)
        )
    return table


def mix_table(advice: dict[str, Any]) -> Table:
    """The advised koppeling mix beside today's, with the fluid model's bounds behind it (not a forecast)."""
    table = Table(
        title=(
            f"Koppeling mix for the forecast supply ({advice['homes_per_week']:.1f} homes a week). "
            f"Upper bound of the fluid model, not a forecast: "
            f"{advice['persons_per_week_upper_bound_today']:.1f} persons a week with today's mix, "
            f"{advice['persons_per_week_upper_bound_advised']:.1f} with the advised mix"
        )
    )
    columns = ("group", "persons", "share today", "share advised", "eligible homes/wk", "bound hh/wk today", "bound advised")
    for column in columns:
        table.add_column(column, justify="left" if column == "group" else "right")
    for row in advice["groups"]:
        table.add_row(
            row["group"],
            f"{row['persons_per_household']:.1f}",
            f"{100 * row['share_today']:.0f}%",
            f"{100 * row['share_advised']:.0f}%",
            f"{row['eligible_homes_per_week']:.2f}",
            f"{row['households_per_week_in_bound_today']:.2f}",
            f"{row['households_per_week_in_bound_advised']:.2f}",
        )
    return table


def _folder_names(paths: list[Path]) -> list[str]:
    names: list[str] = []
    for path in paths:
        name, k = path.stem, 2
        while name in names:
            name, k = f"{path.stem}-{k}", k + 1
        names.append(name)
    return names


def run_simulate_command(
    paths: list[Path],
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
    exact_hindsight: bool | None = None,
) -> None:
    """One scenario: results in ``out_dir`` (its base in ``out_dir/base``). Several: one folder each, one sweep.

    ``exact_hindsight`` (when not None) overrides the scenario files' ``exact_hindsight``."""
    if backend not in ("local", "ray"):
        raise InputError.single("--backend", f"expected local or ray, got {backend!r}")

    def load(path: Path) -> Scenario:
        scenario = load_scenario(path)
        return scenario if exact_hindsight is None else scenario.model_copy(update={"exact_hindsight": exact_hindsight})

    requested = [load(path) for path in paths]
    keys = [str(path.resolve()) for path in paths]
    scenarios = list(requested)
    base_index: dict[int, int] = {}
    if with_base:
        for k, scenario in enumerate(requested):
            if scenario.base is None:
                continue
            if scenario.base not in keys:
                keys.append(scenario.base)
                scenarios.append(load(Path(scenario.base)))
            base_index[k] = keys.index(scenario.base)
    total = len(scenarios) * replicates
    with Progress(
        TextColumn("Simulating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("replicates", total=total)
        try:
            results = run_sweep(
                scenarios, replicates, workers, backend, address, lambda done, _: progress.update(task, completed=done), True
            )
        except Interrupted:
            err.print("Onderbroken voordat een herhaling klaar was; er is niets geschreven.", highlight=False)
            raise typer.Exit(130) from None
    single = len(paths) == 1
    names = _folder_names([Path(key) for key in keys])
    folders = [out_dir if single and k == 0 else out_dir / ("base" if single else names[k]) for k in range(len(keys))]
    for k, result in enumerate(results):
        base = results[base_index[k]] if k in base_index else None
        write_result(result, folders[k], charts, base)
    for k in sorted(set(base_index.values()) - set(range(len(paths)))):
        out.print(summary_table(results[k]))
    for k in range(len(paths)):
        out.print(summary_table(results[k]))
        for strategy in results[k].summary:
            line = fairness_line(results[k], strategy) if strategy != "fifo" else None
            if line is not None:
                out.print(line, highlight=False)
        if k in base_index:
            from matcher.simulate.compare import compare

            table = comparison_table(compare(results[base_index[k]], results[k]))
            if table is not None:
                out.print(table)
        if mix_advice:
            _write_mix_advice(requested[k], paths[k], folders[k], out)
        if not single:
            out.print(f"Results for {paths[k]} written to {folders[k]}", highlight=False)
    wall = results[0].timing["wall_s"]
    out.print(f"Results written to {out_dir} in {wall:.1f} s", highlight=False)
    partial = results[0].partial
    if partial is not None:
        err.print(
            f"Onderbroken: de uitkomst is onvolledig, over de eerste {partial['replicates_done']} van "
            f"{partial['replicates_requested']} herhalingen (zie {PARTIAL_NOTE} in elke map).",
            highlight=False,
        )
        raise typer.Exit(130)


def run_frontier_command(
    paths: list[Path],
    replicates: int,
    workers: int,
    out_dir: Path,
    out: Console,
    err: Console,
    exact_replicates: int = 0,
    tail_weeks: list[int] | None = None,
    tail_replicates: int = 0,
) -> None:
    """Run the frontier of each scenario (one sweep), write frontier.json, frontier.csv and the chart, print a table."""
    from matcher.simulate.frontier import LABELS, POLICIES, frontier, frontier_chart, frontier_csv

    scenarios = [load_scenario(path) for path in paths]
    if (out_dir / SOLVE_JOURNAL).exists():
        SolveJournal(out_dir / SOLVE_JOURNAL)  # a damaged journal is reported now, not after the simulations
    total = 2 * len(scenarios) * replicates
    with Progress(
        TextColumn("Simulating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("replicates", total=total)
        try:
            entries = frontier(
                scenarios,
                replicates,
                workers,
                progress=lambda done, _: progress.update(task, completed=done),
                exact_replicates=exact_replicates,
                tail_weeks=tail_weeks or [],
                tail_replicates=tail_replicates,
                journal=out_dir / SOLVE_JOURNAL,
            )
        except KeyboardInterrupt:
            progress.stop()
            _frontier_interrupted(out_dir, err)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(out_dir / "frontier.json", to_json_text({"format": "frontier/v1", "scenarios": entries}))
    write_text(out_dir / "frontier.csv", frontier_csv(entries))
    frontier_chart(entries, out_dir)
    table = Table(title=f"Persons housed / 90th percentile of weeks to a first offer / to a first home ({replicates} replicates)")
    table.add_column("scenario")
    for policy in POLICIES:
        table.add_column(LABELS[policy], justify="right")
    table.add_column("hindsight (relaxed)", justify="right")
    table.add_column("exact hindsight, persons housed", justify="right")
    for entry in entries:
        cells = []
        for policy in POLICIES:
            point = entry["points"][policy]
            persons, wait, home = point["persons_housed"], point["wait_p90_weeks"], point["home_wait_p90_weeks"]
            cell = f"{persons['mean']:.0f} / {wait['mean']:.1f} wk" if wait and wait["mean"] is not None else "-"
            if cell != "-" and home and home["mean"] is not None:
                cell += f" / {home['mean']:.1f} wk"
            cells.append(cell)
        band = entry["hindsight_persons_placed"]
        cells.append(f"{band['mean']:.0f}" if band and band["mean"] is not None else "-")
        exact = entry.get("hindsight_exact")
        if exact is not None and exact["persons_housed"]["mean"] is not None:
            cells.append(f"{exact['persons_housed']['mean']:.0f} ({exact['proven']} of {exact['replicates']} proven)")
        else:
            cells.append("-")
        table.add_row(entry["scenario"], *cells)
    out.print(table)
    for entry in entries:
        percent, exact = entry.get("percent_of_exact"), entry.get("hindsight_exact")
        if percent and exact:
            shares = ", ".join(f"{LABELS[p]} {percent[p]['mean']:.1f}%" for p in POLICIES if percent[p].get("mean") is not None)
            out.print(
                f"{entry['scenario']}: persons housed as % of the exact hindsight optimum of persons housed "
                f"({exact['replicates']} replicates, {exact['proven']} proven optimal): {shares}",
                highlight=False,
            )
        for tail in entry.get("hindsight_tail") or []:
            persons = tail["persons_housed"]["mean"]
            figure = "no plan" if persons is None else f"{persons:.0f} persons"
            out.print(
                f"{entry['scenario']}: at most a tenth waiting more than {tail['tail_weeks']} weeks for a first home, "
                "exact hindsight "
                f"{figure} ({tail['proven']} of {tail['replicates']} proven; statuses {tail['statuses']})",
                highlight=False,
            )
    out.print(f"Frontier written to {out_dir} (frontier.png, frontier.svg, frontier.csv, frontier.json)", highlight=False)


SOLVE_JOURNAL = "exact_solves.jsonl"


def _frontier_interrupted(out_dir: Path, err: Console) -> NoReturn:
    """Ctrl-C during ``matcher frontier``: say what is kept and how to go on, and end with exit code 130."""
    journal = out_dir / SOLVE_JOURNAL
    kept = len(SolveJournal(journal)) if journal.exists() else 0
    if kept == 0:
        err.print("Interrupted before any exact solve had finished: nothing written.", highlight=False)
    else:
        err.print(
            f"Interrupted: nothing written but {journal} ({kept} exact solves finished in it). Run the same command "
            "with the same --out to go on: the journalled solves are read back, not solved again.",
            highlight=False,
        )
    raise typer.Exit(130)


MIX_VARIANT = "mix_advice_variant.yaml"


def _write_mix_advice(scenario: Scenario, path: Path, folder: Path, out: Console) -> None:
    from matcher.simulate.mix import advise_mix, advised_variant

    advice = advise_mix(scenario)
    document = advice.to_json(MIX_VARIANT)
    write_text(folder / "mix_advice.json", to_json_text(document))
    variant = advised_variant(scenario, advice, str(path.resolve()))
    write_text(folder / MIX_VARIANT, yaml.safe_dump(variant, sort_keys=False, allow_unicode=True))
    out.print(mix_table(document))
    out.print(
        "These are upper bounds of a fluid model (every forecast home filled at once by the koppelingen of the mix "
        "that fit it best; no start pool, waiting, declines or weekly matching), not a forecast: the gap between the "
        "two mixes can be far larger than what changing the mix does. For the forecast, simulate the advised mix "
        "against this scenario:",
        highlight=False,
    )
    out.print(f"  matcher simulate {folder / MIX_VARIANT}", highlight=False, soft_wrap=True)
