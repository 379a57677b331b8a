"""Order intake without HTTP: the same paid 1–4-line orders as ``order_intake.py``, each taken by
``orders.service.receive_order`` in its own unit of work, one after another in this process —
what the service path costs, apart from the web server.

    .venv/bin/python bench/intake_in_process.py                 # SQLite and PostgreSQL, 2,000 orders
    .venv/bin/python bench/intake_in_process.py --smoke         # 200 orders
    .venv/bin/python bench/intake_in_process.py --sqlite-only

The PostgreSQL database ``omnistock_bench_inproc`` (at OMNISTOCK_BENCH_PG, by default
postgresql://postgres@127.0.0.1:5432/postgres) is dropped and recreated.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import PG_DEFAULT, drop_postgres, fresh_postgres, seed_shop  # noqa: E402
from order_intake import CHANNEL, WAREHOUSES, orders  # noqa: E402

from omnistock.orders import service  # noqa: E402
from omnistock.orders.api import OrderIn  # noqa: E402
from omnistock.platform.auth import Actor  # noqa: E402
from omnistock.platform.db import make_engine  # noqa: E402
from omnistock.platform.uow import UnitOfWork  # noqa: E402


def seed_plenty(engine) -> dict[str, int]:
    """``order_intake.py``'s shop with stock no order runs short of: 200 SKUs (code -> price
    cents), a million pieces of each in every warehouse."""
    rng = random.Random(1)
    skus = {f"SKU{i:03d}": rng.randrange(500, 20000, 10) for i in range(200)}
    seed_shop(
        engine,
        warehouses=WAREHOUSES,
        skus=skus,
        stock={w: dict.fromkeys(skus, 10**6) for w in WAREHOUSES},
        channels={CHANNEL: "小程序"},
    )
    return skus


def run(name: str, url: str, n: int) -> None:
    engine = make_engine(url)
    skus = seed_plenty(engine)
    taken = [OrderIn.model_validate_json(b).value() for b in orders(n, skus, 7)]
    actor = Actor.system("bench")
    statuses: dict[str, int] = {}
    t, cpu = time.perf_counter(), time.process_time()
    for order in taken:
        with UnitOfWork(engine, actor) as uow:
            status = service.receive_order(uow, order).status
        statuses[status] = statuses.get(status, 0) + 1
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    print(
        f"[{name}] {n:,} orders in {elapsed:.2f} s = {n / elapsed:,.0f} orders/s; "
        f"this process's CPU {cpu / n * 1000:.2f} ms/order; statuses {statuses}"
    )
    engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--orders", type=int, default=2000)
    p.add_argument("--smoke", action="store_true", help="200 orders")
    p.add_argument("--sqlite-only", action="store_true")
    a = p.parse_args()
    n = 200 if a.smoke else a.orders
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/inproc.db", n)
    if a.sqlite_only:
        return
    url = fresh_postgres(os.environ.get("OMNISTOCK_BENCH_PG", PG_DEFAULT), "omnistock_bench_inproc")
    if url:
        try:
            run("postgresql", url, n)
        finally:
            drop_postgres(url)


if __name__ == "__main__":
    main()
