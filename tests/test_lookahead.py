"""The look-ahead term: a fluid model of the forecast prices each pair, the proposal says which decisions it changed."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest
from helpers import household, instance, propose, unit

import matcher
from matcher.errors import InputError
from matcher.generate import generate_instance
from matcher.input.policy import parse_policy
from matcher.model.lookahead import fits, household_class, unit_class
from matcher.validate import check_proposal, problems_by_check

FAMILY_HOME = {"min_occupants": 1, "max_occupants": 4, "bedrooms": 2, "rent": "600.00"}
# Homes for 2-6 persons keep coming; no single-person homes and no singles are expected.
FORECAST = {"weeks": 8, "units": [{"min_occupants": 2, "max_occupants": 6, "per_week": 1.0}], "households": []}
LOOK = [{"placed_persons": 10, "lookahead": 5}, {"waiting_days": 1}]


def _week(forecast: dict[str, Any] | None, objective: list[dict[str, int]] | None = None) -> matcher.Instance:
    """One home for 1-4 persons; a single person and a family of four both fit it."""
    households = [household("H-1"), household("H-2", adults=2, children=2)]
    policy: dict[str, Any] = {"objective": objective or LOOK}
    if forecast is not None:
        policy["forecast"] = forecast
    return instance(households, [unit("U-1", **FAMILY_HOME)], **policy)


def test_forecast_changes_the_decision_and_says_why() -> None:
    """The family fits the 2-6 homes the forecast brings and the single person does not, so with the
    look-ahead the 1-4 home goes to the single person; without a forecast the family (more persons) gets it.
    The proposal names both households and the forecast in Dutch."""
    with_forecast = propose(_week(FORECAST))
    assert [(m["household_id"], m["unit_id"]) for m in with_forecast["matches"]] == [("H-1", "U-1")]
    changed = with_forecast["lookahead"]["changed"]
    assert changed == [
        {"unit_id": "U-1", "household_id": "H-1", "without_lookahead": "H-2", "explanation": changed[0]["explanation"]}
    ]
    sentence = changed[0]["explanation"]
    assert "U-1 (2 slaapkamers, 1-4 personen) gaat naar H-1 (1 persoon) en niet naar H-2 (4 personen)" in sentence
    assert (
        "Voor alleenstaanden: gemiddeld komen er 0,0 per week bij en komen er 0,0 woningen van de juiste grootte per week "
        "vrij; nu wachten er 1 en zijn er 1 zulke woningen aangeboden."
    ) in sentence
    assert "Voor huishoudens van 4 personen: gemiddeld komen er 0,0 per week bij en komen er 1,0 woningen" in sentence
    assert sentence.endswith("(Prognose voor de komende 8 weken.)")
    assert sentence in with_forecast["matches"][0]["explanation"]
    passed_over = next(x for x in with_forecast["unmatched_households"] if x["household_id"] == "H-2")
    assert sentence in passed_over["explanation"]

    no_forecast = propose(_week(None))
    assert [(m["household_id"], m["unit_id"]) for m in no_forecast["matches"]] == [("H-2", "U-1")]
    assert no_forecast["lookahead"]["changed"] == []
    assert no_forecast["lookahead"]["weeks"] == 0


def test_term_is_the_reduced_cost_in_tenths() -> None:
    """With the forecast the family in the 1-4 home costs the window one person (it could have had a 2-6 home
    and the single person nothing else): the term is -10 for that pair and 0 for the single person."""
    proposal = propose(_week(FORECAST, [{"placed_persons": 10, "lookahead": 1}]))
    assert proposal["matches"][0]["terms"] == {"placed_persons": 4, "lookahead": -10}
    model = proposal["lookahead"]
    assert model["persons_in_window"] == 5.0  # the family in a 2-6 home, the single person in the 1-4 home
    single = next(x for x in model["household_classes"] if x["persons"] == 1)
    assert single["potential"] == 0.0


def test_english_explanation() -> None:
    """The sentence exists in English too (policy lang en)."""
    inst = instance(
        [household("H-1"), household("H-2", adults=2, children=2)],
        [unit("U-1", **FAMILY_HOME)],
        objective=LOOK,
        forecast=FORECAST,
        lang="en",
    )
    sentence = propose(inst)["lookahead"]["changed"][0]["explanation"]
    assert sentence.startswith("U-1 (2 bedrooms, 1-4 persons) goes to H-1 (1 person) and not to H-2 (4 persons)")
    assert "For single persons: on average 0.0 arrive per week and 0.0 homes of the right size a week come free" in sentence


def test_default_policy_has_no_lookahead_section() -> None:
    """A policy that does not name the term gets no fluid model and no lookahead field: v1 proposals stay as they were."""
    proposal = propose(_week(None, [{"placed_persons": 10}, {"waiting_days": 1}]))
    assert "lookahead" not in proposal


def test_validator_catches_wrong_potentials() -> None:
    """The validator proves the reported potentials are an optimal dual: a lowered potential breaks dual
    feasibility, a raised one the equality with the fluid optimum, a missing section is reported."""
    inst = _week(FORECAST)
    proposal = propose(inst)
    lowered = json.loads(json.dumps(proposal))
    family = next(x for x in lowered["lookahead"]["household_classes"] if x["persons"] == 4)
    family["potential"] -= 1
    assert "lookahead" in problems_by_check(inst, lowered)
    raised = json.loads(json.dumps(proposal))
    raised["lookahead"]["unit_classes"][0]["potential"] += 1
    assert any("fluid optimum" in p for p in problems_by_check(inst, raised)["lookahead"])
    missing = json.loads(json.dumps(proposal))
    del missing["lookahead"]
    expected = ["the policy names lookahead but the proposal has no lookahead section"]
    assert problems_by_check(inst, missing)["lookahead"] == expected


def test_long_wait_counts_days_beyond_the_guard() -> None:
    """long_wait is 1 beyond long_wait_weeks of waiting (not at it), long_wait_days the days beyond."""
    weeks = 8
    at = (dt.date(2025, 3, 3) - dt.timedelta(weeks=weeks)).isoformat()
    beyond = (dt.date(2025, 3, 3) - dt.timedelta(weeks=weeks, days=3)).isoformat()
    inst = instance(
        [household("H-1", koppeling_date=at), household("H-2", koppeling_date=beyond)],
        [unit("U-1"), unit("U-2")],
        objective=[{"long_wait": 1, "long_wait_days": 1}],
        long_wait_weeks=weeks,
    )
    terms = {m["household_id"]: m["terms"] for m in propose(inst)["matches"]}
    assert terms == {"H-1": {"long_wait": 0, "long_wait_days": 0}, "H-2": {"long_wait": 1, "long_wait_days": 3}}


@pytest.mark.parametrize("seed", [3, 7])
def test_flow_and_cpsat_agree_with_lookahead(seed: int) -> None:
    """On a generated week with the look-ahead term, the flow's tier values equal CP-SAT's (an independent model)."""
    households, units, policy = generate_instance("nijmegen-week", seed, dt.date(2025, 3, 3))
    policy = {
        **policy,
        "objective": [{"placed_persons": 10, "lookahead": 3, "long_wait": 30}, {"waiting_days": 1}],
        "long_wait_weeks": 20,
        "forecast": {"weeks": 8, "households": [{"persons": 1, "per_week": 1.4}, {"persons": 4, "per_week": 0.4}],
                     "units": [{"max_occupants": 4, "per_week": 0.5}, {"min_occupants": 2, "max_occupants": 6, "per_week": 0.3}]},
    }  # fmt: skip
    inst = matcher.build_instance(households.to_dict("records"), units.to_dict("records"), policy)
    flow = propose(inst)
    cpsat = propose(inst, engine="cpsat")
    assert flow["solver"]["tiers"][:2] == cpsat["solver"]["tiers"][:2]
    assert flow["status"] == cpsat["status"] == "optimal"


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "nijmegen-week"
EXAMPLE_LOOK = {
    "objective": [{"long_wait": 30, "placed_persons": 10, "lookahead": 4, "overdue": 5, "vulnerable": 3}, {"waiting_days": 1}],
    "long_wait_weeks": 40,
    "forecast": {"weeks": 8, "households": [{"persons": 1, "per_week": 1.2}, {"persons": 4, "per_week": 0.3}],
                 "units": [{"max_occupants": 4, "per_week": 0.4}, {"max_occupants": 1, "per_week": 0.2}]},
}  # fmt: skip


def _example_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    base = matcher.load_instance(EXAMPLE / "households.csv", EXAMPLE / "units.csv", EXAMPLE / "policy.json")
    policy = {**json.loads((EXAMPLE / "policy.json").read_text(encoding="utf-8")), **EXAMPLE_LOOK}
    return base.households.to_dict("records"), base.units.to_dict("records"), policy


def test_same_proposal_in_any_row_order() -> None:
    """The look-ahead's fluid model is built in class order, so shuffled rows give the same proposal."""
    h_rows, u_rows, policy = _example_rows()
    first = matcher.propose(matcher.build_instance(h_rows, u_rows, policy)).model_dump(mode="json")
    rnd = random.Random(5)
    rnd.shuffle(h_rows)
    rnd.shuffle(u_rows)
    again = matcher.propose(matcher.build_instance(h_rows, u_rows, policy)).model_dump(mode="json")
    for document in (first, again):
        document["solver"] = {k: v for k, v in document["solver"].items() if not k.endswith("_s")}
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert first["lookahead"]["changed"], "the look-ahead changed no decision: the test would prove nothing"


@pytest.mark.parametrize(
    ("forecast", "column", "message"),
    [
        ({"weeks": 8, "units": [{"max_occupants": 4, "per_week": -1}]}, "forecast.units[0].per_week", "expected a number"),
        ({"weeks": 200}, "forecast.weeks", "expected an integer from 0 to 104"),
        ({"households": [{"per_week": 1}]}, "forecast.households[0].persons", "a value is required"),
        ({"units": [{"min_occupants": 5, "max_occupants": 4, "per_week": 1}]}, "forecast.units[0].min_occupants", "larger"),
        ({"units": [{"max_occupants": 4, "per_week": 1, "rooms": 2}]}, "forecast.units[0].rooms", "unknown field"),
        ({"horizon": 8}, "forecast.horizon", "unknown field"),
        ({"source": "crystal ball"}, "forecast.source", "expected one of officer, recent_weeks, scenario"),
        ("eight weeks", "forecast", "expected an object"),
    ],
)
def test_bad_forecast_names_the_field(forecast: Any, column: str, message: str) -> None:
    """Every mistake in the forecast is an input error naming its field, never a traceback."""
    with pytest.raises(InputError) as error:
        parse_policy({"forecast": forecast})
    problem = error.value.problems[0]
    assert problem.column == column and message in problem.message


def test_forecast_enters_the_input_hash_only_when_given() -> None:
    """A policy without forecast or long_wait_weeks hashes as before; with them the hash changes."""
    plain = parse_policy({"planning_date": "2025-03-03"}).canonical()
    assert "forecast" not in plain and "long_wait_weeks" not in plain
    given = parse_policy({"planning_date": "2025-03-03", "forecast": FORECAST, "long_wait_weeks": 30}).canonical()
    assert given["forecast"]["units"][0]["max_occupants"] == 6 and given["long_wait_weeks"] == 30


def test_classes_follow_the_size_rules() -> None:
    """A single person expecting three family members fits a temporary home for one, not a permanent one;
    a shared place takes households up to shared_max_household_size."""
    policy = parse_policy({"planning_date": "2025-03-03", "shared_max_household_size": 2})
    expecting = household_class(1, 4)
    assert fits(expecting, unit_class(True, False, 1, 1, 0), policy)
    assert not fits(expecting, unit_class(False, False, 1, 1, 0), policy)
    assert fits(expecting, unit_class(False, False, 1, 4, 0), policy)
    assert fits(household_class(2, 2), unit_class(True, True, 1, 6, 4), policy)
    assert not fits(household_class(3, 3), unit_class(True, True, 1, 6, 4), policy)


def test_example_week_with_lookahead_passes_the_validator() -> None:
    """The example week with a look-ahead policy: every check of the independent validator passes, and the
    decisions the look-ahead changed are each explained in a match."""
    h_rows, u_rows, policy = _example_rows()
    inst = matcher.build_instance(h_rows, u_rows, policy)
    document = matcher.propose(inst).model_dump(mode="json")
    assert check_proposal(inst, document) == []
    changed = document["lookahead"]["changed"]
    explained = {m["household_id"]: m["explanation"] for m in document["matches"]}
    assert changed and all(c["explanation"] in explained[c["household_id"]] for c in changed if c["household_id"])


def test_infeasible_forecast_is_never_a_crash() -> None:
    """A forecast with nothing in it (no households, no homes, zero weeks) still solves: the model is empty."""
    inst = _week({"weeks": 0})
    proposal = propose(inst)
    assert proposal["lookahead"]["persons_in_window"] == 1.0 or proposal["lookahead"]["persons_in_window"] == 4.0


def test_unknown_term_lists_the_new_terms() -> None:
    """The error for an unknown term lists every known term, the new ones included."""
    with pytest.raises(InputError) as error:
        parse_policy({"objective": [{"look_ahead": 1}]})
    assert "long_wait, long_wait_days, lookahead" in str(error.value)
