"""Helpers shared by the identity and platform tests."""

from __future__ import annotations

from sqlalchemy import func, select

PASSWORD = "Secret#2026"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()
