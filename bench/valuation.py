"""The valuation report at past moments, the stock alerts and the Excel exports on a long history.

    .venv/bin/python bench/valuation.py                          # seed 2, 200,000 orders, SQLite
    .venv/bin/python bench/valuation.py --pg                     # the same on PostgreSQL too
    .venv/bin/python bench/valuation.py --database-url URL       # an existing database (upgraded first)
    .venv/bin/python bench/valuation.py --database-url URL --worst-case   # ... and raise safety stocks
    .venv/bin/python bench/valuation.py --smoke                  # 2,000 orders: a quick check

Builds the history by replaying the workload, then prints, per database: the size of the ledger,
the whole report (grouped by warehouse) at moments from 10 % to 100 % of the history — the side it
sums from (forward from the start / backward from the balances) and its time, median of 5 — the
first page grouped by SKU, the Excel export of the whole report, the stock overview's export, and
the alert list, counts and scan (first: all conditions new; second: nothing new) — as replayed, and
on a built database again with every SKU's safety stock raised so that every balance is an alert.
It also checks at every moment that the warehouses add up to each SKU's pool value in the ledger.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import drop_postgres, fresh_postgres, workload  # noqa: E402
from rich.console import Console  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from omnistock import replay  # noqa: E402
from omnistock.catalog.models import sku  # noqa: E402
from omnistock.inventory import service as inventory  # noqa: E402
from omnistock.inventory import valuation_report as vr  # noqa: E402
from omnistock.inventory.models import cost_pool, stock_move, warehouse  # noqa: E402
from omnistock.platform import excel, migrate  # noqa: E402
from omnistock.platform.auth import Actor  # noqa: E402
from omnistock.platform.db import make_engine  # noqa: E402
from omnistock.platform.uow import UnitOfWork  # noqa: E402

SYSTEM = Actor.system("bench")


def timed(fn, runs: int = 5) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def read(engine, fn):
    with UnitOfWork(engine, SYSTEM, readonly=True) as uow:
        return fn(uow)


def alerts(name: str, engine, label: str) -> None:
    ms, page = timed(lambda: read(engine, lambda u: inventory.alerts(u, limit=50)))
    print(f"[{name}] alerts, {label}: first page {ms:.1f} ms ({len(page[0])} rows)", end="")
    ms, counts = timed(lambda: read(engine, inventory.alert_counts))
    print(f", counts {ms:.1f} ms {dict((k, v) for k, v in counts.items() if v)}")
    for scan in ("first scan", "second scan"):
        t = time.perf_counter()
        with UnitOfWork(engine, SYSTEM) as uow:
            result = inventory.scan_alerts(uow)
        print(
            f"[{name}]   {scan}: {(time.perf_counter() - t) * 1000:.1f} ms, {result.active:,} conditions, "
            f"{result.new:,} new, {result.notifications} notifications"
        )


def measure(name: str, engine, *, worst_case: bool) -> None:
    with engine.connect() as conn:
        moves = conn.execute(select(func.count()).select_from(stock_move)).scalar_one()
        skus = conn.execute(select(func.count()).select_from(cost_pool)).scalar_one()
        whs = conn.execute(select(func.count()).select_from(warehouse)).scalar_one()
    lo, hi = read(engine, vr._bounds)
    print(
        f"[{name}] ledger: {moves:,} moves, {skus:,} SKUs, {whs} warehouses, {lo:%Y-%m-%d} .. {hi:%Y-%m-%d}"
    )
    for frac in (0.1, 0.25, 0.5, 0.75, 0.9, 1.0):
        at = lo + (hi - lo) * frac
        side = "backward" if at >= hi or (at - lo) > (hi - at) else "forward"
        ms, rep = timed(
            lambda at=at: read(engine, lambda u: inventory.valuation_report(u, at=at, group="warehouse"))
        )
        cells = read(engine, lambda u, at=at: vr.cells(u, at))
        pools = {
            s: p for s, p in read(engine, lambda u, at=at: vr.pool_values_at(u, at)).items() if p != (0, 0)
        }
        sums: dict[int, list[int]] = {}
        for (s, _w), (q, v) in cells.items():
            acc = sums.setdefault(s, [0, 0])
            acc[0] += q
            acc[1] += v
        ok = {s: tuple(x) for s, x in sums.items()} == pools
        print(
            f"[{name}]   report at {frac:>4.0%} ({at:%Y-%m-%d %H:%M}), {side:8s}: {ms:8.1f} ms  "
            f"{len(cells):,} cells  total ¥{excel.yuan(rep.total_value_cents):,}  "
            f"Σ warehouses = pool value: {'yes' if ok else 'NO'}"
        )
        if not ok:
            sys.exit(f"[{name}] the warehouses do not add up to the pool value at {at}")
    for frac in (0.5, 1.0):
        at = lo + (hi - lo) * frac
        ms, _ = timed(lambda at=at: read(engine, lambda u: inventory.valuation_report(u, at=at, limit=200)))
        print(f"[{name}]   report by SKU, first page of 200, at {frac:.0%}: {ms:8.1f} ms")
    mid = lo + (hi - lo) / 2

    def export():
        rep = read(engine, lambda u: inventory.valuation_report(u, at=mid, limit=None))
        cols = [
            excel.Column("仓库", "Warehouse"),
            excel.Column("SKU", "SKU"),
            excel.Column("数量", "Qty", excel.INT),
        ]
        cols.append(excel.Column("金额", "Value", excel.MONEY))
        return excel.workbook("v", cols, ((r.warehouse, r.sku, r.qty, r.value_cents) for r in rep.rows))

    ms, data = timed(export, runs=3)
    print(f"[{name}]   Excel export of the whole report at 50%: {ms:8.1f} ms, {len(data) / 1024:,.0f} KiB")

    def stock_export():
        rows, cursor = [], None
        while True:
            page, cursor = read(engine, lambda u, c=cursor: inventory.stock(u, cursor=c, limit=500))
            rows += page
            if cursor is None:
                break
        cols = [excel.Column("SKU", "SKU"), excel.Column("金额", "Value", excel.MONEY)]
        return excel.workbook("s", cols, ((r.sku, r.value_cents) for r in rows)), len(rows)

    ms, (data, n) = timed(stock_export, runs=3)
    print(f"[{name}] stock overview export: {n:,} rows in {ms:.1f} ms, {len(data) / 1024:,.0f} KiB")

    alerts(name, engine, "as replayed")
    if worst_case:
        # Every SKU's safety stock far above its stock: every balance is a low-stock condition.
        with engine.begin() as conn:
            conn.execute(update(sku).values(safety_stock=10**6))
        alerts(name, engine, "every balance below safety stock")


def build(url: str, path: Path) -> None:
    engine = make_engine(url)
    t = time.perf_counter()
    summary = replay.run(engine, path, console=Console(file=io.StringIO()))
    print(f"replayed {summary['events']:,} events in {time.perf_counter() - t:.0f} s")
    if engine.dialect.name == "postgresql":  # the statistics autovacuum would gather in time
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=2)
    p.add_argument("--orders", type=int, default=200_000)
    p.add_argument("--warehouses", type=int, default=4)
    p.add_argument("--smoke", action="store_true", help="2,000 orders: a quick check that it runs")
    p.add_argument("--pg", action="store_true", help="also on PostgreSQL (OMNISTOCK_BENCH_PG)")
    p.add_argument("--database-url", help="measure this database instead of building one (upgraded first)")
    p.add_argument(
        "--worst-case",
        action="store_true",
        help="with --database-url: also raise every SKU's safety stock (changes that database!)",
    )
    a = p.parse_args()
    if a.database_url:
        engine = make_engine(a.database_url)
        migrate.upgrade(engine)
        measure(engine.dialect.name, engine, worst_case=a.worst_case)
        return
    orders = 2000 if a.smoke else a.orders
    with tempfile.TemporaryDirectory() as tmp:
        path = workload(Path(tmp) / "w.jsonl", seed=a.seed, orders=orders, warehouses=a.warehouses)
        print(f"workload seed {a.seed}, {orders:,} orders, {a.warehouses} warehouses")
        targets = [("sqlite", f"sqlite:///{tmp}/bench.db")]
        pg = (
            fresh_postgres(
                os.environ.get("OMNISTOCK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
                "omnistock_bench_valuation",
            )
            if a.pg
            else None
        )
        if pg:
            targets.append(("postgresql", pg))
        for name, url in targets:
            build(url, path)
            engine = make_engine(url)
            measure(name, engine, worst_case=True)
            engine.dispose()
        if pg:
            drop_postgres(pg)


if __name__ == "__main__":
    main()
