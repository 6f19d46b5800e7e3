"""The forecast a simulated week looks ahead with: the scenario's rates, never the replicate's future.

The ``lookahead`` strategy gives the engine a forecast of the coming weeks (see
``matcher.input.forecast``). In a simulation that forecast is what the municipality would
know in advance: the scenario's rates of koppelingen and vacancies with the make-up the
generator draws them with, and the one-off batches of homes (``add_units`` events) that
fall within the window. It is computed from the scenario and the week alone: the
replicate's drawn arrivals and vacancies are never read, so changing them cannot change a
week's look-ahead terms (``tests/simulate/test_lookahead_strategy.py`` checks exactly that).

With the COA's pipeline in the scenario (``inflow.pipeline``), the weeks it covers count its
announced households instead of the rates (source ``coa_pipeline+scenario``): the
municipality knows them in advance. Weeks after the pipeline's last date count the rates.

A nareizigers wave (an event) is not in the forecast: it changes the size of households
already in the pool, which the engine sees when it happens.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.generate import HOME_SIZES, REUNIFICATION_SHARES, REUNIFICATION_SIZES, SHARED_BEDS
from matcher.simulate.scenario import AddUnits, Scenario


def _households(scenario: Scenario) -> list[dict[str, Any]]:
    """New koppelingen a week per make-up (persons now, nareizigers declared)."""
    inflow = scenario.inflow
    total = sum(inflow.household_sizes.values())
    reunification = inflow.reunification
    items: dict[tuple[int, int], float] = {}
    for size in sorted(inflow.household_sizes):
        rate = inflow.koppelingen_per_week * inflow.household_sizes[size] / total
        expects = reunification.share_singles if size == 1 else reunification.share_others
        items[(size, 0)] = items.get((size, 0), 0.0) + rate * (1 - expects)
        for extra, share in zip(REUNIFICATION_SIZES, REUNIFICATION_SHARES, strict=True):
            items[(size, extra)] = items.get((size, extra), 0.0) + rate * expects * share
    return [
        {"persons": persons, "expected_reunification": extra, "per_week": round(rate, 9)}
        for (persons, extra), rate in sorted(items.items())
        if rate > 0
    ]


def _homes(scenario: Scenario, week: int, weeks: int) -> list[dict[str, Any]]:
    """Vacancies a week per kind of home, and the batches of homes due within the window."""
    v = scenario.vacancies
    shares = np.array([size[3] for size in HOME_SIZES], dtype=float)
    shares = shares / shares.sum()
    items: dict[tuple[int, int, bool, bool, int], float] = {}

    def add(low: int, high: int, temporary: bool, shared: bool, beds: int, rate: float) -> None:
        key = (low, high, temporary, shared, beds)
        items[key] = items.get(key, 0.0) + rate

    for (_, low, high, _), share in zip(HOME_SIZES, shares.tolist(), strict=True):
        add(low, high, False, False, 0, v.social_per_week * v.statushouder_share * share)
        add(1, min(high, 4), True, False, 0, v.flex_per_week * share)  # flexwoningen: at most 4 occupants
        add(low, high, True, False, 0, v.transit_per_week * share)
    for beds in SHARED_BEDS:
        add(1, beds, True, True, beds, v.shared_per_week / len(SHARED_BEDS))
    if weeks > 0:
        for event in scenario.events:
            if isinstance(event, AddUnits):
                due = scenario.week_of(event.date)
                if week < due <= week + weeks:
                    temporary = event.temporary if event.temporary is not None else event.unit_type != "social"
                    beds = (event.beds or event.max_occupants) if event.shared else 0
                    add(event.min_occupants, event.max_occupants, temporary, event.shared, beds, event.count / weeks)
    return [
        {
            "min_occupants": low,
            "max_occupants": high,
            "temporary": temporary,
            "shared": shared,
            **({"beds": beds} if shared else {}),
            "per_week": round(rate, 9),
        }
        for (low, high, temporary, shared, beds), rate in sorted(items.items())
        if rate > 0
    ]


def _with_pipeline(scenario: Scenario, week: int, weeks: int) -> list[dict[str, Any]]:
    """Households a week over the window: the pipeline's in the weeks it covers, the rates after."""
    covered = scenario.pipeline_weeks()
    counts: dict[tuple[int, int], float] = {}
    for item in scenario.inflow.pipeline:
        if week < scenario.week_of(item.expected_date) <= week + weeks:
            key = (item.adults + item.children, item.expected_reunification)
            counts[key] = counts.get(key, 0.0) + item.households
    rate_weeks = max(0, week + weeks - max(covered, week))
    for x in _households(scenario):
        key = (x["persons"], x["expected_reunification"])
        counts[key] = counts.get(key, 0.0) + x["per_week"] * rate_weeks
    return [
        {"persons": persons, "expected_reunification": extra, "per_week": round(total / weeks, 9)}
        for (persons, extra), total in sorted(counts.items())
        if total > 0
    ]


def scenario_forecast(scenario: Scenario, week: int, weeks: int) -> dict[str, Any]:
    """The policy's ``forecast`` for a simulated week: ``weeks`` weeks ahead from the scenario alone."""
    pipeline = bool(scenario.inflow.pipeline) and weeks > 0
    return {
        "weeks": weeks,
        "source": "coa_pipeline+scenario" if pipeline else "scenario",
        "households": _with_pipeline(scenario, week, weeks) if pipeline else _households(scenario),
        "units": _homes(scenario, week, weeks),
    }
