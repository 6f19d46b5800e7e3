"""The COA's pipeline in a scenario: announced households arrive instead of drawn ones in the weeks it covers,
and the look-ahead's forecast counts them instead of the rates."""

from __future__ import annotations

from typing import Any

import numpy as np
from simhelpers import small

from matcher.simulate.forecast import scenario_forecast
from matcher.simulate.scenario import Scenario
from matcher.simulate.world import build_world


def _with_pipeline(items: list[dict[str, Any]], horizon: int = 8) -> Scenario:
    base = small({"horizon_weeks": horizon})
    for item in items:
        item["expected_date"] = base.week_date(item.pop("week")).isoformat()
    return small({"horizon_weeks": horizon, "inflow": {"pipeline": items}})


ITEMS = [
    {"pipeline_id": "P-1", "week": 1, "adults": 2, "children": 2, "households": 2},
    {"pipeline_id": "P-2", "week": 2, "adults": 1, "children": 0, "expected_reunification": 3, "kind": "expected"},
    {"pipeline_id": "P-3", "week": 3, "adults": 1, "children": 0, "kind": "amv", "households": 3},
]


def test_covered_weeks_bring_the_pipeline_and_later_weeks_are_drawn() -> None:
    """Weeks 1-3 hold exactly the pipeline's six households (make-up as listed, AMV youngsters 18 with ex_amv);
    drawn koppelingen appear only after week 3, with the same ids as without a pipeline."""
    plain = build_world(small({"horizon_weeks": 8}), 0)
    world = build_world(_with_pipeline([dict(i) for i in ITEMS]), 0)
    covered = (world.arrival_week >= 1) & (world.arrival_week <= 3)
    ids = [world.household_rows[i]["household_id"] for i in np.flatnonzero(covered)]
    assert sorted(ids) == ["C001-00001", "C001-00002", "C002-00003", "C003-00004", "C003-00005", "C003-00006"]
    amv = [world.household_rows[i] for i in np.flatnonzero(world.arrival_week == 3)]
    assert all(r["head_age"] == 18 and r["vulnerabilities"] == "ex_amv" for r in amv)
    two = int(np.flatnonzero(world.arrival_week == 2)[0])
    assert (world.adults[two], world.children[two], world.declared[two]) == (1, 0, 3)
    later = {r["household_id"] for r, w in zip(world.household_rows, world.arrival_week, strict=True) if w > 3}
    plain_later = {r["household_id"] for r, w in zip(plain.household_rows, plain.arrival_week, strict=True) if w > 3}
    assert later == plain_later and later


def test_the_pipeline_order_does_not_change_the_world() -> None:
    """The same pipeline listed in another order gives the same households."""
    a = build_world(_with_pipeline([dict(i) for i in ITEMS]), 1)
    b = build_world(_with_pipeline([dict(i) for i in reversed(ITEMS)]), 1)
    assert a.household_rows == b.household_rows


def test_forecast_counts_the_pipeline_then_the_rates() -> None:
    """From week 0 with 4 weeks ahead, the forecast holds the pipeline's households of weeks 1-3 plus one week
    of rates (week 4), divided by 4; from week 3 on only rates remain after the pipeline, and the source says so."""
    scenario = _with_pipeline([dict(i) for i in ITEMS])
    rates = {(x["persons"], x["expected_reunification"]): x["per_week"] for x in scenario_forecast(small(), 0, 4)["households"]}
    forecast = scenario_forecast(scenario, 0, 4)
    assert forecast["source"] == "coa_pipeline+scenario"
    got = {(x["persons"], x["expected_reunification"]): x["per_week"] for x in forecast["households"]}
    expected = {key: rate / 4 for key, rate in rates.items()}
    for key, n in (((4, 0), 2), ((1, 3), 1), ((1, 0), 3)):
        expected[key] = expected.get(key, 0.0) + n / 4
    assert got.keys() == expected.keys()
    assert all(abs(got[k] - expected[k]) < 1e-8 for k in got)
    after = scenario_forecast(scenario, 3, 4)
    assert {(x["persons"], x["expected_reunification"]): x["per_week"] for x in after["households"]} == rates
    assert scenario_forecast(small(), 0, 4)["source"] == "scenario"
