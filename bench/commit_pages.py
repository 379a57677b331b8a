"""What each kind of workload event writes when it commits on SQLite: pages appended to the WAL
per transaction, by op. A commit's cost grows with its pages (``bench/sqlite_commit.py``), so this
says where the replay's commit time goes: which event touches how many tables and indexes.

    .venv/bin/python bench/commit_pages.py                 # seed 2, 5,000 orders, 4 warehouses
    .venv/bin/python bench/commit_pages.py --smoke         # 500 orders

Each event runs through ``replay.apply_event`` in its own transaction, as the replay does (the
replay's checkpoint row adds one page to each). Automatic WAL checkpoints are off so the WAL only
grows; it is emptied every 2,000 events. Invalid events write nothing and are counted apart.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from _common import workload  # noqa: E402

from omnistock import replay  # noqa: E402
from omnistock.platform import migrate  # noqa: E402
from omnistock.platform.db import make_engine  # noqa: E402
from omnistock.platform.errors import AppError  # noqa: E402
from omnistock.platform.uow import UnitOfWork  # noqa: E402

WAL_FRAME_HEADER = 24


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=2)
    p.add_argument("--orders", type=int, default=5000)
    p.add_argument("--warehouses", type=int, default=4)
    p.add_argument("--smoke", action="store_true", help="500 orders")
    a = p.parse_args()
    orders = 500 if a.smoke else a.orders
    with tempfile.TemporaryDirectory() as tmp:
        path = workload(Path(tmp) / "w.jsonl", seed=a.seed, orders=orders, warehouses=a.warehouses)
        db = Path(tmp) / "pages.db"
        engine = make_engine(f"sqlite:///{db}")
        migrate.upgrade(engine)
        wal = Path(f"{db}-wal")
        pages: dict[str, list[int]] = collections.defaultdict(list)
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            page_size = driver.execute("PRAGMA page_size").fetchone()[0]
            driver.execute("PRAGMA wal_autocheckpoint=0")
            with path.open(encoding="utf-8") as f:
                f.readline()  # the header
                for n, line in enumerate(f, 1):
                    op = str(orjson.loads(line).get("op"))
                    before = wal.stat().st_size if wal.exists() else 0
                    try:
                        with UnitOfWork(conn, replay.ACTOR) as uow:
                            replay.apply_event(uow, line)
                    except AppError:
                        op += " (invalid)"
                    pages[op].append((wal.stat().st_size - before) // (page_size + WAL_FRAME_HEADER))
                    if n % 2000 == 0:
                        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
    print(f"workload seed {a.seed}, {orders:,} orders, {a.warehouses} warehouses; page size {page_size:,} B")
    print(f"{'op':22s} {'events':>8s} {'pages per commit':>17s} {'max':>5s}")
    for op, xs in sorted(pages.items(), key=lambda kv: -sum(kv[1])):
        print(f"{op:22s} {len(xs):8,} {sum(xs) / len(xs):17.1f} {max(xs):5d}")
    total = sum(sum(xs) for xs in pages.values())
    events = sum(len(xs) for xs in pages.values())
    print(f"{'all':22s} {events:8,} {total / events:17.1f}")


if __name__ == "__main__":
    main()
