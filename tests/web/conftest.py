"""Fixtures for the web app tests: one app (one worker process) per module, a job waiter,
and the real Chromium that the browser tests drive (skipped with a reason if absent).

Chromium comes from Debian (``apt-get install -y chromium``; see tests/web/install_chromium.sh);
Playwright's own browser download does not work here.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="web tests need: pip install 'moodtwin[web]'")
pytest.importorskip("httpx", reason="web tests need httpx (pip install 'moodtwin[test]')")

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists()
                                        else None)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One app (one worker pool, warmed at start) served by uvicorn on a free local port for
    the whole session; returns (base URL, app)."""
    import socket
    import threading

    import uvicorn

    from moodtwin.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(tmp_path_factory.mktemp("serve"), token=TOKEN,
                     allowed_hosts={"testserver"}, examples=ROOT / "examples")
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def client(server):
    """TestClient on the served app (its lifespan, hence the pool, belongs to the server)."""
    from fastapi.testclient import TestClient

    return TestClient(server[1])


@pytest.fixture(scope="module")
def wait(client):
    """``wait(job_id)``: poll a job until it is final; returns the job."""
    return lambda job_id, timeout=120.0: _wait(client, job_id, timeout)


def _wait(client, job_id: str, timeout: float) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = client.get(f"/api/jobs/{job_id}", headers=AUTH).json()
        if job["status"] in ("done", "failed", "cancelled", "interrupted"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


@pytest.fixture(scope="session")
def chromium_path():
    if CHROMIUM is None:
        pytest.skip("browser tests need Debian's chromium: run tests/web/install_chromium.sh "
                    "(apt-get install -y chromium)")
    pytest.importorskip("playwright", reason="browser tests need: pip install playwright")
    return CHROMIUM


def pytest_collection_modifyitems(items):
    # Starlette >= 1.x prefers the httpx2 package for TestClient; httpx works the same.
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.filterwarnings(
                "ignore:Using `httpx` with `starlette.testclient`"))
