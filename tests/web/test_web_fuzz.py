"""Schema-based fuzz of the HTTP API (schemathesis from the OpenAPI document): no request
it generates, with or without the token, gets a server error (5xx).

Jobs are recorded but not run here (the worker pool is replaced by a no-op): the API surface
is what is fuzzed; the jobs themselves are tested in test_web_api.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import AUTH

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from moodtwin.web import create_app  # noqa: E402


def _app():
    import tempfile

    app = create_app(Path(tempfile.mkdtemp(prefix="moodtwin-fuzz-")),
                     token=AUTH["Authorization"][7:], allowed_hosts={"testserver", "localhost"},
                     warm=False)
    app.state.runner.submit = lambda job_id: None  # record jobs, do not run them
    return app


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_for_any_generated_request(case):
    for headers in (AUTH, {}):
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.method, case.path, response.text[:300])
        ctype = str(response.headers.get("content-type", ""))
        if response.status_code >= 400 and "application/json" in ctype:
            detail = response.json().get("detail")
            assert isinstance(detail, str) and "\n" not in detail and "Traceback" not in detail
