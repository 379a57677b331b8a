"""Workload replay throughput (events/s, one transaction per event) and stock-overview latency.

    .venv/bin/python bench/replay.py                      # seed 2, 20,000 orders, 4 warehouses
    .venv/bin/python bench/replay.py --orders 200000      # flatness as history grows
    .venv/bin/python bench/replay.py --smoke              # a quick run for CI
    OMNISTOCK_BENCH_PG=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/replay.py

Prints one line per database: events, seconds, events/s, peak RSS, and the stock overview's
first page (all rows / low-stock filter) in milliseconds, median of 20.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import drop_postgres, fresh_postgres, workload  # noqa: E402
from rich.console import Console  # noqa: E402

from omnistock import replay  # noqa: E402
from omnistock.inventory import service as inventory  # noqa: E402
from omnistock.platform.auth import Actor  # noqa: E402
from omnistock.platform.db import make_engine  # noqa: E402
from omnistock.platform.uow import UnitOfWork  # noqa: E402


def overview_ms(engine, **filters) -> float:
    times = []
    for _ in range(20):
        t = time.perf_counter()
        with UnitOfWork(engine, Actor.system(), readonly=True) as uow:
            inventory.stock(uow, limit=50, **filters)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=2)
    p.add_argument("--orders", type=int, default=20000)
    p.add_argument("--warehouses", type=int, default=4)
    p.add_argument("--smoke", action="store_true", help="2,000 orders: a quick check that it runs")
    p.add_argument("--sqlite-only", action="store_true")
    a = p.parse_args()
    orders = 2000 if a.smoke else a.orders
    with tempfile.TemporaryDirectory() as tmp:
        path = workload(Path(tmp) / "w.jsonl", seed=a.seed, orders=orders, warehouses=a.warehouses)
        targets = [("sqlite", f"sqlite:///{tmp}/bench.db")]
        pg = (
            None
            if a.sqlite_only
            else fresh_postgres(
                os.environ.get("OMNISTOCK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
                "omnistock_bench",
            )
        )
        if pg:
            targets.append(("postgresql", pg))
        print(f"workload seed {a.seed}, {orders:,} orders, {a.warehouses} warehouses")
        for name, url in targets:
            engine = make_engine(url)
            quiet = Console(file=io.StringIO())
            t = time.perf_counter()
            summary = replay.run(engine, path, console=quiet)
            elapsed = time.perf_counter() - t
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{name:10s} {summary['events']:>9,} events  {elapsed:7.2f} s  "
                f"{summary['events'] / elapsed:8,.0f} events/s  peak RSS {rss:,.0f} MB  "
                f"overview {overview_ms(engine):.1f} ms  low-stock {overview_ms(engine, low=True):.1f} ms"
            )
            engine.dispose()
        if pg:
            drop_postgres(pg)


if __name__ == "__main__":
    main()
