"""Platform test fixtures (shared with identity). Password hashing uses the cheap test profile (never in production)."""

from __future__ import annotations

import os

os.environ.setdefault("OMNISTOCK_PASSWORD_HASH_PROFILE", "fast")

import pytest  # noqa: E402

from omnistock.identity import service as identity  # noqa: E402
from omnistock.platform.auth import Actor  # noqa: E402
from omnistock.platform.uow import UnitOfWork  # noqa: E402
from tests.identity.helpers import PASSWORD  # noqa: E402


@pytest.fixture
def make_user(engine):
    def make(username: str, password: str = PASSWORD, roles=(), scopes=None, **kw) -> identity.User:
        with UnitOfWork(engine, Actor.system("test")) as uow:
            return identity.create_user(
                uow,
                username=username,
                password=password,
                display_name=kw.pop("display_name", username),
                roles=list(roles),
                scopes=scopes or {},
                **kw,
            )

    return make


@pytest.fixture
def login(client):
    def do(username: str, password: str = PASSWORD) -> str:
        r = client.post("/api/v1/identity/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    return do


# TEMPORARY (remove once tests/conftest.py is fixed): the shared `_template` fixture runs
# `PRAGMA wal_checkpoint(TRUNCATE)` through `engine.connect()`, whose autobegin issues
# `BEGIN IMMEDIATE` first, and SQLite refuses a checkpoint inside a transaction ("database
# table is locked"). This copy checkpoints on the raw DB-API connection instead.
if not os.environ.get("OMNISTOCK_TEST_DATABASE_URL"):
    from omnistock.platform import migrate  # noqa: E402
    from omnistock.platform.db import make_engine  # noqa: E402

    @pytest.fixture(scope="session")
    def _template(tmp_path_factory, worker_id):
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        raw = engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        engine.dispose()
        yield str(path)
