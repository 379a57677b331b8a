"""The transactional outbox: effects outside the database, delivered at least once.

A command writes a message in its own transaction (``UnitOfWork.enqueue``). A worker claims
due messages, calls the handler registered for the topic and marks them delivered; a handler
that raises is retried later with back-off. Delivery is at-least-once, so every handler must be
idempotent: it receives the message id to deduplicate on.

A handler whose effect stays in this database (an in-app notification) is registered with
``in_transaction=True``: it gets the connection of the transaction that marks the message
delivered, so its rows and the acknowledgement commit together. A handler that must read the
database before its network call (a channel's URL and secret) is registered with
``with_engine=True``: it gets the engine and opens its own short read, so no transaction is open
while it waits on the network.

The worker also runs periodic jobs (``PeriodicJob``, e.g. the stock-alert scan) between
deliveries; a job opens its own units of work and may enqueue messages like any command.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    insert,
    or_,
    select,
    update,
)

from omnistock.platform.audit import Json
from omnistock.platform.clock import utcnow
from omnistock.platform.db import BigId, metadata

log = logging.getLogger(__name__)

outbox_message = Table(
    "outbox_message",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("topic", String(64), nullable=False),
    Column("key", String(128)),
    Column("payload", Json, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("available_at", DateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("locked_until", DateTime),
    Column("delivered_at", DateTime),
    Column("last_error", Text),
    Index("ix_outbox_due", "delivered_at", "available_at"),
)


@dataclass(frozen=True)
class Message:
    id: int
    topic: str
    key: str | None
    payload: dict[str, Any]
    attempts: int


Handler = Callable[[Message], None]
LocalHandler = Callable[[Connection, Message], None]
EngineHandler = Callable[[Engine, Message], None]
_handlers: dict[str, Handler] = {}
_local_handlers: dict[str, LocalHandler] = {}
_engine_handlers: dict[str, EngineHandler] = {}


def register_handler(
    topic: str, handler: Callable, *, in_transaction: bool = False, with_engine: bool = False
) -> None:
    """``handler(message)``; with ``in_transaction``, ``handler(conn, message)`` inside the
    transaction that marks the message delivered (for effects in this same database); with
    ``with_engine``, ``handler(engine, message)`` outside any transaction (it reads what it needs
    in its own unit of work, then does its I/O). A topic has one handler: the last registered."""
    if in_transaction and with_engine:
        raise ValueError("in_transaction and with_engine exclude each other")
    for registry in (_handlers, _local_handlers, _engine_handlers):
        registry.pop(topic, None)
    if in_transaction:
        _local_handlers[topic] = handler
    elif with_engine:
        _engine_handlers[topic] = handler
    else:
        _handlers[topic] = handler


def enqueue(uow, topic: str, payload: dict[str, Any], *, key: str | None = None) -> None:
    now = utcnow()
    uow.conn.execute(
        insert(outbox_message),
        {
            "topic": topic,
            "key": key,
            "payload": payload,
            "created_at": now,
            "available_at": now,
            "attempts": 0,
        },
    )


MAX_BACKOFF = dt.timedelta(hours=1)
LEASE = dt.timedelta(minutes=5)


def deliver_due(engine: Engine, *, batch: int = 50, topics: Sequence[str] | None = None) -> int:
    """Deliver what is due now (of ``topics`` only, when given); returns how many were delivered."""
    now = utcnow()
    stmt = (
        select(outbox_message.c.id)
        .where(
            outbox_message.c.delivered_at.is_(None),
            outbox_message.c.available_at <= now,
            or_(outbox_message.c.locked_until.is_(None), outbox_message.c.locked_until < now),
        )
        .order_by(outbox_message.c.id)
        .limit(batch)
    )
    if topics is not None:
        stmt = stmt.where(outbox_message.c.topic.in_(list(topics)))
    with engine.begin() as conn:
        due = conn.execute(stmt).scalars().all()
    delivered = 0
    for msg_id in due:
        # Claim with a conditional update so two workers never run one message at once.
        with engine.begin() as conn:
            claimed = conn.execute(
                update(outbox_message)
                .where(
                    and_(
                        outbox_message.c.id == msg_id,
                        outbox_message.c.delivered_at.is_(None),
                        or_(outbox_message.c.locked_until.is_(None), outbox_message.c.locked_until < now),
                    )
                )
                .values(locked_until=now + LEASE, attempts=outbox_message.c.attempts + 1)
            ).rowcount
            if not claimed:
                continue
            row = conn.execute(select(outbox_message).where(outbox_message.c.id == msg_id)).one()
        msg = Message(row.id, row.topic, row.key, row.payload, row.attempts)
        local = _local_handlers.get(msg.topic)
        with_engine = _engine_handlers.get(msg.topic)
        handler = _handlers.get(msg.topic)
        try:
            if local is not None:
                with engine.begin() as conn:
                    local(conn, msg)
                    _mark_delivered(conn, msg.id)
                delivered += 1
                continue
            if with_engine is not None:
                with_engine(engine, msg)
            elif handler is None:
                raise LookupError(f"no handler for topic {msg.topic!r}")
            else:
                handler(msg)
        except Exception as exc:  # noqa: BLE001 - any failure is retried later
            backoff = min(dt.timedelta(seconds=2**msg.attempts), MAX_BACKOFF)
            log.warning("outbox message %s (%s) failed: %s", msg.id, msg.topic, exc)
            with engine.begin() as conn:
                conn.execute(
                    update(outbox_message)
                    .where(outbox_message.c.id == msg.id)
                    .values(locked_until=None, available_at=utcnow() + backoff, last_error=str(exc)[:2000])
                )
            continue
        with engine.begin() as conn:
            _mark_delivered(conn, msg.id)
        delivered += 1
    return delivered


def _mark_delivered(conn: Connection, msg_id: int) -> None:
    conn.execute(
        update(outbox_message)
        .where(outbox_message.c.id == msg_id)
        .values(delivered_at=utcnow(), locked_until=None, last_error=None)
    )


@dataclass(frozen=True)
class PeriodicJob:
    """Work the background worker runs every ``every_seconds`` (first run right after start)."""

    name: str
    every_seconds: float
    run: Callable[[Engine], object]


class OutboxWorker:
    """The in-process delivery loop of the embedded default (a thread beside the web server),
    which also runs the periodic jobs it is given."""

    def __init__(self, engine: Engine, poll_seconds: float = 1.0, jobs: Sequence[PeriodicJob] = ()):
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.jobs = list(jobs)
        self._due = [0.0] * len(self.jobs)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox-worker", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)

    def run_due_jobs(self) -> int:
        """Run every job whose time has come; returns how many ran (failures are logged)."""
        ran = 0
        for i, job in enumerate(self.jobs):
            now = time.monotonic()
            if now < self._due[i]:
                continue
            self._due[i] = now + job.every_seconds
            try:
                job.run(self.engine)
            except Exception:  # noqa: BLE001 - a failing job must not stop deliveries
                log.exception("periodic job %s failed", job.name)
            ran += 1
        return ran

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due_jobs()  # what they enqueue is delivered right below
                deliver_due(self.engine)
            except Exception:  # noqa: BLE001 - keep the loop alive; the next poll retries
                log.exception("outbox delivery loop failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
