"""Reading stays exact when repeated cells are parsed once: every row keeps its own problems and values,
and the input hash is the canonical form's, written out row by row."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from matcher.errors import InputError
from matcher.input import tables
from matcher.input.instance import load_instance

HH = "household_id,municipality,koppeling_date,adults,children,gender,head_age,expected_arrival_date,current_unit_id"
UN = "unit_id,municipality,neighbourhood,unit_type,bedrooms,max_occupants,rent,available_from"


def test_same_bad_text_reported_on_every_row(tmp_path: Path) -> None:
    """A bad text that repeats in a column is reported once per row it is on, each with its own row number."""
    (tmp_path / "h.csv").write_text(
        f"{HH}\nH-1,Nijmegen,2025-01-01,1,0,M,30,,\nH-2,Nijmegen,2025-01-01,twee,0,M,30,,\n"
        "H-3,Nijmegen,2025-01-01,twee,0,M,30,,\nH-4,Nijmegen,2025-01-01,1,0,M,30,,\nH-5,Nijmegen,2025-01-01,twee,0,M,30,,\n",
        encoding="utf-8",
    )
    (tmp_path / "u.csv").write_text(f"{UN}\nU-1,Nijmegen,Hatert,social,1,2,450.00,2025-03-01\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_instance(tmp_path / "h.csv", tmp_path / "u.csv")
    rows = sorted(p.row or 0 for p in info.value.problems if p.column == "adults")
    assert rows == [3, 4, 6]


def _plain(value: Any) -> Any:
    """The canonical form of one cell, restated from the interchange spec."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _restated_hash(instance: Any) -> str:
    def records(frame: Any, columns: tuple[tables.Column, ...]) -> list[dict[str, Any]]:
        out = []
        for _, row in frame.iterrows():
            record = {}
            for column in columns:
                value = _plain(row[column.name])
                if column.since != "v1" and value == _plain(column.default):
                    continue
                record[column.name] = value
            out.append(record)
        return out

    document = {
        "format": "interchange/v1",
        "households": records(instance.households, tables.HOUSEHOLD_COLUMNS),
        "units": records(instance.units, tables.UNIT_COLUMNS),
        "policy": instance.policy.canonical(),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_input_hash_is_the_canonical_form(tmp_path: Path) -> None:
    """Repeated and v1.1 cells (set on some rows, at their default on others) hash as the canonical form
    written out row by row."""
    (tmp_path / "h.csv").write_text(
        f"{HH}\nH-1,Nijmegen,2025-01-01,1,0,M,30,2025-04-01,U-9\nH-2,Wijchen,2025-01-01,2,1,F,41,,\n"
        "H-3,Nijmegen,2025-02-01,1,0,X,30,,U-9\n",
        encoding="utf-8",
    )
    (tmp_path / "u.csv").write_text(
        f"{UN}\nU-1,Nijmegen,Hatert,social,1,2,450.10,2025-03-01\nU-2,Nijmegen,Hatert,social,1,2,450.1,2025-03-01\n",
        encoding="utf-8",
    )
    instance = load_instance(tmp_path / "h.csv", tmp_path / "u.csv")
    assert instance.input_sha256 == _restated_hash(instance)


@pytest.mark.parametrize(("profile", "seed"), [("nijmegen-week", 1), ("nijmegen-week", 3), ("regional", 2)])
def test_generated_weeks_hash_as_the_canonical_form(profile: str, seed: int) -> None:
    """Whole generated weeks (lists of vulnerabilities and preferred wijken, decimals, dates, booleans,
    empty cells, names with accents, v1.1 cells set on some rows only) hash as the canonical form written
    out row by row."""
    from matcher.generate import generate_instance
    from matcher.input.instance import build_instance

    hh, un, policy = generate_instance(profile, seed)
    hh.loc[hh.index[::7], "municipality"] = "Súdwest-Fryslân"
    hh["current_unit_id"] = ""
    un["amv_home"] = [k % 5 == 0 for k in range(len(un))]
    households = [{str(k): v for k, v in row.items()} for row in hh.to_dict(orient="records")]
    units = [{str(k): v for k, v in row.items()} for row in un.to_dict(orient="records")]
    instance = build_instance(households, units, policy)
    assert instance.units["amv_home"].any() and not instance.units["amv_home"].all()
    assert instance.input_sha256 == _restated_hash(instance)
