"""Fulfilment in the browser: a wave created from allocated orders, released, its pick list
confirmed, the order packed at the pack station with scanner input (one wrong scan refused),
shipped with a scanned tracking number, and a returned unit received back into stock."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import settle
from tests.e2e.test_inventory_documents import _pick

pytestmark = pytest.mark.e2e


def _setup(server, orders: dict[str, list[tuple[str, int]]] | None = None) -> dict[str, str]:
    """A warehouse with two SKUs on bins, a carrier account with a rule, and paid orders allocated
    there: by default one (``order``) of 2 TEA and 1 CUP; ``orders``: order key -> [(tea|cup, qty)]."""
    sfx = uuid.uuid4().hex[:6].upper()
    n = {
        "wh": f"WH-F{sfx}",
        "tea": f"TEA-{sfx}",
        "cup": f"CUP-{sfx}",
        "ch": f"CH-F{sfx}",
        "carrier": f"C{sfx}",
        "account": f"A{sfx}",
        "tracking": f"TN{sfx}0001",
    }
    with server.api(server.admin_token()) as api:
        assert (
            api.post(
                "/api/v1/inventory/warehouses", json={"code": n["wh"], "name": f"发货仓{sfx}"}
            ).status_code
            == 201
        )
        for sku, name in ((n["tea"], "龙井茶"), (n["cup"], "玻璃杯")):
            r = api.post(
                "/api/v1/catalog/skus",
                json={"code": sku, "name": name, "unit": "件", "price_cents": 3000, "cost_method": "fifo"},
            )
            assert r.status_code == 201, r.text
        assert (
            api.post(
                "/api/v1/purchasing/suppliers", json={"code": f"SUP-{sfx}", "name": "供应商"}
            ).status_code
            == 201
        )
        r = api.post(
            "/api/v1/purchasing/receipts",
            json={
                "ref": f"RC-F{sfx}",
                "supplier": f"SUP-{sfx}",
                "warehouse": n["wh"],
                "lines": [
                    {"sku": n["tea"], "qty": 20, "unit_cost_cents": 1000},
                    {"sku": n["cup"], "qty": 20, "unit_cost_cents": 800},
                ],
            },
        )
        assert r.status_code == 201, r.text
        r = api.put(
            "/api/v1/inventory/bins",
            json={
                "warehouse": n["wh"],
                "lines": [{"sku": n["tea"], "bin": "B-02"}, {"sku": n["cup"], "bin": "A-01"}],
            },
        )
        assert r.status_code == 200, r.text
        assert (
            api.post("/api/v1/orders/channels", json={"code": n["ch"], "name": f"小程序{sfx}"}).status_code
            == 201
        )
        ful = "/api/v1/fulfillment"
        assert (
            api.post(f"{ful}/carriers", json={"code": n["carrier"], "name": f"顺丰{sfx}"}).status_code == 204
        )
        r = api.post(
            f"{ful}/accounts", json={"code": n["account"], "carrier": n["carrier"], "name": f"月结{sfx}"}
        )
        assert r.status_code == 204, r.text
        r = api.post(
            f"{ful}/rules",
            json={"name": f"全国{sfx}", "account": n["account"], "priority": 0, "first_fee_cents": 0},
        )
        assert r.status_code == 201, r.text
        for key, lines in (orders or {"order": [("tea", 2), ("cup", 1)]}).items():
            n.setdefault(key, f"SO-{key.upper()}{sfx}")
            r = api.post(
                "/api/v1/orders",
                json={
                    "ref": n[key],
                    "channel": n["ch"],
                    "warehouse": n["wh"],
                    "buyer": {"name": "韩梅梅", "phone": "13900139000"},
                    "address": {
                        "receiver": "韩梅梅",
                        "phone": "13900139000",
                        "province": "浙江省",
                        "city": "杭州市",
                        "district": "西湖区",
                        "detail": f"文三路 {sfx} 号 {key}",
                    },
                    "lines": [{"sku": n[s], "qty": q, "unit_price_cents": 3000} for s, q in lines],
                    "payments": [{"method": "alipay", "amount_cents": 3000 * sum(q for _, q in lines)}],
                },
            )
            assert r.status_code == 201 and r.json()["status"] == "allocated", r.text
    return n


def _scan(page: Page, code: str) -> None:
    """What a keyboard-wedge scanner does: types the code into the focused field, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def _stock(server, sku: str, wh: str) -> dict:
    with server.api(server.admin_token()) as api:
        r = api.get("/api/v1/inventory/availability", params={"sku": sku, "warehouse": wh})
        assert r.status_code == 200, r.text
        return r.json()[0]


def test_a_wave_from_release_to_shipped_and_a_return_into_stock(page, login, server):
    n = _setup(server)
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.goto("/fulfillment/waves")
    page.get_by_test_id("wave-create").click()
    settle(page)
    _pick(page, page.get_by_test_id("wave-warehouse"), n["wh"], typed=n["wh"])
    page.get_by_test_id("wave-create-ok").click()
    row = page.get_by_test_id("waves-table").locator("tr", has_text=n["wh"])
    expect(row).to_have_count(1)
    row.get_by_role("button").click()  # release
    expect(page.get_by_test_id("wave-status")).to_contain_text("拣货中")
    lines = page.get_by_test_id("pick-lines").locator("tbody tr")
    expect(lines.nth(0)).to_contain_text("A-01")  # walking the bins in order
    expect(lines.nth(1)).to_contain_text("B-02")
    page.get_by_test_id("confirm-picks").click()
    expect(page.get_by_test_id("wave-status")).to_contain_text("已拣货")

    page.get_by_test_id("go-pack").click()
    scan = page.get_by_test_id("pack-scan")
    expect(scan).to_be_focused()
    expect(page.get_by_test_id("pack-wave-slots")).to_contain_text(n["order"])  # the wave's slots to pack
    _scan(page, n["order"])
    expect(page.get_by_test_id("pack-lines")).to_contain_text(n["tea"])
    _scan(page, n["tea"])
    _scan(page, "NOT-ON-ORDER")
    expect(page.get_by_test_id("pack-error")).to_contain_text("不是订单")
    expect(page.get_by_test_id(f"scanned-{n['tea']}")).to_have_text("1 / 2")
    _scan(page, n["tea"])
    expect(page.get_by_test_id("pack-error")).to_have_count(0)
    _scan(page, n["tea"])  # one too many
    expect(page.get_by_test_id("pack-error")).to_contain_text(n["tea"])
    _scan(page, n["cup"])
    expect(page.get_by_test_id(f"scanned-{n['cup']}")).to_have_text("1 / 1")
    weight = page.locator("input[data-testid=pack-weight], [data-testid=pack-weight] input")
    expect(weight).to_be_focused()  # the scale is next
    weight.fill("1200")
    page.get_by_test_id("pack-confirm").click()
    expect(page.get_by_test_id("pack-notice")).to_be_visible()
    expect(scan).to_be_focused()
    _scan(page, n["tracking"])
    expect(page.get_by_test_id("pack-tracking")).to_contain_text(n["tracking"])
    expect(page.get_by_test_id("pack-wave-slots")).to_contain_text("已发货")
    with server.api(server.admin_token()) as api:
        shipped = api.get("/api/v1/fulfillment/shipments", params={"q": n["order"]}).json()
    assert shipped[0]["status"] == "shipped" and shipped[0]["tracking_no"] == n["tracking"]
    before = _stock(server, n["tea"], n["wh"])
    assert before["on_hand"] == before["available"] == 18  # shipped: nothing reserved any more

    page.goto("/fulfillment/returns")
    expect(page.get_by_test_id("return-scan")).to_be_focused()
    _scan(page, n["order"])
    expect(page.get_by_test_id("return-order")).to_have_text(n["order"])
    _scan(page, "NOT-ON-ORDER")
    expect(page.get_by_test_id("return-error")).to_contain_text("NOT-ON-ORDER")
    _scan(page, n["tea"])
    expect(page.get_by_test_id("return-items").locator("tbody tr")).to_have_count(1)
    page.get_by_test_id("return-submit").click()
    expect(page.get_by_test_id("returns-table")).to_contain_text(n["order"])
    assert _stock(server, n["tea"], n["wh"])["on_hand"] == 19

    # The warehouse's other pages: the parcel listed, the carrier account with its rule, today's work.
    page.goto("/fulfillment/shipments")
    expect(page.get_by_test_id("shipments-table")).to_contain_text(n["tracking"])
    page.goto("/fulfillment/couriers")
    expect(page.get_by_test_id("accounts-table")).to_contain_text(n["account"])
    expect(page.get_by_test_id("rules-table")).to_contain_text(n["account"])
    page.goto("/fulfillment")
    expect(page.get_by_test_id("menu-fulfillment")).to_have_text("仓储")
    expect(page.get_by_test_id("ful-stat-shipped_today")).not_to_have_text("0")


def test_a_short_pick_sends_the_order_back_to_the_exception_queue(page, login, server):
    n = _setup(server, {"first": [("tea", 1)], "second": [("tea", 1)]})
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    with server.api(server.admin_token()) as api:
        r = api.post("/api/v1/fulfillment/waves", json={"warehouse": n["wh"]})
        (wave,) = r.json()["waves"]
    page.goto("/fulfillment/waves")
    page.get_by_test_id(f"wave-release-{wave}").click()
    expect(page.get_by_test_id("wave-status")).to_contain_text("拣货中")
    picked = page.locator(f"input[data-testid=picked-{n['tea']}], [data-testid=picked-{n['tea']}] input")
    picked.fill("1")  # one of the two pieces found
    page.get_by_test_id("confirm-picks").click()
    expect(page.get_by_test_id("wave-status")).to_contain_text("已拣货")
    expect(page.get_by_test_id("pick-slots").locator("tbody tr")).to_have_count(1)
    with server.api(server.admin_token()) as api:
        held = [api.get(f"/api/v1/orders/{n[k]}").json() for k in ("first", "second")]
    assert sorted(o["status"] for o in held) == ["allocated", "on_hold"]
    (back,) = [o for o in held if o["status"] == "on_hold"]
    assert back["hold_reasons"][0]["code"] == "short_pick"
