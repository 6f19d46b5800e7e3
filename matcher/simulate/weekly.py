"""Weekly instances without re-reading the same rows every week.

A simulation builds one engine instance per simulated week from households and homes that
were already checked when the world was drawn. Parsing every cell again each week (as
``build_instance`` must for user files) is most of the cost of a simulated week, so the
static columns are parsed and checked once here, and each week only the columns that
change (persons, expected nareizigers, documents, availability, beds left) are set, with
the values ``tables.parse_rows`` would give. The policy is still parsed in full every week.
``tests/simulate/test_weekly.py`` proves the instance equals the one ``build_instance`` makes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from matcher.errors import ProblemCollector
from matcher.input import tables
from matcher.input.instance import Instance
from matcher.input.policy import parse_policy
from matcher.rules.arrays import encode
from matcher.rules.eligibility import rule_masks
from matcher.simulate.scenario import Scenario


class WeeklyTables:
    """Parsed household and unit records of one world, to be copied and updated each week."""

    def __init__(self, household_rows: Sequence[dict[str, Any]], unit_rows: Sequence[dict[str, Any]]) -> None:
        problems = ProblemCollector()
        households = [{"adults": 1, "children": 0, **row} for row in household_rows]  # set each week
        units = [{"available_from": "2000-01-01", **row} for row in unit_rows]
        self.households = tables.parse_rows(households, tables.HOUSEHOLD_COLUMNS, "households", problems)
        self.units = tables.parse_rows(units, tables.UNIT_COLUMNS, "units", problems)
        tables.check_units(self.units, "units", problems)
        problems.raise_if_any()  # a world that does not parse is a bug in the world, not user input

    def instance(
        self,
        households: Sequence[tuple[int, dict[str, Any]]],
        units: Sequence[tuple[int, dict[str, Any]]],
        raw_policy: dict[str, Any],
        today: dt.date,
    ) -> Instance:
        """The week's instance: (world index, changed columns) for each household and unit in it."""
        h_records = [{**self.households[i], **changes} for i, changes in households]
        u_records = [{**self.units[j], **changes} for j, changes in units]
        for position, record in enumerate(h_records):
            record["source_row"] = position + 2
        for position, record in enumerate(u_records):
            record["source_row"] = position + 2
        return Instance(
            households=tables.households_frame(h_records),
            units=tables.units_frame(u_records),
            policy=parse_policy(raw_policy, "policy", today=today),
            input_sha256="",
        )


def horizon_policy(scenario: Scenario) -> dict[str, Any]:
    """The scenario's engine policy for eligibility over the whole horizon at once: planned at the
    start date, a horizon of ten years, no neighbourhood caps."""
    start = scenario.start.date.isoformat()
    return {**scenario.policy.matcher, "planning_date": start, "horizon_days": 3650, "neighbourhood_caps": {}}


def eligible_over_horizon(
    scenario: Scenario, household_rows: Sequence[dict[str, Any]], unit_rows: Sequence[dict[str, Any]]
) -> np.ndarray[Any, Any]:
    """Which household may live in which home under rules E1-E8 over the whole horizon at once.

    One instance holds every household and every home of the horizon: documents complete,
    every home available from the start date, a horizon of ten years, no neighbourhood caps,
    the scenario's engine policy otherwise. Household rows carry their make-up (adults,
    children, expected_reunification) and unique ids. Rows of the answer follow
    ``household_rows`` and columns ``unit_rows``."""
    households = [{**row, "documents_complete": True} for row in household_rows]
    start = scenario.start.date
    raw_policy = horizon_policy(scenario)
    available = {"available_from": start}
    instance = WeeklyTables(households, unit_rows).instance(
        [(k, {}) for k in range(len(households))], [(j, available) for j in range(len(unit_rows))], raw_policy, start
    )
    h, u, _ = encode(instance)
    eligible = np.logical_and.reduce(rule_masks(h, u, instance.policy, np.arange(len(h.ids)), np.arange(len(u.ids))))
    h_pos = {hid: k for k, hid in enumerate(h.ids)}
    u_pos = {uid: k for k, uid in enumerate(u.ids)}
    rows = [h_pos[row["household_id"]] for row in household_rows]
    columns = [u_pos[row["unit_id"]] for row in unit_rows]
    result: np.ndarray[Any, Any] = eligible[np.ix_(rows, columns)]
    return result
