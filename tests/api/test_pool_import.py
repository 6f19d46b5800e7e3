"""This week's households and units read in together: all or nothing, and a replace that first
says what it would remove."""

from __future__ import annotations

import pytest
from service_helpers import EXAMPLE, Service, error_of

HOUSEHOLDS = (EXAMPLE / "households.csv").read_bytes()
UNITS = (EXAMPLE / "units.csv").read_bytes()


def _files(households: bytes | None, units: bytes | None) -> dict[str, tuple[str, bytes, str]]:
    files = {}
    if households is not None:
        files["households"] = ("households.csv", households, "text/csv")
    if units is not None:
        files["units"] = ("units.csv", units, "text/csv")
    return files


def _counts(service: Service) -> tuple[int, int]:
    headers = service.auth("admin")
    return (
        service.client.get("/v1/households?limit=1", headers=headers).json()["total"],
        service.client.get("/v1/units?limit=1", headers=headers).json()["total"],
    )


def test_a_refused_units_file_stores_no_households(service: Service) -> None:
    """A good households file with a bad units file: 422 naming the units file's row and column,
    and not one household stored (the two files separately would have stored the households)."""
    bad_units = UNITS.replace(b",4,", b",vier,", 1)
    response = service.client.post("/v1/pool/import", headers=service.auth("admin"), files=_files(HOUSEHOLDS, bad_units))
    error = error_of(response, 422)
    assert {p["source"] for p in error["problems"]} == {"units.csv"}
    assert _counts(service) == (0, 0)


def test_problems_of_both_files_in_one_answer(service: Service) -> None:
    """Both files bad: every problem of both in one answer, nothing stored."""
    bad_households = HOUSEHOLDS.replace(b",M,", b",Q,", 1)
    bad_units = UNITS.replace(b",social,", b",villa,", 1)
    response = service.client.post("/v1/pool/import", headers=service.auth("admin"), files=_files(bad_households, bad_units))
    error = error_of(response, 422)
    assert {p["source"] for p in error["problems"]} == {"households.csv", "units.csv"}
    assert _counts(service) == (0, 0)


def test_replace_says_first_what_it_removes(service: Service) -> None:
    """Replace with a dry run counts the waiting households and available units that would leave
    the pool and removes nothing; the confirmed replace removes exactly those."""
    headers = service.auth("admin")
    assert service.client.post("/v1/pool/import", headers=headers, files=_files(HOUSEHOLDS, UNITS)).status_code == 200
    lines = HOUSEHOLDS.decode().splitlines(keepends=True)
    shorter = "".join(lines[:-10]).encode()  # ten households left the list
    dry = service.client.post(
        "/v1/pool/import", headers=headers, params={"mode": "replace", "dry_run": "true"}, files=_files(shorter, UNITS)
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["households"]["removed"] == 10 and dry.json()["units"]["removed"] == 0 and dry.json()["dry_run"]
    assert _counts(service) == (150, 40)
    done = service.client.post("/v1/pool/import", headers=headers, params={"mode": "replace"}, files=_files(shorter, None))
    assert done.status_code == 200 and done.json()["households"]["removed"] == 10 and done.json()["units"] is None
    assert _counts(service)[0] == 140


@pytest.mark.parametrize("role", ["viewer", "officer", "wbb"])
def test_only_an_admin_reads_in_the_pool(service: Service, role: str) -> None:
    """Reading in the lists is for an admin token only (403 for the others, nothing stored)."""
    response = service.client.post("/v1/pool/import", headers=service.auth(role), files=_files(HOUSEHOLDS, UNITS))
    assert response.status_code == 403
    assert _counts(service) == (0, 0)
