"""Set-up for the order pool tests: warehouses, SKUs with stock, channels, and an order body."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.platform.auth import Actor
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import service as purchasing

SYSTEM = Actor.system("test")
ORD = "/api/v1/orders"


def uow(engine) -> UnitOfWork:
    return UnitOfWork(engine, SYSTEM)


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def available(engine, sku: str, wh: str) -> int:
    with uow(engine) as u:
        return inventory.availability(u, [sku], [wh])[0]["available"]


def setup_pool(engine, stock: dict[str, dict[str, int]] | None = None) -> None:
    """Warehouses SH (上海) and GZ (广州), SKUs TEA and CUP (¥20, ¥30), channels WX and LIVE, and
    ``stock``: warehouse -> SKU -> pieces received (default: 10 of each in SH only)."""
    stock = stock if stock is not None else {"SH": {"TEA": 10, "CUP": 10}}
    with uow(engine) as u:
        for code, name in (("SH", "上海仓"), ("GZ", "广州仓")):
            inventory.create_warehouse(u, code=code, name=name)
        for code, price in (("TEA", 2000), ("CUP", 3000)):
            catalog.create_sku(
                u, code=code, name=f"商品 {code}", unit="件", price_cents=price, cost_method="average"
            )
        orders.create_channel(u, code="WX", name="微信小程序", kind="wechat_mini")
        orders.create_channel(u, code="LIVE", name="抖音直播", kind="live_stream")
        purchasing.create_supplier(u, code="SUP", name="供应商")
    for wh, lines in stock.items():
        with uow(engine) as u:
            purchasing.receive_goods(
                u,
                ref=None,
                supplier_code="SUP",
                warehouse=wh,
                lines=[inventory.ReceiptLine(s, q, 500) for s, q in lines.items()],
            )


ADDRESS = {
    "receiver": "李雷",
    "phone": "13800138000",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路 90 号 东部软件园 3 号楼",
}


def body(ext: str | None = "WX-1001", lines=(("TEA", 2, 2000),), **over: Any) -> dict:
    """A paid WeChat order of ``lines`` (sku, qty, unit price cents) to a good address."""
    goods = sum(q * p for _, q, p in lines)
    b = {
        "channel": "WX",
        "external_ref": ext,
        "buyer": {"name": "李雷", "phone": "13800138000", "id": "openid-lilei"},
        "address": dict(ADDRESS),
        "lines": [{"sku": s, "qty": q, "unit_price_cents": p} for s, q, p in lines],
        "payments": [{"method": "wechat_pay", "amount_cents": goods}],
    }
    b.update(over)
    return b
