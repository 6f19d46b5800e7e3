"""Units: imports, list, get, update, delete, and the pool-wide neighbourhood check."""

from __future__ import annotations

from service_helpers import Service, csv_rows, error_of, typed, upload


def test_csv_import_and_defaults(service: Service) -> None:
    """The example units import; defaults the engine applies (temporary for flex) are stored."""
    assert upload(service.client, service.auth("admin"), "units")["created"] == 40
    unit = service.client.get("/v1/units/U-0001", headers=service.auth("viewer")).json()
    assert unit["unit_type"] == "flex" and unit["temporary"] is True and unit["status"] == "available"


def test_bad_unit_rejects_the_import(service: Service) -> None:
    """min_occupants above max_occupants is a located error and nothing is stored."""
    rows = [typed(r) for r in csv_rows("units.csv")]
    rows[3]["min_occupants"] = 9
    error = error_of(service.client.post("/v1/units/batch", headers=service.auth("admin"), json={"rows": rows}), 422)
    assert [(p["row"], p["column"]) for p in error["problems"]] == [(5, "min_occupants")]
    assert service.client.get("/v1/units", headers=service.auth("admin")).json()["total"] == 0


def test_neighbourhood_must_mean_one_municipality_across_the_pool(service: Service) -> None:
    """A later import that reuses a stored neighbourhood name for another municipality is refused."""
    upload(service.client, service.auth("admin"), "units")
    row = typed(csv_rows("units.csv")[0]) | {"unit_id": "W-1", "municipality": "Wijchen"}
    error = error_of(service.client.post("/v1/units/batch", headers=service.auth("admin"), json={"rows": [row]}), 422)
    assert error["problems"][0]["column"] == "neighbourhood"


def test_update_list_delete(service: Service) -> None:
    """Patch changes the rent, list shows it, delete removes the unit."""
    upload(service.client, service.auth("admin"), "units")
    admin = service.auth("admin")
    response = service.client.patch("/v1/units/U-0002", headers=admin, json={"rent": "499.50"})
    assert response.status_code == 200, response.text
    assert response.json()["rent"] == "499.50"
    error_of(service.client.patch("/v1/units/U-0002", headers=admin, json={"unit_type": "castle"}), 422)
    listed = service.client.get("/v1/units?limit=2", headers=service.auth("viewer")).json()
    assert listed["total"] == 40 and listed["items"][1]["unit_id"] == "U-0002" and listed["items"][1]["rent"] == "499.50"
    assert service.client.delete("/v1/units/U-0002", headers=admin).status_code == 204
    error_of(service.client.get("/v1/units/U-0002", headers=admin), 404)


def test_scoped_token_gets_404_for_other_municipality(service: Service) -> None:
    """A Nijmegen token does not see a Wijchen unit."""
    row = typed(csv_rows("units.csv")[0]) | {"unit_id": "W-1", "municipality": "Wijchen", "neighbourhood": "Wijchen-Centrum"}
    assert service.client.post("/v1/units/batch", headers=service.auth("admin"), json={"rows": [row]}).status_code == 200
    error_of(service.client.get("/v1/units/W-1", headers=service.auth("viewer@Nijmegen")), 404)
    assert service.client.get("/v1/units", headers=service.auth("viewer@Nijmegen")).json()["total"] == 0
