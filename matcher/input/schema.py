"""Typed records of the interchange format, as JSON objects (the HTTP body and its schema).

The parser in ``tables.py`` accepts the looser forms of CSV and XLSX cells and reports
errors by row and column; these models describe the canonical JSON shape of one row,
with every default filled in, for the service's OpenAPI schema and for clients.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher.input.instance import Instance

Vulnerability = Literal["mobility", "wheelchair", "medical", "lgbtiq", "psychosocial", "ex_amv"]


class Household(BaseModel):
    """One gekoppeld huishouden, pseudonymous."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    household_id: str = Field(min_length=1, examples=["H-0412"])
    municipality: str = Field(min_length=1, examples=["Nijmegen"])
    koppeling_date: dt.date
    adults: int = Field(ge=1, le=1000)
    children: int = Field(ge=0, le=1000)
    gender: Literal["F", "M", "X"]
    head_age: int = Field(ge=16, le=120)
    expected_reunification: int = Field(default=0, ge=0, le=1000)
    documents_complete: bool = True
    vulnerabilities: tuple[Vulnerability, ...] = ()
    preferred_neighbourhoods: tuple[str, ...] = ()
    expected_arrival_date: dt.date | None = Field(default=None, description="when the expected family members arrive (v1.1)")
    current_unit_id: str | None = Field(default=None, description="the temporary place the household lives in now (v1.1)")


class Unit(BaseModel):
    """One offered home or shared place."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: str = Field(min_length=1, examples=["U-17"])
    municipality: str = Field(min_length=1)
    neighbourhood: str = Field(min_length=1, examples=["Hatert"])
    corporation: str = ""
    unit_type: Literal["social", "flex", "transit"]
    temporary: bool
    shared: bool = False
    beds: int | None = Field(default=None, ge=1, le=1000)
    bedrooms: int = Field(ge=0, le=1000)
    min_occupants: int = Field(default=1, ge=1, le=1000)
    max_occupants: int = Field(ge=1, le=1000)
    rent: Decimal = Field(ge=0, le=100000)
    step_free: bool = False
    wheelchair: bool = False
    gender: Literal["", "F", "M"] = ""
    lgbtiq_safe: bool = False
    support: bool = False
    available_from: dt.date
    amv_home: bool = Field(default=False, description="an AMV home, kept for ex-AMV youngsters (rule B2)")


def _records(frame: Any, model: type[BaseModel]) -> list[Any]:
    names = list(model.model_fields)
    return [model.model_validate(row) for row in frame[names].to_dict(orient="records")]


def households_of(instance: Instance) -> list[Household]:
    """The instance's households as typed records (defaults filled in), in id order."""
    return _records(instance.households, Household)


def units_of(instance: Instance) -> list[Unit]:
    """The instance's units as typed records (defaults filled in), in id order."""
    return _records(instance.units, Unit)
