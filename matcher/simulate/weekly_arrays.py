"""A simulated week straight from arrays: the world encoded once, only the changing columns set.

Building each week's engine instance through tables (``matcher.simulate.weekly``) and encoding
it again cost more than the week's solve. Here every static column of the world's households
and homes (municipality, gender, needs, koppeling date, rent, size, ...) is encoded once per
world, and each week only the columns a case or the ledger changes are set: persons,
expected nareizigers and the day they come, documents, the place a mover lives in now, and
the beds left in a shared place. The week then goes to ``prepare_encoded`` with the codes
``encode`` would give the same week, so the engine sees the same arrays in the same order.
The hindsight references read the same arrays for their eligibility over the whole horizon
(``eligible_over_horizon_arrays``). ``tests/simulate/test_weekly_arrays.py`` proves the pairs
and that eligibility equal those of the instance path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.input.policy import Policy, parse_policy
from matcher.model.prepare import EncodedWeek
from matcher.model.tiebreak import id_scores
from matcher.rules.arrays import (
    UNIT_GENDER_CODES,
    BoolArray,
    Codes,
    HouseholdColumns,
    IntArray,
    UnitColumns,
    households_from_columns,
    micro,
    regional_bits,
    units_from_columns,
)
from matcher.rules.eligibility import rule_masks
from matcher.simulate.scenario import Scenario
from matcher.simulate.weekly import WeeklyTables, horizon_policy
from matcher.simulate.world import World

NAT = np.datetime64("NaT", "D")


def _day(value: dt.date | None) -> np.datetime64:
    return NAT if value is None else np.datetime64(value, "D")


@dataclass(frozen=True)
class WeekState:
    """The columns of a week's households and homes that a simulation changes, one entry per
    household (per home for ``available`` and ``beds``); ``current_unit`` is the id of the place
    a household lives in now, or ""."""

    adults: IntArray
    children: IntArray
    expected_reunification: IntArray
    expected_arrival: npt.NDArray[np.datetime64]
    documents: BoolArray
    current_unit: list[str]
    available: npt.NDArray[np.datetime64]
    beds: IntArray


class WeeklyArrays:
    """One world's households and homes encoded once; ``week`` sets what changed."""

    def __init__(self, tables: WeeklyTables) -> None:
        hh, un = tables.households, tables.units
        self.household_ids = [str(r["household_id"]) for r in hh]
        self.unit_ids = [str(r["unit_id"]) for r in un]
        # Rank of each id in string order: a week's tables are sorted by id.
        self.household_rank = _ranks(self.household_ids)
        self.unit_rank = _ranks(self.unit_ids)
        self.municipalities = sorted({str(r["municipality"]) for r in hh} | {str(r["municipality"]) for r in un})
        preferences = [tuple(str(n) for n in r["preferred_neighbourhoods"]) for r in hh]
        self.neighbourhoods = sorted({str(r["neighbourhood"]) for r in un}.union(*[set(p) for p in preferences]))
        muni = {name: k for k, name in enumerate(self.municipalities)}
        nbh = {name: k for k, name in enumerate(self.neighbourhoods)}
        self.preferences = preferences
        self.preferred_codes = [np.array([nbh[n] for n in p], dtype=np.int64) for p in preferences]
        self.h_municipality = np.array([muni[str(r["municipality"])] for r in hh], dtype=np.int64)
        self.h_municipality_names = [str(r["municipality"]) for r in hh]
        self.koppeling = np.array([_day(r["koppeling_date"]) for r in hh], dtype="datetime64[D]")
        self.head_age = np.array([r["head_age"] for r in hh], dtype=np.int64)
        self.gender = np.array([str(r["gender"]) for r in hh], dtype=str)
        vulns = [set(r["vulnerabilities"]) for r in hh]
        self.wheelchair = np.array(["wheelchair" in v for v in vulns], dtype=bool)
        self.mobility = np.array(["mobility" in v for v in vulns], dtype=bool)
        self.lgbtiq = np.array(["lgbtiq" in v for v in vulns], dtype=bool)
        self.psychosocial = np.array(["psychosocial" in v for v in vulns], dtype=bool)
        self.ex_amv = np.array(["ex_amv" in v for v in vulns], dtype=bool)
        self.vulnerable = np.array([len(v) > 0 for v in vulns], dtype=bool)
        self.u_municipality = np.array([muni[str(r["municipality"])] for r in un], dtype=np.int64)
        self.u_municipality_names = [str(r["municipality"]) for r in un]
        self.u_neighbourhood = np.array([nbh[str(r["neighbourhood"])] for r in un], dtype=np.int64)
        self.shared = np.array([bool(r["shared"]) for r in un], dtype=bool)
        self.temporary = np.array([bool(r["temporary"]) for r in un], dtype=bool)
        self.beds = np.array([0 if r["beds"] is None else int(r["beds"]) for r in un], dtype=np.int64)
        self.min_occupants = np.array([r["min_occupants"] for r in un], dtype=np.int64)
        self.max_occupants = np.array([r["max_occupants"] for r in un], dtype=np.int64)
        self.bedrooms = np.array([r["bedrooms"] for r in un], dtype=np.int64)
        self.rent_micro = np.array([micro(r["rent"]) for r in un], dtype=np.int64)
        self.step_free = np.array([bool(r["step_free"]) for r in un], dtype=bool)
        self.u_wheelchair = np.array([bool(r["wheelchair"]) for r in un], dtype=bool)
        self.u_gender = np.array([UNIT_GENDER_CODES.get(str(r["gender"]), -1) for r in un], dtype=np.int64)
        self.lgbtiq_safe = np.array([bool(r["lgbtiq_safe"]) for r in un], dtype=bool)
        self.support = np.array([bool(r["support"]) for r in un], dtype=bool)
        self.amv_home = np.array([bool(r["amv_home"]) for r in un], dtype=bool)
        self._region: tuple[object, IntArray, IntArray] | None = None
        self._ties: tuple[int, IntArray, IntArray] | None = None

    def _tie_scores(self, seed: int) -> tuple[IntArray, IntArray]:
        """The tie-break score of every world household and home (a function of id and seed)."""
        if self._ties is None or self._ties[0] != seed:
            h = id_scores(self.household_ids, seed, b"h")
            u = id_scores(self.unit_ids, seed, b"u")
            self._ties = (seed, h, u)
        return self._ties[1], self._ties[2]

    def _regional(self, policy: Policy) -> tuple[IntArray, IntArray]:
        """Reach and region bits per world row, kept while the policy's agreement is the same."""
        agreement = policy.regional_agreement
        if self._region is None or self._region[0] != agreement:
            reach, bit = regional_bits(policy, self.h_municipality_names, self.u_municipality_names)
            self._region = (agreement, reach, bit)
        return self._region[1], self._region[2]

    def week(
        self,
        households: Sequence[tuple[int, dict[str, Any]]],
        units: Sequence[tuple[int, dict[str, Any]]],
        policy: Policy,
    ) -> tuple[EncodedWeek, IntArray, IntArray]:
        """The week's encoded arrays, with the world index of each of its households and homes.

        ``households`` and ``units`` are (world index, changed columns) as the instance path
        takes them; the answer lists them in id order, as an instance's tables do."""
        h_world = np.array([i for i, _ in households], dtype=np.int64)
        u_world = np.array([j for j, _ in units], dtype=np.int64)
        h_changes = [c for _, c in households]
        u_changes = [c for _, c in units]
        beds = self.beds[u_world].copy()
        for k, changes in enumerate(u_changes):
            if "beds" in changes:
                beds[k] = int(changes["beds"])
        state = WeekState(
            adults=np.array([c["adults"] for c in h_changes], dtype=np.int64),
            children=np.array([c["children"] for c in h_changes], dtype=np.int64),
            expected_reunification=np.array([c["expected_reunification"] for c in h_changes], dtype=np.int64),
            expected_arrival=np.array([_day(c["expected_arrival_date"]) for c in h_changes], dtype="datetime64[D]"),
            documents=np.array([bool(c["documents_complete"]) for c in h_changes], dtype=bool),
            current_unit=[str(c.get("current_unit_id") or "") for c in h_changes],
            available=np.array([_day(c["available_from"]) for c in u_changes], dtype="datetime64[D]"),
            beds=beds,
        )
        return self.week_of(h_world, u_world, state, policy)

    def week_of(
        self, h_world: IntArray, u_world: IntArray, state: WeekState, policy: Policy
    ) -> tuple[EncodedWeek, IntArray, IntArray]:
        """``week`` for the households ``h_world`` and homes ``u_world`` (world indices) whose
        changing columns are ``state``, parallel to them: a simulation keeps these in arrays."""
        h_order = np.argsort(self.household_rank[h_world], kind="stable")
        u_order = np.argsort(self.unit_rank[u_world], kind="stable")
        h_sel, u_sel = h_world[h_order], u_world[u_order]
        # The codes of this week alone, as ``encode`` sorts them: a subset of the world's, in order.
        muni_used = np.unique(np.concatenate([self.h_municipality[h_sel], self.u_municipality[u_sel]]))
        nbh_parts = [self.u_neighbourhood[u_sel], *(self.preferred_codes[i] for i in h_sel.tolist())]
        nbh_used = np.unique(np.concatenate(nbh_parts))
        codes = Codes([self.municipalities[k] for k in muni_used.tolist()], [self.neighbourhoods[k] for k in nbh_used.tolist()])
        reach, region_bit = self._regional(policy)
        h_ids = [self.household_ids[i] for i in h_sel.tolist()]
        u_ids = [self.unit_ids[j] for j in u_sel.tolist()]
        current = [state.current_unit[k] for k in h_order.tolist()]
        household_columns = HouseholdColumns(
            ids=h_ids,
            documents=state.documents[h_order],
            municipality=np.searchsorted(muni_used, self.h_municipality[h_sel]).astype(np.int64),
            adults=state.adults[h_order],
            children=state.children[h_order],
            expected_reunification=state.expected_reunification[h_order],
            expected_arrival=state.expected_arrival[h_order],
            koppeling=self.koppeling[h_sel],
            head_age=self.head_age[h_sel],
            gender=self.gender[h_sel],
            wheelchair=self.wheelchair[h_sel],
            mobility=self.mobility[h_sel],
            lgbtiq=self.lgbtiq[h_sel],
            psychosocial=self.psychosocial[h_sel],
            ex_amv=self.ex_amv[h_sel],
            vulnerable=self.vulnerable[h_sel],
            move_on=np.array([bool(c) for c in current], dtype=bool),
            reach=reach[h_sel],
        )
        available = state.available[u_order]
        unit_columns = UnitColumns(
            ids=u_ids,
            available_from=available,
            municipality=np.searchsorted(muni_used, self.u_municipality[u_sel]).astype(np.int64),
            neighbourhood=np.searchsorted(nbh_used, self.u_neighbourhood[u_sel]).astype(np.int64),
            shared=self.shared[u_sel],
            temporary=self.temporary[u_sel],
            beds=state.beds[u_order],
            min_occupants=self.min_occupants[u_sel],
            max_occupants=self.max_occupants[u_sel],
            bedrooms=self.bedrooms[u_sel],
            rent_micro=self.rent_micro[u_sel],
            step_free=self.step_free[u_sel],
            wheelchair=self.u_wheelchair[u_sel],
            gender=self.u_gender[u_sel],
            lgbtiq_safe=self.lgbtiq_safe[u_sel],
            support=self.support[u_sel],
            region_bit=region_bit[u_sel],
            amv_home=self.amv_home[u_sel],
        )
        tie_h, tie_u = self._tie_scores(policy.seed)
        listed = set(u_ids)
        moving = {(hid, uid) for hid, uid in zip(h_ids, current, strict=True) if uid and uid in listed}
        week = EncodedWeek(
            households=households_from_columns(household_columns, policy, bool(unit_columns.amv_home.any())),
            units=units_from_columns(unit_columns, policy),
            codes=codes,
            policy=policy,
            excluded_pairs=tuple(sorted(set(policy.excluded_pairs) | moving)),
            preferences=[self.preferences[i] for i in h_sel.tolist()],
            koppeling_day=self.koppeling[h_sel].astype(np.int64),
            available_day=available.astype(np.int64),
            tie_scores=(tie_h[h_sel], tie_u[u_sel]),
        )
        return week, h_sel, u_sel


def eligible_over_horizon_arrays(
    scenario: Scenario, world: World, makeups: Sequence[Sequence[dict[str, Any]]]
) -> list[BoolArray]:
    """``weekly.eligible_over_horizon`` of every world household in each make-up, from the
    world's encoded arrays (no tables): for each make-up (per world household the columns
    ``adults``, ``children`` and ``expected_reunification``), rules E1-E8 of each world
    household against each world home over the whole horizon at once, rows and columns in
    world order. ``tests/simulate/test_weekly_arrays.py`` proves the answers equal."""
    _, encoded = world_tables(world)
    start = scenario.start.date
    policy = parse_policy(horizon_policy(scenario), "policy", today=start)
    units = [(j, {"available_from": start}) for j in range(world.n_units)]
    answers: list[BoolArray] = []
    for makeup in makeups:
        households = [
            (i, {**columns, "documents_complete": True, "expected_arrival_date": None}) for i, columns in enumerate(makeup)
        ]
        week, h_sel, u_sel = encoded.week(households, units, policy)
        h, u = week.households, week.units
        mask = np.logical_and.reduce(rule_masks(h, u, policy, np.arange(len(h.ids)), np.arange(len(u.ids))))
        eligible = np.zeros((world.n_households, world.n_units), dtype=bool)
        eligible[np.ix_(h_sel, u_sel)] = mask
        answers.append(eligible)
    return answers


_LAST: list[tuple[World, WeeklyTables, WeeklyArrays]] = []


def world_tables(world: World) -> tuple[WeeklyTables, WeeklyArrays]:
    """The world's parsed rows and encoded arrays, shared by the strategies run on it in turn
    (neither is changed by a simulation); only the last world is kept."""
    if _LAST and _LAST[0][0] is world:
        return _LAST[0][1], _LAST[0][2]
    tables = WeeklyTables(world.household_rows, world.unit_rows)
    encoded = WeeklyArrays(tables)
    _LAST[:] = [(world, tables, encoded)]
    return tables, encoded


def _ranks(ids: list[str]) -> IntArray:
    order = sorted(range(len(ids)), key=ids.__getitem__)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.array(order, dtype=np.int64)] = np.arange(len(ids), dtype=np.int64)
    return rank
