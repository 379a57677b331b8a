"""In-app notifications: what the bell in the header shows.

A notification is addressed either to one user, or to an audience: everyone holding a
permission (``inventory.alerts.read``), optionally limited to one data-scope code
(``warehouse`` ``WH-SH``) — so "everyone who can see WH-SH's stock alerts" is one row, and a user
whose data scope is WH-GZ never sees it. Who belongs to an audience is decided when the list is
read, from the reader's permissions and scopes, so a user granted the role later sees it too.
Read state is per user (``notification_read``).

Notifications are produced through the outbox, never written by the command itself:
``publish(uow, Notice(...))`` enqueues a message in the caller's transaction; the worker's
handler inserts the row in the transaction that acknowledges the message, keyed by the message
id, so a redelivered message never makes a second notification.

Titles and bodies are stored rendered in both languages (``zh-CN``, ``en``) together with a
machine ``kind`` and its ``params``; the API answers in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    false,
    func,
    literal,
    or_,
    select,
    true,
)

from omnistock.platform.audit import Json
from omnistock.platform.auth import SCOPE_KINDS, Actor
from omnistock.platform.clock import utcnow
from omnistock.platform.db import BigId, metadata
from omnistock.platform.errors import Forbidden, Invalid, not_found
from omnistock.platform.outbox import Message, register_handler
from omnistock.platform.pagination import decode_cursor, encode_cursor
from omnistock.platform.uow import UnitOfWork

TOPIC = "notification.publish"
SEVERITIES = ("info", "warning", "critical")

notification = Table(
    "notification",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),  # machine code, e.g. inventory.alert.low_stock
    Column("severity", String(16), nullable=False),
    Column("title_zh", String(200), nullable=False),
    Column("title_en", String(200), nullable=False),
    Column("body_zh", Text, nullable=False),
    Column("body_en", Text, nullable=False),
    Column("params", Json),
    Column("link", String(500)),  # a path of the web UI
    # Audience: one user, or the holders of ``permission`` (NULL: every signed-in user), limited
    # to ``scope_kind``/``scope_code`` when set.
    Column("user_id", BigInteger),
    Column("permission", String(128)),
    Column("scope_kind", String(16)),
    Column("scope_code", String(64)),
    Column("source_key", String(128), nullable=False, unique=True),  # outbox:<message id>
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity"),
    CheckConstraint("(scope_kind IS NULL) = (scope_code IS NULL)", name="scope"),
    Index("ix_notification_user", "user_id", "id"),
    Index("ix_notification_permission", "permission", "id"),
    Index("ix_notification_created", "created_at"),
)

notification_read = Table(
    "notification_read",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column(
        "notification_id",
        BigInteger,
        ForeignKey("notification.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("read_at", DateTime, nullable=False),
    sqlite_with_rowid=False,
)

n, nr = notification.c, notification_read.c


@dataclass(frozen=True)
class Notice:
    """A notification to publish. Give ``user_id`` for one person, else an audience."""

    kind: str
    title_zh: str
    title_en: str
    body_zh: str = ""
    body_en: str = ""
    severity: str = "info"
    link: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    user_id: int | None = None
    permission: str | None = None
    scope_kind: str | None = None
    scope_code: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if self.scope_kind is not None and self.scope_kind not in SCOPE_KINDS:
            raise ValueError(f"unknown scope kind {self.scope_kind!r}")
        if (self.scope_kind is None) != (self.scope_code is None):
            raise ValueError("scope_kind and scope_code go together")


def publish(uow: UnitOfWork, notice: Notice) -> None:
    """Enqueue ``notice`` in the caller's transaction; the worker delivers it after commit."""
    uow.enqueue(TOPIC, asdict(notice))


def _deliver(conn: Connection, msg: Message) -> None:
    """Outbox handler: insert the notification once per message (idempotent on its id)."""
    notice = Notice(**msg.payload)
    conn.execute(
        _insert_ignoring_duplicates(conn, notification),
        {**asdict(notice), "source_key": f"outbox:{msg.id}", "created_at": utcnow()},
    )


register_handler(TOPIC, _deliver, in_transaction=True)


# ---------------------------------------------------------------------------------------------
# The reader's side


@dataclass(frozen=True)
class Item:
    id: int
    kind: str
    severity: str
    title: str
    body: str
    params: dict[str, Any]
    link: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise Forbidden(
            "notifications.no_user", "Only a signed-in user has notifications", "只有登录用户才有通知"
        )
    return actor.user_id


def visible_to(actor: Actor):
    """The SQL condition: notifications addressed to ``actor`` or to an audience it belongs to."""
    if "*" in actor.permissions:
        perm_ok = true()
    elif actor.permissions:
        perm_ok = or_(n.permission.is_(None), n.permission.in_(sorted(actor.permissions)))
    else:
        perm_ok = n.permission.is_(None)
    restricted = {k: v for k in SCOPE_KINDS if (v := actor.allowed(k)) is not None}
    if restricted:
        scope_ok = or_(
            n.scope_kind.is_(None),
            n.scope_kind.not_in(sorted(restricted)),
            *[
                and_(n.scope_kind == k, n.scope_code.in_(sorted(codes)) if codes else false())
                for k, codes in sorted(restricted.items())
            ],
        )
    else:
        scope_ok = true()
    return or_(n.user_id == _user_id(actor), and_(n.user_id.is_(None), perm_ok, scope_ok))


def _read_join(user_id: int):
    return notification.outerjoin(notification_read, and_(nr.notification_id == n.id, nr.user_id == user_id))


def _read_flag():
    """0 for unread, 1 for read (sorts unread first)."""
    return case((nr.user_id.is_(None), 0), else_=1)


def list_mine(
    uow: UnitOfWork,
    *,
    unread_only: bool = False,
    lang: str = "zh-CN",
    cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[Item], str | None]:
    """The actor's notifications: unread first, then newest first (keyset cursor)."""
    me = _user_id(uow.actor)
    flag = _read_flag()
    stmt = (
        select(n, nr.read_at, flag.label("is_read"))
        .select_from(_read_join(me))
        .where(visible_to(uow.actor))
        .order_by(flag, n.id.desc())
        .limit(limit + 1)
    )
    if unread_only:
        stmt = stmt.where(nr.user_id.is_(None))
    after = decode_cursor(cursor)
    if after:
        try:
            r, last = int(after["r"]), int(after["id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid("request.bad_cursor", "The page cursor is not valid", "分页游标无效") from exc
        stmt = stmt.where(or_(flag > r, and_(flag == r, n.id < last)))
    rows = uow.conn.execute(stmt).all()
    en = lang.lower().startswith("en")
    items = [
        Item(
            id=row.id,
            kind=row.kind,
            severity=row.severity,
            title=row.title_en if en else row.title_zh,
            body=row.body_en if en else row.body_zh,
            params=row.params or {},
            link=row.link,
            created_at=row.created_at,
            read_at=row.read_at,
        )
        for row in rows[:limit]
    ]
    nxt = None
    if len(rows) > limit:
        last_row = rows[limit - 1]
        nxt = encode_cursor({"r": int(last_row.is_read), "id": last_row.id})
    return items, nxt


def unread_count(uow: UnitOfWork) -> int:
    me = _user_id(uow.actor)
    return uow.conn.execute(
        select(func.count()).select_from(_read_join(me)).where(visible_to(uow.actor), nr.user_id.is_(None))
    ).scalar_one()


def _insert_ignoring_duplicates(conn: Connection, table: Table):
    """INSERT … ON CONFLICT DO NOTHING (both engines speak it)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table).on_conflict_do_nothing()


def mark_read(uow: UnitOfWork, notification_id: int) -> None:
    """Mark one of the actor's notifications read (again is harmless)."""
    me = _user_id(uow.actor)
    found = uow.conn.execute(select(n.id).where(n.id == notification_id, visible_to(uow.actor))).first()
    if found is None:
        raise not_found("notification", notification_id, zh="通知")
    uow.conn.execute(
        _insert_ignoring_duplicates(uow.conn, notification_read),
        {"user_id": me, "notification_id": notification_id, "read_at": utcnow()},
    )


def mark_all_read(uow: UnitOfWork) -> int:
    """Mark every unread notification of the actor read, in one statement; returns how many."""
    me = _user_id(uow.actor)
    unread = (
        select(literal(me, BigInteger), n.id, literal(utcnow(), DateTime))
        .select_from(_read_join(me))
        .where(visible_to(uow.actor), nr.user_id.is_(None))
    )
    stmt = (
        _insert_ignoring_duplicates(uow.conn, notification_read)
        .from_select(["user_id", "notification_id", "read_at"], unread)
        .returning(nr.notification_id)
    )
    return len(uow.conn.execute(stmt).all())


def purge(conn: Connection, *, older_than: dt.timedelta) -> int:
    """Delete notifications (and their read marks) created more than ``older_than`` ago."""
    cutoff = utcnow() - older_than
    old = select(n.id).where(n.created_at < cutoff)
    conn.execute(delete(notification_read).where(nr.notification_id.in_(old)))
    return conn.execute(delete(notification).where(n.created_at < cutoff)).rowcount
