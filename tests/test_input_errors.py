"""Every class of bad input is rejected with file, row, column and what was expected."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import household, unit

from matcher.errors import InputError
from matcher.input.instance import build_instance, load_instance

HH_HEADER = "household_id,municipality,koppeling_date,adults,children,gender,head_age"
UN_HEADER = "unit_id,municipality,neighbourhood,unit_type,bedrooms,max_occupants,rent,available_from"
GOOD_HH = "H-1,Nijmegen,2025-01-01,1,0,M,30"
GOOD_UN = "U-1,Nijmegen,Hatert,social,1,2,450.00,2025-03-01"


def _write(tmp: Path, households: str, units: str, policy: str | None = None) -> tuple[Path, Path, Path | None]:
    h, u = tmp / "households.csv", tmp / "units.csv"
    h.write_text(households, encoding="utf-8")
    u.write_text(units, encoding="utf-8")
    p = None
    if policy is not None:
        p = tmp / "policy.json"
        p.write_text(policy, encoding="utf-8")
    return h, u, p


def _error(tmp: Path, households: str, units: str, policy: str | None = None) -> str:
    h, u, p = _write(tmp, households, units, policy)
    with pytest.raises(InputError) as info:
        load_instance(h, u, p)
    return str(info.value)


def test_bad_integer_names_file_row_column(tmp_path: Path) -> None:
    """The spec's own example: a word where an integer belongs."""
    units = f"{UN_HEADER}\n{GOOD_UN}\nU-2,Nijmegen,Hatert,social,1,drie,450,2025-03-01\n"
    message = _error(tmp_path, f"{HH_HEADER}\n{GOOD_HH}\n", units)
    assert message == 'units.csv row 3, column max_occupants: expected an integer >= 1, got "drie"'


@pytest.mark.parametrize(
    ("row", "column", "expected"),
    [
        ("H-1,Nijmegen,01-01-2025,1,0,M,30", "koppeling_date", "expected an ISO date"),
        ("H-1,Nijmegen,2025-01-01,0,0,M,30", "adults", "expected an integer >= 1"),
        ("H-1,Nijmegen,2025-01-01,1,-1,M,30", "children", "expected an integer >= 0"),
        ("H-1,Nijmegen,2025-01-01,1,0,Q,30", "gender", "expected one of F, M, X"),
        ("H-1,Nijmegen,2025-01-01,1,0,M,12", "head_age", "expected an integer from 16 to 120"),
        ("H-1,,2025-01-01,1,0,M,30", "municipality", "a value is required"),
        ("H-1,Nijmegen,2025-01-01,99999999999999999999,0,M,30", "adults", "expected an integer from 1 to 1000"),
    ],
)
def test_bad_household_cells(tmp_path: Path, row: str, column: str, expected: str) -> None:
    """Each bad cell is located at row 2 and its column."""
    message = _error(tmp_path, f"{HH_HEADER}\n{row}\n", f"{UN_HEADER}\n{GOOD_UN}\n")
    assert message.startswith(f"households.csv row 2, column {column}: {expected}")


@pytest.mark.parametrize(
    ("header", "row", "column", "expected"),
    [
        (UN_HEADER + ",shared", GOOD_UN + ",misschien", "shared", "expected true/false"),
        (
            UN_HEADER,
            "U-1,Nijmegen,Hatert,villa,1,2,450,2025-03-01",
            "unit_type",
            "expected one of social, flex, transit",
        ),
        (UN_HEADER, "U-1,Nijmegen,Hatert,social,1,2,-5,2025-03-01", "rent", "expected a decimal amount"),
        (
            UN_HEADER + ",min_occupants",
            GOOD_UN + ",3",
            "min_occupants",
            "min_occupants (3) is larger than max_occupants (2)",
        ),
        (UN_HEADER + ",gender", GOOD_UN + ",X", "gender", "expected one of F, M"),
    ],
)
def test_bad_unit_cells(tmp_path: Path, header: str, row: str, column: str, expected: str) -> None:
    """Unit cells are checked the same way."""
    message = _error(tmp_path, f"{HH_HEADER}\n{GOOD_HH}\n", f"{header}\n{row}\n")
    assert message.startswith(f"units.csv row 2, column {column}: {expected}")


def test_bad_vulnerability(tmp_path: Path) -> None:
    """An unknown item in a ;-list is named."""
    message = _error(tmp_path, f"{HH_HEADER},vulnerabilities\n{GOOD_HH},mobility;blind\n", f"{UN_HEADER}\n{GOOD_UN}\n")
    assert "households.csv row 2, column vulnerabilities" in message and '"blind"' in message


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ('{"objective": [{"placed_persons": 1.5}]}', "policy.json column objective[0].placed_persons: weight"),
        ('{"objective": [{"happiness": 1}]}', 'unknown term "happiness"'),
        ('{"objective": [{}]}', "a tier must be a non-empty map"),
        ('{"horizon_days": "two weeks"}', "policy.json column horizon_days: expected an integer"),
        ('{"planning_date": "3 maart"}', "expected an ISO date"),
        ('{"neighbourhood_caps": {"Hatert": -1}}', "neighbourhood_caps.Hatert"),
        ('{"horizn_days": 7}', "horizn_days: unknown field"),
        ('{"rent_caps": {"low": "veel"}}', "rent_caps.low"),
        ("{not json", "policy.json: not valid JSON"),
    ],
)
def test_bad_policy(tmp_path: Path, policy: str, expected: str) -> None:
    """Each policy problem names its field."""
    assert expected in _error(tmp_path, f"{HH_HEADER}\n{GOOD_HH}\n", f"{UN_HEADER}\n{GOOD_UN}\n", policy)


def test_xlsx_input_reads_like_csv(tmp_path: Path) -> None:
    """An .xlsx with the same columns gives the same instance (same hash) as the CSV."""
    h, u, _ = _write(tmp_path, f"{HH_HEADER},documents_complete\n{GOOD_HH},ja\n", f"{UN_HEADER},shared\n{GOOD_UN},false\n")
    from_csv = load_instance(h, u)
    hx, ux = tmp_path / "households.xlsx", tmp_path / "units.xlsx"
    frame = pd.read_csv(h, dtype=str)
    frame["adults"] = frame["adults"].astype(int)
    frame["documents_complete"] = True
    frame.to_excel(hx, index=False)
    units = pd.read_csv(u, dtype=str)
    units["rent"] = 450.0
    units["shared"] = False
    units["available_from"] = pd.Timestamp("2025-03-01")
    units.to_excel(ux, index=False)
    assert load_instance(hx, ux).input_sha256 == from_csv.input_sha256


def test_xlsx_bad_cell(tmp_path: Path) -> None:
    """A bad cell in a workbook is located like in a CSV file."""
    hx, ux = tmp_path / "households.xlsx", tmp_path / "units.xlsx"
    pd.DataFrame([household(adults="twee")]).to_excel(hx, index=False)
    pd.DataFrame([unit()]).to_excel(ux, index=False)
    with pytest.raises(InputError, match=r"households.xlsx row 2, column adults: expected an integer >= 1"):
        load_instance(hx, ux)


def test_json_rows_typed() -> None:
    """JSON rows (as over HTTP) accept JSON booleans and lists, and reject wrong types by field."""
    ok = build_instance([household(vulnerabilities=["mobility"], documents_complete=True)], [unit(shared=False)], {})
    assert ok.n_households == 1
    with pytest.raises(InputError, match="row 2, column documents_complete"):
        build_instance([household(documents_complete="perhaps")], [unit()], {})
