"""The validator: every check passes a correct proposal and reports a proposal that breaks its rule.

Each test takes a correct proposal (the example week or a tiny instance built inline),
breaks one rule or property, and asserts that the check named after it reports exactly
the expected problem. Where the mutation breaks nothing else, it also asserts that no
other check reports anything; where it cannot help breaking more (a second match also
changes tier values and KPIs), only the named check's report is pinned.
"""

from __future__ import annotations

import ast
import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import household, instance, propose, unit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.input.instance import Instance, load_instance
from matcher.validate import CHECKS, RULES, check_proposal, failing_rules, problems_by_check

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "nijmegen-week"
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Proposal = dict[str, Any]


@functools.cache
def _solved(strategy: str) -> tuple[Instance, str]:
    inst = load_instance(EXAMPLE / "households.csv", EXAMPLE / "units.csv", EXAMPLE / "policy.json")
    return inst, json.dumps(propose(inst, strategy))


def week(strategy: str = "optimise") -> tuple[Instance, Proposal]:
    """The example week and a fresh copy of its (valid) proposal."""
    inst, text = _solved(strategy)
    return inst, json.loads(text)


def only(inst: Instance, proposal: Proposal, check_id: str, *problems: str) -> None:
    """The check reports exactly these problems, and no other check reports anything."""
    assert problems_by_check(inst, proposal) == {check_id: list(problems)}


def only_one(inst: Instance, proposal: Proposal, check_id: str, start: str) -> None:
    """The check reports one problem, starting with these words, and no other check reports anything."""
    found = problems_by_check(inst, proposal)
    assert list(found) == [check_id] and len(found[check_id]) == 1, found
    assert found[check_id][0].startswith(start), found


def reports(inst: Instance, proposal: Proposal, check_id: str, *problems: str) -> None:
    """The check reports exactly these problems (others may report what the same mutation also breaks)."""
    assert problems_by_check(inst, proposal).get(check_id) == list(problems)


def match_of(proposal: Proposal, hid: str) -> dict[str, Any]:
    return next(m for m in proposal["matches"] if m["household_id"] == hid)


def unmatched_of(proposal: Proposal, hid: str) -> dict[str, Any]:
    return next(x for x in proposal["unmatched_households"] if x["household_id"] == hid)


def unused_of(proposal: Proposal, uid: str) -> dict[str, Any]:
    return next(x for x in proposal["unused_units"] if x["unit_id"] == uid)


def place(proposal: Proposal, hid: str, uid: str) -> Proposal:
    """A copy with one more match (hid, uid): the household leaves the unmatched, the unit the unused, order kept."""
    changed = copy.deepcopy(proposal)
    template = changed["matches"][0] if changed["matches"] else {"persons": 1, "terms": {}, "explanation": "x"}
    changed["matches"].append({**copy.deepcopy(template), "household_id": hid, "unit_id": uid})
    changed["matches"].sort(key=lambda m: m["household_id"])
    changed["unmatched_households"] = [x for x in changed["unmatched_households"] if x["household_id"] != hid]
    changed["unused_units"] = [x for x in changed["unused_units"] if x["unit_id"] != uid]
    return changed


def row(inst: Instance, table: str, key: str) -> dict[str, Any]:
    frame = inst.households if table == "households" else inst.units
    id_field = "household_id" if table == "households" else "unit_id"
    return next(r for r in frame.to_dict(orient="records") if r[id_field] == key)


# The registry itself.


def test_registries_are_ordered_named_and_documented() -> None:
    """RULES holds E1-E8, this project's B1 and B2, then E9; CHECKS has unique ids with A1-A5 in order;
    every function says what it checks."""
    assert [rule_id for rule_id, _ in RULES] == [*(f"E{i}" for i in range(1, 9)), "B1", "B2", "E9"]
    ids = [check_id for check_id, _ in CHECKS]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if i in ("A1", "A2", "A3", "A4", "A5")] == ["A1", "A2", "A3", "A4", "A5"]
    for rule_id, function in (*RULES, *CHECKS):
        assert function.__doc__, rule_id
    for rule_id, function in RULES:
        assert function.__doc__.startswith(f"{rule_id}:")
    for check_id, function in CHECKS:
        if check_id.startswith("A"):
            assert function.__doc__.startswith(f"{check_id}:")


def test_check_proposal_runs_every_check_in_registry_order() -> None:
    """check_proposal returns the problems of all checks, in the registry's order."""
    inst, p = week()
    p["matches"].reverse()
    p["input_sha256"] = "0" * 64
    p["kpis"]["placed_households"] += 1
    found = problems_by_check(inst, p)
    assert list(found) == [i for i, _ in CHECKS if i in found] == ["sort_orders", "kpis", "input_sha256"]
    assert check_proposal(inst, p) == [problem for problems in found.values() for problem in problems]


def test_validator_shares_no_code_with_the_engine() -> None:
    """validate.py imports from matcher only the input layer, never the rules, the model or the explanations."""
    tree = ast.parse((ROOT / "matcher" / "validate.py").read_text(encoding="utf-8"))
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    modules |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    engine = sorted(m for m in modules if m.startswith("matcher") and not m.startswith("matcher.input"))
    assert engine == []


@pytest.mark.parametrize("strategy", ["optimise", "fifo"])
def test_correct_week_passes_every_check(strategy: str) -> None:
    """The example week's proposal, optimised or FIFO, passes every check."""
    inst, p = week(strategy)
    assert problems_by_check(inst, p) == {}


# E1-E9: a match must be an eligible pair.

# rule -> (household fields, fields of U-1 that the household may have, fields of U-2 breaking only that rule, policy)
BREAKS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "E1": ({"documents_complete": False}, {}, {}, {}),
    "E2": ({}, {}, {"available_from": "2025-04-01"}, {}),
    "E3": ({}, {}, {"municipality": "Wijchen", "neighbourhood": "Wijchen-Centrum"}, {}),
    "E4": ({}, {}, {"min_occupants": 2, "max_occupants": 4}, {}),
    "E5": ({"expected_reunification": 2}, {"unit_type": "flex"}, {}, {}),
    "E6": ({}, {}, {"shared": True, "beds": 2, "gender": "F"}, {}),
    "E7": ({"vulnerabilities": ["wheelchair"]}, {"wheelchair": True}, {}, {}),
    "E8": ({}, {}, {"rent": "700.00"}, {}),
    "E9": ({}, {}, {}, {"excluded_pairs": [["H-1", "U-2"]]}),
}


def _breaking(rule: str) -> Instance:
    h, u1, u2, policy = BREAKS[rule]
    return instance([household("H-1", **h)], [unit("U-1", **u1), unit("U-2", **u2)], **policy)


def test_the_plain_pair_keeps_every_rule() -> None:
    """Unpenalised: the helpers' default household and unit keep E1-E9."""
    inst = instance([household("H-1")], [unit("U-1")])
    assert failing_rules(row(inst, "households", "H-1"), row(inst, "units", "U-1"), inst) == []


@pytest.mark.parametrize("rule", list(BREAKS))
def test_each_rule_predicate_names_only_its_rule(rule: str) -> None:
    """Penalised: a pair that breaks one rule fails exactly that rule's predicate."""
    inst = _breaking(rule)
    assert failing_rules(row(inst, "households", "H-1"), row(inst, "units", "U-2"), inst) == [rule]


@pytest.mark.parametrize("rule", list(BREAKS))
def test_a_match_breaking_one_rule_is_reported_with_that_rule(rule: str) -> None:
    """Moving the household to the unit it may not have is reported by E1-E9, naming that rule."""
    inst = _breaking(rule)
    p = propose(inst)
    moved = place({**p, "matches": [m for m in p["matches"] if m["household_id"] != "H-1"]}, "H-1", "U-2")
    reports(inst, moved, "E1-E9", f"match H-1-U-2 breaks {rule}")


@SETTINGS
@given(st.data())
def test_any_match_moved_to_a_unit_it_may_not_have_is_reported(data: st.DataObject) -> None:
    """In the example week, any match moved to any unit its household may not have is reported with the rules it breaks."""
    inst, p = week()
    k = data.draw(st.integers(0, len(p["matches"]) - 1))
    m = p["matches"][k]
    h = row(inst, "households", m["household_id"])
    barred = [u for u in inst.units.to_dict(orient="records") if failing_rules(h, u, inst)]
    u = data.draw(st.sampled_from(barred))
    m["unit_id"] = u["unit_id"]
    reports(inst, p, "E1-E9", f"match {m['household_id']}-{u['unit_id']} breaks {', '.join(failing_rules(h, u, inst))}")


# A1-A5.


def test_a1_household_in_two_matches() -> None:
    """A1: a household given a second unit is reported (and it is then listed twice)."""
    inst = instance([household("H-1")], [unit("U-1"), unit("U-2")])
    p = propose(inst)
    other = "U-2" if match_of(p, "H-1")["unit_id"] == "U-1" else "U-1"
    doubled = copy.deepcopy(p)
    doubled["matches"].append({**match_of(p, "H-1"), "unit_id": other})
    doubled["unused_units"] = []
    reports(inst, doubled, "A1", "A1: a household appears in more than one match")
    reports(inst, doubled, "households_listed", "households in matches + unmatched_households differ from the input")


def test_a2_non_shared_unit_with_two_households() -> None:
    """A2: a second household in a non-shared unit is reported."""
    inst = instance([household("H-1"), household("H-2")], [unit("U-1")])
    p = propose(inst)
    waiting = p["unmatched_households"][0]["household_id"]
    reports(inst, place(p, waiting, "U-1"), "A2", "A2: non-shared unit U-1 holds 2 households")


def test_a3_shared_unit_over_its_beds() -> None:
    """A3: a third single in a shared unit of two beds is reported."""
    inst = instance([household(f"H-{i}") for i in (1, 2, 3)], [unit("U-1", shared=True, beds=2)])
    p = propose(inst)
    waiting = p["unmatched_households"][0]["household_id"]
    reports(inst, place(p, waiting, "U-1"), "A3", "A3: shared unit U-1 holds 3 persons in 2 beds")


def test_a4_neighbourhood_over_its_cap() -> None:
    """A4: a second household in a wijk capped at one is reported."""
    inst = instance([household("H-1"), household("H-2")], [unit("U-1"), unit("U-2")], neighbourhood_caps={"Hatert": 1})
    p = propose(inst)
    waiting = p["unmatched_households"][0]["household_id"]
    free = p["unused_units"][0]["unit_id"]
    reports(inst, place(p, waiting, free), "A4", "A4: neighbourhood Hatert has 2 households, cap 1")


def test_a5_fixed_pair_dropped() -> None:
    """A5: a proposal without a fixed pair is reported."""
    inst = instance([household("H-1"), household("H-2")], [unit("U-1")], fixed_pairs=[["H-2", "U-1"]])
    p = propose(inst)
    assert match_of(p, "H-2")["unit_id"] == "U-1"
    dropped = copy.deepcopy(p)
    dropped["matches"] = []
    dropped["unmatched_households"].append({"household_id": "H-2", "reason": "outranked", "explanation": "x"})
    dropped["unmatched_households"].sort(key=lambda x: x["household_id"])
    dropped["unused_units"] = [{"unit_id": "U-1", "reason": "outranked", "explanation": "x"}]
    reports(inst, dropped, "A5", "A5: fixed pair H-2-U-1 missing")


def test_a1_to_a5_pass_when_kept() -> None:
    """Unpenalised: shared units filled to their beds, capped wijken at their cap and fixed pairs kept pass."""
    hh = [household(f"H-{i}") for i in range(1, 6)]
    un = [unit("U-1", shared=True, beds=2), unit("U-2"), unit("U-3"), unit("U-4", neighbourhood="Lent")]
    inst = instance(hh, un, neighbourhood_caps={"Hatert": 2}, fixed_pairs=[["H-5", "U-4"]])
    p = propose(inst)
    assert problems_by_check(inst, p) == {}
    assert len(p["matches"]) == 3


# Who is listed where.


def test_household_missing_from_the_lists() -> None:
    """An unmatched household left out of the proposal is reported."""
    inst, p = week()
    p["unmatched_households"].pop(0)
    only(inst, p, "households_listed", "households in matches + unmatched_households differ from the input")


def test_shared_unit_with_a_household_listed_as_unused() -> None:
    """A shared unit that received a household but is also listed in unused_units is reported."""
    inst = instance([household("H-1")], [unit("U-1", shared=True, beds=3)])
    p = propose(inst)
    p["unused_units"] = [{"unit_id": "U-1", "reason": "outranked", "explanation": "x"}]
    only(inst, p, "used_units_not_unused", "a unit with a match also appears in unused_units")


@pytest.mark.parametrize("change", ["drop", "duplicate"])
def test_unit_missing_or_twice_in_the_lists(change: str) -> None:
    """An unused unit left out, or listed twice, is reported."""
    inst, p = week()
    if change == "drop":
        p["unused_units"].pop(0)
    else:
        p["unused_units"].insert(0, copy.deepcopy(p["unused_units"][0]))
    only(inst, p, "units_listed", "units in matches + unused_units differ from the input")


@SETTINGS
@given(st.data())
def test_any_unsorted_list_is_reported(data: st.DataObject) -> None:
    """Any order of matches, unmatched households or unused units other than by id is reported, and only that."""
    inst, p = week()
    key = data.draw(st.sampled_from(["matches", "unmatched_households", "unused_units"]))
    id_field = "unit_id" if key == "unused_units" else "household_id"
    order = data.draw(st.permutations(range(len(p[key]))))
    p[key] = [p[key][i] for i in order]
    if list(order) == sorted(order):
        assert problems_by_check(inst, p) == {}
    else:
        only(inst, p, "sort_orders", f"{key} is not sorted by {id_field}")


def test_match_with_an_unknown_id() -> None:
    """A match naming a unit that is not in the input is reported (and the unit list no longer adds up)."""
    inst, p = week()
    m = p["matches"][0]
    m["unit_id"] = "U-9999"
    reports(inst, p, "known_ids", f"match {m['household_id']}-U-9999: unknown id")
    reports(inst, p, "units_listed", "units in matches + unused_units differ from the input")


# Every match on its own.


@pytest.mark.parametrize("change", ["wrong", "missing", "extra"])
def test_terms_wrong_missing_or_extra(change: str) -> None:
    """A term with the wrong value, a term of the objective left out, or a term it does not name is reported."""
    inst, p = week()
    m = p["matches"][0]
    wanted = dict(m["terms"])
    if change == "wrong":
        m["terms"]["waiting_days"] += 1
    elif change == "missing":
        del m["terms"]["preferred"]
    else:
        m["terms"]["placed_households"] = 1
    only(inst, p, "terms", f"match {m['household_id']}-{m['unit_id']}: terms {m['terms']} != {wanted}")


def test_persons_wrong() -> None:
    """A match whose persons differ from the household's persons now is reported."""
    inst, p = week()
    m = p["matches"][0]
    m["persons"] += 1
    only(inst, p, "persons", f"match {m['household_id']}-{m['unit_id']}: persons {m['persons']} != {m['persons'] - 1}")


def test_match_without_explanation() -> None:
    """A match without an explanation is reported."""
    inst, p = week()
    m = p["matches"][0]
    m["explanation"] = ""
    only(inst, p, "match_explanations", f"match {m['household_id']}-{m['unit_id']}: no explanation")


def test_match_in_another_neighbourhood() -> None:
    """A match whose neighbourhood is not its unit's is reported."""
    inst, p = week()
    m = next(m for m in p["matches"] if m["neighbourhood"] != "Lent")
    right, m["neighbourhood"] = m["neighbourhood"], "Lent"
    only(inst, p, "match_extras", f"match {m['household_id']}-{m['unit_id']}: neighbourhood Lent != {right}")


def test_match_fixed_flag() -> None:
    """A pair the WBB did not fix marked as fixed, or a fixed pair not marked, is reported; the right flags pass."""
    inst = instance([household("H-1"), household("H-2")], [unit("U-1"), unit("U-2")], fixed_pairs=[["H-2", "U-1"]])
    p = propose(inst)
    assert [m["fixed"] for m in p["matches"]] == [False, True]
    for m in p["matches"]:
        m["fixed"] = not m["fixed"]
    other = match_of(p, "H-1")["unit_id"]
    only(inst, p, "match_extras", f"match H-1-{other}: fixed True != False", "match H-2-U-1: fixed False != True")


# Why this one.


def _with_alternative(p: Proposal, key: str) -> dict[str, Any]:
    return next(m for m in p["matches"] if m["alternatives"][key] is not None)


@pytest.mark.parametrize(
    ("key", "check_id"), [("next_best_unit", "next_best_unit"), ("next_best_household", "next_best_household")]
)
def test_alternative_difference_wrong(key: str, check_id: str) -> None:
    """A tier difference that is not this pair minus the alternative is reported."""
    inst, p = week()
    m = _with_alternative(p, key)
    m["alternatives"][key]["tier_difference"][1] += 1
    label = f"match {m['household_id']}-{m['unit_id']} {key}"
    given_difference = m["alternatives"][key]["tier_difference"]
    only(inst, p, check_id, f"{label}: tier_difference {given_difference} is not chosen minus alternative")


@pytest.mark.parametrize(
    ("key", "check_id"), [("next_best_unit", "next_best_unit"), ("next_best_household", "next_best_household")]
)
def test_alternative_left_out(key: str, check_id: str) -> None:
    """An alternative left out where one exists is reported."""
    inst, p = week()
    m = _with_alternative(p, key)
    m["alternatives"][key] = None
    only(inst, p, check_id, f"match {m['household_id']}-{m['unit_id']} {key}: missing")


def test_next_best_unit_taken_by_others() -> None:
    """A next-best unit said to have gone to other households than those placed in it is reported."""
    inst, p = week()
    m = next(m for m in p["matches"] if m["alternatives"]["next_best_unit"] and m["alternatives"]["next_best_unit"]["taken_by"])
    right = m["alternatives"]["next_best_unit"]["taken_by"]
    m["alternatives"]["next_best_unit"]["taken_by"] = right[:-1]
    label = f"match {m['household_id']}-{m['unit_id']} next_best_unit"
    only(inst, p, "next_best_unit", f"{label}: taken_by {right[:-1]} != households placed there {right}")


def test_next_best_household_placed_elsewhere() -> None:
    """A next-best household said to be placed in another unit than its match is reported."""
    inst, p = week()
    m = next(m for m in p["matches"] if m["alternatives"]["next_best_household"])
    given = m["alternatives"]["next_best_household"]
    right, given["placed_in"] = given["placed_in"], "U-9999"
    label = f"match {m['household_id']}-{m['unit_id']} next_best_household"
    only(inst, p, "next_best_household", f"{label}: placed_in U-9999 != its match {right}")


def test_next_best_unit_not_the_best() -> None:
    """Naming an eligible unit that is worse for the household than the best other is reported, and so are
    the tier difference and the households placed there, which then no longer fit (U-3 is too large for a
    single: underoccupancy)."""
    inst = instance(
        [household("H-1"), household("H-2", adults=2)],
        [unit("U-1", max_occupants=1), unit("U-2", max_occupants=1, neighbourhood="Lent"), unit("U-3", max_occupants=4)],
    )
    p = propose(inst)
    m = match_of(p, "H-1")
    assert m["alternatives"]["next_best_unit"]["unit_id"] in ("U-1", "U-2")
    m["alternatives"]["next_best_unit"]["unit_id"] = "U-3"
    label = f"match H-1-{m['unit_id']} next_best_unit"
    only(
        inst,
        p,
        "next_best_unit",
        f"{label}: U-3 has [10, 61, -4], the best other has [10, 61, 5]",
        f"{label}: tier_difference [0, 0, 0] is not chosen minus alternative",
        f"{label}: taken_by [] != households placed there ['H-2']",
    )


# The mismatch report.


def test_mismatch_count_wrong() -> None:
    """A group's placed count that does not match the proposal is reported."""
    inst, p = week()
    row_ = p["mismatch"][0]
    row_["placed"] += 1
    only_one(inst, p, "mismatch", f"mismatch row {row_['persons']}/{row_['future_size']}/{row_['needs']}: ")


def test_mismatch_unplaced_wrong() -> None:
    """A group's unplaced count that is not its households minus those placed is reported."""
    inst, p = week()
    row_ = p["mismatch"][0]
    row_["unplaced"] += 1
    label = f"{row_['persons']}/{row_['future_size']}/{row_['needs']}"
    only(inst, p, "mismatch", f"mismatch row {label}: unplaced {row_['unplaced']} != {row_['unplaced'] - 1}")


@pytest.mark.parametrize("change", ["drop", "duplicate"])
def test_mismatch_group_missing_or_twice(change: str) -> None:
    """A group of households left out of the mismatch report, or listed twice, is reported."""
    inst, p = week()
    row_ = p["mismatch"][0]
    label = f"{row_['persons']}/{row_['future_size']}/{row_['needs']}"
    if change == "drop":
        p["mismatch"].pop(0)
        only(inst, p, "mismatch", f"mismatch report misses the group {label}")
    else:
        p["mismatch"].append(copy.deepcopy(row_))
        only(inst, p, "mismatch", f"mismatch report lists the group {label} 2 times")


# Why not: unmatched households.


def test_household_reason_wrong() -> None:
    """An outranked household reported as having no eligible unit is reported."""
    inst, p = week()
    item = next(x for x in p["unmatched_households"] if x["reason"] == "outranked")
    item["reason"] = "no_eligible_unit"
    only(inst, p, "household_reasons", f"household {item['household_id']}: reason no_eligible_unit != outranked")


def test_household_reason_unknown() -> None:
    """A reason outside the spec's list is reported as unknown and as not the one that applies."""
    inst, p = week()
    item = next(x for x in p["unmatched_households"] if x["reason"] == "outranked")
    item["reason"] = "too_late"
    hid = item["household_id"]
    only(
        inst,
        p,
        "household_reasons",
        f"household {hid}: unknown reason too_late",
        f"household {hid}: reason too_late != outranked",
    )


def test_household_reason_neighbourhood_cap() -> None:
    """A household whose eligible units all lie in a capped wijk that is full gets neighbourhood_cap, not outranked."""
    inst = instance([household("H-1"), household("H-2")], [unit("U-1"), unit("U-2")], neighbourhood_caps={"Hatert": 1})
    p = propose(inst)
    item = p["unmatched_households"][0]
    assert item["reason"] == "neighbourhood_cap"
    item["reason"] = "outranked"
    only(inst, p, "household_reasons", f"household {item['household_id']}: reason outranked != neighbourhood_cap")


def _outranked_with_units_taken(p: Proposal, least: int) -> dict[str, Any]:
    return next(x for x in p["unmatched_households"] if len(x.get("details", {}).get("units_taken", [])) >= least)


def test_units_taken_out_of_order() -> None:
    """Units taken that are not the household's best held units, best first, are reported."""
    inst, p = week()
    item = _outranked_with_units_taken(p, 2)
    expected = [t["unit_id"] for t in item["details"]["units_taken"]]
    item["details"]["units_taken"].reverse()
    listed = expected[::-1]
    only(inst, p, "units_taken", f"household {item['household_id']}: units_taken {listed} are not its best held units {expected}")


def test_units_taken_by_others_than_named() -> None:
    """A unit taken that names households other than those placed in it is reported."""
    inst, p = week()
    item = _outranked_with_units_taken(p, 1)
    taken = item["details"]["units_taken"][0]
    taken["taken_by"] = ["H-9999"]
    only(inst, p, "units_taken", f"household {item['household_id']}: units_taken {taken} is not an eligible unit held by those")


def test_units_taken_too_few() -> None:
    """Listing fewer than three units taken while more are held is reported."""
    inst, p = week()
    item = _outranked_with_units_taken(p, 3)
    listed = [t["unit_id"] for t in item["details"]["units_taken"]][:2]
    item["details"]["units_taken"] = item["details"]["units_taken"][:2]
    only(inst, p, "units_taken", f"household {item['household_id']}: units_taken {listed} are not its best held units {listed}")


def test_household_excluded_by_wrong() -> None:
    """A household without an eligible unit whose excluded_by counts are off is reported."""
    inst, p = week()
    item = next(x for x in p["unmatched_households"] if "excluded_by" in x.get("details", {}))
    counts = dict(item["details"]["excluded_by"])
    item["details"]["excluded_by"] = {**counts, "E9": counts.get("E9", 0) + 1}
    given_counts = item["details"]["excluded_by"]
    only_one(inst, p, "household_exclusions", f"household {item['household_id']}: excluded_by {given_counts} != ")


def test_household_without_explanation() -> None:
    """An unmatched household without an explanation is reported."""
    inst, p = week()
    item = p["unmatched_households"][0]
    item["explanation"] = ""
    only(inst, p, "household_explanations", f"household {item['household_id']}: no explanation")


# Why not: unused units.


def test_unit_reason_wrong() -> None:
    """A unit not available yet reported as outranked is reported."""
    inst, p = week()
    item = next(x for x in p["unused_units"] if x["reason"] == "not_available_yet")
    item["reason"] = "outranked"
    only(inst, p, "unit_reasons", f"unit {item['unit_id']}: reason outranked != not_available_yet")


def test_unit_reason_unknown() -> None:
    """A unit reason outside the spec's list is reported as unknown and as not the one that applies."""
    inst, p = week()
    item = next(x for x in p["unused_units"] if x["reason"] == "no_eligible_household")
    item["reason"] = "too_expensive"
    uid = item["unit_id"]
    only(
        inst,
        p,
        "unit_reasons",
        f"unit {uid}: unknown reason too_expensive",
        f"unit {uid}: reason too_expensive != no_eligible_household",
    )


def test_unit_excluded_by_wrong() -> None:
    """A unit without an eligible household whose excluded_by counts are off is reported."""
    inst, p = week()
    item = next(x for x in p["unused_units"] if "excluded_by" in x.get("details", {}))
    counts = dict(item["details"]["excluded_by"])
    item["details"]["excluded_by"] = {**counts, "E1": counts.get("E1", 0) + 1}
    given_counts = item["details"]["excluded_by"]
    only_one(inst, p, "unit_exclusions", f"unit {item['unit_id']}: excluded_by {given_counts} != ")


def test_unit_without_explanation() -> None:
    """An unused unit without an explanation is reported."""
    inst, p = week()
    item = p["unused_units"][0]
    del item["explanation"]
    only(inst, p, "unit_explanations", f"unit {item['unit_id']}: no explanation")


# The solver's report, the KPIs and the trace to the input.


@SETTINGS
@given(tier=st.integers(0, 2), delta=st.integers(-1000, 1000).filter(bool))
def test_any_wrong_tier_value_is_reported(tier: int, delta: int) -> None:
    """Any tier value other than the recomputed one is reported, and only that (FIFO: no bounds to keep above it)."""
    inst, p = week("fifo")
    right = [t["value"] for t in p["solver"]["tiers"]]
    p["solver"]["tiers"][tier]["value"] += delta
    wrong = [t["value"] for t in p["solver"]["tiers"]]
    only(inst, p, "tier_values", f"tier values {wrong} != recomputed {right}")


def test_tier_bound_below_value() -> None:
    """A tier bound below the tier's value is reported (FIFO, whose status does not claim optimality)."""
    inst, p = week("fifo")
    p["solver"]["tiers"][1]["bound"] = p["solver"]["tiers"][1]["value"] - 1
    value = p["solver"]["tiers"][1]["value"]
    only(inst, p, "tier_bounds", f"tier bound {value - 1} below its value {value}")


def test_optimal_status_without_proof() -> None:
    """A proposal called optimal whose bound exceeds its value, or that has no bound, is reported."""
    inst, p = week()
    tier = p["solver"]["tiers"][1]
    tier["bound"] += 1
    only(inst, p, "status", f"status optimal but tier 2 has bound {tier['bound']} for value {tier['value']}")
    inst, p = week("fifo")
    p["status"] = "optimal"
    values = [t["value"] for t in p["solver"]["tiers"]]
    only(inst, p, "status", *(f"status optimal but tier {i + 1} has bound None for value {v}" for i, v in enumerate(values)))


def test_status_unknown() -> None:
    """A status other than optimal or feasible is reported."""
    inst, p = week()
    p["status"] = "solved"
    only(inst, p, "status", "status solved is neither optimal nor feasible")


@pytest.mark.parametrize("key", ["placed_households", "placed_persons", "overdue_placed", "temporary_placements"])
def test_kpi_wrong(key: str) -> None:
    """Each count among the KPIs that differs from the matches is reported."""
    inst, p = week()
    right = p["kpis"][key]
    p["kpis"][key] += 1
    only(inst, p, "kpis", f"kpis.{key} {right + 1} != {right}")


def test_by_neighbourhood_wrong() -> None:
    """A wijk's count in kpis.by_neighbourhood that differs from the matches is reported."""
    inst, p = week()
    p["kpis"]["by_neighbourhood"]["Lankforst"] += 1
    right = p["kpis"]["by_neighbourhood"]["Lankforst"] - 1
    only(inst, p, "by_neighbourhood", f"kpis.by_neighbourhood[Lankforst] {right + 1} != {right}")


def test_by_neighbourhood_missing_or_extra() -> None:
    """A wijk with a unit left out of kpis.by_neighbourhood (even with zero placed), or a wijk without units, is reported."""
    inst, p = week()
    counts = p["kpis"]["by_neighbourhood"]
    empty = next(name for name, n in counts.items() if n == 0)
    del counts[empty]
    only(inst, p, "by_neighbourhood", f"kpis.by_neighbourhood misses {empty}")
    counts[empty] = 0
    counts["Atlantis"] = 0
    only(inst, p, "by_neighbourhood", "kpis.by_neighbourhood lists Atlantis, where no unit is")


def test_previous_pairs_kept_wrong() -> None:
    """A count of previous pairs kept that differs from the matches is reported; the right count passes."""
    inst = instance([household("H-1")], [unit("U-1"), unit("U-2")], previous_pairs=[["H-1", "U-2"]])
    p = propose(inst)
    assert p["solver"]["previous_pairs_kept"] == 1
    p["solver"]["previous_pairs_kept"] = 0
    only(inst, p, "previous_pairs_kept", "solver.previous_pairs_kept 0 != pairs kept 1")


def test_input_hash_of_another_input() -> None:
    """A proposal traced to other inputs is reported."""
    inst, p = week()
    p["input_sha256"] = "0" * 64
    only(inst, p, "input_sha256", "input_sha256 differs from the instance")


def test_format_of_another_version() -> None:
    """A document that is not proposal/v1 is reported."""
    inst, p = week()
    p["format"] = "proposal/v2"
    only(inst, p, "format", "format proposal/v2 is not proposal/v1")


def test_planning_date_of_another_week() -> None:
    """A proposal dated other than the policy's planning date is reported."""
    inst, p = week()
    p["planning_date"] = "2025-03-10"
    only(inst, p, "planning_date", "planning_date 2025-03-10 != the policy's 2025-03-03")


def test_move_on_from_is_checked_both_ways() -> None:
    """A move-on household's match without move_on_from, or a wrong kpis.move_on_placed, is reported by move_on."""
    inst = instance([household("H-1", current_unit_id="U-12"), household("H-2")], [unit("U-1"), unit("U-2")])
    proposal = propose(inst)
    assert problems_by_check(inst, proposal) == {}
    dropped = copy.deepcopy(proposal)
    del match_of(dropped, "H-1")["move_on_from"]
    dropped["kpis"]["move_on_placed"] = 0
    only(inst, dropped, "move_on", "match H-1-U-1: move_on_from None != U-12", "kpis.move_on_placed 0 != 1")


def test_a_household_is_never_placed_in_the_place_it_lives_in() -> None:
    """v1.1: the pair (household, its current_unit_id) breaks E9 in the validator's own predicate."""
    inst = instance([household(current_unit_id="U-1")], [unit("U-1")])
    h, u = row(inst, "households", "H-1"), row(inst, "units", "U-1")
    assert failing_rules(h, u, inst) == ["E9"]


@pytest.mark.parametrize(("arrival", "broken"), [(None, ["E5"]), ("2025-06-01", ["E5"]), ("2026-06-01", [])])
def test_e5_counts_a_family_only_when_due(arrival: str | None, broken: list[str]) -> None:
    """v1.1: a family expected after the 52-week horizon does not count for E5; one with no date or within it does."""
    inst = instance([household(expected_reunification=3, expected_arrival_date=arrival)], [unit(max_occupants=2)])
    assert failing_rules(row(inst, "households", "H-1"), row(inst, "units", "U-1"), inst) == broken


def test_b1_in_the_validator() -> None:
    """B1: five persons break it in a two-bedroom home under a limit of 2 per bedroom, four do not."""
    inst = instance([household("H-1", adults=2, children=3), household("H-2", adults=2, children=2)],
                    [unit(bedrooms=2, max_occupants=6, rent="500")], max_persons_per_bedroom=2)  # fmt: skip
    u = row(inst, "units", "U-1")
    assert failing_rules(row(inst, "households", "H-1"), u, inst) == ["B1"]
    assert failing_rules(row(inst, "households", "H-2"), u, inst) == []
