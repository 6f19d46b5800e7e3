"""Fairness figures per group of households: groups partition the households, figures follow their definitions."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
from simhelpers import small

from matcher.errors import InputError
from matcher.simulate.fairness import (
    GROUPINGS,
    MIN_HOUSEHOLDS,
    Households,
    group_codes,
    largest_p90_gap,
    replicate_figures,
    summarise_fairness,
)
from matcher.simulate.montecarlo import run_scenario, run_task
from matcher.simulate.output import fairness_csv
from matcher.simulate.scenario import scenario_document
from matcher.simulate.world import build_world


def _households(
    koppeling: list[int],
    arrival: list[int] | None = None,
    persons: list[int] | None = None,
    declared: list[int] | None = None,
    gender: list[str] | None = None,
    adults: list[int] | None = None,
    children: list[int] | None = None,
    ex_amv: list[bool] | None = None,
) -> Households:
    n = len(koppeling)
    arrival_week = np.array(arrival if arrival is not None else koppeling, dtype=np.int64)
    return Households(
        arrival_week=arrival_week,
        koppeling_week=np.array(koppeling, dtype=np.int64),
        persons=np.array(persons or [1] * n, dtype=np.int64),
        declared=np.array(declared or [0] * n, dtype=np.int64),
        documents_week=arrival_week.copy(),
        vulnerable=np.zeros(n, dtype=bool),
        gender=np.array(gender or ["M"] * n, dtype=str),
        adults=np.array(adults or [1] * n, dtype=np.int64),
        children=np.array(children or [0] * n, dtype=np.int64),
        ex_amv=np.array(ex_amv or [False] * n, dtype=bool),
    )


def _weeks(values: list[int]) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize("replicate", [0, 1, 2])
def test_each_grouping_partitions_the_arrived_households(replicate: int) -> None:
    """In every grouping each household that arrived within the horizon is in exactly one group,
    and the groups' household counts add up to all of them, for both strategies."""
    scenario = small({"horizon_weeks": 6})
    world = build_world(scenario, replicate)
    households = Households.from_world(world)
    arrived = world.arrival_week < scenario.horizon_weeks
    assert arrived.sum() > 20
    for grouping, codes in group_codes(households).items():
        membership = np.stack([codes == k for k in range(len(GROUPINGS[grouping]))])
        assert (membership[:, arrived].sum(axis=0) == 1).all(), grouping
    task = run_task(scenario_document(scenario), replicate)
    for strategy, figures in task["fairness"].items():
        for grouping, groups in figures.items():
            assert set(groups) == set(GROUPINGS[grouping])
            assert sum(g["households"] for g in groups.values()) == int(arrived.sum()), (strategy, grouping)


def test_hand_built_replicate_gives_known_figures() -> None:
    """Six single persons and four households of two with known offers and placements give exact figures; the wait
    for a first home counts placements, not offers, and a household never placed with the weeks up to the horizon."""
    households = _households(
        koppeling=[1, 1, 2, 3, 4, 5, 1, 1, 1, 1],
        persons=[1, 1, 1, 1, 1, 1, 2, 2, 2, 2],
        declared=[0, 0, 0, 0, 2, 3, 0, 0, 0, 0],
    )
    first_offer = _weeks([3, 5, -1, 13, 4, 16, 2, 2, -1, -1])
    first_place = _weeks([3, -1, -1, 13, 4, 17, 2, -1, -1, -1])
    figures = replicate_figures(households, first_offer, first_place, horizon_weeks=20, deadline_weeks=10)

    singles = figures["household_size"]["1"]
    # Waits 2, 4, 18 (no offer: 20 - 2, censored), 10, 0, 11.
    assert singles == {
        "households": 6,
        "wait_median_weeks": 7.0,
        "wait_p90_weeks": 14.5,
        "wait_max_weeks": 18.0,
        # Weeks to a first home 2, 19 (never placed: 20 - 1), 18, 10, 0, 12; sorted, the 90th percentile
        # lies halfway between 18 and 19.
        "home_wait_p90_weeks": 18.5,
        "censored_share": pytest.approx(1 / 6),
        "offered_within_deadline_share": pytest.approx(4 / 6),  # 10 weeks is still in time, 11 is not
        "housed_share": pytest.approx(4 / 6),  # an offer declined is an offer, not a home
        "housed_persons": 4.0,
    }
    pairs = figures["household_size"]["2-3"]
    assert pairs["households"] == 4 and all(v is None for k, v in pairs.items() if k != "households")
    assert figures["household_size"]["4-5"]["households"] == 0
    everyone = figures["vulnerability"]["no"]
    # Waits 0, 1, 1, 2, 4, 10, 11, 18, 19, 19.
    assert everyone["households"] == 10
    assert everyone["wait_median_weeks"] == 7.0
    assert everyone["wait_p90_weeks"] == 19.0
    assert everyone["censored_share"] == pytest.approx(0.3)
    assert everyone["housed_share"] == pytest.approx(0.5)
    assert everyone["offered_within_deadline_share"] == pytest.approx(6 / 10)
    assert figures["single_expecting_family"]["yes"]["households"] == 2
    assert figures["single_expecting_family"]["no"]["households"] == 8
    assert figures["gender"]["M"]["households"] == 10 and figures["gender"]["F"]["households"] == 0


def test_households_still_waiting_count_with_their_waiting_so_far() -> None:
    """Without an offer at the horizon a household counts with horizon minus koppeling and is censored;
    the start pool counts for waiting but not for the 10-week share, nor does a koppeling whose 10 weeks have not passed."""
    households = _households(koppeling=[0, 0, -10, 3, 5], arrival=[0, 0, 0, 3, 5])
    nothing = _weeks([-1] * 5)
    figures = replicate_figures(households, nothing, nothing, horizon_weeks=8, deadline_weeks=10)["household_size"]["1"]
    assert figures["wait_median_weeks"] == 8.0  # waits 8, 8, 18, 5, 3
    assert figures["wait_max_weeks"] == 18.0
    assert figures["censored_share"] == 1.0
    assert figures["housed_share"] == 0.0
    assert figures["offered_within_deadline_share"] is None  # nobody counts for it yet
    by_koppeling = replicate_figures(households, nothing, nothing, 8, 10)["koppeling"]
    assert by_koppeling["before_start"]["households"] == 3 and by_koppeling["within_horizon"]["households"] == 2
    # An offer in the last week waits less than a household never offered by then.
    offered_last = replicate_figures(households, _weeks([7, -1, -1, -1, -1]), nothing, 8, 10)["household_size"]["1"]
    assert offered_last["censored_share"] == pytest.approx(0.8)
    assert offered_last["wait_median_weeks"] == 7.0  # waits 7, 8, 18, 5, 3


def test_censored_households_in_a_simulated_replicate() -> None:
    """In a simulated replicate the censored households are those without any offer, never more than the pool at the end."""
    scenario = small({"horizon_weeks": 6})
    result = run_scenario(scenario, 1)
    task = run_task(scenario_document(scenario), 0)
    for run in task["runs"]:
        groups = task["fairness"][run["strategy"]]["vulnerability"]
        censored = sum(round(g["censored_share"] * g["households"]) for g in groups.values() if g["censored_share"] is not None)
        assert censored == sum(1 for week in run["first_offer_week"] if week < 0)
        assert censored <= result.summary[run["strategy"]]["pool_households_end"]["mean"]  # type: ignore[operator]


def test_small_cells_are_null_and_bands_say_over_how_many_replicates() -> None:
    """A group with fewer than 5 households in a replicate has no figures there; its band counts the other replicates
    and the paired difference uses only replicates where both strategies have the figure."""
    assert MIN_HOUSEHOLDS == 5

    def replicate(n: int, offer: int) -> dict[str, Any]:
        households = _households(koppeling=[1] * n)
        offers = _weeks([offer] * n)
        return {
            s: replicate_figures(households, offers, offers, horizon_weeks=30, deadline_weeks=10) for s in ("optimise", "fifo")
        }

    replicates = [replicate(6, 3), replicate(4, 5), replicate(7, 9)]
    replicates[2]["fifo"] = replicate_figures(_households(koppeling=[1] * 7), _weeks([4] * 7), _weeks([4] * 7), 30, 10)
    summary = summarise_fairness(replicates, ["optimise", "fifo"], 10)
    entry = summary["groupings"]["household_size"]["1"]
    assert entry["households"]["replicates"] == 3 and entry["households"]["mean"] == pytest.approx(17 / 3, abs=1e-4)
    median = entry["optimise"]["wait_median_weeks"]
    assert median["replicates"] == 2 and median["mean"] == pytest.approx((2 + 8) / 2)
    assert entry["optimise_minus_fifo"]["wait_median_weeks"] == {
        "mean": 2.5,
        "p10": pytest.approx(0.5),
        "p50": 2.5,
        "p90": pytest.approx(4.5),
        "replicates": 2,
    }
    empty = summary["groupings"]["household_size"]["6+"]
    assert empty["optimise"]["wait_p90_weeks"] == {"mean": None, "p10": None, "p50": None, "p90": None, "replicates": 0}
    gap = largest_p90_gap(summary)
    assert gap is not None and gap[2]["optimise_minus_fifo"]["wait_p90_weeks"]["mean"] == 2.5


def test_result_carries_fairness_and_its_csv() -> None:
    """The scenario result holds the fairness section per group and strategy; fairness.csv has its rows."""
    result = run_scenario(small({"horizon_weeks": 4, "hindsight": False}), 2)
    document = result.to_json()
    assert set(document["fairness"]["groupings"]) == set(GROUPINGS)
    entry = document["fairness"]["groupings"]["household_size"]["1"]
    assert {"households", "optimise", "fifo", "optimise_minus_fifo"} <= set(entry)
    assert entry["optimise"]["wait_p90_weeks"]["replicates"] == 2
    rows = list(csv.DictReader(io.StringIO(fairness_csv(result))))
    assert {r["strategy"] for r in rows} == {"all", "optimise", "fifo", "optimise_minus_fifo"}
    assert {r["grouping"] for r in rows} == set(GROUPINGS)


def test_household_type_counts_single_women_and_single_parents_once() -> None:
    """The household_type grouping puts one woman alone in single_woman, one adult with children
    (whatever the gender) in single_parent, and everyone else (two adults, a man alone) in other;
    the three counts add up to every household."""
    households = _households(
        koppeling=[1] * 12,
        persons=[1, 1, 1, 1, 1, 3, 3, 2, 2, 2, 2, 1],
        adults=[1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 1],
        children=[0, 0, 0, 0, 0, 2, 2, 1, 0, 0, 0, 0],
        gender=["F", "F", "F", "F", "F", "F", "M", "F", "F", "M", "F", "M"],
    )
    codes = group_codes(households)["household_type"]
    assert codes.tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
    nothing = _weeks([-1] * 12)
    figures = replicate_figures(households, nothing, nothing, horizon_weeks=8, deadline_weeks=10)["household_type"]
    assert {group: figures[group]["households"] for group in figures} == {"single_woman": 5, "single_parent": 3, "other": 4}
    assert figures["single_woman"]["wait_median_weeks"] == 7.0
    assert figures["single_parent"]["wait_median_weeks"] is None  # fewer than MIN_HOUSEHOLDS: a small cell


def test_simulated_arrivals_hold_both_new_groups() -> None:
    """The simulation's drawn households include alleengaande vrouwen and eenoudergezinnen, so the
    household_type figures are not empty by construction."""
    scenario = small({"horizon_weeks": 12})
    codes = group_codes(Households.from_world(build_world(scenario, 0)))["household_type"]
    assert (codes == 0).sum() > 0 and (codes == 1).sum() > 0 and (codes == 2).sum() > 0


def test_ex_amv_group_counts_the_persons_housed_for_the_amv_taakstelling() -> None:
    """The ex_amv grouping puts every household with the mark in yes, the rest in no; housed_persons counts the
    persons of the group's housed households (what the indicative AMV taakstelling is measured against)."""
    households = _households(
        koppeling=[1] * 11,
        persons=[1, 1, 1, 1, 1, 1, 3, 2, 2, 2, 2],
        ex_amv=[True] * 6 + [False] * 5,
    )
    first_place = _weeks([2, 3, -1, 4, 5, -1, 2, 2, -1, -1, 3])
    figures = replicate_figures(households, first_place, first_place, horizon_weeks=8, deadline_weeks=10)["ex_amv"]
    assert figures["yes"]["households"] == 6 and figures["no"]["households"] == 5
    assert figures["yes"]["housed_persons"] == 4.0
    assert figures["no"]["housed_persons"] == 3.0 + 2.0 + 2.0


def test_scenario_holds_an_indicative_amv_taakstelling() -> None:
    """taakstelling.amv_persons_per_half_year is read (default 0, none set) and refused below 0 with its field named."""
    assert small().taakstelling.amv_persons_per_half_year == 0
    assert small({"taakstelling": {"amv_persons_per_half_year": 69}}).taakstelling.amv_persons_per_half_year == 69
    with pytest.raises(InputError) as caught:
        small({"taakstelling": {"amv_persons_per_half_year": -1}})
    assert "amv_persons_per_half_year" in str(caught.value)
