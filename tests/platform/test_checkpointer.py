"""The SQLite checkpointer copies the WAL back into the database while a writer goes on."""

from __future__ import annotations

import time

from sqlalchemy import text

from omnistock.platform.db import Checkpointer, make_engine


def _wal_frames(path: str) -> tuple[int, int]:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        _busy, log, done = conn.execute("PRAGMA wal_checkpoint(NOOP)").fetchone()
    finally:
        conn.close()
    return log, done


def test_the_wal_is_backfilled_in_the_background(tmp_path):
    path = str(tmp_path / "c.db")
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    with Checkpointer(engine, interval=0.01):
        for i in range(200):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": "x" * 500 + str(i)})
        time.sleep(0.05)
    # Stopped: every frame is back in the database file. 200 small commits are far below the
    # writer's own checkpoint threshold, so only the checkpointer can have copied them.
    log, done = _wal_frames(path)
    assert 0 < log < 4096 and done == log, (log, done)
    engine.dispose()


def test_it_does_nothing_for_other_databases():
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    with Checkpointer(engine) as c:
        assert c._thread is None
