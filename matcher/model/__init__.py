"""The optimisation model and its solvers: from a prepared week to chosen pairs.

``prepare`` (encode, profiles, tiers, fixed pairs) -> ``optimise`` (min-cost flow, CP-SAT
where shared places make a knapsack) or ``fifo`` (the baseline) -> a ``Solution``.
"""

from matcher.model.fifo import fifo
from matcher.model.optimise import optimise
from matcher.model.prepare import EncodedWeek, Prepared, prepare, prepare_encoded
from matcher.model.residual import Residual, residual
from matcher.model.solution import Solution

__all__ = ["EncodedWeek", "Prepared", "Residual", "Solution", "fifo", "optimise", "prepare", "prepare_encoded", "residual"]
