"""Koppeling mix advice: which mix of household types the forecast supply houses fastest.

The municipality (or region) can ask the COA to steer its koppelingen. Given the supply a
scenario forecasts (its vacancies, events, temporary places with their stay limits), this
module asks one linear programme: if koppelingen came in a different mix of household
types, how many persons could the same homes house, and how soon would the half-year
taakstelling be met?

How the figures are made:
1. The scenario's worlds (a few replicates) give the forecast homes over the horizon and a
   large sample of koppelingen; households are grouped into ``HOUSEHOLD_GROUPS``.
2. For each group and home, the share of the group's households that may live there under
   rules E1-E8 (``eligible``), computed by the engine's own rules.
3. Each home is a capacity: 1 (a shared place: its beds; a temporary place: once per stay
   that fits in the horizon). The LP splits each home's capacity over groups, at most the
   eligible share for each, and maximises persons housed, with the group shares kept
   between ``low`` and ``high`` times today's share (what the COA can realistically shift).
4. The same LP with the shares fixed at today's mix gives the baseline.

Persons per household are counted with the nareizigers they declared, as a home must fit
them (rule E5) and they count for the taakstelling when they come.

What the figures are: upper bounds of a fluid model, not forecasts. The LP fills every
forecast home, fractionally, with the households of the mix that fit it best, as if they
were always there to take it: no start pool, no arrivals to wait for, no declines, no
week-by-week matching. Its persons a week are the most that model allows, and its weeks to
the taakstelling the fewest; the gap between two mixes can be far larger than what changing
the mix does. ``advised_variant`` writes the advised mix as a variant scenario: simulating
it against the scenario (``matcher simulate``, which compares a variant with its base) is
what forecasts the effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog

from matcher.simulate.scenario import HOUSEHOLD_GROUPS, Scenario
from matcher.simulate.weekly import eligible_over_horizon
from matcher.simulate.world import World, build_world

WHAT_THIS_IS = (
    "Upper bounds of a fluid model, not a forecast: every forecast home is filled, fractionally, by the households "
    "of the mix that fit it best, as if they were always there to take it (no start pool, arrivals, declines or "
    "weekly matching). Persons a week are the most that model allows, weeks to the target the fewest. "
    "Simulate the advised mix against this scenario for a forecast."
)


@dataclass(frozen=True)
class MixAdvice:
    """The advised mix with the figures behind it."""

    groups: list[dict[str, Any]]
    persons_per_week_upper_bound_today: float
    persons_per_week_upper_bound_advised: float
    half_year_target: int
    weeks_to_target_lower_bound_today: float | None
    weeks_to_target_lower_bound_advised: float | None
    homes_per_week: float
    share_bounds: tuple[float, float]

    def to_json(self, variant_file: str | None = None) -> dict[str, Any]:
        """The advice as JSON; ``variant_file`` names the advised-mix variant written beside it."""
        document: dict[str, Any] = {
            "what_this_is": WHAT_THIS_IS,
            "groups": self.groups,
            "persons_per_week_upper_bound_today": self.persons_per_week_upper_bound_today,
            "persons_per_week_upper_bound_advised": self.persons_per_week_upper_bound_advised,
            "half_year_target_persons": self.half_year_target,
            "weeks_to_target_lower_bound_today": self.weeks_to_target_lower_bound_today,
            "weeks_to_target_lower_bound_advised": self.weeks_to_target_lower_bound_advised,
            "homes_per_week": self.homes_per_week,
            "share_bounds_relative_to_today": list(self.share_bounds),
        }
        if variant_file is not None:
            document["simulated_comparison"] = {
                "variant": variant_file,
                "command": f"matcher simulate {variant_file}",
                "gives": "the advised mix simulated against today's, paired by replicate (comparison.json): the forecast",
            }
        return document


def household_group(persons: int, declared: int) -> str:
    if persons == 1:
        return "single_expecting_family" if declared > 0 else "single"
    if persons <= 3:
        return "two_three"
    if persons <= 5:
        return "four_five"
    return "six_plus"


def _capacity(scenario: Scenario, world: World) -> np.ndarray[Any, Any]:
    horizon = scenario.horizon_weeks
    capacity = np.zeros(world.n_units)
    for j in range(world.n_units):
        if world.appear_week[j] >= horizon:
            continue
        uses = 1
        if world.temporary[j]:
            stay = scenario.stays.flex_weeks if world.unit_rows[j]["unit_type"] == "flex" else scenario.stays.transit_weeks
            uses = -(-(horizon - int(world.appear_week[j])) // stay)
        capacity[j] = uses * (int(world.beds[j]) if world.shared[j] else 1)
    return capacity


def _eligible_share(scenario: Scenario, world: World, households: list[int]) -> np.ndarray[Any, Any]:
    """(household, unit) eligibility under E1-E8 with documents complete and every home available."""
    rows = [
        {
            **world.household_rows[i],
            "adults": int(world.adults[i]),
            "children": int(world.children[i]),
            "expected_reunification": int(world.declared[i]),
        }
        for i in households
    ]
    return eligible_over_horizon(scenario, rows, world.unit_rows)


def advise_mix(scenario: Scenario, replicates: int = 3, low: float = 0.5, high: float = 2.0) -> MixAdvice:
    """Advise a koppeling mix for the scenario's supply forecast (see the module docstring)."""
    groups = list(HOUSEHOLD_GROUPS)
    k = len(groups)
    eligible_rows: list[np.ndarray[Any, Any]] = []
    capacity_rows: list[np.ndarray[Any, Any]] = []
    count = np.zeros(k)
    persons_sum = np.zeros(k)
    for replicate in range(replicates):
        world = build_world(scenario, replicate)
        new = np.flatnonzero(world.arrival_week > 0).tolist()
        if not new:
            continue
        group_of = np.array([groups.index(household_group(int(world.persons[i]), int(world.declared[i]))) for i in new])
        elig = _eligible_share(scenario, world, new)
        shares = np.zeros((k, world.n_units))
        for g in range(k):
            members = group_of == g
            count[g] += members.sum()
            persons_sum[g] += float((world.persons[new] + world.declared[new])[members].sum())
            if members.any():
                shares[g] = elig[members].mean(axis=0)
        eligible_rows.append(shares)
        capacity_rows.append(_capacity(scenario, world))
    if not eligible_rows or count.sum() == 0:
        raise ValueError("the scenario has no koppelingen to advise on")
    eligible = np.concatenate(eligible_rows, axis=1)
    capacity = np.concatenate(capacity_rows) / replicates
    eligible_mask = eligible > 0
    today = count / count.sum()
    persons = np.where(count > 0, persons_sum / np.maximum(count, 1), 0.0)
    groups_present = count > 0

    pairs = np.argwhere(eligible_mask)  # (group, unit)
    n_z = len(pairs)

    def solve(fixed: bool) -> tuple[np.ndarray[Any, Any], float]:
        # Variables: z (one per eligible group-unit pair, households housed), then s (households in total).
        n = n_z + 1
        c = np.zeros(n)
        c[:n_z] = -persons[pairs[:, 0]]
        a_ub, b_ub = [], []
        for j in np.unique(pairs[:, 1]):  # each home's capacity
            row = np.zeros(n)
            row[np.flatnonzero(pairs[:, 1] == j)] = 1
            a_ub.append(row)
            b_ub.append(capacity[j])
        for p, (g, j) in enumerate(pairs):  # at most the eligible share of a home per group
            row = np.zeros(n)
            row[p] = 1
            a_ub.append(row)
            b_ub.append(capacity[j] * eligible[g, j])
        a_eq, b_eq = [], []
        total = np.zeros(n)
        total[:n_z] = 1
        total[-1] = -1
        a_eq.append(total)
        b_eq.append(0.0)
        for g in range(k):
            row = np.zeros(n)
            row[np.flatnonzero(pairs[:, 0] == g)] = 1
            if fixed or not groups_present[g]:
                row[-1] = -today[g]
                a_eq.append(row)
                b_eq.append(0.0)
            else:
                upper, lower = row.copy(), -row.copy()
                upper[-1] = -min(1.0, today[g] * high)
                lower[-1] = today[g] * low
                a_ub.extend([upper, lower])
                b_ub.extend([0.0, 0.0])
        result = linprog(c, A_ub=np.array(a_ub), b_ub=np.array(b_ub), A_eq=np.array(a_eq), b_eq=np.array(b_eq), method="highs")
        if result.status != 0:
            raise RuntimeError(f"mix LP failed: {result.message}")
        housed = np.zeros(k)
        np.add.at(housed, pairs[:, 0], result.x[:n_z])
        return housed, float(-result.fun)

    current_housed, current_persons = solve(fixed=True)
    advised_housed, advised_persons = solve(fixed=False)
    weeks = scenario.horizon_weeks
    target = scenario.taakstelling.persons_per_half_year
    homes_per_week = float(capacity.sum()) / weeks
    rows = []
    for g, name in enumerate(groups):
        rows.append(
            {
                "group": name,
                "persons_per_household": round(float(persons[g]), 2),
                "share_today": round(float(today[g]), 4),
                "share_advised": round(float(advised_housed[g] / advised_housed.sum()), 4) if advised_housed.sum() else 0.0,
                "eligible_homes_per_week": round(float((capacity * (eligible[g] > 0)).sum()) / weeks, 2),
                "households_per_week_in_bound_today": round(float(current_housed[g]) / weeks, 3),
                "households_per_week_in_bound_advised": round(float(advised_housed[g]) / weeks, 3),
            }
        )
    current_rate = current_persons / weeks
    advised_rate = advised_persons / weeks
    return MixAdvice(
        groups=rows,
        persons_per_week_upper_bound_today=round(current_rate, 3),
        persons_per_week_upper_bound_advised=round(advised_rate, 3),
        half_year_target=target,
        weeks_to_target_lower_bound_today=round(target / current_rate, 1) if current_rate > 0 else None,
        weeks_to_target_lower_bound_advised=round(target / advised_rate, 1) if advised_rate > 0 else None,
        homes_per_week=round(homes_per_week, 3),
        share_bounds=(low, high),
    )


def advised_variant(scenario: Scenario, advice: MixAdvice, base_path: str) -> dict[str, Any]:
    """A variant scenario with the advised mix as its inflow, to simulate the weeks it would take.

    Each group's configured share is scaled by advised/today (today as drawn), household
    sizes within a group keep their proportions, and the share of singles expecting family
    follows the two single groups.
    """
    ratio = {
        row["group"]: (row["share_advised"] / row["share_today"]) if row["share_today"] > 0 else 1.0 for row in advice.groups
    }
    sizes = dict(scenario.inflow.household_sizes)
    total = sum(sizes.values())
    share_singles = scenario.inflow.reunification.share_singles
    single = sizes.get(1, 0.0) / total
    expecting = single * share_singles * ratio["single_expecting_family"]
    alone = single * (1 - share_singles) * ratio["single"]
    advised: dict[int, float] = {}
    for size, share in sizes.items():
        if size == 1:
            advised[size] = expecting + alone
        else:
            advised[size] = share / total * ratio[household_group(size, 0)]
    norm = sum(advised.values())
    new_share_singles = expecting / (expecting + alone) if expecting + alone > 0 else share_singles
    return {
        "base": base_path,
        "name": f"{scenario.name}-advised-mix",
        "description": (
            "The koppeling mix advised for this supply by the fluid model of matcher simulate --mix-advice; "
            "simulating this variant compares it with its base."
        ),
        "inflow": {
            "household_sizes": {size: round(share / norm, 4) for size, share in sorted(advised.items())},
            "reunification": {"share_singles": round(new_share_singles, 4)},
        },
    }
