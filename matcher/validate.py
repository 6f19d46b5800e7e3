"""A solver-agnostic check of a proposal against its instance, written from the spec alone.

It shares no code with the vectorised rules or the solvers: every rule is re-implemented
here per pair in plain Python, so a test that runs it on every result catches a defect in
either. It is meant for tests and audits of small and medium instances, not for speed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from matcher.input.instance import Instance

Row = dict[Any, Any]  # one input record, as pandas gives it

REASONS_HOUSEHOLD = ("documents_incomplete", "no_eligible_unit", "neighbourhood_cap", "outranked")
REASONS_UNIT = ("not_available_yet", "no_eligible_household", "neighbourhood_cap", "outranked")


def _persons(h: Row) -> int:
    return int(h["adults"]) + int(h["children"])


def failing_rules(h: Row, u: Row, instance: Instance) -> list[str]:
    """Every rule E1-E9 that the pair (h, u) breaks, per the spec's text."""
    p = instance.policy
    persons = _persons(h)
    future = persons + int(h["expected_reunification"])
    vulns = set(h["vulnerabilities"])
    broken: list[str] = []
    if not h["documents_complete"]:
        broken.append("E1")
    if u["available_from"] > p.planning_date + dt.timedelta(days=p.horizon_days):
        broken.append("E2")
    if not p.regional and h["municipality"] != u["municipality"]:
        broken.append("E3")
    if not u["shared"] and not (u["min_occupants"] <= persons <= u["max_occupants"]):
        broken.append("E4")
    if (
        p.reunification_must_fit
        and int(h["expected_reunification"]) > 0
        and not u["temporary"]
        and (u["shared"] or future > u["max_occupants"])
    ):
        broken.append("E5")
    if u["shared"]:
        ok = persons <= p.shared_max_household_size and persons <= u["beds"]
        ok = ok and (u["gender"] in ("", None) or u["gender"] == h["gender"])
        ok = ok and ("lgbtiq" not in vulns or u["lgbtiq_safe"])
        ok = ok and ("psychosocial" not in vulns or u["support"])
        if not ok:
            broken.append("E6")
    if ("wheelchair" in vulns and not u["wheelchair"]) or ("mobility" in vulns and not (u["step_free"] or u["wheelchair"])):
        broken.append("E7")
    if p.rent_caps is not None:
        caps = p.rent_caps
        if persons == 1 and int(h["head_age"]) < caps.young_age:
            cap = caps.young
        elif persons <= 2:
            cap = caps.low
        else:
            cap = caps.high
        if Decimal(u["rent"]) > cap:
            broken.append("E8")
    if (h["household_id"], u["unit_id"]) in set(p.excluded_pairs):
        broken.append("E9")
    return broken


def pair_terms(h: Row, u: Row, instance: Instance) -> dict[str, int]:
    p = instance.policy
    persons = _persons(h)
    future = persons + int(h["expected_reunification"])
    waiting = max(0, (p.planning_date - h["koppeling_date"]).days)
    return {
        "placed_households": 1,
        "placed_persons": persons,
        "waiting_days": waiting,
        "overdue": int(waiting > 7 * p.deadline_weeks),
        "vulnerable": int(bool(h["vulnerabilities"])),
        "temporary": int(bool(u["temporary"])),
        "underoccupancy": 0 if u["shared"] else max(0, int(u["max_occupants"]) - future),
        "preferred": int(u["neighbourhood"] in set(h["preferred_neighbourhoods"])),
        "own_municipality": int(h["municipality"] == u["municipality"]),
    }


def tier_values(matches: list[tuple[str, str]], instance: Instance) -> list[int]:
    households = {r["household_id"]: r for r in instance.households.to_dict(orient="records")}
    units = {r["unit_id"]: r for r in instance.units.to_dict(orient="records")}
    values = []
    for tier in instance.policy.objective:
        total = 0
        for hid, uid in matches:
            terms = pair_terms(households[hid], units[uid], instance)
            total += sum(weight * terms[term] for term, weight in tier.items())
        values.append(total)
    return values


def _tier_vector(h: Row, u: Row, instance: Instance) -> list[int]:
    terms = pair_terms(h, u, instance)
    return [sum(w * terms[t] for t, w in tier.items()) for tier in instance.policy.objective]


def _check_alternative(
    match: dict[str, Any], key: str, id_field: str, table: dict[Any, Row], pool: list[Row], value: Any, mine: list[int]
) -> list[str]:
    given = match["alternatives"][key]
    label = f"match {match['household_id']}-{match['unit_id']} {key}"
    if not pool:
        return [] if given is None else [f"{label}: none exists, got {given}"]
    if given is None:
        return [f"{label}: missing"]
    best = max(value(row) for row in pool)
    chosen = value(table[given[id_field]])
    problems = []
    if chosen != best:
        problems.append(f"{label}: {given[id_field]} has {chosen}, the best other has {best}")
    elif given[id_field] != min(row[id_field] for row in pool if value(row) == best):
        problems.append(f"{label}: {given[id_field]} is not the smallest id among the best others")
    if given["tier_difference"] != [a - b for a, b in zip(mine, chosen, strict=True)]:
        problems.append(f"{label}: tier_difference {given['tier_difference']} is not chosen minus alternative")
    return problems


def _first_rule_counts(broken: list[list[str]]) -> dict[str, int]:
    """How many candidates each rule excludes first; E9 counts only where E1-E8 all pass."""
    counts: dict[str, int] = {}
    for rules in broken:
        if rules:
            counts[rules[0]] = counts.get(rules[0], 0) + 1
    return counts


def check_proposal(instance: Instance, proposal: dict[str, Any]) -> list[str]:
    """Every way the proposal breaks the spec; an empty list means it is valid."""
    problems: list[str] = []
    p = instance.policy
    households = {r["household_id"]: r for r in instance.households.to_dict(orient="records")}
    units = {r["unit_id"]: r for r in instance.units.to_dict(orient="records")}
    matches = proposal["matches"]
    pairs = [(m["household_id"], m["unit_id"]) for m in matches]

    # Every household once, in matches or unmatched; every unit in matches or unused.
    matched_h = [hid for hid, _ in pairs]
    if len(set(matched_h)) != len(matched_h):
        problems.append("A1: a household appears in more than one match")
    unmatched_ids = [x["household_id"] for x in proposal["unmatched_households"]]
    if sorted(matched_h + unmatched_ids) != sorted(households):
        problems.append("households in matches + unmatched_households differ from the input")
    used_units = {uid for _, uid in pairs}
    unused_ids = [x["unit_id"] for x in proposal["unused_units"]]
    if set(unused_ids) & used_units:
        problems.append("a unit with a match also appears in unused_units")
    if sorted(set(unused_ids) | used_units) != sorted(units) or len(unused_ids) != len(set(unused_ids)):
        problems.append("units in matches + unused_units differ from the input")
    for key, items, field in (
        ("matches", matches, "household_id"),
        ("unmatched_households", proposal["unmatched_households"], "household_id"),
        ("unused_units", proposal["unused_units"], "unit_id"),
    ):
        order = [item[field] for item in items]
        if order != sorted(order):
            problems.append(f"{key} is not sorted by {field}")

    # Eligibility and assignment rules.
    load: dict[str, int] = {}
    count: dict[str, int] = {}
    per_nbh: dict[str, int] = {}
    for m in matches:
        hid, uid = m["household_id"], m["unit_id"]
        if hid not in households or uid not in units:
            problems.append(f"match {hid}-{uid}: unknown id")
            continue
        h, u = households[hid], units[uid]
        broken = failing_rules(h, u, instance)
        if broken:
            problems.append(f"match {hid}-{uid} breaks {', '.join(broken)}")
        load[uid] = load.get(uid, 0) + _persons(h)
        count[uid] = count.get(uid, 0) + 1
        per_nbh[u["neighbourhood"]] = per_nbh.get(u["neighbourhood"], 0) + 1
        expected_terms = pair_terms(h, u, instance)
        wanted = {t: expected_terms[t] for t in p.terms_used}
        if m["terms"] != wanted:
            problems.append(f"match {hid}-{uid}: terms {m['terms']} != {wanted}")
        if m["persons"] != _persons(h):
            problems.append(f"match {hid}-{uid}: persons {m['persons']} != {_persons(h)}")
    for uid, n in count.items():
        u = units[uid]
        if not u["shared"] and n > 1:
            problems.append(f"A2: non-shared unit {uid} holds {n} households")
        if u["shared"] and load[uid] > u["beds"]:
            problems.append(f"A3: shared unit {uid} holds {load[uid]} persons in {u['beds']} beds")
    for name, cap in p.neighbourhood_caps.items():
        if per_nbh.get(name, 0) > cap:
            problems.append(f"A4: neighbourhood {name} has {per_nbh[name]} households, cap {cap}")
    for hid, uid in p.fixed_pairs:
        if (hid, uid) not in set(pairs):
            problems.append(f"A5: fixed pair {hid}-{uid} missing")

    # Why this one: the next-best unit and household are the best eligible others, and the differences add up.
    residents: dict[str, set[str]] = {}
    for hid, uid in pairs:
        residents.setdefault(uid, set()).add(hid)
    for m in matches:
        if "alternatives" not in m or m["household_id"] not in households or m["unit_id"] not in units:
            continue
        h, u = households[m["household_id"]], units[m["unit_id"]]
        mine = _tier_vector(h, u, instance)
        others = [v for v in units.values() if v["unit_id"] != u["unit_id"] and not failing_rules(h, v, instance)]
        problems.extend(
            _check_alternative(m, "next_best_unit", "unit_id", units, others, lambda v, h=h: _tier_vector(h, v, instance), mine)
        )
        rivals = [
            g for g in households.values()
            if g["household_id"] not in residents[u["unit_id"]] and not failing_rules(g, u, instance)
        ]  # fmt: skip
        problems.extend(
            _check_alternative(
                m, "next_best_household", "household_id", households, rivals, lambda g, u=u: _tier_vector(g, u, instance), mine
            )
        )

    # The mismatch report: every group's counts.
    if "mismatch" in proposal:
        placed_ids = {hid for hid, _ in pairs}
        for row in proposal["mismatch"]:
            members = [
                g for g in households.values()
                if (_persons(g), _persons(g) + int(g["expected_reunification"])) == (row["persons"], row["future_size"])
                and sorted(n for n in ("wheelchair", "mobility", "lgbtiq", "psychosocial") if n in g["vulnerabilities"])
                == sorted(row["needs"])
            ]  # fmt: skip
            fitting = sum(1 for v in units.values() if any(set(failing_rules(g, v, instance)) <= {"E9"} for g in members))
            expected_row = {
                "households": len(members),
                "documents_incomplete": sum(1 for g in members if not g["documents_complete"]),
                "eligible_units": fitting,
                "placed": sum(1 for g in members if g["household_id"] in placed_ids),
            }
            got = {key: row[key] for key in expected_row}
            if got != expected_row:
                problems.append(f"mismatch row {row['persons']}/{row['future_size']}/{row['needs']}: {got} != {expected_row}")

    # Reasons, the first that applies.
    reached = {name for name, cap in p.neighbourhood_caps.items() if per_nbh.get(name, 0) >= cap}
    unit_list = list(units.values())
    household_list = list(households.values())
    for item in proposal["unmatched_households"]:
        if item["household_id"] not in households:
            continue
        h = households[item["household_id"]]
        eligible = [u for u in unit_list if not failing_rules(h, u, instance)]
        if not h["documents_complete"]:
            want = "documents_incomplete"
        elif not eligible:
            want = "no_eligible_unit"
        elif all(u["neighbourhood"] in reached for u in eligible):
            want = "neighbourhood_cap"
        else:
            want = "outranked"
        if item["reason"] not in REASONS_HOUSEHOLD:
            problems.append(f"household {h['household_id']}: unknown reason {item['reason']}")
        if item["reason"] != want:
            problems.append(f"household {h['household_id']}: reason {item['reason']} != {want}")
        details = item.get("details", {})
        for taken in details.get("units_taken", []):
            unit_row = units.get(taken["unit_id"])
            holders = sorted(a for a, b in pairs if b == taken["unit_id"])
            if unit_row is None or failing_rules(h, unit_row, instance) or taken["taken_by"] != holders:
                problems.append(f"household {h['household_id']}: units_taken {taken} is not an eligible unit held by those")
        if "units_taken" in details:
            # The household's best eligible units that others hold: by value per tier, then unit id.
            held = {b for _, b in pairs}
            ranked = sorted(
                (v for v in eligible if v["unit_id"] in held),
                key=lambda v: ([-x for x in _tier_vector(h, v, instance)], v["unit_id"]),
            )
            expected_ids = [v["unit_id"] for v in ranked[: len(details["units_taken"])]]
            listed = [t["unit_id"] for t in details["units_taken"]]
            if listed != expected_ids or (len(listed) < 3 and len(ranked) > len(listed)):
                problems.append(f"household {h['household_id']}: units_taken {listed} are not its best held units {expected_ids}")
        if want in ("no_eligible_unit", "documents_incomplete") and "excluded_by" in details:
            with_documents = {**h, "documents_complete": True}
            broken_by_unit = [failing_rules(with_documents, u, instance) for u in unit_list]
            counts = _first_rule_counts(broken_by_unit)
            if details["excluded_by"] != counts:
                problems.append(f"household {h['household_id']}: excluded_by {details['excluded_by']} != {counts}")
            small = sum(
                1 for u, b in zip(unit_list, broken_by_unit, strict=True) if b[:1] == ["E4"] and u["max_occupants"] < _persons(h)
            )
            if "occupancy" in details and details["occupancy"]["too_small"] != small:
                problems.append(f"household {h['household_id']}: too_small {details['occupancy']['too_small']} != {small}")
            fitting = sum(1 for b in broken_by_unit if not b)
            if "eligible_with_documents" in details and details["eligible_with_documents"] != fitting:
                problems.append(f"household {h['household_id']}: eligible_with_documents != {fitting}")
        if not item.get("explanation"):
            problems.append(f"household {h['household_id']}: no explanation")
    horizon_end = p.planning_date + dt.timedelta(days=p.horizon_days)
    for item in proposal["unused_units"]:
        if item["unit_id"] not in units:
            continue
        u = units[item["unit_id"]]
        if u["available_from"] > horizon_end:
            want = "not_available_yet"
        elif not any(not failing_rules(h, u, instance) for h in household_list):
            want = "no_eligible_household"
        elif u["neighbourhood"] in reached:
            want = "neighbourhood_cap"
        else:
            want = "outranked"
        if item["reason"] not in REASONS_UNIT:
            problems.append(f"unit {u['unit_id']}: unknown reason {item['reason']}")
        if item["reason"] != want:
            problems.append(f"unit {u['unit_id']}: reason {item['reason']} != {want}")
        if want == "no_eligible_household" and "excluded_by" in item.get("details", {}):
            counts = _first_rule_counts([failing_rules(h, u, instance) for h in household_list])
            if item["details"]["excluded_by"] != counts:
                problems.append(f"unit {u['unit_id']}: excluded_by {item['details']['excluded_by']} != {counts}")
        if not item.get("explanation"):
            problems.append(f"unit {u['unit_id']}: no explanation")

    # Tier values and KPIs.
    values = tier_values(pairs, instance)
    reported = [t["value"] for t in proposal["solver"]["tiers"]]
    if reported != values:
        problems.append(f"tier values {reported} != recomputed {values}")
    for t in proposal["solver"]["tiers"]:
        if t["bound"] is not None and t["bound"] < t["value"]:
            problems.append(f"tier bound {t['bound']} below its value {t['value']}")
    k = proposal["kpis"]
    placed_persons = sum(_persons(households[h]) for h, _ in pairs)
    overdue = sum(pair_terms(households[h], units[u], instance)["overdue"] for h, u in pairs)
    temporary = sum(1 for _, u in pairs if units[u]["temporary"])
    expected_kpis = {
        "placed_households": len(pairs),
        "placed_persons": placed_persons,
        "overdue_placed": overdue,
        "temporary_placements": temporary,
    }
    for key, value in expected_kpis.items():
        if k[key] != value:
            problems.append(f"kpis.{key} {k[key]} != {value}")
    for name, n in k["by_neighbourhood"].items():
        if per_nbh.get(name, 0) != n:
            problems.append(f"kpis.by_neighbourhood[{name}] {n} != {per_nbh.get(name, 0)}")
    kept = proposal["solver"].get("previous_pairs_kept")
    if kept is not None and kept != len(set(pairs) & set(instance.policy.previous_pairs)):
        problems.append(
            f"solver.previous_pairs_kept {kept} != pairs kept {len(set(pairs) & set(instance.policy.previous_pairs))}"
        )
    if proposal["input_sha256"] != instance.input_sha256:
        problems.append("input_sha256 differs from the instance")
    return problems
