"""Hostile input: every operation in the backend's OpenAPI, fed generated requests (schemathesis).

Whatever a caller sends, the backend answers with a 4xx and a reason, never a server error, and
every answer matches the schema it publishes. Run as a manager (the widest staff role) on SQLite
and PostgreSQL, with a bounded number of examples per operation so CI stays quick; raise
``FUZZ_EXAMPLES`` for a deeper run.
"""

from __future__ import annotations

import os
import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from backend.main import create_app
from backend.settings import Settings
from tests.conftest import PASSWORD, Backend

#: Server errors and conformance to the published schema. Not "schema-valid data is accepted": the
#: Code's rules refuse much that the schema allows (a date in the future, a stage 2 by the stage 1
#: handler), with a 422 and a reason. Not "invalid auth is refused" either: the test sends a real
#: login, and the access matrix test covers who may do what.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _app = create_app(Settings(database_url="sqlite://", service_token="t" * 40, app_env="test"))
    schema = schemathesis.openapi.from_dict(_app.openapi())
    _app.state.engine.dispose()


@pytest.fixture
def manager(backend: Backend) -> dict[str, str]:
    """A login of its own: the fuzzer calls /auth/logout, which must not end the login other tests share."""
    r = backend.client.post("/api/v1/auth/login", json={"email": "manager@landlord.example", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.mark.filterwarnings("ignore")
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_any_request_gets_a_clear_answer_that_matches_the_schema(case: schemathesis.Case, backend: Backend, manager: dict[str, str]) -> None:
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=manager)
    kwargs.pop("cookies", None)
    response = backend.client.request(**kwargs)
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
    case.validate_response(response, checks=CHECKS)
