"""Stock documents in the browser: a goods receipt through the form, a stocktake by scanning."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import settle

pytestmark = pytest.mark.e2e


def _setup(server, *, opening: int | None = None) -> dict[str, str]:
    """A fresh warehouse, SKU and supplier (unique codes, so the tests can run in any order)."""
    sfx = uuid.uuid4().hex[:6].upper()
    names = {
        "wh": f"WH-D{sfx}",
        "wh_name": f"单据测试仓{sfx}",
        "sku": f"DOC-TEA-{sfx}",
        "sku_name": f"单据测试 普洱茶 {sfx}",
        "sup": f"SUP-{sfx}",
        "sup_name": f"测试供应商{sfx}",
    }
    with server.api(server.admin_token()) as api:
        r = api.post("/api/v1/inventory/warehouses", json={"code": names["wh"], "name": names["wh_name"]})
        assert r.status_code == 201, r.text
        r = api.post(
            "/api/v1/catalog/skus",
            json={
                "code": names["sku"],
                "name": names["sku_name"],
                "unit": "饼",
                "price_cents": 9900,
                "cost_method": "average",
            },
        )
        assert r.status_code == 201, r.text
        r = api.post("/api/v1/purchasing/suppliers", json={"code": names["sup"], "name": names["sup_name"]})
        assert r.status_code == 201, r.text
        if opening:
            r = api.post(
                "/api/v1/purchasing/receipts",
                json={
                    "supplier": names["sup"],
                    "warehouse": names["wh"],
                    "lines": [{"sku": names["sku"], "qty": opening, "unit_cost_cents": 1000}],
                },
            )
            assert r.status_code == 201, r.text
    return names


def _open_documents(page: Page, login) -> None:
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.get_by_test_id("menu-documents").click()
    expect(page).to_have_url(re.compile(r"/inventory/documents"))
    expect(page.get_by_test_id("doc-table")).to_be_visible()


def _pick(page: Page, select, text: str, typed: str | None = None) -> None:
    settle(page)
    select.click()
    if typed:
        page.keyboard.type(typed)
    option = page.locator(".ant-select-dropdown:visible .ant-select-item-option", has_text=text).first
    if not typed and not option.count():
        # A long list is virtual (only the options in view exist): narrow it by the code.
        page.keyboard.type(text.split()[0])
    expect(option).to_be_visible()
    settle(page)
    option.click()
    # Let the popup close before the next select opens (two open popups would both match).
    expect(page.locator(".ant-select-dropdown:visible")).to_have_count(0)


def test_goods_receipt_through_the_form(page, login, server):
    n = _setup(server)
    _open_documents(page, login)

    page.get_by_test_id("doc-new-receipt").click()
    form = page.get_by_test_id("doc-form-receipt")
    expect(form).to_be_visible()
    _pick(page, form.get_by_test_id("doc-form-supplier"), f"{n['sup']} {n['sup_name']}")
    _pick(page, form.get_by_test_id("doc-form-warehouse"), f"{n['wh']} {n['wh_name']}")
    line = form.get_by_test_id("doc-form-line").first
    _pick(page, line.get_by_test_id("line-sku"), f"{n['sku']} {n['sku_name']}", typed=n["sku"])
    line.get_by_test_id("line-qty").fill("10")
    line.get_by_test_id("line-cost").fill("12.35")
    form.get_by_test_id("doc-form-note").fill("e2e 采购到货")
    page.get_by_test_id("doc-form-submit").click()

    # The new document opens in the drawer: its line and the ledger row it wrote.
    detail = page.get_by_test_id("doc-detail")
    expect(detail).to_be_visible()
    ref = detail.get_by_test_id("doc-detail-ref").inner_text()
    assert ref
    expect(page.locator(".ant-message")).to_contain_text(ref)
    expect(detail).to_contain_text(n["sup"])
    expect(detail.get_by_test_id("doc-status")).to_have_text("已完成")
    lines = detail.get_by_test_id("doc-lines")
    expect(lines).to_contain_text(n["sku"])
    expect(lines.get_by_test_id("doc-line-qty")).to_have_text("10")
    expect(lines).to_contain_text("¥12.35")
    expect(lines).to_contain_text("¥123.50")  # 10 × ¥12.35, integer cents
    move = detail.get_by_test_id("doc-moves").locator("tr", has_text="采购入库")
    expect(move.get_by_test_id("doc-move-qty")).to_have_text("+10")
    expect(move).to_contain_text("¥123.50")

    # Close it: the document is in the list; a click opens it again.
    page.locator(".ant-drawer-close").click()
    expect(detail).to_be_hidden()
    row = page.get_by_test_id("doc-table").locator("tr", has_text=ref)
    expect(row).to_be_visible()
    expect(row.get_by_test_id("doc-kind")).to_have_text("入库")
    expect(row.get_by_test_id("doc-status")).to_have_text("已完成")
    expect(row).to_contain_text(n["wh"])
    expect(row).to_contain_text(n["sup"])
    row.click()
    expect(page.get_by_test_id("doc-detail-ref")).to_have_text(ref)

    # The ref filter finds it.
    page.locator(".ant-drawer-close").click()
    page.get_by_test_id("doc-search").fill(ref)
    page.get_by_test_id("doc-search").press("Enter")
    expect(page.get_by_test_id("doc-table").locator("tbody tr.ant-table-row")).to_have_count(1)


def test_stocktake_by_scanning_then_ledger_link(page, login, server):
    n = _setup(server, opening=5)  # 5 on hand at ¥10.00
    _open_documents(page, login)

    page.get_by_test_id("doc-new-count").click()
    form = page.get_by_test_id("doc-form-count")
    expect(form).to_be_visible()
    _pick(page, form.get_by_test_id("doc-form-warehouse"), f"{n['wh']} {n['wh_name']}")
    scan = form.get_by_test_id("count-scan")
    for _ in range(3):
        scan.fill(n["sku"])
        scan.press("Enter")
    line = form.get_by_test_id("doc-form-line")
    expect(line).to_have_count(1)
    expect(line.get_by_test_id("line-qty")).to_have_value("3")
    expect(line).to_contain_text(n["sku"])
    page.get_by_test_id("doc-form-submit").click()

    # The difference: 5 before, 3 counted, -2; the ledger row is a count loss at cost.
    detail = page.get_by_test_id("doc-detail")
    expect(detail).to_be_visible()
    ref = detail.get_by_test_id("doc-detail-ref").inner_text()
    expect(detail.get_by_test_id("doc-kind")).to_have_text("盘点")
    lines = detail.get_by_test_id("doc-lines")
    expect(lines.get_by_test_id("doc-line-counted")).to_have_text("3")
    expect(lines.get_by_test_id("doc-line-diff")).to_have_text("-2")
    expect(lines).to_contain_text("5")
    move = detail.get_by_test_id("doc-moves").locator("tr", has_text="盘亏")
    expect(move.get_by_test_id("doc-move-qty")).to_have_text("-2")
    expect(move).to_contain_text("¥20.00")

    # The ledger's document number opens the same drawer.
    page.goto(f"/inventory/ledger?sku={n['sku']}&warehouse={n['wh']}")
    loss = page.get_by_test_id("ledger-table").locator("tr", has_text="盘亏")
    expect(loss.get_by_test_id("ledger-qty")).to_have_text("-2")
    loss.get_by_test_id("ledger-doc-link").click()
    drawer = page.get_by_test_id("doc-detail")
    expect(drawer.get_by_test_id("doc-detail-ref")).to_have_text(ref)
    expect(drawer.get_by_test_id("doc-line-diff")).to_have_text("-2")
