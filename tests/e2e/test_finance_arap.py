"""Receivables in the browser: a distributor's order sold on account ships into an open
receivable; the customer's payment is recorded in the 往来账 dialog, allocated automatically,
and the item is settled; the ageing page lists the customer."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import post_ok, settle, shipped_order, stocked_sku

pytestmark = pytest.mark.e2e


def _credit_sale(server) -> dict[str, str]:
    sfx = uuid.uuid4().hex[:6].upper()
    n = {
        "wh": f"WH-A{sfx}",
        "sku": f"AR-{sfx}",
        "ch": f"DIST-{sfx}",
        "cust": f"C-A{sfx}",
        "ref": f"SO-A{sfx}",
    }
    with server.api(server.admin_token()) as api:
        stocked_sku(
            api,
            warehouse=n["wh"],
            sku=n["sku"],
            name=f"批发商品{sfx}",
            price_cents=12000,
            qty=10,
            unit_cost_cents=7000,
            cost_method="fifo",
            unit="箱",
        )
        post_ok(
            api, "/api/v1/orders/channels", {"code": n["ch"], "name": f"分销商{sfx}", "kind": "distributor"}
        )
        post_ok(api, "/api/v1/orders/customers", {"code": n["cust"], "name": "华东经销商"})
        order = {
            "ref": n["ref"],
            "channel": n["ch"],
            "customer": n["cust"],
            "warehouse": n["wh"],
            "lines": [{"sku": n["sku"], "qty": 2, "unit_price_cents": 12000}],
            "payments": [],  # sold on account
        }
        shipped_order(api, order, detail=f"中山路 {sfx} 号")
        items = api.get("/api/v1/finance/open-items", params={"kind": "ar", "party": n["cust"]}).json()[
            "items"
        ]
        assert [(i["ref"], i["amount_cents"]) for i in items] == [(n["ref"], 24000)]
    return n


def test_a_receipt_settles_a_credit_sale(page: Page, login, server):
    n = _credit_sale(server)
    login()
    page.get_by_test_id("menu-finance").click()
    settle(page)
    page.get_by_test_id("menu-arap").click()
    expect(page).to_have_url(re.compile("/finance/arap"))
    row = page.locator("tr", has_text=n["ref"])
    expect(row).to_contain_text("240.00")
    page.get_by_test_id("arap-new-ar").click()
    settle(page)
    page.get_by_test_id("payment-party").fill(n["cust"])
    page.get_by_test_id("payment-load").click()
    dialog = page.locator(".ant-modal-content")
    expect(dialog.locator("tr", has_text=n["ref"])).to_be_visible()
    page.get_by_test_id("payment-amount").fill("240")
    page.get_by_test_id("payment-ref").fill(f"BANK-{n['ref']}")
    page.get_by_test_id("payment-auto").click()
    page.get_by_test_id("payment-save").click()
    expect(dialog).to_be_hidden()
    with server.api(server.admin_token()) as api:
        items = api.get(
            "/api/v1/finance/open-items", params={"kind": "ar", "party": n["cust"], "status": "settled"}
        ).json()
        assert [(i["ref"], i["settled_cents"]) for i in items["items"]] == [(n["ref"], 24000)]
        problems = api.get(
            "/api/v1/finance/entries", params={"source_type": "payment", "q": f"BANK-{n['ref']}"}
        ).json()
        assert len(problems["items"]) == 1
    page.get_by_test_id("menu-ageing").click()
    expect(page).to_have_url(re.compile("/finance/ageing"))
    expect(page.get_by_test_id("ageing-table")).to_be_visible()
