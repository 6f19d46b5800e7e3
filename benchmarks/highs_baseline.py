"""The same model handed to HiGHS as a MIP (scipy.optimize.milp): the reference the targets compare with.

Only the first tier is solved, so the comparison flatters HiGHS: the engine solves every
tier and the tie-break in the time measured for it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from matcher.input.instance import load_instance
from matcher.model import prepare, residual
from matcher.model.terms import tier_weights


def highs_first_tier(folder: Path, time_limit_s: float = 300.0) -> dict[str, float]:
    started = time.perf_counter()
    inst = load_instance(folder / "households.csv", folder / "units.csv", folder / "policy.json")
    prep = prepare(inst)
    res = residual(prep)
    hh, uu = prep.structure.expand(res.open_household, res.open_unit)
    weights = tier_weights(inst.policy, hh, uu, prep.households, prep.units, prep.preferred)[0].astype(float)
    n = len(hh)
    u = prep.units
    rows_h = np.unique(hh, return_inverse=True)[1].reshape(-1)
    unit_codes, rows_u = np.unique(uu, return_inverse=True)
    rows_u = rows_u.reshape(-1) + rows_h.max() + 1
    coef_u = np.where(u.shared[uu], prep.households.persons[hh], 1).astype(float)
    cap_u = np.where(u.shared[unit_codes], res.unit_left[unit_codes], 1).astype(float)
    nbh = u.neighbourhood[uu]
    capped = res.cap_left[nbh] >= 0
    nb_codes, rows_nb = np.unique(nbh[capped], return_inverse=True)
    rows_nb = rows_nb.reshape(-1) + rows_u.max() + 1
    rows = np.concatenate((rows_h, rows_u, rows_nb))
    cols = np.concatenate((np.arange(n), np.arange(n), np.flatnonzero(capped)))
    vals = np.concatenate((np.ones(n), coef_u, np.ones(int(capped.sum()))))
    upper = np.concatenate((np.ones(rows_h.max() + 1), cap_u, res.cap_left[nb_codes].astype(float)))
    matrix = coo_matrix((vals, (rows, cols)), shape=(len(upper), n)).tocsr()
    built = time.perf_counter()
    result = milp(
        -weights,
        constraints=LinearConstraint(matrix, -np.inf, upper),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s, "presolve": True},
    )
    solved = time.perf_counter()
    return {
        "highs_build_s": built - started,
        "highs_solve_s": solved - built,
        "highs_tier1": float(-result.fun) if result.fun is not None else float("nan"),
        "highs_pairs": float(n),
    }
