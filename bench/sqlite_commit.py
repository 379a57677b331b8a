"""What a SQLite commit costs per page it writes: the floor under the replay's events/s.

    .venv/bin/python bench/sqlite_commit.py            # 1, 4, 8, 12 and 16 pages per transaction
    .venv/bin/python bench/sqlite_commit.py --smoke    # a quick check that it runs

Each transaction inserts one row into each of N tables (N distinct pages) in WAL mode with
synchronous=NORMAL and no checkpoints, as the replay's writer does; prints µs per transaction.
A workload event writes about 11 (order) to 15 (shipment) pages.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path


def per_transaction_us(path: Path, pages: int, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    for i in range(pages):
        conn.execute(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, v TEXT)")
    start = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        for i in range(pages):
            conn.execute(f"INSERT INTO t{i} (v) VALUES ('x')")
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed / n * 1e6


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    n = 300 if a.smoke else 3000
    with tempfile.TemporaryDirectory() as tmp:
        for pages in (1, 4, 8, 12, 16):
            us = per_transaction_us(Path(tmp) / f"c{pages}.db", pages, n)
            print(f"{pages:>2} pages per transaction: {us:6.0f} µs")


if __name__ == "__main__":
    main()
