"""Independent optima: brute force for tiny instances, HiGHS (scipy.optimize.milp) for small ones.

Both use the validator's per-pair rules, not the engine's vectorised ones. A policy that
names ``lookahead`` values a pair by the fluid model's potentials; those are not unique (a
degenerate programme has many optimal duals), so the reference takes the ones the proposal
reports, after the validator has checked that they are an optimal dual solution.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from matcher.input.instance import Instance
from matcher.validate import Prices, failing_rules, pair_terms


def _data(
    inst: Instance, prices: Prices | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[int, int]], list[list[int]]]:
    """Households, units, eligible pairs and each pair's value per tier.

    With previous pairs in the policy, one more tier follows the policy's: 1 for a pair
    the previous proposal also made (the stability tier).
    """
    hh = inst.households.to_dict(orient="records")
    un = inst.units.to_dict(orient="records")
    pairs = [(i, j) for i, h in enumerate(hh) for j, u in enumerate(un) if not failing_rules(h, u, inst)]
    tiers = []
    for tier in inst.policy.objective:
        values = []
        for i, j in pairs:
            terms = pair_terms(hh[i], un[j], inst, prices)
            values.append(sum(w * terms[t] for t, w in tier.items()))
        tiers.append(values)
    if inst.policy.previous_pairs:
        previous = set(inst.policy.previous_pairs)
        tiers.append([int((hh[i]["household_id"], un[j]["unit_id"]) in previous) for i, j in pairs])
    return hh, un, pairs, tiers


def _feasible(
    choice: list[int], inst: Instance, hh: list[dict[str, Any]], un: list[dict[str, Any]], pairs: list[tuple[int, int]]
) -> bool:
    load: dict[int, int] = {}
    count: dict[int, int] = {}
    nbh: dict[str, int] = {}
    for k in choice:
        i, j = pairs[k]
        load[j] = load.get(j, 0) + hh[i]["adults"] + hh[i]["children"]
        count[j] = count.get(j, 0) + 1
        nbh[un[j]["neighbourhood"]] = nbh.get(un[j]["neighbourhood"], 0) + 1
    for j, n in count.items():
        if (not un[j]["shared"] and n > 1) or (un[j]["shared"] and load[j] > un[j]["beds"]):
            return False
    if any(nbh.get(name, 0) > cap for name, cap in inst.policy.neighbourhood_caps.items()):
        return False
    placed_before = inst.policy.half_year_placed
    if any(0 < nbh.get(name, 0) > cap - placed_before.get(name, 0) for name, cap in inst.policy.half_year_caps.items()):
        return False  # A6, written out from the half-year fields (not from the engine's caps left)
    chosen = {(hh[pairs[k][0]]["household_id"], un[pairs[k][1]]["unit_id"]) for k in choice}
    return all(tuple(p) in chosen for p in inst.policy.fixed_pairs)


def brute_force_tiers(inst: Instance, prices: Prices | None = None) -> list[int]:
    """Lexicographic optimum by enumerating every assignment (tiny instances only)."""
    hh, un, pairs, tiers = _data(inst, prices)
    options: list[list[int | None]] = [[None] for _ in hh]
    for k, (i, _) in enumerate(pairs):
        options[i].append(k)
    best: list[int] | None = None
    for combo in itertools.product(*options):
        choice = [k for k in combo if k is not None]
        if not _feasible(choice, inst, hh, un, pairs):
            continue
        value = [sum(t[k] for k in choice) for t in tiers]
        if best is None or value > best:
            best = value
    assert best is not None
    return best


def milp_tiers(inst: Instance, placed: str | None = None, prices: Prices | None = None) -> list[int]:
    """Lexicographic optimum with HiGHS: maximise each tier, then hold it and go on.

    With ``placed`` (a household id) only proposals that place that household count.
    """
    hh, un, pairs, tiers = _data(inst, prices)
    n = len(pairs)
    if n == 0:
        return [0] * len(tiers)
    rows: list[np.ndarray] = []
    upper: list[float] = []
    lower: list[float] = []

    def add(coefficients: dict[int, float], lo: float, hi: float) -> None:
        row = np.zeros(n)
        for k, c in coefficients.items():
            row[k] = c
        rows.append(row)
        lower.append(lo)
        upper.append(hi)

    for i in range(len(hh)):
        add({k: 1 for k, (a, _) in enumerate(pairs) if a == i}, -np.inf, 1)
    for j, u in enumerate(un):
        mine = [k for k, (_, b) in enumerate(pairs) if b == j]
        if u["shared"]:
            add({k: hh[pairs[k][0]]["adults"] + hh[pairs[k][0]]["children"] for k in mine}, -np.inf, u["beds"])
        else:
            add({k: 1 for k in mine}, -np.inf, 1)
    if placed is not None:
        add({k: 1 for k, (a, _) in enumerate(pairs) if hh[a]["household_id"] == placed}, 1, np.inf)
    for name, cap in inst.policy.neighbourhood_caps.items():
        add({k: 1 for k, (_, b) in enumerate(pairs) if un[b]["neighbourhood"] == name}, -np.inf, cap)
    for name, cap in inst.policy.half_year_caps.items():  # A6: earlier placements + this proposal <= cap
        before = inst.policy.half_year_placed.get(name, 0)
        add({k: 1 for k, (_, b) in enumerate(pairs) if un[b]["neighbourhood"] == name}, -np.inf, max(0, cap - before))
    lo_bound = np.zeros(n)
    index = {(hh[i]["household_id"], un[j]["unit_id"]): k for k, (i, j) in enumerate(pairs)}
    for pair in inst.policy.fixed_pairs:
        lo_bound[index[tuple(pair)]] = 1
    values = []
    for tier in tiers:
        c = -np.array(tier, dtype=float)
        result = milp(
            c,
            constraints=LinearConstraint(np.array(rows), np.array(lower), np.array(upper)),
            integrality=np.ones(n),
            bounds=Bounds(lo_bound, np.ones(n)),
        )
        assert result.success, result.message
        value = round(-result.fun)
        values.append(value)
        add(dict(enumerate(tier)), value - 0.5, np.inf)
    return values
