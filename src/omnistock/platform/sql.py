"""Prepared SQL for hot paths, run on the unit of work's own DBAPI connection.

SQLAlchemy Core builds and runs most statements. The few that run on every stock event
(balance updates, ledger inserts, pool upserts) are plain SQL with ``:name`` parameters that
this module adapts once per dialect and executes straight on the driver's cursor, inside the
same transaction — no per-call compile, cache-key or result-proxy overhead. Values passed
here must be ints, strings or ``None``; use ``dt()`` and ``json()`` for the rest.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Connection, event

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class Sql:
    """One statement, adapted lazily to each dialect's parameter style."""

    __slots__ = ("text", "_pg")

    def __init__(self, text: str, *, pg: str | None = None):
        """``pg``: the PostgreSQL text when it differs (``FOR UPDATE``, which SQLite lacks)."""
        self.text = " ".join(text.split())
        self._pg = _PARAM.sub(r"%(\1)s", " ".join((pg or text).split()).replace("%", "%%"))

    def for_dialect(self, dialect: str) -> str:
        return self.text if dialect == "sqlite" else self._pg


class Raw:
    """The DBAPI cursor of a SQLAlchemy connection, with dialect-aware value adapters."""

    def __init__(self, conn: Connection):
        self.dialect = conn.dialect.name
        self.sqlite = self.dialect == "sqlite"
        driver = conn.connection.driver_connection
        self._driver = driver
        self._pipeline = None
        self.cursor = driver.cursor()
        self.IntegrityError = conn.dialect.loaded_dbapi.IntegrityError
        if not self.sqlite:
            from psycopg.types.json import Jsonb

            self._jsonb = Jsonb

    def execute(self, stmt: Sql, params: dict[str, Any] | None = None) -> int:
        """Run ``stmt``; returns how many rows it changed."""
        self.cursor.execute(stmt.for_dialect(self.dialect), params or {})
        if self._pipeline is not None:
            self._pipeline.sync()  # the row count is needed now
        return self.cursor.rowcount

    def queue(self, stmt: Sql, params: dict[str, Any] | None = None) -> None:
        """Run a write whose outcome is not needed: in a pipeline it travels with the next
        statement that does need an answer (or the commit) instead of costing a round trip."""
        self.cursor.execute(stmt.for_dialect(self.dialect), params or {})

    def queue_many(self, stmt: Sql, rows: list[dict[str, Any]]) -> None:
        if self._pipeline is not None or len(rows) == 1:
            for row in rows:
                self.cursor.execute(stmt.for_dialect(self.dialect), row)
        elif rows:
            self.cursor.executemany(stmt.for_dialect(self.dialect), rows)

    @contextmanager
    def pipeline(self, conn: Connection) -> Iterator[None]:
        """PostgreSQL pipeline mode for a long run of transactions on ``conn`` (the workload
        replay): writes that need no answer stop costing a round trip each. SQLAlchemy
        statements on the connection still work: each waits for its answer before reading it."""
        if self.sqlite:
            yield
            return

        def answer_now(*_args) -> None:
            if self._pipeline is not None:
                self._pipeline.sync()

        with self._driver.pipeline() as p:
            self._pipeline = p
            event.listen(conn, "after_cursor_execute", answer_now)
            try:
                yield
            finally:
                event.remove(conn, "after_cursor_execute", answer_now)
                self._pipeline = None

    def executemany(self, stmt: Sql, rows: list[dict[str, Any]]) -> int:
        """Run ``stmt`` once per row; returns the total of rows changed."""
        if not rows:
            return 0
        if len(rows) == 1:  # one round trip instead of a driver-side batch
            return self.execute(stmt, rows[0])
        if self._pipeline is not None:
            total = 0
            for row in rows:
                self.cursor.execute(stmt.for_dialect(self.dialect), row)
                self._pipeline.sync()
                total += self.cursor.rowcount
            return total
        self.cursor.executemany(stmt.for_dialect(self.dialect), rows)
        return self.cursor.rowcount

    def one(self, stmt: Sql, params: dict[str, Any] | None = None) -> tuple | None:
        self.cursor.execute(stmt.for_dialect(self.dialect), params or {})
        return self.cursor.fetchone()

    def all(self, stmt: Sql, params: dict[str, Any] | None = None) -> list[tuple]:
        self.cursor.execute(stmt.for_dialect(self.dialect), params or {})
        return self.cursor.fetchall()

    # -- adapters ---------------------------------------------------------------------------------
    def dt(self, value: dt.datetime | None):
        if value is None or not self.sqlite:
            return value
        return value.isoformat(" ", "microseconds")  # SQLAlchemy's DateTime format on SQLite

    def day(self, value: dt.date | None):
        if value is None or not self.sqlite:
            return value
        return value.isoformat()  # SQLAlchemy's Date format on SQLite

    def read_day(self, value) -> dt.date | None:
        if value is None or isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(value)

    def read_dt(self, value) -> dt.datetime | None:
        if value is None or isinstance(value, dt.datetime):
            return value
        return dt.datetime.fromisoformat(value)

    def json(self, value):
        if value is None:
            return None
        return orjson.dumps(value).decode() if self.sqlite else self._jsonb(value)

    def same_json(self, stored, new) -> bool:
        """Whether a stored JSON value equals ``new`` (as produced by ``json()``)."""
        if self.sqlite:
            return stored == new
        return stored == (new.obj if new is not None else None)

    def read_json(self, value):
        return orjson.loads(value) if isinstance(value, str) else value


def raw(conn: Connection) -> Raw:
    """The ``Raw`` executor of this connection (one per DBAPI connection, reused)."""
    info = conn.connection.info
    r = info.get("omnistock_raw")
    if r is None:
        r = info["omnistock_raw"] = Raw(conn)
    return r
