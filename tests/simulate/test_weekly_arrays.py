"""A week solved from the world's encoded arrays gives the pairs the instance path gives.

The simulator solves each week from arrays it encoded once per world
(``matcher.simulate.weekly_arrays``); these tests run every example scenario both ways, in
lockstep, and compare the proposed pairs week by week and the whole run's figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matcher.input.instance import build_instance
from matcher.input.policy import parse_policy
from matcher.model import prepare, prepare_encoded
from matcher.simulate.hindsight_model import eligibility, persons_after
from matcher.simulate.scenario import Scenario, load_scenario
from matcher.simulate.simulator import ON_OFFER, WAITING, Simulation
from matcher.simulate.weekly import eligible_over_horizon
from matcher.simulate.world import build_world

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "examples" / "scenarios").glob("*.yaml"))
WEEKS = 10


class _Pairs(Simulation):
    """A simulation that keeps each week's proposed pairs (world indices)."""

    def __init__(self, scenario: Scenario, replicate: int, strategy: str, arrays: bool) -> None:
        super().__init__(scenario, build_world(scenario, replicate), replicate, strategy, arrays=arrays)
        self.pairs: dict[int, list[tuple[int, int]]] = {}

    def _propose(self, week: int) -> list[tuple[int, int]]:
        pairs = super()._propose(week)
        self.pairs[week] = pairs
        return pairs


def _short(path: Path) -> Scenario:
    return load_scenario(path).model_copy(update={"horizon_weeks": WEEKS})


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_arrays_and_instances_propose_the_same_pairs(path: Path) -> None:
    """Every example scenario, every strategy, two replicates: the same pairs each week and the same figures."""
    scenario = _short(path)
    proposed = 0
    for replicate in (0, 1):
        for strategy in scenario.strategies:
            fast, slow = _Pairs(scenario, replicate, strategy, True), _Pairs(scenario, replicate, strategy, False)
            assert fast.arrays is not None and slow.arrays is None
            for week in range(WEEKS):
                fast.step(week)
                slow.step(week)
                assert fast.pairs[week] == slow.pairs[week], (path.stem, replicate, strategy, week)
                proposed += len(fast.pairs[week])
            a, b = fast.result().to_json(), slow.result().to_json()
            a.pop("solve_s")
            b.pop("solve_s")
            assert json.dumps(a) == json.dumps(b)  # NaN-aware
    assert proposed > 0


def test_encoded_week_equals_the_encoded_instance() -> None:
    """Each week of a run with movers, shared places and declines: every array, code, excluded
    pair and tie-break score of the encoded week equals what ``prepare`` makes of the week's instance."""
    scenario = _short(ROOT / "examples" / "scenarios" / "q4-hold-singles-in-transit.yaml")
    simulation = Simulation(scenario, build_world(scenario, 0), 0, "optimise")
    world = simulation.world
    compared = 0
    for week in range(WEEKS):
        simulation.step(week)  # then the state after the week, as the next week's events start from it
        pool = np.flatnonzero((world.arrival_week <= week) & ((simulation.status == WAITING) | simulation.needs_move))
        units = np.flatnonzero(simulation.unit_state == ON_OFFER)
        if len(pool) and len(units):
            encoded = simulation.week_arrays(week, pool, units)
            assert encoded is not None
            households, offered, excluded, _ = simulation._week_changes(week, pool, units)
            h_rows = [{**world.household_rows[i], **changes} for i, changes in households]
            u_rows = [{**world.unit_rows[j], **changes} for j, changes in offered]
            raw = simulation._raw_policy(week, excluded)
            expected = prepare(build_instance(h_rows, u_rows, raw, today=scenario.week_date(week)))
            got = prepare_encoded(encoded[0])
            assert encoded[0].policy == expected.policy
            assert encoded[0].policy.model_dump() == expected.policy.model_dump()
            assert got.codes == expected.codes
            for name in ("households", "units"):
                a, b = getattr(got, name), getattr(expected, name)
                for field in a.__dataclass_fields__:
                    assert np.array_equal(np.asarray(getattr(a, field)), np.asarray(getattr(b, field))), (week, name, field)
            assert np.array_equal(got.structure.excluded_household, expected.structure.excluded_household)
            assert np.array_equal(got.structure.excluded_unit, expected.structure.excluded_unit)
            assert got.preference_lists == expected.preference_lists
            # The tie-break scores the world computed once are those of the week's ids.
            assert encoded[0].tie_scores is not None
            assert np.array_equal(got.tie_household, expected.tie_household)
            assert np.array_equal(got.tie_unit, expected.tie_unit)
            compared += 1
    assert compared >= 5


def test_a_mover_is_never_offered_the_place_it_lives_in() -> None:
    """A household living in a place that is on offer (a shared place with beds left): the
    encoded week excludes that pair (E9) exactly as the instance does."""
    scenario = _short(ROOT / "examples" / "scenarios" / "nijmegen-base.yaml")
    simulation = Simulation(scenario, build_world(scenario, 0), 0, "optimise")
    world = simulation.world
    assert simulation.arrays is not None
    for week in range(WEEKS):
        simulation.step(week)
        pool = np.flatnonzero((world.arrival_week <= week) & (simulation.status == WAITING))
        units = np.flatnonzero(simulation.unit_state == ON_OFFER)
        if len(pool) == 0 or len(units) == 0:
            continue
        households, offered, excluded, _ = simulation._week_changes(week, pool, units)
        raw = simulation._raw_policy(week, excluded)
        policy = parse_policy(raw, "policy", today=scenario.week_date(week))
        before, h_world, u_world = simulation.arrays.week(households, offered, policy)
        a, b = (x.ravel() for x in np.meshgrid(np.arange(len(h_world)), np.arange(len(u_world)), indexing="ij"))
        eligible = np.flatnonzero(prepare_encoded(before).structure.pair_eligible(a, b))
        if len(eligible):
            break
    else:
        pytest.fail("no week with an eligible pair")
    k = int(eligible[0])  # an eligible pair: its household will live in its place
    mover, place = int(h_world[a[k]]), str(world.unit_rows[int(u_world[b[k]])]["unit_id"])
    at = next(n for n, (i, _) in enumerate(households) if i == mover)
    households[at] = (mover, {**households[at][1], "current_unit_id": place})
    got = prepare_encoded(simulation.arrays.week(households, offered, policy)[0])
    h_rows = [{**world.household_rows[i], **changes} for i, changes in households]
    u_rows = [{**world.unit_rows[j], **changes} for j, changes in offered]
    expected = prepare(build_instance(h_rows, u_rows, raw, today=scenario.week_date(week)))
    assert not got.structure.pair_eligible(np.array([a[k]]), np.array([b[k]]))[0]
    assert np.array_equal(got.structure.excluded_household, expected.structure.excluded_household)
    assert np.array_equal(got.structure.excluded_unit, expected.structure.excluded_unit)
    assert np.array_equal(got.households.move_on, expected.households.move_on)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_hindsight_eligibility_from_arrays_equals_the_instance_path(path: Path) -> None:
    """Every example scenario, two replicates: the hindsight's eligibility of each household (before
    the family arrives with and without the nareizigers counted, and after) against each home,
    computed from the world's encoded arrays, equals ``eligible_over_horizon`` through tables."""
    scenario = load_scenario(path)
    for replicate in (0, 1):
        world = build_world(scenario, replicate)
        adults, children, _ = persons_after(world)
        rows: list[dict[str, Any]] = []
        for i, base in enumerate(world.household_rows):
            before = {**base, "adults": int(world.adults[i]), "children": int(world.children[i])}
            rows.append({**before, "household_id": f"{base['household_id']}#0", "expected_reunification": int(world.declared[i])})
            rows.append({**before, "household_id": f"{base['household_id']}#n", "expected_reunification": 0})
            rows.append(
                {**base, "household_id": f"{base['household_id']}#1", "adults": int(adults[i]), "children": int(children[i]),
                 "expected_reunification": 0}
            )  # fmt: skip
        expected = eligible_over_horizon(scenario, rows, world.unit_rows)
        got = eligibility(scenario, world)
        for k, answer in enumerate(got):
            assert answer.shape == (world.n_households, world.n_units)
            assert np.array_equal(answer, expected[k::3]), (path.stem, replicate, k)
        assert 0 < int(got[0].sum()) < got[0].size  # the rules allow some pairs and forbid others
