"""Request and response bodies: separate Create/Update/Public shapes per resource."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from api.dates import PlausibleDate

Role = Literal["viewer", "officer", "wbb", "admin", "corporation"]
ImportMode = Literal["upsert", "replace"]
Strategy = Literal["optimise", "fifo"]
Lang = Literal["nl", "en"]
StaffName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[^\W\d_][\w.' -]*$")]

HOUSEHOLD_EXAMPLE: dict[str, Any] = {
    "household_id": "H-0412",
    "municipality": "Nijmegen",
    "koppeling_date": "2024-11-18",
    "adults": 2,
    "children": 2,
    "gender": "F",
    "head_age": 34,
    "expected_reunification": 0,
    "documents_complete": True,
    "vulnerabilities": ["medical"],
    "preferred_neighbourhoods": ["Hatert"],
}
UNIT_EXAMPLE: dict[str, Any] = {
    "unit_id": "U-17",
    "municipality": "Nijmegen",
    "neighbourhood": "Hatert",
    "corporation": "Talis",
    "unit_type": "social",
    "bedrooms": 2,
    "min_occupants": 2,
    "max_occupants": 5,
    "rent": "612.50",
    "step_free": True,
    "available_from": "2025-03-01",
}
POLICY_EXAMPLE: dict[str, Any] = {"planning_date": "2025-03-03", "neighbourhood_caps": {"Hatert": 2}, "seed": 0}


class Page(BaseModel):
    total: int = Field(description="items that match, over all pages")
    limit: int
    offset: int


HouseholdState = Literal["waiting", "offered", "housed", "housed_temporary", "left"]
UnitStatus = Literal["available", "offered", "let", "withdrawn"]


class HouseholdPublic(BaseModel):
    """A household of the pool (pseudonymous), with its case: state and the places it holds."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [HOUSEHOLD_EXAMPLE | {"status": "waiting"}]})

    household_id: str
    municipality: str
    koppeling_date: dt.date
    adults: int
    children: int
    gender: str
    head_age: int
    expected_reunification: int
    expected_arrival_date: dt.date | None = Field(description="when the expected family members are due, if known")
    documents_complete: bool
    vulnerabilities: list[str] | None = Field(
        description="health and sexual-orientation needs (special category); null for the viewer role, which does not see them"
    )
    preferred_neighbourhoods: list[str]
    status: HouseholdState = Field(description="the state of the case")
    housed_on: dt.date | None = Field(description="the day it moved into the place it lives in")
    state_since: dt.date | None = Field(description="the day it entered its state (null: since the koppeling)")
    offered_unit_id: str | None = Field(description="offered: the home held for it")
    offered_on: dt.date | None = Field(description="offered: the meeting that accepted the pair; the move is due 14 days later")
    current_unit_id: str | None = Field(description="the place it lives in (housed, housed_temporary)")
    temporary_until: dt.date | None = Field(description="housed_temporary: the end of the stay")
    move_on: bool = Field(description="its home has become too small: it is a move-on candidate")
    previous_unit_id: str | None = Field(description="the place it moved on from, until its moved_out")
    documents_incomplete_since: dt.date | None
    documents_expected: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class HouseholdUpdate(BaseModel):
    """Fields to change; the id cannot change. Checked by the same rules as an import."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"children": 3, "documents_complete": True}]})

    municipality: str | None = None
    koppeling_date: dt.date | None = None
    adults: int | None = None
    children: int | None = None
    gender: str | None = None
    head_age: int | None = None
    expected_reunification: int | None = None
    expected_arrival_date: dt.date | None = None
    documents_complete: bool | None = None
    vulnerabilities: list[str] | None = None
    preferred_neighbourhoods: list[str] | None = None


class HouseholdList(Page):
    items: list[HouseholdPublic]


class UnitPublic(BaseModel):
    """An offered unit with its state; in a shared unit ``beds_taken`` counts persons living
    there and ``beds_held`` persons it is held for (offered, not moved in yet)."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [UNIT_EXAMPLE | {"status": "available"}]})

    unit_id: str
    municipality: str
    neighbourhood: str
    corporation: str
    unit_type: str
    temporary: bool
    shared: bool
    beds: int | None
    bedrooms: int
    min_occupants: int
    max_occupants: int
    rent: Decimal
    step_free: bool
    wheelchair: bool
    gender: str
    lgbtiq_safe: bool
    support: bool
    available_from: dt.date
    amv_home: bool | None = Field(description="an AMV home, kept for ex-AMV youngsters (rule B2); null for a viewer")
    stay_limit_weeks: int | None = Field(description="temporary place: how long a stay may last (a service column)")
    status: UnitStatus
    beds_taken: int
    beds_held: int
    created_at: dt.datetime
    updated_at: dt.datetime


class UnitUpdate(BaseModel):
    """Fields to change; the id cannot change. Checked by the same rules as an import."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"rent": "598.00", "available_from": "2025-03-10"}]}
    )

    municipality: str | None = None
    neighbourhood: str | None = None
    corporation: str | None = None
    unit_type: str | None = None
    temporary: bool | None = None
    shared: bool | None = None
    beds: int | None = None
    bedrooms: int | None = None
    min_occupants: int | None = None
    max_occupants: int | None = None
    rent: Decimal | None = None
    step_free: bool | None = None
    wheelchair: bool | None = None
    gender: str | None = None
    lgbtiq_safe: bool | None = None
    support: bool | None = None
    available_from: dt.date | None = None
    amv_home: bool | None = None
    stay_limit_weeks: int | None = None


class UnitList(Page):
    items: list[UnitPublic]


class HouseholdBatch(BaseModel):
    """Rows as in households.csv, one JSON object each (lists as arrays, booleans as booleans)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"rows": [HOUSEHOLD_EXAMPLE], "mode": "upsert"}]})

    rows: list[dict[str, Any]]
    mode: ImportMode = Field(
        default="upsert", description="upsert: add and update; replace: also remove waiting households not listed"
    )


class UnitBatch(BaseModel):
    """Rows as in units.csv, one JSON object each."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"rows": [UNIT_EXAMPLE], "mode": "upsert"}]})

    rows: list[dict[str, Any]]
    mode: ImportMode = Field(
        default="upsert", description="upsert: add and update; replace: also remove available units not listed"
    )


class ImportResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"created": 140, "updated": 10, "removed": 0, "total": 150}]})

    created: int
    updated: int
    removed: int
    kept: int = Field(
        default=0,
        description="rows left as they are: households whose case has moved on (offered, housed, left), units held or let",
    )
    total: int = Field(description="rows in the import")


class SolveRequest(BaseModel):
    """The interchange inputs as JSON: the same rows and policy as the CLI reads from files."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"households": [HOUSEHOLD_EXAMPLE], "units": [UNIT_EXAMPLE], "policy": POLICY_EXAMPLE}]},
    )

    households: list[dict[str, Any]]
    units: list[dict[str, Any]]
    policy: dict[str, Any] | None = None


class RunCreate(BaseModel):
    """A proposal run over the current pool (the token's municipality, or all)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"policy": POLICY_EXAMPLE, "strategy": "optimise"}]}
    )

    policy: dict[str, Any] = Field(
        default_factory=dict,
        description="policy.json fields; fixed_pairs and excluded_pairs are added from the decisions",
    )
    strategy: Strategy = "optimise"
    what_it_would_take: bool = Field(
        default=False, description="for every unmatched household, the smallest single change that places it (slower)"
    )


class RunPublic(BaseModel):
    """A run: job state, what it was computed from, and a summary of the result."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "status": "done",
                    "stage": "done",
                    "progress": 1.0,
                    "scope": None,
                    "strategy": "optimise",
                    "input_sha256": "3f2a…",
                    "current": True,
                    "superseded": False,
                    "planning_date": "2025-03-03",
                }
            ]
        },
    )

    id: int
    scope: str | None = Field(description="municipality of the pool the run covered; null: all")
    status: Literal["queued", "running", "done", "failed", "cancelled"] = Field(
        description="cancelled: the token that started it was revoked (or expired) before it was done; see error"
    )
    stage: str
    progress: float = Field(ge=0, le=1)
    strategy: str
    what_it_would_take: bool
    created_at: dt.datetime
    created_by: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    policy: dict[str, Any] = Field(description="the policy as given, with the pairs taken from decisions")
    input_sha256: str | None
    solver: dict[str, Any] | None
    kpis: dict[str, Any] | None
    problems: list[dict[str, Any]] | None = Field(description="why a run failed on its input")
    error: str | None
    current: bool = Field(description="the newest finished run of its scope: decisions are taken on it")
    superseded: bool = Field(
        description="a finished run with a newer finished run of its scope: still readable, no longer decided on"
    )
    planning_date: dt.date | None = Field(description="the planning date the run was computed for (from its policy)")
    households: int = Field(description="households in the input snapshot")
    units: int = Field(description="units in the input snapshot")
    pool_changed: bool = Field(
        default=False,
        description="the current run only: households or units were imported, changed or removed after it "
        "started, so its proposal is out of date (a new run would see another pool)",
    )


class RunList(Page):
    items: list[RunPublic]


class DecisionCreate(BaseModel):
    """A decision on one proposed pair of the current run, taken by the owner of the token
    that sends it (``decided_by`` is set by the service and refused in the body)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"household_id": "H-0412", "unit_id": "U-17", "kind": "accept", "housed_on": "2025-03-10"},
                {"household_id": "H-0007", "unit_id": "U-03", "kind": "decline", "reason": "household_refused"},
                {"household_id": "H-0100", "unit_id": "U-21", "kind": "pin"},
            ]
        },
    )

    household_id: str
    unit_id: str
    kind: Literal["accept", "decline", "pin"]
    housed_on: PlausibleDate | None = Field(
        default=None,
        description="accept: the day the household is expected to move in (default: today); from 2000-01-01 to a year "
        "after today, and not before the household's koppeling date; the move itself is recorded as a moved_in event "
        "on the household",
    )
    reason: Literal["household_refused", "unit_unsuitable", "corporation_refused", "other"] | None = Field(
        default=None,
        description="decline (a deviation from the proposal): why, required (a code; free text is not kept, "
        "it could hold personal details)",
    )
    decided_by: SkipJsonSchema[None] = Field(default=None, exclude=True)

    @field_validator("decided_by", mode="before")
    @classmethod
    def _decided_by_is_not_sent(cls, _value: object) -> None:
        """Who decided is the owner of the token that sends the decision; no one can be named instead."""
        raise PydanticCustomError(
            "set_by_service", "not sent: the person who decides is the owner of the token that sends the decision"
        )


class DecisionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    run_id: int
    household_id: str
    unit_id: str
    kind: str
    municipality: str
    persons: int
    housed_on: dt.date | None
    reason: str | None
    created_at: dt.datetime
    created_by: str = Field(description="the token that sent the decision")
    decided_by: str = Field(description="the person who took it: the owner of the token that sent it")


class DecisionList(Page):
    items: list[DecisionPublic]


EventKind = Literal[
    "offer_refused",
    "reopen",
    "moved_in",
    "family_expected",
    "family_arrived",
    "documents_complete",
    "documents_expected",
    "moved_out",
    "left",
]
OfferRefusedReason = Literal["household_refused", "unit_unsuitable", "corporation_refused", "other"]
ReopenReason = Literal["decided_in_error", "unit_not_available", "household_not_ready", "other"]
LeftReason = Literal["moved_away", "own_housing", "other"]
MAX_ARRIVING = 50


class EventCreate(BaseModel):
    """Something that happened to a household's case. Which fields belong to which kind:

    - ``offer_refused``: ``reason`` (household_refused, unit_unsuitable, corporation_refused, other)
    - ``reopen``: ``reason`` (decided_in_error, unit_not_available, household_not_ready, other)
    - ``moved_in``: ``temporary_until`` for a temporary place (default: the move plus the place's stay limit)
    - ``family_expected``: ``expected`` (the day the expected family members are due)
    - ``family_arrived``: ``adults``, ``children`` (who arrived; together at least 1)
    - ``documents_complete``: nothing more
    - ``documents_expected``: ``expected`` (date)
    - ``moved_out``: nothing more
    - ``left``: ``reason`` (moved_away, own_housing, other)
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "moved_in", "date": "2025-03-12"},
                {"kind": "offer_refused", "date": "2025-03-05", "reason": "household_refused"},
                {"kind": "family_arrived", "date": "2025-06-02", "adults": 1, "children": 2},
                {"kind": "documents_expected", "date": "2025-02-10", "expected": "2025-03-01"},
            ]
        },
    )

    kind: EventKind
    date: dt.date = Field(description="the day it happened: not before the koppeling, at most a year ahead")
    reason: str | None = Field(default=None, description="offer_refused, reopen, left: a code (see above)")
    temporary_until: dt.date | None = Field(default=None, description="moved_in into a temporary place: the end of the stay")
    adults: int | None = Field(default=None, ge=0, le=MAX_ARRIVING, description="family_arrived: adults who arrived")
    children: int | None = Field(default=None, ge=0, le=MAX_ARRIVING, description="family_arrived: children who arrived")
    expected: dt.date | None = Field(
        default=None,
        description="documents_expected: when the documents are expected; family_expected: when the family members are due",
    )


class EventPublic(BaseModel):
    """A recorded event, with what it did: the state before and after, the unit it concerns,
    and the persons it counted for the taakstelling on its date."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    household_id: str
    municipality: str
    kind: str
    date: dt.date
    unit_id: str | None
    reason: str | None
    temporary_until: dt.date | None
    expected: dt.date | None
    adults: int | None
    children: int | None
    persons_counted: int
    state_before: str
    state_after: str
    created_at: dt.datetime
    created_by: str = Field(description="the token that recorded it")
    actor: str = Field(description="the person who recorded it: the owner of that token")


WithdrawnReason = Literal["back_to_market", "unit_unsuitable", "renovation", "other"]


class UnitEventCreate(BaseModel):
    """Something that happened to a unit: ``withdrawn`` (taken off the offer) with a ``reason``
    (back_to_market, unit_unsuitable, renovation, other) and who withdrew it (``by``: the
    corporation or the wbb)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "withdrawn", "date": "2025-03-06", "reason": "back_to_market", "by": "corporation"}]
        },
    )

    kind: Literal["withdrawn"]
    date: dt.date = Field(description="the day it was withdrawn: at most a year ahead")
    reason: WithdrawnReason
    by: Literal["corporation", "wbb"] = Field(description="who withdrew it")


class UnitEventPublic(BaseModel):
    """A recorded event of a unit, with the households whose offer of it ended."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: str
    municipality: str
    kind: str
    date: dt.date
    reason: str
    by: str = Field(validation_alias="withdrawn_by", description="who withdrew it: corporation or wbb")
    households: list[str] = Field(description="households it was offered to: each is back where it was before the offer")
    status_before: str = Field(description="the unit's status before: available or offered (a shared place: also partly let)")
    created_at: dt.datetime
    created_by: str = Field(description="the token that recorded it")
    actor: str = Field(description="the person who recorded it: the owner of that token")


class UnitEventList(BaseModel):
    items: list[UnitEventPublic]


class TimelineItem(BaseModel):
    """One line of a household's history: the koppeling, a decision, or an event."""

    date: dt.date = Field(description="the day it happened (a decision: the meeting, i.e. the run's planning date)")
    source: Literal["koppeling", "decision", "event"]
    kind: str = Field(description="koppeling; accept, decline, pin; or the event's kind")
    unit_id: str | None = None
    run_id: int | None = None
    reason: str | None = None
    state_after: str | None = Field(default=None, description="the state the household was in afterwards")
    persons_counted: int = Field(default=0, description="persons counted for the taakstelling on this date")
    details: dict[str, Any] = Field(default_factory=dict)
    decided_by: str | None = Field(default=None, description="a decision: the person who took it")
    actor: str | None = Field(default=None, description="the person who took the decision or recorded the event")
    recorded_by: str | None = Field(default=None, description="the token that recorded it")
    recorded_at: dt.datetime | None = None


class Timeline(BaseModel):
    household_id: str
    municipality: str
    status: str
    items: list[TimelineItem]


class MunicipalitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"count_family_arrivals": True}]})

    count_family_arrivals: bool = Field(
        description="nareizigers joining a household that lives in the municipality count for the taakstelling on their date"
    )


class MunicipalitySettingsPublic(MunicipalitySettings):
    municipality: str


def _not_reserved(owner: str) -> str:
    if owner.casefold() == "onbekend":
        raise PydanticCustomError("owner_reserved", "'onbekend' marks tokens made before tokens had an owner; name the person")
    return owner


OwnerName = Annotated[StaffName, AfterValidator(_not_reserved)]


class TokenCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"role": "wbb", "owner": "M. Bakker", "municipality": "Nijmegen", "days": 90}]},
    )

    role: Role
    owner: OwnerName = Field(
        description="the person the token is for: their name or initials as the team writes them; it is the name on "
        "every decision, event and audit entry made with the token"
    )
    municipality: str | None = Field(default=None, description="limit the token to one municipality's households and units")
    days: int = Field(default=90, ge=1, le=366, description="the token stops working this many days from now")
    corporation: str | None = Field(
        default=None,
        description="role corporation only (and required there): the housing corporation the token speaks for, as in "
        "the corporation column of units.csv",
    )

    @model_validator(mode="after")
    def _corporation_fits_role(self) -> TokenCreate:
        from api.auth import corporation_problem

        problem = corporation_problem(self.role, self.corporation)
        if problem is not None:
            raise PydanticCustomError("corporation", "corporation: {problem}", {"problem": problem})
        return self


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    role: str
    owner: str = Field(description="the person the token is for ('onbekend': made before tokens had an owner)")
    municipality: str | None
    created_at: dt.datetime
    created_by: str | None = Field(description="the token it was made with (null: made with `matcher token create`)")
    expires_at: dt.datetime = Field(description="from this moment the token is refused (401)")
    last_used: dt.datetime | None = Field(description="the last request with the token, to the minute")
    revoked: bool
    revoked_at: dt.datetime | None
    corporation: str | None = Field(default=None, description="the corporation a corporation token speaks for")


class TokenCreated(TokenPublic):
    token: str = Field(description="the secret: shown only now, store it safely")


class OwnerRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"owner": "M. Bakker"}]})

    owner: StaffName = Field(description="revoke every token of this person, and the tokens made with them")


class Revoked(BaseModel):
    revoked: list[str] = Field(description="the ids of the tokens revoked by this call, the ones made with them included")


class TargetSet(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"persons": 120, "amv_persons": 12}]})

    persons: int = Field(ge=0, le=1_000_000, description="persons the municipality must house in the half year")
    amv_persons: int | None = Field(
        default=None,
        ge=0,
        le=1_000_000,
        strict=True,
        description="indicative AMV taakstelling: ex-AMV youngsters to house in the half year, counted apart from "
        "persons; null clears it, left out keeps the stored one",
    )


class TargetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    municipality: str
    half_year: str
    persons: int
    amv_persons: int | None = None
    updated_at: dt.datetime
    updated_by: str


class HalfYearStatus(BaseModel):
    """One half year of one municipality; a negative remaining is a head start (voorsprong).

    The waiting figures describe the last day of the half year, or the peildatum (or today)
    when that comes first; they are null for a half year that has not begun then."""

    half_year: str
    target: int
    carried_in: int = Field(description="backlog from earlier half years (negative: a head start)")
    due: int = Field(description="target + carried_in")
    realised: int = Field(description="persons counted in this half year: moved_in plus family_arrived events")
    realised_moved_in: int = Field(default=0, description="of which counted at a household's first move")
    realised_family_arrived: int = Field(default=0, description="of which family members who joined a housed household")
    remaining: int = Field(description="due - realised, carried into the next half year")
    waiting_on: dt.date | None = Field(default=None, description="the day the waiting figures describe")
    waiting_households: int | None = Field(default=None, description="gekoppeld by then, not moved in, not left")
    waiting_persons: int | None = None
    waiting_over_deadline: int | None = Field(default=None, description="of them, households waiting over the 10 weeks")
    median_waiting_weeks: float | None = None
    longest_waiting_weeks: int | None = None
    amv_target: int | None = Field(default=None, description="the indicative AMV taakstelling of the half year (null: none set)")
    amv_realised: int | None = Field(
        default=None,
        description="ex-AMV persons counted at their household's first move in this half year, apart from and also "
        "within realised; null for a role that does not see special-category data",
    )


class MunicipalityTaakstelling(BaseModel):
    municipality: str
    half_years: list[HalfYearStatus]
    backlog: int = Field(description="remaining of the latest half year")


class TaakstellingReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "municipalities": [
                        {
                            "municipality": "Nijmegen",
                            "backlog": 12,
                            "half_years": [
                                {
                                    "half_year": "2025-H1",
                                    "target": 120,
                                    "carried_in": 0,
                                    "due": 120,
                                    "realised": 108,
                                    "remaining": 12,
                                }
                            ],
                        }
                    ]
                }
            ]
        }
    )

    on: dt.date | None = Field(default=None, description="the peildatum: events up to this day count (null: all)")
    municipalities: list[MunicipalityTaakstelling]


class AuditPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    token_id: str | None
    actor: str | None = Field(default=None, description="the person acting, as the service knows them; covered by the MAC")
    action: str
    object_type: str
    object_ids: list[str]
    details: dict[str, Any] | None = Field(
        default=None,
        description="counts of a read, a decision's or event's fields, the before and after of a change; covered by the MAC",
    )
    entry_hash: str = Field(
        description="HMAC-SHA256 under the audit key over the previous entry's hash and this entry's content "
        "(plain SHA-256 for entries from before the keying)"
    )
    request_id: str | None = Field(
        default=None, description="the request that wrote the entry, as in the log and its answer (not chained)"
    )


class AuditList(Page):
    items: list[AuditPublic]


class OverrideRate(BaseModel):
    """How often the meeting deviates from the proposal: a decline is a deviation (it needs a
    reason); an accept or a pin follows the proposal (only proposed pairs can be decided)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"decisions": 40, "deviations": 6, "override_rate": 0.15, "by_reason": {"household_refused": 4}}]
        }
    )

    decisions: int = Field(description="decisions taken (accept, decline, pin)")
    deviations: int = Field(description="decisions that deviate from the proposal (declines)")
    override_rate: float | None = Field(description="deviations / decisions; null when nothing was decided")
    by_reason: dict[str, int] = Field(description="deviations per reason code")


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


class Ready(BaseModel):
    """What ``/readyz`` checked: the database answers, its schema is the one this version
    needs, and the job workers are running."""

    status: Literal["ready"]
    database: Literal["ok"]
    schema_version: str = Field(description="the database's migration, equal to the newest this version ships")
    workers: dict[str, Literal["ok"]] = Field(description="proposal-run and scenario-run workers")
