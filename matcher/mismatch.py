"""The mismatch report: demand against eligible supply per household profile.

The structural shortage a municipality can act on is rarely visible per household:
"43 single persons waiting, 3 eligible units" is. Households are grouped by persons now,
size after reunification and the needs that restrict which homes fit; for each group the
report counts households waiting, units offered this week that fit at least one of them,
and households placed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.eligibility import IntArray
from matcher.solve import Prepared

NEEDS = ("wheelchair", "mobility", "lgbtiq", "psychosocial")


def mismatch_report(prep: Prepared, household: IntArray, lang: str) -> list[dict[str, Any]]:
    """One row per group, most unplaced households first."""
    h, s = prep.households, prep.structure
    placed = np.zeros(len(h.ids), dtype=bool)
    placed[household] = True
    needs = np.stack([getattr(h, name) for name in NEEDS], axis=1) if len(h.ids) else np.zeros((0, len(NEEDS)), bool)
    keys = [
        (int(h.persons[i]), int(h.future[i]), tuple(n for n, flag in zip(NEEDS, needs[i], strict=True) if flag))
        for i in range(len(h.ids))
    ]
    unit_sizes = np.bincount(s.unit_profile, minlength=s.eligible.shape[1])
    rows: list[dict[str, Any]] = []
    groups: dict[tuple[int, int, tuple[str, ...]], list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    for key in sorted(groups):
        members = np.array(groups[key], dtype=np.int64)
        profiles = np.unique(s.household_profile[members])
        fitting = s.eligible[profiles].any(axis=0)
        persons, future, group_needs = key
        row: dict[str, Any] = {
            "persons": persons,
            "future_size": future,
            "needs": list(group_needs),
            "households": len(members),
            "documents_incomplete": int((~h.documents[members]).sum()),
            "eligible_units": int(unit_sizes[fitting].sum()),
            "placed": int(placed[members].sum()),
        }
        row["unplaced"] = row["households"] - row["placed"]
        row["explanation"] = _sentence(row, lang)
        rows.append(row)
    rows.sort(key=lambda r: (-r["unplaced"], r["persons"], r["future_size"], r["needs"]))
    return rows


def _group_words(row: dict[str, Any], lang: str) -> str:
    n, persons, future = row["households"], row["persons"], row["future_size"]
    if lang == "nl":
        who = (
            ("alleenstaande" if n == 1 else "alleenstaanden")
            if persons == 1
            else f"huishouden{'s' if n != 1 else ''} van {persons}"
        )
        if future > persons:
            who += f" (straks {future} met nareizigers)"
        if row["needs"]:
            who += f" met {', '.join(row['needs'])}"
        return f"{n} {who}"
    who = ("single person" if n == 1 else "single persons") if persons == 1 else f"household{'s' if n != 1 else ''} of {persons}"
    if future > persons:
        who += f" ({future} once family arrives)"
    if row["needs"]:
        who += f" needing {', '.join(row['needs'])}"
    return f"{n} {who}"


def _sentence(row: dict[str, Any], lang: str) -> str:
    group = _group_words(row, lang)
    units, placed = row["eligible_units"], row["placed"]
    if lang == "nl":
        return f"{group} in de pool; {units} passende woning{'' if units == 1 else 'en'} aangeboden, {placed} geplaatst."
    return f"{group} in the pool; {units} suitable unit{'' if units == 1 else 's'} offered, {placed} placed."
