"""Database engines for SQLite (embedded default) and PostgreSQL, and the one schema metadata.

SQLite runs in WAL mode with ``synchronous=NORMAL`` and foreign keys on. Write transactions start
with ``BEGIN IMMEDIATE`` so two writers queue on the lock up front instead of failing on upgrade;
a read-only unit of work starts ``BEGIN DEFERRED`` and never blocks writers.

Checkpoints (copying the WAL back into the database file, with its fsync) are the costliest part
of a commit. A long-running writer (the server, a replay) runs ``Checkpointer``: a thread that
checkpoints on its own connection, in parallel with the writer, which then only appends to the WAL.
The writer's own automatic checkpoint stays as the backstop that bounds the WAL's size.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import BigInteger, Engine, Integer, MetaData, create_engine, event
from sqlalchemy.engine import make_url

# Every table of every area lives in this one metadata; Alembic migrates it as one history.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Surrogate keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

READONLY = "omnistock_readonly"
# The writer checkpoints by itself once the WAL holds this many pages (16 MiB): rarely, when a
# Checkpointer runs, since that keeps the WAL backfilled.
WAL_AUTOCHECKPOINT_PAGES = 4096

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` as shorthand for the psycopg 3 driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: str) -> Engine:
    u = make_url(url)
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        readonly = conn.get_execution_options().get(READONLY, False)
        conn.connection.driver_connection.execute("BEGIN DEFERRED" if readonly else "BEGIN IMMEDIATE")

    return engine


class Checkpointer:
    """Checkpoints a SQLite database's WAL from a thread of its own while writers go on.

    Passive checkpoints never block a writer and the driver releases the GIL while one runs, so
    the copy and its fsync overlap with the writer's work. A no-op for other databases.
    """

    def __init__(self, engine: Engine, interval: float = 0.05):
        self._path = engine.url.database if is_sqlite(engine) else None
        if self._path == ":memory:":
            self._path = None
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Checkpointer:
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def start(self) -> None:
        if self._path and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpointer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, timeout=0)
        try:
            while not self._stop.wait(self._interval):
                with contextlib.suppress(sqlite3.OperationalError):  # busy: next time
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            conn.execute("PRAGMA busy_timeout=5000")  # a last one on the way out
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.close()


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: the configured database)."""
    if url is None:
        from omnistock.settings import get_settings

        url = get_settings().database_url
    url = normalize_url(url)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
