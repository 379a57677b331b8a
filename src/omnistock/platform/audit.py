"""The append-only audit log: who changed what, when, with the state before and after.

Rows are written by ``UnitOfWork.audit`` in the same transaction as the change. The database
refuses UPDATE and DELETE on the table (triggers installed by the migration).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Integer, String, Table, and_, func, select
from sqlalchemy.dialects.postgresql import JSONB

from omnistock.platform.db import BigId, metadata
from omnistock.platform.sql import Sql

Json = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor_id", Integer),
    Column("actor_name", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(64), nullable=False),
    Column("entity_id", String(128), nullable=False),
    Column("before", Json),
    Column("after", Json),
    Column("request_id", String(64)),
    Index("ix_audit_entity", "entity_type", "entity_id"),
)

INSERT_AUDIT = Sql(
    "INSERT INTO audit_log (at, actor_id, actor_name, action, entity_type, entity_id, before, after, request_id) "
    "VALUES (:at, :actor_id, :actor_name, :action, :entity_type, :entity_id, :before, :after, :request_id)"
)


def count_since(conn, since: dt.datetime) -> int:
    return conn.execute(
        select(func.count()).select_from(audit_log).where(audit_log.c.at >= since)
    ).scalar_one()


def search(
    conn,
    *,
    actor: str | None = None,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Newest first; ``before_id`` is the cursor for the next page."""
    conds = []
    if actor:
        conds.append(audit_log.c.actor_name == actor)
    if action:
        conds.append(audit_log.c.action.like(f"{action}%"))
    if entity_type:
        conds.append(audit_log.c.entity_type == entity_type)
    if entity_id:
        conds.append(audit_log.c.entity_id == entity_id)
    if since:
        conds.append(audit_log.c.at >= since)
    if until:
        conds.append(audit_log.c.at < until)
    if before_id:
        conds.append(audit_log.c.id < before_id)
    q = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if conds:
        q = q.where(and_(*conds))
    return [dict(r._mapping) for r in conn.execute(q)]
