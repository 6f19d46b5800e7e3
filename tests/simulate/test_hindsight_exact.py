"""The exact hindsight: equal to brute force over every weekly policy, to two other solvers, and below the relaxed reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simhelpers import small
from tinyworlds import TinyHome, TinyHousehold, brute_force, move_cases, tiny_cases, tiny_scenario, tiny_world

from matcher.simulate.hindsight import HindsightMismatch, exact_hindsight, hindsight_optimum
from matcher.simulate.hindsight_model import build_model
from matcher.simulate.hindsight_replay import replay
from matcher.simulate.hindsight_solve import solve, solve_cpsat, solve_milp
from matcher.simulate.scenario import Scenario
from matcher.simulate.simulator import run_replicate
from matcher.simulate.world import NEVER, World, build_world

TINY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@TINY
@given(tiny_cases())
def test_exact_equals_brute_force_over_every_policy(case: tuple[Scenario, World]) -> None:
    """On tiny worlds the exact value equals the best the simulator reaches over every sequence of weekly proposals."""
    scenario, world = case
    result = exact_hindsight(scenario, 0, world=world)
    assert result.status == "optimal"
    assert result.value == brute_force(scenario, world, 0)


@TINY
@given(move_cases())
def test_exact_equals_brute_force_where_moves_pay(case: tuple[Scenario, World]) -> None:
    """Where moving a household on from a temporary place can pay, the exact value still equals brute force."""
    scenario, world = case
    result = exact_hindsight(scenario, 0, world=world)
    assert result.status == "optimal"
    assert result.value == brute_force(scenario, world, 0)


@TINY
@given(tiny_cases())
def test_persons_housed_equals_brute_force(case: tuple[Scenario, World]) -> None:
    """The other measure, persons housed over the horizon (nareizigers who join included), is exact too."""
    scenario, world = case
    result = exact_hindsight(scenario, 0, world=world, measure="persons_housed")
    assert result.value == brute_force(scenario, world, 0, measure="persons_housed")


@TINY
@given(st.one_of(tiny_cases(), move_cases()))
def test_three_solvers_agree(case: tuple[Scenario, World]) -> None:
    """The LP-then-CP-SAT pipeline, CP-SAT alone and HiGHS branch and bound alone give the same optimum."""
    scenario, world = case
    model = build_model(scenario, world, 0)
    values = {solve(model).value, solve_cpsat(model, 10.0).value, solve_milp(model, 60.0).value}
    assert len(values) == 1


@TINY
@given(st.one_of(tiny_cases(), move_cases()))
def test_relaxed_reference_is_at_least_the_exact_one(case: tuple[Scenario, World]) -> None:
    """The relaxed reference drops constraints, so it is never below the exact optimum."""
    scenario, world = case
    assert hindsight_optimum(scenario, world).objective >= (exact_hindsight(scenario, 0, world=world).value or 0)


def test_a_move_frees_a_temporary_place_for_a_second_household() -> None:
    """A doorstroom occupant whose stay ends moves to a social home, and the place takes the next household.

    H0 (two persons) is in the doorstroom place U0 from week 0 (stay 2 weeks) and may move
    from week 2, when the social home U1 for exactly two comes on offer; H1 (one person)
    arrives in week 1 and fits only U0. Moving H0 on houses H1 from week 3: 2 x 5 + 1 x 2 = 12,
    more than any plan without a move (at most 10)."""
    scenario = tiny_scenario(5, offer_weeks=3, transit=2)
    world = tiny_world(
        [TinyHousehold(0, 1, 1), TinyHousehold(1, 1, 0)],
        [TinyHome("transit", 0, max_occupants=2), TinyHome("social", 2, max_occupants=2, min_occupants=2)],
    )
    result = exact_hindsight(scenario, 0, world=world)
    assert result.moves == 1
    assert result.value == 2 * 5 + 1 * (5 - 3) == brute_force(scenario, world, 0)
    # The move can happen no earlier than the stay limit.
    move = next(step for step in result.plan if step.kind == "move")
    assert move.week == 2


def test_a_family_arriving_makes_a_mover_before_the_stay_ends() -> None:
    """A family that outgrows its flexwoning may move on at once, long before the 10-week stay ends.

    A (three persons, one nareiziger in week 2) lives in the flexwoning U0 for three from week
    0; the social home U1 for four comes in week 2; B (one person, from week 2) fits only U0.
    Moving A on in week 2 houses B from week 3: 3 x 6 + 1 x 3 = 21, one more than A waiting
    for U1 and B in U0 (4 x 4 + 1 x 4 = 20)."""
    scenario = tiny_scenario(6, offer_weeks=2, flex=10)
    world = tiny_world(
        [TinyHousehold(0, 2, 1, declared=1, family=2), TinyHousehold(2, 1, 0)],
        [TinyHome("flex", 0, max_occupants=3), TinyHome("social", 2, max_occupants=4, min_occupants=4)],
    )
    result = exact_hindsight(scenario, 0, world=world)
    assert result.value == 21 == brute_force(scenario, world, 0)
    assert [(step.week, step.kind) for step in result.plan if step.household == 0] == [(0, "first"), (2, "move")]


def test_relaxed_reference_stays_above_where_a_family_frees_a_place_early() -> None:
    """The world above, where the exact optimum moves a family on before its stay ends: the relaxed
    reference has a slot from the week after the family arrives, so it stays at or above 21."""
    scenario = tiny_scenario(6, offer_weeks=2, flex=10)
    world = tiny_world(
        [TinyHousehold(0, 2, 1, declared=1, family=2), TinyHousehold(2, 1, 0)],
        [TinyHome("flex", 0, max_occupants=3), TinyHome("social", 2, max_occupants=4, min_occupants=4)],
    )
    assert hindsight_optimum(scenario, world).objective >= exact_hindsight(scenario, 0, world=world).value == 21


def test_a_household_leaving_frees_its_place_in_the_same_week() -> None:
    """A household that stops being the municipality's task in week 2 leaves its doorstroom place before
    that week's proposal: the next household moves in in week 2 (2 x 4 + 1 x 2 = 10)."""
    scenario = tiny_scenario(4, transit=10)
    world = tiny_world([TinyHousehold(0, 1, 1, leave=2), TinyHousehold(0, 1, 0)], [TinyHome("transit", 0, max_occupants=2)])
    result = exact_hindsight(scenario, 0, world=world)
    assert result.value == 10 == brute_force(scenario, world, 0)
    assert [(step.week, step.household) for step in result.plan] == [(0, 0), (2, 1)]
    assert hindsight_optimum(scenario, world).objective >= 10


def test_the_move_on_horizon_makes_a_mover_before_the_stay_ends() -> None:
    """With move_on_horizon_weeks 1 a stay of 3 weeks makes a mover from week 2, one week earlier than without."""
    households = [TinyHousehold(0, 1, 1), TinyHousehold(1, 1, 0)]
    homes = [TinyHome("transit", 0, max_occupants=2), TinyHome("social", 2, max_occupants=2, min_occupants=2)]
    world = tiny_world(households, homes)
    for ahead, value in ((1, 2 * 5 + 1 * 2), (0, 2 * 5 + 1 * 1)):
        scenario = tiny_scenario(5, offer_weeks=3, transit=3, policy={"matcher": {"move_on_horizon_weeks": ahead}})
        assert exact_hindsight(scenario, 0, world=world).value == value == brute_force(scenario, world, 0)


def test_nareizigers_not_yet_due_do_not_count_for_a_permanent_home() -> None:
    """A family known (3 weeks ahead) to arrive beyond the policy's reunification horizon (1 week) does not
    count in rule E5: the single may take a home for one in weeks 1 and 2 only."""
    scenario = tiny_scenario(
        6, offer_weeks=6, inflow={"reunification": {"date_known_weeks": 3}},
        policy={"matcher": {"reunification_horizon_weeks": 1}},
    )  # fmt: skip
    world = tiny_world([TinyHousehold(0, 1, 0, declared=2, family=4)], [TinyHome("social", 0, max_occupants=1)])
    result = exact_hindsight(scenario, 0, world=world)
    assert result.value == 1 * (6 - 1) == brute_force(scenario, world, 0)


def test_a_declined_offer_is_never_in_the_plan() -> None:
    """With every offer declined, nobody is housed, even though every pair fits."""
    scenario = tiny_scenario(4, decline_probability=1.0)
    world = tiny_world([TinyHousehold(0, 1, 0)], [TinyHome("social", 0)])
    assert exact_hindsight(scenario, 0, world=world).value == 0
    assert hindsight_optimum(scenario, world).objective > 0  # the relaxed reference ignores declines


def test_a_cap_delays_the_second_placement() -> None:
    """With a cap of one a week in Hatert, two households and two Hatert homes of week 0 take two weeks."""
    scenario = tiny_scenario(4, offer_weeks=2, policy={"matcher": {"neighbourhood_caps": {"Hatert": 1}}})
    world = tiny_world(
        [TinyHousehold(0, 1, 0), TinyHousehold(0, 1, 1)],
        [TinyHome("social", 0, neighbourhood="Hatert"), TinyHome("social", 0, neighbourhood="Hatert")],
    )
    result = exact_hindsight(scenario, 0, world=world)
    assert result.value == 2 * 4 + 1 * 3 == brute_force(scenario, world, 0)


def test_beds_of_a_shared_place_hold_two_of_three_singles() -> None:
    """A shared place of two beds takes two of three singles; the third has nowhere to go."""
    scenario = tiny_scenario(5, flex=5)
    world = tiny_world([TinyHousehold(0, 1, 0)] * 3, [TinyHome("shared", 0, beds=2)])
    result = exact_hindsight(scenario, 0, world=world)
    assert result.value == brute_force(scenario, world, 0) == 5 + 5
    assert result.households_placed == 2


def test_hold_for_family_keeps_permanent_homes_for_later() -> None:
    """With hold_for_family a single expecting family gets no social home before the family arrives (week 4 of 6)."""
    held = tiny_scenario(6, offer_weeks=6, policy={"hold_for_family": True})
    free = tiny_scenario(6, offer_weeks=6)
    world = tiny_world([TinyHousehold(0, 1, 0, declared=1, family=4)], [TinyHome("social", 0, max_occupants=2)])
    assert exact_hindsight(free, 0, world=world).value == 1 * 6
    assert exact_hindsight(held, 0, world=world).value == 2 * 2 == brute_force(held, world, 0)


def test_every_plan_is_played_back_and_a_wrong_one_is_caught() -> None:
    """The replay accepts the exact plan and names what is wrong with a plan that breaks a rule."""
    scenario = tiny_scenario(3)
    world = tiny_world([TinyHousehold(0, 3, 0)], [TinyHome("social", 0, max_occupants=2)])
    result = exact_hindsight(scenario, 0, world=world)
    assert result.value == 0 and not replay(scenario, world, 0, list(result.plan)).problems
    wrong = build_model(tiny_scenario(3), tiny_world([TinyHousehold(0, 1, 0)], [TinyHome("social", 0)]), 0)
    plan = wrong.plan(np.ones(wrong.n_columns))
    problems = replay(scenario, world, 0, plan).problems
    assert problems and "E4" in problems[0]


def test_a_mismatch_between_model_and_simulator_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the model claimed more than the simulator makes of its plan, exact_hindsight says so instead of reporting it."""
    import matcher.simulate.hindsight as hindsight
    import matcher.simulate.hindsight_solve as hindsight_solve

    scenario = tiny_scenario(3)
    world = tiny_world([TinyHousehold(0, 1, 0)], [TinyHome("social", 0)])
    real = hindsight_solve.solve

    def inflated(*args: object, **kwargs: object) -> object:
        solved = real(*args, **kwargs)  # type: ignore[arg-type]
        return type(solved)(solved.status, solved.x, (solved.value or 0) + 1, solved.bound + 1, solved.method)

    monkeypatch.setattr(hindsight, "solve", inflated)
    with pytest.raises(HindsightMismatch):
        exact_hindsight(scenario, 0, world=world)


def test_generated_replicate_exact_between_strategies_and_relaxed() -> None:
    """On a generated 10-week replicate: engine and FIFO <= exact <= LP bound, and the exact plan is the simulator's."""
    scenario = small({"horizon_weeks": 10})
    world = build_world(scenario, 0)
    result = exact_hindsight(scenario, 0, world=world)
    assert result.status == "optimal" and result.value is not None
    for strategy in ("optimise", "fifo"):
        assert run_replicate(scenario, world, 0, strategy).objective <= result.value
    assert result.lp_bound is not None and result.value <= result.lp_bound + 1e-6
    assert replay(scenario, world, 0, list(result.plan)).objective == result.value


def test_same_inputs_same_result() -> None:
    """The same scenario and replicate give the same value, bound and plan."""
    scenario = small({"horizon_weeks": 8})
    first, second = exact_hindsight(scenario, 1), exact_hindsight(scenario, 1)
    assert (first.value, first.bound, first.plan) == (second.value, second.bound, second.plan)


def test_family_that_never_comes_within_the_horizon_is_one_make_up() -> None:
    """A family drawn after the horizon (or before the household arrives) never changes the household."""
    scenario = tiny_scenario(3)
    world = tiny_world([TinyHousehold(1, 1, 0, declared=2, family=0)], [TinyHome("social", 1, max_occupants=3)])
    assert world.reunification_week[0] < world.arrival_week[0] < NEVER
    assert exact_hindsight(scenario, 0, world=world).value == brute_force(scenario, world, 0)


def test_a_world_beyond_the_column_limit_is_too_large_and_not_built() -> None:
    """A programme with more household-home-weeks than the limit is reported as too_large, without figures; the
    same world with the limit at exactly its count is solved, one below it is not: the guard counts what it says."""
    scenario = small({"horizon_weeks": 8})
    world = build_world(scenario, 0)
    large = exact_hindsight(scenario, 0, world=world, max_columns=1)
    assert large.status == "too_large"
    assert (large.value, large.bound, large.gap, large.plan) == (None, None, None, ())
    columns = large.model_size["potential_columns"]
    assert columns > 1 and large.model_size["limit"] == 1
    assert exact_hindsight(scenario, 0, world=world, max_columns=columns - 1).status == "too_large"
    fits = exact_hindsight(scenario, 0, world=world, max_columns=columns)
    assert fits.status == "optimal" and fits.value is not None
    assert 0 < fits.model_size["columns"] <= columns


def test_a_replicate_without_a_plan_is_left_out_of_the_bands_not_counted_as_zero() -> None:
    """Where one replicate of two is too_large, the exact figures and percentages are those of the other one,
    the summary counts it in ``without_plan``, and the command's row says it was left out."""
    from cli.simulate import hindsight_rows
    from matcher.simulate.montecarlo import run_task, summarise
    from matcher.simulate.scenario import scenario_document

    scenario = small({"horizon_weeks": 8, "exact_hindsight": True})
    tasks = [run_task(scenario_document(scenario), replicate) for replicate in (0, 1)]
    tasks[1]["hindsight_exact"] = exact_hindsight(scenario, 1, max_columns=1).to_json(timings=False)
    exact = summarise(scenario, tasks, 0.0, 1, "local").hindsight["exact"]  # type: ignore[index]
    solved = tasks[0]["hindsight_exact"]
    assert solved["status"] == "optimal"
    assert (exact["replicates"], exact["proven"], exact["without_plan"]) == (2, 1, 1)
    assert exact["objective"]["mean"] == pytest.approx(solved["value"])
    assert exact["persons_housed"]["mean"] == pytest.approx(solved["persons_housed"])
    engine = next(run["objective"] for run in tasks[0]["runs"] if run["strategy"] == "optimise")
    assert exact["percent"]["optimise"]["mean"] == pytest.approx(100.0 * engine / solved["value"], abs=0.01)
    labels = [label for label, _ in hindsight_rows({"relaxed": {"percent": {}}, "exact": exact})]
    assert any("proven in 1 of 2" in label and "1 without a plan, left out" in label for label in labels)


def test_half_year_caps_are_reported_as_not_modelled() -> None:
    """The exact model holds the weekly wijk caps but not the half-year ones: with half_year_caps in the policy
    the exact hindsight gives no figures and names the missing rule, instead of a plan the simulator would refuse."""
    scenario = small({"horizon_weeks": 8, "policy": {"matcher": {"half_year_caps": {"Hatert": 1}}}})
    result = exact_hindsight(scenario, 0)
    assert result.status == "not_modelled"
    assert (result.value, result.bound, result.plan) == (None, None, ())
    assert any("half_year_caps" in restriction for restriction in result.restrictions)
