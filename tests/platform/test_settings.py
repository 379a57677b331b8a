"""Settings that shape the server: bad values are refused at start-up with a clear message."""

from __future__ import annotations

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from omnistock.settings import Settings, get_settings


@pytest.mark.parametrize("bad", ["0", "-3", "many"])
def test_threads_must_be_a_positive_number(monkeypatch, bad):
    monkeypatch.setenv("OMNISTOCK_THREADS", bad)
    with pytest.raises(ValidationError) as e:
        Settings()
    assert "threads" in str(e.value)


def test_the_server_runs_api_calls_on_that_many_threads(engine):
    from omnistock.app import create_app

    app = create_app(engine, run_worker=False)

    async def threads() -> int:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    app.add_api_route("/test/threads", threads)
    app.router.routes.insert(0, app.router.routes.pop())  # before the web UI's catch-all route

    with TestClient(app) as client:
        assert client.get("/test/threads").json() == get_settings().threads == 16
