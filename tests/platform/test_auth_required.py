"""Every API endpoint but login, health and the channel webhook (authenticated by its request
signature instead, tested in tests/orders/test_pool_operations.py) refuses a caller without a
valid token."""

from __future__ import annotations

import re

import pytest

from omnistock.app import create_app

OPEN = {
    ("POST", "/api/v1/identity/login"),
    ("GET", "/api/health"),
    ("POST", "/api/v1/orders/webhooks/{code}"),
}


def _routes():
    """Every operation the API documents (what clients see)."""
    for path, ops in create_app(run_worker=False).openapi()["paths"].items():
        for method in ops:
            yield method.upper(), path


ROUTES = sorted(set(_routes()))


@pytest.fixture(scope="module")
def anonymous(_template, tmp_path_factory):
    """One app for the whole module: refused requests write nothing, so they can share it."""
    import shutil

    from fastapi.testclient import TestClient

    from omnistock.platform.db import make_engine
    from tests.conftest import PG_URL

    if PG_URL:
        url = _template
    else:
        path = tmp_path_factory.mktemp("anon") / "anon.db"
        shutil.copyfile(_template, path)
        url = f"sqlite:///{path}"
    engine = make_engine(url)
    with TestClient(create_app(engine, run_worker=False)) as c:
        yield c
    engine.dispose()


def test_there_are_routes_to_check():
    assert len(ROUTES) > 30


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r not in OPEN])
@pytest.mark.parametrize("token", [None, "oss_forged-token-value"])
@pytest.mark.db
def test_endpoint_requires_a_valid_token(anonymous, method, path, token):
    url = re.sub(r"\{[^}]+\}", "1", path)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = anonymous.request(method, url, headers=headers, json={})
    assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"].startswith(("auth.", "identity."))
