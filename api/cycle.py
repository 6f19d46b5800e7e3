"""The weekly cycle: what a new run starts from, and what a decision changes.

- An accepted pair leaves the pool: the household is ``offered`` and the unit is held for
  it (in a shared place: its beds) until the household moves in, refuses, or the accept is
  reopened (``api.cases``; the events are recorded on the household).
- A declined pair, and a refused offer, is excluded from every later run (``excluded_pairs``).
- Households living in a temporary place whose stay ends soon, or in a home that has
  become too small, are in the pool as move-on candidates (with ``current_unit_id``).
- A pinned pair is fixed in every later run (``fixed_pairs``) until it is declined or
  its household or unit leaves the pool.
- The pairs of the last finished run are passed on (``previous_pairs``), so a new run
  changes as few of them as the policy allows (stable re-solve).
- A policy that looks ahead (the ``lookahead`` term) without a forecast of its own gets
  one from the households and homes of recent weeks (``api.forecast``).

``policy_with_decisions`` is the one place that turns decisions into policy fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth import Caller, require_named
from api.cases import HOME_STATES, change, in_pool_state, pool_households, refused_pairs
from api.errors import ApiError, not_found
from api.forecast import with_forecast
from api.models import Decision, Household, Run, RunPair, Unit, utcnow
from api.pool import household_row, unit_row
from api.schemas import DecisionCreate
from api.scoped import get_visible
from api.spreading import with_half_year_placed
from matcher.case import Accepted
from matcher.input.policy import parse_policy

Pair = tuple[str, str]
# A decided pair as stored: (household's municipality, household id, unit's municipality, unit id).
# Ids are unique only within a municipality, so a pair is matched with its municipalities.
DecidedPair = tuple[str, str, str, str]


def latest_done_id(session: Session, scope: str | None) -> int | None:
    query = select(func.max(Run.id)).where(Run.status == "done")
    query = query.where(Run.scope.is_(None)) if scope is None else query.where(Run.scope == scope)
    value = session.scalar(query)
    return None if value is None else int(value)


def _pairs(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


PAIR_COLUMNS = (Decision.municipality, Decision.household_id, Decision.unit_municipality, Decision.unit_id)


def active_pins(session: Session) -> set[DecidedPair]:
    """Pinned pairs not declined later."""
    pins: dict[DecidedPair, int] = {}
    declined: dict[DecidedPair, int] = {}
    for kind, decision_id, *pair in session.execute(
        select(Decision.kind, Decision.id, *PAIR_COLUMNS).where(Decision.kind.in_(("pin", "decline")))
    ):
        target = pins if kind == "pin" else declined
        key: DecidedPair = (pair[0], pair[1], pair[2], pair[3])
        target[key] = max(target.get(key, 0), decision_id)
    return {pair for pair, at in pins.items() if declined.get(pair, 0) < at}


def declined_pairs(session: Session) -> set[DecidedPair]:
    """Pairs never proposed again: declined in a decision, or an offer refused by the household."""
    declined = {(a, b, c, d) for a, b, c, d in session.execute(select(*PAIR_COLUMNS).where(Decision.kind == "decline"))}
    return declined | refused_pairs(session)


def pool_row(h: Household) -> dict[str, Any]:
    """A household as the engine reads it; a move-on candidate names the place it lives in."""
    row = household_row(h)
    if h.status in HOME_STATES and h.current_unit_id:
        row["current_unit_id"] = h.current_unit_id
    return row


def snapshot(session: Session, scope: str | None, raw_policy: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The input of a new run: the waiting households and available units, and the policy
    with the pairs the decisions imply. Returns the snapshot and the policy as stored."""
    parsed = parse_policy(raw_policy, "policy")
    unit_query = select(Unit).where(Unit.status == "available").order_by(Unit.unit_id)
    if scope is not None:
        unit_query = unit_query.where(Unit.municipality == scope)
    households = [pool_row(h) for h in pool_households(session, scope, parsed.planning_date, parsed.move_on_horizon_weeks)]
    units = [unit_row(u) for u in session.scalars(unit_query)]
    raw_policy = with_forecast(session, scope, raw_policy, parsed.planning_date)
    raw_policy = with_half_year_placed(session, raw_policy, parsed.planning_date)
    policy = policy_with_decisions(session, scope, raw_policy, households, units)
    return {"households": households, "units": units, "policy": policy}, policy


def policy_with_decisions(
    session: Session,
    scope: str | None,
    raw_policy: dict[str, Any],
    households: list[dict[str, Any]],
    units: list[dict[str, Any]],
) -> dict[str, Any]:
    """The policy a new run is solved with: ``raw_policy`` as sent, plus what the decisions imply.

    The planning date defaults to today. Declined pairs are added to ``excluded_pairs`` and
    active pins to ``fixed_pairs``, after the pairs the policy names itself. Unless the
    policy sets ``previous_pairs`` itself, it gets the pairs of the last finished run over
    ``scope`` that are neither fixed nor excluded. Only pairs whose household and unit are
    both in the pool (``households`` and ``units``, rows as the snapshot holds them) are
    added; decided pairs are matched with their municipalities, since ids are unique only
    within one. A pair field of the wrong type is left as sent, for the engine to report."""
    household_ids = {h["household_id"] for h in households}
    unit_ids = {u["unit_id"] for u in units}
    household_keys = {(h["municipality"], h["household_id"]) for h in households}
    unit_keys = {(u["municipality"], u["unit_id"]) for u in units}

    def in_pool(pair: Pair) -> bool:
        return pair[0] in household_ids and pair[1] in unit_ids

    def decided_in_pool(pairs: set[DecidedPair]) -> list[Pair]:
        return sorted((h, u) for hm, h, um, u in pairs if (hm, h) in household_keys and (um, u) in unit_keys)

    policy = dict(raw_policy)
    policy.setdefault("planning_date", dt.date.today().isoformat())
    declined = decided_in_pool(declined_pairs(session))
    pinned = decided_in_pool(active_pins(session))
    if declined and (policy.get("excluded_pairs") is None or isinstance(policy.get("excluded_pairs"), list)):
        given = _pairs(policy.get("excluded_pairs"))
        policy["excluded_pairs"] = given + [list(p) for p in declined if list(p) not in given]
    if pinned and (policy.get("fixed_pairs") is None or isinstance(policy.get("fixed_pairs"), list)):
        given = _pairs(policy.get("fixed_pairs"))
        policy["fixed_pairs"] = given + [list(p) for p in pinned if list(p) not in given]
    if "previous_pairs" not in policy:
        last = latest_done_id(session, scope)
        if last is not None:
            fixed = {tuple(p) for p in _pairs(policy.get("fixed_pairs")) if isinstance(p, list)}
            excluded = {tuple(p) for p in _pairs(policy.get("excluded_pairs")) if isinstance(p, list)}
            previous = [
                [h, u]
                for h, u in session.execute(select(RunPair.household_id, RunPair.unit_id).where(RunPair.run_id == last))
                if in_pool((h, u)) and (h, u) not in fixed and (h, u) not in excluded
            ]
            policy["previous_pairs"] = sorted(previous)
    return policy


def decide(session: Session, caller: Caller, run_id: int, body: DecisionCreate) -> Decision:
    """Record one decision, in the name of the caller's actor; 409 when it conflicts with
    what is already decided."""
    require_named(caller)
    run = get_visible(session, caller, Run, run_id, "Run")
    if body.kind == "decline" and body.reason is None:
        raise ApiError(422, "A decline needs a reason.", problems=[_field("reason", "required for a decline")])
    if body.kind != "decline" and body.reason is not None:
        raise ApiError(422, "Only a decline has a reason.", problems=[_field("reason", "only for a decline")])
    if body.kind != "accept" and body.housed_on is not None:
        raise ApiError(422, "Only an accept has a housing date.", problems=[_field("housed_on", "only for an accept")])
    if run.status != "done":
        raise ApiError(409, f"Run {run_id} has not finished; decisions are taken on a finished run.", code="run_not_done")
    if latest_done_id(session, run.scope) != run.id:
        raise ApiError(409, f"Run {run_id} is superseded by a newer run; decide on the newest run.", code="run_superseded")
    pair = session.get(RunPair, (run_id, body.household_id))
    if pair is None or pair.unit_id != body.unit_id:
        raise ApiError(409, "This pair is not in the run's proposal.", code="not_proposed")
    # Ids are unique within a run's input; the input says which municipality each belongs to.
    household_place = _municipality_in(run, "households", "household_id", body.household_id)
    unit_place = _municipality_in(run, "units", "unit_id", body.unit_id)
    household = (
        None if household_place is None else session.get(Household, (body.household_id, household_place), with_for_update=True)
    )
    unit = None if unit_place is None else session.get(Unit, (body.unit_id, unit_place), with_for_update=True)
    if household is None or not caller.sees(household.municipality):
        raise not_found(f"Household {body.household_id}")
    if unit is None or not caller.sees(unit.municipality):
        raise not_found(f"Unit {body.unit_id}")
    housed_on = (body.housed_on or dt.date.today()) if body.kind == "accept" else None
    if housed_on is not None and housed_on < household.koppeling_date:
        raise ApiError(
            422,
            "The housing date lies before the household's koppeling date.",
            problems=[_field("housed_on", "expected a date on or after the household's koppeling date")],
        )
    key: DecidedPair = (household.municipality, body.household_id, unit.municipality, body.unit_id)
    if not in_pool_state(household):
        raise ApiError(409, f"The household is {household.status}; only a household in the pool can be decided on.",
                       code=f"household_{household.status}")  # fmt: skip
    if key in declined_pairs(session):
        raise ApiError(409, "This pair was declined before; a declined pair stays declined.", code="pair_declined")
    if body.kind == "pin":
        if unit.status != "available":
            raise ApiError(409, f"The unit is {unit.status} already.", code=f"unit_{unit.status}")
        free = (unit.beds or 0) - unit.beds_taken - unit.beds_held
        if unit.shared and unit.beds is not None and pair.persons > free:
            raise ApiError(409, "The shared unit has too few free beds left.", code="unit_let")
        pins = active_pins(session)
        if key in pins:
            raise ApiError(409, "This pair is already pinned.", code="already_pinned")
        if any((hm, h) == key[:2] for hm, h, _, _ in pins):
            raise ApiError(409, "The household is already pinned to another unit.", code="household_pinned")
        if not unit.shared and any((um, u) == key[2:] for _, _, um, u in pins):
            raise ApiError(409, "The unit is already pinned to another household.", code="unit_pinned")
    decision = Decision(
        run_id=run_id,
        household_id=body.household_id,
        unit_id=body.unit_id,
        kind=body.kind,
        municipality=household.municipality,
        unit_municipality=unit.municipality,
        persons=pair.persons,
        housed_on=housed_on,
        reason=body.reason,
        created_at=utcnow(),
        created_by=caller.token_id,
        decided_by=caller.actor,
    )
    if body.kind == "accept":
        # The home is offered from the meeting's date (the run's planning date); the move is due within 14 days.
        meeting = dt.date.fromisoformat(str(run.policy.get("planning_date", dt.date.today().isoformat())))
        since = household.state_since or household.koppeling_date
        change(session, household, Accepted(max(meeting, since), body.unit_id), accepted=unit)
    session.add(decision)
    session.flush()
    return decision


def _municipality_in(run: Run, table: str, key: str, row_id: str) -> str | None:
    """The municipality of a household or unit in the run's input (its ids are unique there)."""
    rows = run.snapshot.get(table, []) if isinstance(run.snapshot, dict) else []
    found = {r.get("municipality") for r in rows if isinstance(r, dict) and r.get(key) == row_id}
    return str(found.pop()) if len(found) == 1 else None


def _field(column: str, message: str) -> Any:
    from api.errors import Problem

    return Problem(source="body", column=column, message=message)
