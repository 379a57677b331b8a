"""Migration 0004 on a shop that already has SKUs: they stay standalone standard SKUs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import MetaData, Table, insert, select

from omnistock.catalog import service as catalog
from omnistock.catalog.models import sku
from omnistock.platform import migrate
from omnistock.platform.db import make_engine
from tests.catalog.helpers import uow


def test_existing_skus_upgrade_to_standalone_standard_skus(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    try:
        migrate.upgrade(engine, "0003")
        old_sku = Table("sku", MetaData(), autoload_with=engine)  # as 0003 left it
        with engine.begin() as conn:
            conn.execute(
                insert(old_sku),
                {
                    "code": "OLD-1",
                    "name": "老商品",
                    "unit": "件",
                    "price_cents": 990,
                    "cost_method": "fifo",
                    "safety_stock": 2,
                    "active": True,
                    "created_at": dt.datetime(2026, 1, 1),
                },
            )
            assert "kind" not in [c.name for c in old_sku.columns]
        migrate.upgrade(engine)
        assert migrate.is_current(engine)
        with uow(engine) as u:
            ref = catalog.sku_ref(u, "OLD-1")
            assert (ref.cost_method, ref.kind, ref.tracking) == ("fifo", "standard", "none")
            s = catalog.get_sku(u, ref.id)
            assert (s.product_id, s.attributes, s.barcodes, s.shelf_life_days, s.price_cents) == (
                None,
                None,
                (),
                None,
                990,
            )
            # And it takes part in the new catalog: barcodes, a bundle.
            catalog.update_sku(u, ref.id, barcodes=["6900000000017"])
            catalog.create_sku(
                u,
                code="OLD-BOX",
                name="老商品两件装",
                unit="盒",
                price_cents=1800,
                cost_method="average",
                kind="bundle",
                components=[catalog.Component("OLD-1", 2)],
            )
        with engine.connect() as conn:
            assert conn.execute(select(sku.c.kind).where(sku.c.code == "OLD-BOX")).scalar_one() == "bundle"
    finally:
        engine.dispose()
