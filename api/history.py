"""The history of the runs: every run stays readable, and two runs can be compared pair by pair.

A later run differs from an earlier one in three kinds of pairs: new (only in the later
run), kept (in both) and gone (only in the earlier run). Why a pair is gone is read from
what the service stored, never guessed: the decisions taken before the later run started,
the two runs' input snapshots (which households and units were in the pool, with which
fields, and the pairs the policy excluded or fixed) and their proposals. The first reason
that applies, in this order, is given:

``declined``
    the WBB declined this pair (the decision is attached);
``offer_refused``
    the WBB accepted the pair, and the household refused the offered home (an
    ``offer_refused`` event): the pair is excluded from later runs;
``housed``
    the household is no longer in the pool because the WBB accepted a pair for it (the
    home is offered, or it moved in);
``household_left``
    the household is no longer in the pool for another reason (a ``left`` event, or removed);
``unit_let``
    the unit is no longer on offer (or a shared unit has too few free beds) because it
    was let: an accepted pair for it, or its state;
``unit_withdrawn``
    the unit is no longer on offer for another reason (withdrawn, removed);
``excluded``
    the later run's policy excludes the pair (``excluded_pairs``) without a decline;
``pinned_elsewhere``
    the household, or the (not shared) unit, is pinned to another pair in the later run;
``household_changed``, ``unit_changed``
    both are still in the pool, but the household's (or else the unit's) fields differ
    between the two inputs; ``changed`` names them (a shared unit's beds taken by accepted
    households do not count as a change);
``outranked``
    both are still in the pool, unchanged, and the pair is allowed: under the policy's
    priorities the engine now gives the household another home or none (others come first).

For the viewer role a household's ``vulnerabilities`` are not compared and never named: a
pair whose household changed only there is reported as ``outranked``, so a reason never
tells a viewer that a household's health or sexual-orientation needs changed.

A new pair says why as well: ``new_household`` or ``new_unit`` (not in the earlier input),
``pinned`` (fixed in the later run, not in the earlier), ``unit_available`` (the earlier
proposal left the unit unused because it was not available yet on that planning date),
``reassigned`` (the household had another home earlier) or ``was_unmatched`` (it had none).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.auth import Caller
from api.history_schemas import DiffCounts, DiffDecision, GonePair, GoneReason, KeptPair, NewPair, NewReason, RunDiff
from api.models import CaseEvent, Decision, Run, RunPair, Unit
from api.redaction import sees_special_categories

Pair = tuple[str, str]

HIDDEN_HOUSEHOLD_FIELDS = frozenset({"vulnerabilities"})
"""Household fields the viewer role does not see: not compared, not named, for that role."""

DIFF_WITHHELD = [
    "gone[].changed: vulnerabilities",
    "gone[].reason: a household that changed only in its vulnerabilities is reported as outranked",
]
LET_STATES = ("let", "offered")


def planning_date_of(policy: dict[str, Any] | None) -> dt.date | None:
    """The planning date a run was computed for, from its stored policy."""
    value = (policy or {}).get("planning_date")
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _pair_set(value: Any) -> set[Pair]:
    if not isinstance(value, list):
        return set()
    return {(str(p[0]), str(p[1])) for p in value if isinstance(p, list | tuple) and len(p) == 2}


@dataclass(frozen=True)
class RunSide:
    """What one finished run held: its pairs, its input and the unmatched reasons of its proposal."""

    run: Run
    pairs: dict[str, tuple[str, int, bool]]  # household -> (unit, persons, fixed)
    households: dict[str, dict[str, Any]]
    units: dict[str, dict[str, Any]]
    unmatched: dict[str, str]  # household -> reason code
    unused: dict[str, str]  # unit -> reason code
    excluded: set[Pair]
    fixed: set[Pair]

    @classmethod
    def load(cls, session: Session, run: Run) -> RunSide:
        pairs = {
            p.household_id: (p.unit_id, p.persons, p.fixed)
            for p in session.scalars(select(RunPair).where(RunPair.run_id == run.id))
        }
        snapshot = run.snapshot or {}
        try:
            document = json.loads(run.proposal_json or "{}")
        except ValueError:
            document = {}
        unmatched = {
            str(u.get("household_id")): str(u.get("reason"))
            for u in (document.get("unmatched_households") or [])
            if isinstance(u, dict)
        }
        unused = {
            str(u.get("unit_id")): str(u.get("reason")) for u in (document.get("unused_units") or []) if isinstance(u, dict)
        }
        policy = run.policy or {}
        return cls(
            run=run,
            pairs=pairs,
            households={h["household_id"]: h for h in snapshot.get("households", []) if isinstance(h, dict)},
            units={u["unit_id"]: u for u in snapshot.get("units", []) if isinstance(u, dict)},
            unmatched=unmatched,
            unused=unused,
            excluded=_pair_set(policy.get("excluded_pairs")),
            fixed=_pair_set(policy.get("fixed_pairs")),
        )

    def neighbourhood(self, unit_id: str) -> str | None:
        value = self.units.get(unit_id, {}).get("neighbourhood")
        return None if value is None else str(value)


Place = tuple[str, str]  # (municipality, id): ids are unique only within a municipality


@dataclass
class Decided:
    """The accepts and declines taken before the later run, by pair, household and unit, each
    with its municipality."""

    declined: dict[tuple[str, str, str, str], Decision]
    accepted_household: dict[Place, Decision]
    accepted_unit: dict[Place, Decision]
    refused: set[tuple[str, str, str, str]]  # offers the household refused (events)
    left: set[Place]  # households that left (events) before the later run

    @classmethod
    def load(cls, session: Session, caller: Caller, before: Run, households: set[str], units: set[str]) -> Decided:
        found = cls({}, {}, {}, set(), set())
        if not households and not units:
            return found
        events = select(CaseEvent).where(
            CaseEvent.kind.in_(("offer_refused", "left")),
            CaseEvent.created_at <= before.created_at,
            CaseEvent.household_id.in_(sorted(households)),
        )
        if caller.municipality is not None:
            events = events.where(CaseEvent.municipality == caller.municipality)
        for e in session.scalars(events):
            if e.kind == "left":
                found.left.add((e.municipality, e.household_id))
            elif e.unit_id is not None and e.unit_municipality is not None:
                found.refused.add((e.municipality, e.household_id, e.unit_municipality, e.unit_id))
        before_run = before.id
        query = select(Decision).where(
            Decision.run_id < before_run,
            Decision.kind.in_(("accept", "decline")),
            or_(Decision.household_id.in_(sorted(households)), Decision.unit_id.in_(sorted(units))),
        )
        if caller.municipality is not None:
            query = query.where(Decision.municipality == caller.municipality)
        for d in session.scalars(query.order_by(Decision.id)):  # the newest one of each kind wins
            if d.kind == "decline":
                found.declined[(d.municipality, d.household_id, d.unit_municipality, d.unit_id)] = d
            else:
                found.accepted_household[(d.municipality, d.household_id)] = d
                found.accepted_unit[(d.unit_municipality, d.unit_id)] = d
        return found


def _changed(before: dict[str, Any] | None, after: dict[str, Any] | None, hidden: Iterable[str] = ()) -> list[str]:
    if before is None or after is None:
        return []
    skip = set(hidden)
    return sorted(k for k in set(before) | set(after) if k not in skip and before.get(k) != after.get(k))


def _decision(decision: Decision | None) -> DiffDecision | None:
    if decision is None:
        return None
    return DiffDecision(
        id=decision.id,
        run_id=decision.run_id,
        kind=decision.kind,
        reason=decision.reason,
        decided_by=decision.decided_by,
        created_at=decision.created_at,
        housed_on=decision.housed_on,
    )


def _gone_reason(
    session: Session, household: str, unit: str, persons: int, earlier: RunSide, later: RunSide, decided: Decided, full: bool
) -> tuple[GoneReason, list[str], Decision | None]:
    household_place: Place = (str(earlier.households.get(household, {}).get("municipality")), household)
    unit_place: Place = (str(earlier.units.get(unit, {}).get("municipality")), unit)
    declined = decided.declined.get((*household_place, *unit_place))
    if declined is not None:
        return "declined", [], declined
    if household not in later.households:
        accepted = decided.accepted_household.get(household_place)
        if accepted is None or household_place in decided.left:
            return "household_left", [], None
        return "housed", [], accepted
    unit_row = later.units.get(unit)
    free_beds = unit_row.get("beds") if unit_row is not None and unit_row.get("shared") else None
    if unit_row is None or (isinstance(free_beds, int) and free_beds < persons):
        accepted = decided.accepted_unit.get(unit_place)
        stored = session.get(Unit, (unit, unit_place[0]))
        if accepted is not None or (stored is not None and stored.status in LET_STATES) or unit_row is not None:
            return "unit_let", [], accepted
        return "unit_withdrawn", [], None
    if (household, unit) in later.excluded:
        if (*household_place, *unit_place) in decided.refused:
            return "offer_refused", [], decided.accepted_household.get(household_place)
        return "excluded", [], None
    shared = bool(unit_row.get("shared"))
    if any(h == household or (u == unit and not shared) for h, u in later.fixed):
        return "pinned_elsewhere", [], None
    hidden = () if full else HIDDEN_HOUSEHOLD_FIELDS
    changed = _changed(earlier.households.get(household), later.households.get(household), hidden)
    if changed:
        return "household_changed", changed, None
    # Beds of a shared unit taken by accepted households are not a change of the unit itself.
    taken = shared and unit_place in decided.accepted_unit
    changed = _changed(earlier.units.get(unit), unit_row, ("beds",) if taken else ())
    if changed:
        return "unit_changed", changed, None
    return "outranked", [], None


def _new_reason(household: str, unit: str, earlier: RunSide, later: RunSide) -> NewReason:
    if household not in earlier.households:
        return "new_household"
    if unit not in earlier.units:
        return "new_unit"
    if (household, unit) in later.fixed and (household, unit) not in earlier.fixed:
        return "pinned"
    if earlier.unused.get(unit) == "not_available_yet":
        return "unit_available"
    if household in earlier.pairs:
        return "reassigned"
    return "was_unmatched"


def compare(session: Session, caller: Caller, later_run: Run, earlier_run: Run) -> RunDiff:
    """The pairs of ``later_run`` against those of ``earlier_run`` (both finished, same scope)."""
    earlier, later = RunSide.load(session, earlier_run), RunSide.load(session, later_run)
    full = sees_special_categories(caller)
    before = {(h, u) for h, (u, _, _) in earlier.pairs.items()}
    after = {(h, u) for h, (u, _, _) in later.pairs.items()}
    gone_pairs = sorted(before - after)
    decided = Decided.load(session, caller, later_run, {h for h, _ in gone_pairs}, {u for _, u in gone_pairs})

    kept: list[KeptPair] = []
    new: list[NewPair] = []
    for household, unit in sorted(after):
        _, persons, fixed = later.pairs[household]
        common = {"household_id": household, "unit_id": unit, "persons": persons, "neighbourhood": later.neighbourhood(unit)}
        if (household, unit) in before:
            kept.append(KeptPair(**common, fixed=fixed))
            continue
        why = _new_reason(household, unit, earlier, later)
        new.append(
            NewPair(
                **common,
                fixed=fixed,
                reason=why,
                before_unit_id=earlier.pairs[household][0] if why == "reassigned" else None,
                before_unmatched_reason=earlier.unmatched.get(household) if why == "was_unmatched" else None,
            )
        )
    gone: list[GonePair] = []
    for household, unit in gone_pairs:
        persons = earlier.pairs[household][1]
        reason, changed, decision = _gone_reason(session, household, unit, persons, earlier, later, decided, full)
        in_later_pool = household in later.households
        gone.append(
            GonePair(
                household_id=household,
                unit_id=unit,
                persons=persons,
                neighbourhood=earlier.neighbourhood(unit),
                reason=reason,
                changed=changed,
                decision=_decision(decision),
                now_unit_id=later.pairs[household][0] if household in later.pairs else None,
                now_unmatched_reason=later.unmatched.get(household) if in_later_pool else None,
            )
        )
    return RunDiff(
        run_id=later_run.id,
        against=earlier_run.id,
        planning_date=planning_date_of(later_run.policy),
        against_planning_date=planning_date_of(earlier_run.policy),
        counts=DiffCounts(
            new=len(new),
            kept=len(kept),
            gone=len(gone),
            new_by_reason=dict(sorted(Counter(p.reason for p in new).items())),
            gone_by_reason=dict(sorted(Counter(p.reason for p in gone).items())),
        ),
        new=new,
        kept=kept,
        gone=gone,
        withheld=None if full else list(DIFF_WITHHELD),
    )
