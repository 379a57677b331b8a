"""Inventory through the services: exact costing, all-or-nothing documents, refused calls that
change nothing, back-dated receipts that re-value later moves, and the doctor's invariants."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from omnistock.inventory import service as inventory
from omnistock.inventory.models import cost_pool, stock_move
from omnistock.orders import service as orders
from omnistock.orders.models import sales_order
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
    ship,
    snapshot,
    totals,
    uow,
)


@pytest.fixture
def eng(engine):
    setup_master(engine)
    yield engine
    assert invariants(engine) == []


def refused(engine, code: str, fn, *args, **kwargs) -> AppError:
    """``fn`` raises AppError ``code`` and leaves the database exactly as it was."""
    before = snapshot(engine)
    with pytest.raises(AppError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value
    assert snapshot(engine) == before
    assert invariants(engine) == []
    return info.value


def moves_of(engine, kind: str) -> list:
    with engine.connect() as conn:
        return conn.execute(
            select(stock_move).where(stock_move.c.kind == kind).order_by(stock_move.c.id)
        ).all()


# -- receipts and shipments ---------------------------------------------------------------------


def test_average_receipt_then_ship_gives_exact_cogs(eng):
    receive(eng, "AVG-1", 10, 100, at=t(1))  # 10 @ 1.00 = 10.00
    receive(eng, "AVG-1", 5, 160, at=t(2))  # 5 @ 1.60 = 8.00 -> pool 15 / 18.00
    assert order(eng, "SO-1", [("AVG-1", 4, 250)], at=t(3)).status == "allocated"
    assert balance(eng, "AVG-1") == (15, 4)
    costs = ship(eng, "SO-1", at=t(4))
    assert [c.cost_cents for c in costs] == [480]  # 1800 * 4 / 15
    assert balance(eng, "AVG-1") == (11, 0)
    assert pool(eng, "AVG-1")["value_cents"] == 1320
    tt = totals(eng)
    assert (tt["received_value"], tt["cogs"], tt["inventory_value"]) == (1800, 480, 1320)
    with eng.connect() as conn:
        assert orders.totals(conn)["revenue"] == 1000
    # An outflow that is not a whole share rounds half up; the remainder stays in the pool.
    order(eng, "SO-2", [("AVG-1", 3, 100)])
    assert [c.cost_cents for c in ship(eng, "SO-2")] == [360]  # 1320 * 3 / 11 = 360
    order(eng, "SO-3", [("AVG-1", 8, 100)])
    assert [c.cost_cents for c in ship(eng, "SO-3")] == [960]  # everything left
    assert pool(eng, "AVG-1")["value_cents"] == 0


def test_fifo_receipt_then_ship_takes_oldest_layers(eng):
    receive(eng, "FIFO-1", 2, 100, at=t(1))
    receive(eng, "FIFO-1", 3, 200, wh="WH-B", at=t(2))  # pooled over warehouses
    receive(eng, "FIFO-1", 3, 333, at=t(3))  # 9.99
    assert pool(eng, "FIFO-1")["layers"] == [
        {"qty": 2, "value_cents": 200},
        {"qty": 3, "value_cents": 600},
        {"qty": 3, "value_cents": 999},
    ]
    order(eng, "SO-1", [("FIFO-1", 4, 500)], at=t(4))
    assert [c.cost_cents for c in ship(eng, "SO-1", at=t(5))] == [200 + 400]
    assert pool(eng, "FIFO-1")["layers"] == [{"qty": 1, "value_cents": 200}, {"qty": 3, "value_cents": 999}]
    order(eng, "SO-2", [("FIFO-1", 2, 500)], wh="WH-B", at=t(6))  # WH-A has 1 left
    assert [c.cost_cents for c in ship(eng, "SO-2", at=t(7))] == [200 + 333]
    tt = totals(eng)
    assert (tt["received_value"], tt["cogs"], tt["inventory_value"]) == (1799, 1133, 666)


def test_multi_line_order_ships_each_line_at_its_cost(eng):
    receive(eng, "AVG-1", 3, 100)
    receive(eng, "FIFO-1", 2, 50)
    order(eng, "SO-1", [("FIFO-1", 1, 100), ("AVG-1", 1, 100)])
    costs = ship(eng, "SO-1")
    assert [(c.line_no, c.cost_cents) for c in costs] == [(1, 50), (2, 100)]


# -- orders ---------------------------------------------------------------------------------------


def test_rejected_order_reserves_nothing_and_holds_its_ref(eng):
    receive(eng, "AVG-1", 2, 100)
    receive(eng, "FIFO-1", 5, 100)
    res = order(eng, "SO-1", [("FIFO-1", 1, 100), ("AVG-1", 3, 100)])
    assert res.status == "rejected"
    assert balance(eng, "AVG-1") == (2, 0)
    assert balance(eng, "FIFO-1") == (5, 0)  # the line that fitted was not kept either
    refused(eng, "orders.duplicate_ref", order, eng, "SO-1", [("AVG-1", 1, 100)])
    refused(eng, "orders.illegal_transition", ship, eng, "SO-1")


def _cancel(engine, ref):
    with uow(engine) as u:
        orders.cancel_order(u, ref=ref)


def test_cancel_releases_and_cancelled_cannot_ship(eng):
    receive(eng, "AVG-1", 5, 100)
    order(eng, "SO-1", [("AVG-1", 5, 100)])
    assert balance(eng, "AVG-1") == (5, 5)
    assert order(eng, "SO-2", [("AVG-1", 1, 100)]).status == "rejected"
    _cancel(eng, "SO-1")
    assert balance(eng, "AVG-1") == (5, 0)
    refused(eng, "orders.illegal_transition", ship, eng, "SO-1")
    refused(eng, "orders.illegal_transition", _cancel, eng, "SO-1")
    refused(eng, "orders.unknown_order", _cancel, eng, "SO-404")
    assert order(eng, "SO-3", [("AVG-1", 5, 100)]).status == "allocated"


def test_ship_twice_is_refused(eng):
    receive(eng, "AVG-1", 5, 100)
    order(eng, "SO-1", [("AVG-1", 2, 100)])
    ship(eng, "SO-1")
    refused(eng, "orders.illegal_transition", ship, eng, "SO-1")


def _return(engine, ref, lines, at=None):
    with uow(engine) as u:
        return orders.return_order(u, ref=ref, lines=[orders.ReturnLineIn(s, q) for s, q in lines], at=at)


def test_returns_give_back_exact_share_and_not_more_than_shipped(eng):
    receive(eng, "AVG-1", 3, 0)
    receive(eng, "AVG-1", 0 + 1, 100)  # pool 4 / 1.00
    order(eng, "SO-1", [("AVG-1", 3, 333)])  # revenue 9.99
    assert [c.cost_cents for c in ship(eng, "SO-1")] == [75]  # 100 * 3 / 4
    refused(eng, "orders.return_exceeds", _return, eng, "SO-1", [("AVG-1", 4)])
    refused(eng, "orders.sku_not_on_order", _return, eng, "SO-1", [("FIFO-1", 1)])
    r1 = _return(eng, "SO-1", [("AVG-1", 1)])
    assert r1["lines"][0]["cost_cents"] == 25 and r1["lines"][0]["revenue_cents"] == 333
    r2 = _return(eng, "SO-1", [("AVG-1", 2)])
    assert r2["lines"][0]["cost_cents"] == 50 and r2["lines"][0]["revenue_cents"] == 666
    refused(eng, "orders.return_exceeds", _return, eng, "SO-1", [("AVG-1", 1)])
    tt = totals(eng)
    assert (tt["cogs"], tt["inventory_value"], tt["on_hand_total"]) == (0, 100, 4)
    with eng.connect() as conn:
        assert orders.totals(conn)["revenue"] == 0


def test_return_of_unshipped_order_is_refused(eng):
    receive(eng, "AVG-1", 3, 100)
    order(eng, "SO-1", [("AVG-1", 1, 100)])
    refused(eng, "orders.not_shipped", _return, eng, "SO-1", [("AVG-1", 1)])


def test_fifo_return_becomes_newest_layer(eng):
    receive(eng, "FIFO-1", 2, 100)
    receive(eng, "FIFO-1", 2, 300)
    order(eng, "SO-1", [("FIFO-1", 3, 500)])
    assert [c.cost_cents for c in ship(eng, "SO-1")] == [500]
    _return(eng, "SO-1", [("FIFO-1", 2)])  # 500 * 2 / 3 = 333.33 -> 333
    assert pool(eng, "FIFO-1")["layers"] == [{"qty": 1, "value_cents": 300}, {"qty": 2, "value_cents": 333}]


# -- transfers ------------------------------------------------------------------------------------


def _transfer(engine, ref, lines, src="WH-A", dst="WH-B"):
    with uow(engine) as u:
        return inventory.transfer(
            u,
            ref=ref,
            from_warehouse=src,
            to_warehouse=dst,
            lines=[inventory.QtyLine(s, q) for s, q in lines],
        )


def test_transfer_moves_quantity_not_value(eng):
    receive(eng, "AVG-1", 5, 100)
    receive(eng, "FIFO-1", 5, 100)
    before = totals(eng)
    res = _transfer(eng, "TR-1", [("FIFO-1", 2), ("AVG-1", 3)])
    assert res.status == "done"
    assert balance(eng, "AVG-1", "WH-A") == (2, 0) and balance(eng, "AVG-1", "WH-B") == (3, 0)
    assert balance(eng, "FIFO-1", "WH-A") == (3, 0) and balance(eng, "FIFO-1", "WH-B") == (2, 0)
    after = totals(eng)
    assert after["inventory_value"] == before["inventory_value"] == 1000
    assert after["transfers"] == 1


def test_short_transfer_is_rejected_whole_and_holds_its_ref(eng):
    receive(eng, "AVG-1", 5, 100)
    receive(eng, "FIFO-1", 1, 100)
    order(eng, "SO-1", [("AVG-1", 4, 100)])  # only 1 AVG-1 free
    before = snapshot(eng)
    res = _transfer(eng, "TR-1", [("AVG-1", 1), ("FIFO-1", 2)])
    assert res.status == "rejected" and res.rejection["sku"] == "FIFO-1"
    after = snapshot(eng)
    assert after["balances"] == before["balances"] and after["pools"] == before["pools"]
    assert after["counts"]["stock_move"] == before["counts"]["stock_move"]
    assert after["totals"]["transfers_rejected"] == 1 and after["totals"]["transfers"] == 0
    res = _transfer(eng, "TR-2", [("AVG-1", 2)])  # 2 > 1 free (reserved stock is not free)
    assert res.status == "rejected"
    refused(eng, "inventory.duplicate_ref", _transfer, eng, "TR-1", [("AVG-1", 1)])
    assert _transfer(eng, "TR-3", [("AVG-1", 1)]).status == "done"


def test_transfer_to_same_warehouse_is_refused(eng):
    receive(eng, "AVG-1", 5, 100)
    refused(eng, "inventory.same_warehouse", _transfer, eng, "TR-1", [("AVG-1", 1)], "WH-A", "WH-A")
    refused(eng, "inventory.unknown_warehouse", _transfer, eng, "TR-1", [("AVG-1", 1)], "WH-A", "WH-X")
    refused(eng, "inventory.duplicate_sku_line", _transfer, eng, "TR-1", [("AVG-1", 1), ("AVG-1", 1)])


# -- counts and adjustments -------------------------------------------------------------------------


def _count(engine, ref, lines, wh="WH-A", at=None):
    with uow(engine) as u:
        return inventory.count(
            u, ref=ref, warehouse=wh, lines=[inventory.CountLine(s, c) for s, c in lines], at=at
        )


def test_count_loss_and_gain_are_valued_per_rules_average(eng):
    receive(eng, "AVG-1", 10, 100)
    receive(eng, "AVG-1", 5, 160)  # 15 / 1800
    res = _count(eng, "CNT-1", [("AVG-1", 12)])
    assert res.lines[0]["difference"] == -3 and res.lines[0]["value_cents"] == -360
    res = _count(eng, "CNT-2", [("AVG-1", 14)])  # gain 2 at 1440 / 12
    assert res.lines[0]["value_cents"] == 240
    tt = totals(eng)
    assert tt["shrinkage"] == 120 and tt["inventory_value"] == 1680 and tt["counts"] == 2
    res = _count(eng, "CNT-3", [("AVG-1", 14)])  # no difference: no move, still a count
    assert res.lines[0]["difference"] == 0
    assert totals(eng)["counts"] == 3


def test_count_gain_fifo_uses_newest_layer_and_last_receipt_cost_when_empty(eng):
    receive(eng, "FIFO-1", 2, 100)
    receive(eng, "FIFO-1", 3, 700)  # newest 3 / 21.00
    res = _count(eng, "CNT-1", [("FIFO-1", 6)])  # +1 at 7.00
    assert res.lines[0]["value_cents"] == 700
    res = _count(eng, "CNT-2", [("FIFO-1", 0)])  # loss of everything: 200 + 2100 + 700
    assert res.lines[0]["value_cents"] == -3000
    res = _count(eng, "CNT-3", [("FIFO-1", 2)])  # no stock at all: last receipt unit cost 7.00
    assert res.lines[0]["value_cents"] == 1400
    # A count gain of a SKU never received is worth 0.
    res = _count(eng, "CNT-4", [("AVG-1", 3)], wh="WH-B")
    assert res.lines[0]["value_cents"] == 0
    tt = totals(eng)
    assert tt["shrinkage"] == -700 + 3000 - 1400 and tt["inventory_value"] == 1400


def test_count_below_reserved_is_refused(eng):
    receive(eng, "AVG-1", 10, 100)
    order(eng, "SO-1", [("AVG-1", 5, 100)])
    refused(eng, "inventory.count_below_reserved", _count, eng, "CNT-1", [("AVG-1", 4)])
    assert _count(eng, "CNT-1", [("AVG-1", 5)]).status == "done"
    refused(eng, "inventory.duplicate_ref", _count, eng, "CNT-1", [("AVG-1", 5)])


def _adjust(engine, ref, lines, reason="damaged", wh="WH-A"):
    with uow(engine) as u:
        return inventory.adjust(
            u, ref=ref, warehouse=wh, reason=reason, lines=[inventory.AdjustLine(*ln) for ln in lines]
        )


def test_adjustments(eng):
    receive(eng, "AVG-1", 10, 100)
    order(eng, "SO-1", [("AVG-1", 6, 100)])
    refused(eng, "inventory.insufficient_stock", _adjust, eng, "ADJ-1", [("AVG-1", -5)])
    refused(eng, "inventory.bad_reason", _adjust, eng, "ADJ-1", [("AVG-1", -1)], "stolen")
    refused(eng, "inventory.bad_quantity", _adjust, eng, "ADJ-1", [("AVG-1", 0)])
    res = _adjust(eng, "ADJ-1", [("AVG-1", -4)])
    assert res.lines[0]["value_cents"] == -400
    res = _adjust(eng, "ADJ-2", [("AVG-1", 2, 250), ("FIFO-1", 1)], reason="found")
    assert [ln["value_cents"] for ln in res.lines] == [500, 0]
    assert totals(eng)["shrinkage"] == 400 - 500


def test_receipt_input_errors_change_nothing(eng):
    def rec(ref, lines, wh="WH-A"):
        with uow(eng) as u:
            return inventory.receive(
                u, ref=ref, warehouse=wh, lines=[inventory.ReceiptLine(*x) for x in lines]
            )

    rec("RC-1", [("AVG-1", 1, 100)])
    refused(eng, "inventory.duplicate_ref", rec, "RC-1", [("AVG-1", 1, 100)])
    refused(eng, "catalog.unknown_sku", rec, "RC-2", [("NOPE", 1, 100)])
    refused(eng, "inventory.bad_quantity", rec, "RC-2", [("AVG-1", 0, 100)])
    refused(eng, "inventory.bad_quantity", rec, "RC-2", [("AVG-1", True, 100)])
    refused(eng, "inventory.bad_cost", rec, "RC-2", [("AVG-1", 1, -1)])
    refused(eng, "inventory.no_lines", rec, "RC-2", [])
    refused(eng, "inventory.unknown_warehouse", rec, "RC-2", [("AVG-1", 1, 100)], "WH-Z")


# -- back-dated receipts ------------------------------------------------------------------------------


def _ship_move(engine, ref):
    (row,) = [m for m in moves_of(engine, "shipment") if m.ref == ref]
    return row


def _pool_row(engine, sku_code):
    from omnistock.catalog.models import sku

    with engine.connect() as conn:
        sid = conn.execute(select(sku.c.id).where(sku.c.code == sku_code)).scalar_one()
        return conn.execute(select(cost_pool).where(cost_pool.c.sku_id == sid)).one()


def test_backdated_receipt_revalues_later_shipment_average(eng):
    receive(eng, "AVG-1", 10, 100, at=t(1))
    order(eng, "SO-1", [("AVG-1", 5, 300)], at=t(2.5))
    assert [c.cost_cents for c in ship(eng, "SO-1", at=t(3))] == [500]
    receive(eng, "AVG-1", 10, 200, at=t(2))  # back-dated: pool at t2 is 20 / 30.00
    mv = _ship_move(eng, "SO-1")
    assert mv.value_cents == -750 and (mv.pool_qty, mv.pool_value) == (15, 2250)
    p = _pool_row(eng, "AVG-1")
    assert (p.qty, p.value_cents) == (15, 2250)
    tt = totals(eng)
    assert (tt["received_value"], tt["cogs"], tt["inventory_value"]) == (3000, 750, 2250)
    # Later moves are valued from the re-valued pool.
    order(eng, "SO-2", [("AVG-1", 3, 300)], at=t(4))
    assert [c.cost_cents for c in ship(eng, "SO-2", at=t(5))] == [450]


def test_backdated_receipt_revalues_later_shipment_fifo(eng):
    receive(eng, "FIFO-1", 4, 100, at=t(1))
    order(eng, "SO-1", [("FIFO-1", 3, 300)], at=t(2))
    assert [c.cost_cents for c in ship(eng, "SO-1", at=t(3))] == [300]
    receive(eng, "FIFO-1", 2, 500, at=t(2))  # between: a newer layer, shipment still takes the oldest
    mv = _ship_move(eng, "SO-1")
    assert mv.value_cents == -300 and mv.layers == [[1, 100], [2, 1000]]
    receive(eng, "FIFO-1", 2, 700, at=t(0))  # before everything: now the oldest layer
    mv = _ship_move(eng, "SO-1")
    assert mv.value_cents == -(1400 + 100)  # 2 @ 7.00 then 1 @ 1.00
    assert mv.layers == [[3, 300], [2, 1000]]
    p = _pool_row(eng, "FIFO-1")
    assert (p.qty, p.value_cents, p.layers) == (5, 1300, [[3, 300], [2, 1000]])
    tt = totals(eng)
    assert (tt["received_value"], tt["cogs"], tt["inventory_value"]) == (2800, 1500, 1300)


def test_backdated_receipt_revalues_return_after_ship(eng):
    receive(eng, "AVG-1", 10, 100, at=t(1))
    order(eng, "SO-1", [("AVG-1", 5, 300)], at=t(2.5))
    ship(eng, "SO-1", at=t(3))  # 500
    r = _return(eng, "SO-1", [("AVG-1", 2)], at=t(4))
    assert r["lines"][0]["cost_cents"] == 200
    receive(eng, "AVG-1", 10, 200, at=t(2))
    assert _ship_move(eng, "SO-1").value_cents == -750
    (ret,) = moves_of(eng, "return")
    assert ret.value_cents == 300  # 750 * 2 / 5
    assert (ret.pool_qty, ret.pool_value) == (17, 2550)
    p = _pool_row(eng, "AVG-1")
    assert (p.qty, p.value_cents) == (17, 2550)
    tt = totals(eng)
    assert (tt["cogs"], tt["inventory_value"]) == (450, 2550)
    # The rest of the line gives back exactly the rest of its re-valued cost.
    r = _return(eng, "SO-1", [("AVG-1", 3)], at=t(5))
    assert r["lines"][0]["cost_cents"] == 450
    assert totals(eng)["cogs"] == 0


def test_backdated_receipt_revalues_fifo_return(eng):
    receive(eng, "FIFO-1", 4, 100, at=t(1))
    order(eng, "SO-1", [("FIFO-1", 3, 300)], at=t(2))
    ship(eng, "SO-1", at=t(3))  # 300
    _return(eng, "SO-1", [("FIFO-1", 1)], at=t(4))  # 100, newest layer
    receive(eng, "FIFO-1", 2, 700, at=t(0))  # ship now 1400 + 100 = 1500
    assert _ship_move(eng, "SO-1").value_cents == -1500
    (ret,) = moves_of(eng, "return")
    assert ret.value_cents == 500  # 1500 * 1 / 3
    p = _pool_row(eng, "FIFO-1")
    assert (p.qty, p.value_cents, p.layers) == (4, 800, [[3, 300], [1, 500]])


def test_backdated_receipt_revalues_later_count(eng):
    receive(eng, "AVG-1", 10, 100, at=t(1))
    res = _count(eng, "CNT-1", [("AVG-1", 8)], at=t(3))  # loss 2 at 1.00
    assert res.lines[0]["value_cents"] == -200
    receive(eng, "AVG-1", 10, 200, at=t(2))  # pool at t2 20 / 30.00 -> loss 2 = 300
    (loss,) = moves_of(eng, "count_loss")
    assert loss.value_cents == -300
    tt = totals(eng)
    assert (tt["shrinkage"], tt["inventory_value"]) == (300, 2700)


def test_backdated_receipt_keeps_the_order_lines_cost_of_goods_consistent(eng):
    """The order line's net cost of goods is read from the ledger, so a back-dated receipt that
    re-values its shipment and return changes it too (no stale copy elsewhere)."""
    receive(eng, "AVG-1", 10, 100, at=t(1))
    order(eng, "SO-1", [("AVG-1", 5, 300)], at=t(2.5))
    ship(eng, "SO-1", at=t(3))
    _return(eng, "SO-1", [("AVG-1", 2)], at=t(4))
    receive(eng, "AVG-1", 10, 200, at=t(2))  # pool at t3: 20 pieces worth 3000 -> 5 cost 750
    (ret,) = moves_of(eng, "return")
    assert ret.value_cents == 300  # 2 of the line's remaining 5 worth 750
    with UnitOfWork(eng, Actor.system()) as uow:
        (order_id,) = uow.conn.execute(select(sales_order.c.id)).one()
        assert inventory.line_costs(uow, doc_type="sales_order", doc_ids=[order_id]) == {(order_id, 1): 450}
