"""Monte Carlo: replicates by seed, run in parallel, summarised as means with 10-90% bands.

One task is one replicate: its world is drawn once and every strategy (and the hindsight
optimum) runs on that same world, so strategies are compared on common random numbers.
Tasks carry only the scenario document and the replicate number, and results are sorted by
replicate before they are summarised, so figures never depend on the number of workers or
on the backend (local processes or a Ray cluster).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.simulate.fairness import Households, replicate_figures, summarise_fairness
from matcher.simulate.replicates import Finished, Job, Replicates
from matcher.simulate.scenario import Scenario, parse_scenario, scenario_document
from matcher.simulate.simulator import WEEKLY_KPIS, ReplicateRun, deadline_weeks, run_replicate
from matcher.simulate.world import build_world, check_start

Progress = Callable[[int, int], None]

# End-of-horizon figures reported per strategy, from the weekly series of one run.
SUMMARY_FIGURES = (
    "persons_housed_total",
    "taakstelling_remaining_end",
    "pool_households_end",
    "wait_median_weeks_end",
    "wait_p90_weeks_end",
    "offered_within_deadline_share_end",
    "moves_per_household_end",
    "temporary_occupancy_mean",
    "declines_total",
    "objective",
)


def band(values: Sequence[float] | np.ndarray[Any, Any]) -> dict[str, float | None]:
    """Mean, 10th, 50th and 90th percentile over replicates (NaN values are left out)."""
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    if len(array) == 0:
        return {"mean": None, "p10": None, "p50": None, "p90": None}
    p10, p50, p90 = np.percentile(array, [10, 50, 90])
    return {"mean": _r(array.mean()), "p10": _r(p10), "p50": _r(p50), "p90": _r(p90)}


def _r(value: float) -> float:
    return round(float(value), 4)


def no_nan(value: Any) -> Any:
    """JSON has no NaN: missing figures become null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [no_nan(v) for v in value]
    return value


def summary_figures(run: ReplicateRun) -> dict[str, float]:
    """The end figures of one run."""
    w = run.weekly
    occupancy = np.asarray(w["temporary_occupancy"], dtype=float)
    return {
        "persons_housed_total": w["persons_housed_cum"][-1],
        "taakstelling_remaining_end": w["taakstelling_remaining"][-1],
        "pool_households_end": w["pool_households"][-1],
        "wait_median_weeks_end": w["wait_median_weeks"][-1],
        "wait_p90_weeks_end": w["wait_p90_weeks"][-1],
        "offered_within_deadline_share_end": w["offered_within_deadline_share"][-1],
        "moves_per_household_end": w["moves_per_household"][-1],
        "temporary_occupancy_mean": float(np.nanmean(occupancy)) if (~np.isnan(occupancy)).any() else float("nan"),
        "declines_total": w["declines_cum"][-1],
        "objective": float(run.objective),
    }


def run_task(document: dict[str, Any], replicate: int, tag: int = 0) -> dict[str, Any]:
    """Everything for one replicate: each strategy and the hindsight references on one world."""
    from matcher.simulate.hindsight import exact_hindsight, hindsight_optimum

    scenario = parse_scenario(document)
    started = time.perf_counter()
    world = build_world(scenario, replicate)
    runs = [run_replicate(scenario, world, replicate, strategy).to_json() for strategy in scenario.strategies]
    hindsight = hindsight_optimum(scenario, world).to_json() if scenario.hindsight else None
    exact, exact_s = None, 0.0
    if scenario.hindsight and scenario.exact_hindsight:
        solved = exact_hindsight(scenario, replicate, world=world)
        exact, exact_s = solved.to_json(timings=False), solved.build_s + solved.solve_s
    households = Households.from_world(world)
    fairness = {
        run["strategy"]: replicate_figures(
            households, run["first_offer_week"], run["first_placement_week"], scenario.horizon_weeks, deadline_weeks(scenario)
        )
        for run in runs
    }
    return {
        "tag": tag,
        "replicate": replicate,
        "runs": runs,
        "hindsight": hindsight,
        "hindsight_exact": exact,
        "fairness": fairness,
        "seconds": time.perf_counter() - started,
        "timings": {"hindsight_exact_s": exact_s},
    }


@dataclass
class SimulationResult:
    """Summarised replicates of one scenario; ``to_json`` is what the CLI and the service return."""

    scenario: dict[str, Any]
    replicates: int
    dates: list[str]
    weekly: dict[str, dict[str, dict[str, list[float | None]]]]
    summary: dict[str, dict[str, dict[str, float | None]]]
    neighbourhoods: dict[str, dict[str, dict[str, float | None]]]
    neighbourhoods_weekly: dict[str, dict[str, dict[str, list[float | None]]]]
    comparison: dict[str, Any]
    hindsight: dict[str, Any] | None
    per_replicate: list[dict[str, Any]]
    timing: dict[str, Any]  # how the run ran: wall_s, replicate_s_median, workers, backend, exact_hindsight_s_median and _max
    fairness: dict[str, Any] | None = None  # per group of households: see matcher/simulate/fairness.py
    partial: dict[str, Any] | None = None  # a run cut short: replicates_done of replicates_requested

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values; figures that do not exist (a median of nobody) are null, never NaN."""
        document: dict[str, Any] = no_nan(
            {
                "format": "simulation-result/v1",
                "scenario": self.scenario,
                "replicates": self.replicates,
                "dates": self.dates,
                "weekly": self.weekly,
                "summary": self.summary,
                "placements_by_neighbourhood": self.neighbourhoods,
                "weekly_placements_by_neighbourhood": self.neighbourhoods_weekly,
                "comparison": self.comparison,
                "hindsight": self.hindsight,
                "per_replicate": self.per_replicate,
                "timing": self.timing,
                "fairness": self.fairness,
            }
        )
        if self.partial is not None:
            document["partial"] = dict(self.partial)
        return document

    @staticmethod
    def from_json(doc: dict[str, Any]) -> SimulationResult:
        return SimulationResult(
            scenario=doc["scenario"],
            replicates=doc["replicates"],
            dates=doc["dates"],
            weekly=doc["weekly"],
            summary=doc["summary"],
            neighbourhoods=doc["placements_by_neighbourhood"],
            neighbourhoods_weekly=doc["weekly_placements_by_neighbourhood"],
            comparison=doc["comparison"],
            hindsight=doc["hindsight"],
            per_replicate=doc["per_replicate"],
            timing=doc["timing"],
            fairness=doc.get("fairness"),
            partial=doc.get("partial"),
        )


def paired_strategies(strategies: Sequence[str]) -> list[tuple[str, str]]:
    """The paired comparisons reported: every strategy against FIFO, and the look-ahead against today's engine."""
    pairs = [(s, "fifo") for s in strategies if s != "fifo" and "fifo" in strategies]
    if "lookahead" in strategies and "optimise" in strategies:
        pairs.append(("lookahead", "optimise"))
    return pairs


def _percent(values: Sequence[float], references: Sequence[float | None]) -> dict[str, float | None]:
    """Each replicate's value as a percentage of its reference, as a band (replicates without a reference left out)."""
    return band([100.0 * v / r if r else np.nan for v, r in zip(values, references, strict=True)])


def hindsight_summary(
    tasks: list[dict[str, Any]], figures: dict[str, list[dict[str, float]]], strategies: list[str]
) -> dict[str, Any] | None:
    """Both hindsight references side by side, and each strategy's ``objective`` as a percentage of each.

    ``relaxed``: the assignment that drops declines, caps, beds, moves and most of the stay
    limits (an optimistic reference). ``exact``: the time-expanded problem with every rule of
    the week; ``percent`` is of the best plan found (the optimum where ``proven`` says so),
    ``percent_of_bound`` of the proven bound: where a replicate is not proven optimal, the
    true share lies between the two, and ``gap`` says how far apart value and bound are.
    ``without_plan`` counts the replicates with no plan (status ``no_plan``, ``unsolved``,
    ``too_large`` or ``not_modelled``): every band leaves them out rather than counting them as zero.
    """
    if not tasks or tasks[0].get("hindsight") is None:
        return None
    relaxed = [float(t["hindsight"]["objective"]) for t in tasks]
    summary: dict[str, Any] = {
        "relaxed": {
            "objective": band(relaxed),
            "persons_placed": band([float(t["hindsight"]["persons_placed"]) for t in tasks]),
            "relaxes": tasks[0]["hindsight"]["relaxes"],
            "percent": {s: _percent([x["objective"] for x in figures[s]], relaxed) for s in strategies},
        }
    }
    if all(t.get("hindsight_exact") is not None for t in tasks):
        exact: list[dict[str, Any]] = [t["hindsight_exact"] for t in tasks]
        values = [None if e["value"] is None else float(e["value"]) for e in exact]
        bounds = [None if e["bound"] is None else float(e["bound"]) for e in exact]
        summary["exact"] = {
            "objective": band([np.nan if v is None else v for v in values]),
            "bound": band([np.nan if b is None else b for b in bounds]),
            "gap_percent": band([np.nan if e["gap"] is None else 100.0 * e["gap"] for e in exact]),
            "proven": sum(1 for e in exact if e["status"] == "optimal"),
            "replicates": len(exact),
            "without_plan": sum(1 for v in values if v is None),
            "persons_housed": band(
                [np.nan if v is None else float(e["persons_housed"]) for e, v in zip(exact, values, strict=True)]
            ),
            "moves": band([np.nan if v is None else float(e["moves"]) for e, v in zip(exact, values, strict=True)]),
            "percent": {s: _percent([x["objective"] for x in figures[s]], values) for s in strategies},
            "percent_of_bound": {s: _percent([x["objective"] for x in figures[s]], bounds) for s in strategies},
        }
    return summary


def _hindsight_columns(task: dict[str, Any]) -> dict[str, Any]:
    relaxed, exact = task.get("hindsight"), task.get("hindsight_exact")
    return {
        "relaxed_hindsight_objective": relaxed["objective"] if relaxed else None,
        "exact_hindsight_objective": exact["value"] if exact else None,
        "exact_hindsight_bound": exact["bound"] if exact else None,
        "exact_hindsight_status": exact["status"] if exact else None,
    }


def _weekly_bands(values: np.ndarray[Any, Any]) -> dict[str, list[float | None]]:
    """Per-week mean and percentiles over replicates (rows) for one KPI."""
    out: dict[str, list[float | None]] = {"mean": [], "p10": [], "p50": [], "p90": []}
    for column in values.T:
        b = band(column)
        for key in out:
            out[key].append(b[key])
    return out


def summarise(scenario: Scenario, tasks: list[dict[str, Any]], seconds: float, workers: int, backend: str) -> SimulationResult:
    """Turn replicate results (any order) into bands and comparisons."""
    tasks = sorted(tasks, key=lambda t: int(t["replicate"]))
    strategies = [str(s) for s in scenario.strategies]
    runs = {s: [ReplicateRun.from_json(next(r for r in t["runs"] if r["strategy"] == s)) for t in tasks] for s in strategies}
    weekly = {
        s: {kpi: _weekly_bands(np.array([r.weekly[kpi] for r in runs[s]], dtype=float)) for kpi in WEEKLY_KPIS}
        for s in strategies
    }
    figures = {s: [summary_figures(r) for r in runs[s]] for s in strategies}
    summary = {s: {f: band([x[f] for x in figures[s]]) for f in SUMMARY_FIGURES} for s in strategies}
    names = sorted({n for s in strategies for r in runs[s] for n in r.placements_by_neighbourhood})
    neighbourhoods = {s: {n: band([r.placements_by_neighbourhood.get(n, 0) for r in runs[s]]) for n in names} for s in strategies}
    zeros = [0] * scenario.horizon_weeks
    neighbourhoods_weekly = {
        s: {
            n: _weekly_bands(np.array([r.placements_by_neighbourhood_weekly.get(n, zeros) for r in runs[s]], dtype=float))
            for n in names
        }
        for s in strategies
    }
    comparison: dict[str, Any] = {}
    for a, b in paired_strategies(strategies):
        comparison[f"{a}_minus_{b}"] = {
            f: band([x[f] - y[f] for x, y in zip(figures[a], figures[b], strict=True)]) for f in SUMMARY_FIGURES
        }
        comparison[f"{a}_over_{b}_persons_housed"] = band(
            [x["persons_housed_total"] / y["persons_housed_total"] if y["persons_housed_total"] else np.nan
             for x, y in zip(figures[a], figures[b], strict=True)]
        )  # fmt: skip
    hindsight = hindsight_summary(tasks, figures, strategies)
    per_replicate = [
        {"replicate": int(t["replicate"]), "strategy": s, **summary_figures(runs[s][k]), "solve_s": runs[s][k].solve_s,
         **_hindsight_columns(t)}
        for k, t in enumerate(tasks) for s in strategies
    ]  # fmt: skip
    fairness = None
    if tasks and all("fairness" in t for t in tasks):
        fairness = summarise_fairness([t["fairness"] for t in tasks], strategies, deadline_weeks(scenario))
    dates = [scenario.week_date(w).isoformat() for w in range(scenario.horizon_weeks)]
    timing = {
        "wall_s": round(seconds, 3),
        "replicate_s_median": round(float(np.median([t["seconds"] for t in tasks])), 3) if tasks else 0.0,
        "workers": float(workers),
        "backend": backend,
    }
    exact_seconds = [float(t["timings"]["hindsight_exact_s"]) for t in tasks if t.get("hindsight_exact") is not None]
    if exact_seconds:
        timing["exact_hindsight_s_median"] = round(float(np.median(exact_seconds)), 3)
        timing["exact_hindsight_s_max"] = round(float(np.max(exact_seconds)), 3)
    return SimulationResult(
        scenario=scenario_document(scenario),
        replicates=len(tasks),
        dates=dates,
        weekly=weekly,
        summary=summary,
        neighbourhoods=neighbourhoods,
        neighbourhoods_weekly=neighbourhoods_weekly,
        comparison=comparison,
        hindsight=hindsight,
        per_replicate=per_replicate,
        timing=timing,
        fairness=fairness,
    )


def _collect(
    jobs: list[Job],
    scenarios: int,
    workers: int,
    backend: str,
    address: str | None,
    progress: Progress | None,
    interruptible: bool,
) -> tuple[Finished, int, bool]:
    """Run the tasks; the finished ones, the workers that ran them (on Ray: the cluster's
    CPUs) and whether Ctrl-C cut the run short (only when ``interruptible``; else it is raised)."""
    finished = Finished(scenarios)
    total = len(jobs)
    try:
        if backend == "local" and workers <= 1:
            for document, replicate, tag in jobs:
                finished.add([run_task(document, replicate, tag)])
                if progress:
                    progress(finished.count(), total)
            return finished, workers, False
        with Replicates(jobs, workers, backend, address) as running:
            workers = running.workers
            try:
                while running.pending:
                    finished.add(running.next(None))
                    if progress:
                        progress(finished.count(), total)
            except KeyboardInterrupt:
                running.stop()
                raise
    except KeyboardInterrupt:
        if not interruptible:
            raise
        return finished, workers, True
    return finished, workers, False


def run_scenario(
    scenario: Scenario,
    replicates: int,
    workers: int = 1,
    backend: str = "local",
    address: str | None = None,
    progress: Progress | None = None,
) -> SimulationResult:
    """Run ``replicates`` replicates of a scenario and summarise them."""
    return run_sweep([scenario], replicates, workers, backend, address, progress)[0]


def run_sweep(
    scenarios: Sequence[Scenario],
    replicates: int,
    workers: int = 1,
    backend: str = "local",
    address: str | None = None,
    progress: Progress | None = None,
    interruptible: bool = False,
) -> list[SimulationResult]:
    """Many scenarios x replicates as one pool of tasks; one result per scenario, in order.

    With ``interruptible``, Ctrl-C stops the workers and the results are partial: every
    scenario summarised over the same first k replicates (k finished for all of them), marked
    with ``partial``; no replicate finished for every scenario raises ``Interrupted``."""
    if replicates < 1:
        raise ValueError("replicates must be at least 1")
    if backend not in ("local", "ray"):
        raise ValueError(f"unknown backend {backend!r}; expected local or ray")
    started = time.perf_counter()
    for scenario in scenarios:
        check_start(scenario)  # a bad start file is reported here, before any worker starts
    documents = [scenario_document(s) for s in scenarios]
    jobs = [(documents[k], r, k) for k in range(len(scenarios)) for r in range(replicates)]
    finished, workers, cut = _collect(jobs, len(scenarios), workers, backend, address, progress, interruptible)
    seconds = time.perf_counter() - started
    done = finished.common() if cut else replicates
    if done == 0:
        raise Interrupted(0, replicates)
    results = [summarise(s, finished.prefix(k)[:done], seconds, workers, backend) for k, s in enumerate(scenarios)]
    if cut:
        for result in results:
            result.partial = {"replicates_done": done, "replicates_requested": replicates}
    return results


class Interrupted(Exception):
    """Ctrl-C before the first replicate of every scenario was done: there is nothing to summarise."""

    def __init__(self, done: int, requested: int) -> None:
        super().__init__(f"interrupted after {done} of {requested} replicates")
        self.done, self.requested = done, requested
