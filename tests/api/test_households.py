"""Households: imports (CSV, XLSX, JSON; all or nothing), list, get, update, delete, scope."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from service_helpers import EXAMPLE, Service, csv_rows, error_of, typed, upload


def _count(service: Service, who: str = "admin") -> int:
    response = service.client.get("/v1/households", headers=service.auth(who))
    assert response.status_code == 200
    total: int = response.json()["total"]
    return total


def test_csv_import_stores_every_row(service: Service) -> None:
    """Importing the example CSV creates all 150 households; importing it again updates them."""
    assert upload(service.client, service.auth("admin"), "households") == {
        "created": 150,
        "updated": 0,
        "removed": 0,
        "kept": 0,
        "total": 150,
    }
    assert upload(service.client, service.auth("admin"), "households")["updated"] == 150
    assert _count(service) == 150


def test_xlsx_import_equals_csv_import(service: Service, tmp_path: Path) -> None:
    """An XLSX file with the same columns imports the same households as the CSV."""
    rows = csv_rows("households.csv")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    response = service.client.post(
        "/v1/households/import", headers=service.auth("admin"), files={"file": ("households.xlsx", buffer.getvalue())}
    )
    assert response.status_code == 200, response.text
    first = service.client.get("/v1/households/H-0002", headers=service.auth("admin")).json()
    assert first["children"] == 5 and first["preferred_neighbourhoods"] == ["Brakkenstein"]
    assert _count(service) == len(rows)


def test_bad_row_rejects_the_whole_import(service: Service, tmp_path: Path) -> None:
    """One bad cell gives 422 with file, row and column, and nothing of the file is stored."""
    lines = (EXAMPLE / "households.csv").read_text().splitlines()
    cells = lines[7].split(",")
    cells[3] = "twee"  # adults
    lines[7] = ",".join(cells)
    bad = tmp_path / "coa-week10.csv"
    bad.write_text("\n".join(lines) + "\n")
    response = service.client.post(
        "/v1/households/import", headers=service.auth("admin"), files={"file": (bad.name, bad.read_bytes())}
    )
    error = error_of(response, 422)
    assert error["problems"] == [
        {"source": "coa-week10.csv", "row": 8, "column": "adults", "message": "expected an integer >= 1, got something else"}
    ]
    assert _count(service) == 0


def test_missing_column_and_wrong_file_type(service: Service) -> None:
    """A missing required column is reported on the header row; a .txt upload is 415."""
    response = service.client.post(
        "/v1/households/import",
        headers=service.auth("admin"),
        files={"file": ("h.csv", b"household_id,municipality\nH-1,Nijmegen\n")},
    )
    columns = {p["column"] for p in error_of(response, 422)["problems"]}
    assert {"koppeling_date", "adults", "head_age"} <= columns
    error_of(service.client.post("/v1/households/import", headers=service.auth("admin"), files={"file": ("h.txt", b"x")}), 415)


def test_json_batch_and_replace(service: Service) -> None:
    """JSON rows import like a file; mode replace removes waiting households not listed."""
    rows = [typed(r) for r in csv_rows("households.csv")]
    response = service.client.post("/v1/households/batch", headers=service.auth("admin"), json={"rows": rows})
    assert response.status_code == 200 and response.json()["created"] == 150
    response = service.client.post(
        "/v1/households/batch", headers=service.auth("admin"), json={"rows": rows[:10], "mode": "replace"}
    )
    assert response.json() == {"created": 0, "updated": 10, "removed": 140, "kept": 0, "total": 10}
    assert _count(service) == 10


def test_json_batch_error_names_row_and_column(service: Service) -> None:
    """A bad JSON row is reported as the engine numbers rows (first item is row 2)."""
    rows = [typed(r) for r in csv_rows("households.csv")[:3]]
    rows[2]["vulnerabilities"] = ["mobility", "flying"]
    error = error_of(service.client.post("/v1/households/batch", headers=service.auth("admin"), json={"rows": rows}), 422)
    assert [(p["source"], p["row"], p["column"]) for p in error["problems"]] == [("households", 4, "vulnerabilities")]
    assert _count(service) == 0


def test_list_filters_and_pages(service: Service) -> None:
    """List pages through the pool in id order and filters by status."""
    upload(service.client, service.auth("admin"), "households")
    page = service.client.get("/v1/households?limit=5&offset=5", headers=service.auth("viewer")).json()
    assert page["total"] == 150 and [h["household_id"] for h in page["items"]] == [f"H-{i:04d}" for i in range(6, 11)]
    assert service.client.get("/v1/households?status=housed", headers=service.auth("viewer")).json()["total"] == 0


def test_get_update_delete(service: Service) -> None:
    """Get returns the stored fields; patch changes them (checked); delete removes the household."""
    upload(service.client, service.auth("admin"), "households")
    admin = service.auth("admin")
    assert service.client.get("/v1/households/H-0001", headers=admin).json()["expected_reunification"] == 1
    response = service.client.patch("/v1/households/H-0001", headers=admin, json={"children": 2, "vulnerabilities": ["medical"]})
    assert response.status_code == 200, response.text
    assert response.json()["children"] == 2 and response.json()["vulnerabilities"] == ["medical"]
    error = error_of(service.client.patch("/v1/households/H-0001", headers=admin, json={"adults": 0}), 422)
    assert error["problems"][0]["column"] == "adults" and error["problems"][0]["row"] is None
    error_of(service.client.patch("/v1/households/H-0001", headers=admin, json={"household_id": "H-9"}), 422)
    assert service.client.delete("/v1/households/H-0001", headers=admin).status_code == 204
    error_of(service.client.get("/v1/households/H-0001", headers=admin), 404)
    error_of(service.client.delete("/v1/households/H-0001", headers=admin), 404)


def test_scoped_token_sees_only_its_municipality(service: Service) -> None:
    """A token for Nijmegen lists only Nijmegen households and gets 404 for another municipality's id."""
    upload(service.client, service.auth("admin"), "households")
    other = typed(csv_rows("households.csv")[0]) | {"household_id": "W-1", "municipality": "Wijchen"}
    assert service.client.post("/v1/households/batch", headers=service.auth("admin"), json={"rows": [other]}).status_code == 200
    assert _count(service, "viewer") == 151
    assert _count(service, "viewer@Nijmegen") == 150
    error_of(service.client.get("/v1/households/W-1", headers=service.auth("viewer@Nijmegen")), 404)
    error_of(service.client.delete("/v1/households/W-1", headers=service.auth("admin@Nijmegen")), 404)


def test_scoped_admin_cannot_import_other_municipality(service: Service) -> None:
    """A scoped admin's import with a row of another municipality is refused as a whole."""
    rows = [typed(r) for r in csv_rows("households.csv")[:2]]
    rows[1]["municipality"] = "Wijchen"
    error = error_of(
        service.client.post("/v1/households/batch", headers=service.auth("admin@Nijmegen"), json={"rows": rows}), 422
    )
    assert [(p["row"], p["column"]) for p in error["problems"]] == [(3, "municipality")]
    assert _count(service) == 0


def test_too_large_upload_is_413(service: Service) -> None:
    """A file over the configured limit is refused with 413 and nothing is stored."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    content = (EXAMPLE / "households.csv").read_bytes()
    with TestClient(create_app(Settings(database_url=service.url, max_upload_bytes=1024))) as small:
        response = small.post("/v1/households/import", headers=service.auth("admin"), files={"file": ("households.csv", content)})
        error_of(response, 413)
    assert _count(service) == 0


def test_simultaneous_imports_never_fail_with_500(service: Service) -> None:
    """Four imports of the same new rows at once: each is stored whole or refused whole (409), none is a 500."""
    from concurrent.futures import ThreadPoolExecutor

    rows = [typed(r) for r in csv_rows("households.csv")]

    def post(_: int) -> int:
        return service.client.post("/v1/households/batch", headers=service.auth("admin"), json={"rows": rows}).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(post, range(4)))
    assert set(statuses) <= {200, 409} and 200 in statuses
    assert _count(service) == 150
