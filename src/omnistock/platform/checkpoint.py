"""Checkpoints of long jobs (workload replays, imports), written in the same transaction as the
work they count, so a job killed at any moment resumes exactly where its last commit left it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Connection, DateTime, String, Table, select

from omnistock.platform.audit import Json
from omnistock.platform.clock import utcnow
from omnistock.platform.db import metadata
from omnistock.platform.sql import Sql, raw

job_checkpoint = Table(
    "job_checkpoint",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("source", String(200), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("counters", Json, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    sqlite_with_rowid=False,
)

_SAVE = Sql(
    "INSERT INTO job_checkpoint (name, source, position, counters, updated_at) "
    "VALUES (:name, :source, :position, :counters, :now) "
    "ON CONFLICT (name) DO UPDATE SET position = excluded.position, counters = excluded.counters, "
    "updated_at = excluded.updated_at"
)


def load(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(job_checkpoint).where(job_checkpoint.c.name == name)).first()
    return None if row is None else dict(row._mapping)


def save(conn: Connection, name: str, source: str, position: int, counters: dict[str, int]) -> None:
    r = raw(conn)
    r.queue(
        _SAVE,
        {
            "name": name,
            "source": source,
            "position": position,
            "counters": r.json(counters),
            "now": r.dt(utcnow()),
        },
    )
