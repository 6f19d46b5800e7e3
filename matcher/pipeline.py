"""The engine's one path from a checked instance to a proposal: solve, then explain.

Every caller (the command line, ``POST /v1/solve``, the service's proposal runs and the
simulator) goes through :func:`solve`; the ones that need the proposal document ask the
:class:`Result` for it, so the steps ``prepare -> optimise or fifo -> build the proposal``
are written once, here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from matcher.errors import InputError
from matcher.explain.proposal import Proposal, build_proposal
from matcher.input.instance import Instance
from matcher.model import EncodedWeek, Prepared, Solution, fifo, optimise, prepare, prepare_encoded

STRATEGIES = ("optimise", "fifo")
Engine = Literal["auto", "cpsat"]


@dataclass(frozen=True)
class Result:
    """A solved week: the chosen pairs with an honest report of the solve.

    ``proposal()`` turns it into the proposal/v1 document; a simulation that needs only the
    pairs never pays for the explanations.
    """

    prepared: Prepared
    solution: Solution
    started: float = field(default_factory=time.perf_counter)  # perf_counter when the work began

    @property
    def instance(self) -> Instance:
        return self.prepared.instance

    @property
    def status(self) -> str:
        return self.solution.status

    @property
    def tier_values(self) -> list[int]:
        return list(self.solution.tier_values)

    def pairs(self) -> list[tuple[str, str]]:
        """The chosen (household_id, unit_id) pairs, in household order."""
        h, u = self.prepared.households.ids, self.prepared.units.ids
        return [(h[a], u[b]) for a, b in zip(self.solution.household.tolist(), self.solution.unit.tolist(), strict=True)]

    def proposal(self, lang: str | None = None, what_it_would_take: bool = False) -> Proposal:
        """The proposal document, its wall time counted from ``started``.

        With ``what_it_would_take`` every unmatched household also gets the smallest single
        change that places it, verified by re-solving (slower)."""
        return build_proposal(self.prepared, self.solution, time.perf_counter() - self.started, lang, what_it_would_take)


def solve(instance: Instance, strategy: str = "optimise", *, engine: Engine = "auto", started: float | None = None) -> Result:
    """Solve one week: the lexicographically optimal proposal, or the FIFO baseline.

    Raises :class:`matcher.errors.InputError` for fixed pairs that break a rule (A5).
    ``engine="cpsat"`` sends every part to CP-SAT (an independent check of the flow solver).
    ``started`` is when the caller began (e.g. before reading the files), for the proposal's
    wall time; by default, now.
    """
    if strategy not in STRATEGIES:
        raise InputError.single("strategy", f"unknown strategy {strategy!r}; expected optimise or fifo")
    begin = time.perf_counter() if started is None else started
    prep = prepare(instance)
    solution = fifo(prep) if strategy == "fifo" else optimise(prep, engine)
    return Result(prep, solution, begin)


def solve_encoded(week: EncodedWeek, strategy: str = "optimise") -> Result:
    """:func:`solve` for a week already encoded (a simulation's): the same pairs, no proposal document."""
    if strategy not in STRATEGIES:
        raise InputError.single("strategy", f"unknown strategy {strategy!r}; expected optimise or fifo")
    begin = time.perf_counter()
    prep = prepare_encoded(week)
    solution = fifo(prep) if strategy == "fifo" else optimise(prep)
    return Result(prep, solution, begin)


def check_instance(instance: Instance) -> int:
    """What only the whole instance reveals: the fixed pairs against every rule (A5).

    Raises :class:`matcher.errors.InputError` like :func:`solve`; returns the number of
    eligible pairs (E1-E9), counted on the profiles without listing them."""
    return prepare(instance).n_pairs


def propose(
    instance: Instance,
    strategy: str = "optimise",
    *,
    lang: str | None = None,
    what_it_would_take: bool = False,
    started: float | None = None,
) -> Proposal:
    """Solve and explain: the proposal/v1 document for one week."""
    return solve(instance, strategy, started=started).proposal(lang, what_it_would_take)
