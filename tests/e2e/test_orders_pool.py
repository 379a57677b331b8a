"""The order pool in the browser: the pool and its tabs, the exception queue, fixing and releasing
a held order, a bulk cancel, a split, and a manual order through the form."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import settle
from tests.e2e.test_inventory_documents import _pick

pytestmark = pytest.mark.e2e

GOOD_ADDRESS = {
    "receiver": "王芳",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
}


def _setup(server) -> dict[str, str]:
    """A warehouse with stock of one SKU, a channel, and three orders of it: two good ones
    (allocated) and one with a made-up address and an urgent remark (held)."""
    sfx = uuid.uuid4().hex[:6].upper()
    n = {
        "wh": f"WH-O{sfx}",
        "sku": f"ORD-{sfx}",
        "sku_name": f"订单测试商品{sfx}",
        "ch": f"CH-O{sfx}",
        "ch_name": f"小程序{sfx}",
        "good": f"SO-G{sfx}",
        "held": f"SO-H{sfx}",
        "other": f"SO-C{sfx}",
    }
    with server.api(server.admin_token()) as api:
        r = api.post("/api/v1/inventory/warehouses", json={"code": n["wh"], "name": f"订单仓{sfx}"})
        assert r.status_code == 201, r.text
        r = api.post(
            "/api/v1/catalog/skus",
            json={
                "code": n["sku"],
                "name": n["sku_name"],
                "unit": "件",
                "price_cents": 2990,
                "cost_method": "fifo",
            },
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
                "ref": f"RC-{n['sku']}",
                "supplier": f"SUP-{sfx}",
                "warehouse": n["wh"],
                "lines": [{"sku": n["sku"], "qty": 50, "unit_cost_cents": 1000}],
            },
        )
        assert r.status_code == 201, r.text
        r = api.post("/api/v1/orders/channels", json={"code": n["ch"], "name": n["ch_name"]})
        assert r.status_code == 201, r.text

        def order(ref: str, phone: str, detail: str, qty: int, remark: str | None = None) -> dict:
            body = {
                "ref": ref,
                "channel": n["ch"],
                "external_ref": f"EXT-{ref}",
                "buyer": {"name": f"买家{ref[-4:]}", "phone": phone},
                "address": {**GOOD_ADDRESS, "phone": phone, "detail": detail},
                "lines": [{"sku": n["sku"], "qty": qty, "unit_price_cents": 2990}],
                "payments": [{"method": "alipay", "amount_cents": qty * 2990}],
                "buyer_remark": remark,
            }
            r = api.post("/api/v1/orders", json=body)
            assert r.status_code == 201, r.text
            return r.json()

        assert order(n["good"], "13800138001", "世纪大道 100 号 3 楼", 2)["status"] == "allocated"
        assert order(n["other"], "13800138003", "张杨路 500 号 12 楼", 1)["status"] == "allocated"
        held = order(n["held"], "13800138002", "测试", 1, remark="请加急发货")
        assert held["status"] == "on_hold", held
        assert {x["code"] for x in held["hold_reasons"]} >= {"address_suspicious", "remark_keywords"}
    return n


def _row(page: Page, ref: str):
    return page.locator(f"[data-testid=order-row][data-ref='{ref}']")


def test_order_pool_exceptions_release_bulk_split_and_form(page: Page, login, server):
    n = _setup(server)
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()

    # The pool from the menu, then narrowed to the test's channel (a linkable URL).
    page.get_by_test_id("menu-orders").click()
    page.get_by_test_id("menu-order-pool").click()
    expect(page).to_have_url(re.compile(r"/orders/pool"))
    expect(page.get_by_test_id("order-pool")).to_be_visible()
    page.goto(f"/orders/pool?channel={n['ch']}")
    for ref in (n["good"], n["held"], n["other"]):
        expect(_row(page, ref)).to_have_count(1)
    expect(_row(page, n["good"]).get_by_test_id("order-status")).to_have_text("已分配")
    expect(_row(page, n["good"])).to_contain_text(n["wh"])
    expect(_row(page, n["good"])).to_contain_text(f"EXT-{n['good']}")
    expect(_row(page, n["held"]).get_by_test_id("order-status")).to_have_text("异常")
    expect(page.get_by_test_id("order-tab-count-on_hold")).to_contain_text("1")
    expect(page.get_by_test_id("order-tab-count-all")).to_contain_text("3")

    # The exception queue: only the held order, its reasons up front.
    page.get_by_test_id("menu-order-exceptions").click()
    expect(page).to_have_url(re.compile(r"/orders/exceptions"))
    page.goto(f"/orders/exceptions?channel={n['ch']}")
    expect(page.get_by_test_id("order-exceptions")).to_be_visible()
    rows = page.get_by_test_id("order-row")
    expect(rows).to_have_count(1)
    held = _row(page, n["held"])
    expect(held.locator("[data-testid=order-hold-reason][data-code=address_suspicious]")).to_contain_text(
        "地址可疑"
    )
    expect(held.locator("[data-testid=order-hold-reason][data-code=remark_keywords]")).to_contain_text("加急")

    # Open it (the drawer's URL is linkable), fix the address and release it: allocated.
    held.get_by_test_id("order-ref").click()
    expect(page).to_have_url(re.compile(rf"order={n['held']}"))
    drawer = page.get_by_test_id("order-detail")
    expect(drawer.get_by_test_id("order-detail-status")).to_have_text("异常")
    expect(drawer.get_by_test_id("order-buyer-remark")).to_have_text("请加急发货")
    drawer.get_by_test_id("order-edit-detail").fill("世纪大道 200 号 5 楼")
    drawer.get_by_test_id("order-edit-save").click()
    expect(page.locator(".ant-message")).to_contain_text(f"订单 {n['held']} 已保存")
    page.get_by_test_id("order-release").click()
    settle(page)
    expect(page.get_by_test_id("order-release-form")).to_be_visible()
    page.get_by_test_id("order-action-ok").click()
    expect(drawer.get_by_test_id("order-detail-status")).to_have_text("已分配")
    expect(drawer.get_by_test_id("order-detail-warehouse")).to_have_text(n["wh"])
    timeline = drawer.get_by_test_id("order-timeline")
    expect(timeline).to_contain_text("异常 → 待分配")
    expect(timeline).to_contain_text("待分配 → 已分配")
    expect(timeline).to_contain_text(f"仓库 {n['wh']}")
    expect(timeline).to_contain_text("详细地址: 测试 → 世纪大道 200 号 5 楼")
    page.locator(".ant-drawer-close").click()
    expect(page).not_to_have_url(re.compile(r"order="))
    expect(page.get_by_test_id("order-row")).to_have_count(0)  # the queue is empty now

    # Bulk cancel one order from the pool.
    page.goto(f"/orders/pool?channel={n['ch']}")
    _row(page, n["other"]).locator("input[type=checkbox]").check()
    expect(page.get_by_test_id("order-selected")).to_have_text("已选 1 单")
    page.get_by_test_id("order-bulk-cancel").click()
    settle(page)
    page.get_by_test_id("order-bulk-reason").fill("买家不要了")
    page.get_by_test_id("order-bulk-ok").click()
    expect(page.get_by_test_id("order-bulk-done")).to_contain_text("成功 1 单，失败 0 单")
    expect(_row(page, n["other"]).get_by_test_id("order-status")).to_have_text("已取消")

    # Split one piece of the good order off into a new order.
    _row(page, n["good"]).get_by_test_id("order-ref").click()
    drawer = page.get_by_test_id("order-detail")
    expect(drawer.get_by_test_id("order-detail-ref")).to_have_text(n["good"])
    page.get_by_test_id("order-split").click()
    settle(page)
    page.get_by_test_id("order-split-form").get_by_test_id("order-split-qty").fill("1")
    page.get_by_test_id("order-action-ok").click()
    expect(page.get_by_test_id("order-action-done")).to_contain_text(f"已拆出 {n['good']}-S1")
    expect(drawer.get_by_test_id("order-related")).to_contain_text(f"{n['good']}-S1")
    expect(drawer.get_by_test_id("order-line-qty")).to_have_text("1")
    page.locator(".ant-drawer-close").click()
    expect(_row(page, f"{n['good']}-S1")).to_have_count(1)

    # A manual order through the form: scanned SKU, price filled in, paid in full → allocated.
    page.get_by_test_id("order-new").click()
    form = page.get_by_test_id("order-form")
    expect(form).to_be_visible()
    settle(page)
    form.get_by_test_id("order-form-channel").fill(n["ch"])
    form.get_by_test_id("order-form-buyer-name").fill("赵六")
    form.get_by_test_id("order-form-buyer-phone").fill("13900139000")
    form.get_by_test_id("order-form-receiver").fill("赵六")
    form.get_by_test_id("order-form-receiver-phone").fill("13900139000")
    _pick(page, form.get_by_test_id("order-form-province"), "上海市", typed="上海")
    form.get_by_test_id("order-form-city").fill("上海市")
    form.get_by_test_id("order-form-district").fill("徐汇区")
    form.get_by_test_id("order-form-detail").fill("漕溪北路 88 号 2 楼")
    form.get_by_test_id("order-form-scan").fill(n["sku"])
    form.get_by_test_id("order-form-scan").press("Enter")
    expect(form.get_by_test_id("line-price")).to_have_value("29.90")
    form.get_by_test_id("line-qty").fill("3")
    form.get_by_test_id("order-form-shipping").fill("5")
    expect(form.get_by_test_id("order-form-pay-amount")).to_have_value("94.70")
    expect(page.get_by_test_id("order-form-payable")).to_contain_text("¥94.70")
    page.get_by_test_id("order-form-submit").click()
    expect(page.get_by_test_id("order-form-created")).to_be_visible()
    drawer = page.get_by_test_id("order-detail")
    expect(drawer.get_by_test_id("order-detail-status")).to_have_text("已分配")
    expect(drawer.get_by_test_id("order-payable")).to_contain_text("¥94.70")
    expect(drawer.get_by_test_id("order-paid")).to_contain_text("¥94.70")
    expect(drawer.get_by_test_id("order-line-qty")).to_have_text("3")


def test_switching_off_a_review_rule_lets_the_order_through(page: Page, login, server):
    n = _setup(server)
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.get_by_test_id("menu-orders").click()
    page.get_by_test_id("menu-review-rules").click()
    expect(page).to_have_url(re.compile(r"/orders/review-rules"))
    rule = page.locator("[data-testid=review-rule][data-kind=address_suspicious]")
    expect(rule).to_contain_text("地址可疑")
    switch = rule.get_by_test_id("review-enabled")
    expect(switch).to_be_checked()
    try:
        switch.click()
        expect(page.get_by_test_id("review-saved")).to_contain_text("已保存 地址可疑")
        page.reload()
        expect(
            page.locator("[data-testid=review-rule][data-kind=address_suspicious]").get_by_test_id(
                "review-enabled"
            )
        ).not_to_be_checked()
        # The always-on stock rule cannot be switched off.
        expect(
            page.locator("[data-testid=review-rule][data-kind=out_of_stock]").get_by_test_id("review-enabled")
        ).to_be_disabled()

        # The same made-up address no longer holds an order: it is allocated.
        with server.api(server.admin_token()) as api:
            r = api.post(
                "/api/v1/orders",
                json={
                    "ref": f"{n['held']}-2",
                    "channel": n["ch"],
                    "buyer": {"name": "孙七", "phone": "13700137000"},
                    "address": {**GOOD_ADDRESS, "phone": "13700137000", "detail": "测试"},
                    "lines": [{"sku": n["sku"], "qty": 1, "unit_price_cents": 2990}],
                    "payments": [{"method": "wechat_pay", "amount_cents": 2990}],
                },
            )
            assert r.status_code == 201, r.text
            assert r.json()["status"] == "allocated", r.json()
        page.goto(f"/orders/pool?q={n['held']}-2")
        expect(_row(page, f"{n['held']}-2").get_by_test_id("order-status")).to_have_text("已分配")
    finally:
        with server.api(server.admin_token()) as api:
            r = api.put("/api/v1/orders/config/review-rules/address_suspicious", json={"enabled": True})
            assert r.status_code == 200, r.text
