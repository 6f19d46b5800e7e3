"""The policy: which rules are on, and in what order the proposal's priorities count.

Parsing is strict and explicit so that every mistake names its field: a typo in a field
name or term would otherwise silently change a weekly proposal.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from matcher.errors import InputError, ProblemCollector
from matcher.input import cells
from matcher.input.forecast import Forecast, parse_forecast
from matcher.input.regional import RegionalAgreement, parse_regional_agreement
from matcher.input.spreading import caps_left, parse_counts

TERMS: tuple[str, ...] = (
    "placed_households",
    "placed_persons",
    "waiting_days",
    "overdue",
    "vulnerable",
    "temporary",
    "underoccupancy",
    "preferred",
    "own_municipality",
    "move_on",
    "long_wait",
    "long_wait_days",
    "lookahead",
    "single_woman",
    "single_parent",
)

DEFAULT_OBJECTIVE: tuple[dict[str, int], ...] = (
    {"placed_persons": 10, "overdue": 5, "vulnerable": 3},
    {"waiting_days": 1},
    {"temporary": -10, "underoccupancy": -3, "preferred": 5, "own_municipality": 5},
)

DEFAULT_RENT_CAPS: dict[str, Any] = {
    "low": Decimal("682.96"),
    "high": Decimal("731.93"),
    "young": Decimal("477.20"),
    "young_age": 23,
}

LANGUAGES = ("nl", "en")
MAX_WEIGHT = 10**6
MAX_TIME_LIMIT_S = 24 * 3600.0


class RentCaps(BaseModel):
    """Passend toewijzen: the highest rent per household type (E8)."""

    model_config = ConfigDict(frozen=True)

    low: Decimal
    high: Decimal
    young: Decimal
    young_age: int


class Policy(BaseModel):
    """A validated, frozen policy with every default filled in."""

    model_config = ConfigDict(frozen=True)

    planning_date: dt.date
    horizon_days: int = 14
    deadline_weeks: int = 10
    regional: bool = False
    shared_max_household_size: int = 1
    rent_caps: RentCaps | None = RentCaps(**DEFAULT_RENT_CAPS)
    reunification_must_fit: bool = True
    max_persons_per_bedroom: int | None = None
    reunification_horizon_weeks: int = 52
    move_on_horizon_weeks: int = 8
    long_wait_weeks: int = 52
    forecast: Forecast | None = None
    neighbourhood_caps: dict[str, int] = {}
    half_year_caps: dict[str, int] = {}
    half_year_placed: dict[str, int] = {}
    regional_agreement: RegionalAgreement | None = None
    fixed_pairs: tuple[tuple[str, str], ...] = ()
    excluded_pairs: tuple[tuple[str, str], ...] = ()
    previous_pairs: tuple[tuple[str, str], ...] = ()
    objective: tuple[dict[str, int], ...] = DEFAULT_OBJECTIVE
    time_limit_s: float = 30.0
    seed: int = 0
    lang: str = "nl"

    @property
    def terms_used(self) -> list[str]:
        """Every term named anywhere in the objective, in the spec's order."""
        named = {term for tier in self.objective for term in tier}
        return [term for term in TERMS if term in named]

    @property
    def caps_left(self) -> dict[str, int]:
        """The cap each capped wijk has left for this proposal: the weekly cap and what is left
        of the half-year cap, whichever is lower (rules A4 and A6)."""
        return caps_left(self.neighbourhood_caps, self.half_year_caps, self.half_year_placed)

    def canonical(self) -> dict[str, Any]:
        """The policy as plain JSON values, lists sorted, for hashing and reports."""
        caps = None
        if self.rent_caps is not None:
            caps = {
                "low": format(self.rent_caps.low.normalize(), "f"),
                "high": format(self.rent_caps.high.normalize(), "f"),
                "young": format(self.rent_caps.young.normalize(), "f"),
                "young_age": self.rent_caps.young_age,
            }
        return {
            "planning_date": self.planning_date.isoformat(),
            "horizon_days": self.horizon_days,
            "deadline_weeks": self.deadline_weeks,
            "regional": self.regional,
            "shared_max_household_size": self.shared_max_household_size,
            "rent_caps": caps,
            "reunification_must_fit": self.reunification_must_fit,
            "neighbourhood_caps": dict(sorted(self.neighbourhood_caps.items())),
            "fixed_pairs": sorted(list(p) for p in self.fixed_pairs),
            "excluded_pairs": sorted(list(p) for p in self.excluded_pairs),
            "objective": [dict(sorted(tier.items())) for tier in self.objective],
            "time_limit_s": self.time_limit_s,
            "seed": self.seed,
            # Only present when used, so the hash of inputs without them stays what it was.
            **(
                {"reunification_horizon_weeks": self.reunification_horizon_weeks}
                if self.reunification_horizon_weeks != 52
                else {}
            ),
            **({"move_on_horizon_weeks": self.move_on_horizon_weeks} if self.move_on_horizon_weeks != 8 else {}),
            **({"max_persons_per_bedroom": self.max_persons_per_bedroom} if self.max_persons_per_bedroom is not None else {}),
            **({"previous_pairs": sorted(list(p) for p in self.previous_pairs)} if self.previous_pairs else {}),
            **({"long_wait_weeks": self.long_wait_weeks} if self.long_wait_weeks != 52 else {}),
            **({"forecast": self.forecast.canonical()} if self.forecast is not None else {}),
            **({"half_year_caps": dict(sorted(self.half_year_caps.items()))} if self.half_year_caps else {}),
            **({"half_year_placed": dict(sorted(self.half_year_placed.items()))} if self.half_year_placed else {}),
            **({"regional_agreement": self.regional_agreement.canonical()} if self.regional_agreement is not None else {}),
        }


def _pairs(value: Any, field: str, source: str, problems: ProblemCollector) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        problems.add(source, "expected a list of [household_id, unit_id] pairs", column=field)
        return ()
    pairs: list[tuple[str, str]] = []
    for index, item in enumerate(value):
        if (
            not isinstance(item, (list, tuple))
            or len(item) != 2
            or not all(isinstance(part, str) and part.strip() for part in item)
        ):
            problems.add(
                source,
                f"item {index + 1}: expected [household_id, unit_id], got {cells.show(item)}",
                column=field,
            )
            continue
        pairs.append((item[0].strip(), item[1].strip()))
    return tuple(pairs)


def _objective(value: Any, source: str, problems: ProblemCollector) -> tuple[dict[str, int], ...]:
    if not isinstance(value, list) or not value:
        problems.add(source, "expected a non-empty list of tiers (term -> integer weight)", column="objective")
        return DEFAULT_OBJECTIVE
    tiers: list[dict[str, int]] = []
    for index, tier in enumerate(value):
        field = f"objective[{index}]"
        if not isinstance(tier, dict) or not tier:
            problems.add(source, "a tier must be a non-empty map of term -> integer weight", column=field)
            continue
        parsed: dict[str, int] = {}
        for term, weight in tier.items():
            if term not in TERMS:
                problems.add(source, f"unknown term {cells.show(term)}; known terms: {', '.join(TERMS)}", column=field)
                continue
            integral = isinstance(weight, int) or (isinstance(weight, float) and math.isfinite(weight) and weight.is_integer())
            if isinstance(weight, bool) or not integral or abs(int(weight)) > MAX_WEIGHT:
                problems.add(
                    source,
                    f"weight of {term} must be an integer from -{MAX_WEIGHT} to {MAX_WEIGHT}, got {cells.show(weight)}",
                    column=f"{field}.{term}",
                )
                continue
            parsed[term] = int(weight)
        tiers.append(parsed)
    return tuple(tiers)


def _rent_caps(value: Any, source: str, problems: ProblemCollector) -> RentCaps | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add(source, "expected an object with low, high, young, young_age, or null", column="rent_caps")
        return RentCaps(**DEFAULT_RENT_CAPS)
    merged = dict(DEFAULT_RENT_CAPS)
    for key, raw in value.items():
        field = f"rent_caps.{key}"
        if key not in merged:
            problems.add(source, "unknown field; expected low, high, young or young_age", column=field)
            continue
        try:
            if key == "young_age":
                merged[key] = cells.parse_int(raw, 0, 150)
            else:
                if isinstance(raw, str) or raw is None:
                    raise cells.CellError(f"expected a number, got {cells.show(raw)}")
                merged[key] = cells.parse_decimal(raw, Decimal("100000"))
        except cells.CellError as error:
            problems.add(source, str(error), column=field)
    return RentCaps(**merged)


def parse_policy(raw: Any, source: str = "policy.json", today: dt.date | None = None) -> Policy:
    """Validate a policy object (parsed JSON); every problem is reported with its field."""
    problems = ProblemCollector()
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError.single(source, "expected a JSON object")
    values: dict[str, Any] = {}

    def scalar(field: str, parse: Any) -> None:
        if field not in raw or raw[field] is None:
            return
        try:
            values[field] = parse(raw[field])
        except cells.CellError as error:
            problems.add(source, str(error), column=field)

    def strict_bool(value: Any) -> bool:
        if not isinstance(value, bool):
            raise cells.CellError(f"expected true or false, got {cells.show(value)}")
        return value

    def strict_int(low: int, high: int) -> Any:
        def parse(value: Any) -> int:
            if isinstance(value, (bool, str)):
                raise cells.CellError(f"expected an integer from {low} to {high}, got {cells.show(value)}")
            return cells.parse_int(value, low, high)

        return parse

    def time_limit(value: Any) -> float:
        expected = f"expected a number of seconds above 0 and at most {MAX_TIME_LIMIT_S:.0f}, got {cells.show(value)}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise cells.CellError(expected)
        if value <= 0 or value > MAX_TIME_LIMIT_S:
            raise cells.CellError(expected)
        return float(value)

    known = set(Policy.model_fields)
    for field in raw:
        if field not in known:
            problems.add(source, "unknown field", column=str(field))
    scalar("planning_date", cells.parse_date)
    scalar("horizon_days", strict_int(0, 3650))
    scalar("deadline_weeks", strict_int(0, 520))
    scalar("regional", strict_bool)
    scalar("shared_max_household_size", strict_int(1, 1000))
    scalar("reunification_must_fit", strict_bool)
    scalar("max_persons_per_bedroom", strict_int(1, 20))
    scalar("reunification_horizon_weeks", strict_int(0, 520))
    scalar("move_on_horizon_weeks", strict_int(0, 520))
    scalar("long_wait_weeks", strict_int(0, 520))
    scalar("time_limit_s", time_limit)
    scalar("seed", strict_int(0, 2**31 - 1))
    scalar("lang", lambda v: cells.parse_choice(v, LANGUAGES))
    if "rent_caps" in raw:
        values["rent_caps"] = _rent_caps(raw["rent_caps"], source, problems)
    if raw.get("neighbourhood_caps") is not None:
        caps = raw["neighbourhood_caps"]
        if not isinstance(caps, dict):
            problems.add(source, "expected an object neighbourhood -> cap", column="neighbourhood_caps")
        else:
            parsed_caps: dict[str, int] = {}
            for name, cap in caps.items():
                try:
                    parsed_caps[str(name)] = strict_int(0, 10**6)(cap)
                except cells.CellError as error:
                    problems.add(source, str(error), column=f"neighbourhood_caps.{name}")
            values["neighbourhood_caps"] = parsed_caps
    for field, what in (("half_year_caps", "cap"), ("half_year_placed", "households placed")):
        if raw.get(field) is not None:
            values[field] = parse_counts(raw[field], field, source, problems, what)
    for name in values.get("half_year_placed", {}):
        if name not in values.get("half_year_caps", {}):
            problems.add(source, "no half-year cap for this neighbourhood in half_year_caps", column=f"half_year_placed.{name}")
    if raw.get("regional_agreement") is not None:
        values["regional_agreement"] = parse_regional_agreement(raw["regional_agreement"], source, problems)
        if values.get("regional") is not True:
            problems.add(source, 'a regional agreement needs "regional": true', column="regional_agreement")
    for field in ("fixed_pairs", "excluded_pairs", "previous_pairs"):
        if raw.get(field) is not None:
            values[field] = _pairs(raw[field], field, source, problems)
    if raw.get("forecast") is not None:
        values["forecast"] = parse_forecast(raw["forecast"], source, problems)
    if raw.get("objective") is not None:
        values["objective"] = _objective(raw.get("objective"), source, problems)
    problems.raise_if_any()
    values.setdefault("planning_date", today or dt.date.today())
    return Policy(**values)
