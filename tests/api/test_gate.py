"""Authentication comes before the body: a request without a valid token is answered 401 from
its headers alone. No route parses an anonymous body (no 422 for it), and a 40 MB body sent
without a valid token is refused before a byte of it is read, over a real socket to the real
server. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from service_helpers import Service, error_of, make_tokens, spawn

from api.app import create_app

FORTY_MB = 40 * 1024 * 1024
WRITES = ("POST", "PUT", "PATCH")


def _writes() -> list[tuple[str, str]]:
    spec = create_app().openapi()
    return sorted((m.upper(), p) for p, item in spec["paths"].items() for m in item if m.upper() in WRITES)


def test_an_anonymous_or_wrongly_signed_malformed_body_is_401_not_422(service: Service) -> None:
    """Every route that takes a body, sent a body that is not even JSON: without a token, with a
    malformed header and with an unknown token the answer is 401; with a token of the right
    role the same body is 422 (so the body is what the route would refuse)."""
    body = b'{"not json'
    headers = {"Content-Type": "application/json"}
    seen = []
    for method, template in _writes():
        path = template.replace("{", "").replace("}", "")
        for auth in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer wbb_tok-none_guess"}):
            response = service.client.request(method, path, content=body, headers=headers | auth)
            seen.append((method, template, response.status_code))
            error_of(response, 401)
    assert len(seen) == 3 * len(_writes()) and len(_writes()) >= 10
    refused = service.client.post("/v1/solve", content=body, headers=headers | service.auth("officer"))
    assert error_of(refused, 422)["problems"][0]["message"] == "the body is not valid JSON"


def _raw_request(port: int, path: str, extra: str = "") -> tuple[int, dict[str, Any], float]:
    """Send only the headers of a POST that announces a 40 MB JSON body, never the body; returns
    the status, the JSON error and how long the answer took. A server that waited for the body
    would never answer (the socket times out and the test fails)."""
    import time

    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {FORTY_MB}\r\n{extra}\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        started = time.monotonic()
        sock.sendall(head.encode("ascii"))
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed before an answer: {received!r}"
            received += chunk
        header_text, _, rest = received.partition(b"\r\n\r\n")
        lines = header_text.decode("latin-1").split("\r\n")
        length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            assert chunk, "connection closed in the middle of the answer"
            rest += chunk
        took = time.monotonic() - started
    status = int(lines[0].split(" ")[1])
    return status, json.loads(rest[:length]), took


@pytest.mark.parametrize("path", ["/v1/solve", "/v1/households/batch", "/v1/runs"])
def test_a_40_mb_anonymous_body_is_refused_unread(database_url: str, path: str) -> None:
    """Over a raw socket to `matcher serve`: a POST that announces 40 MB (under the body limit) and
    sends only its headers gets 401 at once, without a token and with a wrong one; the server
    goes on answering, and a valid token gets past the door (the body is then awaited)."""
    tokens = make_tokens(database_url)
    running = spawn({"DATABASE_URL": database_url, "MATCHER_DENIAL_FLUSH_SECONDS": "3600"})
    try:
        port = int(running.client.base_url.port or 0)
        for extra in ("", "Authorization: Bearer wbb_tok-none_guess\r\n"):
            status, body, took = _raw_request(port, path, extra)
            assert status == 401 and body["error"]["code"] == "unauthorized"
            assert took < 10
        assert running.client.get("/healthz").status_code == 200
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            head = (
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {FORTY_MB}\r\n"
                f"Authorization: Bearer {tokens['admin']}\r\n\r\n"
            )
            sock.sendall(head.encode("ascii"))
            with pytest.raises(TimeoutError):
                sock.recv(1024)  # let in: the route waits for the body it was promised
    finally:
        running.stop()
