"""Stock alerts in the browser: the scan's notification in the header bell, its link to the alerts
page, marking read; the valuation report and the stock export as downloads."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.helpers import settle

pytestmark = pytest.mark.e2e

WH = "WH-E2EA"
SKU = "E2E-ALERT-1"


def _scan(server) -> None:
    """What the serve process's worker does every few minutes (the e2e server runs without it)."""
    from omnistock.inventory import service as inventory
    from omnistock.platform import notifications
    from omnistock.platform.auth import Actor
    from omnistock.platform.db import make_engine
    from omnistock.platform.outbox import deliver_due
    from omnistock.platform.uow import UnitOfWork

    engine = make_engine(server.database_url)
    try:
        with UnitOfWork(engine, Actor.system("e2e")) as uow:
            inventory.scan_alerts(uow)
        while deliver_due(engine, topics=[notifications.TOPIC]):
            pass
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def low_stock(server):
    """A SKU with safety stock 10 holding 3 pieces in its own warehouse, scanned and notified."""
    with server.api(server.admin_token()) as api:
        r = api.post("/api/v1/inventory/warehouses", json={"code": WH, "name": "E2E 预警仓"})
        assert r.status_code in (201, 409), r.text
        r = api.post(
            "/api/v1/catalog/skus",
            json={
                "code": SKU,
                "name": "E2E 预警茶",
                "unit": "盒",
                "price_cents": 1000,
                "cost_method": "average",
                "safety_stock": 10,
            },
        )
        assert r.status_code in (201, 409), r.text
        r = api.post(
            "/api/v1/inventory/receipts",
            json={
                "ref": "E2E-ALERT-RC1",
                "warehouse": WH,
                "lines": [{"sku": SKU, "qty": 3, "unit_cost_cents": 1234}],
            },
        )
        assert r.status_code in (201, 409), r.text
    _scan(server)


def _unread(page) -> int:
    return int(page.get_by_test_id("notif-bell").get_attribute("data-unread") or 0)


def test_bell_shows_the_alert_notification_and_leads_to_the_alerts_page(page, login, server, low_stock):
    login()
    bell = page.get_by_test_id("notif-bell")
    expect(bell).not_to_have_attribute("data-unread", "0")
    before = _unread(page)
    bell.click()
    settle(page)
    item = page.get_by_test_id("notif-item").filter(has_text=WH)
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-unread", "true")
    expect(item).to_contain_text("1 个 SKU 低于安全库存")
    expect(item).to_contain_text(SKU)
    item.click()

    expect(page).to_have_url(re.compile(rf"/inventory/alerts\?kind=low_stock&warehouse={WH}$"))
    row = page.get_by_test_id("alerts-table").locator("tr", has_text=SKU)
    expect(row).to_be_visible()
    expect(row.get_by_test_id("alerts-shortfall")).to_have_text("7")
    expect(page.get_by_test_id("alerts-count-low_stock")).to_contain_text("1")
    expect(bell).to_have_attribute("data-unread", str(before - 1))

    # The other kinds: none of them here (the SKU has no batches to expire).
    page.get_by_test_id("alerts-tab-negative_available").click()
    expect(page).to_have_url(re.compile(r"kind=negative_available"))
    expect(page.get_by_test_id("alerts-table")).not_to_contain_text(SKU)
    page.get_by_test_id("alerts-tab-near_expiry").click()
    expect(page).to_have_url(re.compile(r"kind=near_expiry"))
    expect(page.get_by_test_id("alerts-table")).not_to_contain_text(SKU)

    # Read again from the bell: it is read now; mark everything read.
    bell.click()
    settle(page)
    expect(page.get_by_test_id("notif-item").filter(has_text=WH)).to_have_attribute("data-unread", "false")
    if _unread(page):
        page.get_by_test_id("notif-mark-all").click()
    expect(bell).to_have_attribute("data-unread", "0")


def test_english_alerts_and_notifications(page, login, server, low_stock):
    login()
    page.get_by_test_id("lang-switch").get_by_text("English").click()
    page.get_by_test_id("menu-alerts").click()
    expect(page.get_by_test_id("alerts-tab-low_stock")).to_contain_text("Below safety stock")
    page.get_by_test_id("notif-bell").click()
    settle(page)
    expect(page.get_by_test_id("notif-item").filter(has_text=WH).first).to_contain_text(
        "1 SKU(s) below safety stock"
    )
    page.get_by_test_id("lang-switch").get_by_text("中文").click()


def test_valuation_report_and_exports(page, login, server, low_stock):
    login()
    page.get_by_test_id("menu-valuation").click()
    page.get_by_test_id("valuation-warehouse").click()
    settle(page)
    page.locator(".ant-select-item-option", has_text=WH).click()
    page.get_by_test_id("valuation-run").click()
    row = page.get_by_test_id("valuation-table").locator("tr", has_text=SKU)
    expect(row).to_contain_text("¥37.02")  # 3 × ¥12.34
    expect(page.get_by_test_id("valuation-total-value")).to_have_text("¥37.02")

    with page.expect_download() as download:
        page.get_by_test_id("valuation-export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    ws = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("仓库", "SKU", "商品名称", "数量", "金额（元）")
    assert rows[1][:4] == (WH, SKU, "E2E 预警茶", 3) and Decimal(str(rows[1][4])) == Decimal("37.02")
    assert rows[-1][0] == "合计"

    page.get_by_test_id("menu-stock").click()
    page.get_by_test_id("stock-low").click()
    expect(page.get_by_test_id("stock-table")).to_contain_text(SKU)
    with page.expect_download() as download:
        page.get_by_test_id("stock-export").click()
    ws = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert (WH, SKU, "E2E 预警茶", 3, 0, 3, 10) in [r[:7] for r in rows[1:]]
    assert all(r[5] < r[6] for r in rows[1:])  # the low-stock filter applied to the export too
