"""The frontier's references from hindsight: the exact optimum of persons housed, and its price in waiting.

The frontier sets each policy's persons housed against its 90th percentile of weeks to a
first offer. Two figures from the exact hindsight programme (``hindsight_model.py``) make
that chart say what is possible at all:

- **the exact reference**: per replicate, the most persons any plan could house in the
  horizon knowing the whole year in advance (``measure="persons_housed"``, the chart's own
  y axis, nareizigers who join included), solved to proven optimality or with a proven
  bound and its gap;
- **the tail frontier**: the same, with at most a tenth of the households waiting more
  than T weeks to a first placement (the tail rule), for a few T. It is the most persons
  that any policy, even one that knows the future, can house with a 90th percentile of weeks
  to a first home of at most T. The chart's x axis counts weeks to a first offer, a declined
  one included; a policy's first offer comes no later than its first home, so its p90 to a
  first home lies at or to the right of its point. The rule is not counted on offers: a plan
  that knows the future could then offer homes it knows will be declined, and in the base
  most households have such a home on offer within weeks of their koppeling, which leaves
  the rule almost nothing to bind (``declined_offers_count`` in ``exact_hindsight``).

Each costs a solve per replicate (from seconds to about seven minutes for a replicate of the
example scenarios, the tail rule included), so they are computed for the first replicates only, as many as asked for,
in worker processes; the result depends only on the scenario, the replicate and T. Given an
output folder's journal (``solve_journal.py``), each solve lands there as soon as it finishes,
so a run cut short loses only the solves under way, and a rerun reads the finished ones back.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Final

import numpy as np

from matcher.simulate.montecarlo import band
from matcher.simulate.replicates import worker_start
from matcher.simulate.scenario import Scenario, parse_scenario, scenario_document
from matcher.simulate.solve_journal import SolveJournal, SolveKey, document_hash, start_files_hash

logger = logging.getLogger(__name__)


# The settings of every frontier solve; each is part of a journalled solve's key (``solve_journal.SolveKey``).
MEASURE: Final = "persons_housed"
DETERMINISTIC_TIME_S = 60.0
LP_TIME_LIMIT_S = 1800.0
DECLINED_OFFERS_COUNT = False


def _settings() -> dict[str, Any]:
    """The keyword settings of ``exact_hindsight`` for every frontier solve, which are also fields of its key."""
    from matcher.simulate.hindsight_model import MAX_COLUMNS

    return {
        "measure": MEASURE,
        "deterministic_time_s": DETERMINISTIC_TIME_S,
        "lp_time_limit_s": LP_TIME_LIMIT_S,
        "max_columns": MAX_COLUMNS,
        "declined_offers_count": DECLINED_OFFERS_COUNT,
    }


def solve_key(document: dict[str, Any], replicate: int, tail_weeks: int | None) -> SolveKey:
    """What one frontier solve's answer depends on: the hashes of the scenario document and of its start files, the
    replicate, T and the settings the solve runs with."""
    return SolveKey(
        document_sha256=document_hash(document),
        start_files_sha256=start_files_hash(document),
        replicate=replicate,
        tail_weeks=tail_weeks,
        **_settings(),
    )


def _solve(document: dict[str, Any], replicate: int, tail_weeks: int | None) -> dict[str, Any]:
    """One replicate's exact optimum of persons housed (with the tail rule when ``tail_weeks`` is given)."""
    from matcher.simulate.hindsight import exact_hindsight

    solved = exact_hindsight(parse_scenario(document), replicate, tail_weeks=tail_weeks, **_settings())
    figures = solved.to_json(timings=True)
    figures["replicate"] = replicate
    return figures


def _figures(solved: list[dict[str, Any]]) -> dict[str, Any]:
    """Bands over the replicates solved: the best plan's persons housed, the bound and the gap, with the statuses."""

    def values(key: str) -> list[float]:
        return [np.nan if s[key] is None else float(s[key]) for s in solved]

    statuses: dict[str, int] = {}
    for s in solved:
        statuses[s["status"]] = statuses.get(s["status"], 0) + 1
    return {
        "replicates": len(solved),
        "proven": statuses.get("optimal", 0),
        "statuses": dict(sorted(statuses.items())),
        "persons_housed": band(values("value")),
        "bound": band(values("bound")),
        "gap_percent": band([np.nan if s["gap"] is None else 100.0 * float(s["gap"]) for s in solved]),
        "wait_p90_weeks": band(values("wait_p90_weeks")) if any("wait_p90_weeks" in s for s in solved) else None,
        "solve_s": band([float(s.get("build_s", 0.0)) + float(s.get("solve_s", 0.0)) for s in solved]),
        "per_replicate": [
            {k: s.get(k) for k in ("replicate", "status", "value", "bound", "gap", "wait_p90_weeks")} for s in solved
        ],
    }


def hindsight_references(
    scenarios: Sequence[Scenario],
    exact_replicates: int,
    tail_weeks: Sequence[int] = (),
    tail_replicates: int = 0,
    workers: int = 1,
    journal: Path | None = None,
) -> list[dict[str, Any]]:
    """Per scenario: ``exact`` (replicates 0 to ``exact_replicates`` - 1, or None) and ``tail``, one entry per T
    (replicates 0 to ``tail_replicates`` - 1, for the first scenario only: the curve is costly).

    A replicate whose solve fails for lack of a plan or bound keeps its status and is left out of
    the bands, as ``hindsight.exact`` does in a result file.

    With ``journal`` (a JSON-lines file, see ``solve_journal``) each solve is appended to it as
    soon as it finishes, and a solve already journalled under the same key is read back
    instead of solved again: a run cut short resumes where it stopped, with the same figures."""
    jobs: list[tuple[int, dict[str, Any], int, int | None]] = []
    for k, scenario in enumerate(scenarios):
        document = scenario_document(scenario)
        jobs.extend((k, document, r, None) for r in range(exact_replicates))
        if k == 0:
            jobs.extend((k, document, r, t) for t in sorted(set(tail_weeks)) for r in range(tail_replicates))
    book = SolveJournal(journal) if journal is not None else None
    keys = [solve_key(document, r, t) for _, document, r, t in jobs]
    answers: list[dict[str, Any] | None] = [book.get(key) if book else None for key in keys]
    todo = [i for i, answer in enumerate(answers) if answer is None]
    if todo:
        logger.info("exact solves: %d journalled, %d to solve", len(jobs) - len(todo), len(todo))

    def finished(i: int, figures: dict[str, Any]) -> None:
        answers[i] = figures
        if book is not None:
            book.record(keys[i], figures, scenarios[jobs[i][0]].name)

    if workers > 1 and len(todo) > 1:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker_start,  # Ctrl-C is the parent's to handle: it stops the workers below
            initargs=(os.getpid(),),
        )
        try:
            futures = {pool.submit(_solve, jobs[i][1], jobs[i][2], jobs[i][3]): i for i in todo}
            for future in as_completed(futures):
                finished(futures[future], future.result())
        except BaseException:  # Ctrl-C or a failed solve: end the solves under way, keep what is journalled
            _stop(pool)
            raise
        pool.shutdown(wait=True)
    else:
        for i in todo:
            finished(i, _solve(jobs[i][1], jobs[i][2], jobs[i][3]))
    out: list[dict[str, Any]] = []
    for k, scenario in enumerate(scenarios):
        mine = [(t, a) for (owner, _, _, t), a in zip(jobs, answers, strict=True) if owner == k and a is not None]
        exact = [a for t, a in mine if t is None]
        tail = [
            {"tail_weeks": t, **_figures([a for u, a in mine if u == t])} for t in sorted({u for u, _ in mine if u is not None})
        ]
        out.append({"scenario": scenario.name, "exact": _figures(exact) if exact else None, "tail": tail})
    return out


def _stop(pool: ProcessPoolExecutor) -> None:
    """End every worker of ``pool`` now, dropping the solves not finished."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
        process.join(timeout=10)
