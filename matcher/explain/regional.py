"""The regional balance: per municipality, its share of the taakstelling against this proposal.

In a regional run households may be placed across municipal borders. Each municipality
wants to see what that means for it: how many homes it offered, how many persons this
proposal houses in its homes, how many of its own households' persons go elsewhere and how
many it takes in, and how many persons count for its taakstelling under the regional
agreement (the household's municipality or the home's). The section is in the proposal
only for a regional run with an agreement; the validator recomputes its numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matcher.input.policy import Policy

FIELDS = (
    "municipality",
    "taakstelling",
    "homes_offered",
    "persons_housed",
    "persons_placed_elsewhere",
    "persons_taken_in",
    "persons_counted",
)


def balance(
    policy: Policy,
    households: Iterable[str],
    units: Iterable[tuple[str, bool]],
    placements: Iterable[tuple[str, str, int]],
) -> list[dict[str, Any]]:
    """The balance rows, sorted by municipality.

    ``households``: each household's municipality; ``units``: each unit's municipality and
    whether it is offered (available within the horizon); ``placements``: per match the
    household's municipality, the home's and the persons placed.
    """
    agreement = policy.regional_agreement
    counts_for = agreement.counts_for if agreement is not None else "household"
    shares = agreement.taakstelling if agreement is not None else {}
    rows: dict[str, dict[str, Any]] = {}

    def row(name: str) -> dict[str, Any]:
        if name not in rows:
            rows[name] = {field: 0 for field in FIELDS[2:]} | {"municipality": name, "taakstelling": shares.get(name)}
        return rows[name]

    for name in households:
        row(name)
    for name in shares:
        row(name)
    for name, offered in units:
        row(name)["homes_offered"] += int(offered)
    for own, home, persons in placements:
        row(home)["persons_housed"] += persons
        if own != home:
            row(own)["persons_placed_elsewhere"] += persons
            row(home)["persons_taken_in"] += persons
        row(own if counts_for == "household" else home)["persons_counted"] += persons
    return [{field: rows[name][field] for field in FIELDS} for name in sorted(rows)]


def _personen(n: int) -> str:
    return "1 persoon" if n == 1 else f"{n} personen"


def balance_sentence(item: dict[str, Any], counts_for: str, lang: str) -> str:
    """One municipality's balance as a sentence."""
    name, offered, housed = item["municipality"], item["homes_offered"], item["persons_housed"]
    away, taken, counted, share = (
        item["persons_placed_elsewhere"],
        item["persons_taken_in"],
        item["persons_counted"],
        item["taakstelling"],
    )
    if lang == "nl":
        whose = "de gemeente van het huishouden" if counts_for == "household" else "de gemeente van de woning"
        text = (
            f"{name} biedt {offered} woning{'' if offered == 1 else 'en'} aan en huisvest er {_personen(housed)}; "
            f"{_personen(away)} uit eigen huishoudens naar een andere gemeente, {_personen(taken)} van elders. "
            f"Voor de taakstelling tellen {_personen(counted)} (plaatsingen tellen voor {whose})"
        )
        return text + (f", van een aandeel van {_personen(share)}." if share is not None else ".")
    whose = "the household's municipality" if counts_for == "household" else "the home's municipality"
    text = (
        f"{name} offers {offered} home{'' if offered == 1 else 's'} and houses {housed} "
        f"person{'' if housed == 1 else 's'} in them; {away} of its own persons go to another municipality, "
        f"{taken} come from elsewhere. {counted} count for its taakstelling (placements count for {whose})"
    )
    return text + (f", of a share of {share}." if share is not None else ".")


def regional_section(
    policy: Policy,
    households: Iterable[str],
    units: Iterable[tuple[str, bool]],
    placements: Iterable[tuple[str, str, int]],
    lang: str,
) -> dict[str, Any] | None:
    """The proposal's ``regional_balance`` section; None without a regional agreement (a run
    that is not regional, or a regional run that names no agreement, keeps its old proposal)."""
    if not policy.regional or policy.regional_agreement is None:
        return None
    counts_for = policy.regional_agreement.counts_for
    rows = balance(policy, households, units, placements)
    return {
        "counts_for": counts_for,
        "municipalities": [{**item, "explanation": balance_sentence(item, counts_for, lang)} for item in rows],
    }
