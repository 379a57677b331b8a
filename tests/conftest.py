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
        admin = create_engine(_pg_admin_url(PG_URL).replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")
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
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
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
        identity.create_user(uow, username="admin", password=ADMIN_PASSWORD, display_name="管理员",
                             roles=[identity.ADMIN_ROLE], scopes={})
    r = client.post("/api/v1/identity/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.fixture
def admin(client, admin_token):
    """The test client, signed in as an administrator."""
    client.headers["Authorization"] = f"Bearer {admin_token}"
    return client
