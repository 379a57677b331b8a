"""Purchasing use cases on the real database: the order flow with approval, receiving at the
order price plus landed costs, tolerance, quality hold, supplier returns, bills and the
replenishment workbench. A refused command changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.platform.auth import Actor
from omnistock.platform.errors import AppError, Conflict, Forbidden, Invalid
from omnistock.purchasing import rules
from omnistock.purchasing import service as purchasing
from omnistock.purchasing.service import ReceiveLineIn
from tests.inventory.helpers import balance, invariants, pool, snapshot
from tests.purchasing.helpers import BOSS, BUYER, CLERK, approved_order, setup, uow


@pytest.fixture
def db(engine):
    setup(engine)
    return engine


def receive(engine, po_id, lines, actor=CLERK, **kw):
    with uow(engine, actor) as u:
        return purchasing.receive_order(u, po_id, lines=lines, **kw)


def test_order_flow_draft_to_closed(db):
    with uow(db, BUYER) as u:
        po = purchasing.create_order(
            u, supplier_code="SUP-1", warehouse="WH-A", lines=[purchasing.OrderLineIn("STD-1", 20)]
        )
        assert po["status"] == rules.DRAFT
        assert po["lines"][0]["price_cents"] == 1000  # the supplier's price
        assert po["total_cents"] == 20_000
        assert purchasing.submit_order(u, po["id"])["status"] == rules.SUBMITTED
    with uow(db, BOSS) as u:
        assert purchasing.approve_order(u, po["id"])["approved_by"] == "boss"
    with uow(db, BUYER) as u:
        assert purchasing.send_order(u, po["id"])["status"] == rules.SENT
    out = receive(db, po["id"], [ReceiveLineIn("STD-1", 12)])
    assert out["order_status"] == rules.PARTIAL
    out = receive(db, po["id"], [ReceiveLineIn("6900001", 8)])  # scanned by barcode
    assert out["order_status"] == rules.RECEIVED
    assert balance(db, "STD-1") == (20, 0)
    assert pool(db, "STD-1")["value_cents"] == 20_000  # valued at the order price
    with uow(db, BUYER) as u:
        assert purchasing.close_order(u, po["id"])["status"] == rules.CLOSED
        history = purchasing.price_history(u, sku="STD-1", supplier_code="SUP-1")
    assert [h["source"] for h in history] == ["order", "quote"]
    assert invariants(db) == []


def test_approving_your_own_order_needs_the_right(db):
    creator = Actor(None, "boss", BOSS.permissions)
    with uow(db, creator) as u:
        po = purchasing.create_order(
            u, supplier_code="SUP-1", warehouse="WH-A", lines=[purchasing.OrderLineIn("STD-1", 10)]
        )
        purchasing.submit_order(u, po["id"])
    before = snapshot(db)
    with pytest.raises(Forbidden) as e, uow(db, creator) as u:
        purchasing.approve_order(u, po["id"])
    assert e.value.code == "purchasing.approve_own"
    assert snapshot(db) == before
    own = Actor(None, "boss", BOSS.permissions | {rules.APPROVE_OWN})
    with uow(db, own) as u:
        assert purchasing.approve_order(u, po["id"])["status"] == rules.APPROVED


def test_amount_thresholds_pick_the_approver(db):
    with uow(db) as u:
        purchasing.update_settings(
            u, {"approval_thresholds": [[0, rules.APPROVE], [10_000, rules.APPROVE_LARGE]]}
        )
    small_approver = Actor(None, "li", frozenset({rules.APPROVE}))
    with uow(db, BUYER) as u:
        po = purchasing.create_order(
            u, supplier_code="SUP-1", warehouse="WH-A", lines=[purchasing.OrderLineIn("STD-1", 20)]
        )
        assert po["approval_permission"] == rules.APPROVE_LARGE
        purchasing.submit_order(u, po["id"])
    with pytest.raises(Forbidden), uow(db, small_approver) as u:
        purchasing.approve_order(u, po["id"])
    with uow(db, BOSS) as u:
        assert purchasing.reject_order(u, po["id"])["status"] == rules.DRAFT


def test_buyer_cannot_approve(db):
    with uow(db, BUYER) as u:
        po = purchasing.create_order(
            u, supplier_code="SUP-1", warehouse="WH-A", lines=[purchasing.OrderLineIn("STD-1", 1)]
        )
        purchasing.submit_order(u, po["id"])
    with pytest.raises(Forbidden), uow(db, Actor(None, "other", BUYER.permissions)) as u:
        purchasing.approve_order(u, po["id"])


def test_illegal_transitions_change_nothing(db):
    po_id = approved_order(db, [("STD-1", 10)])
    receive(db, po_id, [ReceiveLineIn("STD-1", 10)])
    with uow(db, BUYER) as u:
        purchasing.close_order(u, po_id)
    before = snapshot(db)
    for action in (purchasing.submit_order, purchasing.cancel_order, purchasing.send_order):
        with pytest.raises(Conflict) as e, uow(db, BOSS) as u:
            action(u, po_id)
        assert e.value.code == "purchasing.illegal_transition"
    with pytest.raises(Conflict) as e:
        receive(db, po_id, [ReceiveLineIn("STD-1", 1)])
    assert e.value.code == "purchasing.illegal_transition"
    assert "已关闭" in e.value.zh
    assert snapshot(db) == before


def test_receipt_above_tolerance_is_refused_and_changes_nothing(db):
    po_id = approved_order(db, [("STD-1", 100)])  # SUP-1 allows 10 %
    receive(db, po_id, [ReceiveLineIn("STD-1", 95)])
    before = snapshot(db)
    with pytest.raises(Conflict) as e:
        receive(db, po_id, [ReceiveLineIn("STD-1", 16)])
    assert e.value.code == "purchasing.over_tolerance"
    assert snapshot(db) == before
    out = receive(db, po_id, [ReceiveLineIn("STD-1", 15)])  # exactly 110
    assert out["order_status"] == rules.RECEIVED
    assert balance(db, "STD-1") == (110, 0)


def test_unknown_barcode_and_sku_not_on_order(db):
    po_id = approved_order(db, [("STD-1", 10)])
    before = snapshot(db)
    with pytest.raises(AppError) as e:
        receive(db, po_id, [ReceiveLineIn("9999999", 1)])
    assert e.value.code == "catalog.unknown_code"
    with pytest.raises(Invalid) as e:
        receive(db, po_id, [ReceiveLineIn("STD-2", 1)])
    assert e.value.code == "purchasing.not_on_order"
    assert snapshot(db) == before


def test_batch_serial_and_their_bad_input(db):
    po_id = approved_order(db, [("BAT-1", 10), ("SER-1", 2)])
    before = snapshot(db)
    with pytest.raises(Invalid):  # expiry before production
        receive(
            db,
            po_id,
            [ReceiveLineIn("BAT-1", 5, "L1", dt.date(2026, 5, 1), dt.date(2026, 4, 1))],
        )
    with pytest.raises(Invalid):  # the same serial twice
        receive(db, po_id, [ReceiveLineIn("SER-1", 2, serials=("SN-1", "SN-1"))])
    assert snapshot(db) == before
    receive(
        db,
        po_id,
        [
            ReceiveLineIn("BAT-1", 10, "L1", dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
            ReceiveLineIn("SER-1", 2, serials=("SN-1", "SN-2")),
        ],
    )
    po2 = approved_order(db, [("SER-1", 1)])
    with pytest.raises(Conflict) as e:  # a serial already in stock
        receive(db, po2, [ReceiveLineIn("SER-1", 1, serials=("SN-2",))])
    assert e.value.code == "inventory.serial_in_stock"
    assert balance(db, "SER-1") == (2, 0)
    assert invariants(db) == []


def test_landed_costs_are_allocated_into_the_stock_value(db):
    po_id = approved_order(db, [("STD-1", 10), ("STD-2", 30)])  # goods 10,000 + 15,000
    out = receive(
        db,
        po_id,
        [ReceiveLineIn("STD-1", 10), ReceiveLineIn("STD-2", 30)],
        freight_cents=1001,
        duty_cents=0,
        allocation="value",
    )
    landed = [ln["landed_cents"] for ln in out["lines"]]
    assert sum(landed) == 1001 and landed == [400, 601]
    assert pool(db, "STD-1")["value_cents"] == 10_400
    assert pool(db, "STD-2")["value_cents"] == 15_601
    assert invariants(db) == []


def test_quality_hold_is_on_hand_not_available_until_released(db):
    po_id = approved_order(db, [("STD-1", 10)])
    out = receive(db, po_id, [ReceiveLineIn("STD-1", 10, hold=True)])
    line_id = out["lines"][0]["id"]
    with uow(db, BOSS) as u:
        holds = purchasing.list_holds(u)
    assert [(h["id"], h["qty"]) for h in holds] == [(line_id, 10)]
    assert balance(db, "STD-1") == (10, 10)  # on hand, all of it held
    with uow(db, CLERK) as u:
        purchasing.release_hold(u, line_id)
    assert balance(db, "STD-1") == (10, 0)
    with pytest.raises(Conflict) as e, uow(db, CLERK) as u:
        purchasing.release_hold(u, line_id)
    assert e.value.code == "purchasing.not_on_hold"
    assert invariants(db) == []


def test_rejected_hold_goes_back_to_the_supplier_at_cost(db):
    po_id = approved_order(db, [("BAT-1", 10)])
    receive(
        db,
        po_id,
        [
            ReceiveLineIn("BAT-1", 4, "OK1", dt.date(2026, 1, 1)),
            ReceiveLineIn("BAT-1", 6, "BAD1", dt.date(2026, 1, 1), hold=True),
        ],
    )
    with uow(db, BOSS) as u:
        held = purchasing.list_holds(u)[0]
    assert held["lot_no"] == "BAD1"
    with uow(db, CLERK) as u:
        out = purchasing.reject_hold(u, held["id"], reason="破损")
    assert out["return"]["value_cents"] == 6 * 2000
    assert balance(db, "BAT-1") == (4, 0)
    with uow(db, BOSS) as u:
        acc = purchasing.accruals(u)
        order = purchasing.order_detail(u, po_id)
    assert acc[0]["received"] == 4 and acc[0]["accrued_cents"] == 4 * 2000
    assert order["lines"][0]["received"] == 4
    assert invariants(db) == []


def test_supplier_return_takes_stock_out_at_cost(db):
    po_id = approved_order(db, [("STD-1", 10)])
    receive(db, po_id, [ReceiveLineIn("STD-1", 10)])
    before = snapshot(db)
    with pytest.raises(Conflict), uow(db, BUYER) as u:
        purchasing.return_to_supplier(
            u, supplier_code="SUP-1", warehouse="WH-A", lines=[purchasing.ReturnLineIn("STD-1", 11)]
        )
    assert snapshot(db) == before
    with uow(db, BUYER) as u:
        out = purchasing.return_to_supplier(
            u,
            supplier_code="SUP-1",
            warehouse="WH-A",
            lines=[purchasing.ReturnLineIn("STD-1", 3)],
            order_id=po_id,
        )
    assert out["value_cents"] == 3000
    assert balance(db, "STD-1") == (7, 0)
    assert invariants(db) == []


def test_bills_are_matched_three_ways(db):
    po_id = approved_order(db, [("STD-1", 10), ("STD-2", 4)])
    receive(db, po_id, [ReceiveLineIn("STD-1", 10), ReceiveLineIn("STD-2", 4)])
    with uow(db, BUYER) as u:
        bill = purchasing.create_bill(
            u,
            supplier_code="SUP-1",
            bill_no="INV-1",
            order_id=po_id,
            lines=[purchasing.BillLineIn(1, 10, 1000), purchasing.BillLineIn(2, 5, 520)],
        )
    assert bill["status"] == rules.DIFFERENCE
    assert bill["lines"][0]["flags"] == []
    assert bill["lines"][1]["flags"] == ["price", "qty"]
    assert (bill["lines"][1]["price_diff_cents"], bill["lines"][1]["qty_diff"]) == (20, 1)
    with pytest.raises(Forbidden), uow(db, BUYER) as u:
        purchasing.approve_bill(u, bill["id"])
    with uow(db, BOSS) as u:
        assert purchasing.approve_bill(u, bill["id"])["status"] == rules.BILL_APPROVED
    with pytest.raises(Conflict), uow(db, BUYER) as u:
        purchasing.create_bill(
            u,
            supplier_code="SUP-1",
            bill_no="INV-1",
            order_id=po_id,
            lines=[purchasing.BillLineIn(1, 1, 1000)],
        )


def test_replenishment_suggests_and_creates_draft_orders(db):
    # 60 days of selling 3 a day of STD-1 at WH-A, 10 on hand: it is due.
    from omnistock.orders import service as orders

    with uow(db) as u:
        inventory.receive(
            u,
            ref="OPEN",
            warehouse="WH-A",
            lines=[inventory.ReceiptLine("STD-1", 190, 900)],
            at=dt.datetime(2026, 1, 1),
        )
        orders.create_channel(u, code="CH", name="渠道")
        orders.create_customer(u, code="C", name="客户")
    today = dt.date(2026, 3, 3)
    for i in range(60):
        day = dt.datetime.combine(today - dt.timedelta(days=60 - i), dt.time(10))
        with uow(db) as u:
            orders.place_order(
                u,
                ref=f"SO{i}",
                channel_code="CH",
                customer_code="C",
                warehouse="WH-A",
                lines=[orders.OrderLineIn("STD-1", 3, 1999)],
                at=day,
            )
            orders.ship_order(u, ref=f"SO{i}", at=day)
    with uow(db, BOSS) as u:
        out = purchasing.replenishment(u, today=today)
    row = next(r for r in out["rows"] if r["sku"] == "STD-1" and r["warehouse"] == "WH-A")
    assert row["on_hand"] == 10 and row["daily_demand"] == pytest.approx(3.0)
    assert row["supplier"] == "SUP-1"  # preferred over the cheaper SUP-2
    assert row["lead_time_days"] == 5
    assert row["reorder_point"] == 15 and row["urgency"] == "critical"
    # order up to 3·(5 + 30) = 105 → 95, in packs of 5 (MOQ 10): 95
    assert row["suggested_qty"] == 95
    with uow(db, BUYER) as u:
        made = purchasing.create_draft_orders(
            u, [purchasing.Pick("WH-A", "STD-1", 95), purchasing.Pick("WH-B", "STD-1", 10)]
        )
    assert len(made) == 2 and {m["warehouse"] for m in made} == {"WH-A", "WH-B"}
    assert all(m["status"] == rules.DRAFT and m["source"] == "replenishment" for m in made)
    # a submitted order counts in the position: nothing more to order
    with uow(db, BUYER) as u:
        purchasing.submit_order(u, made[0]["id"])
    with uow(db, BOSS) as u:
        row = next(
            r
            for r in purchasing.replenishment(u, today=today)["rows"]
            if r["sku"] == "STD-1" and r["warehouse"] == "WH-A"
        )
    assert row["open_po"] == 95 and row["suggested_qty"] == 0


def test_stock_health_lists_slow_movers(db):
    with uow(db) as u:
        inventory.receive(u, ref="OLD", warehouse="WH-B", lines=[inventory.ReceiptLine("STD-2", 50, 100)])
    with uow(db, BOSS) as u:
        rows = purchasing.stock_health(u)
    assert [(r["sku"], r["warehouse"], r["kind"]) for r in rows] == [("STD-2", "WH-B", "slow_moving")]


def test_requests_become_draft_orders_once(db):
    with uow(db, CLERK) as u:
        a = purchasing.create_request(u, warehouse="WH-A", sku="STD-1", qty=30, reason="门店补货")
        b = purchasing.create_request(u, warehouse="WH-A", sku="STD-1", qty=5)
        c = purchasing.create_request(u, warehouse="WH-A", sku="STD-2", qty=8)
        d = purchasing.create_request(u, warehouse="WH-B", sku="STD-1", qty=1)
    with uow(db, BUYER) as u:
        purchasing.reject_request(u, d["id"])
    before = snapshot(db)
    with pytest.raises(Conflict) as e, uow(db, BUYER) as u:
        purchasing.order_requests(u, [a["id"], d["id"]])  # d was rejected: nothing happens
    assert e.value.code == "purchasing.request_not_open"
    assert snapshot(db) == before
    with uow(db, BUYER) as u:
        made = purchasing.order_requests(u, [a["id"], b["id"], c["id"]])
    assert len(made) == 1 and made[0]["supplier"] == "SUP-1" and made[0]["source"] == "request"
    assert [(ln["sku"], ln["qty"]) for ln in made[0]["lines"]] == [("STD-1", 35), ("STD-2", 8)]
    with uow(db, BOSS) as u:
        rows = {r["id"]: r for r in purchasing.list_requests(u)}
    assert rows[a["id"]]["status"] == "ordered" and rows[a["id"]]["order"] == made[0]["ref"]
    assert rows[d["id"]]["status"] == "rejected"
    with pytest.raises(Conflict), uow(db, BUYER) as u:
        purchasing.order_requests(u, [a["id"]])


def test_only_drafts_are_edited(db):
    po_id = approved_order(db, [("STD-1", 10)])
    before = snapshot(db)
    with pytest.raises(Conflict) as e, uow(db, BUYER) as u:
        purchasing.update_order(u, po_id, lines=[purchasing.OrderLineIn("STD-1", 99)])
    assert e.value.code == "purchasing.not_draft"
    assert snapshot(db) == before
    with uow(db, BUYER) as u:
        po = purchasing.create_order(
            u, supplier_code="SUP-1", warehouse="WH-A", lines=[purchasing.OrderLineIn("STD-1", 1)]
        )
        out = purchasing.update_order(
            u, po["id"], lines=[purchasing.OrderLineIn("STD-2", 4, 480)], note="改单"
        )
    assert [(ln["sku"], ln["qty"], ln["price_cents"]) for ln in out["lines"]] == [("STD-2", 4, 480)]
    assert out["total_cents"] == 1920 and out["note"] == "改单"


def test_rejecting_held_serials_returns_the_units_received(db):
    po_id = approved_order(db, [("SER-1", 2)])
    out = receive(db, po_id, [ReceiveLineIn("SER-1", 2, serials=("SN-A", "SN-B"), hold=True)])
    with uow(db, CLERK) as u:
        rejected = purchasing.reject_hold(u, out["lines"][0]["id"])
    assert rejected["return"]["value_cents"] == 2 * 50000
    assert balance(db, "SER-1") == (0, 0)
    with uow(db) as u:
        assert [s["status"] for s in inventory.list_serials(u, sku="SER-1")] == ["shipped", "shipped"]
    assert invariants(db) == []


def _serial_states(db) -> dict[str, tuple[str, str | None]]:
    with uow(db) as u:
        return {s["serial_no"]: (s["status"], s["hold_ref"]) for s in inventory.list_serials(u, sku="SER-1")}


def _ship_serial(db, doc_id: int, serial: str) -> None:
    """What shipping a sales order does: reserve the line, ship it with the unit scanned."""
    with uow(db) as u:
        sku = catalog.resolve_code(u, "SER-1")
        wh = inventory.warehouse_ref(u, "WH-A")
        assert (
            inventory.reserve(
                u,
                doc_type="sales_order",
                doc_id=doc_id,
                warehouse_id=wh.id,
                lines=[inventory.DocLine(1, sku, 1)],
            )
            is None
        )
        inventory.ship_reserved(
            u, doc_type="sales_order", doc_id=doc_id, ref=f"SO-{doc_id}", serials={1: [serial]}
        )


def test_held_serial_units_cannot_leave_stock_until_released(db):
    po_id = approved_order(db, [("SER-1", 3)])
    out = receive(db, po_id, [ReceiveLineIn("SER-1", 2, serials=("SN-H1", "SN-H2"), hold=True)])
    receive(db, po_id, [ReceiveLineIn("SER-1", 1, serials=("SN-F",))])
    held_line = out["lines"][0]["id"]
    holder = f"purchase_hold:{held_line}"
    assert _serial_states(db) == {
        "SN-F": ("in_stock", None),
        "SN-H1": ("in_stock", holder),
        "SN-H2": ("in_stock", holder),
    }
    with uow(db) as u:
        assert inventory.serial_trace(u, "SN-H1")[0]["hold_ref"] == holder
    before = snapshot(db)
    attempts = [
        lambda: _ship_serial(db, 9001, "SN-H1"),
        lambda: _transfer(db, "SN-H1"),
        lambda: _adjust_out(db, "SN-H2"),
        lambda: _return(db, "SN-H2"),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as e:
            attempt()
        assert e.value.code == "inventory.serial_on_hold"
    assert snapshot(db) == before
    _ship_serial(db, 9002, "SN-F")  # the unit not on hold ships
    with uow(db, CLERK) as u:
        purchasing.release_hold(u, held_line)
    assert _serial_states(db)["SN-H1"] == ("in_stock", None)
    _ship_serial(db, 9003, "SN-H1")
    _transfer(db, "SN-H2")
    assert _serial_states(db) == {
        "SN-F": ("shipped", None),
        "SN-H1": ("shipped", None),
        "SN-H2": ("in_stock", None),
    }
    assert invariants(db) == []


def _transfer(db, serial: str) -> None:
    with uow(db) as u:
        inventory.transfer(
            u,
            ref=None,
            from_warehouse="WH-A",
            to_warehouse="WH-B",
            lines=[inventory.QtyLine("SER-1", 1, serials=(serial,))],
        )


def _adjust_out(db, serial: str) -> None:
    with uow(db) as u:
        inventory.adjust(
            u,
            ref=None,
            warehouse="WH-A",
            reason="damaged",
            lines=[inventory.AdjustLine("SER-1", -1, serials=(serial,))],
        )


def _return(db, serial: str) -> None:
    with uow(db, BUYER) as u:
        purchasing.return_to_supplier(
            u,
            supplier_code="SUP-1",
            warehouse="WH-A",
            lines=[purchasing.ReturnLineIn("SER-1", 1, serials=(serial,))],
        )


def test_rejected_held_serials_leave_with_the_supplier_return(db):
    po_id = approved_order(db, [("SER-1", 2)])
    out = receive(db, po_id, [ReceiveLineIn("SER-1", 2, serials=("SN-R1", "SN-R2"), hold=True)])
    with uow(db, CLERK) as u:
        rejected = purchasing.reject_hold(u, out["lines"][0]["id"], reason="外观划伤")
    assert _serial_states(db) == {"SN-R1": ("shipped", None), "SN-R2": ("shipped", None)}
    with uow(db, BOSS) as u:
        (ret,) = purchasing.list_returns(u, order_id=po_id)[0]
    assert ret["ref"] == rejected["return"]["ref"] and ret["lines"][0]["qty"] == 2
    assert invariants(db) == []
