"""Batch- and serial-tracked goods through fulfilment: the pick list names the batch to take, the
pack station captures serial numbers, shipping takes those very units, and a defective return
writes its unit off."""

from __future__ import annotations

import datetime as dt

import pytest

from omnistock.catalog import service as catalog
from omnistock.fulfillment import service as fulfillment
from omnistock.inventory import service as inventory
from omnistock.inventory.tracking import LotIn
from omnistock.platform.errors import AppError
from tests.fulfillment.helpers import order, setup
from tests.orders.pool_helpers import uow


@pytest.fixture
def tracked(engine):
    setup(engine)
    with uow(engine) as u:
        catalog.create_sku(
            u,
            code="MILK",
            name="牛奶",
            unit="盒",
            price_cents=2000,
            cost_method="fifo",
            tracking="batch",
            shelf_life_days=60,
        )
        catalog.create_sku(
            u,
            code="PHONE",
            name="手机",
            unit="台",
            price_cents=2000,
            cost_method="average",
            tracking="serial",
        )
        today = dt.date.today()
        inventory.receive(
            u,
            ref="RC-T",
            warehouse="SH",
            lines=[
                inventory.ReceiptLine(
                    "MILK", 3, 300, lot=LotIn("L-OLD", today, today + dt.timedelta(days=10))
                ),
                inventory.ReceiptLine("PHONE", 3, 90000, serials=["SN1", "SN2", "SN3"]),
            ],
        )
        inventory.receive(
            u,
            ref="RC-T2",
            warehouse="SH",
            lines=[
                inventory.ReceiptLine(
                    "MILK", 5, 300, lot=LotIn("L-NEW", today, today + dt.timedelta(days=50))
                )
            ],
        )
    return engine


def test_batches_on_the_pick_list_and_serials_captured_at_packing(tracked):
    engine = tracked
    a = order(engine, "A", [("MILK", 4), ("PHONE", 1)])
    with uow(engine) as u:
        (w,) = fulfillment.create_waves(u, warehouse="SH").waves
    with uow(engine) as u:
        fulfillment.release_wave(u, w)
    with uow(engine) as u:
        sheet = fulfillment.pick_list(u, w)
    assert [(x["sku"], x["lot_no"], x["needed"], x["tracking"]) for x in sheet["lines"]] == [
        ("MILK", "L-NEW", 1, "batch"),
        ("MILK", "L-OLD", 3, "batch"),
        ("PHONE", None, 1, "serial"),
    ]
    with uow(engine) as u:
        fulfillment.confirm_picks(u, w)
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.pack(
            u, a, items=[fulfillment.PackItem("MILK", 4), fulfillment.PackItem("PHONE", 1)], weight_g=900
        )
    assert err.value.code == "fulfillment.serials_needed"
    with uow(engine) as u:
        fulfillment.pack(
            u,
            a,
            items=[fulfillment.PackItem("MILK", 4), fulfillment.PackItem("PHONE", 1, ("SN2",))],
            weight_g=900,
        )
    with uow(engine) as u:
        fulfillment.ship(u, a)
    with uow(engine) as u:
        units = {x["serial_no"]: x["status"] for x in inventory.list_serials(u, sku="PHONE")}
    assert units["SN2"] == "shipped" and units["SN1"] == "in_stock"
    with uow(engine) as u:
        got = fulfillment.receive_return(
            u,
            a,
            items=[
                fulfillment.ReturnItem("PHONE", 1, "defective", ("SN2",)),
                fulfillment.ReturnItem("MILK", 1),
            ],
        )
    assert got["writeoff_ref"] and {x["sku"]: x["defective"] for x in got["lines"]} == {"MILK": 0, "PHONE": 1}
    with uow(engine) as u:
        units = {x["serial_no"]: x["status"] for x in inventory.list_serials(u, sku="PHONE")}
        assert units["SN2"] != "in_stock"  # written off, never sold again
        assert inventory.check_invariants(u.conn) == []
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.receive_return(u, a, items=[fulfillment.ReturnItem("MILK", 1, "defective")])
    assert err.value.code == "fulfillment.defective_batch"
