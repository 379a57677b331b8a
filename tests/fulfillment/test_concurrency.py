"""Two packers, two wave planners at once: one wins, the other is refused cleanly (on PostgreSQL
the rows are really contended; SQLite serializes the writers)."""

from __future__ import annotations

import threading

from omnistock.fulfillment import service as fulfillment
from omnistock.platform.errors import AppError
from tests.fulfillment.helpers import order, setup, status
from tests.orders.pool_helpers import available, uow


def _race(engine, fn, args: list) -> list:
    """Run ``fn(uow, arg)`` for each arg in its own thread and transaction, started together;
    returns each result or the error code."""
    barrier = threading.Barrier(len(args))
    out: list = [None] * len(args)

    def run(i, arg):
        barrier.wait()
        try:
            with uow(engine) as u:
                out[i] = fn(u, arg)
        except AppError as exc:
            out[i] = exc.code

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    return out


def test_two_waves_never_take_the_same_order(engine):
    setup(engine)
    refs = [order(engine, x) for x in ("A", "B")]
    got = _race(engine, lambda u, _: fulfillment.create_waves(u, warehouse="SH", refs=refs).waves, [1, 2])
    assert sorted(isinstance(g, list) for g in got) == [False, True]
    assert "fulfillment.order_in_wave" in got
    with uow(engine) as u:
        assert sum(w["orders"] for w in fulfillment.list_waves(u)) == 2


def test_two_packers_never_ship_one_order_twice(engine):
    setup(engine)
    a = order(engine, "A", [("TEA", 2)])
    with uow(engine) as u:
        (w,) = fulfillment.create_waves(u, warehouse="SH").waves
    with uow(engine) as u:
        fulfillment.release_wave(u, w)
    with uow(engine) as u:
        fulfillment.confirm_picks(u, w)
    with uow(engine) as u:
        fulfillment.pack(u, a, items=[fulfillment.PackItem("TEA", 2)], weight_g=600)
    got = _race(
        engine,
        lambda u, no: fulfillment.ship(u, a, tracking_no=no)["tracking_no"],
        ["YT10000001", "YT10000002"],
    )
    assert sorted(g.startswith("YT") for g in got) == [False, True]
    assert "fulfillment.already_shipped" in got
    assert status(engine, a) == "shipped"
    assert available(engine, "TEA", "SH") == 8
