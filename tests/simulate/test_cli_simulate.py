"""`matcher simulate` as a user runs it: a real process, a results folder, exit codes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from matcher.simulate.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "cli", *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env)


def test_simulate_fills_the_folder(tmp_path: Path) -> None:
    """A variant run writes JSON, CSV and PNG/SVG charts for itself and its base, with bands and comparisons."""
    base = tmp_path / "base.yaml"
    base.write_text("name: b\nhorizon_weeks: 6\nseed: 3\n", encoding="utf-8")
    variant = tmp_path / "variant.yaml"
    variant.write_text("base: base.yaml\nname: v\nvacancies:\n  statushouder_share: 0.02\n", encoding="utf-8")
    out = tmp_path / "out"
    result = _run("simulate", variant, "--replicates", "2", "--workers", "2", "--out", out, "--exact-hindsight")
    assert result.returncode == 0, result.stderr
    document = json.loads((out / "result.json").read_text())
    assert document["replicates"] == 2 and len(document["dates"]) == 6
    assert set(document["weekly"]) == {"optimise", "fifo"}
    hindsight = document["hindsight"]
    assert hindsight["relaxed"]["percent"]["optimise"]["mean"] > 0
    assert hindsight["exact"]["replicates"] == 2
    assert 0 < hindsight["exact"]["percent"]["optimise"]["mean"] <= 100 + 1e-9
    assert hindsight["exact"]["percent"]["optimise"]["mean"] >= hindsight["relaxed"]["percent"]["optimise"]["mean"]
    summary = {(r["row"], r["figure"]) for r in csv.DictReader((out / "summary.csv").open())}
    assert {("hindsight", "relaxed.percent.optimise"), ("hindsight", "exact.percent.fifo")} <= summary
    replicates = list(csv.DictReader((out / "replicates.csv").open()))
    assert all(int(r["exact_hindsight_objective"]) <= int(r["relaxed_hindsight_objective"]) for r in replicates)
    rows = list(csv.DictReader((out / "weekly.csv").open()))
    assert {r["strategy"] for r in rows} == {"optimise", "fifo"}
    assert (out / "charts" / "persons_housed_cum.png").stat().st_size > 1000
    assert (out / "charts" / "persons_housed_cum.svg").read_text().lstrip().startswith("<?xml")
    comparison = json.loads((out / "comparison.json").read_text())
    assert comparison["base"] == "b" and comparison["variant"] == "v"
    assert (out / "base" / "result.json").exists()
    assert "Persons housed" in result.stdout
    assert "% of relaxed hindsight" in result.stdout and "% of exact hindsight" in result.stdout
    assert "v against b (optimise, paired by replicate)" in result.stdout


def test_bad_scenario_exits_2_with_the_field(tmp_path: Path) -> None:
    """A bad scenario gives exit code 2 and names file and field; nothing is written."""
    path = tmp_path / "bad.yaml"
    path.write_text("horizon_weeks: -3\n", encoding="utf-8")
    out = tmp_path / "out"
    result = _run("simulate", path, "--replicates", "1", "--out", out)
    assert result.returncode == 2
    assert "bad.yaml column horizon_weeks" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_missing_file_exits_2(tmp_path: Path) -> None:
    """A scenario file that does not exist is an input error, not a traceback."""
    result = _run("simulate", tmp_path / "nope.yaml", "--replicates", "1", "--out", tmp_path / "o")
    assert result.returncode == 2 and "file not found" in result.stderr


def test_mix_advice_is_written_with_its_figures(tmp_path: Path) -> None:
    """--mix-advice writes the advised mix, today's mix and the bounds on persons per week behind them,
    says they are an upper bound of the fluid model and not a forecast, and names the variant to simulate."""
    path = tmp_path / "s.yaml"
    path.write_text("name: m\nhorizon_weeks: 26\nhindsight: false\nstrategies: [optimise]\n", encoding="utf-8")
    result = _run("simulate", path, "--replicates", "1", "--no-charts", "--mix-advice", "--out", tmp_path / "o")
    assert result.returncode == 0, result.stderr
    advice = json.loads((tmp_path / "o" / "mix_advice.json").read_text())
    assert abs(sum(g["share_today"] for g in advice["groups"]) - 1) < 1e-3
    assert abs(sum(g["share_advised"] for g in advice["groups"]) - 1) < 1e-3
    assert advice["persons_per_week_upper_bound_advised"] >= advice["persons_per_week_upper_bound_today"] - 1e-6
    assert advice["simulated_comparison"]["variant"] == "mix_advice_variant.yaml"
    printed = " ".join(result.stdout.split())
    assert "Koppeling mix" in printed and "Upper bound of the fluid model, not a forecast" in printed
    assert f"matcher simulate {tmp_path / 'o' / 'mix_advice_variant.yaml'}" in printed
    variant = load_scenario(tmp_path / "o" / "mix_advice_variant.yaml")
    assert variant.horizon_weeks == 26  # the rest comes from the scenario it names as base
    assert abs(sum(variant.inflow.household_sizes.values()) - 1) < 1e-3


def test_several_scenarios_run_as_one_sweep(tmp_path: Path) -> None:
    """Two files in one command: one folder each, a variant compared with its base, the base run once."""
    (tmp_path / "b.yaml").write_text("name: b\nhorizon_weeks: 4\nhindsight: false\n", encoding="utf-8")
    (tmp_path / "v.yaml").write_text("base: b.yaml\nname: v\ndecline_probability: 0.5\n", encoding="utf-8")
    out = tmp_path / "o"
    result = _run("simulate", tmp_path / "b.yaml", tmp_path / "v.yaml", "--replicates", "2", "--no-charts", "--out", out)
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "b" / "result.json").read_text())["scenario"]["name"] == "b"
    assert json.loads((out / "v" / "comparison.json").read_text())["base"] == "b"
    assert not (out / "b" / "comparison.json").exists()


def test_bad_start_file_exits_2_before_simulating(tmp_path: Path) -> None:
    """A broken start file is reported with row and column and exit code 2, also with worker processes."""
    (tmp_path / "households.csv").write_text(
        "household_id,municipality,koppeling_date,adults,children,gender,head_age\nH-1,Nijmegen,2025-01-01,1,0,Q,30\n",
        encoding="utf-8",
    )
    path = tmp_path / "s.yaml"
    path.write_text("start:\n  profile: null\n  households: households.csv\n", encoding="utf-8")
    result = _run("simulate", path, "--replicates", "2", "--workers", "2", "--out", tmp_path / "o")
    assert result.returncode == 2
    assert "households.csv row 2, column gender" in result.stderr
    assert "Traceback" not in result.stderr


def test_simulate_writes_fairness_and_names_the_largest_p90_gap(tmp_path: Path) -> None:
    """The folder holds fairness.csv and the output a Dutch line naming the group whose p90 wait differs most from FIFO."""
    path = tmp_path / "s.yaml"
    path.write_text("name: f\nhorizon_weeks: 6\nhindsight: false\n", encoding="utf-8")
    result = _run("simulate", path, "--replicates", "2", "--no-charts", "--out", tmp_path / "o")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((tmp_path / "o" / "fairness.csv").open()))
    assert {r["strategy"] for r in rows} == {"all", "optimise", "fifo", "optimise_minus_fifo"}
    assert "fairness" in json.loads((tmp_path / "o" / "result.json").read_text())
    printed = " ".join(result.stdout.split())
    assert "Grootste verschil met FIFO in de p90-wachttijd tot het eerste aanbod:" in printed
    assert "over 2 van 2 replicaties" in printed


def test_no_exact_hindsight_keeps_the_relaxed_reference_only(tmp_path: Path) -> None:
    """The exact reference (a solve per replicate) is computed only when asked for: by default and with
    `--no-exact-hindsight` over a file that asks for it, the relaxed one alone is reported and named as such."""
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nhorizon_weeks: 5\nseed: 2\n", encoding="utf-8")
    asking = tmp_path / "asking.yaml"
    asking.write_text("name: s\nhorizon_weeks: 5\nseed: 2\nexact_hindsight: true\n", encoding="utf-8")
    for scenario, options in ((path, ()), (asking, ("--no-exact-hindsight",))):
        out = tmp_path / f"out-{scenario.stem}"
        result = _run("simulate", scenario, "--replicates", "1", "--out", out, "--no-charts", *options)
        assert result.returncode == 0, result.stderr
        document = json.loads((out / "result.json").read_text())
        assert document["scenario"]["exact_hindsight"] is False
        assert "exact" not in document["hindsight"] and "relaxed" in document["hindsight"]
        assert "% of relaxed hindsight" in result.stdout and "% of exact hindsight" not in result.stdout
