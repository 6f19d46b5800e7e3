"""The regional agreement: who may place in whose homes (E3), and the balance per municipality."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from helpers import household, instance, matched, propose, reason_of, unit
from reference import brute_force_tiers

from matcher.errors import InputError
from matcher.validate import check_proposal

AGREEMENT: dict[str, Any] = {
    "may_place": {"Nijmegen": ["Wijchen"], "Wijchen": [], "Druten": ["Wijchen"]},
    "counts_for": "household",
    "taakstelling": {"Nijmegen": 10, "Wijchen": 4, "Druten": 2},
}


def _wijchen(uid: str, **fields: Any) -> dict[str, Any]:
    return unit(uid, municipality="Wijchen", neighbourhood="Wijchen-Centrum", **fields)


def _druten(uid: str, **fields: Any) -> dict[str, Any]:
    return unit(uid, municipality="Druten", neighbourhood="Druten-Centrum", **fields)


def test_agreement_allows_only_the_named_municipalities() -> None:
    """Nijmegen may place in Wijchen, not in Druten: the Druten home stays unused."""
    p = propose(instance([household()], [_druten("U-1")], regional=True, regional_agreement=AGREEMENT))
    assert matched(p) == set()
    assert reason_of(p, "H-1") == "no_eligible_unit"
    p = propose(instance([household()], [_wijchen("U-2")], regional=True, regional_agreement=AGREEMENT))
    assert matched(p) == {("H-1", "U-2")}


def test_agreement_is_one_way() -> None:
    """Wijchen places in no other municipality, though Nijmegen places in Wijchen."""
    p = propose(instance([household(municipality="Wijchen")], [unit("U-1")], regional=True, regional_agreement=AGREEMENT))
    assert matched(p) == set()


def test_a_municipality_the_agreement_does_not_name_keeps_its_own_homes() -> None:
    """A household of a municipality outside the agreement is offered only its own homes."""
    hh = [household("H-1", municipality="Heumen")]
    un = [unit("U-1", municipality="Heumen", neighbourhood="Heumen-Centrum"), unit("U-2")]
    p = propose(instance(hh, un, regional=True, regional_agreement=AGREEMENT))
    assert matched(p) == {("H-1", "U-1")}


def _three_way() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    hh = [
        household("H-1", adults=2, children=1),  # Nijmegen, 3 persons
        household("H-2", municipality="Druten", adults=1),  # 1 person
        household("H-3", municipality="Wijchen", adults=2),  # 2 persons
    ]
    un = [_wijchen("U-1", max_occupants=4, bedrooms=2), _wijchen("U-2"), unit("U-3", max_occupants=2)]
    return hh, un


def test_balance_counts_for_the_households_municipality() -> None:
    """counts_for household: a Nijmegen family housed in Wijchen counts for Nijmegen."""
    hh, un = _three_way()
    # H-1 (3 persons) fits only U-1 in Wijchen; H-2 (Druten) only Wijchen; H-3 (Wijchen) only Wijchen.
    p = propose(instance(hh, un, regional=True, regional_agreement=AGREEMENT))
    rows = {row["municipality"]: row for row in p["regional_balance"]["municipalities"]}
    assert p["regional_balance"]["counts_for"] == "household"
    assert sorted(rows) == ["Druten", "Nijmegen", "Wijchen"]
    placed = matched(p)
    persons = {"H-1": 3, "H-2": 1, "H-3": 2}
    in_wijchen = sum(persons[h] for h, u in placed if u in ("U-1", "U-2"))
    assert rows["Wijchen"]["persons_housed"] == in_wijchen
    assert rows["Nijmegen"]["persons_placed_elsewhere"] == sum(persons[h] for h, u in placed if h == "H-1" and u != "U-3")
    assert rows["Nijmegen"]["persons_counted"] == sum(persons[h] for h, _ in placed if h == "H-1")
    assert rows["Wijchen"]["homes_offered"] == 2 and rows["Nijmegen"]["homes_offered"] == 1
    assert rows["Druten"]["homes_offered"] == 0 and rows["Druten"]["taakstelling"] == 2
    assert rows["Nijmegen"]["explanation"].startswith("Nijmegen biedt 1 woning aan")
    assert "tellen voor de gemeente van het huishouden" in rows["Nijmegen"]["explanation"]


def test_balance_counts_for_the_homes_municipality() -> None:
    """counts_for home: every placed person counts for the municipality of the home."""
    hh, un = _three_way()
    p = propose(instance(hh, un, regional=True, regional_agreement={**AGREEMENT, "counts_for": "home"}))
    rows = {row["municipality"]: row for row in p["regional_balance"]["municipalities"]}
    for row in rows.values():
        assert row["persons_counted"] == row["persons_housed"]
    assert rows["Wijchen"]["persons_counted"] > 0
    assert "tellen voor de gemeente van de woning" in rows["Wijchen"]["explanation"]


def test_same_balance_in_any_row_order() -> None:
    """Shuffled households and units give the same matches and balance."""
    hh, un = _three_way()
    first = propose(instance(hh, un, regional=True, regional_agreement=AGREEMENT))
    rng = random.Random(4)
    rng.shuffle(hh)
    rng.shuffle(un)
    second = propose(instance(hh, un, regional=True, regional_agreement=AGREEMENT))
    assert first["regional_balance"] == second["regional_balance"] and first["matches"] == second["matches"]


def test_regional_run_without_agreement_has_no_balance() -> None:
    """A regional run that names no agreement keeps its old proposal: no regional_balance."""
    hh, un = _three_way()
    assert "regional_balance" not in propose(instance(hh, un, regional=True))


def test_validator_reports_a_wrong_balance_and_a_pair_outside_the_agreement() -> None:
    """A tampered balance number and a Nijmegen household placed in Druten are both reported."""
    hh, un = _three_way()
    inst = instance(hh, un, regional=True, regional_agreement=AGREEMENT)
    document = copy.deepcopy(propose(inst))
    document["regional_balance"]["municipalities"][0]["persons_counted"] += 1
    assert any(p.startswith("regional_balance: Druten persons_counted") for p in check_proposal(inst, document))
    outside = instance([household()], [_druten("U-1")], regional=True, regional_agreement=AGREEMENT)
    free = propose(instance([household()], [_druten("U-1")], regional=True))
    free["regional_balance"] = {"counts_for": "household", "municipalities": []}
    assert any("E3" in p for p in check_proposal(outside, free))


def test_reference_keeps_the_agreement() -> None:
    """Brute force reads E3 from the agreement: its optimum equals the engine's, below the free one."""
    hh = [household("H-1", municipality="Wijchen"), household("H-2")]
    un = [unit("U-1"), unit("U-2")]
    bound = instance(hh, un, regional=True, regional_agreement=AGREEMENT)
    tiers = [t["value"] for t in propose(bound)["solver"]["tiers"]]
    assert brute_force_tiers(bound) == tiers
    assert brute_force_tiers(instance(hh, un, regional=True))[0] > tiers[0]


@pytest.mark.parametrize(
    ("agreement", "regional", "column", "message"),
    [
        (AGREEMENT, False, "regional_agreement", 'needs "regional": true'),
        ({**AGREEMENT, "counts_for": "woning"}, True, "regional_agreement.counts_for", "expected one of household, home"),
        ({**AGREEMENT, "may_place": {"Nijmegen": "Wijchen"}}, True, "regional_agreement.may_place.Nijmegen", "expected a list"),
        ({**AGREEMENT, "may_place": {"Nijmegen": [""]}}, True, "regional_agreement.may_place.Nijmegen", "item 1"),
        ({**AGREEMENT, "may_place": {}}, True, "regional_agreement.may_place", "expected an object"),
        ({**AGREEMENT, "taakstelling": {"Wijchen": -3}}, True, "regional_agreement.taakstelling.Wijchen", 'got "-3"'),
        ({**AGREEMENT, "whose": "home"}, True, "regional_agreement.whose", "unknown field"),
        ([], True, "regional_agreement", "expected an object"),
    ],
)
def test_bad_agreement_names_its_field(agreement: Any, regional: bool, column: str, message: str) -> None:
    """Every mistake in the agreement is an input error naming its field, never a proposal."""
    with pytest.raises(InputError) as info:
        instance([household()], [unit()], regional=regional, regional_agreement=agreement)
    text = str(info.value)
    assert f"column {column}:" in text and message in text, text
