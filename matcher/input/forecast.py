"""The forecast in a policy: which households and homes the coming weeks are expected to bring.

The look-ahead term (``lookahead``) weighs a pair against what the coming weeks are likely
to bring. It never reads the future itself, only this forecast: per kind of household and
per kind of home, how many a week. In the simulator the forecast comes from the scenario's
rates, in the service from the households and homes of recent weeks or from an officer.

Parsing is strict like the rest of the policy: every problem names its field, e.g.
``policy.json column forecast.units[2].per_week: expected a number from 0 to 10000``.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict

from matcher.errors import ProblemCollector
from matcher.input import cells

SOURCES = (
    "officer",
    "recent_weeks",
    "scenario",
    "coa_pipeline",
    "coa_pipeline+officer",
    "coa_pipeline+recent_weeks",
    "coa_pipeline+scenario",
)
MAX_WEEKS = 104
MAX_ITEMS = 1000
MAX_PER_WEEK = 10_000.0


class ForecastHouseholds(BaseModel):
    """Households of one make-up expected per week (new koppelingen)."""

    model_config = ConfigDict(frozen=True)

    persons: int
    expected_reunification: int = 0
    per_week: float

    @property
    def future_size(self) -> int:
        return self.persons + self.expected_reunification


class ForecastUnits(BaseModel):
    """Homes of one kind expected per week (vacancies for statushouders)."""

    model_config = ConfigDict(frozen=True)

    min_occupants: int = 1
    max_occupants: int
    temporary: bool = False
    shared: bool = False
    beds: int | None = None
    per_week: float


class Forecast(BaseModel):
    """What the coming ``weeks`` are expected to bring, per week."""

    model_config = ConfigDict(frozen=True)

    weeks: int = 8
    source: str = "officer"
    households: tuple[ForecastHouseholds, ...] = ()
    units: tuple[ForecastUnits, ...] = ()

    def canonical(self) -> dict[str, Any]:
        """Plain JSON values in a fixed order (items as given: their order never changes a proposal)."""
        return {
            "weeks": self.weeks,
            "source": self.source,
            "households": [
                {"persons": x.persons, "expected_reunification": x.expected_reunification, "per_week": x.per_week}
                for x in self.households
            ],
            "units": [
                {
                    "min_occupants": x.min_occupants,
                    "max_occupants": x.max_occupants,
                    "temporary": x.temporary,
                    "shared": x.shared,
                    "beds": x.beds,
                    "per_week": x.per_week,
                }
                for x in self.units
            ],
        }


def _rate(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise cells.CellError(f"expected a number from 0 to {MAX_PER_WEEK:.0f}, got {cells.show(value)}")
    if value < 0 or value > MAX_PER_WEEK:
        raise cells.CellError(f"expected a number from 0 to {MAX_PER_WEEK:.0f}, got {cells.show(value)}")
    return float(value)


def _int(low: int, high: int) -> Any:
    def parse(value: Any) -> int:
        if isinstance(value, (bool, str)):
            raise cells.CellError(f"expected an integer from {low} to {high}, got {cells.show(value)}")
        return cells.parse_int(value, low, high)

    return parse


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise cells.CellError(f"expected true or false, got {cells.show(value)}")
    return value


def _fields(
    raw: Any, field: str, spec: dict[str, Any], required: tuple[str, ...], source: str, problems: ProblemCollector
) -> dict[str, Any] | None:
    """One object of the forecast: every field parsed, unknown and missing fields reported."""
    if not isinstance(raw, dict):
        problems.add(source, "expected an object", column=field)
        return None
    values: dict[str, Any] = {}
    ok = True
    for key in raw:
        if key not in spec:
            problems.add(source, f"unknown field; expected {', '.join(spec)}", column=f"{field}.{key}")
            ok = False
    for key, parse in spec.items():
        if raw.get(key) is None:
            if key in required:
                problems.add(source, "a value is required", column=f"{field}.{key}")
                ok = False
            continue
        try:
            values[key] = parse(raw[key])
        except cells.CellError as error:
            problems.add(source, str(error), column=f"{field}.{key}")
            ok = False
    return values if ok else None


HOUSEHOLD_FIELDS = {"persons": _int(1, 1000), "expected_reunification": _int(0, 1000), "per_week": _rate}
UNIT_FIELDS = {
    "min_occupants": _int(1, 1000),
    "max_occupants": _int(1, 1000),
    "temporary": _bool,
    "shared": _bool,
    "beds": _int(1, 1000),
    "per_week": _rate,
}


def parse_forecast(raw: Any, source: str, problems: ProblemCollector) -> Forecast | None:
    """Validate the policy's ``forecast`` object; problems are added to ``problems``."""
    if not isinstance(raw, dict):
        problems.add(source, "expected an object with weeks, households and units", column="forecast")
        return None
    known = ("weeks", "source", "households", "units")
    for key in raw:
        if key not in known:
            problems.add(source, f"unknown field; expected {', '.join(known)}", column=f"forecast.{key}")
    values: dict[str, Any] = {}
    if raw.get("weeks") is not None:
        try:
            values["weeks"] = _int(0, MAX_WEEKS)(raw["weeks"])
        except cells.CellError as error:
            problems.add(source, str(error), column="forecast.weeks")
    if raw.get("source") is not None:
        try:
            values["source"] = cells.parse_choice(raw["source"], SOURCES)
        except cells.CellError as error:
            problems.add(source, str(error), column="forecast.source")
    for key, spec, required, model in (
        ("households", HOUSEHOLD_FIELDS, ("persons", "per_week"), ForecastHouseholds),
        ("units", UNIT_FIELDS, ("max_occupants", "per_week"), ForecastUnits),
    ):
        items = raw.get(key)
        if items is None:
            continue
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            problems.add(source, f"expected a list of at most {MAX_ITEMS} objects", column=f"forecast.{key}")
            continue
        parsed: list[Any] = []
        for index, item in enumerate(items):
            field = f"forecast.{key}[{index}]"
            fields = _fields(item, field, spec, required, source, problems)
            if fields is None:
                continue
            if key == "units":
                if fields.get("min_occupants", 1) > fields["max_occupants"]:
                    problems.add(source, "min_occupants is larger than max_occupants", column=f"{field}.min_occupants")
                    continue
                if fields.get("shared", False) and fields.get("beds") is None:
                    fields["beds"] = fields["max_occupants"]  # as units.csv reads an empty beds cell
                if not fields.get("shared", False):
                    fields["beds"] = None
            parsed.append(model(**fields))
        values[key] = tuple(parsed)
    return Forecast(**values)
