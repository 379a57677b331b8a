"""The per-process valuation cache is only a hint: another process's change is never lost.

Two engines on one database stand for two processes, each with its own cache.
"""

from __future__ import annotations

from omnistock.inventory import service as inventory
from omnistock.platform.db import make_engine
from tests.inventory.helpers import order, receive, setup_master, ship


def test_a_stale_cached_valuation_is_read_again_not_written_back(db_url, engine):
    setup_master(engine)
    other = make_engine(db_url)  # a second process with a cache of its own
    try:
        receive(engine, "AVG-1", 10, 100)  # pool: 10 pieces worth 1000
        order(engine, "SO-1", [("AVG-1", 1, 500)])
        (first,) = ship(engine, "SO-1")  # this process now caches the pool (9 worth 900)
        assert first.cost_cents == 100
        receive(other, "AVG-1", 10, 300)  # the other process: pool 19 worth 3900
        order(engine, "SO-2", [("AVG-1", 19, 500)])
        (last,) = ship(engine, "SO-2")  # takes everything: must be worth what the pool holds
        assert last.cost_cents == 3900
        with engine.connect() as conn:
            assert inventory.check_invariants(conn) == []
            totals = inventory.totals(conn)
        assert (totals["inventory_value"], totals["cogs"]) == (0, 4000)
    finally:
        other.dispose()


def test_a_value_computed_from_a_stale_cache_is_never_written(db_url, engine):
    setup_master(engine)
    other = make_engine(db_url)
    try:
        receive(engine, "AVG-1", 10, 100)
        order(engine, "SO-1", [("AVG-1", 1, 500)])
        ship(engine, "SO-1")  # cached here: 9 pieces worth 900
        receive(other, "AVG-1", 10, 300)  # really: 19 pieces worth 3900
        order(engine, "SO-2", [("AVG-1", 1, 500)])
        (line,) = ship(engine, "SO-2")
        assert line.cost_cents == 205  # 3900 / 19, not the stale 900 / 9 = 100
        with engine.connect() as conn:
            assert inventory.check_invariants(conn) == []
            assert inventory.totals(conn)["inventory_value"] == 3900 - 205
    finally:
        other.dispose()
