"""Synthetic instances calibrated to public figures, for examples, tests and benchmarks.

The figures behind the distributions, and their sources, are in ``docs/generator.md``.
Everything is drawn from one numpy Generator seeded by the caller, so a profile and a
seed always give the same files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matcher.input import tables

NIJMEGEN_WIJKEN = (
    "Bottendaal", "Altrade", "Galgenveld", "Wolfskuil", "Hees", "Heseveld", "Neerbosch-Oost",
    "Hatert", "Grootstal", "Hazenkamp", "Heijendaal", "Brakkenstein", "Hengstdal", "Meijhorst",
    "Tolhuis", "Zwanenveld", "Malvert", "Aldenhof", "Weezenhof", "Lankforst", "Vogelzang",
    "Kolpinghof", "Lent", "Oosterhout", "Benedenstad", "Biezen",
)  # fmt: skip

REGION = {
    "Nijmegen": NIJMEGEN_WIJKEN,
    "Wijchen": ("Wijchen-Centrum", "Wijchen-Homberg", "Wijchen-Valendries", "Wijchen-Noord", "Alverna", "Batenburg"),
    "Beuningen": ("Beuningen-Centrum", "Ewijk", "Weurt", "Winssen"),
    "Berg en Dal": ("Groesbeek", "Ooij", "Millingen aan de Rijn", "Berg en Dal-Dorp"),
    "Heumen": ("Malden", "Heumen-Dorp", "Overasselt", "Nederasselt"),
    "Druten": ("Druten-Centrum", "Afferden", "Deest", "Puiflijk"),
    "Mook en Middelaar": ("Mook", "Middelaar", "Molenhoek"),
}

CORPORATIONS = ("Talis", "Portaal", "Woonwaarts", "Standvast Wonen")
VULNERABILITY_RATES = {
    "wheelchair": 0.02,
    "mobility": 0.05,
    "medical": 0.08,
    "lgbtiq": 0.03,
    "psychosocial": 0.06,
}

# Household size now (persons) and its share of the gekoppelde households.
SIZE_SHARES = {1: 0.56, 2: 0.10, 3: 0.08, 4: 0.09, 5: 0.07, 6: 0.04, 7: 0.03, 8: 0.02, 9: 0.01}

# Nareizigers declared by a household that expects family: how many, and how often.
REUNIFICATION_SIZES = (1, 2, 3, 4, 5)
REUNIFICATION_SHARES = (0.25, 0.2, 0.25, 0.2, 0.1)

# Beds of a shared place: drawn uniformly from these.
SHARED_BEDS = (3, 4, 5, 6)

# (bedrooms, min_occupants, max_occupants, share of non-shared homes)
HOME_SIZES = (
    (0, 1, 1, 0.10),
    (1, 1, 2, 0.22),
    (2, 1, 4, 0.30),
    (3, 2, 6, 0.25),
    (4, 3, 8, 0.10),
    (5, 4, 10, 0.03),
)


@dataclass(frozen=True)
class Profile:
    """Size and shape of a generated instance."""

    households: int
    units: int
    municipalities: tuple[str, ...]
    regional: bool
    shared_share: float
    neighbourhood_caps: dict[str, int]
    municipality_weights: tuple[float, ...] | None = None


def _national_municipalities() -> tuple[str, ...]:
    return tuple(REGION) + tuple(f"Gemeente-{i:02d}" for i in range(1, 19))


PROFILES: dict[str, Profile] = {
    "nijmegen-week": Profile(150, 40, ("Nijmegen",), False, 0.10, {"Hatert": 2, "Neerbosch-Oost": 2, "Meijhorst": 1}),
    "regional": Profile(2000, 500, tuple(REGION), True, 0.10, {"Hatert": 6, "Neerbosch-Oost": 6, "Wijchen-Homberg": 4},
                        (0.62, 0.10, 0.07, 0.07, 0.05, 0.05, 0.04)),
    "national": Profile(20000, 5000, _national_municipalities(), True, 0.08, {}),
}  # fmt: skip

DEFAULT_PLANNING_DATE = dt.date(2025, 3, 3)


def _neighbourhoods(municipality: str) -> tuple[str, ...]:
    if municipality in REGION:
        return REGION[municipality]
    return tuple(f"{municipality}-Wijk-{i}" for i in range(1, 7))


def generate_instance(
    profile_name: str, seed: int, planning_date: dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Households, units and a policy for one profile and seed."""
    profile = PROFILES[profile_name]
    rng = np.random.default_rng(seed)
    date = planning_date or DEFAULT_PLANNING_DATE
    households = _households(profile, rng, date)
    units = _units(profile, rng, date)
    policy: dict[str, Any] = {
        "planning_date": date.isoformat(),
        "horizon_days": 14,
        "regional": profile.regional,
        "neighbourhood_caps": profile.neighbourhood_caps,
        "time_limit_s": 30,
        "seed": 0,
    }
    return households, units, policy


def _municipality_of(profile: Profile, n: int, rng: np.random.Generator) -> np.ndarray:
    names = np.array(profile.municipalities)
    weights = np.array(profile.municipality_weights or [1.0] * len(names), dtype=float)
    return rng.choice(names, size=n, p=weights / weights.sum())


def _households(profile: Profile, rng: np.random.Generator, date: dt.date) -> pd.DataFrame:
    n = profile.households
    sizes = rng.choice(list(SIZE_SHARES), size=n, p=np.array(list(SIZE_SHARES.values())))
    adults = np.where(sizes == 1, 1, np.where(sizes == 2, rng.choice([1, 2], size=n, p=[0.3, 0.7]), 2))
    adults = np.minimum(adults, sizes)
    children = sizes - adults
    single = sizes == 1
    # Many singles expect their family (gezinshereniging); small families sometimes too.
    expects = np.where(single, rng.random(n) < 0.42, rng.random(n) < 0.08)
    expected = np.where(expects, rng.choice(REUNIFICATION_SIZES, size=n, p=REUNIFICATION_SHARES), 0)
    ex_amv = single & (rng.random(n) < 0.12)
    head_age = np.where(
        ex_amv,
        rng.integers(18, 22, size=n),
        np.where(single, rng.integers(18, 50, size=n), rng.integers(22, 60, size=n)),
    )
    gender = np.where(
        single, rng.choice(["M", "F", "X"], size=n, p=[0.74, 0.25, 0.01]), rng.choice(["M", "F"], size=n, p=[0.6, 0.4])
    )
    # Waiting since koppeling: 6-18 months is common; large families wait longest.
    mean_wait = np.where(sizes >= 6, 330, np.where(single, 170, 150))
    waiting = np.minimum(rng.gamma(2.0, mean_wait / 2.0), 720).astype(int)
    koppeling = [(date - dt.timedelta(days=int(w))).isoformat() for w in waiting]
    documents = rng.random(n) >= 0.04
    vulnerabilities = []
    for i in range(n):
        items = [name for name, rate in VULNERABILITY_RATES.items() if rng.random() < rate]
        if ex_amv[i]:
            items.append("ex_amv")
        if "wheelchair" in items and "mobility" in items:
            items.remove("mobility")
        vulnerabilities.append(";".join(items))
    municipality = _municipality_of(profile, n, rng)
    preferred = []
    for i in range(n):
        if rng.random() < 0.3:
            options = _neighbourhoods(str(municipality[i]))
            k = int(rng.integers(1, 3))
            preferred.append(";".join(sorted(rng.choice(options, size=min(k, len(options)), replace=False))))
        else:
            preferred.append("")
    width = max(4, len(str(n)))
    return pd.DataFrame(
        {
            "household_id": [f"H-{i + 1:0{width}d}" for i in range(n)],
            "municipality": municipality,
            "koppeling_date": koppeling,
            "adults": adults,
            "children": children,
            "gender": gender,
            "head_age": head_age,
            "expected_reunification": expected,
            "documents_complete": np.where(documents, "true", "false"),
            "vulnerabilities": vulnerabilities,
            "preferred_neighbourhoods": preferred,
        }
    )


def _units(profile: Profile, rng: np.random.Generator, date: dt.date) -> pd.DataFrame:
    n = profile.units
    kind = rng.choice(
        ["social", "flex", "transit", "shared"],
        size=n,
        p=[0.62, 0.2, 0.18 - profile.shared_share, profile.shared_share],
    )
    size_index = rng.choice(len(HOME_SIZES), size=n, p=np.array([s[3] for s in HOME_SIZES]))
    municipality = _municipality_of(profile, n, rng)
    rows: list[dict[str, Any]] = []
    width = max(4, len(str(n)))
    for i in range(n):
        shared = kind[i] == "shared"
        unit_type = str(kind[i]) if not shared else str(rng.choice(["flex", "transit"], p=[0.5, 0.5]))
        home = draw_home(rng, unit_type, shared, int(size_index[i]), _neighbourhoods(str(municipality[i])))
        offset = int(rng.integers(-14, 22))
        row = unit_row(
            rng,
            home,
            f"U-{i + 1:0{width}d}",
            str(municipality[i]),
            temporary=lambda home: "" if rng.random() < 0.9 else ("true" if home.unit_type != "social" else "false"),
        )
        rows.append({"beds": "", **row, "available_from": (date + dt.timedelta(days=offset)).isoformat()})
    return pd.DataFrame(rows, columns=[column.name for column in tables.UNIT_COLUMNS if column.since == "v1"])


@dataclass(frozen=True)
class Home:
    """One drawn home, before it has an id, a municipality and a date."""

    unit_type: str  # social, flex or transit (a shared place is flex or transit)
    shared: bool
    neighbourhood: str
    bedrooms: int
    min_occupants: int
    max_occupants: int
    beds: int | None  # a shared place only
    rent: float
    step_free: bool
    wheelchair: bool


def draw_home(rng: np.random.Generator, unit_type: str, shared: bool, size: int, neighbourhoods: Sequence[str]) -> Home:
    """Where a home is, its size (``HOME_SIZES[size]``, or its beds), rent and access.

    The generator and the simulator both draw their homes here; the order of the draws is
    part of what a seed means, so changing it changes every drawn home."""
    bedrooms, low, high, _ = HOME_SIZES[size]
    if unit_type == "flex":
        bedrooms, low, high = min(bedrooms, 2), 1, min(high, 4)
    neighbourhood = str(rng.choice(neighbourhoods))
    if unit_type == "flex" and "Lankforst" in neighbourhoods and rng.random() < 0.5:
        neighbourhood = "Lankforst"  # NDW21 flexwoningen, Nieuwe Dukenburgseweg
    beds = int(rng.integers(SHARED_BEDS[0], SHARED_BEDS[-1] + 1)) if shared else None
    if shared:
        rent = float(rng.uniform(300, 460))
    elif unit_type == "social":
        rent = float(rng.normal(560 + 45 * bedrooms, 70))
    elif unit_type == "flex":
        rent = float(rng.uniform(430, 640))
    else:
        rent = float(rng.uniform(350, 560))
    wheelchair = bool(rng.random() < 0.05)
    step_free = wheelchair or bool(rng.random() < 0.25)
    if beds is not None:
        bedrooms, low, high = beds, 1, beds
    return Home(unit_type, shared, neighbourhood, bedrooms, low, high, beds, rent, step_free, wheelchair)


def unit_row(
    rng: np.random.Generator, home: Home, unit_id: str, municipality: str, temporary: Callable[[Home], str]
) -> dict[str, Any]:
    """A drawn home as a row of the units table (``beds`` only for a shared place, no date).

    Draws the corporation, then calls ``temporary(home)`` for the temporary cell, then what a
    shared place offers (gender, LGBTIQ-safe, support), in this order."""
    row: dict[str, Any] = {
        "unit_id": unit_id,
        "municipality": municipality,
        "neighbourhood": home.neighbourhood,
        "corporation": str(rng.choice(CORPORATIONS)) if home.unit_type == "social" else "",
        "unit_type": home.unit_type,
        "temporary": temporary(home),
        "shared": "true" if home.shared else "false",
        "bedrooms": home.bedrooms,
        "min_occupants": home.min_occupants,
        "max_occupants": home.max_occupants,
        "rent": f"{max(home.rent, 250.0):.2f}",
        "step_free": "true" if home.step_free else "false",
        "wheelchair": "true" if home.wheelchair else "false",
        "gender": str(rng.choice(["", "M", "F"], p=[0.4, 0.45, 0.15])) if home.shared else "",
        "lgbtiq_safe": "true" if home.shared and rng.random() < 0.2 else "false",
        "support": "true" if (home.shared or home.unit_type == "transit") and rng.random() < 0.3 else "false",
    }
    if home.beds is not None:
        row["beds"] = home.beds
    return row
