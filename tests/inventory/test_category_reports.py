"""Categories in inventory reports: the valuation report grouped by category, and stocktake
sheets scoped to a category (with the categories below it)."""

from __future__ import annotations

import pytest

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import AppError
from tests.inventory.conftest import t
from tests.inventory.helpers import invariants, receive, setup_master, uow


@pytest.fixture
def shop(engine):
    setup_master(engine)  # AVG-1 and FIFO-1: no product, no category
    with uow(engine) as u:
        catalog.create_category(u, code="FOOD", name="食品")
        catalog.create_category(u, code="TEA", name="茶叶", parent="FOOD")
        catalog.create_category(u, code="HOME", name="家居")
        for code, cat in (("TEA-1", "TEA"), ("NUT-1", "FOOD"), ("MUG-1", "HOME")):
            catalog.create_product(u, code=f"P-{code}", name=code, category=cat, skus=[catalog.NewSku(code)])
    for sku, qty, cents in (("TEA-1", 3, 1000), ("NUT-1", 2, 500), ("MUG-1", 4, 250), ("AVG-1", 1, 99)):
        receive(engine, sku, qty, cents, at=t(1))
    receive(engine, "TEA-1", 1, 1000, wh="WH-B", at=t(1))
    yield engine
    assert invariants(engine) == []


def test_valuation_report_grouped_by_category(shop):
    with uow(shop) as u:
        rep = inventory.valuation_report(u, at=utcnow(), group="category")
    by = {(r.category, r.warehouse): (r.skus, r.qty, r.value_cents) for r in rep.rows}
    assert by == {
        ("FOOD", "WH-A"): (1, 2, 1000),
        ("TEA", "WH-A"): (1, 3, 3000),
        ("TEA", "WH-B"): (1, 1, 1000),
        ("HOME", "WH-A"): (1, 4, 1000),
        (None, "WH-A"): (1, 1, 99),
    }
    assert [r.category for r in rep.rows][-1] is None
    assert sum(r.value_cents for r in rep.rows) == rep.total_value_cents == 6099


def test_a_stocktake_sheet_for_a_category_takes_the_categories_below_it(shop):
    with uow(shop) as u:
        sheet = inventory.create_stocktake(
            u, ref="ST-1", warehouse="WH-A", scope={"kind": "category", "category": "FOOD"}
        )
    assert sorted(x["sku"] for x in sheet["line_items"]) == ["NUT-1", "TEA-1"]
    with uow(shop) as u, pytest.raises(AppError) as info:
        inventory.create_stocktake(
            u, ref="ST-2", warehouse="WH-A", scope={"kind": "category", "category": "NOPE"}
        )
    assert info.value.code == "catalog.unknown_category"
