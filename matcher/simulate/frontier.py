"""The frontier: persons housed against the 90th percentile of waiting, for each way of deciding.

A municipality choosing a policy chooses a point between housing as many persons as
possible and letting nobody wait much longer than the rest. This module runs the same
replicates (same seeds, so the same arrivals and homes) of a scenario under each way of
deciding and sets each one's persons housed against its 90th percentile of waiting:

- ``fifo``: today's way, oldest koppeling first;
- ``optimise``: the engine with the scenario's policy (persons placed first by default);
- ``waiting-first``: the engine with overdue households and waiting days first
  (``examples/scenarios/waiting-first.yaml``);
- ``lookahead``: the engine looking ahead with the scenario's forecast and the guard on long waits;
- the exact hindsight optimum of persons housed (``frontier_hindsight.py``), when asked for
  (``exact_replicates``): the most persons any plan could house knowing the whole year in
  advance, on the same measure as the y axis, drawn as a line; and the tail frontier
  (``tail_weeks``): the most persons with at most a tenth of the households waiting more
  than T weeks to a first home, a curve no policy can lie above at its 90th percentile of
  weeks to a first home (at or right of its point: a first offer comes no later);
- without the exact one, the relaxed hindsight reference (``matcher.simulate.hindsight``):
  the persons it places, drawn as a dashed line. It counts persons at their first placement
  and maximises persons times weeks housed, while "persons housed" also counts nareizigers
  who join a housed family later: a policy can lie above that line.

The waiting figure is the 90th percentile, over every household that arrived, of the weeks
from koppeling to the first offer (households still without an offer count with the weeks
waited so far), per replicate; its mean and 10-90% band over replicates are reported, as for
persons housed. Beside it: the same to a first home (``home_wait_p90_weeks``, what the tail
frontier's rule counts, read from the fairness figures; not drawn), and the pool's 90th
percentile at the end of the horizon.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matcher.simulate.montecarlo import Progress, SimulationResult, run_sweep
from matcher.simulate.scenario import Scenario, parse_scenario, scenario_document

WAITING_FIRST_OBJECTIVE = [
    {"overdue": 100, "waiting_days": 1},
    {"placed_persons": 10, "vulnerable": 3},
    {"temporary": -10, "underoccupancy": -3, "preferred": 5, "own_municipality": 5},
]
POLICIES = ("fifo", "optimise", "waiting-first", "lookahead")
LABELS = {
    "fifo": "FIFO (oudste koppeling eerst)",
    "optimise": "optimalisatie (huidig beleid)",
    "waiting-first": "wachttijd eerst",
    "lookahead": "vooruitkijken met bescherming van lange wachters",
}
REFERENCES = {"relaxed": "ruim", "exact": "exact"}
COLOURS = {"fifo": "#d1242f", "optimise": "#1f6feb", "waiting-first": "#8250df", "lookahead": "#1a7f37"}


def variants(scenario: Scenario, exact_hindsight: bool = False) -> tuple[Scenario, Scenario]:
    """The scenario with the three strategies, and its waiting-first twin (same seed: the same replicates).

    The frontier's line is the relaxed reference's persons placed, so the exact hindsight
    (which maximises persons x weeks, and costs a solve per replicate) is computed only when
    asked for, as the look-ahead benchmark does for its "% of exact hindsight" target."""
    document = scenario_document(scenario)
    strategies = ["lookahead", "optimise", "fifo"]
    main = parse_scenario({**document, "strategies": strategies, "exact_hindsight": exact_hindsight}, scenario.name)
    policy = {**document["policy"], "matcher": {**document["policy"]["matcher"], "objective": WAITING_FIRST_OBJECTIVE}}
    waiting = parse_scenario(
        {**document, "name": f"{scenario.name}-waiting-first", "policy": policy, "strategies": ["optimise"], "hindsight": False},
        scenario.name,
    )
    return main, waiting


def point(result: SimulationResult, strategy: str) -> dict[str, Any]:
    fairness = result.fairness or {}
    everyone = fairness.get("groupings", {}).get("all", {}).get("all", {})
    return {
        "persons_housed": result.summary[strategy]["persons_housed_total"],
        "wait_p90_weeks": everyone.get(strategy, {}).get("wait_p90_weeks"),
        "home_wait_p90_weeks": everyone.get(strategy, {}).get("home_wait_p90_weeks"),
        "pool_wait_p90_weeks_end": result.summary[strategy]["wait_p90_weeks_end"],
        "offered_within_deadline_share": result.summary[strategy]["offered_within_deadline_share_end"],
    }


def frontier(
    scenarios: Sequence[Scenario],
    replicates: int,
    workers: int = 1,
    progress: Progress | None = None,
    exact_replicates: int = 0,
    tail_weeks: Sequence[int] = (),
    tail_replicates: int = 0,
    journal: Path | None = None,
) -> list[dict[str, Any]]:
    """One entry per scenario: each policy's point (means and bands over the same replicates) and the hindsight line.

    With ``exact_replicates`` the exact optimum of persons housed on replicates 0 to
    ``exact_replicates`` - 1 (at most ``replicates``); with ``tail_weeks`` and
    ``tail_replicates`` the tail frontier of the first scenario (see ``frontier_hindsight``).
    With ``journal`` each exact solve is kept there as it finishes and read back on a rerun."""
    runs: list[Scenario] = []
    for scenario in scenarios:
        runs.extend(variants(scenario))
    results = run_sweep(runs, replicates, workers, progress=progress)
    entries = [entry(scenario.name, results[2 * k], results[2 * k + 1]) for k, scenario in enumerate(scenarios)]
    if exact_replicates > 0 or (tail_weeks and tail_replicates > 0):
        from matcher.simulate.frontier_hindsight import hindsight_references

        references = hindsight_references(
            scenarios, min(exact_replicates, replicates), tail_weeks, min(tail_replicates, replicates), workers, journal
        )
        for k, (item, reference) in enumerate(zip(entries, references, strict=True)):
            item["hindsight_exact"] = reference["exact"]
            item["hindsight_tail"] = reference["tail"]
            if reference["exact"] is not None:
                item["percent_of_exact"] = percent_of_exact(results[2 * k], results[2 * k + 1], reference["exact"])
    return entries


def percent_of_exact(main: SimulationResult, waiting: SimulationResult, exact: dict[str, Any]) -> dict[str, Any]:
    """Each policy's persons housed as a percentage of the exact optimum of persons housed, paired per replicate
    (on the replicates the exact optimum was solved for, and proven or not: ``exact["proven"]`` says)."""
    from matcher.simulate.montecarlo import band

    optimum = {r["replicate"]: r["value"] for r in exact["per_replicate"] if r["value"]}
    out: dict[str, Any] = {}
    for policy in POLICIES:
        result, strategy = (waiting, "optimise") if policy == "waiting-first" else (main, policy)
        housed = {r["replicate"]: r["persons_housed_total"] for r in result.per_replicate if r["strategy"] == strategy}
        shares = [100.0 * float(housed[r]) / float(v) for r, v in sorted(optimum.items()) if r in housed]
        out[policy] = {**band(shares), "replicates": len(shares)}
    return out


def entry(name: str, main: SimulationResult, waiting: SimulationResult) -> dict[str, Any]:
    """One scenario's frontier from its two runs (see ``variants``)."""
    hindsight = (main.hindsight or {}).get("relaxed", {})
    return {
        "scenario": name,
        "replicates": main.replicates,
        "points": {
            "fifo": point(main, "fifo"),
            "optimise": point(main, "optimise"),
            "waiting-first": point(waiting, "optimise"),
            "lookahead": point(main, "lookahead"),
        },
        "hindsight_persons_placed": hindsight.get("persons_placed"),
        "hindsight_is": "relaxed" if hindsight else None,
        "hindsight_exact": None,
        "hindsight_tail": [],
        "percent_of_exact": None,
    }


def frontier_csv(entries: list[dict[str, Any]]) -> str:
    """One row per scenario, policy and figure: mean, p10, p50, p90."""
    lines = ["scenario,policy,figure,mean,p10,p50,p90"]

    def cell(value: Any) -> str:
        return "" if value is None else str(value)

    for entry in entries:
        for policy, point in entry["points"].items():
            for figure, band in point.items():
                if band is not None:
                    values = ",".join(cell(band.get(k)) for k in ("mean", "p10", "p50", "p90"))
                    lines.append(f"{entry['scenario']},{policy},{figure},{values}")
        if entry["hindsight_persons_placed"] is not None:
            band = entry["hindsight_persons_placed"]
            values = ",".join(cell(band.get(k)) for k in ("mean", "p10", "p50", "p90"))
            lines.append(f"{entry['scenario']},hindsight_{entry['hindsight_is']},persons_placed,{values}")
        for policy, band in (entry.get("percent_of_exact") or {}).items():
            if band.get("mean") is not None:
                values = ",".join(cell(band.get(k)) for k in ("mean", "p10", "p50", "p90"))
                lines.append(f"{entry['scenario']},{policy},percent_of_exact_persons_housed,{values}")
        references = [("hindsight_exact", entry.get("hindsight_exact"))]
        references += [(f"hindsight_tail_{t['tail_weeks']}", t) for t in entry.get("hindsight_tail") or []]
        for name, figures in references:
            if figures is None:
                continue
            lines.append(f"{entry['scenario']},{name},replicates,{figures['replicates']},,,")
            lines.append(f"{entry['scenario']},{name},proven_optimal,{figures['proven']},,,")
            for figure in ("persons_housed", "bound", "gap_percent", "wait_p90_weeks"):
                band = figures.get(figure)
                if band is not None and band.get("mean") is not None:
                    values = ",".join(cell(band.get(k)) for k in ("mean", "p10", "p50", "p90"))
                    lines.append(f"{entry['scenario']},{name},{figure},{values}")
    return "\n".join(lines) + "\n"


def frontier_chart(entries: list[dict[str, Any]], folder: Path) -> list[Path]:
    """``frontier.png`` and ``frontier.svg``: one panel per scenario, persons housed against p90 waiting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from matcher.simulate.charts import dutch_number

    matplotlib.rcParams["svg.hashsalt"] = "statushouder-matcher"  # the same result draws the same bytes
    matplotlib.rcParams["svg.fonttype"] = "none"  # Dutch text kept as text
    folder.mkdir(parents=True, exist_ok=True)
    n = len(entries)
    columns = min(n, 3)
    rows = -(-n // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 4.4 * rows), dpi=110, squeeze=False)
    for index, entry in enumerate(entries):
        axis = axes[index // columns][index % columns]
        for policy in POLICIES:
            point = entry["points"][policy]
            persons, wait = point["persons_housed"], point["wait_p90_weeks"]
            if persons["mean"] is None or wait is None or wait["mean"] is None:
                continue
            axis.errorbar(
                wait["mean"],
                persons["mean"],
                xerr=[[wait["mean"] - wait["p10"]], [wait["p90"] - wait["mean"]]],
                yerr=[[persons["mean"] - persons["p10"]], [persons["p90"] - persons["mean"]]],
                fmt="o",
                color=COLOURS[policy],
                capsize=3,
                label=LABELS[policy],
            )
        _draw_exact(axis, entry)
        band = entry["hindsight_persons_placed"]
        if entry.get("hindsight_exact") is None and band is not None and band["mean"] is not None:
            axis.axhline(
                band["mean"],
                color="black",
                linestyle="--",
                linewidth=1,
                label=f"achteraf best mogelijke ({REFERENCES.get(entry['hindsight_is'], entry['hindsight_is'])}): "
                "personen bij eerste plaatsing",
            )
        axis.set_title(f"{entry['scenario']} ({entry['replicates']} herhalingen)", fontsize=10)
        axis.set_xlabel("90e percentiel van de weken tot een eerste aanbod")
        axis.set_ylabel("gehuisveste personen in de periode")
        axis.xaxis.set_major_formatter(FuncFormatter(dutch_number))
        axis.yaxis.set_major_formatter(FuncFormatter(dutch_number))
        axis.grid(alpha=0.3)
    for index in range(n, rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    labels: dict[str, Any] = {}  # one legend for all panels, below them: it never covers a point
    for axis in figure.axes:
        for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
            labels.setdefault(label, handle)
    figure.suptitle("Gehuisveste personen tegen wachttijd: gemiddelde en band 10-90% over dezelfde herhalingen", fontsize=11)
    figure.tight_layout(rect=(0, 0.09, 1, 0.97))
    figure.legend(list(labels.values()), list(labels), loc="lower center", ncol=2, fontsize=8, frameon=False)
    written = []
    for suffix in ("png", "svg"):
        path = folder / f"frontier.{suffix}"
        figure.savefig(path, format=suffix, metadata={"png": {"Software": None}, "svg": {"Date": None}}[suffix])
        written.append(path)
    plt.close(figure)
    return written


def _draw_exact(axis: Any, entry: dict[str, Any]) -> None:
    """The exact hindsight optimum of persons housed as a line, and the tail frontier as a curve, labelled in Dutch."""
    from matcher.simulate.charts import dutch_number

    exact = entry.get("hindsight_exact")
    if exact is not None and exact["persons_housed"]["mean"] is not None:
        mean = exact["persons_housed"]["mean"]
        axis.axhline(mean, color="black", linewidth=1.2)
        axis.plot([], [], color="black", linewidth=1.2,
                  label="achteraf exact best mogelijke, kent de toekomst (beste gevonden plan)")  # fmt: skip
        bound = exact["bound"]["mean"]
        low, high = axis.get_ylim()
        top = max(high, mean, bound if bound is not None else mean)
        if bound is not None and exact["proven"] < exact["replicates"]:
            axis.axhline(bound, color="grey", linewidth=1, linestyle="--")
            axis.plot([], [], color="grey", linewidth=1, linestyle="--",
                      label="bewezen bovengrens, waar het plan niet bewezen optimaal is")  # fmt: skip
        axis.set_ylim(min(low, mean), top + 0.06 * (top - min(low, mean)))
        planned = sum(1 for r in exact.get("per_replicate", []) if r.get("value") is not None)
        axis.annotate(
            f"achteraf: {dutch_number(round(mean))} personen (plan in {planned} van {exact['replicates']} "
            f"herhalingen, {exact['proven']} bewezen optimaal)",
            xy=(0.02, mean),
            xycoords=("axes fraction", "data"),
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=7,
        )
    tail = [t for t in entry.get("hindsight_tail") or [] if t["persons_housed"]["mean"] is not None]
    if tail:
        weeks = [t["tail_weeks"] for t in tail]
        persons = [t["persons_housed"]["mean"] for t in tail]
        counted = min(t["replicates"] for t in tail)
        axis.plot(weeks, persons, color="black", linestyle=":", marker="s", markersize=4,
                  label=f"achteraf exact best mogelijke als 90% binnen zoveel weken een eerste woning krijgt "
                  f"({counted} herhalingen)")  # fmt: skip
