"""The COA's pipeline file (matcher/input/coa.py): strict reading, and the forecast's households built from it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from matcher.errors import InputError, ProblemCollector
from matcher.input.coa import PipelineEntry, due_by_kind, parse_pipeline, pipeline_households
from matcher.input.files import read_csv_text
from matcher.input.forecast import parse_forecast

HEADER = "pipeline_id,municipality,kind,expected_date,adults,children,expected_reunification,households\n"


def _read(text: str) -> list[PipelineEntry]:
    rows, header, name = read_csv_text(text, "pipeline.csv")
    problems = ProblemCollector()
    entries = parse_pipeline(rows, name, problems, header)
    problems.raise_if_any()
    return entries


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("P-1,Nijmegen,koppeling,3 maart,1,0,0,1", "pipeline.csv row 2, column expected_date: "),
        ("P-1,Nijmegen,azc,2025-03-10,1,0,0,1", "pipeline.csv row 2, column kind: "),
        ("P-1,Nijmegen,koppeling,2025-03-10,0,0,0,1", "pipeline.csv row 2, column adults: "),
        ("P-1,Nijmegen,koppeling,2025-03-10,1,-1,0,1", "pipeline.csv row 2, column children: "),
        ("P-1,Nijmegen,koppeling,2025-03-10,1,0,twee,1", "pipeline.csv row 2, column expected_reunification: "),
        ("P-1,Nijmegen,koppeling,2025-03-10,1,0,0,0", "pipeline.csv row 2, column households: "),
        (",Nijmegen,koppeling,2025-03-10,1,0,0,1", "pipeline.csv row 2, column pipeline_id: a value is required"),
        ("P-1,,koppeling,2025-03-10,1,0,0,1", "pipeline.csv row 2, column municipality: a value is required"),
    ],
)
def test_a_bad_cell_names_file_row_and_column(line: str, expected: str) -> None:
    """Every column's bad value is one problem naming pipeline.csv, the row and the column; nothing is returned."""
    with pytest.raises(InputError) as caught:
        _read(HEADER + line + "\n")
    assert len(caught.value.problems) == 1
    assert str(caught.value.problems[0]).startswith(expected)


def test_duplicate_ids_missing_columns_and_unknown_columns() -> None:
    """A repeated pipeline_id names both rows; a missing required column and a misspelt one are named at the header."""
    with pytest.raises(InputError) as caught:
        _read(HEADER + "P-1,Nijmegen,koppeling,2025-03-10,1,0,0,1\nP-1,Nijmegen,koppeling,2025-03-11,1,0,0,1\n")
    assert [str(p) for p in caught.value.problems] == [
        'pipeline.csv row 3, column pipeline_id: duplicate id "P-1", first used in row 2'
    ]
    with pytest.raises(InputError) as caught:
        _read("pipeline_id,municipality,expected_date,adults,kids\nP-1,Nijmegen,2025-03-10,1,0\n")
    shown = [str(p) for p in caught.value.problems]
    assert any(s.startswith("pipeline.csv row 1, column kids: unknown column") for s in shown), shown
    assert "pipeline.csv row 1, column children: required column is missing" in shown


def test_optional_columns_default_and_rows_sort_by_id() -> None:
    """kind defaults to koppeling, expected_reunification to 0 and households to 1; row order does not matter."""
    text = "pipeline_id,municipality,expected_date,adults,children\nP-2,Nijmegen,2025-03-10,2,1\nP-1,Wijchen,2025-03-09,1,0\n"
    entries = _read(text)
    assert [e.pipeline_id for e in entries] == ["P-1", "P-2"]
    assert (entries[1].kind, entries[1].expected_reunification, entries[1].households, entries[1].persons) == (
        "koppeling",
        0,
        1,
        3,
    )


def _entry(pid: str, day: str, adults: int = 1, children: int = 0, extra: int = 0, n: int = 1, **kw: str) -> PipelineEntry:
    return PipelineEntry(
        pipeline_id=pid,
        municipality=kw.get("municipality", "Nijmegen"),
        kind=kw.get("kind", "koppeling"),
        expected_date=dt.date.fromisoformat(day),
        adults=adults,
        children=children,
        expected_reunification=extra,
        households=n,
    )


def test_forecast_counts_what_is_due_within_the_window_per_week() -> None:
    """Households due after the planning date and within the weeks are counted per make-up and divided by the weeks;
    rows due on the planning date or earlier (already koppelingen), later rows and other municipalities are left out.
    The result is a valid forecast for the policy."""
    planning = dt.date(2025, 3, 3)
    entries = [
        _entry("A", "2025-03-03"),  # on the planning date: already in the household file
        _entry("B", "2025-03-04", n=3),
        _entry("C", "2025-03-31", adults=2, children=2, extra=1, kind="expected"),
        _entry("D", "2025-04-01"),  # one day after 4 weeks
        _entry("E", "2025-03-10", kind="amv", n=1),
        _entry("F", "2025-03-10", municipality="Wijchen", n=5),
    ]
    households = pipeline_households(entries, planning, 4, ["Nijmegen"])
    assert households == [
        {"persons": 1, "expected_reunification": 0, "per_week": 1.0},
        {"persons": 4, "expected_reunification": 1, "per_week": 0.25},
    ]
    assert pipeline_households(entries, planning, 0) == []
    assert due_by_kind(entries, planning, 4) == {"koppeling": 8, "expected": 1, "amv": 1}
    problems = ProblemCollector()
    forecast = parse_forecast({"weeks": 4, "source": "coa_pipeline+recent_weeks", "households": households}, "policy", problems)
    assert not problems.problems and forecast is not None and len(forecast.households) == 2


def test_forecast_does_not_depend_on_row_order() -> None:
    """The same rows in reverse order give the same forecast."""
    entries = [_entry(f"P-{i}", f"2025-03-{4 + i:02d}", adults=1 + i % 2, n=1 + i % 3) for i in range(20)]
    planning = dt.date(2025, 3, 3)
    assert pipeline_households(entries, planning, 3) == pipeline_households(list(reversed(entries)), planning, 3)


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "nijmegen-week"
LOOKAHEAD = [{"placed_persons": 10, "lookahead": 2, "long_wait": 65, "vulnerable": 3}, {"waiting_days": 1}]


def _cli(tmp_path: Path, pipeline: str, objective: list[dict[str, int]] | None = None) -> tuple[int, list[str], Path]:
    policy = json.loads((EXAMPLE / "policy.json").read_text()) | {"objective": objective or LOOKAHEAD}
    policy["forecast"] = {"weeks": 4, "units": [{"max_occupants": 2, "per_week": 0.5}]}
    (tmp_path / "policy.json").write_text(json.dumps(policy))
    (tmp_path / "pipeline.csv").write_text(pipeline)
    out = tmp_path / "out" / "proposal.json"
    args = ["propose", "--households", str(EXAMPLE / "households.csv"), "--units", str(EXAMPLE / "units.csv")]
    args += [
        "--policy",
        str(tmp_path / "policy.json"),
        "--pipeline",
        str(tmp_path / "pipeline.csv"),
        "--out",
        str(out),
        "--quiet",
    ]
    result = CliRunner().invoke(app, args)
    return result.exit_code, [line.strip() for line in result.stderr.splitlines()], out


def test_cli_takes_the_forecasts_households_from_the_pipeline(tmp_path: Path) -> None:
    """matcher propose --pipeline: the proposal's look-ahead counts the pipeline's households a week (within the
    policy's 4 weeks after 3 March 2025) beside the policy's own homes, and names the source."""
    code, stderr, out = _cli(
        tmp_path, HEADER + "P-1,Nijmegen,koppeling,2025-03-10,2,3,0,2\nP-2,Nijmegen,amv,2025-05-01,1,0,0,1\n"
    )
    assert code == 0, stderr
    model = json.loads(out.read_text())["lookahead"]
    assert model["source"] == "coa_pipeline+officer" and model["weeks"] == 4
    five = next(x for x in model["household_classes"] if (x["persons"], x["future_size"]) == (5, 5))
    assert five["per_week"] == 0.5
    assert all(x["per_week"] == 0 for x in model["household_classes"] if (x["persons"], x["future_size"]) == (1, 1))


def test_cli_bad_pipeline_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    """A bad cell in the pipeline is the one problem on standard error (file, row, column), exit 2, no proposal;
    a pipeline for a policy that does not look ahead is refused too."""
    code, stderr, out = _cli(tmp_path, HEADER + "P-1,Nijmegen,koppeling,2025-03-10,2,drie,0,1\n")
    assert code == 2 and not out.exists()
    assert stderr == ["Input error (1 problem):", 'pipeline.csv row 2, column children: expected an integer >= 0, got "drie"']
    code, stderr, out = _cli(tmp_path, HEADER + "P-1,Nijmegen,koppeling,2025-03-10,2,3,0,1\n", objective=[{"placed_persons": 1}])
    assert code == 2 and not out.exists()
    assert stderr == [
        "Input error (1 problem):",
        "--pipeline: the pipeline feeds the look-ahead's forecast, but the policy's objective does not name lookahead",
    ]
