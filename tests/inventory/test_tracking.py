"""Batches (FEFO, expiry, quality hold) and serial numbers (one unit, one place, sold once)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.inventory.models import reservation, serial_unit, stock_balance
from omnistock.inventory.service import LotIn
from omnistock.orders import service as orders
from omnistock.platform.errors import AppError
from tests.inventory.conftest import t
from tests.inventory.helpers import invariants, order, setup_master, snapshot, uow
from tests.inventory.test_service import refused

D = dt.date


@pytest.fixture
def eng(engine):
    setup_master(engine)
    with uow(engine) as u:
        catalog.create_sku(
            u,
            code="MILK",
            name="牛奶",
            unit="盒",
            price_cents=500,
            cost_method="fifo",
            tracking="batch",
            shelf_life_days=30,
        )
        catalog.create_sku(
            u,
            code="PHONE",
            name="手机",
            unit="台",
            price_cents=199900,
            cost_method="average",
            tracking="serial",
        )
    yield engine
    assert invariants(engine) == []


def call(engine, fn, *args, **kwargs):
    """``fn(uow, ...)`` in a unit of work of its own."""
    with uow(engine) as u:
        return fn(u, *args, **kwargs)


def receive(engine, lines, *, wh="WH-A", at=None, ref=None):
    with uow(engine) as u:
        return inventory.receive(u, ref=ref, warehouse=wh, lines=lines, at=at or t(0))


def milk(qty, lot, made=None, expires=None, cost=300):
    return inventory.ReceiptLine("MILK", qty, cost, lot=LotIn(lot, made, expires))


def phones(*serials, cost=100000):
    return inventory.ReceiptLine("PHONE", len(serials), cost, serials=list(serials))


def lots(engine, wh="WH-A") -> dict[str, tuple[int, int]]:
    with uow(engine) as u:
        return {
            x["lot_no"]: (x["on_hand"], x["reserved"])
            for x in inventory.list_lots(u, sku="MILK", in_stock=True)
            if x["warehouse"] == wh
        }


def units(engine) -> dict[str, tuple[str, int | None]]:
    with engine.connect() as conn:
        return {r.serial_no: (r.status, r.warehouse_id) for r in conn.execute(select(serial_unit))}


# -- batches ----------------------------------------------------------------------------------------


def test_a_batch_is_received_with_its_dates_and_expiry_from_shelf_life(eng):
    receive(eng, [milk(10, "B1", D(2026, 1, 1))])
    with uow(eng) as u:
        (row,) = inventory.list_lots(u, sku="MILK")
    assert (row["lot_no"], row["production_date"], row["expiry_date"]) == (
        "B1",
        D(2026, 1, 1),
        D(2026, 1, 31),
    )
    assert (row["warehouse"], row["on_hand"]) == ("WH-A", 10)


def test_bad_batches_are_refused_and_change_nothing(eng):
    refused(
        eng, "inventory.expiry_before_production", receive, eng, [milk(1, "B1", D(2026, 2, 1), D(2026, 1, 1))]
    )
    refused(eng, "inventory.lot_required", receive, eng, [inventory.ReceiptLine("MILK", 1, 100)])
    refused(
        eng,
        "inventory.not_batch_tracked",
        receive,
        eng,
        [inventory.ReceiptLine("AVG-1", 1, 100, lot=LotIn("X"))],
    )
    receive(eng, [milk(5, "B1", D(2026, 1, 1), D(2026, 3, 1))])
    refused(eng, "inventory.lot_dates_differ", receive, eng, [milk(1, "B1", D(2026, 1, 2))])


def test_receiving_into_a_blocked_batch_is_refused(eng):
    receive(eng, [milk(5, "B1", D(2026, 1, 1))])
    with uow(eng) as u:
        (row,) = inventory.list_lots(u, sku="MILK")
        inventory.set_blocked(u, row["id"], True, "质检不合格")
    refused(eng, "inventory.lot_blocked", receive, eng, [milk(1, "B1")])


def test_orders_reserve_earliest_expiry_first_skipping_expired_and_blocked(eng):
    receive(
        eng,
        [
            milk(5, "LATE", D(2026, 1, 1), D(2026, 6, 1)),
            milk(5, "SOON", D(2026, 1, 1), D(2026, 2, 1)),
            milk(5, "GONE", D(2025, 1, 1), D(2025, 12, 31)),
            milk(5, "HOLD", D(2026, 1, 1), D(2026, 1, 20)),
        ],
    )
    with uow(eng) as u:
        hold = next(x for x in inventory.list_lots(u, sku="MILK") if x["lot_no"] == "HOLD")
        inventory.set_blocked(u, hold["id"], True, "抽检")
    assert order(eng, "SO-1", [("MILK", 7, 900)], at=t(1)).status == "allocated"
    assert lots(eng) == {"LATE": (5, 2), "SOON": (5, 5), "GONE": (5, 0), "HOLD": (5, 0)}
    # Only LATE's 3 free units are sellable now: expired and held stock is not available.
    short = order(eng, "SO-2", [("MILK", 4, 900)], at=t(2))
    assert short.status == "rejected" and short.reject_reason == "out_of_stock:MILK:4>3"
    with uow(eng) as u:
        costs = orders.ship_order(u, ref="SO-1", at=t(3))
    assert [(c.line_no, c.qty) for c in costs] == [(1, 7)]
    assert lots(eng) == {"LATE": (3, 0), "GONE": (5, 0), "HOLD": (5, 0)}
    # A return goes back into the batches the line left from.
    with uow(eng) as u:
        orders.return_order(u, ref="SO-1", lines=[orders.ReturnLineIn("MILK", 6)], at=t(4))
    assert lots(eng) == {"SOON": (5, 0), "LATE": (4, 0), "GONE": (5, 0), "HOLD": (5, 0)}


def test_a_batch_with_reservations_cannot_be_put_on_hold(eng):
    receive(eng, [milk(5, "B1", D(2026, 1, 1))])
    order(eng, "SO-1", [("MILK", 2, 900)], at=t(1))
    with uow(eng) as u:
        (row,) = inventory.list_lots(u, sku="MILK")
    refused(eng, "inventory.lot_reserved", call, eng, inventory.set_blocked, row["id"], True, "质检")


def test_transfers_and_counts_keep_the_batch(eng):
    receive(eng, [milk(5, "B1", D(2026, 1, 1)), milk(5, "B2", D(2026, 1, 10))])
    with uow(eng) as u:
        inventory.transfer(
            u,
            ref="TR-1",
            from_warehouse="WH-A",
            to_warehouse="WH-B",
            lines=[inventory.QtyLine("MILK", 7)],
            at=t(1),
        )
    assert lots(eng) == {"B2": (3, 0)}
    assert lots(eng, "WH-B") == {"B1": (5, 0), "B2": (2, 0)}
    refused(
        eng,
        "inventory.lot_required",
        call,
        eng,
        inventory.count,
        ref="C-0",
        warehouse="WH-B",
        lines=[inventory.CountLine("MILK", 1)],
    )
    with uow(eng) as u:
        inventory.count(
            u, ref="C-1", warehouse="WH-B", lines=[inventory.CountLine("MILK", 4, lot_no="B1")], at=t(2)
        )
    assert lots(eng, "WH-B") == {"B1": (4, 0), "B2": (2, 0)}


# -- serial numbers ---------------------------------------------------------------------------------


def test_serial_units_are_received_shipped_and_returned_one_by_one(eng):
    receive(eng, [phones("SN1", "SN2", "SN3")])
    wh_a = units(eng)["SN1"][1]
    assert units(eng) == {"SN1": ("in_stock", wh_a), "SN2": ("in_stock", wh_a), "SN3": ("in_stock", wh_a)}
    order(eng, "SO-1", [("PHONE", 2, 199900)], at=t(1))
    refused(eng, "inventory.serial_count", call, eng, orders.ship_order, ref="SO-1", at=t(2))
    refused(
        eng,
        "inventory.serial_scanned_twice",
        call,
        eng,
        orders.ship_order,
        ref="SO-1",
        serials={"PHONE": ["SN1", "SN1"]},
    )
    refused(
        eng,
        "inventory.unknown_serial",
        call,
        eng,
        orders.ship_order,
        ref="SO-1",
        serials={"PHONE": ["SN1", "X"]},
    )
    with uow(eng) as u:
        orders.ship_order(u, ref="SO-1", at=t(2), serials={"PHONE": ["SN1", "SN3"]})
    assert units(eng)["SN1"] == ("shipped", None) and units(eng)["SN2"] == ("in_stock", wh_a)
    # A unit cannot be sold twice.
    order(eng, "SO-2", [("PHONE", 1, 199900)], at=t(3))
    refused(
        eng,
        "inventory.serial_not_in_stock",
        call,
        eng,
        orders.ship_order,
        ref="SO-2",
        serials={"PHONE": ["SN1"]},
    )
    # Only a unit that left on the order comes back on its return.
    refused(
        eng,
        "inventory.serial_not_shipped_here",
        call,
        eng,
        orders.return_order,
        ref="SO-1",
        lines=[orders.ReturnLineIn("PHONE", 1, ["SN2"])],
    )
    with uow(eng) as u:
        orders.return_order(u, ref="SO-1", lines=[orders.ReturnLineIn("PHONE", 1, ["SN3"])], at=t(4))
    assert units(eng)["SN3"] == ("in_stock", wh_a)
    with uow(eng) as u:
        (trace,) = inventory.serial_trace(u, "SN3")
    assert [(m["kind"], m["ref"]) for m in trace["moves"]] == [
        ("receipt", trace["moves"][0]["ref"]),
        ("shipment", "SO-1"),
        ("return", "SO-1"),
    ]
    assert trace["status"] == "in_stock" and trace["warehouse"] == "WH-A"


def test_a_serial_cannot_be_in_two_places(eng):
    receive(eng, [phones("SN1")])
    refused(eng, "inventory.serial_in_stock", receive, eng, [phones("SN1")], wh="WH-B")
    refused(
        eng, "inventory.serial_count", receive, eng, [inventory.ReceiptLine("PHONE", 2, 100, serials=["A"])]
    )
    refused(
        eng,
        "inventory.not_serial_tracked",
        receive,
        eng,
        [inventory.ReceiptLine("AVG-1", 1, 100, serials=["A"])],
    )
    receive(eng, [phones("SN9")], wh="WH-B")
    refused(
        eng,
        "inventory.serial_wrong_warehouse",
        call,
        eng,
        inventory.transfer,
        ref="TR-1",
        from_warehouse="WH-B",
        to_warehouse="WH-A",
        lines=[inventory.QtyLine("PHONE", 1, serials=["SN1"])],
    )


def test_a_serial_moves_with_a_transfer_and_a_count_finds_what_is_missing(eng):
    receive(eng, [phones("SN1", "SN2", "SN3")])
    with uow(eng) as u:
        inventory.transfer(
            u,
            ref="TR-1",
            from_warehouse="WH-A",
            to_warehouse="WH-B",
            lines=[inventory.QtyLine("PHONE", 1, serials=["SN2"])],
            at=t(1),
        )
    with uow(eng) as u:
        result = inventory.count(
            u, ref="C-1", warehouse="WH-A", lines=[inventory.CountLine("PHONE", 1, serials=["SN3"])], at=t(2)
        )
    assert result.lines[0]["difference"] == -1
    statuses = {k: v[0] for k, v in units(eng).items()}
    assert statuses == {"SN1": "removed", "SN2": "in_stock", "SN3": "in_stock"}
    with uow(eng) as u:
        (trace,) = inventory.serial_trace(u, "SN2")
    assert [(m["kind"], m["warehouse"]) for m in trace["moves"]] == [
        ("receipt", "WH-A"),
        ("transfer_out", "WH-A"),
        ("transfer_in", "WH-B"),
    ]


def test_reservations_of_batches_are_released_per_batch(eng):
    receive(eng, [milk(2, "B1", D(2026, 1, 1)), milk(5, "B2", D(2026, 1, 5))])
    order(eng, "SO-1", [("MILK", 4, 900)], at=t(1))
    with eng.connect() as conn:
        assert len(conn.execute(select(reservation)).all()) == 2
    with uow(eng) as u:
        orders.cancel_order(u, ref="SO-1", at=t(2))
    with eng.connect() as conn:
        assert all(r.reserved == 0 for r in conn.execute(select(stock_balance)))
    assert snapshot(eng)["totals"]["reserved_total"] == 0


def test_a_batch_first_seen_without_dates_learns_them_from_its_receipt(eng):
    with uow(eng) as u:
        inventory.count(
            u, ref="C-1", warehouse="WH-A", lines=[inventory.CountLine("MILK", 2, lot_no="B9")], at=t(1)
        )
    receive(eng, [milk(3, "B9", None, D(2026, 4, 1))], at=t(2))
    refused(eng, "inventory.expiry_before_production", receive, eng, [milk(1, "B9", D(2026, 5, 1))], at=t(3))
    with uow(eng) as u:
        (row,) = inventory.list_lots(u, sku="MILK")
    assert (row["expiry_date"], row["on_hand"]) == (D(2026, 4, 1), 5)


def test_batches_near_expiry_and_expired_are_alerts(eng):
    today = dt.date.today()
    receive(
        eng,
        [
            milk(3, "SOON", None, today + dt.timedelta(days=10)),
            milk(4, "PAST", None, today - dt.timedelta(days=1)),
            milk(5, "FAR", None, today + dt.timedelta(days=200)),
        ],
    )
    with uow(eng) as u:
        rows, _ = inventory.alerts(u)
    got = {(a.kind, a.lot, a.on_hand) for a in rows if a.kind in ("near_expiry", "expired")}
    assert got == {("near_expiry", "SOON", 3), ("expired", "PAST", 4)}


def test_a_transfer_order_carries_batches_through_transit(eng):
    receive(eng, [milk(4, "B1", D(2026, 1, 1)), milk(6, "B2", D(2026, 1, 9))])
    with uow(eng) as u:
        draft = inventory.create_transfer_order(
            u, ref="TO-1", from_warehouse="WH-A", to_warehouse="WH-B", lines=[inventory.QtyLine("MILK", 7)]
        )
    with uow(eng) as u:
        inventory.ship_transfer_order(u, draft["id"], at=t(1))
    assert lots(eng) == {"B2": (3, 0)}
    assert lots(eng, "~TRANSIT") == {"B1": (4, 0), "B2": (3, 0)}
    with uow(eng) as u:  # one piece broke on the way: it is lost from the last batch
        inventory.receive_transfer_order(u, draft["id"], lines=[inventory.ReceivedLine("MILK", 6)], at=t(2))
    assert lots(eng, "WH-B") == {"B1": (4, 0), "B2": (2, 0)}
    assert lots(eng, "~TRANSIT") == {}


def phones_at(engine) -> dict[str, int]:
    """On-hand of PHONE per warehouse code (the in-transit warehouse included)."""
    with uow(engine) as u:
        sku_id = catalog.sku_ref(u, "PHONE").id
        return {
            inventory.warehouse_code(u, r.warehouse_id): r.on_hand
            for r in u.conn.execute(select(stock_balance).where(stock_balance.c.sku_id == sku_id))
            if r.on_hand
        }


def where(engine) -> dict[str, tuple[str, str | None]]:
    """Each unit's status and warehouse code."""
    found = units(engine)
    with uow(engine) as u:
        return {
            no: (status, inventory.warehouse_code(u, wh) if wh else None)
            for no, (status, wh) in found.items()
        }


def test_a_transfer_order_carries_serial_units_through_transit(eng):
    from omnistock.platform import audit

    receive(eng, [phones("SN1", "SN2", "SN3", "SN4")])
    receive(eng, [phones("SN9")], wh="WH-B")
    with uow(eng) as u:  # SN4 goes missing: it is no longer in stock
        inventory.count(
            u,
            ref="C-1",
            warehouse="WH-A",
            lines=[inventory.CountLine("PHONE", 3, serials=["SN1", "SN2", "SN3"])],
            at=t(1),
        )
    with uow(eng) as u:
        draft = inventory.create_transfer_order(
            u, ref="TO-1", from_warehouse="WH-A", to_warehouse="WH-B", lines=[inventory.QtyLine("PHONE", 3)]
        )
    oid = draft["id"]
    assert draft["line_items"][0]["tracking"] == "serial"

    def ship(serials):
        return call(eng, inventory.ship_transfer_order, oid, serials=serials, at=t(2))

    refused(eng, "inventory.serial_count", ship, None)
    refused(eng, "inventory.serial_count", ship, {"PHONE": ["SN1", "SN2"]})
    refused(eng, "inventory.serial_scanned_twice", ship, {"PHONE": ["SN1", "SN2", "SN2"]})
    refused(eng, "inventory.serial_wrong_warehouse", ship, {"PHONE": ["SN1", "SN2", "SN9"]})
    refused(eng, "inventory.serial_not_in_stock", ship, {"PHONE": ["SN1", "SN2", "SN4"]})
    refused(eng, "inventory.unknown_serial", ship, {"PHONE": ["SN1", "SN2", "NOPE"]})
    refused(eng, "inventory.sku_not_on_transfer", ship, {"PHONE": ["SN1", "SN2", "SN3"], "MILK": ["X"]})

    shipped = ship({"PHONE": [" SN3", "SN1", "SN2"]})
    assert shipped["line_items"][0]["serials_in_transit"] == ["SN1", "SN2", "SN3"]
    assert phones_at(eng) == {"~TRANSIT": 3, "WH-B": 1}
    assert {no: w for no, w in where(eng).items() if no in ("SN1", "SN2", "SN3")} == {
        "SN1": ("in_stock", "~TRANSIT"),
        "SN2": ("in_stock", "~TRANSIT"),
        "SN3": ("in_stock", "~TRANSIT"),
    }
    assert invariants(eng) == []

    def receive_lines(*lines):
        return call(eng, inventory.receive_transfer_order, oid, lines=list(lines), at=t(3))

    line = inventory.ReceivedLine
    refused(eng, "inventory.serial_not_in_transit_here", receive_lines, line("PHONE", serials=["SN1", "SN9"]))
    refused(eng, "inventory.serial_not_in_transit_here", receive_lines, line("PHONE", serials=["SN4"]))
    refused(eng, "inventory.serial_count", receive_lines, line("PHONE", 2, serials=["SN1"]))
    refused(eng, "inventory.serial_count", receive_lines, line("PHONE", 1))
    refused(eng, "inventory.serials_required", receive_lines, line("PHONE"))
    refused(eng, "inventory.serial_scanned_twice", receive_lines, line("PHONE", serials=["SN1", "SN1"]))
    refused(
        eng, "inventory.receive_exceeds_shipped", receive_lines, line("PHONE", serials=["A", "B", "C", "D"])
    )

    # SN2 fell off the truck: it is lost in transit, written off at the pool's average cost.
    done = receive_lines(line("PHONE", serials=["SN3", "SN1"]))
    (ln,) = done["line_items"]
    assert (ln["received"], ln["lost"], ln["loss_value_cents"], ln["serials_in_transit"]) == (
        2,
        1,
        100000,
        [],
    )
    assert phones_at(eng) == {"WH-B": 3}
    assert where(eng) == {
        "SN1": ("in_stock", "WH-B"),
        "SN2": ("removed", None),
        "SN3": ("in_stock", "WH-B"),
        "SN4": ("removed", None),
        "SN9": ("in_stock", "WH-B"),
    }
    with uow(eng) as u:
        (arrived,) = inventory.serial_trace(u, "SN1")
        (lost,) = inventory.serial_trace(u, "SN2")
    assert [(m["kind"], m["warehouse"], m["direction"]) for m in arrived["moves"]] == [
        ("receipt", "WH-A", 1),
        ("transit_out", "WH-A", -1),
        ("transit_out", "~TRANSIT", 1),
        ("transit_in", "~TRANSIT", -1),
        ("transit_in", "WH-B", 1),
    ]
    assert [(m["kind"], m["warehouse"], m["ref"]) for m in lost["moves"]][1:] == [
        ("transit_out", "WH-A", "TO-1"),
        ("transit_out", "~TRANSIT", "TO-1"),
        ("transit_loss", "~TRANSIT", "TO-1"),
    ]
    assert lost["status"] == "removed"
    with eng.connect() as conn:
        rows = audit.search(conn, entity_type="transfer_order", entity_id="TO-1")
    assert rows[1]["after"]["lines"] == [{"sku": "PHONE", "qty": 3, "serials": ["SN3", "SN1", "SN2"]}]
    assert rows[0]["after"]["lines"][0]["serials"] == ["SN3", "SN1"]
    assert rows[0]["after"]["lines"][0]["serials_lost"] == ["SN2"]


def test_a_serial_transfer_order_received_whole_brings_every_unit(eng):
    receive(eng, [phones("SN1", "SN2"), milk(4, "B1", D(2026, 1, 1))])
    with uow(eng) as u:
        d = inventory.create_transfer_order(
            u,
            ref="TO-1",
            from_warehouse="WH-A",
            to_warehouse="WH-B",
            lines=[inventory.QtyLine("MILK", 4), inventory.QtyLine("PHONE", 2)],
        )
    refused(
        eng,
        "inventory.not_serial_tracked",
        call,
        eng,
        inventory.ship_transfer_order,
        d["id"],
        serials={"PHONE": ["SN1", "SN2"], "MILK": ["X"]},
        at=t(1),
    )
    with uow(eng) as u:
        inventory.ship_transfer_order(u, d["id"], serials={"PHONE": ["SN2", "SN1"]}, at=t(1))
    with uow(eng) as u:  # lines omitted: everything arrived
        done = inventory.receive_transfer_order(u, d["id"], at=t(2))
    assert [(x["sku"], x["received"], x["lost"]) for x in done["line_items"]] == [
        ("MILK", 4, 0),
        ("PHONE", 2, 0),
    ]
    assert phones_at(eng) == {"WH-B": 2}
    assert where(eng) == {"SN1": ("in_stock", "WH-B"), "SN2": ("in_stock", "WH-B")}
    assert lots(eng, "WH-B") == {"B1": (4, 0)}


def test_stocktake_sheets_leave_tracked_skus_to_count_documents(eng):
    receive(eng, [milk(4, "B1", D(2026, 1, 1)), phones("SN1")])
    refused(
        eng,
        "inventory.tracked_not_on_sheet",
        call,
        eng,
        inventory.create_stocktake,
        ref="ST-1",
        warehouse="WH-A",
        scope={"kind": "skus", "skus": ["PHONE"]},
    )


def test_a_stocktake_sheet_counts_batch_by_batch(eng):
    receive(eng, [milk(4, "B1", D(2026, 1, 1)), milk(6, "B2", D(2026, 1, 9)), phones("SN1")])
    with uow(eng) as u:
        sheet = inventory.create_stocktake(u, ref="ST-1", warehouse="WH-A", scope={"kind": "all"})
    lines = [(x["sku"], x["lot_no"], x["book_qty"]) for x in sheet["line_items"]]
    assert lines == [("MILK", "B1", 4), ("MILK", "B2", 6)]  # serial units are counted by scanning them
    with uow(eng) as u, pytest.raises(AppError) as info:
        inventory.record_count(u, sheet["id"], code="MILK")
    assert info.value.code == "inventory.lot_required"
    with uow(eng) as u:
        inventory.record_count(u, sheet["id"], code="MILK", qty=3, lot_no="B1")
        inventory.record_count(u, sheet["id"], code="MILK", qty=6, lot_no="B2")
        inventory.record_count(u, sheet["id"], code="MILK", qty=2, lot_no="B9")  # a batch found
    with uow(eng) as u:
        done = inventory.post_stocktake(u, sheet["id"], at=t(1))
    got = {x["lot_no"]: (x["book_qty"], x["counted"], x["difference"]) for x in done["line_items"]}
    assert got == {"B1": (4, 3, -1), "B2": (6, 6, 0), "B9": (0, 2, 2)}
    assert lots(eng) == {"B1": (3, 0), "B2": (6, 0), "B9": (2, 0)}
