"""Loading and freezing one instance: households, units and policy, checked together.

Everything that can be wrong with the input is found here, before any solving starts,
so that a bad file never leads to a partial proposal. The frozen :class:`Instance` holds
the tables sorted by id (row order never matters) and the canonical hash of the input.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.errors import InputError, ProblemCollector
from matcher.input import tables
from matcher.input.files import read_table
from matcher.input.policy import Policy, parse_policy


@dataclass(frozen=True)
class Instance:
    """A checked instance. Tables are sorted by id and carry ``source_row``."""

    households: pd.DataFrame
    units: pd.DataFrame
    policy: Policy
    input_sha256: str
    policy_source: str = "policy.json"

    @cached_property
    def excluded_pairs(self) -> tuple[tuple[str, str], ...]:
        """E9: the policy's excluded pairs, and each move-on household with the place it lives in now.

        Computed once per instance: preparing, checking fixed pairs and every counterfactual
        candidate read it, and each read would otherwise walk the whole households table."""
        listed = set(self.units["unit_id"])
        moving = [
            (hid, uid)
            for hid, uid in zip(self.households["household_id"], self.households["current_unit_id"], strict=True)
            if uid and uid in listed
        ]
        return tuple(sorted(set(self.policy.excluded_pairs) | set(moving)))

    @property
    def n_households(self) -> int:
        return len(self.households)

    @property
    def n_units(self) -> int:
        return len(self.units)


def build_instance(
    household_rows: Sequence[Mapping[str, Any] | None],
    unit_rows: Sequence[Mapping[str, Any] | None],
    raw_policy: Any,
    *,
    households_source: str = "households.csv",
    units_source: str = "units.csv",
    policy_source: str = "policy.json",
    household_header: Sequence[str] | None = None,
    unit_header: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> Instance:
    """Check households, units and policy together and freeze them."""
    problems = ProblemCollector()
    policy: Policy | None = None
    try:
        policy = parse_policy(raw_policy, policy_source, today=today)
    except InputError as error:
        problems.problems.extend(error.problems)
    households = tables.parse_rows(household_rows, tables.HOUSEHOLD_COLUMNS, households_source, problems, household_header)
    units = tables.parse_rows(unit_rows, tables.UNIT_COLUMNS, units_source, problems, unit_header)
    tables.check_unique(households, "household_id", households_source, problems)
    tables.check_unique(units, "unit_id", units_source, problems)
    tables.check_households(households, households_source, problems)
    tables.check_units(units, units_source, problems)
    problems.raise_if_any()
    assert policy is not None
    _check_pairs(policy, households, units, policy_source, problems)
    problems.raise_if_any()
    household_frame = tables.households_frame(households)
    unit_frame = tables.units_frame(units)
    return Instance(
        households=household_frame,
        units=unit_frame,
        policy=policy,
        input_sha256=canonical_sha256(household_frame, unit_frame, policy),
        policy_source=policy_source,
    )


def _check_pairs(
    policy: Policy,
    households: list[dict[str, Any]],
    units: list[dict[str, Any]],
    source: str,
    problems: ProblemCollector,
) -> None:
    household_ids = {h["household_id"] for h in households}
    unit_ids = {u["unit_id"] for u in units}
    for field in ("fixed_pairs", "excluded_pairs"):
        for index, (household_id, unit_id) in enumerate(getattr(policy, field)):
            if household_id not in household_ids:
                problems.add(source, f'item {index + 1}: unknown household_id "{household_id}"', column=field)
            if unit_id not in unit_ids:
                problems.add(source, f'item {index + 1}: unknown unit_id "{unit_id}"', column=field)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (dt.date,)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "item"):
        return value.item()
    if value is None or isinstance(value, (str, int, bool, float)):
        return value
    return str(value)


def _column_values(values: list[Any]) -> list[Any]:
    """A column's cells as plain JSON values; a column of plain values (the usual case) as it is."""
    if {type(v) for v in values} <= _PLAIN:
        return values
    return [_json_value(v) for v in values]


_PLAIN = {str, int, bool, float, type(None)}


def canonical_records(frame: pd.DataFrame, columns: Sequence[tables.Column]) -> list[dict[str, Any]]:
    """Every row as plain JSON values; a v1.1 column only where it differs from its default."""
    names = [c.name for c in columns]
    later = {c.name: _json_value(c.default) for c in columns if c.since != "v1"}
    cells = [_column_values(frame[name].tolist()) for name in names]
    always = [k for k, name in enumerate(names) if name not in later]
    optional = [(k, name, later[name]) for k, name in enumerate(names) if name in later]
    records = []
    for row in zip(*cells, strict=True):
        record = {names[k]: row[k] for k in always}
        for k, name, default in optional:
            if row[k] != default:
                record[name] = row[k]
        records.append(record)
    return records


def canonical_sha256(households: pd.DataFrame, units: pd.DataFrame, policy: Policy) -> str:
    """Hash of the sorted, normalised input with every default applied."""
    document = {
        "format": "interchange/v1",
        "households": canonical_records(households, tables.HOUSEHOLD_COLUMNS),
        "units": canonical_records(units, tables.UNIT_COLUMNS),
        "policy": policy.canonical(),
    }
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def load_policy_file(path: Path | None) -> tuple[Any, str]:
    if path is None:
        return {}, "policy.json"
    name = path.name
    if not path.exists():
        raise InputError.single(name, f"file not found: {path}")
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig")), name
    except UnicodeDecodeError:
        raise InputError.single(name, "not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise InputError.single(name, f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None


def load_instance(
    households_path: Path,
    units_path: Path,
    policy_path: Path | None = None,
    today: dt.date | None = None,
    pipeline_path: Path | None = None,
) -> Instance:
    """Read the three interchange files and check them together; with ``pipeline_path`` the COA's pipeline
    gives the households of the look-ahead's forecast (``matcher.input.coa``)."""
    household_rows, household_header, households_name = read_table(households_path, required=tables.HOUSEHOLD_REQUIRED)
    unit_rows, unit_header, units_name = read_table(units_path, required=tables.UNIT_REQUIRED)
    raw_policy, policy_name = load_policy_file(policy_path)
    if pipeline_path is not None:
        from matcher.input.coa import policy_with_pipeline

        raw_policy = policy_with_pipeline(raw_policy, pipeline_path, policy_name, today)
    return build_instance(
        household_rows,
        unit_rows,
        raw_policy,
        households_source=households_name,
        units_source=units_name,
        policy_source=policy_name,
        household_header=household_header,
        unit_header=unit_header,
        today=today,
    )
