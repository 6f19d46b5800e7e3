"""One replicate's world: every household and every home that will appear, drawn up front.

Everything random that does not depend on decisions is drawn here, once per replicate,
from its own stream: the start pool, new koppelingen (when, who, with how many nareizigers
and when those arrive), vacancies (when, what, where) and the scenario's events. Each
strategy is then run on the very same world, which is what makes the comparison fair
(common random numbers), and the hindsight optimum reads the same world in full.

The distributions reuse the generator's calibrated shares (``matcher.generate``, sources in
docs/generator.md); the weekly rates are documented in docs/simulation.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.generate import (
    HOME_SIZES,
    REUNIFICATION_SHARES,
    REUNIFICATION_SIZES,
    VULNERABILITY_RATES,
    draw_home,
    generate_instance,
    unit_row,
)
from matcher.input import tables
from matcher.input.files import read_table
from matcher.input.instance import build_instance
from matcher.simulate.scenario import AddUnits, Nareizigers, Scenario
from matcher.simulate.streams import stream

IntArray = npt.NDArray[np.int64]
NEVER = 10**6  # a week that never comes


@dataclass(frozen=True)
class World:
    """Households and units of one replicate, with the weeks things happen.

    ``household_rows``/``unit_rows`` hold the static interchange columns of each entry;
    the simulator fills in what changes week by week (persons, documents, beds left).
    """

    household_rows: list[dict[str, Any]]
    arrival_week: IntArray
    koppeling_week: IntArray  # may be negative for the start pool
    adults: IntArray
    children: IntArray
    declared: IntArray  # nareizigers the household declared (what rule E5 sees)
    extra: IntArray  # nareizigers on top of the declared ones (a surprise)
    reunification_week: IntArray
    documents_week: IntArray
    unit_rows: list[dict[str, Any]]
    appear_week: IntArray
    kind: list[str]  # social, flex, transit, shared
    temporary: npt.NDArray[np.bool_]
    shared: npt.NDArray[np.bool_]
    beds: IntArray
    max_occupants: IntArray
    neighbourhood: list[str]
    # The week a household stops being the municipality's task if it is still waiting or in a
    # temporary place then (NEVER without ``inflow.leave_share_per_year``).
    leave_week: IntArray | None = None

    @property
    def n_households(self) -> int:
        return len(self.household_rows)

    @property
    def n_units(self) -> int:
        return len(self.unit_rows)

    @property
    def persons(self) -> IntArray:
        persons: IntArray = self.adults + self.children
        return persons


def _gamma_weeks(rng: np.random.Generator, n: int, mean: float, sd: float) -> IntArray:
    shape = (mean / sd) ** 2
    weeks: IntArray = np.ceil(rng.gamma(shape, mean / shape, size=n)).astype(np.int64)
    return np.maximum(weeks, 1)


def _start_frames(scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The start pool and units as checked, typed frames (from the generator or from files)."""
    start = scenario.start
    if start.households is not None:
        household_rows, household_header, households_name = read_table(Path(start.households), required=tables.HOUSEHOLD_REQUIRED)
        unit_rows: list[dict[str, Any] | None] = []
        unit_header: list[str] | None = None
        units_name = "units.csv"
        if start.units is not None:
            unit_rows, header, units_name = read_table(Path(start.units), required=tables.UNIT_REQUIRED)
            unit_header = header
        instance = build_instance(
            household_rows,
            unit_rows,
            {},
            households_source=households_name,
            units_source=units_name,
            household_header=household_header,
            unit_header=unit_header,
            today=start.date,
        )
        return instance.households, instance.units if start.include_units else instance.units.iloc[0:0]
    assert start.profile is not None
    households, units = _generated_frames(start.profile, start.profile_seed, start.date)
    return households, units if start.include_units else units.iloc[0:0]


# The last generated start pool: every replicate of a scenario draws its world from the same one.
_GENERATED: list[tuple[tuple[str, int, dt.date], tuple[pd.DataFrame, pd.DataFrame]]] = []


def _generated_frames(profile: str, seed: int, date: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The generator's households and units for a start, checked like any input; a fixed function
    of its arguments, so the last one is kept (the frames are only read)."""
    key = (profile, seed, date)
    if _GENERATED and _GENERATED[0][0] == key:
        return _GENERATED[0][1]
    households, units, policy = generate_instance(profile, seed, date)
    instance = build_instance(_records(households), _records(units), policy, today=date)  # checked like any input
    _GENERATED[:] = [(key, (instance.households, instance.units))]
    return instance.households, instance.units


def check_start(scenario: Scenario) -> None:
    """Read and check the start pool and units; raises InputError naming file, row and column."""
    _start_frames(scenario)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _household_row(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "household_id": record["household_id"],
        "municipality": record["municipality"],
        "koppeling_date": record["koppeling_date"].isoformat()
        if isinstance(record["koppeling_date"], dt.date)
        else str(record["koppeling_date"]),
        "gender": record["gender"],
        "head_age": int(record["head_age"]),
        "vulnerabilities": ";".join(record["vulnerabilities"])
        if not isinstance(record["vulnerabilities"], str)
        else record["vulnerabilities"],
        "preferred_neighbourhoods": ";".join(record["preferred_neighbourhoods"])
        if not isinstance(record["preferred_neighbourhoods"], str)
        else record["preferred_neighbourhoods"],
    }


def _unit_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {key: record[key] for key in ("unit_id", "municipality", "neighbourhood", "corporation", "unit_type")}
    row.update(
        temporary="true" if record["temporary"] else "false",
        shared="true" if record["shared"] else "false",
        bedrooms=int(record["bedrooms"]),
        min_occupants=int(record["min_occupants"]),
        max_occupants=int(record["max_occupants"]),
        rent=str(record["rent"]),
        step_free="true" if record["step_free"] else "false",
        wheelchair="true" if record["wheelchair"] else "false",
        gender=record["gender"] or "",
        lgbtiq_safe="true" if record["lgbtiq_safe"] else "false",
        support="true" if record["support"] else "false",
    )
    if record["shared"]:
        row["beds"] = int(record["beds"])
    return row


class _Builder:
    """Collects households and units as they are drawn."""

    def __init__(self) -> None:
        self.h_rows: list[dict[str, Any]] = []
        self.h: dict[str, list[int]] = {
            k: [] for k in ("arrival", "koppeling", "adults", "children", "declared", "extra", "reunification", "documents")
        }
        self.u_rows: list[dict[str, Any]] = []
        self.u_appear: list[int] = []
        self.u_kind: list[str] = []

    def household(self, row: dict[str, Any], **values: int) -> None:
        self.h_rows.append(row)
        for key, value in values.items():
            self.h[key].append(int(value))

    def unit(self, row: dict[str, Any], appear: int, kind: str) -> None:
        self.u_rows.append(row)
        self.u_appear.append(appear)
        self.u_kind.append(kind)

    def world(self) -> World:
        def arr(key: str) -> IntArray:
            return np.array(self.h[key], dtype=np.int64)

        shared = np.array([r["shared"] == "true" for r in self.u_rows], dtype=bool)
        return World(
            household_rows=self.h_rows,
            arrival_week=arr("arrival"),
            koppeling_week=arr("koppeling"),
            adults=arr("adults"),
            children=arr("children"),
            declared=arr("declared"),
            extra=arr("extra"),
            reunification_week=arr("reunification"),
            documents_week=arr("documents"),
            unit_rows=self.u_rows,
            appear_week=np.array(self.u_appear, dtype=np.int64),
            kind=self.u_kind,
            temporary=np.array([r["temporary"] == "true" for r in self.u_rows], dtype=bool),
            shared=shared,
            beds=np.array([int(r.get("beds", 1)) if s else 1 for r, s in zip(self.u_rows, shared, strict=True)], dtype=np.int64),
            max_occupants=np.array([int(r["max_occupants"]) for r in self.u_rows], dtype=np.int64),
            neighbourhood=[str(r["neighbourhood"]) for r in self.u_rows],
        )


def build_world(scenario: Scenario, replicate: int) -> World:
    """Draw the whole world of one replicate; the same scenario and replicate give the same world."""
    seed = scenario.seed
    builder = _Builder()
    _start(scenario, builder, stream(seed, replicate, "start"))
    _arrivals(scenario, builder, stream(seed, replicate, "arrivals"), stream(seed, replicate, "reunification"))
    _pipeline(scenario, builder, stream(seed, replicate, "pipeline"))
    _vacancies(scenario, builder, stream(seed, replicate, "vacancies"))
    _events(scenario, builder, stream(seed, replicate, "events"))
    world = builder.world()
    return replace(world, leave_week=_leave_weeks(scenario, world, stream(seed, replicate, "leaving")))


def _leave_weeks(scenario: Scenario, world: World, rng: np.random.Generator) -> IntArray:
    """A week for each household after its koppeling at which it leaves, drawn from a constant
    weekly chance that gives ``leave_share_per_year`` in 52 weeks (from a stream of its own, so
    no other draw moves)."""
    share = scenario.inflow.leave_share_per_year
    if share <= 0:
        return np.full(world.n_households, NEVER, dtype=np.int64)
    weekly = 1 - (1 - share) ** (1 / 52)
    weeks: IntArray = world.arrival_week + rng.geometric(weekly, size=world.n_households).astype(np.int64)
    return np.minimum(weeks, NEVER)


def _start(scenario: Scenario, builder: _Builder, rng: np.random.Generator) -> None:
    households, units = _start_frames(scenario)
    reunification = scenario.inflow.reunification
    n = len(households)
    delays = _gamma_weeks(rng, n, reunification.delay_weeks.mean, reunification.delay_weeks.sd)
    docs = _gamma_weeks(rng, n, scenario.inflow.documents_delay_weeks, scenario.inflow.documents_delay_weeks)
    extra_draw = rng.random(n) < reunification.extra_share
    extra_size = rng.integers(1, 3, size=n)
    for i, record in enumerate(_records(households)):
        declared = int(record["expected_reunification"])
        koppeling = record["koppeling_date"]
        builder.household(
            _household_row(record),
            arrival=0,
            koppeling=(koppeling - scenario.start.date).days // 7,
            adults=int(record["adults"]),
            children=int(record["children"]),
            declared=declared,
            extra=int(extra_size[i]) if declared > 0 and extra_draw[i] else 0,
            reunification=int(delays[i]) if declared > 0 else NEVER,
            documents=0 if record["documents_complete"] else int(docs[i]),
        )
    for record in _records(units):
        appear = scenario.week_of(record["available_from"])
        kind = "shared" if record["shared"] else str(record["unit_type"])
        builder.unit(_unit_row(record), appear, kind)


def _arrivals(scenario: Scenario, builder: _Builder, rng: np.random.Generator, reunion: np.random.Generator) -> None:
    """New koppelingen: Poisson per week, households drawn as the generator draws them."""
    inflow = scenario.inflow
    counts = rng.poisson(inflow.koppelingen_per_week, size=scenario.horizon_weeks)
    counts[0] = 0  # week 0 is the start pool
    n = int(counts.sum())
    weeks = np.repeat(np.arange(scenario.horizon_weeks), counts)
    sizes_keys = np.array(sorted(inflow.household_sizes), dtype=np.int64)
    shares = np.array([inflow.household_sizes[k] for k in sizes_keys], dtype=float)
    sizes = rng.choice(sizes_keys, size=n, p=shares / shares.sum())
    adults = np.where(sizes == 1, 1, np.where(sizes == 2, rng.choice([1, 2], size=n, p=[0.3, 0.7]), 2))
    adults = np.minimum(adults, sizes)
    children = sizes - adults
    single = sizes == 1
    r = inflow.reunification
    expects = np.where(single, rng.random(n) < r.share_singles, rng.random(n) < r.share_others)
    declared = np.where(expects, rng.choice(REUNIFICATION_SIZES, size=n, p=REUNIFICATION_SHARES), 0)
    ex_amv = single & (rng.random(n) < 0.12)
    head_age = np.where(
        ex_amv, rng.integers(18, 22, size=n), np.where(single, rng.integers(18, 50, size=n), rng.integers(22, 60, size=n))
    )
    gender = np.where(
        single, rng.choice(["M", "F", "X"], size=n, p=[0.74, 0.25, 0.01]), rng.choice(["M", "F"], size=n, p=[0.6, 0.4])
    )
    vulnerable = {name: rng.random(n) < rate for name, rate in VULNERABILITY_RATES.items()}
    documents_missing = rng.random(n) < inflow.documents_incomplete_share
    documents_delay = _gamma_weeks(rng, n, inflow.documents_delay_weeks, inflow.documents_delay_weeks)
    prefers = rng.random(n) < 0.3
    neighbourhoods = scenario.vacancies.neighbourhoods
    first_pref = rng.integers(0, len(neighbourhoods), size=n)
    # Reunification delays come from their own stream so that the arrival stream does not
    # shift when the delay distribution changes.
    delays = _gamma_weeks(reunion, n, r.delay_weeks.mean, r.delay_weeks.sd)
    extra = np.where(reunion.random(n) < r.extra_share, reunion.integers(1, 3, size=n), 0)
    covered = scenario.pipeline_weeks()  # weeks the COA's pipeline brings instead of drawn koppelingen
    for i in range(n):
        if int(weeks[i]) <= covered:
            continue
        items = [name for name in VULNERABILITY_RATES if vulnerable[name][i]]
        if ex_amv[i]:
            items.append("ex_amv")
        if "wheelchair" in items and "mobility" in items:
            items.remove("mobility")
        week = int(weeks[i])
        row = {
            "household_id": f"K{week:03d}-{i + 1:05d}",
            "municipality": scenario.vacancies.municipality,
            "koppeling_date": scenario.week_date(week).isoformat(),
            "gender": str(gender[i]),
            "head_age": int(head_age[i]),
            "vulnerabilities": ";".join(items),
            "preferred_neighbourhoods": neighbourhoods[int(first_pref[i])] if prefers[i] else "",
        }
        builder.household(
            row,
            arrival=week,
            koppeling=week,
            adults=int(adults[i]),
            children=int(children[i]),
            declared=int(declared[i]),
            extra=int(extra[i]) if declared[i] > 0 else 0,
            reunification=week + int(delays[i]) if declared[i] > 0 else NEVER,
            documents=week + int(documents_delay[i]) if documents_missing[i] else week,
        )


def _pipeline(scenario: Scenario, builder: _Builder, rng: np.random.Generator) -> None:
    """The COA's pipeline as koppelingen in the week of their expected date (after week 0, within the
    horizon), in id order. Their make-up is the pipeline's; the gender and age of the main applicant
    and the nareizigers' delay are drawn from a stream of their own. An AMV youngster is 18, with
    the ``ex_amv`` mark, and documents complete (Nidos arranges them)."""
    items = sorted(scenario.inflow.pipeline, key=lambda item: item.pipeline_id)
    r = scenario.inflow.reunification
    number = 0  # ids count the pipeline's households: the COA's references are not carried into the world
    for item in items:
        week = scenario.week_of(item.expected_date)
        if week <= 0 or week >= scenario.horizon_weeks:
            continue
        for _ in range(item.households):
            number += 1
            single = item.adults + item.children == 1
            gender = (
                str(rng.choice(["M", "F", "X"], p=[0.74, 0.25, 0.01])) if single else str(rng.choice(["M", "F"], p=[0.6, 0.4]))
            )
            head_age = 18 if item.kind == "amv" else int(rng.integers(18, 50) if single else rng.integers(22, 60))
            delay = int(_gamma_weeks(rng, 1, r.delay_weeks.mean, r.delay_weeks.sd)[0])
            row = {
                "household_id": f"C{week:03d}-{number:05d}",
                "municipality": scenario.vacancies.municipality,
                "koppeling_date": scenario.week_date(week).isoformat(),
                "gender": gender,
                "head_age": head_age,
                "vulnerabilities": "ex_amv" if item.kind == "amv" else "",
                "preferred_neighbourhoods": "",
            }
            builder.household(
                row,
                arrival=week,
                koppeling=week,
                adults=item.adults,
                children=item.children,
                declared=item.expected_reunification,
                extra=0,
                reunification=week + delay if item.expected_reunification > 0 else NEVER,
                documents=week,
            )


def _vacancies(scenario: Scenario, builder: _Builder, rng: np.random.Generator) -> None:
    """Vacancies per week and kind (Poisson), with sizes, rents and places as the generator draws them."""
    v = scenario.vacancies
    rates = {
        "social": v.social_per_week * v.statushouder_share,
        "flex": v.flex_per_week,
        "transit": v.transit_per_week,
        "shared": v.shared_per_week,
    }
    size_p = np.array([s[3] for s in HOME_SIZES])
    number = 0
    for week in range(scenario.horizon_weeks):
        for kind, rate in rates.items():
            for _ in range(int(rng.poisson(rate))):
                number += 1
                builder.unit(
                    _draw_unit(rng, kind, f"V{week:03d}-{number:05d}", v.municipality, v.neighbourhoods, size_p), week, kind
                )


def _draw_unit(
    rng: np.random.Generator,
    kind: str,
    unit_id: str,
    municipality: str,
    neighbourhoods: list[str],
    size_p: npt.NDArray[np.float64],
) -> dict[str, Any]:
    size = int(rng.choice(len(HOME_SIZES), p=size_p))
    shared = kind == "shared"
    unit_type = kind if not shared else str(rng.choice(["flex", "transit"]))
    home = draw_home(rng, unit_type, shared, size, neighbourhoods)
    return unit_row(rng, home, unit_id, municipality, temporary=lambda home: "false" if home.unit_type == "social" else "true")


def _events(scenario: Scenario, builder: _Builder, rng: np.random.Generator) -> None:
    for index, event in enumerate(scenario.events):
        if isinstance(event, AddUnits):
            week = scenario.week_of(event.date)
            if week >= scenario.horizon_weeks:
                continue
            temporary = event.temporary if event.temporary is not None else event.unit_type != "social"
            kind = "shared" if event.shared else event.unit_type
            for k in range(event.count):
                row: dict[str, Any] = {
                    "unit_id": f"E{index + 1:02d}-{k + 1:04d}",
                    "municipality": scenario.vacancies.municipality,
                    "neighbourhood": event.neighbourhood,
                    "corporation": "",
                    "unit_type": event.unit_type,
                    "temporary": "true" if temporary else "false",
                    "shared": "true" if event.shared else "false",
                    "bedrooms": event.bedrooms,
                    "min_occupants": event.min_occupants,
                    "max_occupants": event.max_occupants,
                    "rent": f"{event.rent:.2f}",
                    "step_free": "true" if rng.random() < event.step_free_share else "false",
                    "wheelchair": "false",
                    "gender": "",
                    "lgbtiq_safe": "false",
                    "support": "false",
                }
                if event.shared:
                    row["beds"] = event.beds or event.max_occupants
                builder.unit(row, week, kind)
        elif isinstance(event, Nareizigers):
            _nareizigers_wave(scenario, builder, event, rng)


def _nareizigers_wave(scenario: Scenario, builder: _Builder, event: Nareizigers, rng: np.random.Generator) -> None:
    """Bring the family of randomly chosen households forward into the event's window."""
    first, last = scenario.week_of(event.start), min(scenario.week_of(event.end), scenario.horizon_weeks - 1)
    if first > last:
        return
    arrival = np.array(builder.h["arrival"])
    reunion = np.array(builder.h["reunification"])
    coming = np.array(builder.h["declared"]) + np.array(builder.h["extra"])
    candidates = np.flatnonzero((coming > 0) & (arrival <= last) & (reunion > last))
    order = candidates[rng.permutation(len(candidates))]
    persons = 0
    for i in order.tolist():
        if persons >= event.persons:
            break
        builder.h["reunification"][i] = int(rng.integers(max(first, int(arrival[i])), last + 1))
        persons += int(coming[i])
