"""The regional agreement: which municipalities may place in which, and for whom it counts.

A regional WBB (for example the region Rijk van Nijmegen) runs several municipalities in
one proposal. Without an agreement a regional run lets every household go to every
municipality (rule E3 switched off). The agreement narrows that to what the municipalities
agreed, and says whose taakstelling a placement across a border counts for: the
household's municipality (it was gekoppeld there) or the home's (it lives there now).
Each municipality's share of the regional taakstelling is part of the agreement too, so the
proposal can show a balance per municipality.

Parsing is strict like the rest of the policy: every problem names its field, e.g.
``policy.json column regional_agreement.counts_for: expected one of household, home``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from matcher.errors import ProblemCollector
from matcher.input import cells

COUNTS_FOR = ("household", "home")
FIELDS = ("may_place", "counts_for", "taakstelling")
# The rules encode the municipalities an agreement names as bits of one 64-bit integer.
MAX_MUNICIPALITIES = 62


class RegionalAgreement(BaseModel):
    """Who may place in whose homes, whose taakstelling a placement counts for, and the shares."""

    model_config = ConfigDict(frozen=True)

    # Household's municipality -> the other municipalities whose homes it may be offered.
    may_place: dict[str, tuple[str, ...]]
    counts_for: str = "household"
    # Municipality -> its share of the regional taakstelling (persons).
    taakstelling: dict[str, int] = {}

    @property
    def municipalities(self) -> list[str]:
        """Every municipality the agreement names, sorted."""
        names = set(self.may_place) | set(self.taakstelling)
        for targets in self.may_place.values():
            names.update(targets)
        return sorted(names)

    def allows(self, household_municipality: str, unit_municipality: str) -> bool:
        """May a household of the first municipality be offered a home in the second?"""
        return household_municipality == unit_municipality or unit_municipality in self.may_place.get(household_municipality, ())

    def canonical(self) -> dict[str, Any]:
        return {
            "may_place": {name: sorted(targets) for name, targets in sorted(self.may_place.items())},
            "counts_for": self.counts_for,
            "taakstelling": dict(sorted(self.taakstelling.items())),
        }


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise cells.CellError(f"expected a municipality name, got {cells.show(value)}")
    return value.strip()


def parse_regional_agreement(raw: Any, source: str, problems: ProblemCollector) -> RegionalAgreement | None:
    """Validate the policy's ``regional_agreement`` object; problems are added to ``problems``."""
    field = "regional_agreement"
    if not isinstance(raw, dict):
        problems.add(source, "expected an object with may_place, counts_for and taakstelling", column=field)
        return None
    for key in raw:
        if key not in FIELDS:
            problems.add(source, f"unknown field; expected {', '.join(FIELDS)}", column=f"{field}.{key}")
    may_place: dict[str, tuple[str, ...]] = {}
    places = raw.get("may_place")
    if not isinstance(places, dict) or not places:
        problems.add(
            source, "expected an object municipality -> list of municipalities it may place in", column=f"{field}.may_place"
        )
    else:
        for name, targets in places.items():
            column = f"{field}.may_place.{name}"
            if not str(name).strip():
                problems.add(source, "a municipality name must not be empty", column=column)
                continue
            if not isinstance(targets, list):
                problems.add(source, f"expected a list of municipality names, got {cells.show(targets)}", column=column)
                continue
            parsed: list[str] = []
            for index, target in enumerate(targets):
                try:
                    parsed.append(_name(target))
                except cells.CellError as error:
                    problems.add(source, f"item {index + 1}: {error}", column=column)
            may_place[str(name).strip()] = tuple(sorted(set(parsed)))
    counts_for = "household"
    if raw.get("counts_for") is not None:
        try:
            counts_for = cells.parse_choice(raw["counts_for"], COUNTS_FOR)
        except cells.CellError as error:
            problems.add(source, str(error), column=f"{field}.counts_for")
    taakstelling: dict[str, int] = {}
    shares = raw.get("taakstelling")
    if shares is not None:
        if not isinstance(shares, dict):
            problems.add(source, "expected an object municipality -> persons", column=f"{field}.taakstelling")
        else:
            for name, persons in shares.items():
                column = f"{field}.taakstelling.{name}"
                if isinstance(persons, (bool, str)) or not isinstance(persons, int) or not 0 <= persons <= 10**6:
                    problems.add(source, f"expected an integer from 0 to 1000000, got {cells.show(persons)}", column=column)
                    continue
                taakstelling[str(name).strip()] = persons
    agreement = RegionalAgreement(may_place=may_place, counts_for=counts_for, taakstelling=taakstelling)
    if len(agreement.municipalities) > MAX_MUNICIPALITIES:
        problems.add(
            source,
            f"names {len(agreement.municipalities)} municipalities; a regional agreement names at most {MAX_MUNICIPALITIES}",
            column=field,
        )
    return agreement
