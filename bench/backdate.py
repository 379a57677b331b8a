"""A back-dated receipt on a SKU with many later moves: how long its re-valuation takes.

    .venv/bin/python bench/backdate.py              # 100,000 later moves
    .venv/bin/python bench/backdate.py --smoke      # 5,000

Builds one SKU whose history is receipts and shipments (orders placed and shipped; each receipt
replenishes what shipped since the one before, as a buyer would), then posts
a receipt dated before all of them and times that one transaction; checks the invariants after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.platform import migrate
from omnistock.platform.auth import Actor
from omnistock.platform.db import make_engine
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import service as purchasing


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--moves", type=int, default=100_000)
    p.add_argument("--method", choices=["average", "fifo"], default="average")
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    moves = 5000 if a.smoke else a.moves
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/b.db")
        migrate.upgrade(engine)
        actor = Actor.system("bench")
        t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        with UnitOfWork(engine, actor) as uow:
            inventory.create_warehouse(uow, code="WH", name="仓")
            catalog.create_sku(
                uow, code="HOT", name="热销品", unit="pcs", price_cents=1000, cost_method=a.method
            )
            orders.create_channel(uow, code="CH", name="渠道")
            orders.create_customer(uow, code="C", name="顾客")
            purchasing.create_supplier(uow, code="S", name="供应商")
        build = time.perf_counter()
        n, k, shipped = 0, 0, 100
        while n < moves:  # the history, 1,000 moves a transaction
            with UnitOfWork(engine, actor) as uow:
                for _ in range(min(1000, moves - n)):
                    k += 1
                    at = t0 + dt.timedelta(minutes=k)
                    if k % 10 == 1:  # replenish what was shipped since the last receipt
                        purchasing.receive_goods(
                            uow,
                            ref=f"R{k}",
                            supplier_code="S",
                            warehouse="WH",
                            at=at,
                            lines=[inventory.ReceiptLine("HOT", shipped, 500 + k % 7)],
                        )
                        shipped = 0
                    else:
                        shipped += 1 + k % 3
                        orders.place_order(
                            uow,
                            ref=f"O{k}",
                            channel_code="CH",
                            customer_code="C",
                            warehouse="WH",
                            at=at,
                            lines=[orders.OrderLineIn("HOT", 1 + k % 3, 1000)],
                        )
                        orders.ship_order(uow, ref=f"O{k}", at=at)
                    n += 1
        raw = engine.raw_connection()  # a steady-state database: the write-ahead log checkpointed
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
        print(f"history: {n:,} moves of one {a.method} SKU built in {time.perf_counter() - build:.1f} s")
        t = time.perf_counter()
        with UnitOfWork(engine, actor) as uow:
            purchasing.receive_goods(
                uow,
                ref="BACK",
                supplier_code="S",
                warehouse="WH",
                at=t0 + dt.timedelta(seconds=30),
                lines=[inventory.ReceiptLine("HOT", 50, 123)],
            )
        elapsed = time.perf_counter() - t
        with engine.connect() as conn:
            problems = inventory.check_invariants(conn)
        print(
            f"back-dated receipt re-valued {n:,} later moves in {elapsed:.3f} s; invariants: "
            f"{problems if problems else 'ok'}"
        )
        if problems:
            sys.exit(1)


if __name__ == "__main__":
    main()
