"""``AreaRouter``: every area's router. Plain ``def`` endpoints run in the thread pool (never on
the event loop) with FastAPI's parameters, validation and response model intact; a path outside
the area's prefix is never matched by it."""

from __future__ import annotations

import threading

from fastapi import FastAPI, Query
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from omnistock.platform.http import AreaRouter


class Out(BaseModel):
    n: int
    thread: str


def _app() -> tuple[FastAPI, dict]:
    seen: dict = {}
    router = AreaRouter(prefix="/api/v1/things", tags=["things"])

    @router.get("/{thing_id}", operation_id="get_thing")
    def get_thing(thing_id: int, times: int = Query(1, ge=1)) -> Out:
        seen["loop_thread"] = threading.current_thread() is threading.main_thread()
        # A field the response model does not declare is dropped, as FastAPI does for any route.
        return {"n": thing_id * times, "thread": threading.current_thread().name, "secret": "x"}

    @router.get("/async/{thing_id}")
    async def get_async(thing_id: int) -> dict:
        return {"n": thing_id}

    other = AreaRouter(prefix="/api/v1/others")

    @other.get("/{name}")
    def get_other(name: str) -> dict:
        return {"name": name}

    app = FastAPI()
    app.include_router(router)
    app.include_router(other)
    return app, seen


def test_a_plain_endpoint_runs_in_the_thread_pool_with_its_parameters_and_response_model():
    app, seen = _app()
    with TestClient(app) as client:
        r = client.get("/api/v1/things/7", params={"times": 3})
        assert r.status_code == 200
        body = r.json()
        assert body["n"] == 21 and "secret" not in body
        assert body["thread"] != threading.main_thread().name and seen["loop_thread"] is False
        # Parameters are still validated by FastAPI before the endpoint runs.
        assert client.get("/api/v1/things/7", params={"times": 0}).status_code == 422
        assert client.get("/api/v1/things/seven").status_code == 422
        assert client.get("/api/v1/things/async/5").json() == {"n": 5}
        assert client.get("/api/v1/others/a").json() == {"name": "a"}
        assert client.get("/api/v1/nowhere/a").status_code == 404


def test_the_openapi_document_shows_the_endpoint_as_written():
    app, _ = _app()
    op = app.openapi()["paths"]["/api/v1/things/{thing_id}"]["get"]
    assert op["operationId"] == "get_thing"
    assert {p["name"] for p in op["parameters"]} == {"thing_id", "times"}
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Out"
    }


def test_a_path_outside_the_prefix_never_tries_the_areas_routes(monkeypatch):
    app, _ = _app()
    tried: list[str] = []
    for route in app.routes:
        if isinstance(route, APIRoute) or not hasattr(route, "original_router"):
            continue
        for r in route.original_router.routes:
            real = r.matches

            def counting(scope, real=real, path=r.path):
                tried.append(path)
                return real(scope)

            monkeypatch.setattr(r, "matches", counting)
    with TestClient(app) as client:
        assert client.get("/api/v1/others/a").json() == {"name": "a"}
    assert tried and all(p.startswith("/api/v1/others") for p in tried)


def test_one_thread_pool_hand_off_per_call(monkeypatch):
    """FastAPI alone hands a plain endpoint's answer to the thread pool a second time to
    validate it; an area's routes cost one hand-off a call."""
    import anyio.to_thread

    hand_offs = []
    real = anyio.to_thread.run_sync

    async def counting(fn, *args, **kwargs):
        hand_offs.append(fn)
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    app, _ = _app()
    with TestClient(app) as client:
        assert client.get("/api/v1/things/2").status_code == 200
    assert len(hand_offs) == 1
