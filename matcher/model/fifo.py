"""The FIFO baseline: today's way of working, oldest koppeling first takes the first free unit."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from matcher.model.prepare import Prepared
from matcher.model.residual import residual
from matcher.model.solution import Solution, tier_values


def fifo(prep: Prepared) -> Solution:
    """Baseline: oldest koppeling first takes the first eligible unit still free.

    Households are worked in order of koppeling_date (then id); units in order of
    available_from (then id), as a vacancy list is read. Fixed pairs come first.
    """
    started = time.perf_counter()
    res = residual(prep)
    h, u, s = prep.households, prep.units, prep.structure
    if prep.fifo_keys is not None:
        h_key, u_key = prep.fifo_keys
    else:
        h_key = pd.to_datetime(prep.instance.households["koppeling_date"]).to_numpy("datetime64[D]").astype(np.int64)
        u_key = pd.to_datetime(prep.instance.units["available_from"]).to_numpy("datetime64[D]").astype(np.int64)
    h_order = np.lexsort((np.arange(len(h.ids)), h_key))
    u_order = np.lexsort((np.arange(len(u.ids)), u_key))
    unit_left = res.unit_left.copy()
    cap_left = res.cap_left.copy()
    excluded: dict[int, set[int]] = {}
    for a, b in zip(s.excluded_household.tolist(), s.excluded_unit.tolist(), strict=True):
        excluded.setdefault(a, set()).add(b)
    ordered_profile = s.unit_profile[u_order]
    ordered_nbh = u.neighbourhood[u_order]
    ordered_shared = u.shared[u_order]
    ordered_left = unit_left[u_order]  # kept in step with unit_left
    ordered_eligible = s.eligible[:, ordered_profile]
    cap_open = cap_left[ordered_nbh] != 0  # recomputed when a cap runs out
    chosen_h = prep.fixed_household.tolist()
    chosen_u = prep.fixed_unit.tolist()
    open_mask = res.open_unit[u_order].copy()
    # Free units, beds and caps only ever shrink below, so a (profile, persons) that found no
    # unit that fits finds none later either: later households like it are skipped unchanged.
    no_fit: set[tuple[int, int]] = set()
    units_open = int(open_mask.sum())
    for hi in h_order.tolist():
        if units_open == 0:
            break  # every unit is taken: no household after this one finds one
        if not res.open_household[hi]:
            continue
        persons = int(h.persons[hi])
        key = (int(s.household_profile[hi]), persons)
        if key in no_fit:
            continue
        need = np.where(ordered_shared, persons, 1)
        fits = open_mask & ordered_eligible[key[0]] & (ordered_left >= need) & cap_open
        positions = np.flatnonzero(fits).tolist()
        if not positions:
            no_fit.add(key)
            continue
        for position in positions:
            ui = int(u_order[position])
            if ui in excluded.get(hi, ()):
                continue
            unit_left[ui] -= int(need[position])
            ordered_left[position] = unit_left[ui]
            nbh = int(u.neighbourhood[ui])
            if cap_left[nbh] > 0:
                cap_left[nbh] -= 1
                if cap_left[nbh] == 0:
                    cap_open = cap_left[ordered_nbh] != 0
            if unit_left[ui] <= 0:
                open_mask[position] = False
                units_open -= 1
            chosen_h.append(hi)
            chosen_u.append(ui)
            break
    household = np.array(chosen_h, dtype=np.int64)
    unit = np.array(chosen_u, dtype=np.int64)
    order = np.lexsort((unit, household))
    household, unit = household[order], unit[order]
    values = tier_values(prep, household, unit)
    return Solution(
        household=household,
        unit=unit,
        tier_values=values,
        tier_bounds=[None] * len(values),  # a heuristic proves no bound
        status="feasible",
        method="fifo",
        build_s=prep.build_s,
        solve_s=time.perf_counter() - started,
    )
