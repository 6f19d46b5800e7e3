"""The half-year caps in words: per capped wijk the cap, what earlier weeks used and this week.

A WBB member reading a weekly proposal wants to know why a wijk takes no more households
although its weekly cap is not reached: the half-year cap is. The proposal therefore gets a
``half_year_caps`` section (only when the policy sets half-year caps) with the numbers and a
sentence per wijk, and the reason of a household or home held back by such a cap names it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from matcher.input.policy import Policy
from matcher.input.spreading import half_year_of


def half_year_words(day: dt.date, lang: str) -> str:
    """``eerste halfjaar van 2025`` / ``first half of 2025``."""
    first = half_year_of(day)[0].month == 1
    if lang == "nl":
        return f"{'eerste' if first else 'tweede'} halfjaar van {day.year}"
    return f"{'first' if first else 'second'} half of {day.year}"


def cap_details(policy: Policy, name: str, placed_now: int) -> dict[str, Any]:
    """The numbers of one wijk's half-year cap for this proposal."""
    cap, before = policy.half_year_caps[name], policy.half_year_placed.get(name, 0)
    return {
        "neighbourhood": name,
        "cap": cap,
        "placed_before": before,
        "placed_now": placed_now,
        "left": max(0, cap - before - placed_now),
    }


def cap_sentence(details: Mapping[str, Any], day: dt.date, lang: str) -> str:
    """One wijk's half-year cap and how much of it is used, as a sentence."""
    name, cap, before, now, left = (details[k] for k in ("neighbourhood", "cap", "placed_before", "placed_now", "left"))
    period = half_year_words(day, lang)
    if lang == "nl":
        return (
            f"Wijk {name} heeft een halfjaarplafond van {cap} huishouden{'' if cap == 1 else 's'} in het {period}: "
            f"{before} eerder geplaatst, {now} in dit voorstel, nog {left} over."
        )
    return (
        f"Neighbourhood {name} has a half-year cap of {cap} household{'' if cap == 1 else 's'} in the {period}: "
        f"{before} placed earlier, {now} in this proposal, {left} left."
    )


def half_year_binds(policy: Policy, name: str) -> bool:
    """Is the half-year cap (rather than the weekly cap) what limits the wijk this week?"""
    if name not in policy.half_year_caps:
        return False
    left = max(0, policy.half_year_caps[name] - policy.half_year_placed.get(name, 0))
    return name not in policy.neighbourhood_caps or left <= policy.neighbourhood_caps[name]


def half_year_section(policy: Policy, by_neighbourhood: Mapping[str, int], lang: str) -> list[dict[str, Any]] | None:
    """Per wijk with a half-year cap: the numbers and the sentence; None without half-year caps."""
    if not policy.half_year_caps:
        return None
    section = []
    for name in sorted(policy.half_year_caps):
        details = cap_details(policy, name, by_neighbourhood.get(name, 0))
        section.append({**details, "explanation": cap_sentence(details, policy.planning_date, lang)})
    return section
