"""Simulated figures stay what they were: a digest of every weekly figure of each example
scenario (and of four short variants of the test scenario with many moves), for the engine
and FIFO on the first replicates, recorded before the simulator's moves, stays and
nareizigers were routed through the case module (``matcher.case``). One variant was recorded
again after that change, on purpose: with movers allowed into temporary places
(``small-movers-anywhere``) a mover is no longer offered the shared place it lives in.

The digest covers every weekly KPI, the placements per wijk, the week of each household's
first offer and first placement and the objective; only the solver's timing is left out.
Beside it the file keeps the end figures in plain numbers, so a failure says which figure
moved. A deliberate change of the simulation model must regenerate the file with
``python tests/simulate/test_unchanged_figures.py``, say why in its commit, and re-measure
what docs/simulation.md quotes.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest
from simhelpers import small

from matcher.simulate.montecarlo import summary_figures
from matcher.simulate.scenario import Scenario, load_scenario
from matcher.simulate.simulator import ReplicateRun, run_replicate
from matcher.simulate.world import build_world

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "examples" / "scenarios"
GOLDEN = ROOT / "tests" / "golden" / "simulation.json"
REPLICATES = (0, 1, 2)
# Short stays, many shared places and moves: the small test scenario over half a year, as
# it is, holding families in temporary places, with many declines, and movers allowed into
# temporary places.
SMALL = {
    "small": {},
    "small-hold": {"policy": {"hold_for_family": True}},
    "small-declines": {"decline_probability": 0.3},
    "small-movers-anywhere": {"policy": {"movers_to_permanent_only": False}},
}


def canonical(run: ReplicateRun) -> str:
    """Everything one strategy did on one replicate, without the solver's timing, as sorted JSON
    (NaN written as null)."""
    document = run.to_json()
    del document["solve_s"]
    return json.dumps(_no_nan(document), sort_keys=True)


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return value


def figures_of(name: str) -> dict[str, Any]:
    """Digest and end figures per replicate and strategy of one example scenario."""
    scenario = _scenario(name)
    out: dict[str, Any] = {}
    for replicate in REPLICATES:
        world = build_world(scenario, replicate)
        for strategy in scenario.strategies:
            run = run_replicate(scenario, world, replicate, strategy)
            out[f"{replicate}/{strategy}"] = {
                "sha256": hashlib.sha256(canonical(run).encode()).hexdigest(),
                "end": _no_nan(summary_figures(run)),
            }
    return out


def _scenario(name: str) -> Scenario:
    if name in SMALL:
        return small({"horizon_weeks": 26, **SMALL[name]})
    return load_scenario(SCENARIOS / f"{name}.yaml")


def _names() -> list[str]:
    return sorted([path.stem for path in SCENARIOS.glob("*.yaml")] + list(SMALL))


@pytest.mark.parametrize("name", _names())
def test_simulated_figures_are_unchanged(name: str) -> None:
    """The same scenario and seeds give the same weekly figures as recorded before the case
    module took over the simulator's moves: end figures first (to name what moved), then the
    digest of every weekly figure."""
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[name]
    found = figures_of(name)
    assert {key: value["end"] for key, value in found.items()} == {key: value["end"] for key, value in expected.items()}
    assert {key: value["sha256"] for key, value in found.items()} == {key: value["sha256"] for key, value in expected.items()}


def test_every_example_scenario_has_recorded_figures() -> None:
    """A new example scenario is recorded too (regenerate the file), so none escapes the comparison."""
    assert sorted(json.loads(GOLDEN.read_text(encoding="utf-8"))) == _names()


if __name__ == "__main__":
    recorded = {name: figures_of(name) for name in _names()}
    GOLDEN.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {GOLDEN}\n")
