"""The order pool's configuration and the rest of an order's life in the browser: a blacklist
entry and a regional routing rule made on their pages and then applied to incoming orders; a
channel made and given a webhook secret, and an order pushed to it signed with that secret; an
order file imported; an unpaid order paid, two orders merged and unmerged, a shipped order
completed — all from the pages."""

from __future__ import annotations

import time
import uuid

import orjson
import pytest
from playwright.sync_api import Page, expect

from omnistock.orders.adapters import sign_generic
from tests.e2e.helpers import settle
from tests.e2e.test_inventory_documents import _pick
from tests.e2e.test_orders_pool import GOOD_ADDRESS, _row

pytestmark = pytest.mark.e2e


def _shop(server, warehouses: int = 1) -> dict[str, str]:
    """``warehouses`` warehouses each holding 50 of one SKU, and a channel."""
    sfx = uuid.uuid4().hex[:6].upper()
    n = {"sku": f"CFG-{sfx}", "ch": f"CH-C{sfx}", "sup": f"SUP-C{sfx}", "sfx": sfx}
    with server.api(server.admin_token()) as api:
        r = api.post(
            "/api/v1/catalog/skus",
            json={
                "code": n["sku"],
                "name": f"配置测试{sfx}",
                "unit": "件",
                "price_cents": 1990,
                "cost_method": "average",
            },
        )
        assert r.status_code == 201, r.text
        assert (
            api.post("/api/v1/purchasing/suppliers", json={"code": n["sup"], "name": "供应商"}).status_code
            == 201
        )
        for i in range(warehouses):
            wh = n[f"wh{i}"] = f"WH-C{i}{sfx}"
            r = api.post("/api/v1/inventory/warehouses", json={"code": wh, "name": f"配置仓{i}{sfx}"})
            assert r.status_code == 201, r.text
            r = api.post(
                "/api/v1/purchasing/receipts",
                json={
                    "supplier": n["sup"],
                    "warehouse": wh,
                    "lines": [{"sku": n["sku"], "qty": 50, "unit_cost_cents": 800}],
                },
            )
            assert r.status_code == 201, r.text
        r = api.post("/api/v1/orders/channels", json={"code": n["ch"], "name": f"渠道{sfx}"})
        assert r.status_code == 201, r.text
    return n


def _order(
    server, n: dict, ref: str, *, phone: str, province: str = "上海市", paid: bool = True, qty: int = 1
):
    body = {
        "ref": ref,
        "channel": n["ch"],
        "buyer": {"name": f"买家{ref[-4:]}", "phone": phone},
        "address": {**GOOD_ADDRESS, "province": province, "phone": phone, "detail": "世纪大道 100 号 3 楼"},
        "lines": [{"sku": n["sku"], "qty": qty, "unit_price_cents": 1990}],
        "payments": [{"method": "wechat_pay", "amount_cents": 1990 * qty}] if paid else [],
    }
    with server.api(server.admin_token()) as api:
        r = api.post("/api/v1/orders", json=body)
        assert r.status_code == 201, r.text
        return r.json()


def test_blacklist_and_regional_routing_from_their_pages(page: Page, login, server):
    n = _shop(server, warehouses=2)
    rule_name = f"华南属地{n['sfx']}"
    phone = f"137{int(n['sfx'], 16) % 10**8:08d}"
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    try:
        # A regional rule: orders to 广东省 ship from the second warehouse.
        page.goto("/orders/route-rules")
        page.get_by_test_id("route-new").click()
        settle(page)
        form = page.get_by_test_id("route-form")
        form.get_by_test_id("route-name").fill(rule_name)
        _pick(page, form.get_by_test_id("route-kind"), "属地")
        form.get_by_test_id("route-priority").fill("1")
        _pick(page, form.get_by_test_id("route-warehouse"), n["wh1"], typed=n["wh1"])
        form.get_by_test_id("route-provinces").click()  # a multiple select stays open: Escape closes it
        page.keyboard.type("广东")
        page.locator(".ant-select-dropdown:visible .ant-select-item-option", has_text="广东省").first.click()
        page.keyboard.press("Escape")
        page.get_by_test_id("route-save").click()
        expect(page.locator(f"[data-testid=route-rule][data-name='{rule_name}']")).to_contain_text(n["wh1"])

        south = _order(server, n, f"SO-R{n['sfx']}", phone="13800138031", province="广东")
        assert south["status"] == "allocated" and south["warehouse"] == n["wh1"], south
        page.goto(f"/orders/pool?q={south['ref']}")
        expect(_row(page, south["ref"])).to_contain_text(n["wh1"])

        # A phone on the blacklist: the next order from it waits in the exception queue.
        page.goto("/orders/blacklist")
        page.get_by_test_id("blacklist-value").fill(phone)
        page.get_by_test_id("blacklist-note").fill("恶意退货")
        page.get_by_test_id("blacklist-add").click()
        expect(page.get_by_test_id("blacklist-row").filter(has_text=phone)).to_have_count(1)
        held = _order(server, n, f"SO-B{n['sfx']}", phone=phone)
        assert held["status"] == "on_hold", held
        page.goto(f"/orders/exceptions?channel={n['ch']}")
        expect(
            _row(page, held["ref"]).locator("[data-testid=order-hold-reason][data-code=blacklist]")
        ).to_have_count(1)

        # Removed from the list, the number is welcome again.
        page.goto("/orders/blacklist")
        row = page.get_by_test_id("blacklist-row").filter(has_text=phone)
        row.get_by_test_id("blacklist-remove").click()
        settle(page)
        page.locator(".ant-popconfirm:visible .ant-btn-primary").click()
        expect(page.get_by_test_id("blacklist-row").filter(has_text=phone)).to_have_count(0)
        again = _order(server, n, f"SO-B2{n['sfx']}", phone=phone, qty=2)  # not a duplicate either
        assert again["status"] == "allocated", again
    finally:
        with server.api(server.admin_token()) as api:
            for rule in api.get("/api/v1/orders/config/route-rules").json():
                if rule["name"] == rule_name:
                    assert api.delete(f"/api/v1/orders/config/route-rules/{rule['id']}").status_code == 204
            for entry in api.get("/api/v1/orders/config/blacklist").json():
                if entry["value"] == phone:
                    assert api.delete(f"/api/v1/orders/config/blacklist/{entry['id']}").status_code == 204


def test_channel_webhook_secret_and_order_import(page: Page, login, server, tmp_path):
    n = _shop(server)
    code = f"HOOK-{n['sfx']}"
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()

    # A new channel that pushes generic JSON, and its signing secret, shown once.
    page.goto("/orders/channels")
    page.get_by_test_id("channel-code").fill(code)
    page.get_by_test_id("channel-name").fill(f"分销商城{n['sfx']}")
    page.get_by_test_id("channel-add").click()
    row = page.locator(f"[data-testid=channel-row][data-code='{code}']")
    expect(row).to_have_count(1)
    _pick(page, row.get_by_test_id("channel-adapter"), "通用 JSON")
    expect(row).to_contain_text("/api/v1/orders/webhooks/")  # saved: the row shows its webhook address
    row.get_by_test_id("channel-rotate").click()
    settle(page)
    page.get_by_test_id("channel-rotate-ok").click()
    expect(page.get_by_test_id("channel-secret-value")).to_be_visible()
    secret = page.get_by_test_id("channel-secret-value").inner_text().strip()
    assert len(secret) >= 32, secret

    # The channel pushes an order signed with it: the order is in the pool.
    body = orjson.dumps(
        {
            "order_id": f"HK{n['sfx']}",
            "buyer": {"name": "周八", "phone": "13600136000"},
            "address": {**GOOD_ADDRESS, "phone": "13600136000", "detail": "世纪大道 300 号 9 楼"},
            "lines": [{"sku": n["sku"], "qty": 2, "price": "19.90"}],
            "payments": [{"method": "alipay", "amount": "39.80"}],
        }
    )
    with server.api(None) as anonymous:
        r = anonymous.post(
            f"/api/v1/orders/webhooks/{code}",
            content=body,
            headers={"Content-Type": "application/json", **sign_generic(secret, body, int(time.time()))},
        )
        assert r.status_code == 201, r.text
        pushed = r.json()
    page.goto(f"/orders/pool?channel={code}")
    expect(_row(page, pushed["ref"]).get_by_test_id("order-status")).to_have_text("已分配")
    expect(_row(page, pushed["ref"])).to_contain_text(f"HK{n['sfx']}")

    # An order file (CSV with Chinese headers): two orders, one of them of two rows.
    csv = tmp_path / "orders.csv"
    csv.write_text(
        "订单号,渠道,买家姓名,买家手机,收货人,收货电话,省,市,区县,详细地址,SKU编码,数量,单价(元),支付方式,实付金额(元)\n"
        f"IMP-A{n['sfx']},{n['ch']},吴九,13500135000,吴九,13500135000,上海市,上海市,浦东新区,张江路 1 号,{n['sku']},1,19.90,微信支付,19.90\n"
        f"IMP-B{n['sfx']},{n['ch']},郑十,13400134000,郑十,13400134000,上海市,上海市,徐汇区,漕溪路 2 号,{n['sku']},3,19.90,支付宝,59.70\n",
        encoding="utf-8",
    )
    page.goto("/orders/import")
    page.get_by_test_id("order-import").locator("input[type=file]").set_input_files(str(csv))
    expect(page.get_by_test_id("order-import-summary")).to_contain_text("2")
    page.goto(f"/orders/pool?channel={n['ch']}")
    expect(page.get_by_test_id("order-row")).to_have_count(2)


def test_pay_merge_unmerge_and_complete_from_the_pool(page: Page, login, server):
    n = _shop(server)
    sfx = n["sfx"]
    unpaid = _order(server, n, f"SO-P{sfx}", phone="13300133001", paid=False)
    assert unpaid["status"] == "pending_payment"
    a = _order(server, n, f"SO-MA{sfx}", phone="13300133002")
    b = _order(server, n, f"SO-MB{sfx}", phone="13300133002", qty=2)
    done = _order(server, n, f"SO-D{sfx}", phone="13300133003")
    with server.api(server.admin_token()) as api:
        r = api.post(f"/api/v1/orders/{done['ref']}/ship", json={})
        assert r.status_code == 200, r.text
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()

    # Pay the waiting order in full: reviewed, routed and allocated.
    page.goto(f"/orders/pool?channel={n['ch']}&order={unpaid['ref']}")
    drawer = page.get_by_test_id("order-detail")
    expect(drawer.get_by_test_id("order-detail-status")).to_have_text("待付款")
    page.get_by_test_id("order-pay").click()
    settle(page)
    expect(page.get_by_test_id("order-pay-amount")).to_have_value("19.90")
    page.get_by_test_id("order-action-ok").click()
    expect(drawer.get_by_test_id("order-detail-status")).to_have_text("已分配")
    page.locator(".ant-drawer-close").click()

    # Two orders of one buyer to one address become one parcel, and come apart again.
    _row(page, a["ref"]).locator("input[type=checkbox]").check()
    _row(page, b["ref"]).locator("input[type=checkbox]").check()
    page.get_by_test_id("order-merge").click()
    drawer = page.get_by_test_id("order-detail")
    merged = drawer.get_by_test_id("order-detail-ref").inner_text()
    expect(drawer.get_by_test_id("order-detail-status")).to_have_text("已分配")
    expect(drawer.get_by_test_id("order-related")).to_contain_text(a["ref"])
    expect(drawer.get_by_test_id("order-related")).to_contain_text(b["ref"])
    expect(_row(page, a["ref"]).get_by_test_id("order-status")).to_have_text("已合并")
    page.get_by_test_id("order-unmerge").click()
    settle(page)
    page.get_by_test_id("order-unmerge-confirm").click()
    expect(drawer.get_by_test_id("order-detail-status")).to_have_text("已关闭")
    page.locator(".ant-drawer-close").click()
    expect(_row(page, merged).get_by_test_id("order-status")).to_have_text("已关闭")
    expect(_row(page, a["ref"]).get_by_test_id("order-status")).to_have_text("已分配")
    expect(_row(page, b["ref"]).get_by_test_id("order-status")).to_have_text("已分配")

    # A shipped order is completed once the buyer has it.
    _row(page, done["ref"]).get_by_test_id("order-ref").click()
    drawer = page.get_by_test_id("order-detail")
    expect(drawer.get_by_test_id("order-detail-status")).to_have_text("已发货")
    page.get_by_test_id("order-complete").click()
    settle(page)
    page.get_by_test_id("order-complete-confirm").click()
    expect(drawer.get_by_test_id("order-detail-status")).to_have_text("已完成")


def test_edit_an_orders_items_from_the_drawer(page: Page, login, server):
    n = _shop(server)
    o = _order(server, n, f"SO-L{n['sfx']}", phone="13300133009")
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.goto(f"/orders/pool?channel={n['ch']}&order={o['ref']}")
    drawer = page.get_by_test_id("order-detail")
    expect(drawer.get_by_test_id("order-detail-status")).to_have_text("已分配")

    # Two pieces at the paid price would cost more than was paid: refused, nothing changed.
    page.get_by_test_id("order-edit-lines").click()
    settle(page)
    form = page.get_by_test_id("order-lines-form")
    form.get_by_test_id("edit-line-qty").fill("2")
    page.get_by_test_id("order-action-ok").click()
    expect(form.locator(".ant-alert-error")).to_contain_text("请先补录付款")

    # The second piece as a gift: accepted, the stock and the timeline follow.
    form.get_by_test_id("edit-line-discount").fill("19.90")
    page.get_by_test_id("order-action-ok").click()
    expect(drawer.get_by_test_id("order-line-qty")).to_have_text("2")
    expect(drawer.get_by_test_id("order-detail-status")).to_have_text("已分配")
    expect(drawer.get_by_test_id("order-timeline")).to_contain_text(f"{n['sku']}×1 → {n['sku']}×2")
