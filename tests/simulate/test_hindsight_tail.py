"""The tail rule of the exact hindsight: at most a tenth of the households wait more than T weeks to a first home.

On tiny worlds the tail-bounded optimum equals brute force over every weekly policy whose
waits to a first placement keep the rule, declines included. Counted on first offers (a
declined offer counts as an offer, which the model grants as a relaxation), it equals brute
force without declines and lies at or above it with them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinyworlds import TinyHome, TinyHousehold, brute_force, tiny_cases, tiny_scenario, tiny_world

from matcher.simulate.hindsight import exact_hindsight
from matcher.simulate.hindsight_model import late_allowed
from matcher.simulate.scenario import Scenario
from matcher.simulate.simulator import ReplicateRun
from matcher.simulate.world import World

TINY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def keeps_tail(world: World, horizon: int, weeks: int, offers: bool = False) -> Callable[[ReplicateRun], bool]:
    """Whether a simulated run keeps the tail rule, counted from its first placements (or first offers) as the
    fairness figures count waits."""

    def keep(run: ReplicateRun) -> bool:
        offer = np.asarray(run.first_offer_week if offers else run.first_placement_week, dtype=np.int64)
        arrived = world.arrival_week < horizon
        waits = np.where(offer >= 0, offer - world.koppeling_week, horizon - world.koppeling_week)[arrived]
        return int(np.sum(waits > weeks)) <= late_allowed(int(arrived.sum()))

    return keep


@TINY
@given(tiny_cases(), st.integers(0, 3))
def test_tail_optimum_equals_brute_force(case: tuple[Scenario, World], weeks: int) -> None:
    """The tail-bounded optimum of persons housed is the best of every weekly policy whose weeks to a first placement
    keep the rule (declines included), and "infeasible" exactly when no policy keeps it."""
    scenario, world = case
    result = exact_hindsight(scenario, 0, world=world, measure="persons_housed", tail_weeks=weeks)
    best = brute_force(scenario, world, 0, "persons_housed", keeps_tail(world, scenario.horizon_weeks, weeks))
    if best < 0:
        assert result.status == "infeasible"
    else:
        assert result.status == "optimal" and result.value == best


@TINY
@given(tiny_cases(), st.integers(0, 3))
def test_tail_on_offers_bounds_brute_force(case: tuple[Scenario, World], weeks: int) -> None:
    """Counted on first offers (a declined offer counts), the optimum equals the best policy keeping the rule where no
    offer is declined, and is at least that best where offers can be declined: a bound, never below a policy."""
    scenario, world = case
    result = exact_hindsight(scenario, 0, world=world, measure="persons_housed", tail_weeks=weeks, declined_offers_count=True)
    best = brute_force(scenario, world, 0, "persons_housed", keeps_tail(world, scenario.horizon_weeks, weeks, True))
    if scenario.decline_probability == 0:
        assert result.value == (None if best < 0 else best)
    elif best >= 0:
        assert result.status == "optimal" and result.value is not None and result.value >= best


def test_the_tail_gives_the_home_to_the_long_waiter() -> None:
    """Three singles and a family of five, one home for up to five persons, three weeks: with T = 2 weeks at most one
    of the four may wait longer than that, but one home leaves three waiting to the horizon (3 weeks): no plan keeps
    the rule. With T = 3 nobody can wait longer and the family gets the home, as without the rule."""
    households = [TinyHousehold(0, 1, 0), TinyHousehold(0, 1, 0), TinyHousehold(0, 1, 0), TinyHousehold(0, 2, 3)]
    world = tiny_world(households, [TinyHome("social", 0, max_occupants=5)])
    scenario = tiny_scenario(3)
    free = exact_hindsight(scenario, 0, world=world, measure="persons_housed")
    assert free.value == 5
    bounded = exact_hindsight(scenario, 0, world=world, measure="persons_housed", tail_weeks=2)
    assert bounded.status == "infeasible" and bounded.value is None
    loose = exact_hindsight(scenario, 0, world=world, measure="persons_housed", tail_weeks=3)
    assert loose.status == "optimal" and loose.value == 5 and loose.wait_p90_weeks == 3.0


@given(st.lists(st.integers(0, 60), min_size=1, max_size=40))
def test_late_allowed_is_what_a_p90_allows(waits: list[int]) -> None:
    """A 90th percentile (numpy's, interpolated) at most T leaves at most late_allowed(n) waits above T, and one more
    wait above T always lifts the percentile above T: the rule is the tightest count the percentile implies."""
    n = len(waits)
    t = int(np.ceil(np.percentile(np.asarray(waits, dtype=float), 90)))
    assert sum(w > t for w in waits) <= late_allowed(n)
    ordered = sorted(waits)
    k = late_allowed(n)
    if k + 1 <= n:
        lifted = ordered[: n - k - 1] + [t + 1] * (k + 1)
        assert np.percentile(np.asarray(lifted, dtype=float), 90) > t
