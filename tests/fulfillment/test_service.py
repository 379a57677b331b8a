"""Fulfilment on the real database: waves, picks, the pack station, shipping and returns."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from omnistock.fulfillment import service as fulfillment
from omnistock.fulfillment.models import tracking_number
from omnistock.inventory import service as inventory
from omnistock.platform.errors import AppError
from omnistock.platform.outbox import outbox_message
from tests.fulfillment.helpers import order, setup, status
from tests.orders.pool_helpers import available, uow


def _stock(engine, sku):
    with uow(engine) as u:
        row = inventory.availability(u, [sku], ["SH"])[0]
    return row["on_hand"], row["available"]


def _to_pack(engine, *refs):
    with uow(engine) as u:
        made = fulfillment.create_waves(u, warehouse="SH", refs=list(refs))
    with uow(engine) as u:
        for w in made.waves:
            fulfillment.release_wave(u, w)
    with uow(engine) as u:
        for w in made.waves:
            fulfillment.confirm_picks(u, w)
    return made.waves


def test_a_wave_goes_from_allocated_orders_to_shipped_parcels(engine):
    setup(engine)
    a = order(engine, "A", [("TEA", 1)])
    b = order(engine, "B", [("TEA", 1)])
    c = order(engine, "C", [("TEA", 2), ("CUP", 1)], province="江苏省", city="南京市")
    with uow(engine) as u:
        made = fulfillment.create_waves(u, warehouse="SH", max_orders=10)
    assert len(made.waves) == 2 and made.unassigned == []
    with uow(engine) as u:
        waves = {w["ref"]: w for w in fulfillment.list_waves(u)}
    kinds = sorted((w["kind"], w["account"], w["orders"]) for w in waves.values())
    assert kinds == [("mixed", "SF-EC", 1), ("single", "SF-1", 2)]
    mixed = next(r for r, w in waves.items() if w["kind"] == "mixed")
    with uow(engine) as u:
        fulfillment.release_wave(u, mixed)
    with uow(engine) as u:
        sheet = fulfillment.pick_list(u, mixed)
    assert [(x["bin"], x["sku"], x["needed"]) for x in sheet["lines"]] == [
        ("A-01", "CUP", 1),
        ("B-02", "TEA", 2),
    ]
    with uow(engine) as u:
        assert fulfillment.confirm_picks(u, mixed)["to_pack"] == 1
    with uow(engine) as u:
        view = fulfillment.station(u, f"{mixed}-1")
    assert view["order"] == c and view["status"] == "picked"
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.scan(u, c, "NOPE", {})
    assert err.value.code == "fulfillment.item_not_on_order"
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.scan(u, c, "CUP", {"CUP": 1})
    assert err.value.code == "fulfillment.too_many"
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.ship(u, c)
    assert err.value.code == "fulfillment.not_packed"
    with uow(engine) as u:
        packed = fulfillment.pack(
            u, c, items=[fulfillment.PackItem("TEA", 2), fulfillment.PackItem("CUP", 1)], weight_g=1600
        )
    assert packed["account"] == "SF-EC" and packed["fee_cents"] == 800 + 2 * 100
    on_hand_before = _stock(engine, "TEA")[0]
    with uow(engine) as u:
        shipped = fulfillment.ship(u, c, tracking_no="SFX123456789")
    assert shipped["tracking_no"] == "SFX123456789" and shipped["cogs_cents"] == 3 * 500
    assert status(engine, c) == "shipped"
    assert _stock(engine, "TEA")[0] == on_hand_before - 2
    with engine.connect() as conn:
        msg = conn.execute(
            select(outbox_message).where(outbox_message.c.topic == "fulfillment.shipped")
        ).one()
    assert msg.key == c and msg.payload["tracking_no"] == "SFX123456789"
    with uow(engine) as u:
        assert fulfillment.list_waves(u, status="done")[0]["ref"] == mixed
    # The single-item wave ships with numbers from the pool.
    single = next(r for r, w in waves.items() if w["kind"] == "single")
    with uow(engine) as u:
        fulfillment.release_wave(u, single)
    with uow(engine) as u:
        fulfillment.confirm_picks(u, single)
    numbers = []
    for ref in (a, b):
        with uow(engine) as u:
            fulfillment.pack(u, ref, items=[fulfillment.PackItem("TEA", 1)], weight_g=300)
        with uow(engine) as u:
            numbers.append(fulfillment.ship(u, ref)["tracking_no"])
    assert numbers == ["SF0000000001", "SF0000000002"]


def test_bad_input_changes_nothing(engine):
    setup(engine)
    a = order(engine, "A", [("TEA", 2)])
    b = order(engine, "B", [("TEA", 1)])
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.create_waves(u, warehouse="SH", refs=[a, a + "x"])
    assert err.value.code == "fulfillment.not_allocated"
    (w,) = _to_pack(engine, a)
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.create_waves(u, warehouse="SH", refs=[a])
    assert err.value.code == "fulfillment.order_in_wave"
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.pack(u, a, items=[fulfillment.PackItem("TEA", 1)], weight_g=500)
    assert err.value.code == "fulfillment.count_mismatch"
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.pack(
            u, a, items=[fulfillment.PackItem("TEA", 2), fulfillment.PackItem("CUP", 1)], weight_g=500
        )
    assert err.value.code == "fulfillment.item_not_on_order"
    with uow(engine) as u:
        fulfillment.pack(u, a, items=[fulfillment.PackItem("TEA", 2)], weight_g=500)
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.pack(u, a, items=[fulfillment.PackItem("TEA", 2)], weight_g=500)
    assert err.value.code == "fulfillment.not_picked"
    with uow(engine) as u:
        fulfillment.ship(u, a, tracking_no="DUP-000001")
    _to_pack(engine, b)
    with uow(engine) as u:
        fulfillment.pack(u, b, items=[fulfillment.PackItem("TEA", 1)], weight_g=500)
    before = _stock(engine, "TEA")
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.ship(u, b, tracking_no="DUP-000001")
    assert err.value.code == "fulfillment.tracking_used" and err.value.status == 409
    assert status(engine, b) == "allocated" and _stock(engine, "TEA") == before
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.receive_return(u, a, items=[fulfillment.ReturnItem("TEA", 3)])
    assert err.value.code == "orders.return_exceeds"
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.confirm_picks(u, w)
    assert err.value.code == "fulfillment.not_picking"


def test_a_short_pick_sends_the_last_orders_back_to_the_exception_queue(engine):
    setup(engine)
    refs = [order(engine, x, [("TEA", 1)]) for x in ("A", "B", "C")]
    with uow(engine) as u:
        (w,) = fulfillment.create_waves(u, warehouse="SH").waves
    with uow(engine) as u:
        fulfillment.release_wave(u, w)
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.confirm_picks(u, w, [fulfillment.PickIn("TEA", 4)])
    assert err.value.code == "fulfillment.over_pick"
    assert available(engine, "TEA", "SH") == 7
    with uow(engine) as u:
        done = fulfillment.confirm_picks(u, w, [fulfillment.PickIn("TEA", 1)])
    # Slots follow the order refs here (same lines); the first slot is filled.
    first, *rest = sorted(refs)
    assert done == {"ref": w, "short_orders": rest, "to_pack": 1}
    assert [status(engine, r) for r in [first, *rest]] == ["allocated", "on_hold", "on_hold"]
    assert available(engine, "TEA", "SH") == 9  # the held orders' reservations are released
    with uow(engine) as u:
        sheet = fulfillment.pick_list(u, w)
    assert [s["order"] for s in sheet["short_picks"]] == rest


def test_a_return_restocks_good_units_and_writes_defective_ones_off(engine):
    setup(engine)
    a = order(engine, "A", [("TEA", 3)])
    _to_pack(engine, a)
    with uow(engine) as u:
        fulfillment.pack(u, a, items=[fulfillment.PackItem("TEA", 3)], weight_g=900)
    with uow(engine) as u:
        fulfillment.ship(u, a)
    before = _stock(engine, "TEA")
    with uow(engine) as u:
        got = fulfillment.receive_return(
            u,
            a,
            items=[fulfillment.ReturnItem("TEA", 2), fulfillment.ReturnItem("TEA", 1, "defective")],
            refund_cents=5000,
        )
    assert got["refund_cents"] == 5000 and got["writeoff_ref"] == f"{got['ref']}-D"
    assert got["lines"] == [
        {"sku": "TEA", "qty": 3, "restocked": 2, "defective": 1, "serials": [], "cost_cents": 1500}
    ]
    assert _stock(engine, "TEA") == (before[0] + 2, before[1] + 2)
    with uow(engine) as u:
        assert fulfillment.list_returns(u)[0]["ref"] == got["ref"]
        assert inventory.check_invariants(u.conn) == []  # the write-off is shrinkage at cost


def test_the_pool_hands_each_number_out_once(engine):
    setup(engine)
    with uow(engine) as u, pytest.raises(AppError) as err:
        fulfillment.add_numbers(u, account_code="SF-1", numbers=["SF0000000003"])
    assert err.value.code == "fulfillment.tracking_used"
    with engine.connect() as conn:
        assert len(conn.execute(select(tracking_number)).all()) == 20
