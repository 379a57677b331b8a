"""The ``omnistock`` command as an operator runs it: a real process against a real database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from omnistock.platform.db import make_engine

pytestmark = pytest.mark.db


def omnistock(*args: str, url: str, input: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMNISTOCK_DATABASE_URL": url, "OMNISTOCK_PASSWORD_HASH_PROFILE": "fast"}
    return subprocess.run(
        [sys.executable, "-m", "omnistock.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        input=input,
        timeout=300,
    )


def test_user_create_then_login_and_duplicate_is_refused(db_url, client):
    r = omnistock(
        "user",
        "create",
        "ops",
        "--password",
        "Ops#2026-pass",
        "--role",
        "warehouse",
        "--scope",
        "warehouse:WH-SH",
        url=db_url,
    )
    assert r.returncode == 0, r.stderr
    assert "created user ops" in r.stderr
    login = client.post("/api/v1/identity/login", json={"username": "ops", "password": "Ops#2026-pass"})
    assert login.status_code == 200
    me = client.get(
        "/api/v1/identity/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    ).json()
    assert me["roles"] == ["warehouse"] and me["scopes"]["warehouse"] == ["WH-SH"]
    again = omnistock("user", "create", "ops", "--password", "Ops#2026-pass", url=db_url)
    assert again.returncode == 2 and "identity.username_taken" in again.stderr


def test_doctor_passes_on_the_demo_and_names_the_first_broken_row(db_url):
    demo = omnistock("demo", url=db_url)
    assert demo.returncode == 0, demo.stderr
    assert omnistock("demo", "--if-empty", url=db_url).stderr.strip().endswith("demo not loaded")
    ok = omnistock("doctor", url=db_url)
    assert ok.returncode == 0, ok.stderr
    assert "all checks passed" in ok.stderr

    engine = make_engine(db_url)
    with engine.begin() as conn:  # break one balance behind the ledger's back
        row = conn.execute(
            text(
                "SELECT sku_id, warehouse_id FROM stock_balance WHERE on_hand > 0 "
                "ORDER BY sku_id, warehouse_id LIMIT 1"
            )
        ).one()
        conn.execute(
            text("UPDATE stock_balance SET on_hand = on_hand + 1 WHERE sku_id = :s AND warehouse_id = :w"),
            {"s": row.sku_id, "w": row.warehouse_id},
        )
    engine.dispose()
    broken = omnistock("doctor", url=db_url)
    assert broken.returncode == 1
    assert f"stock_balance(warehouse_id={row.warehouse_id}, sku_id={row.sku_id})" in broken.stderr
    assert "Σ ledger" in broken.stderr


def test_doctor_reports_an_outdated_schema(tmp_path):
    url = f"sqlite:///{tmp_path}/empty.db"
    r = omnistock("doctor", url=url)
    assert r.returncode == 1 and "omnistock db upgrade" in r.stderr
    assert omnistock("db", "upgrade", url=url).returncode == 0
    assert omnistock("doctor", url=url).returncode == 0
