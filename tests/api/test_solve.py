"""POST /v1/solve: the CLI over HTTP, byte for byte apart from timing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from service_helpers import EXAMPLE, ROOT, Service, csv_rows, error_of, policy, typed

TIMING = ("wall_time_s", "build_s", "solve_s")


def _without_timing(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(text)
    for key in TIMING:
        document["solver"].pop(key)
    return document


def _cli(tmp_path: Path, *extra: str) -> str:
    out = tmp_path / "proposal.json"
    args = ["--households", EXAMPLE / "households.csv", "--units", EXAMPLE / "units.csv", "--policy", EXAMPLE / "policy.json"]
    result = subprocess.run(
        [sys.executable, "-m", "cli", "propose", *map(str, args), "--out", str(out), "--quiet", *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return out.read_text(encoding="utf-8")


def _timing_blanked(text: str) -> str:
    document = json.loads(text)
    for key in TIMING:
        document["solver"][key] = 0
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_solve_equals_cli_byte_for_byte(service: Service, tmp_path: Path) -> None:
    """Typed JSON rows give the CLI's proposal bytes once the timing fields are set equal."""
    body = {
        "households": [typed(r) for r in csv_rows("households.csv")],
        "units": [typed(r) for r in csv_rows("units.csv")],
        "policy": policy(),
    }
    response = service.client.post("/v1/solve", headers=service.auth("officer"), json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    cli = _cli(tmp_path)
    assert _timing_blanked(response.text) == _timing_blanked(cli)
    assert response.text.encode() != b"" and _without_timing(response.text) == _without_timing(cli)


def test_solve_with_csv_strings_and_options_equals_cli(service: Service, tmp_path: Path) -> None:
    """Rows sent as the CSV's strings, with strategy fifo and English, match the CLI with the same options."""
    body = {"households": csv_rows("households.csv"), "units": csv_rows("units.csv"), "policy": policy()}
    response = service.client.post("/v1/solve?strategy=fifo&lang=en", headers=service.auth("officer"), json=body)
    assert response.status_code == 200, response.text
    assert _timing_blanked(response.text) == _timing_blanked(_cli(tmp_path, "--strategy", "fifo", "--lang", "en"))


def test_solve_what_it_would_take_equals_cli(service: Service, tmp_path: Path) -> None:
    """?what_it_would_take=true gives the bytes of `matcher propose --what-it-would-take`."""
    body = {"households": csv_rows("households.csv"), "units": csv_rows("units.csv"), "policy": policy()}
    response = service.client.post("/v1/solve?what_it_would_take=true", headers=service.auth("officer"), json=body)
    assert response.status_code == 200, response.text
    assert any("what_it_would_take" in u["details"] for u in response.json()["unmatched_households"])
    assert _timing_blanked(response.text) == _timing_blanked(_cli(tmp_path, "--what-it-would-take"))


def test_solve_bad_cell_is_422_with_row_and_column(service: Service) -> None:
    """A bad cell gives 422 naming source, row (first row = 2) and column, as the CLI does."""
    units = [typed(r) for r in csv_rows("units.csv")]
    units[12]["max_occupants"] = "drie"
    body = {"households": [typed(r) for r in csv_rows("households.csv")], "units": units, "policy": policy()}
    error = error_of(service.client.post("/v1/solve", headers=service.auth("officer"), json=body), 422)
    assert error["problems"] == [
        {"source": "units", "row": 14, "column": "max_occupants", "message": "expected an integer >= 1, got something else"}
    ]


def test_solve_bad_policy_field_is_422(service: Service) -> None:
    """An unknown term in the policy is named with its field."""
    body = {"households": [], "units": [], "policy": {"objective": [{"happiness": 1}]}}
    error = error_of(service.client.post("/v1/solve", headers=service.auth("officer"), json=body), 422)
    assert error["problems"][0]["source"] == "policy" and error["problems"][0]["column"] == "objective[0]"


def test_solve_malformed_body_uses_the_error_shape(service: Service) -> None:
    """A body that is not the documented shape is 422 in the same error shape, without echoing values."""
    response = service.client.post("/v1/solve", headers=service.auth("officer"), json={"households": "secret-name", "units": []})
    error = error_of(response, 422)
    assert error["problems"][0]["column"] == "households"
    assert "secret-name" not in response.text


def test_solve_body_that_is_not_json_is_422(service: Service) -> None:
    """A body that is not JSON at all is 422 in the one error shape."""
    headers = {**service.auth("officer"), "Content-Type": "application/json"}
    error = error_of(service.client.post("/v1/solve", headers=headers, content=b"households: no"), 422)
    assert error["problems"] == [{"source": "body", "row": None, "column": None, "message": "the body is not valid JSON"}]


def test_solve_refused_for_viewer_and_without_token(service: Service) -> None:
    """A viewer may not solve (403); without a token it is 401."""
    body: dict[str, Any] = {"households": [], "units": []}
    error_of(service.client.post("/v1/solve", headers=service.auth("viewer"), json=body), 403)
    error_of(service.client.post("/v1/solve", json=body), 401)
