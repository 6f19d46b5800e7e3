"""Small scenarios that run in a second or two, for the simulation tests."""

from __future__ import annotations

from typing import Any

from matcher.simulate.scenario import Scenario, merge, parse_scenario


def small(changes: dict[str, Any] | None = None) -> Scenario:
    """The base Nijmegen scenario cut down to a few weeks.

    Without the exact hindsight per replicate (a solve each) unless ``changes`` asks for it:
    the tests of the exact hindsight call it themselves."""
    document: dict[str, Any] = {
        "name": "small",
        "exact_hindsight": False,
        "seed": 7,
        "horizon_weeks": 8,
        "inflow": {"koppelingen_per_week": 4.0},
        "vacancies": {"statushouder_share": 0.08, "flex_per_week": 0.5, "transit_per_week": 0.5, "shared_per_week": 0.3},
        "stays": {"transit_weeks": 3, "flex_weeks": 4},
    }
    return parse_scenario(merge(document, changes or {}), "small.yaml")
