"""Comparing two scenario results: a variant against its base, figure by figure.

Replicate k of the base and of the variant start from the same seeds, so where the
variant changes nothing about arrivals their difference is paired (common random numbers)
and its band is much narrower than the two bands side by side would suggest.
"""

from __future__ import annotations

import math
from typing import Any

from matcher.simulate.montecarlo import SUMMARY_FIGURES, SimulationResult, band


def compare(base: SimulationResult, variant: SimulationResult) -> dict[str, Any]:
    """Per strategy and end figure: base band, variant band and the paired difference (variant - base)."""
    out: dict[str, Any] = {
        "base": base.scenario.get("name"),
        "variant": variant.scenario.get("name"),
        "replicates": min(base.replicates, variant.replicates),
        "strategies": {},
    }
    for strategy in variant.summary:
        if strategy not in base.summary:
            continue
        base_rows = {r["replicate"]: r for r in base.per_replicate if r["strategy"] == strategy}
        variant_rows = {r["replicate"]: r for r in variant.per_replicate if r["strategy"] == strategy}
        shared = sorted(set(base_rows) & set(variant_rows))
        figures: dict[str, Any] = {}
        for figure in SUMMARY_FIGURES:
            diffs = [
                float(variant_rows[k][figure]) - float(base_rows[k][figure])
                for k in shared
                if _number(variant_rows[k][figure]) and _number(base_rows[k][figure])
            ]
            figures[figure] = {
                "base": base.summary[strategy][figure],
                "variant": variant.summary[strategy][figure],
                "difference": band(diffs),
            }
        out["strategies"][strategy] = figures
    return out


def _number(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))
