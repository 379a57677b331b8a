"""Batches and serial numbers in the browser: receive a batch, put it on hold; trace a serial."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import settle
from tests.e2e.test_inventory_documents import _open_documents, _pick

pytestmark = pytest.mark.e2e


def _master(server, tracking: str) -> dict[str, str]:
    sfx = uuid.uuid4().hex[:6].upper()
    n = {
        "wh": f"WH-T{sfx}",
        "wh_name": f"追溯测试仓{sfx}",
        "sku": f"TRK-{sfx}",
        "sku_name": f"追溯测试商品{sfx}",
        "sup": f"SUP-T{sfx}",
        "sup_name": f"追溯供应商{sfx}",
    }
    with server.api(server.admin_token()) as api:
        assert (
            api.post("/api/v1/inventory/warehouses", json={"code": n["wh"], "name": n["wh_name"]}).status_code
            == 201
        )
        sku = {
            "code": n["sku"],
            "name": n["sku_name"],
            "unit": "件",
            "price_cents": 5900,
            "cost_method": "fifo",
            "tracking": tracking,
            **({"shelf_life_days": 10} if tracking == "batch" else {}),
        }
        r = api.post("/api/v1/catalog/skus", json=sku)
        assert r.status_code == 201, r.text
        assert (
            api.post(
                "/api/v1/purchasing/suppliers", json={"code": n["sup"], "name": n["sup_name"]}
            ).status_code
            == 201
        )
    return n


def test_receive_a_batch_then_put_it_on_hold(page: Page, login, server):
    n = _master(server, "batch")
    today = dt.date.today()
    _open_documents(page, login)
    page.get_by_test_id("doc-new-receipt").click()
    form = page.get_by_test_id("doc-form-receipt")
    expect(form).to_be_visible()
    _pick(page, form.get_by_test_id("doc-form-supplier"), f"{n['sup']} {n['sup_name']}")
    _pick(page, form.get_by_test_id("doc-form-warehouse"), f"{n['wh']} {n['wh_name']}")
    line = form.get_by_test_id("doc-form-line").first
    _pick(page, line.get_by_test_id("line-sku"), f"{n['sku']} {n['sku_name']}", typed=n["sku"])
    line.get_by_test_id("line-lot").fill("B-2026-01")
    line.get_by_test_id("line-made").click()
    page.keyboard.type(today.isoformat())
    page.keyboard.press("Enter")
    line.get_by_test_id("line-qty").fill("24")
    line.get_by_test_id("line-cost").fill("3.50")
    page.get_by_test_id("doc-form-submit").click()
    detail = page.get_by_test_id("doc-detail")
    expect(detail).to_be_visible()
    expect(detail.get_by_test_id("doc-status")).to_have_text("已完成")

    # The batch is listed with its expiry (made + 10 days' shelf life), near expiry.
    page.goto(f"/inventory/batches?sku={n['sku']}&view=near")
    row = page.get_by_test_id("lot-table").get_by_test_id("lot-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("B-2026-01")
    expect(row).to_contain_text((today + dt.timedelta(days=10)).isoformat())
    expect(row).to_contain_text(n["wh"])
    expect(row).to_contain_text("24")
    expect(row).to_contain_text("临期")

    # A quality hold: the batch is no longer available.
    row.get_by_test_id("lot-hold").click()
    settle(page)
    page.get_by_test_id("lot-hold-reason").fill("抽检不合格")
    page.get_by_test_id("lot-hold-ok").click()
    expect(page.locator(".ant-message")).to_contain_text("B-2026-01")
    page.get_by_test_id("lot-view").get_by_text("已冻结").click()
    expect(page).to_have_url(re.compile(r"view=blocked"))
    held = page.get_by_test_id("lot-table").get_by_test_id("lot-row")
    expect(held).to_have_count(1)
    expect(held).to_contain_text("冻结")
    expect(held.get_by_test_id("lot-release")).to_be_visible()
    with server.api(server.admin_token()) as api:
        (avail,) = api.get("/api/v1/inventory/availability", params={"sku": n["sku"]}).json()
    assert (avail["on_hand"], avail["available"]) == (24, 0)


def test_trace_a_serial(page: Page, login, server):
    n = _master(server, "serial")
    sn = f"IMEI-{uuid.uuid4().hex[:10].upper()}"
    with server.api(server.admin_token()) as api:
        r = api.post(
            "/api/v1/purchasing/receipts",
            json={
                "ref": f"RC-{n['sku']}",
                "supplier": n["sup"],
                "warehouse": n["wh"],
                "lines": [{"sku": n["sku"], "qty": 2, "unit_cost_cents": 100000, "serials": [sn, sn + "-2"]}],
            },
        )
        assert r.status_code == 201, r.text
        for path, body in (
            ("channels", {"code": f"CH-{n['sku']}", "name": "直播间"}),
            ("customers", {"code": f"C-{n['sku']}", "name": "李四"}),
        ):
            assert api.post(f"/api/v1/orders/{path}", json=body).status_code == 201
        order = {
            "ref": f"SO-{n['sku']}",
            "channel": f"CH-{n['sku']}",
            "customer": f"C-{n['sku']}",
            "warehouse": n["wh"],
            "lines": [{"sku": n["sku"], "qty": 1, "unit_price_cents": 199900}],
            "payments": [{"method": "bank_card", "amount_cents": 1 * 199900}],
            "address": {
                "receiver": "王芳",
                "phone": "13800138000",
                "province": "上海市",
                "city": "上海市",
                "district": "浦东新区",
                "detail": f"世纪大道 {n['sku']} 号",
            },
        }
        assert api.post("/api/v1/orders", json=order).json()["status"] == "allocated"
        r = api.post(f"/api/v1/orders/SO-{n['sku']}/ship", json={"serials": {n["sku"]: [sn]}})
        assert r.status_code == 200, r.text

    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.get_by_test_id("menu-serials").click()  # the inventory group is open by default
    scan = page.get_by_test_id("serial-scan")
    expect(scan).to_be_focused()
    page.keyboard.type(sn)  # a keyboard-wedge scanner types the code and presses Enter
    page.keyboard.press("Enter")
    unit = page.get_by_test_id("serial-unit")
    expect(unit).to_have_count(1)
    expect(unit).to_contain_text(n["sku"])
    expect(unit.get_by_test_id("serial-status")).to_have_text("已发出")
    moves = unit.get_by_test_id("serial-move")
    expect(moves).to_have_count(2)
    expect(moves.nth(0)).to_contain_text("采购入库")
    expect(moves.nth(0)).to_contain_text(f"RC-{n['sku']}")
    expect(moves.nth(1)).to_contain_text("销售出库")
    expect(moves.nth(1)).to_contain_text(f"SO-{n['sku']}")

    page.keyboard.type("NO-SUCH-SERIAL")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("serial-none")).to_be_visible()
