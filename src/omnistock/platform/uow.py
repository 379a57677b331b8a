"""The unit of work: one command = one transaction, opened by the caller.

API routes, CLI commands and workers open a ``UnitOfWork``; services receive it and use its
connection, never commit. Audit rows and outbox messages are written through it, so they commit
or vanish together with the change they describe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine

from omnistock.platform.auth import Actor
from omnistock.platform.clock import utcnow
from omnistock.platform.db import READONLY


class UnitOfWork:
    def __init__(
        self,
        bind: Engine | Connection,
        actor: Actor | None = None,
        *,
        readonly: bool = False,
        request_id: str | None = None,
    ):
        self._bind = bind
        self.actor = actor or Actor.system()
        self.readonly = readonly
        self.request_id = request_id
        self._before_commit: list[Callable[[], None]] = []
        self._after_commit: list[Callable[[], None]] = []
        self._after_rollback: list[Callable[[], None]] = []
        self._audit_batch: list[dict[str, Any]] | None = None
        # What a command gathers on its way and writes once, before commit (the journal's
        # entries); keyed by the module that owns each value.
        self.state: dict[str, Any] = {}
        self.conn: Connection

    # -- transaction ----------------------------------------------------------
    def __enter__(self) -> UnitOfWork:
        if isinstance(self._bind, Connection):
            self.conn = self._bind
            self._owns = False
        else:
            self.conn = self._bind.connect()
            self._owns = True
        self.conn.execution_options(**{READONLY: self.readonly})
        self._tx = self.conn.begin()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and not self.readonly and self._before_commit:
            try:
                for fn in self._before_commit:
                    fn()
            except BaseException as e:
                self.__exit__(type(e), e, e.__traceback__)
                raise
        try:
            if exc_type is None and not self.readonly:
                self._tx.commit()
                callbacks = self._after_commit
            elif exc_type is None:
                # A read-only unit saw only committed data: what it learnt may be kept.
                self._tx.rollback()
                callbacks = self._after_commit
            else:
                self._tx.rollback()
                callbacks = self._after_rollback
        finally:
            if self._owns:
                self.conn.close()
        for fn in callbacks:
            fn()

    def before_commit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the command is done, still inside its transaction: what it writes
        commits with the rest, and if it raises nothing commits."""
        self._before_commit.append(fn)

    def after_commit(self, fn: Callable[[], None]) -> None:
        self._after_commit.append(fn)

    def after_rollback(self, fn: Callable[[], None]) -> None:
        self._after_rollback.append(fn)

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    # -- side records ---------------------------------------------------------
    def audit(
        self,
        action: str,
        entity_type: str,
        entity_id: Any,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        from omnistock.platform.audit import INSERT_AUDIT
        from omnistock.platform.sql import raw

        r = raw(self.conn)
        row = {
            "at": r.dt(utcnow()),
            "actor_id": self.actor.user_id,
            "actor_name": self.actor.username,
            "action": action,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "before": r.json(before),
            "after": r.json(after),
            "request_id": self.request_id,
        }
        if self._audit_batch is not None:
            self._audit_batch.append(row)
        else:
            r.queue(INSERT_AUDIT, row)

    @contextmanager
    def audit_batch(self) -> Iterator[None]:
        """The audit rows of the block are written together when it ends: one statement instead of
        one each (a hot path writing several). Nothing is written if the block raises."""
        if self._audit_batch is not None:  # already batching: the outer block writes them
            yield
            return
        from omnistock.platform.audit import INSERT_AUDIT
        from omnistock.platform.sql import raw

        self._audit_batch = []
        try:
            yield
            raw(self.conn).queue_many(INSERT_AUDIT, self._audit_batch)
        finally:
            self._audit_batch = None

    def enqueue(self, topic: str, payload: dict[str, Any], *, key: str | None = None) -> None:
        from omnistock.platform.outbox import enqueue

        enqueue(self, topic, payload, key=key)
