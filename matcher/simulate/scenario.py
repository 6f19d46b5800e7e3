"""The scenario: everything a what-if run needs, as a validated, frozen document.

A scenario is read from YAML or JSON (the same document the web service will take as JSON).
A variant names its ``base`` scenario and overrides only what changes: the two documents are
merged key by key (nested objects merge, lists and scalars replace). Every mistake is
reported with the file, the field path and what was expected, never as a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from matcher.errors import InputError, ProblemCollector
from matcher.generate import NIJMEGEN_WIJKEN, PROFILES, SIZE_SHARES
from matcher.input.policy import parse_policy

STRATEGIES = ("optimise", "fifo", "lookahead")
UNIT_KINDS = ("social", "flex", "transit", "shared")
HOUSEHOLD_GROUPS = ("single", "single_expecting_family", "two_three", "four_five", "six_plus")


Strategy = Literal["optimise", "fifo", "lookahead"]


def _both_strategies() -> list[Strategy]:
    return ["optimise", "fifo"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Start(_Model):
    """Who is waiting and what is on offer in week 0."""

    date: dt.date = dt.date(2025, 3, 3)
    profile: str | None = "nijmegen-week"
    profile_seed: int = 1
    households: str | None = None
    units: str | None = None
    include_units: bool = True

    @model_validator(mode="after")
    def _one_source(self) -> Start:
        if self.profile is None and self.households is None:
            raise ValueError("give a generator profile or a households file")
        if self.profile is not None and self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; expected one of {', '.join(PROFILES)}")
        return self


class DelayWeeks(_Model):
    """A gamma distribution of weeks, given by its mean and standard deviation."""

    mean: float = Field(26.0, gt=0, le=520)
    sd: float = Field(13.0, gt=0, le=520)


class Reunification(_Model):
    """Nareizigers: who expects them, how many, and when they arrive."""

    share_singles: float = Field(0.42, ge=0, le=1)
    share_others: float = Field(0.08, ge=0, le=1)
    delay_weeks: DelayWeeks = DelayWeeks()
    extra_share: float = Field(0.05, ge=0, le=1)
    # Weeks before the family arrives that its date is known (expected_arrival_date); 0: never ahead.
    date_known_weeks: int = Field(13, ge=0, le=520)


class PipelineItem(_Model):
    """One line of the COA's pipeline (the columns of pipeline.csv, see matcher/input/coa.py), in the
    scenario's municipality: ``households`` alike households expected on ``expected_date``."""

    pipeline_id: str = Field(min_length=1, max_length=200)
    kind: Literal["koppeling", "expected", "amv"] = "koppeling"
    expected_date: dt.date
    adults: int = Field(ge=1, le=100)
    children: int = Field(ge=0, le=100)
    expected_reunification: int = Field(0, ge=0, le=100)
    households: int = Field(1, ge=1, le=1000)


class Inflow(_Model):
    """New koppelingen: households per week and their make-up.

    With a ``pipeline``, the weeks up to its last expected date bring exactly the pipeline's
    households (announced koppelingen, expected arrivals, AMV turning 18) instead of drawn
    ones, and the look-ahead's forecast counts them instead of the rates; later weeks are
    drawn at ``koppelingen_per_week`` as before."""

    koppelingen_per_week: float = Field(2.5, ge=0, le=10_000)
    household_sizes: dict[int, float] = Field(default_factory=lambda: dict(SIZE_SHARES))
    reunification: Reunification = Reunification()
    documents_incomplete_share: float = Field(0.04, ge=0, le=1)
    documents_delay_weeks: float = Field(4.0, gt=0, le=520)
    # Share of households that stop being the municipality's task within a year while waiting
    # or in a temporary place (moved away, found a home themselves).
    leave_share_per_year: float = Field(0.0, ge=0, lt=1)
    pipeline: list[PipelineItem] = Field(default_factory=list, max_length=100_000)

    @model_validator(mode="after")
    def _sizes(self) -> Inflow:
        if not self.household_sizes or any(k < 1 or k > 20 for k in self.household_sizes):
            raise ValueError("household_sizes needs sizes from 1 to 20 as keys")
        if any(v < 0 for v in self.household_sizes.values()) or sum(self.household_sizes.values()) <= 0:
            raise ValueError("household_sizes needs non-negative shares with a positive sum")
        return self


class Vacancies(_Model):
    """Homes that become available for statushouders, per week."""

    social_per_week: float = Field(48.0, ge=0, le=100_000)
    statushouder_share: float = Field(0.03, ge=0, le=1)
    flex_per_week: float = Field(0.3, ge=0, le=10_000)
    transit_per_week: float = Field(0.25, ge=0, le=10_000)
    shared_per_week: float = Field(0.1, ge=0, le=10_000)
    offer_weeks: int = Field(4, ge=1, le=520)
    neighbourhoods: list[str] = Field(default_factory=lambda: list(NIJMEGEN_WIJKEN))
    municipality: str = "Nijmegen"


class Stays(_Model):
    """How long a temporary place may be used before the household moves on (weeks)."""

    flex_weeks: int = Field(52, ge=1, le=520)
    transit_weeks: int = Field(26, ge=1, le=520)


class Taakstelling(_Model):
    """The half-year target in persons and the backlog carried into the first half year."""

    persons_per_half_year: int = Field(182, ge=0, le=1_000_000)
    # The indicative AMV taakstelling: ex-AMV youngsters (persons) to house per half year, counted
    # apart from the figures above (the fairness group ex_amv gives the persons housed); 0: none set.
    amv_persons_per_half_year: int = Field(0, ge=0, le=1_000_000)
    backlog: int = Field(100, ge=0, le=1_000_000)


class AddUnits(_Model):
    """A one-off batch of homes, e.g. 50 flexwoningen opening at NDW21."""

    kind: Literal["add_units"]
    date: dt.date
    count: int = Field(ge=1, le=100_000)
    unit_type: Literal["social", "flex", "transit"] = "flex"
    neighbourhood: str
    bedrooms: int = Field(1, ge=0, le=20)
    min_occupants: int = Field(1, ge=1, le=100)
    max_occupants: int = Field(2, ge=1, le=100)
    rent: float = Field(550.0, gt=0, le=100_000)
    step_free_share: float = Field(0.25, ge=0, le=1)
    temporary: bool | None = None
    shared: bool = False
    beds: int | None = Field(None, ge=1, le=100)


class Nareizigers(_Model):
    """A wave of nareizigers: this many persons join waiting or housed households earlier than drawn."""

    kind: Literal["nareizigers"]
    start: dt.date
    end: dt.date
    persons: int = Field(ge=1, le=100_000)


Event = AddUnits | Nareizigers


# The policy of the ``lookahead`` strategy (see docs/algorithm-register.md for what it values and why).
LOOKAHEAD_OBJECTIVE: tuple[dict[str, int], ...] = (
    {"placed_persons": 10, "lookahead": 2, "long_wait": 65, "vulnerable": 3},
    {"waiting_days": 1},
    {"temporary": -10, "underoccupancy": -3, "preferred": 5, "own_municipality": 5},
)


def _lookahead_objective() -> list[dict[str, int]]:
    return [dict(tier) for tier in LOOKAHEAD_OBJECTIVE]


class Lookahead(_Model):
    """The ``lookahead`` strategy: the engine with a forecast of the coming weeks and a guard on long waits."""

    weeks: int = Field(4, ge=0, le=104)
    long_wait_weeks: int = Field(40, ge=0, le=520)
    objective: list[dict[str, int]] = Field(default_factory=_lookahead_objective, min_length=1)


class SimPolicy(_Model):
    """The weekly decision: the engine's policy (interchange format) plus simulation choices."""

    matcher: dict[str, Any] = Field(default_factory=dict)
    lookahead: Lookahead = Lookahead()
    hold_for_family: bool = False
    movers_to_permanent_only: bool = True


class Scenario(_Model):
    """A what-if scenario; see docs/simulation.md for every field."""

    name: str = "scenario"
    description: str = ""
    base: str | None = None
    seed: int = Field(1, ge=0, le=2**63 - 1)
    horizon_weeks: int = Field(52, ge=1, le=520)
    start: Start = Start()
    taakstelling: Taakstelling = Taakstelling()
    inflow: Inflow = Inflow()
    vacancies: Vacancies = Vacancies()
    stays: Stays = Stays()
    decline_probability: float = Field(0.05, ge=0, le=1)
    policy: SimPolicy = SimPolicy()
    strategies: list[Strategy] = Field(default_factory=_both_strategies, min_length=1)
    hindsight: bool = True
    exact_hindsight: bool = False  # a solve of seconds per replicate: asked for, never paid by default
    events: list[Event] = Field(default_factory=list)

    def week_date(self, week: int) -> dt.date:
        return self.start.date + dt.timedelta(weeks=week)

    def week_of(self, date: dt.date) -> int:
        """The first simulated week whose date is on or after ``date``."""
        days = (date - self.start.date).days
        return max(0, -(-days // 7))

    def pipeline_weeks(self) -> int:
        """The last week the pipeline covers (its latest expected date); 0 without a pipeline."""
        pipeline = self.inflow.pipeline
        return max((self.week_of(item.expected_date) for item in pipeline), default=0)


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: nested objects merge key by key, everything else in ``changes`` replaces."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_document(path: Path) -> dict[str, Any]:
    name = str(path)
    if not path.exists():
        raise InputError.single(name, "file not found")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError.single(name, "not UTF-8 text") from None
    try:
        document = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as error:
        raise InputError.single(name, f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise InputError.single(name, f"not valid YAML{where}: {getattr(error, 'problem', None) or error}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise InputError.single(name, "expected a mapping of scenario fields at the top level")
    return document


def resolve_document(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The scenario document with its base chain merged in (base first, then each variant)."""
    path = path.resolve()
    if path in _seen:
        raise InputError.single(str(path), "base scenarios refer to each other in a loop", column="base")
    document = _read_document(path)
    base = document.get("base")
    if base is None:
        return _absolute_paths(document, path.parent)
    if not isinstance(base, str):
        raise InputError.single(str(path), "expected the file name of the base scenario", column="base")
    parent = resolve_document(path.parent / base, (*_seen, path))
    merged = merge(parent, _absolute_paths(document, path.parent))
    merged["base"] = str((path.parent / base).resolve())
    return merged


def _absolute_paths(document: dict[str, Any], folder: Path) -> dict[str, Any]:
    start = document.get("start")
    if isinstance(start, dict):
        start = dict(start)
        for key in ("households", "units"):
            if isinstance(start.get(key), str):
                start[key] = str((folder / start[key]).resolve())
        document = {**document, "start": start}
    return document


def parse_scenario(document: Any, source: str = "scenario") -> Scenario:
    """Validate a scenario document (already merged with its base)."""
    if not isinstance(document, dict):
        raise InputError.single(source, "expected a JSON object of scenario fields")
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as error:
        problems = ProblemCollector()
        for item in error.errors():
            path = ".".join(str(p) for p in item["loc"] if not str(p).startswith("function-after"))
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown field (a typo would silently change the scenario)"
            elif item["type"] == "missing":
                message = "a value is required"
            got = item.get("input")
            if item["type"] not in ("missing", "extra_forbidden") and not isinstance(got, dict | list):
                message += f", got {json.dumps(got, default=str)}"
            problems.add(source, message, column=path or None)
        raise InputError(problems.problems) from None
    problems = ProblemCollector()
    raw_policy = {**scenario.policy.matcher, "planning_date": scenario.start.date.isoformat()}
    try:
        parse_policy(raw_policy, source)
    except InputError as error:
        for problem in error.problems:
            problems.add(source, problem.message, column=f"policy.matcher.{problem.column}" if problem.column else None)
    look = scenario.policy.lookahead
    try:
        parse_policy({**raw_policy, "objective": look.objective, "long_wait_weeks": look.long_wait_weeks}, source)
    except InputError as error:
        for problem in error.problems:
            if problem.column and problem.column.startswith("objective"):
                problems.add(source, problem.message, column=f"policy.lookahead.{problem.column}")
    for index, event in enumerate(scenario.events):
        if isinstance(event, AddUnits) and event.min_occupants > event.max_occupants:
            problems.add(source, "min_occupants is larger than max_occupants", column=f"events.{index}.min_occupants")
        if isinstance(event, Nareizigers) and event.end < event.start:
            problems.add(source, "end is before start", column=f"events.{index}.end")
    if len(set(scenario.strategies)) != len(scenario.strategies):
        problems.add(source, "a strategy is listed twice", column="strategies")
    problems.raise_if_any()
    return scenario


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file (YAML or JSON), merge its base chain and validate it."""
    return parse_scenario(resolve_document(path), str(path))


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """The resolved scenario as plain JSON values (for results and worker processes)."""
    document: dict[str, Any] = scenario.model_dump(mode="json")
    return document
