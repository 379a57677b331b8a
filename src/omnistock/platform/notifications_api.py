"""/api/v1/notifications: the signed-in user's own in-app notifications (no permission needed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request, Response

from omnistock.platform import notifications
from omnistock.platform.auth import Actor, current_actor
from omnistock.platform.http import AreaRouter, language, unit_of_work
from omnistock.platform.schemas import Output, Page, UtcDateTime

router = AreaRouter(prefix="/api/v1/notifications", tags=["notifications"])


class NotificationOut(Output):
    id: int
    kind: str
    severity: str
    title: str
    body: str
    params: dict[str, Any]
    link: str | None
    created_at: UtcDateTime
    read_at: UtcDateTime | None


class UnreadCountOut(Output):
    unread: int


class MarkedOut(Output):
    marked: int


@router.get("", operation_id="listNotifications")
def list_notifications(
    request: Request,
    actor: Actor = Depends(current_actor),
    unread_only: bool = False,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[NotificationOut]:
    """My notifications, unread first and then newest first, in my language (``Accept-Language``)."""
    with unit_of_work(request, actor, readonly=True) as uow:
        items, nxt = notifications.list_mine(
            uow, unread_only=unread_only, lang=language(request), cursor=cursor, limit=limit
        )
    return Page[NotificationOut](items=[NotificationOut.model_validate(i) for i in items], next_cursor=nxt)


@router.get("/unread-count", operation_id="countUnreadNotifications")
def unread_count(request: Request, actor: Actor = Depends(current_actor)) -> UnreadCountOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return UnreadCountOut(unread=notifications.unread_count(uow))


@router.post("/{notification_id}/read", status_code=204, operation_id="markNotificationRead")
def mark_read(
    notification_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    request: Request,
    actor: Actor = Depends(current_actor),
) -> Response:
    """Mark one notification read (again is harmless); 404 for one that is not mine."""
    with unit_of_work(request, actor) as uow:
        notifications.mark_read(uow, notification_id)
    return Response(status_code=204)


@router.post("/read-all", operation_id="markAllNotificationsRead")
def mark_all_read(request: Request, actor: Actor = Depends(current_actor)) -> MarkedOut:
    """Mark every unread notification of mine read; answers how many were marked."""
    with unit_of_work(request, actor) as uow:
        return MarkedOut(marked=notifications.mark_all_read(uow))
