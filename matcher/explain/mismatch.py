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

from matcher.model import Prepared
from matcher.rules.arrays import IntArray

NEEDS = ("wheelchair", "mobility", "lgbtiq", "psychosocial")
NEEDS_NL = {
    "wheelchair": "rolstoel",
    "mobility": "slecht ter been",
    "lgbtiq": "LHBTIQ+",
    "psychosocial": "psychosociale begeleiding",
}  # the words a WBB member reads in a Dutch sentence


def mismatch_report(prep: Prepared, household: IntArray, lang: str) -> list[dict[str, Any]]:
    """One row per group, most unplaced households first."""
    h, s = prep.households, prep.structure
    placed = np.zeros(len(h.ids), dtype=bool)
    placed[household] = True
    needs = np.stack([getattr(h, name) for name in NEEDS], axis=1) if len(h.ids) else np.zeros((0, len(NEEDS)), bool)
    need_bits = needs.astype(np.int64) @ (1 << np.arange(len(NEEDS), dtype=np.int64))
    keys = np.stack([np.asarray(h.persons, dtype=np.int64), np.asarray(h.future, dtype=np.int64), need_bits], axis=1)
    unique_keys, group_of = np.unique(keys.reshape(-1, 3), axis=0, return_inverse=True)
    group_of = np.asarray(group_of).reshape(-1)
    order = np.argsort(group_of, kind="stable")
    bounds = np.searchsorted(group_of[order], np.arange(len(unique_keys) + 1))
    unit_sizes = np.bincount(s.unit_profile, minlength=s.eligible.shape[1])
    rows: list[dict[str, Any]] = []
    for g, (persons, future, bits) in enumerate(unique_keys.tolist()):
        members = order[bounds[g] : bounds[g + 1]]
        profiles = np.unique(s.household_profile[members])
        fitting = s.eligible[profiles].any(axis=0)
        group_needs = [name for k, name in enumerate(NEEDS) if bits >> k & 1]
        row: dict[str, Any] = {
            "persons": persons,
            "future_size": future,
            "needs": group_needs,
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
            who += f" met {', '.join(NEEDS_NL[need] for need in row['needs'])}"
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
