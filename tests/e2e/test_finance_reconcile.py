"""Channel settlement reconciliation in the browser: a bad WeChat Pay bill shows its row errors;
a good one is imported through the dialog, its matched and exception counts shown by status, and
the short-settled order's difference accepted to 营业外支出."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import post_ok, settle, shipped_order, stocked_sku
from tests.e2e.test_inventory_documents import _pick

pytestmark = pytest.mark.e2e

HEADER = "交易时间,微信订单号,商户订单号,交易状态,应结订单金额,微信退款单号,退款金额,手续费"


def _bill(rows: list[list[str]]) -> bytes:
    lines = [
        HEADER,
        *(",".join("`" + c for c in r) for r in rows),
        "总交易单数,应结订单总金额",
        f"`{len(rows)},`0.00",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _setup(server) -> dict[str, str]:
    sfx = uuid.uuid4().hex[:6].upper()
    n = {
        "wh": f"WH-R{sfx}",
        "sku": f"REC-{sfx}",
        "ch": f"WX-{sfx}",
        "ch_name": f"小程序{sfx}",
        "cust": f"C-R{sfx}",
    }
    with server.api(server.admin_token()) as api:
        stocked_sku(
            api,
            warehouse=n["wh"],
            sku=n["sku"],
            name=f"对账商品{sfx}",
            price_cents=5990,
            qty=5,
            unit_cost_cents=2000,
        )
        post_ok(api, "/api/v1/orders/channels", {"code": n["ch"], "name": n["ch_name"]})
        post_ok(api, "/api/v1/orders/customers", {"code": n["cust"], "name": "王芳"})
        for i in (1, 2):
            order = {
                "ref": f"SO-{sfx}-{i}",
                "channel": n["ch"],
                "customer": n["cust"],
                "warehouse": n["wh"],
                "lines": [{"sku": n["sku"], "qty": 1, "unit_price_cents": 5990}],
                "payments": [{"method": "wechat_pay", "amount_cents": 5990}],
            }
            shipped_order(api, order, detail=f"世纪大道 {sfx}-{i} 号")
        n["o1"], n["o2"] = f"SO-{sfx}-1", f"SO-{sfx}-2"
    return n


def _import(page: Page, n, name: str, data: bytes) -> None:
    page.get_by_test_id("recon-import").click()
    settle(page)
    _pick(page, page.get_by_test_id("recon-import-channel"), n["ch_name"])
    page.locator(".ant-modal input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_test_id("recon-import-ok").click()


def test_import_a_statement_and_resolve_an_exception(page: Page, login, server):
    n = _setup(server)
    now = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.get_by_test_id("menu-finance").click()
    page.get_by_test_id("menu-reconciliation").click()
    expect(page.get_by_test_id("recon-import")).to_be_visible()

    bad = _bill([[now, "4200BAD", n["o1"], "SUCCESS", "5x.90", "0", "0.00", "0.36"]])
    _import(page, n, "bad.csv", bad)
    expect(page.get_by_test_id("recon-import-error")).to_be_visible()
    errors = page.locator(".ant-modal .ant-table-row")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("应结订单金额")
    expect(errors.first).to_contain_text("2")
    page.locator(".ant-modal-close").click()
    expect(page.locator(".ant-modal:visible")).to_have_count(0)

    good = _bill(
        [
            [now, "4200" + n["o1"], n["o1"], "SUCCESS", "59.90", "0", "0.00", "0.36"],
            [now, "4200" + n["o2"], n["o2"], "SUCCESS", "58.90", "0", "0.00", "0.35"],
        ]
    )
    _import(page, n, "wechat.csv", good)
    tabs = page.get_by_test_id("recon-status-tabs")
    expect(tabs.get_by_test_id("recon-tab-matched")).to_contain_text("已匹配 1")
    expect(tabs.get_by_test_id("recon-tab-amount_mismatch")).to_contain_text("金额不符 1")
    page.get_by_test_id("recon-resolve-3").click()
    settle(page)
    expect(page.get_by_test_id("recon-resolve-account")).to_have_value("6711")
    page.get_by_test_id("recon-resolve-note").fill("平台少结 1 元")
    page.get_by_test_id("recon-resolve-ok").click()
    expect(page.get_by_test_id("recon-resolve-3")).to_have_count(0)
    expect(page.locator(".ant-drawer .ant-table-row", has_text=n["o2"])).to_contain_text("已处理")
    with server.api(server.admin_token()) as api:
        money = api.get(f"/api/v1/finance/reconciliation/orders/{n['o2']}").json()
        assert (money["status"], money["outstanding_cents"]) == ("settled", 0)
        queue = api.get("/api/v1/finance/reconciliation/exceptions", params={"channel": n["ch"]}).json()
        assert queue["items"] == []
