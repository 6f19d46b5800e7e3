"""The frontier: each way of deciding on the same replicates, persons housed against the 90th percentile of waiting."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from simhelpers import small
from typer.testing import CliRunner

from cli.main import app
from matcher.simulate.frontier import POLICIES, frontier, frontier_chart, frontier_csv, variants
from matcher.simulate.montecarlo import run_scenario
from matcher.simulate.scenario import scenario_document


def test_each_policy_is_a_point_on_the_same_replicates() -> None:
    """Every policy gets a point; FIFO's and the engine's are exactly those of a plain run of the scenario, and
    waiting-first's those of the scenario with the waiting-first objective: all on the same seeds."""
    scenario = small({"horizon_weeks": 6})
    entries = frontier([scenario], 2)
    assert len(entries) == 1 and set(entries[0]["points"]) == set(POLICIES)
    plain = run_scenario(scenario, 2)
    points = entries[0]["points"]
    assert points["fifo"]["persons_housed"] == plain.summary["fifo"]["persons_housed_total"]
    assert points["optimise"]["persons_housed"] == plain.summary["optimise"]["persons_housed_total"]
    everyone = plain.fairness["groupings"]["all"]["all"]["optimise"]["wait_p90_weeks"] if plain.fairness else None
    assert points["optimise"]["wait_p90_weeks"] == everyone
    _, waiting = variants(scenario)
    alone = run_scenario(waiting, 2)
    assert points["waiting-first"]["persons_housed"] == alone.summary["optimise"]["persons_housed_total"]
    assert waiting.seed == scenario.seed and scenario_document(waiting)["policy"]["matcher"]["objective"][0] == {
        "overdue": 100,
        "waiting_days": 1,
    }
    assert entries[0]["hindsight_is"] == "relaxed" and entries[0]["hindsight_persons_placed"]["mean"] > 0


def test_files_and_chart(tmp_path: Path) -> None:
    """The CSV has one row per scenario, policy and figure (and the hindsight line); the chart is written as PNG and SVG,
    the same result drawing the same bytes."""
    entries = frontier([small({"horizon_weeks": 5})], 2)
    rows = list(csv.DictReader(io.StringIO(frontier_csv(entries))))
    assert {(r["policy"], r["figure"]) for r in rows} >= {(p, "persons_housed") for p in POLICIES} | {
        (p, "wait_p90_weeks") for p in POLICIES
    }
    assert any(r["policy"] == "hindsight_relaxed" for r in rows)
    first = [p.read_bytes() for p in frontier_chart(entries, tmp_path / "a")]
    again = [p.read_bytes() for p in frontier_chart(entries, tmp_path / "b")]
    assert first == again and all(first)


def test_the_chart_speaks_dutch(tmp_path: Path) -> None:
    """Every word on the frontier chart (titles, axes, legend, ticks) is Dutch: the SVG keeps its text as text."""
    import re

    from english import english

    entries = frontier([small({"horizon_weeks": 5})], 2)
    svg = next(p for p in frontier_chart(entries, tmp_path) if p.suffix == ".svg").read_text()
    words = " ".join(re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text\b.*?</text>", svg, re.S))
    assert "Gehuisveste personen" in words and "oudste koppeling eerst" in words
    assert english(words) == []


def test_frontier_command(tmp_path: Path) -> None:
    """matcher frontier writes frontier.json, frontier.csv and the chart and prints the table; a bad scenario file is
    exit code 2 naming the field."""
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(json.dumps({**scenario_document(small({"horizon_weeks": 4})), "name": "tiny"}), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["frontier", str(scenario), "--replicates", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"frontier.json", "frontier.csv", "frontier.png", "frontier.svg"}
    document = json.loads((out / "frontier.json").read_text(encoding="utf-8"))
    assert document["format"] == "frontier/v1" and document["scenarios"][0]["scenario"] == "tiny"
    assert "tiny" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("inflow: {koppelingen_per_week: -1}\n", encoding="utf-8")
    failed = CliRunner().invoke(app, ["frontier", str(bad), "--out", str(tmp_path / "x")])
    assert failed.exit_code == 2 and "inflow.koppelingen_per_week" in failed.output


def test_exact_reference_and_tail_frontier(tmp_path: Path) -> None:
    """With the exact reference asked for, each scenario carries the exact optimum of persons housed per replicate
    (equal to exact_hindsight's own answer), the tail frontier of the first scenario lies at or below it (a rule can
    only take persons away) and meets it where T is beyond every wait, each policy's persons housed is set against it
    replicate by replicate, the CSV carries all of it with the proven counts, and the chart names them in Dutch."""
    import re

    from english import english

    from matcher.simulate.hindsight import exact_hindsight

    scenario = small({"horizon_weeks": 5})
    entries = frontier([scenario], 2, exact_replicates=2, tail_weeks=[56, 200], tail_replicates=1)
    exact = entries[0]["hindsight_exact"]
    assert exact["replicates"] == 2
    direct = [exact_hindsight(scenario, r, measure="persons_housed").value for r in range(2)]
    assert [r["value"] for r in exact["per_replicate"]] == direct
    assert [t["tail_weeks"] for t in entries[0]["hindsight_tail"]] == [56, 200]
    assert entries[0]["hindsight_tail"][1]["per_replicate"][0]["value"] == direct[0]
    for tail in entries[0]["hindsight_tail"]:
        value = tail["per_replicate"][0]["value"]
        assert tail["replicates"] == 1 and (value is None or value <= direct[0])
    plain = run_scenario(scenario, 2)
    fifo = [r["persons_housed_total"] for r in plain.per_replicate if r["strategy"] == "fifo"]
    assert entries[0]["percent_of_exact"]["fifo"]["mean"] == round(
        sum(100.0 * f / d for f, d in zip(fifo, direct, strict=True)) / 2, 4
    )
    rows = list(csv.DictReader(io.StringIO(frontier_csv(entries))))
    assert {(r["policy"], r["figure"]) for r in rows} >= {
        ("fifo", "percent_of_exact_persons_housed"),
        ("hindsight_exact", "persons_housed"),
        ("hindsight_exact", "proven_optimal"),
        ("hindsight_tail_56", "replicates"),
    }
    svg = next(p for p in frontier_chart(entries, tmp_path) if p.suffix == ".svg").read_text()
    words = " ".join(re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text\b.*?</text>", svg, re.S))
    assert "achteraf exact best mogelijke, kent de toekomst" in words and "binnen zoveel weken een eerste woning" in words
    assert english(words) == []


def test_an_unproven_exact_reference_shows_its_bound_inside_the_panel(tmp_path: Path) -> None:
    """Where not every exact plan is proven optimal the chart draws the proven bound (a dashed grey line, named in
    the legend) and says in how many replicates a plan was found; the panel's height takes in the line and the
    bound. With every plan proven, no bound line is drawn."""
    import copy
    import re

    import matplotlib.pyplot as plt

    scenario = small({"horizon_weeks": 5})
    entries = frontier([scenario], 2, exact_replicates=2)
    exact = entries[0]["hindsight_exact"]
    assert exact["proven"] == exact["replicates"] == 2

    def words(chart_entries: list[dict[str, object]], folder: Path) -> str:
        svg = next(p for p in frontier_chart(chart_entries, folder) if p.suffix == ".svg").read_text()
        return " ".join(re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text\b.*?</text>", svg, re.S))

    assert "bewezen bovengrens" not in words(entries, tmp_path / "proven")
    unproven = copy.deepcopy(entries)
    far = exact["persons_housed"]["mean"] * 3 + 100
    unproven[0]["hindsight_exact"] |= {"proven": 1, "bound": {"mean": far, "p10": far, "p50": far, "p90": far}}
    unproven[0]["hindsight_exact"]["per_replicate"][1]["value"] = None
    seen = words(unproven, tmp_path / "unproven")
    assert "bewezen bovengrens" in seen and "plan in 1 van 2" in seen
    drawn: list[tuple[float, float]] = []
    original = plt.Figure.savefig

    def keep_limits(self: plt.Figure, *args: object, **kwargs: object) -> None:
        drawn.extend(axis.get_ylim() for axis in self.axes if axis.get_visible())
        original(self, *args, **kwargs)

    plt.Figure.savefig = keep_limits  # type: ignore[method-assign]
    try:
        frontier_chart(unproven, tmp_path / "limits")
    finally:
        plt.Figure.savefig = original  # type: ignore[method-assign]
    assert drawn and all(low <= exact["persons_housed"]["mean"] and high >= far for low, high in drawn)


def test_each_policy_reports_the_90th_percentile_of_weeks_to_a_first_home() -> None:
    """Beside the weeks to a first offer, each policy's point carries the 90th percentile of weeks to a first home:
    per replicate, over every household that arrived, the weeks from koppeling to its first placement, a household
    never placed counting with the weeks up to the horizon; its mean over replicates equals that computed here from
    each run's own per-household records. It is never below the weeks to a first offer (an offer comes first), it
    differs from it for some policy (declined offers, or homes taken later), and frontier.csv has a row for it."""
    import numpy as np

    from matcher.simulate.simulator import run_replicate
    from matcher.simulate.world import build_world

    scenario = small({"horizon_weeks": 6, "decline_probability": 0.3})
    replicates = 2
    entries = frontier([scenario], replicates)
    main, waiting = variants(scenario)
    runs = {"fifo": (main, "fifo"), "optimise": (main, "optimise"), "waiting-first": (waiting, "optimise")}
    runs["lookahead"] = (main, "lookahead")
    differs = False
    for policy, (variant, strategy) in runs.items():
        p90s = []
        for replicate in range(replicates):
            world = build_world(variant, replicate)
            placed = run_replicate(variant, world, replicate, strategy).first_placement_week
            waits = [
                (week if week >= 0 else variant.horizon_weeks) - int(world.koppeling_week[i])
                for i, week in enumerate(placed)
                if world.arrival_week[i] < variant.horizon_weeks
            ]
            assert any(week < 0 for week in placed)  # households still waiting at the horizon are counted
            p90s.append(float(np.percentile(waits, 90)))
        point = entries[0]["points"][policy]
        assert point["home_wait_p90_weeks"]["mean"] == round(sum(p90s) / replicates, 4), policy
        assert point["home_wait_p90_weeks"]["mean"] >= point["wait_p90_weeks"]["mean"], policy
        differs |= point["home_wait_p90_weeks"]["mean"] != point["wait_p90_weeks"]["mean"]
    assert differs
    rows = list(csv.DictReader(io.StringIO(frontier_csv(entries))))
    assert {r["policy"] for r in rows if r["figure"] == "home_wait_p90_weeks"} == set(POLICIES)
