"""Shared fixtures: a real, migrated database per test (SQLite by default, PostgreSQL when
``OMNISTOCK_TEST_DATABASE_URL`` names one), the real HTTP app and an administrator's token.

Tests that use the database are marked ``db`` automatically; ``.ci/run`` runs them a second
time against PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from omnistock.platform import migrate
from omnistock.platform.db import make_engine, metadata

PG_URL = os.environ.get("OMNISTOCK_TEST_DATABASE_URL", "")
# Cheap argon2 parameters for the many logins of the test suite (never used outside tests).
os.environ.setdefault("OMNISTOCK_PASSWORD_HASH_PROFILE", "fast")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if {"engine", "db_url", "client"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


def _pg_admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


@pytest.fixture(scope="session")
def _template(tmp_path_factory, worker_id) -> Iterator[str]:
    """A migrated database made once per test worker."""
    if PG_URL:
        name = PG_URL.rsplit("/", 1)[1].split("?")[0] + f"_{worker_id}"
        admin = create_engine(
            _pg_admin_url(PG_URL).replace("postgresql://", "postgresql+psycopg://"),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_URL.rsplit("/", 1)[0] + "/" + name
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        raw = engine.raw_connection()  # outside any transaction: SQLite refuses to checkpoint inside one
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        engine.dispose()
        yield str(path)


@pytest.fixture
def db_url(_template, tmp_path) -> str:
    """The URL of a fresh, migrated, empty database for this test."""
    if PG_URL:
        engine = make_engine(_template)
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        # Put back what the migrations seed (built-in roles), as a fresh database has it.
        from omnistock.identity import service as identity
        from omnistock.platform.auth import Actor
        from omnistock.platform.uow import UnitOfWork

        with UnitOfWork(engine, Actor.system("test")) as uow:
            identity.ensure_builtin_roles(uow)
        # …and the chart of accounts with the posting roles (migration 0016's seed).
        import importlib.util
        from pathlib import Path

        import omnistock

        path = Path(omnistock.__file__).parent / "migrations" / "versions" / "0016_finance.py"
        spec = importlib.util.spec_from_file_location("_finance_seed", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with engine.begin() as conn:
            module.seed(conn)
        engine.dispose()
        return _template
    path = tmp_path / "test.db"
    shutil.copyfile(_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(engine):
    from omnistock.app import create_app

    return create_app(engine, run_worker=False)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


ADMIN_PASSWORD = "Admin#2026-secret"


@pytest.fixture
def admin_token(engine, client) -> str:
    from omnistock.identity import service as identity
    from omnistock.platform.auth import Actor
    from omnistock.platform.uow import UnitOfWork

    with UnitOfWork(engine, Actor.system("test")) as uow:
        identity.create_user(
            uow,
            username="admin",
            password=ADMIN_PASSWORD,
            display_name="管理员",
            roles=[identity.ADMIN_ROLE],
            scopes={},
        )
    r = client.post("/api/v1/identity/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.fixture
def admin(client, admin_token):
    """The test client, signed in as an administrator."""
    client.headers["Authorization"] = f"Bearer {admin_token}"
    return client


@pytest.fixture
def make_user(engine):
    """Create a user through the identity service: ``make_user("li", roles=["viewer"])``."""
    from omnistock.identity import service as identity
    from omnistock.platform.auth import Actor
    from omnistock.platform.uow import UnitOfWork
    from tests.identity.helpers import PASSWORD

    def make(username: str, password: str = PASSWORD, roles=(), scopes=None, **kw):
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
    """Sign in through the API and return the access token."""
    from tests.identity.helpers import PASSWORD

    def do(username: str, password: str = PASSWORD) -> str:
        r = client.post("/api/v1/identity/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    return do
