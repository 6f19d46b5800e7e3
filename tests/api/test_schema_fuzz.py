"""API fuzzing over the whole OpenAPI document: for every operation, schemathesis sends
generated requests (valid and invalid) with an admin token; no answer is a 5xx, and every
answer has a documented status, content type and body shape. A fixed example budget per
operation keeps the run short; SQLite only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from service_helpers import make_tokens

from api.app import create_app
from api.settings import Settings

MAX_EXAMPLES = 20
TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzz_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    """The service on a fresh SQLite file, its schema loaded from its own /openapi.json."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'matcher.db'}"
    TOKENS.update(make_tokens(url))
    app = create_app(Settings(database_url=url, queue_max=4, scenario_max_replicates=2))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    from schemathesis.python.asgi import shutdown_lifespans

    shutdown_lifespans()


def test_no_server_error_and_every_answer_as_documented(fuzz_schema: schemathesis.BaseSchema) -> None:
    """Every operation, generated requests with an admin token: never a 5xx; status, content
    type and body as the schema says. Failures are collected per operation and shown together."""
    headers = {"Authorization": f"Bearer {TOKENS['admin']}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures: list[str] = []
    operations = [result.ok() for result in fuzz_schema.get_all_operations()]
    assert len(operations) >= 30

    for operation in operations:

        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except Exception as error:
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    assert failures == [], "\n\n".join(failures)
