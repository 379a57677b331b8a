"""The stock overview's filters and its Excel export (the same rows, every page)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from tests.identity.helpers import PASSWORD, bearer
from tests.inventory.helpers import order, receive, setup_master, ship, uow

INV = "/api/v1/inventory"


@pytest.fixture
def stocked(engine):
    setup_master(engine, skus=(("AVG-1", "average"), ("FIFO-1", "fifo")))
    with uow(engine) as u:
        catalog.create_sku(
            u, code="TEA", name="龙井茶", unit="盒", price_cents=100, cost_method="average", safety_stock=5
        )
    receive(engine, "AVG-1", 10, 100, wh="WH-A")
    receive(engine, "AVG-1", 5, 201, wh="WH-B")  # pool 15 pieces, 2005 cents: 1336.67 / 668.33
    receive(engine, "FIFO-1", 3, 1000, wh="WH-A")
    receive(engine, "TEA", 6, 1000, wh="WH-A")
    receive(engine, "TEA", 2, 1000, wh="WH-B")
    order(engine, "SO-1", [("FIFO-1", 3, 2000)], wh="WH-A")
    ship(engine, "SO-1")  # FIFO-1 sold out in WH-A (no safety stock): a zero row
    order(engine, "SO-2", [("TEA", 2, 2000)], wh="WH-A")  # TEA WH-A: 6 on hand, 2 reserved, 4 < 5
    return engine


def keys(client, **params) -> list[tuple[str, str]]:
    r = client.get(f"{INV}/stock", params=params)
    assert r.status_code == 200, r.text
    return [(x["warehouse"], x["sku"]) for x in r.json()["items"]]


def test_filters(stocked, admin):
    assert keys(admin) == [("WH-A", "AVG-1"), ("WH-B", "AVG-1"), ("WH-A", "TEA"), ("WH-B", "TEA")]
    assert keys(admin, show_zero=True) == [
        ("WH-A", "AVG-1"),
        ("WH-B", "AVG-1"),
        ("WH-A", "FIFO-1"),
        ("WH-A", "TEA"),
        ("WH-B", "TEA"),
    ]
    assert keys(admin, low=True) == [("WH-A", "TEA"), ("WH-B", "TEA")]  # available 4 and 2 < 5
    assert keys(admin, has_reservations=True) == [("WH-A", "TEA")]
    assert keys(admin, warehouse="WH-B", q="茶") == [("WH-B", "TEA")]
    assert keys(admin, sku="AVG-1") == [("WH-A", "AVG-1"), ("WH-B", "AVG-1")]
    # Selling out TEA in WH-B keeps it on the low-stock list; the plain list hides zero stock.
    order(stocked, "SO-3", [("TEA", 2, 2000)], wh="WH-B")
    ship(stocked, "SO-3")
    assert keys(admin, low=True) == [("WH-A", "TEA"), ("WH-B", "TEA")]
    assert ("WH-B", "TEA") not in keys(admin) and ("WH-B", "TEA") in keys(admin, show_zero=True)


def test_warehouse_values_add_up_to_the_pool(stocked, admin):
    rows = {(x["warehouse"], x["sku"]): x for x in admin.get(f"{INV}/stock").json()["items"]}
    # 2005 cents over 10 + 5 pieces: 1336.67 and 668.33 — rounded each on its own they would
    # make 2005 or 2006; the odd cent goes to the larger remainder, so they add up exactly.
    assert rows[("WH-A", "AVG-1")]["value_cents"] + rows[("WH-B", "AVG-1")]["value_cents"] == 2005
    assert (rows[("WH-A", "AVG-1")]["value_cents"], rows[("WH-B", "AVG-1")]["value_cents"]) == (1337, 668)


def _rows(content: bytes) -> list[tuple]:
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    return list(ws.iter_rows())


def test_export_has_the_filtered_rows_of_every_page(stocked, admin, engine):
    with uow(engine) as u:
        for i in range(620):  # more than one page of 500
            catalog.create_sku(
                u, code=f"BULK-{i:04d}", name=f"散货{i}", unit="件", price_cents=1, cost_method="average"
            )
    with uow(engine) as u:
        inventory.receive(
            u,
            ref="RC-BULK",
            warehouse="WH-B",
            lines=[inventory.ReceiptLine(f"BULK-{i:04d}", 1 + i % 3, 101) for i in range(620)],
        )
    r = admin.get(f"{INV}/stock/export")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = _rows(r.content)
    assert [c.value for c in rows[0]] == [
        "仓库",
        "SKU",
        "商品名称",
        "在库",
        "预占",
        "可用",
        "安全库存",
        "库存金额（元）",
        "库位",
    ]
    assert len(rows) == 1 + 4 + 620
    tea = next(row for row in rows if row[0].value == "WH-A" and row[1].value == "TEA")
    assert [c.value for c in tea[:7]] == ["WH-A", "TEA", "龙井茶", 6, 2, 4, 5]
    assert tea[7].number_format == "#,##0.00" and Decimal(str(tea[7].value)) == Decimal("60.00")
    avg = next(row for row in rows if row[0].value == "WH-A" and row[1].value == "AVG-1")
    assert Decimal(str(avg[7].value)) == Decimal("13.37")
    bulk = next(row for row in rows if row[1].value == "BULK-0002")
    assert (bulk[3].value, Decimal(str(bulk[7].value))) == (3, Decimal("3.03"))

    r = admin.get(f"{INV}/stock/export", params={"low": True}, headers={"Accept-Language": "en"})
    rows = _rows(r.content)
    assert rows[0][0].value == "Warehouse" and rows[0][7].value == "Value (CNY)"
    assert [(row[0].value, row[1].value) for row in rows[1:]] == [("WH-A", "TEA"), ("WH-B", "TEA")]


def test_export_respects_data_scope(stocked, client, make_user, login):
    make_user("bee", roles=["viewer"], scopes={"warehouse": ["WH-B"]})
    h = bearer(login("bee", PASSWORD))
    rows = _rows(client.get(f"{INV}/stock/export", headers=h).content)
    assert {row[0].value for row in rows[1:]} == {"WH-B"}
    assert client.get(f"{INV}/stock/export").status_code == 401


def test_scoped_dashboard_value_is_the_sum_of_its_rows(stocked, client, make_user, login):
    make_user("ann", roles=["viewer"], scopes={"warehouse": ["WH-A"]})
    h = bearer(login("ann", PASSWORD))
    rows = client.get(f"{INV}/stock", headers=h).json()["items"]
    summary = client.get("/api/v1/dashboard/summary", headers=h).json()
    assert summary["inventory_value_cents"] == sum(x["value_cents"] for x in rows)
    assert summary["low_stock"] == 1  # TEA in WH-A; WH-B's is out of scope
    with uow(stocked) as u:
        assert inventory.alert_counts(u)["low_stock"] == 2
