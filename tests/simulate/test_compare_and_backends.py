"""Comparing a variant with its base, sweeps of several scenarios, and the Ray backend."""

from __future__ import annotations

import json

import pytest
from simhelpers import small

from matcher.simulate.compare import compare
from matcher.simulate.montecarlo import run_scenario, run_sweep


def _figures(document: dict[str, object]) -> str:
    document = dict(document)
    for key in ("timing", "scenario"):
        document.pop(key)
    rows = [dict(r) for r in document.pop("per_replicate")]  # type: ignore[attr-defined]
    for row in rows:
        row.pop("solve_s")
    return json.dumps({**document, "rows": rows}, sort_keys=True, default=str)


def test_more_homes_house_more_persons_in_every_replicate() -> None:
    """Doubling the statushouder share of social vacancies raises persons housed; the paired band is above zero."""
    base = run_scenario(small({"horizon_weeks": 10}), 3)
    variant = run_scenario(small({"horizon_weeks": 10, "vacancies": {"statushouder_share": 0.16}}), 3)
    result = compare(base, variant)
    difference = result["strategies"]["optimise"]["persons_housed_total"]["difference"]
    assert difference["p10"] > 0
    assert result["strategies"]["optimise"]["persons_housed_total"]["base"] == base.summary["optimise"]["persons_housed_total"]


def test_sweep_gives_each_scenario_its_own_result() -> None:
    """A sweep of two scenarios on two workers returns, per scenario, what a single run returns."""
    a, b = small({"name": "a"}), small({"name": "b", "seed": 11})
    swept = run_sweep([a, b], 2, workers=2)
    assert [r.scenario["name"] for r in swept] == ["a", "b"]
    assert _figures(swept[1].to_json()) == _figures(run_scenario(b, 2).to_json())


def test_ray_backend_gives_the_local_results() -> None:
    """A local Ray instance with two CPUs gives exactly the figures of the local process backend."""
    ray = pytest.importorskip("ray")
    scenario = small()
    local = run_scenario(scenario, 2, workers=1)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = run_scenario(scenario, 2, workers=2, backend="ray")
    finally:
        ray.shutdown()
    assert _figures(remote.to_json()) == _figures(local.to_json())


def test_result_json_is_strict_and_round_trips() -> None:
    """A result serialises as strict JSON (no NaN) and a result read back compares like the original."""
    from matcher.simulate.montecarlo import SimulationResult

    result = run_scenario(small({"horizon_weeks": 3}), 2)
    text = json.dumps(result.to_json(), allow_nan=False)
    again = SimulationResult.from_json(json.loads(text))
    assert compare(again, again)["strategies"]["optimise"]["persons_housed_total"]["difference"]["mean"] == 0
    assert compare(result, again) == compare(again, again)
