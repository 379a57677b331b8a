"""Finance reports over a 200,000-order shipped history: the trial balance and profit by SKU,
channel, customer, campaign tag and month.

Builds the history quickly with bulk SQL inserts — 5,000 SKUs, 20 channels, 50,000 customers,
200,000 orders' profit facts (``order_profit``) with ~1.6 lines each (``order_line_profit``), a
campaign tag on one order in five, the journal's volume (one entry and four lines per order) and
the per-period account totals the trial balance reads (``account_balance``) — then times the
service calls (median of 5, after one warm-up) and prints the figures.

    .venv/bin/python bench/finance_reports.py                     # SQLite, 200,000 orders
    .venv/bin/python bench/finance_reports.py --smoke             # SQLite, 5,000 orders (CI)
    .venv/bin/python bench/finance_reports.py --db postgresql://postgres@127.0.0.1:5432/omnistock_bench_fin
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

from omnistock.catalog.models import sku
from omnistock.finance import profit
from omnistock.finance import profit_rules as pr
from omnistock.finance import service as finance
from omnistock.finance.models import account, account_balance, journal_entry, journal_line
from omnistock.finance.profit_models import order_line_profit, order_profit, order_profit_tag
from omnistock.orders.models import channel, customer
from omnistock.platform import migrate
from omnistock.platform.auth import Actor
from omnistock.platform.db import make_engine
from omnistock.platform.uow import UnitOfWork

CHUNK = 20_000
TAGS = ("双11", "618", "年货节", "直播专场", "会员日")


def _fresh(url: str):
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1]
        admin = create_engine(
            url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/postgres",
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    engine = make_engine(url)
    migrate.upgrade(engine)
    return engine


def _chunks(rows_iter, conn, table) -> None:
    batch = []
    for row in rows_iter:
        batch.append(row)
        if len(batch) >= CHUNK:
            conn.execute(insert(table), batch)
            batch = []
    if batch:
        conn.execute(insert(table), batch)


def build(engine, n_orders: int, rng: random.Random) -> dict:
    n_skus, n_channels, n_customers = 5000, 20, min(50_000, max(100, n_orders // 4))
    now = dt.datetime.now()
    start = dt.date.today() - dt.timedelta(days=730)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            insert(sku),
            [
                {
                    "id": s,
                    "code": f"SKU-{s:05d}",
                    "name": f"商品{s}",
                    "unit": "件",
                    "price_cents": 1000,
                    "cost_method": "average",
                    "safety_stock": 0,
                    "active": True,
                    "kind": "standard",
                    "tracking": "none",
                    "created_at": now,
                }
                for s in range(1, n_skus + 1)
            ],
        )
        conn.execute(
            insert(channel),
            [
                {
                    "id": c,
                    "code": f"CH-{c:02d}",
                    "name": f"渠道{c}",
                    "kind": "distributor" if c == n_channels else "marketplace",
                    "active": True,
                    "created_at": now,
                }
                for c in range(1, n_channels + 1)
            ],
        )
        _chunks(
            (
                {"id": c, "code": f"C-{c:06d}", "name": f"客户{c}", "created_at": now}
                for c in range(1, n_customers + 1)
            ),
            conn,
            customer,
        )
        accounts = dict(conn.execute(select(account.c.code, account.c.id)).all())
        sku_weights = [1 / (i + 1) for i in range(n_skus)]  # a long tail of sellers

        orders_rows, lines_rows, tag_rows = [], [], []

        def flush() -> None:
            conn.execute(insert(order_profit), orders_rows)
            conn.execute(insert(order_line_profit), lines_rows)
            if tag_rows:
                conn.execute(insert(order_profit_tag), tag_rows)
            orders_rows.clear()
            lines_rows.clear()
            tag_rows.clear()

        period_totals: dict[tuple[str, str], list[int]] = {}
        for o in range(1, n_orders + 1):
            day = start + dt.timedelta(days=rng.randrange(730))
            ch = rng.randrange(1, n_channels + 1)
            n_lines = 1 if rng.random() < 0.6 else rng.randrange(2, 5)
            skus = set(rng.choices(range(1, n_skus + 1), weights=sku_weights, k=n_lines))
            lines = []
            for n, s in enumerate(sorted(skus), 1):
                qty = rng.randrange(1, 4)
                revenue = qty * rng.randrange(990, 19_900)
                lines.append(pr.LineIn(s, n, qty, revenue, revenue * rng.randrange(35, 70) // 100))
            facts = pr.order_facts(
                lines,
                shipping_income=rng.choice((0, 0, 600, 1000)),
                payments=[("coupon", rng.choice((0, 0, 500, 1000)))],
                shipping_cost=rng.randrange(500, 1500),
                rates=pr.Rates(500, 60, 1000 if ch == n_channels else 0),
            )
            facts.order["promotion"] = min(facts.order["promotion"], facts.order["revenue"])
            common = {"channel_id": ch, "warehouse_id": rng.randrange(1, 5), "day": day}
            orders_rows.append(
                {
                    "order_id": o,
                    "ref": f"SO{o:09d}",
                    "customer_id": rng.randrange(1, n_customers + 1),
                    "month": f"{day.year:04d}-{day.month:02d}",
                    **common,
                    **facts.order,
                    "returned_revenue": 0,
                    "discount": 0,
                    "commission_bp": 500,
                    "payment_fee_bp": 60,
                    "distributor_bp": 0,
                }
            )
            for ln, amounts in zip(lines, facts.lines, strict=True):
                lines_rows.append(
                    {
                        "order_id": o,
                        "sku_id": ln.sku_id,
                        "line_no": ln.line_no,
                        "qty": ln.qty,
                        "returned_qty": 0,
                    }
                    | common
                    | amounts
                )
            if rng.random() < 0.2:
                tag_rows.append({"order_id": o, "tag": rng.choice(TAGS)})
            period = f"{day.year:04d}-{day.month:02d}"
            for code, debit, credit in (
                ("122101", facts.order["revenue"] + facts.order["shipping_income"], 0),
                ("6001", 0, facts.order["revenue"]),
                ("6051", 0, facts.order["shipping_income"]),
                ("6401", facts.order["cogs"], 0),
                ("1405", 0, facts.order["cogs"]),
            ):
                t = period_totals.setdefault((code, period), [0, 0])
                t[0] += debit
                t[1] += credit
            if len(orders_rows) >= CHUNK:
                flush()
        if orders_rows:
            flush()
        conn.execute(
            insert(account_balance),
            [
                {"account_id": accounts[code], "period": p, "debit_cents": d, "credit_cents": c}
                for (code, p), (d, c) in sorted(period_totals.items())
            ],
        )
    built_facts = time.perf_counter() - t0
    t0 = time.perf_counter()
    with engine.begin() as conn:  # the journal's volume: the trial balance must not read it
        entry_rows, line_rows = [], []
        for o in range(1, n_orders + 1):
            day = start + dt.timedelta(days=o % 730)
            entry_rows.append(
                {
                    "id": o,
                    "date": day,
                    "period": f"{day.year:04d}-{day.month:02d}",
                    "status": "posted",
                    "source_type": "sales_order",
                    "source_id": o,
                    "source_ref": f"SO{o:09d}",
                    "total_cents": 10_000,
                    "created_at": now,
                    "created_by": "bench",
                }
            )
            for n, (code, d, c) in enumerate(
                (("122101", 10_000, 0), ("6001", 0, 10_000), ("6401", 5000, 0), ("1405", 0, 5000)), 1
            ):
                line_rows.append(
                    {
                        "entry_id": o,
                        "line_no": n,
                        "account_id": accounts[code],
                        "debit_cents": d,
                        "credit_cents": c,
                    }
                )
            if len(line_rows) >= CHUNK * 4:
                conn.execute(insert(journal_entry), entry_rows)
                conn.execute(insert(journal_line), line_rows)
                entry_rows, line_rows = [], []
        if entry_rows:
            conn.execute(insert(journal_entry), entry_rows)
            conn.execute(insert(journal_line), line_rows)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return {
        "orders": n_orders,
        "build_facts_s": built_facts,
        "build_journal_s": time.perf_counter() - t0,
    }


def timed(engine, fn, runs: int = 5) -> float:
    """Median wall time (ms) of ``fn(uow)`` in a fresh read-only unit of work, after a warm-up."""
    actor = Actor.system("bench")
    with UnitOfWork(engine, actor, readonly=True) as uow:
        fn(uow)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        with UnitOfWork(engine, actor, readonly=True) as uow:
            fn(uow)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="5,000 orders")
    ap.add_argument("--orders", type=int, default=None)
    ap.add_argument(
        "--db", default=None, help="a PostgreSQL URL (dropped and created); default: a temporary SQLite file"
    )
    args = ap.parse_args()
    n = args.orders or (5000 if args.smoke else 200_000)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = _fresh(url)
        info = build(engine, n, rng)
        with engine.connect() as conn:
            n_lines = conn.execute(text("SELECT COUNT(*) FROM order_line_profit")).scalar_one()
        print(f"{engine.dialect.name}: {n:,} orders, {n_lines:,} order lines")
        print(
            f"  built facts and balances in {info['build_facts_s']:.1f} s, journal in {info['build_journal_s']:.1f} s"
        )
        today = dt.date.today()
        first, last = f"{today.year - 2:04d}-01", f"{today.year:04d}-12"
        year_ago = today - dt.timedelta(days=365)
        cases = [
            ("trial balance, 2 years", lambda u: finance.trial_balance(u, from_period=first, to_period=last)),
            ("profit by SKU, all history", lambda u: profit.report(u, dimension="sku")),
            (
                "profit by SKU, last 365 days",
                lambda u: profit.report(u, dimension="sku", filters=profit.Filters(date_from=year_ago)),
            ),
            (
                "profit by SKU, one channel",
                lambda u: profit.report(u, dimension="sku", filters=profit.Filters(channel="CH-03")),
            ),
            ("profit by channel", lambda u: profit.report(u, dimension="channel")),
            ("profit by customer", lambda u: profit.report(u, dimension="customer")),
            ("profit by tag", lambda u: profit.report(u, dimension="tag")),
            ("profit by month", lambda u: profit.report(u, dimension="period", granularity="month")),
            ("orders by profit (page 1)", lambda u: profit.report(u, dimension="order", sort="profit")),
        ]
        for name, fn in cases:
            print(f"  {name:<32} {timed(engine, fn):8.1f} ms (median of 5)")
        engine.dispose()


if __name__ == "__main__":
    main()
