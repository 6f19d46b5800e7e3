"""Reason sentences carry the right numbers, in Dutch by default and in English on request."""

import json

from helpers import household, instance, propose, unit

from matcher import solve
from matcher.explain.proposal import build_proposal


def _unmatched(p: dict, hid: str) -> dict:
    return next(x for x in p["unmatched_households"] if x["household_id"] == hid)


def test_no_eligible_unit_counts_rules() -> None:
    """A family of 6 among small and expensive units: the sentence says which rule excluded how many."""
    units = [unit("U-1"), unit("U-2"), unit("U-3", max_occupants=8, bedrooms=4, rent="900")]
    p = propose(instance([household(adults=2, children=4)], units))
    item = _unmatched(p, "H-1")
    assert item["details"]["excluded_by"] == {"E4": 2, "E8": 1}
    assert item["explanation"] == (
        "Geen passende woning voor 6 personen: van de 3 aangeboden woningen zijn er "
        "2 te klein voor 6 personen en 1 duurder dan EUR 731.93."
    )
    assert item["details"]["occupancy"] == {"too_small": 2, "too_large": 0}


def test_english_on_request() -> None:
    """The same explanation in English with lang=en."""
    inst = instance([household(documents_complete=False)], [unit()])
    result = solve(inst)
    prep, solution = result.prepared, result.solution
    p = json.loads(build_proposal(prep, solution, 0.0, lang="en").to_json())
    assert _unmatched(p, "H-1")["explanation"].startswith("BSN or IBAN is missing")


def test_outranked_names_number_of_units() -> None:
    """An outranked household hears how many suitable units there were."""
    p = propose(instance([household("H-1", koppeling_date="2025-02-01"), household("H-2")], [unit("U-1")]))
    assert "1 passende woning" in _unmatched(p, "H-1")["explanation"]


def test_match_sentence_mentions_overdue() -> None:
    """A match past the legal term says so."""
    p = propose(instance([household(koppeling_date="2024-06-01")], [unit()]))
    assert "over de 10-wekentermijn" in p["matches"][0]["explanation"]


def test_documents_incomplete_says_what_documents_would_open() -> None:
    """Without BSN/IBAN the household hears how many units would fit once the documents are there."""
    p = propose(instance([household(documents_complete=False)], [unit("U-1"), unit("U-2", rent="900")]))
    item = _unmatched(p, "H-1")
    assert item["details"]["eligible_with_documents"] == 1
    assert "Met complete gegevens zou 1 van de 2 aangeboden woningen passen." in item["explanation"]


def test_english_rule_words() -> None:
    """The English sentence uses the rule's own numbers too."""
    inst = instance([household(vulnerabilities="wheelchair")], [unit("U-1"), unit("U-2", step_free=True)])
    result = solve(inst)
    prep, solution = result.prepared, result.solution
    p = json.loads(build_proposal(prep, solution, 0.0, lang="en").to_json())
    assert _unmatched(p, "H-1")["explanation"] == (
        "No suitable unit for 1 person: of the 2 units offered, 2 not wheelchair accessible."
    )


def test_next_best_unit_and_household() -> None:
    """A household placed in a permanent home hears that the flex home was next, 10 worse in tier 3."""
    hh = [household("H-1", koppeling_date="2024-01-01"), household("H-2", koppeling_date="2025-02-01")]
    un = [unit("U-1"), unit("U-2", unit_type="flex")]
    p = propose(instance(hh, un))
    first = next(m for m in p["matches"] if m["household_id"] == "H-1")
    assert first["unit_id"] == "U-1"
    assert first["alternatives"]["next_best_unit"] == {"unit_id": "U-2", "tier_difference": [0, 0, 10], "taken_by": ["H-2"]}
    rival = first["alternatives"]["next_best_household"]
    assert rival["household_id"] == "H-2" and rival["placed_in"] == "U-2"
    assert rival["tier_difference"] == [5, 397, 0]  # overdue, and 427 against 30 days waiting


def test_mismatch_report_counts_groups() -> None:
    """Three singles and one family of four against two studios: the shortage is visible per group."""
    hh = [household(f"H-{i}") for i in range(3)] + [household("H-9", adults=2, children=2)]
    p = propose(instance(hh, [unit("U-1", max_occupants=1), unit("U-2", max_occupants=1)]))
    singles = next(r for r in p["mismatch"] if r["persons"] == 1)
    family = next(r for r in p["mismatch"] if r["persons"] == 4)
    assert (singles["households"], singles["eligible_units"], singles["placed"]) == (3, 2, 2)
    assert (family["households"], family["eligible_units"], family["placed"]) == (1, 0, 0)
    assert singles["explanation"] == "3 alleenstaanden in de pool; 2 passende woningen aangeboden, 2 geplaatst."


def test_outranked_names_who_got_the_units_and_the_cost_of_placing_it() -> None:
    """An outranked household hears which unit went to whom and what placing it instead would cost,
    in words: the waiting days of the tier that counts them, not a row of numbers per tier."""
    p = propose(instance([household("H-1", koppeling_date="2025-02-01"), household("H-2")], [unit("U-1")]))
    item = _unmatched(p, "H-1")
    assert item["details"]["units_taken"] == [{"unit_id": "U-1", "taken_by": ["H-2"]}]
    # H-2 waited 31 days longer: swapping costs those waiting days in tier 2 and nothing in tier 1.
    assert item["details"]["forced_tier_difference"] == [0, -31, 0]
    assert "U-1 naar H-2" in item["explanation"]
    assert "Dit huishouden toch plaatsen zou 31 wachtdagen minder opleveren." in item["explanation"]
    assert "0 / -31 / 0" not in item["explanation"]


def test_a_tier_difference_in_dutch_words() -> None:
    """A tier of one term is told in that term's units (the weight divided out), a tier of several
    terms in points naming its terms, the stability tier in pairs kept, and no difference as
    "even goed"; never as numbers per tier."""
    from matcher.explain.reasons import tier_difference_nl

    objective = [{"placed_persons": 10, "overdue": 5, "vulnerable": 3}, {"waiting_days": 1}, {"temporary": -10}]
    assert tier_difference_nl([0, -36, 0], objective) == "zou 36 wachtdagen minder opleveren"
    assert tier_difference_nl([0, 0, 0], objective) == "volgens het beleid even goed"
    assert tier_difference_nl([-10, 5, -20], objective) == (
        "zou 10 punten minder op prioriteit 1 (personen geplaatst, over de termijn, kwetsbaar), "
        "5 wachtdagen meer en 2 tijdelijke plaatsingen meer opleveren"
    )
    assert tier_difference_nl([0, 0, 0, -1], objective) == "zou 1 paar uit het vorige voorstel minder behouden opleveren"
    assert (
        tier_difference_nl([-20, 0], [{"placed_persons": 10}, {"waiting_days": 1}]) == "zou 2 personen minder geplaatst opleveren"
    )
