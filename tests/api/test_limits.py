"""Size limits: an upload, a JSON body or a table over its limit is refused with 413 and a
message that states the limit (and, for rows, the count), before the data is held in
memory, and nothing stored changes."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from bad_inputs import HH_HEADER, UN_HEADER
from fastapi.testclient import TestClient
from service_helpers import Service, csv_rows, error_of, make_tokens, server, typed, upload
from starlette.types import Message, Receive, Scope, Send

from api.app import create_app
from api.limits import BodyLimit, BodyTooLarge
from api.settings import Settings
from matcher.generate import generate_instance

UPLOAD_LIMIT = 16 * 1024
BODY_LIMIT = 8192
ROW_LIMIT = 5


@pytest.fixture
def small(service: Service) -> Iterator[TestClient]:
    """The service with small limits, over the same database (the example week already in the pool)."""
    upload(service.client, service.auth("admin"), "households")
    upload(service.client, service.auth("admin"), "units")
    settings = Settings(
        database_url=service.url,
        max_upload_bytes=UPLOAD_LIMIT,
        max_body_bytes=BODY_LIMIT,
        max_households_rows=ROW_LIMIT,
        max_units_rows=ROW_LIMIT,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _pool(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    return {kind: client.get(f"/v1/{kind}?limit=1000", headers=headers).json() for kind in ("households", "units")}


def _households_csv(n: int) -> bytes:
    return (HH_HEADER + "\n" + "".join(f"X-{i},Nijmegen,2025-01-01,1,0,M,30\n" for i in range(n))).encode()


def _units_xlsx(n: int) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(UN_HEADER.split(","))
    for i in range(n):
        book.active.append([f"X-{i}", "Nijmegen", "Hatert", "social", 1, 2, 450.0, "2025-03-01"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


FILE_TOO_LARGE = f"The file is larger than the limit of 16 KiB ({UPLOAD_LIMIT} bytes)."
BODY_TOO_LARGE = f"The request body is larger than the limit of 8 KiB ({BODY_LIMIT} bytes)."


@pytest.mark.parametrize(
    "size",
    [UPLOAD_LIMIT + 1, UPLOAD_LIMIT + 30_000, 10 * 1024 * 1024],
    ids=["just over (checked on the file)", "over by less than the form allowance", "far over (refused unread)"],
)
def test_upload_over_the_limit_is_413(service: Service, small: TestClient, size: int) -> None:
    """However far over the limit, the answer is 413 with the limit in words, and the pool is unchanged."""
    before = _pool(small, service.auth("admin"))
    content = b"household_id\n" + b"H" * (size - 13)
    response = small.post("/v1/households/import", headers=service.auth("admin"), files={"file": ("h.csv", content)})
    assert error_of(response, 413)["message"] == FILE_TOO_LARGE
    assert _pool(small, service.auth("admin")) == before


def test_json_body_over_the_limit_is_413_on_solve_and_batch(service: Service, small: TestClient) -> None:
    """POST /v1/solve and the batch imports refuse a JSON body over max_body_bytes with 413."""
    rows = [typed(r) for r in csv_rows("households.csv")]
    before = _pool(small, service.auth("admin"))
    for path, body in (("/v1/solve", {"households": rows, "units": []}), ("/v1/households/batch", {"rows": rows})):
        assert len(json.dumps(body)) > BODY_LIMIT
        error = error_of(small.post(path, headers=service.auth("admin"), json=body), 413)
        assert error["message"] == BODY_TOO_LARGE and error["code"] == "too_large"
    assert _pool(small, service.auth("admin")) == before


def test_json_body_without_content_length_is_counted(service: Service, small: TestClient) -> None:
    """A chunked body (no Content-Length to trust) is counted as it arrives and refused the same way."""

    def chunks() -> Iterator[bytes]:
        yield b'{"households": ['
        for _ in range(1000):
            yield b'{"household_id": "H-1", "municipality": "Nijmegen"},'
        yield b'{}], "units": []}'

    headers = {**service.auth("officer"), "Content-Type": "application/json"}
    response = small.post("/v1/solve", headers=headers, content=chunks())
    assert "content-length" not in response.request.headers
    assert error_of(response, 413)["message"] == BODY_TOO_LARGE


@pytest.mark.parametrize(
    ("kind", "name", "content", "count"),
    [
        ("households", "households.csv", _households_csv(ROW_LIMIT + 3), ROW_LIMIT + 3),
        ("units", "units.xlsx", _units_xlsx(ROW_LIMIT + 1), ROW_LIMIT + 1),
    ],
    ids=["csv", "xlsx"],
)
def test_import_over_the_row_limit_is_413_with_the_count(
    service: Service, small: TestClient, kind: str, name: str, content: bytes, count: int
) -> None:
    """An import with more rows than max_<kind>_rows is refused whole with the count and the limit."""
    before = _pool(small, service.auth("admin"))
    response = small.post(f"/v1/{kind}/import?mode=replace", headers=service.auth("admin"), files={"file": (name, content)})
    error = error_of(response, 413)
    assert error["message"] == f"Too many rows: {name} has {count}, the limit is {ROW_LIMIT}."
    assert error["problems"] == [
        {"source": name, "row": None, "column": None, "message": f"{count} rows of data; at most {ROW_LIMIT} are accepted"}
    ]
    assert _pool(small, service.auth("admin")) == before


def test_import_at_the_row_limit_is_accepted(service: Service, small: TestClient) -> None:
    """Exactly max_households_rows rows pass: the limit is inclusive."""
    response = small.post(
        "/v1/households/import", headers=service.auth("admin"), files={"file": ("h.csv", _households_csv(ROW_LIMIT))}
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == ROW_LIMIT


@pytest.mark.parametrize("table", ["households", "units"])
def test_solve_and_batch_over_the_row_limit_are_413(service: Service, small: TestClient, table: str) -> None:
    """POST /v1/solve and the batch import count JSON rows against the same limits."""
    rows = [typed(r) for r in csv_rows(f"{table}.csv")[: ROW_LIMIT + 1]]
    message = f"Too many rows: {table} has {ROW_LIMIT + 1}, the limit is {ROW_LIMIT}."
    body: dict[str, Any] = {"households": [], "units": [], table: rows}
    assert error_of(small.post("/v1/solve", headers=service.auth("officer"), json=body), 413)["message"] == message
    before = _pool(small, service.auth("admin"))
    response = small.post(f"/v1/{table}/batch", headers=service.auth("admin"), json={"rows": rows})
    assert error_of(response, 413)["message"] == message
    assert _pool(small, service.auth("admin")) == before


def _run(headers: list[tuple[bytes, bytes]], chunks: int) -> tuple[int, BodyTooLarge | None]:
    """Drive the middleware with a body of ``chunks`` 1 KiB pieces; returns how many were read."""
    read = 0

    async def receive() -> Message:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": read < chunks}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent before the body is read")

    scope: Scope = {"type": "http", "path": "/v1/solve", "headers": headers}
    try:
        asyncio.run(BodyLimit(app, Settings(max_body_bytes=BODY_LIMIT))(scope, receive, send))
    except BodyTooLarge as error:
        return read, error
    return read, None


def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    """A Content-Length over the limit is refused before a single byte of the body is read."""
    read, error = _run([(b"content-length", str(10**12).encode())], chunks=10**6)
    assert read == 0 and error is not None and error.status_code == 413


def test_streamed_body_is_cut_off_at_the_limit() -> None:
    """Without Content-Length the body is read only until the count passes the limit, not to its end."""
    read, error = _run([], chunks=10**6)
    assert error is not None and read == BODY_LIMIT // 1024 + 1
    read, error = _run([], chunks=BODY_LIMIT // 1024)
    assert error is None and read == BODY_LIMIT // 1024


def test_default_limits_leave_room_for_the_national_profile() -> None:
    """The national profile (20,000 households, 5,000 units) passes every default limit at least four times over."""
    households, units, policy = generate_instance("national", 0, None)
    defaults = Settings()
    assert defaults.max_households_rows >= 4 * len(households) and defaults.max_units_rows >= 4 * len(units)
    biggest_file = max(len(households.to_csv(index=False)), len(units.to_csv(index=False)))
    assert defaults.max_upload_bytes >= 4 * biggest_file
    body = {
        "households": households.to_dict(orient="records"),
        "units": units.to_dict(orient="records"),
        "policy": policy,
    }
    assert defaults.max_body_bytes >= 4 * len(json.dumps(body, default=str))


def test_workbook_over_the_row_limit_is_counted_from_its_size(service: Service, small: TestClient) -> None:
    """A workbook with far more rows than allowed is refused with its full count, read from the sheet's
    stated size instead of row by row."""
    response = small.post("/v1/units/import", headers=service.auth("admin"), files={"file": ("units.xlsx", _units_xlsx(300))})
    assert error_of(response, 413)["message"] == f"Too many rows: units.xlsx has 300, the limit is {ROW_LIMIT}."


def test_workbook_that_unpacks_to_far_more_than_its_rows_is_413(service: Service, small: TestClient) -> None:
    """A small upload that unpacks to megabytes (a zip bomb) is refused before its sheet is read."""
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_units_xlsx(1))) as source, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            bomb.writestr(info.filename, source.read(info.filename))
        bomb.writestr("xl/media/padding.bin", bytes(4 * 2**20))
    assert len(packed.getvalue()) < UPLOAD_LIMIT
    before = _pool(small, service.auth("admin"))
    response = small.post("/v1/units/import", headers=service.auth("admin"), files={"file": ("units.xlsx", packed.getvalue())})
    error = error_of(response, 413)
    assert error["message"] == "Too large: units.xlsx unpacks to 4 MiB."
    assert error["problems"][0]["message"] == f"the workbook unpacks to 4 MiB, more than {ROW_LIMIT} rows can take; split it"
    assert _pool(small, service.auth("admin")) == before


def test_real_server_refuses_a_terabyte_before_it_arrives(database_url: str) -> None:
    """Over real HTTP, a request that announces a terabyte gets its 413 after only its first bytes are sent:
    the server answers without waiting for (or holding) the body."""
    import socket

    tokens = make_tokens(database_url)
    with server({"DATABASE_URL": database_url, "MATCHER_MAX_BODY_BYTES": str(BODY_LIMIT)}) as client:
        port = client.base_url.port
        assert port is not None
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            head = (
                "POST /v1/solve HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {tokens['officer']}\r\nContent-Length: {10**12}\r\n\r\n"
            )
            connection.sendall(head.encode() + b'{"households": [')
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                answer += chunk
    status, _, body = answer.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["error"]["message"] == BODY_TOO_LARGE
