"""Bin locations in the browser: put SKUs on bins from the stock overview, then count a run of
bins with a stocktake sheet whose lines come in bin order."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import settle
from tests.e2e.test_inventory_documents import _pick
from tests.e2e.test_transfers_stocktakes import _setup

pytestmark = pytest.mark.e2e


def _set_bin(page: Page, sku: str, code: str) -> None:
    row = page.get_by_test_id("stock-table").locator("tr", has_text=sku)
    row.get_by_test_id("stock-bin-cell").locator(".ant-typography-edit").click()
    box = row.locator("textarea")
    box.fill(code)
    box.press("Enter")
    expect(page.locator(".ant-message")).to_contain_text(sku)
    expect(row.get_by_test_id("stock-bin-cell")).to_have_text(code.upper())


def test_bins_then_a_stocktake_by_bin(page: Page, login, server):
    n = _setup(server, {"tea": 5, "cup": 2, "pen": 4})
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.goto(f"/inventory/stock?warehouse={n['wh0']}")
    expect(page.get_by_test_id("stock-table").locator("tr", has_text=n["pen"])).to_be_visible()
    _set_bin(page, n["tea"], "z9-02-01")
    _set_bin(page, n["cup"], "Z9-01-01")
    _set_bin(page, n["pen"], "Y1-01-01")

    # The bin filter.
    page.get_by_test_id("stock-bin").fill("Z9")
    page.get_by_test_id("stock-bin").press("Enter")
    expect(page).to_have_url(re.compile(r"bin=Z9"))
    rows = page.get_by_test_id("stock-table").locator("tbody tr.ant-table-row")
    expect(rows).to_have_count(2)

    # A sheet for aisle Z9: its two SKUs, in bin order (CUP on Z9-01-01 before TEA on Z9-02-01).
    page.goto("/inventory/stocktakes")
    page.get_by_test_id("st-new").click()
    form = page.get_by_test_id("st-form")
    expect(form).to_be_visible()
    _pick(page, form.get_by_test_id("st-form-warehouse"), f"{n['wh0']} {n['wh0_name']}")
    form.get_by_test_id("st-form-scope-bin").click()
    form.get_by_test_id("st-form-bin").fill("Z9")
    settle(page)
    page.get_by_test_id("st-form-submit").click()
    expect(page).to_have_url(re.compile(r"/inventory/stocktakes/\d+$"))
    lines = page.get_by_test_id("st-line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text(n["cup"])
    expect(lines.nth(0)).to_contain_text("Z9-01-01")
    expect(lines.nth(1)).to_contain_text(n["tea"])
