"""The bad-input catalogue through the command line: exit 2, the exact line, nothing written.

Every case of ``bad_inputs`` (file structure, encodings, workbooks, enormous and negative
numbers, dates out of range, duplicate ids, contradictory fixed pairs) is run as a user
runs it, with `matcher propose`. The whole of standard error is compared, so a traceback,
a second problem or a changed word fails the case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bad_inputs import (
    ALL_CASES,
    GOOD_HOUSEHOLDS,
    GOOD_UNITS,
    POLICY_CASES,
    POLICY_HOUSEHOLDS,
    POLICY_UNITS,
    BadFile,
    BadPolicy,
)
from typer.testing import CliRunner

from cli.main import app
from matcher.errors import InputError
from matcher.input.instance import load_instance


def _propose(tmp_path: Path, households: Path, units: Path, policy: Path | None = None) -> tuple[int, list[str], Path]:
    out = tmp_path / "out" / "proposal.json"
    args = ["propose", "--households", str(households), "--units", str(units), "--out", str(out), "--quiet"]
    if policy is not None:
        args += ["--policy", str(policy)]
    result = CliRunner().invoke(app, args)
    return result.exit_code, [line.strip() for line in result.stderr.splitlines()], out


def _files(tmp_path: Path, case: BadFile) -> tuple[Path, Path]:
    bad = tmp_path / case.name
    bad.write_bytes(case.content)
    if case.kind == "households":
        units = tmp_path / "units.csv"
        units.write_text(GOOD_UNITS, encoding="utf-8")
        return bad, units
    households = tmp_path / "households.csv"
    households.write_text(GOOD_HOUSEHOLDS, encoding="utf-8")
    return households, bad


@pytest.mark.parametrize("case", [c for c in ALL_CASES if not c.service_only], ids=lambda case: case.id)
def test_bad_file_exits_2_with_the_exact_line(tmp_path: Path, case: BadFile) -> None:
    """The file is refused with exit 2 and exactly one line naming file, row and column; no proposal is written."""
    households, units = _files(tmp_path, case)
    code, lines, out = _propose(tmp_path, households, units)
    assert code == 2
    assert lines == ["Input error (1 problem):", case.line]
    assert not out.exists()


@pytest.mark.parametrize("case", POLICY_CASES, ids=lambda case: case.id)
def test_bad_policy_exits_2_with_the_exact_line(tmp_path: Path, case: BadPolicy) -> None:
    """The policy is refused with exit 2 and exactly one line naming the field; no proposal is written."""
    households, units, policy = tmp_path / "households.csv", tmp_path / "units.csv", tmp_path / "policy.json"
    households.write_text(POLICY_HOUSEHOLDS, encoding="utf-8")
    units.write_text(POLICY_UNITS, encoding="utf-8")
    policy.write_text(case.text, encoding="utf-8")
    code, lines, out = _propose(tmp_path, households, units, policy)
    assert code == 2
    assert lines == ["Input error (1 problem):", case.line]
    assert not out.exists()


def test_the_policy_week_itself_is_good(tmp_path: Path) -> None:
    """The week the policy cases run on proposes fine without them, so each case fails for its own reason."""
    households, units = tmp_path / "households.csv", tmp_path / "units.csv"
    households.write_text(POLICY_HOUSEHOLDS, encoding="utf-8")
    units.write_text(POLICY_UNITS, encoding="utf-8")
    code, _, out = _propose(tmp_path, households, units)
    assert code == 0 and out.exists()


@pytest.mark.parametrize(
    ("encoding", "newline"), [("utf-8-sig", "\n"), ("utf-8", "\r\n"), ("utf-8-sig", "\r\n")], ids=["bom", "crlf", "bom-crlf"]
)
def test_utf8_with_bom_and_windows_line_ends_are_accepted(tmp_path: Path, encoding: str, newline: str) -> None:
    """Excel's "CSV UTF-8" (a byte-order mark, CRLF line ends) reads exactly like plain UTF-8."""
    plain_h, plain_u = tmp_path / "h.csv", tmp_path / "u.csv"
    plain_h.write_text(GOOD_HOUSEHOLDS.replace("Nijmegen", "Nijmegén"), encoding="utf-8")
    plain_u.write_text(GOOD_UNITS, encoding="utf-8")
    excel_h, excel_u = tmp_path / "households.csv", tmp_path / "units.csv"
    excel_h.write_bytes(GOOD_HOUSEHOLDS.replace("Nijmegen", "Nijmegén").replace("\n", newline).encode(encoding))
    excel_u.write_bytes(GOOD_UNITS.replace("\n", newline).encode(encoding))
    assert load_instance(excel_h, excel_u).input_sha256 == load_instance(plain_h, plain_u).input_sha256


def test_every_problem_of_a_file_is_listed_at_once(tmp_path: Path) -> None:
    """Problems in several rows and files come together, each on its own line, not only the first."""
    households = tmp_path / "households.csv"
    households.write_text(GOOD_HOUSEHOLDS + "H-3,Nijmegen,2025-13-01,0,0,M,30\n", encoding="utf-8")
    units = tmp_path / "units.csv"
    units.write_text(GOOD_UNITS + "U-3,Nijmegen,Hatert,castle,1,2,450.00,2025-03-01\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_instance(households, units)
    assert str(info.value).splitlines() == [
        'households.csv row 4, column koppeling_date: expected an ISO date (YYYY-MM-DD), got "2025-13-01"',
        'households.csv row 4, column adults: expected an integer >= 1, got "0"',
        'units.csv row 4, column unit_type: expected one of social, flex, transit, got "castle"',
    ]


@pytest.mark.parametrize("case", [c for c in ALL_CASES if c.service_only], ids=lambda case: case.id)
def test_a_file_with_a_header_alone_is_an_empty_week_for_the_engine(tmp_path: Path, case: BadFile) -> None:
    """The engine takes a table with no rows (nobody waiting, or nothing offered): a proposal without
    matches, every unit or household explained. Only the service's upload refuses it."""
    households, units = _files(tmp_path, case)
    code, lines, out = _propose(tmp_path, households, units)
    assert code == 0, lines
    proposal = json.loads(out.read_text(encoding="utf-8"))
    assert proposal["matches"] == []
    left = proposal["unused_units"] if case.kind == "households" else proposal["unmatched_households"]
    assert left and all(item["explanation"] for item in left)
