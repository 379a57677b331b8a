"""Two-step transfers through the services: draft → shipped (in transit) → done, transit loss valued
as shrinkage, illegal moves refused without a trace, and the doctor's invariants after every step."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from omnistock.inventory import rules
from omnistock.inventory import service as inventory
from omnistock.inventory.models import transfer_order_line
from omnistock.platform.auth import Actor
from omnistock.platform.errors import AppError
from omnistock.platform.uow import UnitOfWork
from tests.inventory.conftest import t
from tests.inventory.helpers import (
    balance,
    invariants,
    order,
    pool,
    receive,
    setup_master,
    snapshot,
    totals,
    uow,
)
from tests.inventory.test_service import refused


@pytest.fixture
def eng(engine):
    setup_master(engine)
    yield engine
    assert invariants(engine) == []


def _create(engine, lines, *, ref="TO-1", src="WH-A", dst="WH-B", actor=None):
    with UnitOfWork(engine, actor) if actor else uow(engine) as u:
        return inventory.create_transfer_order(
            u,
            ref=ref,
            from_warehouse=src,
            to_warehouse=dst,
            lines=[inventory.QtyLine(s, q) for s, q in lines],
        )


def _ship(engine, order_id, at=None, actor=None):
    with UnitOfWork(engine, actor) if actor else uow(engine) as u:
        return inventory.ship_transfer_order(u, order_id, at=at)


def _receive(engine, order_id, lines=None, at=None, actor=None):
    received = None if lines is None else [inventory.ReceivedLine(s, q) for s, q in lines]
    with UnitOfWork(engine, actor) if actor else uow(engine) as u:
        return inventory.receive_transfer_order(u, order_id, lines=received, at=at)


def _cancel(engine, order_id):
    with uow(engine) as u:
        return inventory.cancel_transfer_order(u, order_id)


def _edit(engine, order_id, lines):
    with uow(engine) as u:
        return inventory.update_transfer_order(u, order_id, lines=[inventory.QtyLine(s, q) for s, q in lines])


def _detail(engine, order_id):
    with uow(engine) as u:
        return inventory.transfer_order_detail(u, order_id)


def _lines(d) -> dict:
    return {
        x["sku"]: (x["qty"], x["shipped"], x["received"], x["lost"], x["in_transit"]) for x in d["line_items"]
    }


def test_full_flow_moves_stock_through_transit_and_keeps_value(eng):
    receive(eng, "AVG-1", 10, 100, at=t(1))
    receive(eng, "FIFO-1", 5, 200, at=t(1))
    before = totals(eng)
    d = _create(eng, [("FIFO-1", 2), ("AVG-1", 4)])
    assert (d["status"], d["from_warehouse"], d["to_warehouse"], d["qty"], d["in_transit"]) == (
        "draft",
        "WH-A",
        "WH-B",
        6,
        0,
    )
    assert balance(eng, "AVG-1", "WH-A") == (10, 0)  # a draft moves nothing
    assert invariants(eng) == []

    d = _ship(eng, d["id"], at=t(2))
    assert d["status"] == "shipped" and d["in_transit"] == 6
    assert _lines(d) == {"FIFO-1": (2, 2, 0, 0, 2), "AVG-1": (4, 4, 0, 0, 4)}
    assert balance(eng, "AVG-1", "WH-A") == (6, 0) and balance(eng, "AVG-1", "WH-B") == (0, 0)
    assert invariants(eng) == []
    mid = totals(eng)
    # Goods in transit are still the company's: same on-hand total and value.
    assert (mid["on_hand_total"], mid["inventory_value"]) == (
        before["on_hand_total"],
        before["inventory_value"],
    )
    assert {(m["warehouse"], m["sku"], m["kind"], m["qty"], m["value_cents"]) for m in d["moves"]} == {
        ("WH-A", "AVG-1", "transit_out", -4, 0),
        (rules.TRANSIT_WAREHOUSE, "AVG-1", "transit_out", 4, 0),
        ("WH-A", "FIFO-1", "transit_out", -2, 0),
        (rules.TRANSIT_WAREHOUSE, "FIFO-1", "transit_out", 2, 0),
    }
    with uow(eng) as u:  # the stock overview shows the goods in transit
        rows, _ = inventory.stock(u, warehouse_code=rules.TRANSIT_WAREHOUSE)
    assert {(r.sku, r.on_hand) for r in rows} == {("AVG-1", 4), ("FIFO-1", 2)}

    d = _receive(eng, d["id"], at=t(3))  # everything arrived
    assert d["status"] == "done" and (d["received"], d["lost"], d["in_transit"]) == (6, 0, 0)
    assert balance(eng, "AVG-1", "WH-B") == (4, 0) and balance(eng, "FIFO-1", "WH-B") == (2, 0)
    after = totals(eng)
    assert after["inventory_value"] == before["inventory_value"] and after["shrinkage"] == 0
    assert after["transfers"] == 0  # one-step transfers are counted apart (the workload summary)


def test_transit_loss_is_valued_as_shrinkage_average(eng):
    receive(eng, "AVG-1", 10, 100, at=t(1))
    receive(eng, "AVG-1", 5, 160, at=t(1.5))  # pool 15 / 18.00
    d = _create(eng, [("AVG-1", 6)])
    _ship(eng, d["id"], at=t(2))
    d = _receive(eng, d["id"], [("AVG-1", 4)], at=t(3))
    assert _lines(d) == {"AVG-1": (6, 6, 4, 2, 0)}
    assert d["line_items"][0]["loss_value_cents"] == 240 == d["loss_value_cents"]  # 1800 * 2 / 15
    assert balance(eng, "AVG-1", "WH-B") == (4, 0) and balance(eng, "AVG-1", "WH-A") == (9, 0)
    tt = totals(eng)
    assert (tt["shrinkage"], tt["inventory_value"], tt["on_hand_total"]) == (240, 1560, 13)
    assert tt["inventory_value"] == tt["received_value"] - tt["cogs"] - tt["shrinkage"]
    loss = [m for m in d["moves"] if m["kind"] == "transit_loss"]
    assert [(m["warehouse"], m["qty"], m["value_cents"]) for m in loss] == [
        (rules.TRANSIT_WAREHOUSE, -2, -240)
    ]


def test_transit_loss_fifo_takes_the_oldest_layers(eng):
    receive(eng, "FIFO-1", 2, 100, at=t(1))
    receive(eng, "FIFO-1", 3, 300, at=t(2))
    d = _create(eng, [("FIFO-1", 4)])
    _ship(eng, d["id"], at=t(3))
    d = _receive(eng, d["id"], [("FIFO-1", 1)], at=t(4))  # 3 lost: 2 @ 1.00 + 1 @ 3.00
    assert d["loss_value_cents"] == 500
    assert pool(eng, "FIFO-1")["layers"] == [{"qty": 2, "value_cents": 600}]
    assert totals(eng)["shrinkage"] == 500


def test_everything_lost(eng):
    receive(eng, "AVG-1", 3, 100)
    d = _create(eng, [("AVG-1", 3)])
    _ship(eng, d["id"])
    d = _receive(eng, d["id"], [("AVG-1", 0)])
    assert _lines(d) == {"AVG-1": (3, 3, 0, 3, 0)}
    assert totals(eng)["shrinkage"] == 300 and totals(eng)["inventory_value"] == 0


def test_ship_is_all_lines_or_refused_naming_the_short_sku(eng):
    receive(eng, "AVG-1", 5, 100)
    receive(eng, "FIFO-1", 5, 100)
    order(eng, "SO-1", [("FIFO-1", 4, 100)])  # only 1 FIFO-1 free
    d = _create(eng, [("AVG-1", 2), ("FIFO-1", 2)])
    err = refused(eng, "inventory.insufficient_stock", _ship, eng, d["id"])
    assert err.params == {"sku": "FIFO-1", "wanted": 2, "available": 1}
    assert _detail(eng, d["id"])["status"] == "draft"
    _edit(eng, d["id"], [("AVG-1", 2), ("FIFO-1", 1)])
    assert _ship(eng, d["id"])["status"] == "shipped"


def test_illegal_moves_are_refused_and_change_nothing(eng):
    receive(eng, "AVG-1", 10, 100)
    d = _create(eng, [("AVG-1", 2)])
    oid = d["id"]
    refused(eng, "inventory.illegal_transition", _receive, eng, oid)  # a draft was not shipped
    _ship(eng, oid)
    refused(eng, "inventory.illegal_transition", _ship, eng, oid)
    refused(eng, "inventory.illegal_transition", _cancel, eng, oid)  # goods are on the road
    refused(eng, "inventory.not_a_draft", _edit, eng, oid, [("AVG-1", 1)])
    _receive(eng, oid)
    for fn in (_ship, _receive, _cancel):
        err = refused(eng, "inventory.illegal_transition", fn, eng, oid)
        assert err.params["current"] == "done"
    d2 = _create(eng, [("AVG-1", 1)], ref="TO-2")
    assert _cancel(eng, d2["id"])["status"] == "cancelled"
    refused(eng, "inventory.illegal_transition", _ship, eng, d2["id"])
    refused(eng, "inventory.not_a_draft", _edit, eng, d2["id"], [("AVG-1", 1)])
    refused(eng, "transfer_order.not_found", _ship, eng, 9999)
    assert balance(eng, "AVG-1", "WH-A") == (8, 0) and balance(eng, "AVG-1", "WH-B") == (2, 0)


def test_receive_is_checked_per_line(eng):
    receive(eng, "AVG-1", 10, 100)
    receive(eng, "FIFO-1", 10, 100)
    d = _create(eng, [("AVG-1", 3), ("FIFO-1", 2)])
    _ship(eng, d["id"], at=t(5))
    oid = d["id"]
    err = refused(eng, "inventory.receive_exceeds_shipped", _receive, eng, oid, [("AVG-1", 4), ("FIFO-1", 2)])
    assert err.params["sku"] == "AVG-1" and "4" in err.en and "3" in err.zh
    refused(eng, "inventory.receive_lines_missing", _receive, eng, oid, [("AVG-1", 3)])
    refused(eng, "inventory.sku_not_on_transfer", _receive, eng, oid, [("AVG-1", 3), ("NOPE", 1)])
    refused(eng, "inventory.duplicate_sku_line", _receive, eng, oid, [("AVG-1", 3), ("AVG-1", 3)])
    refused(eng, "inventory.bad_quantity", _receive, eng, oid, [("AVG-1", -1), ("FIFO-1", 2)])
    refused(eng, "inventory.receive_before_ship", _receive, eng, oid, None, t(4))
    assert _receive(eng, oid, [("FIFO-1", 2), ("AVG-1", 3)], at=t(6))["lost"] == 0


def test_create_checks_its_input(eng):
    receive(eng, "AVG-1", 10, 100)
    _create(eng, [("AVG-1", 1)])
    refused(eng, "inventory.duplicate_ref", _create, eng, [("AVG-1", 1)])
    refused(eng, "inventory.same_warehouse", _create, eng, [("AVG-1", 1)], ref="TO-2", dst="WH-A")
    refused(eng, "inventory.unknown_warehouse", _create, eng, [("AVG-1", 1)], ref="TO-2", dst="WH-X")
    refused(eng, "inventory.duplicate_sku_line", _create, eng, [("AVG-1", 1), ("AVG-1", 2)], ref="TO-2")
    refused(eng, "inventory.bad_quantity", _create, eng, [("AVG-1", 0)], ref="TO-2")
    refused(eng, "inventory.no_lines", _create, eng, [], ref="TO-2")
    refused(eng, "catalog.unknown_sku", _create, eng, [("NOPE", 1)], ref="TO-2")
    # The in-transit warehouse is no place for documents, orders or transfers.
    refused(
        eng,
        "inventory.unknown_warehouse",
        _create,
        eng,
        [("AVG-1", 1)],
        ref="TO-2",
        dst=rules.TRANSIT_WAREHOUSE,
    )


def test_the_transit_warehouse_cannot_be_named_by_anyone(eng):
    receive(eng, "AVG-1", 10, 100)
    d = _create(eng, [("AVG-1", 2)])
    _ship(eng, d["id"])  # creates the transit warehouse
    refused(eng, "inventory.unknown_warehouse", receive, eng, "AVG-1", 1, 100, wh=rules.TRANSIT_WAREHOUSE)
    refused(
        eng,
        "inventory.unknown_warehouse",
        order,
        eng,
        "SO-X",
        [("AVG-1", 1, 100)],
        wh=rules.TRANSIT_WAREHOUSE,
    )

    def count():
        with uow(eng) as u:
            inventory.count(
                u, ref=None, warehouse=rules.TRANSIT_WAREHOUSE, lines=[inventory.CountLine("AVG-1", 0)]
            )

    refused(eng, "inventory.unknown_warehouse", count)

    def make():
        with uow(eng) as u:
            inventory.create_warehouse(u, code=rules.TRANSIT_WAREHOUSE, name="x")

    refused(eng, "inventory.bad_code", make)
    with uow(eng) as u:
        assert [w.code for w in inventory.list_warehouses(u)] == ["WH-A", "WH-B"]


def test_data_scopes_ship_needs_source_receive_needs_destination(eng):
    receive(eng, "AVG-1", 10, 100)
    a = Actor(
        user_id=7,
        username="a-staff",
        permissions=frozenset({"inventory.*"}),
        scopes={"warehouse": frozenset({"WH-A"})},
    )
    b = Actor(
        user_id=8,
        username="b-staff",
        permissions=frozenset({"inventory.*"}),
        scopes={"warehouse": frozenset({"WH-B"})},
    )
    d = _create(eng, [("AVG-1", 2)], actor=b)  # the destination may ask for stock
    refused(eng, "auth.out_of_scope", _ship, eng, d["id"], actor=b)
    _ship(eng, d["id"], actor=a)
    refused(eng, "auth.out_of_scope", _receive, eng, d["id"], actor=a)
    assert _receive(eng, d["id"], actor=b)["status"] == "done"
    with UnitOfWork(eng, a) as u:
        assert [r.ref for r in inventory.list_transfer_orders(u)[0]] == ["TO-1"]
    c = Actor(
        user_id=9, username="c", permissions=frozenset({"*"}), scopes={"warehouse": frozenset({"WH-C"})}
    )
    with UnitOfWork(eng, c) as u:
        assert inventory.list_transfer_orders(u)[0] == []
        assert inventory.transfer_order_detail(u, d["id"]) is None
    refused(eng, "auth.out_of_scope", _create, eng, [("AVG-1", 1)], ref="TO-9", actor=c)


def test_every_write_is_audited(eng):
    from omnistock.platform import audit

    receive(eng, "AVG-1", 10, 100)
    d = _create(eng, [("AVG-1", 2)])
    _edit(eng, d["id"], [("AVG-1", 3)])
    _ship(eng, d["id"])
    _receive(eng, d["id"], [("AVG-1", 2)])
    with eng.connect() as conn:
        rows = audit.search(conn, entity_type="transfer_order", entity_id="TO-1")
    assert [r["action"] for r in reversed(rows)] == [
        "inventory.transfer_order.create",
        "inventory.transfer_order.update",
        "inventory.transfer_order.ship",
        "inventory.transfer_order.receive",
    ]
    assert rows[0]["after"]["lines"] == [
        {"sku": "AVG-1", "shipped": 3, "received": 2, "lost": 1, "loss_value_cents": 100}
    ]


def test_doctor_sees_stock_in_transit_that_no_order_explains(eng):
    receive(eng, "AVG-1", 10, 100)
    d = _create(eng, [("AVG-1", 2)])
    _ship(eng, d["id"])
    assert invariants(eng) == []
    with eng.begin() as conn:
        conn.execute(update(transfer_order_line).values(received=1))
    problems = invariants(eng)
    assert problems and "in transit" in problems[0]
    with eng.begin() as conn:
        conn.execute(update(transfer_order_line).values(received=0))


def test_refused_receive_leaves_goods_in_transit(eng):
    receive(eng, "AVG-1", 10, 100)
    d = _create(eng, [("AVG-1", 2)])
    _ship(eng, d["id"])
    before = snapshot(eng)
    with pytest.raises(AppError):
        _receive(eng, d["id"], [("AVG-1", 3)])
    assert snapshot(eng) == before
    assert _detail(eng, d["id"])["in_transit"] == 2


def test_goods_in_transit_are_never_low_stock(eng):
    from omnistock.catalog import service as catalog

    with uow(eng) as u:
        catalog.create_sku(
            u, code="SAFE-1", name="x", unit="件", price_cents=1, cost_method="average", safety_stock=50
        )
    receive(eng, "SAFE-1", 10, 100)
    _ship(eng, _create(eng, [("SAFE-1", 5)])["id"])
    with uow(eng) as u:
        low, _ = inventory.stock(u, low=True)
    assert [(r.warehouse, r.sku) for r in low] == [("WH-A", "SAFE-1")]


def test_concurrent_ships_and_receives_both_ways_never_deadlock_or_oversell(eng):
    """Threads ship and receive transfer orders in both directions over the same SKUs at once
    (lines listed in different orders): locks are taken in one order, so no deadlock; free stock
    is taken with a conditional UPDATE, so no oversell; the ledger stays whole."""
    import threading

    for wh in ("WH-A", "WH-B"):
        receive(eng, "AVG-1", 20, 100, wh=wh)
        receive(eng, "FIFO-1", 20, 100, wh=wh)
    ids = []
    for i in range(12):
        src, dst = ("WH-A", "WH-B") if i % 2 else ("WH-B", "WH-A")
        lines = [("AVG-1", 3), ("FIFO-1", 3)] if i % 3 else [("FIFO-1", 3), ("AVG-1", 3)]
        ids.append(_create(eng, lines, ref=f"TO-C{i}", src=src, dst=dst)["id"])
    barrier, errors, outcomes = threading.Barrier(4), [], []

    def work(mine):
        barrier.wait()
        for oid in mine:
            try:
                _ship(eng, oid)
                d = _detail(eng, oid)
                _receive(eng, oid, [("AVG-1", 3), ("FIFO-1", 2)] if oid % 2 else None)
                outcomes.append(("done", d["ref"]))
            except AppError as exc:
                outcomes.append((exc.code, oid))
            except Exception as exc:  # a deadlock or serialization failure is the bug
                errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(ids[i::4],)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert errors == []
    assert {code for code, _ in outcomes} <= {"done", "inventory.insufficient_stock"}
    done = [ref for code, ref in outcomes if code == "done"]
    assert done
    tt = totals(eng)
    lost = sum(1 for oid in ids if oid % 2 and _detail(eng, oid)["status"] == "done")
    assert tt["on_hand_total"] == 80 - lost
    assert tt["inventory_value"] == tt["received_value"] - tt["shrinkage"]
