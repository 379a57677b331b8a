"""Profit analysis in the browser: an order shipped through the API shows up under 利润分析; the
dimension tabs switch the report, and the order's waterfall opens in a drawer."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import settle, shipped_order
from tests.e2e.test_inventory_documents import _pick

pytestmark = pytest.mark.e2e


def _shipped_order(server) -> dict[str, str]:
    sfx = uuid.uuid4().hex[:6].upper()
    n = {
        "wh": f"WH-F{sfx}",
        "sku": f"PRF-{sfx}",
        "sup": f"SUP-F{sfx}",
        "ch": f"CH-F{sfx}",
        "cust": f"C-F{sfx}",
    }
    n["ref"] = f"SO-F{sfx}"
    n["ch_name"] = f"利润测试渠道{sfx}"
    with server.api(server.admin_token()) as api:
        for path, body in (
            ("/api/v1/inventory/warehouses", {"code": n["wh"], "name": f"利润仓{sfx}"}),
            (
                "/api/v1/catalog/skus",
                {
                    "code": n["sku"],
                    "name": f"利润商品{sfx}",
                    "unit": "件",
                    "price_cents": 5000,
                    "cost_method": "average",
                },
            ),
            ("/api/v1/purchasing/suppliers", {"code": n["sup"], "name": f"利润供应商{sfx}"}),
            ("/api/v1/orders/channels", {"code": n["ch"], "name": n["ch_name"], "kind": "marketplace"}),
            ("/api/v1/orders/customers", {"code": n["cust"], "name": "王芳"}),
        ):
            r = api.post(path, json=body)
            assert r.status_code == 201, (path, r.text)
        r = api.post(
            "/api/v1/purchasing/receipts",
            json={
                "supplier": n["sup"],
                "warehouse": n["wh"],
                "lines": [{"sku": n["sku"], "qty": 5, "unit_cost_cents": 2000}],
            },
        )
        assert r.status_code == 201, r.text
        r = api.put(
            f"/api/v1/finance/profit/rates/{n['ch']}", json={"commission_bp": 500, "payment_fee_bp": 60}
        )
        assert r.status_code == 200, r.text
        order = {
            "ref": n["ref"],
            "channel": n["ch"],
            "customer": n["cust"],
            "warehouse": n["wh"],
            "lines": [{"sku": n["sku"], "qty": 2, "unit_price_cents": 5000}],
            "discount_cents": 1000,
            "shipping_fee_cents": 800,
            "payments": [
                {"method": "coupon", "amount_cents": 500},
                {"method": "alipay", "amount_cents": 9300},
            ],
            "tags": [f"双11-{sfx}"],
        }
        shipped_order(api, order, detail=f"世纪大道 {sfx} 号")
    return n


def test_profit_report_dimensions_and_an_orders_waterfall(page: Page, login, server):
    n = _shipped_order(server)
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.get_by_test_id("menu-finance").click()
    page.get_by_test_id("menu-profit").click()
    expect(page).to_have_url(f"{server.base_url}/finance/profit")
    table = page.get_by_test_id("profit-table")
    expect(table).to_be_visible()
    expect(page.get_by_test_id("profit-total")).not_to_be_empty()

    _pick(page, page.get_by_test_id("profit-channel"), n["ch_name"], typed=n["ch"])
    expect(table.get_by_text(n["sku"])).to_be_visible()  # the SKU tab is the first
    page.get_by_test_id("profit-tab-channel").click()
    expect(table.get_by_text(n["ch_name"])).to_be_visible()
    # Revenue 9,000 + shipping 800 − COGS 4,000 − commission 490 − fee 59 − coupon 500 = 4,751 cents
    expect(page.get_by_test_id("profit-total")).to_have_text("¥47.51")

    page.get_by_test_id("profit-tab-order").click()
    settle(page)
    page.get_by_test_id(f"profit-order-{n['ref']}").click()
    drawer = page.get_by_test_id("profit-order-drawer")
    expect(drawer).to_be_visible()
    expect(page.get_by_test_id("profit-waterfall")).to_be_visible()
    expect(page.get_by_test_id("profit-order-profit")).to_have_text("¥47.51")
    expect(drawer.get_by_text(f"双11-{n['sku'][4:]}")).to_be_visible()
