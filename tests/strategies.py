"""Hypothesis strategies for small random instances that exercise every rule."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from matcher.input.policy import TERMS

MUNICIPALITIES = ("Nijmegen", "Wijchen")
NEIGHBOURHOODS = {"Nijmegen": ("Hatert", "Lent"), "Wijchen": ("Wijchen-Centrum",)}
VULNS = ("mobility", "wheelchair", "medical", "lgbtiq", "psychosocial", "ex_amv")


@st.composite
def households(draw: st.DrawFn, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        muni = draw(st.sampled_from(MUNICIPALITIES))
        rows.append(
            {
                "household_id": f"H-{i:02d}",
                "municipality": muni,
                "koppeling_date": f"2024-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}",
                "adults": draw(st.integers(1, 2)),
                "children": draw(st.integers(0, 3)),
                "gender": draw(st.sampled_from("FMX")),
                "head_age": draw(st.integers(18, 60)),
                "expected_reunification": draw(st.sampled_from([0, 0, 1, 3])),
                "documents_complete": draw(st.sampled_from([True, True, True, False])),
                "vulnerabilities": draw(st.lists(st.sampled_from(VULNS), max_size=2, unique=True)),
                "preferred_neighbourhoods": draw(st.lists(st.sampled_from(NEIGHBOURHOODS[muni]), max_size=1)),
            }
        )
    return rows


@st.composite
def units(draw: st.DrawFn, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        muni = draw(st.sampled_from(MUNICIPALITIES))
        shared = draw(st.sampled_from([False, False, True]))
        low = draw(st.integers(1, 3))
        high = low + draw(st.integers(0, 4))
        rows.append(
            {
                "unit_id": f"U-{i:02d}",
                "municipality": muni,
                "neighbourhood": draw(st.sampled_from(NEIGHBOURHOODS[muni])),
                "unit_type": draw(st.sampled_from(["social", "flex", "transit"])),
                "shared": shared,
                "beds": draw(st.integers(1, 5)) if shared else None,
                "bedrooms": draw(st.integers(0, 4)),
                "min_occupants": low,
                "max_occupants": high,
                "rent": str(draw(st.sampled_from([400, 500, 700, 720, 800]))),
                "step_free": draw(st.booleans()),
                "wheelchair": draw(st.sampled_from([False, False, True])),
                "gender": draw(st.sampled_from(["", "", "F", "M"])) if shared else "",
                "lgbtiq_safe": draw(st.booleans()),
                "support": draw(st.booleans()),
                "amv_home": draw(st.sampled_from([False, False, False, True])),
                "available_from": draw(st.sampled_from(["2025-02-01", "2025-03-10", "2025-04-30"])),
            }
        )
    return rows


@st.composite
def objectives(draw: st.DrawFn) -> list[dict[str, int]]:
    tiers = draw(st.integers(1, 3))
    return [draw(st.dictionaries(st.sampled_from(TERMS), st.integers(-5, 10), min_size=1, max_size=3)) for _ in range(tiers)]


@st.composite
def policies(draw: st.DrawFn, hh: list[dict[str, Any]], un: list[dict[str, Any]]) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "planning_date": "2025-03-03",
        "regional": draw(st.booleans()),
        "shared_max_household_size": draw(st.integers(1, 3)),
        "reunification_must_fit": draw(st.booleans()),
    }
    if draw(st.booleans()):
        policy["objective"] = draw(objectives())
    if draw(st.booleans()):
        policy["neighbourhood_caps"] = {draw(st.sampled_from(["Hatert", "Lent", "Wijchen-Centrum"])): draw(st.integers(0, 2))}
    if draw(st.booleans()):
        capped = draw(st.sampled_from(["Hatert", "Lent", "Wijchen-Centrum"]))
        policy["half_year_caps"] = {capped: draw(st.integers(0, 4))}
        policy["half_year_placed"] = {capped: draw(st.integers(0, 4))}
    if policy["regional"] and draw(st.booleans()):
        policy["regional_agreement"] = {
            "may_place": {name: draw(st.lists(st.sampled_from(MUNICIPALITIES), max_size=2)) for name in MUNICIPALITIES},
            "counts_for": draw(st.sampled_from(["household", "home"])),
        }
    if draw(st.booleans()):
        policy["rent_caps"] = None
    if hh and un and draw(st.booleans()):
        policy["excluded_pairs"] = [[draw(st.sampled_from(hh))["household_id"], draw(st.sampled_from(un))["unit_id"]]]
    return policy
