"""Receivables and payables test set-up: a warehouse with stock received long ago, a channel, a
credit customer (B2B, 30 days) and a cash customer, a supplier; orders placed and shipped on
credit through the orders service, supplier bills through purchasing."""

from __future__ import annotations

import datetime as dt

from omnistock.catalog import service as catalog
from omnistock.finance import arap
from omnistock.finance import service as finance
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.platform.auth import Actor
from omnistock.platform.clock import business_date, utcnow
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import service as purchasing

SYSTEM = Actor.system("test")
TODAY = business_date(utcnow())
LONG_AGO = dt.datetime.combine(TODAY - dt.timedelta(days=200), dt.time(2))


def uow(engine, actor: Actor = SYSTEM) -> UnitOfWork:
    return UnitOfWork(engine, actor)


def setup(engine) -> None:
    with uow(engine) as u:
        inventory.create_warehouse(u, code="SH", name="上海仓")
        catalog.create_sku(u, code="TEA", name="茶叶", unit="件", price_cents=2000, cost_method="average")
        orders.create_channel(u, code="B2B", name="批发", kind="other")
        orders.create_customer(u, code="CUST-1", name="华东经销商")
        orders.create_customer(u, code="CUST-2", name="华南经销商")
        purchasing.create_supplier(u, code="SUP", name="茶叶供应商")
        purchasing.set_supplier_sku(u, "SUP", sku="TEA", price_cents=500)
        arap.set_terms(u, party_type="customer", code="CUST-1", credit_days=30, credit_limit_cents=1_000_000)
    with uow(engine) as u:
        purchasing.receive_goods(
            u,
            ref=None,
            supplier_code="SUP",
            warehouse="SH",
            lines=[inventory.ReceiptLine("TEA", 1000, 500)],
            at=LONG_AGO,
        )


_n = [0]


def ship_on_credit(engine, qty: int = 1, *, customer: str = "CUST-1", days_ago: int = 0) -> str:
    """An unpaid order of ``qty`` TEA at ¥20 shipped ``days_ago``: a receivable of qty × 2000."""
    _n[0] += 1
    ref = f"SO-{_n[0]:04d}-{customer}"
    at = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(4))
    with uow(engine) as u:
        placed = orders.place_order(
            u,
            ref=ref,
            channel_code="B2B",
            customer_code=customer,
            warehouse="SH",
            lines=[orders.OrderLineIn("TEA", qty, 2000)],
            at=at,
            paid_cents=0,
        )
        assert placed.status == "allocated", placed
        orders.ship_order(u, ref=ref, at=at)
    return ref


def approved_bill(engine, qty: int, price: int, bill_no: str, bill_date: dt.date | None = None) -> int:
    with uow(engine) as u:
        po = purchasing.create_order(
            u, supplier_code="SUP", warehouse="SH", lines=[purchasing.OrderLineIn("TEA", qty)]
        )
        purchasing.submit_order(u, po["id"])
        purchasing.approve_order(u, po["id"])
        purchasing.receive_order(u, po["id"], lines=[purchasing.ReceiveLineIn("TEA", qty)])
        bill = purchasing.create_bill(
            u,
            supplier_code="SUP",
            bill_no=bill_no,
            order_id=po["id"],
            lines=[purchasing.BillLineIn(1, qty, price)],
            bill_date=bill_date,
        )
        purchasing.approve_bill(u, bill["id"])
    return bill["id"]


def items(engine, kind: str = "ar", **kw) -> list[dict]:
    with uow(engine) as u:
        return arap.list_open_items(u, kind=kind, limit=500, **kw)[0]


def problems(engine) -> list[str]:
    with engine.connect() as conn:
        return finance.check_invariants(conn)
