"""Many OS processes place (and ship) orders for one hot SKU at once: never oversold, every
attempt accepted or rejected exactly once, no deadlock or serialization error, ledger intact."""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import time

from sqlalchemy import func, select

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.orders.models import sales_order
from tests.inventory._concurrency_worker import place_orders
from tests.inventory.helpers import invariants, setup_master, totals, uow

PROCESSES = 16
ORDERS_EACH = 10
STOCK = 100
UNIT_COST = 123


def test_hot_sku_orders_from_many_processes(engine, db_url):
    setup_master(engine, skus=())
    with uow(engine) as u:
        catalog.create_sku(u, code="HOT", name="爆款", unit="件", price_cents=500, cost_method="average")
        inventory.receive(
            u, ref="RC-HOT", warehouse="WH-A", lines=[inventory.ReceiptLine("HOT", STOCK, UNIT_COST)]
        )
    engine.dispose()

    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [
        ctx.Process(target=place_orders, args=(db_url, i, ORDERS_EACH, barrier, results), daemon=True)
        for i in range(PROCESSES)
    ]
    started = time.monotonic()
    for p in procs:
        p.start()
    outcomes, errors = [], []
    try:
        for _ in procs:
            _, res, errs = results.get(timeout=120)
            outcomes += res
            errors += errs
    except queue_mod.Empty:  # pragma: no cover - a hung worker is the failure
        errors.append("a worker did not report within 120 s")
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():  # pragma: no cover
            p.kill()
            errors.append(f"process {p.pid} hung")
    elapsed = time.monotonic() - started

    assert errors == []
    assert len(outcomes) == PROCESSES * ORDERS_EACH  # accepted + rejected == attempted
    accepted = [(q, shipped) for _, q, status, shipped in outcomes if status == "allocated"]
    rejected = [q for _, q, status, _ in outcomes if status == "rejected"]
    assert len(accepted) + len(rejected) == PROCESSES * ORDERS_EACH
    assert accepted and rejected  # the SKU really was contended
    shipped_qty = sum(q for q, s in accepted if s)
    open_qty = sum(q for q, s in accepted if not s)
    assert shipped_qty + open_qty <= STOCK
    # Once free stock is below 3, some smaller order could still fit, but never more than the stock.
    assert STOCK - (shipped_qty + open_qty) < 3 or len(rejected) == 0

    t = totals(engine)
    assert t["reserved_total"] == open_qty
    assert t["on_hand_total"] == STOCK - shipped_qty
    assert t["reserved_total"] <= t["on_hand_total"]
    assert t["cogs"] == shipped_qty * UNIT_COST
    assert t["inventory_value"] == (STOCK - shipped_qty) * UNIT_COST
    with engine.connect() as conn:
        by_status = dict(
            conn.execute(select(sales_order.c.status, func.count()).group_by(sales_order.c.status)).all()
        )
        assert orders.totals(conn)["revenue"] == shipped_qty * 500
    assert by_status.get("rejected", 0) == len(rejected)
    assert by_status.get("allocated", 0) + by_status.get("shipped", 0) == len(accepted)
    assert invariants(engine) == []
    assert elapsed < 60, f"{elapsed:.1f} s"
