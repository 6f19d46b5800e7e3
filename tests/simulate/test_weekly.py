"""The weekly fast path builds exactly the instance build_instance builds from the same rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from simhelpers import small

from matcher.simulate.simulator import ON_OFFER, WAITING, Simulation
from matcher.simulate.world import build_world


def test_fast_weekly_instance_equals_build_instance() -> None:
    """Every week, the fast instance's tables and policy equal those of build_instance on the same rows."""
    scenario = small({"horizon_weeks": 6, "policy": {"hold_for_family": True}, "decline_probability": 0.3})
    world = build_world(scenario, 0)
    fast = Simulation(scenario, world, 0, "optimise", fast=True)
    compared = 0
    for week in range(scenario.horizon_weeks):
        fast.step(week)
        pool = np.flatnonzero((world.arrival_week <= week) & ((fast.status == WAITING) | fast.needs_move))
        units = np.flatnonzero(fast.unit_state == ON_OFFER)
        if len(pool) == 0 or len(units) == 0:
            continue
        a = fast.week_instance(week, pool, units)
        tables, fast.tables = fast.tables, None  # the same state, through build_instance
        b = fast.week_instance(week, pool, units)
        fast.tables = tables
        pd.testing.assert_frame_equal(a.households, b.households)
        pd.testing.assert_frame_equal(a.units, b.units)
        assert a.policy == b.policy
        compared += 1
    assert compared >= 3


def test_fast_and_slow_paths_give_the_same_run() -> None:
    """A whole run with the fast path gives the same weekly figures as one through build_instance."""
    scenario = small({"horizon_weeks": 8, "decline_probability": 0.2})
    world = build_world(scenario, 0)
    fast = Simulation(scenario, world, 0, "fifo", fast=True).run()
    slow = Simulation(scenario, world, 0, "fifo", fast=False).run()
    assert json.dumps(fast.weekly) == json.dumps(slow.weekly)  # NaN-aware comparison
    assert fast.placements_by_neighbourhood == slow.placements_by_neighbourhood
