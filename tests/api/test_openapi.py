"""The OpenAPI document: every operation summarised, tagged, guarded and documented with the one error shape."""

from __future__ import annotations

from typing import Any

from api.app import create_app


def _operations() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    spec = create_app().openapi()
    return [(method.upper(), path, op, spec) for path, item in spec["paths"].items() for method, op in item.items()]


def test_every_operation_has_summary_tag_and_error_answers() -> None:
    """Each operation has a summary and a tag; each guarded one documents 401 and 403; every 4xx is ErrorBody."""
    for method, path, op, _ in _operations():
        assert op.get("summary") and op.get("tags"), (method, path)
        if path not in ("/healthz", "/readyz"):
            assert {"401", "403"} <= set(op["responses"]), (method, path)
            assert op.get("security"), (method, path)
        for status, response in op["responses"].items():
            if status.startswith("4"):
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_every_json_body_has_an_example() -> None:
    """Each JSON request body schema carries at least one example."""
    for method, path, op, spec in _operations():
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        name = body["schema"]["$ref"].rsplit("/", 1)[-1]
        assert spec["components"]["schemas"][name].get("examples"), (method, path)


def test_error_shape_is_documented_with_an_example() -> None:
    """ErrorBody is in the components with an example naming source, row and column."""
    spec = create_app().openapi()
    example = spec["components"]["schemas"]["ErrorBody"]["examples"][0]
    assert set(example["error"]["problems"][0]) == {"source", "row", "column", "message"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
