"""Set-up for the reconciliation tests: a channel, a customer, stock, shipped orders, and WeChat
Pay trade bills built from them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from omnistock.catalog import service as catalog
from omnistock.finance.models import account, journal_entry, journal_line
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.platform.auth import Actor
from omnistock.platform.db import metadata
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import service as purchasing

SYSTEM = Actor.system("test")
CHANNEL = "WX-MINI"


def uow(engine, actor: Actor = SYSTEM) -> UnitOfWork:
    return UnitOfWork(engine, actor)


def setup(engine) -> None:
    with uow(engine) as u:
        inventory.create_warehouse(u, code="WH-A", name="上海仓")
        catalog.create_sku(u, code="TEE", name="T恤", unit="件", price_cents=5990, cost_method="average")
        orders.create_channel(u, code=CHANNEL, name="微信小程序")
        orders.create_channel(u, code="TMALL", name="天猫")
        orders.create_customer(u, code="C-1", name="张三")
        purchasing.create_supplier(u, code="SUP-1", name="供应商")
    with uow(engine) as u:
        purchasing.receive_goods(
            u,
            ref="RCV-1",
            supplier_code="SUP-1",
            warehouse="WH-A",
            lines=[inventory.ReceiptLine("TEE", 100, 2000)],
            at=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=40),
        )


def shipped_order(
    engine, ref: str, qty: int = 1, price: int = 5990, *, channel: str = CHANNEL, at=None
) -> None:
    with uow(engine) as u:
        orders.place_order(
            u,
            ref=ref,
            channel_code=channel,
            customer_code="C-1",
            warehouse="WH-A",
            lines=[orders.OrderLineIn("TEE", qty, price)],
            at=at,
        )
    with uow(engine) as u:
        orders.ship_order(u, ref=ref, at=at)


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


WECHAT_HEADER = "交易时间,微信订单号,商户订单号,交易状态,应结订单金额,微信退款单号,退款金额,手续费"


def wechat_row(ref: str, amount: int, fee: int, *, txn: str, when: dt.datetime, refund: bool = False) -> str:
    at = when.strftime("%Y-%m-%d %H:%M:%S")
    if refund:
        cells = [at, "4200" + txn, ref, "REFUND", "0.00", "5030" + txn, money(amount), "-" + money(fee)]
    else:
        cells = [at, "4200" + txn, ref, "SUCCESS", money(amount), "0", "0.00", money(fee)]
    return ",".join("`" + c for c in cells)


def wechat_bill(rows: list[str]) -> bytes:
    lines = [WECHAT_HEADER, *rows, "总交易单数,应结订单总金额", f"`{len(rows)},`0.00"]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def now_china() -> dt.datetime:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0, tzinfo=None)


def account_total(engine, code: str, *, party: tuple[str, int] | None = None) -> int:
    """debit − credit of account ``code`` over posted lines (optionally of one party)."""
    jl, je, a = journal_line.c, journal_entry.c, account.c
    stmt = (
        select(func.coalesce(func.sum(jl.debit_cents - jl.credit_cents), 0))
        .select_from(
            journal_line.join(journal_entry, je.id == jl.entry_id).join(account, a.id == jl.account_id)
        )
        .where(a.code == code, je.status == "posted")
    )
    if party:
        stmt = stmt.where(jl.party_type == party[0], jl.party_id == party[1])
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


def channel_id(engine, code: str = CHANNEL) -> int:
    with uow(engine) as u:
        return orders.channel_id(u, code)
