"""Changing what an unshipped order sells: amounts follow, stock follows, the timeline says so,
and a paid order cannot come to cost more than was paid."""

from __future__ import annotations

from sqlalchemy import select

from omnistock.orders import service as orders
from omnistock.orders.intake import IntakeLine
from omnistock.orders.models import sales_order, sales_order_line
from omnistock.platform.audit import audit_log
from tests.orders.pool_helpers import ORD, available, body, setup_pool, uow


def _order(engine, ref: str):
    with engine.connect() as conn:
        o = conn.execute(select(sales_order).where(sales_order.c.ref == ref)).one()
        lines = conn.execute(
            select(sales_order_line.c.sku_id, sales_order_line.c.qty, sales_order_line.c.revenue_cents)
            .where(sales_order_line.c.order_id == o.id)
            .order_by(sales_order_line.c.line_no)
        ).all()
    return o, lines


def test_an_allocated_order_swapped_to_another_sku_gives_back_its_stock_and_takes_the_new(engine, admin):
    setup_pool(engine)
    r = admin.post(ORD, json=body("WX-E1", lines=(("TEA", 2, 2000),)))
    assert r.status_code == 201 and r.json()["status"] == "allocated", r.text
    ref = r.json()["ref"]
    assert available(engine, "TEA", "SH") == 8

    # The buyer wants one cup instead: cheaper, so the payment still covers it.
    r = admin.put(f"{ORD}/{ref}/lines", json={"lines": [{"sku": "CUP", "qty": 1, "unit_price_cents": 3000}]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "allocated"
    assert available(engine, "TEA", "SH") == 10
    assert available(engine, "CUP", "SH") == 9
    o, lines = _order(engine, ref)
    assert (o.goods_cents, o.discount_cents, o.total_cents, o.paid_cents) == (3000, 0, 3000, 4000)
    assert [(q, rev) for _, q, rev in lines] == [(1, 3000)]
    timeline = admin.get(f"{ORD}/{ref}").json()["timeline"]
    edit = next(e for e in timeline if e["action"] == "orders.order.edit")
    assert edit["before"]["lines"] == [["TEA", 2]] and edit["after"]["lines"] == [["CUP", 1]]
    assert edit["after"]["total_cents"] == 3000


def test_a_paid_order_may_not_come_to_cost_more_than_was_paid(engine, admin):
    setup_pool(engine)
    ref = admin.post(ORD, json=body("WX-E2", lines=(("TEA", 1, 2000),))).json()["ref"]
    r = admin.put(f"{ORD}/{ref}/lines", json={"lines": [{"sku": "TEA", "qty": 3, "unit_price_cents": 2000}]})
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "orders.edit_underpaid"
    o, lines = _order(engine, ref)
    assert o.total_cents == 2000 and [q for _, q, _ in lines] == [1]
    assert available(engine, "TEA", "SH") == 9  # nothing changed

    # A gift at no charge is fine.
    r = admin.put(
        f"{ORD}/{ref}/lines",
        json={
            "lines": [
                {"sku": "TEA", "qty": 1, "unit_price_cents": 2000},
                {"sku": "CUP", "qty": 1, "unit_price_cents": 3000, "discount_cents": 3000},
            ]
        },
    )
    assert r.status_code == 200, r.text
    o, lines = _order(engine, ref)
    assert (o.goods_cents, o.discount_cents, o.total_cents) == (5000, 3000, 2000)
    assert available(engine, "CUP", "SH") == 9


def test_an_edit_that_no_warehouse_can_fill_sends_the_order_to_the_exception_queue(engine):
    setup_pool(engine)
    with uow(engine) as u:
        taken = orders.receive_order(u, _intake("WX-E3"))
    assert taken.status == "allocated"
    with uow(engine) as u:
        out = orders.edit_lines(u, taken.ref, [IntakeLine("TEA", 1, 0), IntakeLine("CUP", 11, 0)])
    assert out.status == "on_hold"
    assert [r["code"] for r in out.hold_reasons] == ["out_of_stock"]
    assert available(engine, "TEA", "SH") == 10 and available(engine, "CUP", "SH") == 10


def test_bad_lines_and_shipped_orders_are_refused_with_nothing_changed(engine, admin):
    setup_pool(engine)
    ref = admin.post(ORD, json=body("WX-E4")).json()["ref"]
    before = admin.get(f"{ORD}/{ref}").json()
    for lines, code in (
        ([{"sku": "NOPE", "qty": 1, "unit_price_cents": 100}], "orders.unknown_sku"),
        (
            [
                {"sku": "TEA", "qty": 1, "unit_price_cents": 100},
                {"sku": "TEA", "qty": 1, "unit_price_cents": 100},
            ],
            "orders.duplicate_sku_line",
        ),
        (
            [{"sku": "TEA", "qty": 1, "unit_price_cents": 100, "discount_cents": 200}],
            "orders.discount_exceeds",
        ),
    ):
        r = admin.put(f"{ORD}/{ref}/lines", json={"lines": lines})
        assert r.status_code == 422 and r.json()["code"] == code, r.text
    assert admin.put(f"{ORD}/{ref}/lines", json={"lines": []}).status_code == 422
    assert admin.get(f"{ORD}/{ref}").json()["lines"] == before["lines"]
    assert admin.post(f"{ORD}/{ref}/ship", json={}).status_code == 200
    r = admin.put(f"{ORD}/{ref}/lines", json={"lines": [{"sku": "TEA", "qty": 1, "unit_price_cents": 2000}]})
    assert r.status_code == 409 and r.json()["code"] == "orders.not_editable"
    with engine.connect() as conn:
        edits = conn.execute(
            select(audit_log.c.id).where(
                audit_log.c.action == "orders.order.edit", audit_log.c.entity_id == ref
            )
        ).all()
    assert edits == []


def _intake(ext: str):
    from omnistock.orders.intake import Address, Buyer, IntakeOrder, Payment
    from tests.orders.pool_helpers import ADDRESS

    return IntakeOrder(
        channel="WX",
        external_ref=ext,
        buyer=Buyer("李雷", "13800138000", "openid-lilei"),
        lines=(IntakeLine("TEA", 1, 2000),),
        address=Address(**ADDRESS),
        payments=(Payment("wechat_pay", 2000),),
    )
