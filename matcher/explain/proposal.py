"""The proposal document (proposal/v1): matches, unmatched households, unused units, KPIs.

The document is built as plain JSON values in a fixed order, so that the same input and
seed give byte-identical output apart from ``solver.wall_time_s``.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from matcher import __version__
from matcher.explain.alternatives import alternatives
from matcher.explain.counterfactual import Verifier, render_counterfactual
from matcher.explain.lookahead import lookahead_section
from matcher.explain.mismatch import mismatch_report
from matcher.explain.reasons import UNIT_TYPE_WORDS, Explainer, tier_difference_words
from matcher.explain.regional import regional_section
from matcher.explain.spreading import half_year_section
from matcher.model import Prepared, Solution
from matcher.model.network import forced_differences
from matcher.model.terms import term_values

FORMAT = "proposal/v1"


def _absent(value: object) -> bool:
    """An optional field left out of the document rather than written as null."""
    return value is None


log = logging.getLogger(__name__)


class TierReport(BaseModel):
    model_config = ConfigDict(frozen=True)
    value: int
    bound: int | None


class SolverReport(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    version: str
    seed: int
    wall_time_s: float
    tiers: list[TierReport]
    method: str
    components: int
    cpsat_components: int
    build_s: float
    solve_s: float
    previous_pairs_kept: int | None = None


class Match(BaseModel):
    household_id: str
    unit_id: str
    persons: int
    terms: dict[str, int]
    explanation: str
    neighbourhood: str
    fixed: bool
    alternatives: dict[str, Any]
    # the temporary place a move-on household leaves; only on such matches, as the format says
    move_on_from: str | None = Field(default=None, exclude_if=_absent)


class Unmatched(BaseModel):
    household_id: str
    reason: str
    explanation: str
    details: dict[str, Any]


class Unused(BaseModel):
    unit_id: str
    reason: str
    explanation: str
    details: dict[str, Any]


class Kpis(BaseModel):
    placed_households: int
    placed_persons: int
    overdue_placed: int
    temporary_placements: int
    by_neighbourhood: dict[str, int]
    move_on_placed: int = 0


class Proposal(BaseModel):
    """The answer of one run, as the spec's proposal.json (with compatible extra fields)."""

    format: str = FORMAT
    planning_date: str
    status: str
    input_sha256: str
    solver: SolverReport
    matches: list[Match]
    unmatched_households: list[Unmatched]
    unused_units: list[Unused]
    kpis: Kpis
    mismatch: list[dict[str, Any]]
    lang: str  # language of the explanations
    # Optional sections appear only in proposals whose policy asks for them, so others stay as they were.
    lookahead: dict[str, Any] | None = Field(default=None, exclude_if=_absent)  # the fluid model of the week
    regional_balance: dict[str, Any] | None = Field(default=None, exclude_if=_absent)  # per municipality, regional run
    half_year_caps: list[dict[str, Any]] | None = Field(default=None, exclude_if=_absent)  # per wijk with such a cap

    def to_json(self) -> str:
        """The document as written to proposal.json: two-space indents, UTF-8 as is, a final newline.

        Pydantic's own serialiser writes the same bytes as ``json.dumps(..., indent=2,
        ensure_ascii=False)`` at a third of the time on a national week."""
        return self.model_dump_json(indent=2) + "\n"


def _solver_name(method: str) -> str:
    """The library that solved: OR-Tools for every proven method (its min-cost flow and
    CP-SAT); the FIFO baseline is this package's own loop and names it."""
    return "statushouder-matcher" if method == "fifo" else "or-tools"


def _ortools_version() -> str:
    """The package's own attribute: reading the installed metadata instead costs ~20 ms per process."""
    import ortools

    return str(ortools.__version__)  # type: ignore[attr-defined]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the proposal is assembled (and, in the
    command line, for the whole proposal: reading, solving, assembling).

    Assembling allocates a hundred thousand small dicts and lists that all stay alive
    until the proposal is returned; the collector would scan them again and again for
    nothing (about a third of the time on 2,000 x 500). Reference counting still frees
    what is dropped. The collector is switched back on only if it was on before.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_proposal(
    prep: Prepared, solution: Solution, wall_time_s: float, lang: str | None = None, what_it_would_take: bool = False
) -> Proposal:
    """Assemble the proposal document from a solution.

    With ``what_it_would_take`` every unmatched household also gets the smallest single
    change that would place it, verified by re-solving (see ``matcher.explain.counterfactual``);
    that costs a few re-solves per household, so it is asked for, not done by default.
    """
    with collector_paused():
        return _assemble(prep, solution, wall_time_s, lang, what_it_would_take)


def _assemble(prep: Prepared, solution: Solution, wall_time_s: float, lang: str | None, what_it_would_take: bool) -> Proposal:
    instance, h, u = prep.instance, prep.households, prep.units
    policy = instance.policy
    lang = lang or policy.lang
    hh, uu = solution.household, solution.unit
    explainer = Explainer(prep, hh, uu)
    terms = {t: term_values(t, hh, uu, h, u, policy, prep.preferred) for t in policy.terms_used}
    overdue = h.waiting_days[hh] > 7 * policy.deadline_weeks
    n_units = max(len(u.ids), 1)
    fixed = np.isin(hh * n_units + uu, prep.fixed_household * n_units + prep.fixed_unit)
    unit_frame = instance.units
    unit_types = [str(t) for t in unit_frame["unit_type"].tolist()]
    matches: list[Match] = []
    others = alternatives(prep, hh, uu, explainer.value_table())
    current_unit = [str(x or "") for x in instance.households["current_unit_id"].tolist()]
    # Every per-match number read once as a list: item access on numpy arrays is slow in a loop.
    term_columns = [(t, v.tolist()) for t, v in terms.items()]
    columns = zip(
        hh.tolist(), uu.tolist(), h.persons[hh].tolist(), h.waiting_days[hh].tolist(), overdue.tolist(),
        u.neighbourhood[uu].tolist(), u.temporary[uu].tolist(), u.shared[uu].tolist(), fixed.tolist(), others,
        strict=True,
    )  # fmt: skip
    for k, (hi, ui, persons, waiting, late, nbh_code, temporary, shared, was_fixed, other) in enumerate(columns):
        nbh = prep.codes.neighbourhoods[nbh_code]
        matches.append(
            Match(
                household_id=h.ids[hi],
                unit_id=u.ids[ui],
                persons=persons,
                terms={t: values[k] for t, values in term_columns},
                explanation=_match_sentence(
                    h.ids[hi],
                    u.ids[ui],
                    persons,
                    waiting,
                    late,
                    unit_types[ui],
                    nbh,
                    temporary,
                    shared,
                    was_fixed,
                    lang,
                    policy.deadline_weeks,
                    current_unit[hi],
                )
                + _alternatives_sentence(other, lang, explainer.dutch_differences),
                neighbourhood=nbh,
                fixed=was_fixed,
                alternatives=other,
                move_on_from=current_unit[hi] or None,
            )
        )
    matches.sort(key=lambda m: (m.household_id, m.unit_id))
    look = lookahead_section(prep, solution, lang)
    changed = {c["household_id"]: c["explanation"] for c in (look or {}).get("changed", []) if c["household_id"]}
    passed_over = {c["without_lookahead"]: c["explanation"] for c in (look or {}).get("changed", []) if c["without_lookahead"]}
    for m in matches:
        if m.household_id in changed:
            m.explanation += " " + changed[m.household_id]

    unmatched: list[Unmatched] = []
    unplaced = np.flatnonzero(~explainer.placed_h)
    explainer.prefetch_rule_details(unplaced[explainer.n_eligible_h[unplaced] == 0].tolist())
    reasons = explainer.household_reasons(unplaced)
    outranked = [hi for hi, (reason, _) in reasons.items() if reason == "outranked"]
    forced = forced_differences(solution.flow_state) if solution.flow_state is not None and outranked else {}
    for hi, taken in explainer.units_taken(outranked).items():
        details = reasons[hi][1]
        details["units_taken"] = taken
        difference = forced.get(hi)
        if difference is not None:
            details["forced_tier_difference"] = difference
    if what_it_would_take and solution.method != "fifo":
        verifier = Verifier(prep, solution)  # a few re-solves per household: only when asked for
        for hi, (_, details) in reasons.items():
            details["what_it_would_take"] = verifier.find(hi)
            details["changes_tried"], details["all_changes_tried"] = verifier.searched[hi]
        log.info("what it would take for %d households: %d re-solves", len(reasons), verifier.resolves)
    for hi, (reason, details) in reasons.items():
        unmatched.append(
            Unmatched(
                household_id=h.ids[hi],
                reason=reason,
                explanation=explainer.household_sentence(int(hi), reason, details, lang)
                + (f" {_take_sentence(details, lang)}" if "what_it_would_take" in details else "")
                + (f" {passed_over[h.ids[hi]]}" if h.ids[hi] in passed_over else ""),
                details=details,
            )
        )
    unused: list[Unused] = []
    idle = np.flatnonzero(~explainer.used_u)
    explainer.prefetch_unit_rule_counts(idle[u.available[idle] & (explainer.n_eligible_u[idle] == 0)].tolist())
    for ui in idle.tolist():
        reason, details = explainer.unit_reason(int(ui))
        unused.append(
            Unused(
                unit_id=u.ids[ui],
                reason=reason,
                explanation=explainer.unit_sentence(int(ui), reason, details, lang),
                details=details,
            )
        )
    by_nbh = {name: 0 for name in sorted(set(unit_frame["neighbourhood"].tolist()))}
    for m in matches:
        by_nbh[m.neighbourhood] += 1
    kpis = Kpis(
        placed_households=len(matches),
        placed_persons=int(h.persons[hh].sum()),
        overdue_placed=int(overdue.sum()),
        temporary_placements=int(u.temporary[uu].sum()),
        by_neighbourhood=by_nbh,
        move_on_placed=sum(1 for m in matches if m.move_on_from is not None),
    )
    munis = prep.codes.municipalities
    solver = SolverReport(
        name=_solver_name(solution.method),
        version=__version__ if solution.method == "fifo" else _ortools_version(),
        seed=policy.seed,
        wall_time_s=round(wall_time_s, 3),
        tiers=[TierReport(value=v, bound=b) for v, b in zip(solution.tier_values, solution.tier_bounds, strict=True)],
        method=solution.method,
        components=solution.components,
        cpsat_components=solution.cpsat_components,
        build_s=round(solution.build_s, 3),
        solve_s=round(solution.solve_s, 3),
        previous_pairs_kept=solution.kept_previous,
    )
    return Proposal(
        planning_date=policy.planning_date.isoformat(),
        status=solution.status,
        input_sha256=instance.input_sha256,
        solver=solver,
        matches=matches,
        unmatched_households=unmatched,
        unused_units=unused,
        kpis=kpis,
        mismatch=mismatch_report(prep, hh, lang),
        lang=lang,
        lookahead=look,
        regional_balance=regional_section(
            policy,
            [str(m) for m in instance.households["municipality"].tolist()],
            zip([str(m) for m in unit_frame["municipality"].tolist()], u.available.tolist(), strict=True),
            [
                (munis[int(h.municipality[a])], munis[int(u.municipality[b])], int(h.persons[a]))
                for a, b in zip(hh.tolist(), uu.tolist(), strict=True)
            ],
            lang,
        ),
        half_year_caps=half_year_section(policy, by_nbh, lang),
    )


def _take_sentence(details: dict[str, Any], lang: str) -> str:
    return render_counterfactual(details["what_it_would_take"], lang, details["changes_tried"], details["all_changes_tried"])


def _match_sentence(
    household_id: str, unit_id: str, persons: int, waiting: int, overdue: bool, unit_type: str,
    neighbourhood: str, temporary: bool, shared: bool, fixed: bool, lang: str, deadline_weeks: int, move_on_from: str = "",
) -> str:  # fmt: skip
    kind = UNIT_TYPE_WORDS[lang][unit_type]
    if lang == "nl":
        text = f"{household_id} ({persons} {'persoon' if persons == 1 else 'personen'}, {waiting} dagen gekoppeld"
        text += f", over de {deadline_weeks}-wekentermijn)" if overdue else ")"
        place = f"een plek in een gedeelde {kind}" if shared else f"een {kind}"
        text += f" krijgt {unit_id}, {place}{' (tijdelijk)' if temporary else ''} in {neighbourhood}."
        if move_on_from:
            text += f" Het huishouden verhuist door vanuit {move_on_from}."
        if fixed:
            text += " Deze koppeling is eerder door de WBB vastgelegd."
        return text
    text = f"{household_id} ({persons} {'person' if persons == 1 else 'persons'}, linked {waiting} days ago"
    text += f", past the {deadline_weeks}-week term)" if overdue else ")"
    place = f"a place in a shared {kind}" if shared else f"a {kind}"
    text += f" gets {unit_id}, {place}{' (temporary)' if temporary else ''} in {neighbourhood}."
    if move_on_from:
        text += f" The household moves on from {move_on_from}."
    if fixed:
        text += " The WBB fixed this pair earlier."
    return text


def _alternatives_sentence(item: dict[str, Any], lang: str, dutch: Callable[[Sequence[int]], str]) -> str:
    """Why this one, in one sentence: the next-best unit and household, and the difference per tier
    (in Dutch in words by ``dutch``, ``tier_difference_nl`` for the policy: "zou 36 wachtdagen minder opleveren")."""
    unit, household = item["next_best_unit"], item["next_best_household"]
    nl = lang == "nl"
    parts = []
    if unit is not None:
        taken = ", ".join(unit["taken_by"])
        parts.append(
            (
                f"Volgende keus voor dit huishouden: {unit['unit_id']}"
                if nl
                else f"Next-best unit for this household: {unit['unit_id']}"
            )
            + (f" ({'ging naar' if nl else 'went to'} {taken})" if taken else "")
            + (
                f", {dutch(unit['tier_difference'])}"
                if nl
                else f", difference per tier {tier_difference_words(unit['tier_difference'])}"
            )
        )
    if household is not None:
        placed = household["placed_in"]
        parts.append(
            (f"volgende kandidaat voor deze woning: {household['household_id']}" if nl
             else f"next-best household for this unit: {household['household_id']}")
            + (f" ({'kreeg' if nl else 'got'} {placed})" if placed else "")
            + (f", {dutch(household['tier_difference'])}" if nl
               else f", difference {tier_difference_words(household['tier_difference'])}")
        )  # fmt: skip
    if not parts:
        return " Er was geen alternatief." if nl else " There was no alternative."
    text = "; ".join(parts)
    return " " + text[0].upper() + text[1:] + "."
