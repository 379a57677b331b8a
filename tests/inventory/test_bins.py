"""Bin locations (库位): assigned per warehouse and SKU, shown and filtered in the stock overview,
and the "by bin" stocktake scope (a run of bins, counted in bin order)."""

from __future__ import annotations

import pytest

from omnistock.inventory import service as inventory
from tests.inventory.conftest import t
from tests.inventory.helpers import invariants, receive, setup_master, uow
from tests.inventory.test_api import INV, problem

SKUS = (("TEA", "average"), ("CUP", "fifo"), ("PEN", "average"), ("BAG", "average"))


@pytest.fixture
def shop(engine):
    setup_master(engine, skus=SKUS)
    for code, _ in SKUS:
        receive(engine, code, 5, 100, at=t(1))
    with uow(engine) as u:
        inventory.set_bins(
            u,
            warehouse="WH-A",
            lines=[
                inventory.BinLine("TEA", "a-02-01"),
                inventory.BinLine("CUP", "A-01-02"),
                inventory.BinLine("PEN", "A-01-01"),
                inventory.BinLine("BAG", "B-01-01"),
            ],
        )
    yield engine
    assert invariants(engine) == []


def test_bins_show_in_the_stock_overview_and_filter_it(shop):
    with uow(shop) as u:
        rows, _ = inventory.stock(u, warehouse_code="WH-A", bin_prefix="a-01")
    assert [(r.sku, r.bin) for r in rows] == [("CUP", "A-01-02"), ("PEN", "A-01-01")]
    with uow(shop) as u:
        inventory.set_bins(u, warehouse="WH-A", lines=[inventory.BinLine("PEN", None)])
        rows, _ = inventory.stock(u, warehouse_code="WH-A")
    assert {r.sku: r.bin for r in rows} == {"BAG": "B-01-01", "CUP": "A-01-02", "PEN": None, "TEA": "A-02-01"}


def test_a_stocktake_by_bin_lists_its_lines_in_bin_order(shop):
    with uow(shop) as u:
        sheet = inventory.create_stocktake(u, ref="ST-1", warehouse="WH-A", scope={"kind": "bin", "bin": "A"})
    assert [(x["sku"], x["bin"], x["book_qty"]) for x in sheet["line_items"]] == [
        ("PEN", "A-01-01", 5),
        ("CUP", "A-01-02", 5),
        ("TEA", "A-02-01", 5),
    ]
    assert sheet["scope"] == {"kind": "bin", "bin": "A"}


def test_bins_over_http_bad_codes_change_nothing(admin, engine):
    setup_master(engine, skus=SKUS)
    r = admin.put(f"{INV}/bins", json={"warehouse": "WH-A", "lines": [{"sku": "TEA", "bin": "C-9"}]})
    assert r.status_code == 200 and r.json() == [{"sku": "TEA", "bin": "C-9"}]
    r = admin.put(
        f"{INV}/bins",
        json={"warehouse": "WH-A", "lines": [{"sku": "CUP", "bin": "C-1"}, {"sku": "TEA", "bin": "货架 1"}]},
    )
    problem(r, 422, "inventory.bad_bin")
    rows = admin.get(f"{INV}/stock", params={"warehouse": "WH-A", "show_zero": True}).json()["items"]
    assert {x["sku"]: x["bin"] for x in rows if x["bin"]} == {}  # nothing stocked yet: no balance rows
    receive(engine, "CUP", 1, 100)
    rows = admin.get(f"{INV}/stock", params={"warehouse": "WH-A"}).json()["items"]
    assert [(x["sku"], x["bin"]) for x in rows] == [("CUP", None)]  # the refused call assigned nothing
