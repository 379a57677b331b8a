"""GET /api/v1/audit: search the append-only audit log (newest first, id-based cursor)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from omnistock.platform import audit
from omnistock.platform.auth import Actor, requires
from omnistock.platform.clock import to_utc
from omnistock.platform.errors import Invalid
from omnistock.platform.http import AreaRouter, unit_of_work
from omnistock.platform.pagination import decode_cursor, encode_cursor
from omnistock.platform.permissions import register
from omnistock.platform.schemas import Output, Page, UtcDateTime

register(("audit.read", "查看审计日志", "View the audit log"))

router = AreaRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEntry(Output):
    id: int
    at: UtcDateTime
    actor_id: int | None
    actor_name: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


def _bad_cursor() -> Invalid:
    return Invalid("request.bad_cursor", "The page cursor is not valid", "分页游标无效")


@router.get("", operation_id="searchAudit")
def search_audit(
    request: Request,
    actor_name: Annotated[
        str | None, Query(alias="actor", max_length=64, description="Actor's username")
    ] = None,
    action: Annotated[str | None, Query(max_length=64, description="Action, or a prefix of it")] = None,
    entity_type: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: Annotated[str | None, Query(max_length=128)] = None,
    since: Annotated[dt.datetime | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[dt.datetime | None, Query(description="Up to this time (exclusive)")] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    actor: Actor = Depends(requires("audit.read")),
) -> Page[AuditEntry]:
    before_id = None
    pos = decode_cursor(cursor)
    if pos is not None:
        try:
            before_id = int(pos["id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad_cursor() from exc
    with unit_of_work(request, actor, readonly=True) as uow:
        rows = audit.search(
            uow.conn,
            actor=actor_name,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            since=to_utc(since) if since else None,
            until=to_utc(until) if until else None,
            before_id=before_id,
            limit=limit + 1,
        )
    nxt = encode_cursor({"id": rows[limit - 1]["id"]}) if len(rows) > limit else None
    return Page[AuditEntry](items=[AuditEntry.model_validate(r) for r in rows[:limit]], next_cursor=nxt)
