"""In the browser: a stocktake counted by scanning (a keyboard-wedge scanner types a code and
presses Enter), then posted; and a transfer order shipped, printed and received with a loss."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import settle
from tests.e2e.test_inventory_documents import _pick

pytestmark = pytest.mark.e2e


def _setup(server, stock: dict[str, int], *, warehouses: int = 1) -> dict[str, str]:
    """Fresh warehouses and SKUs (unique codes), with ``stock`` pieces at ¥10.00 in the first."""
    sfx = uuid.uuid4().hex[:6].upper()
    n = {"sup": f"SUP-{sfx}"}
    with server.api(server.admin_token()) as api:
        for i in range(warehouses):
            n[f"wh{i}"], n[f"wh{i}_name"] = f"WH-T{i}{sfx}", f"测试仓{i}{sfx}"
            r = api.post("/api/v1/inventory/warehouses", json={"code": n[f"wh{i}"], "name": n[f"wh{i}_name"]})
            assert r.status_code == 201, r.text
        assert (
            api.post("/api/v1/purchasing/suppliers", json={"code": n["sup"], "name": "供应商"}).status_code
            == 201
        )
        lines = []
        for key, qty in stock.items():
            n[key], n[f"{key}_name"] = f"{key.upper()}-{sfx}", f"测试商品 {key} {sfx}"
            r = api.post(
                "/api/v1/catalog/skus",
                json={
                    "code": n[key],
                    "name": n[f"{key}_name"],
                    "unit": "件",
                    "price_cents": 1990,
                    "cost_method": "average",
                },
            )
            assert r.status_code == 201, r.text
            lines.append({"sku": n[key], "qty": qty, "unit_cost_cents": 1000})
        r = api.post(
            "/api/v1/purchasing/receipts", json={"supplier": n["sup"], "warehouse": n["wh0"], "lines": lines}
        )
        assert r.status_code == 201, r.text
    return n


def _scan(page: Page, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the focused box, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_stocktake_by_scanning(page, login, server):
    n = _setup(server, {"tea": 5, "cup": 2})
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.get_by_test_id("menu-stocktakes").click()
    expect(page.get_by_test_id("st-table")).to_be_visible()

    page.get_by_test_id("st-new").click()
    form = page.get_by_test_id("st-form")
    expect(form).to_be_visible()
    _pick(page, form.get_by_test_id("st-form-warehouse"), f"{n['wh0']} {n['wh0_name']}")
    page.get_by_test_id("st-form-submit").click()

    # The count screen opens with the scanner box focused: scan without touching the mouse.
    expect(page).to_have_url(re.compile(r"/inventory/stocktakes/\d+$"))
    scan = page.get_by_test_id("st-scan")
    expect(scan).to_be_focused()
    expect(page.get_by_test_id("st-line")).to_have_count(2)
    for _ in range(3):
        _scan(page, n["tea"])
    expect(page.get_by_test_id("st-last")).to_contain_text(f"{n['tea']}")
    expect(page.get_by_test_id("st-last")).to_contain_text("→ 3")
    tea = page.locator(f"[data-testid=st-line][data-sku='{n['tea']}']")
    expect(tea.get_by_test_id("st-line-counted1")).to_have_text("3")
    expect(scan).to_be_focused()

    # An unknown code is a clear, visible error; nothing is counted.
    _scan(page, "NO-SUCH-CODE")
    expect(page.get_by_test_id("st-last-error")).to_contain_text("NO-SUCH-CODE")
    # A typed quantity sets the line: quantity box first, then the code.
    page.get_by_test_id("st-qty").fill("1")
    page.get_by_test_id("st-qty").press("Enter")
    expect(scan).to_be_focused()
    _scan(page, n["cup"])
    expect(page.get_by_test_id("st-last-ok")).to_contain_text("1")
    cup = page.locator(f"[data-testid=st-line][data-sku='{n['cup']}']")
    expect(cup.get_by_test_id("st-line-counted1")).to_have_text("1")
    expect(page.get_by_test_id("st-progress")).to_have_text("2 / 2")

    # Post: the differences appear in the report, valued at cost, with the count document.
    settle(page)
    page.get_by_test_id("st-post").click()
    settle(page)
    page.get_by_test_id("st-post-confirm").click()
    expect(page.get_by_test_id("st-status")).to_have_text("已过账")
    report = page.get_by_test_id("st-report")
    expect(report).to_be_visible()
    tea_row = report.locator(f"[data-testid=st-report-line][data-sku='{n['tea']}']")
    expect(tea_row.get_by_test_id("st-report-diff")).to_have_text("-2")
    expect(tea_row.get_by_test_id("st-report-value")).to_have_text("-¥20.00")
    cup_row = report.locator(f"[data-testid=st-report-line][data-sku='{n['cup']}']")
    expect(cup_row.get_by_test_id("st-report-diff")).to_have_text("-1")
    ref = page.get_by_test_id("st-detail-ref").inner_text()
    expect(page.get_by_test_id("st-count-doc")).to_have_text(ref)

    # The stock is what was counted.
    page.goto(f"/inventory/stock?warehouse={n['wh0']}")
    rows = page.get_by_test_id("stock-table")
    expect(rows.locator("tr", has_text=n["tea"])).to_contain_text("3")
    expect(rows.locator("tr", has_text=n["cup"])).to_contain_text("1")


def test_transfer_order_ship_print_and_receive(page, login, server):
    n = _setup(server, {"mug": 10}, warehouses=2)
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.get_by_test_id("menu-transfer-orders").click()
    expect(page.get_by_test_id("to-table")).to_be_visible()

    page.get_by_test_id("to-new").click()
    form = page.get_by_test_id("to-form")
    expect(form).to_be_visible()
    _pick(page, form.get_by_test_id("to-form-from"), f"{n['wh0']} {n['wh0_name']}")
    _pick(page, form.get_by_test_id("to-form-to"), f"{n['wh1']} {n['wh1_name']}")
    line = form.get_by_test_id("to-form-line").first
    _pick(page, line.get_by_test_id("line-sku"), f"{n['mug']} {n['mug_name']}", typed=n["mug"])
    line.get_by_test_id("line-qty").fill("6")
    page.get_by_test_id("to-form-submit").click()

    detail = page.get_by_test_id("to-detail")
    expect(detail).to_be_visible()
    expect(detail.get_by_test_id("to-status")).to_have_text("草稿")
    ref = detail.get_by_test_id("to-detail-ref").inner_text()

    # Ship: the stock leaves the source and is in transit.
    settle(page)
    page.get_by_test_id("to-ship").click()
    settle(page)
    page.get_by_test_id("to-ship-confirm").click()
    expect(detail.get_by_test_id("to-status")).to_have_text("在途")
    expect(detail.get_by_test_id("to-detail-in-transit")).to_have_text("6")
    expect(detail.get_by_test_id("to-line-in-transit")).to_have_text("6")
    expect(detail.get_by_test_id("to-moves")).to_contain_text("在途")

    # Print: the PDF opens in a new tab.
    with page.expect_popup() as popup:
        page.get_by_test_id("to-print").click()
    expect(popup.value).to_have_url(re.compile(r"^blob:"))
    popup.value.close()

    # Receive: 4 of the 6 arrived; 2 are a transit loss.
    page.get_by_test_id("to-receive").click()
    receive = page.get_by_test_id("to-receive-form")
    expect(receive).to_be_visible()
    qty = receive.get_by_test_id("to-receive-qty")
    expect(qty).to_have_value("6")
    qty.fill("4")
    expect(receive.get_by_test_id("to-receive-loss")).to_contain_text("2")
    page.get_by_test_id("to-receive-submit").click()
    expect(detail.get_by_test_id("to-status")).to_have_text("已完成")
    expect(detail.get_by_test_id("to-line-received")).to_have_text("4")
    expect(detail.get_by_test_id("to-line-lost")).to_have_text("2")
    expect(detail.get_by_test_id("to-detail-in-transit")).to_have_text("0")
    expect(detail.get_by_test_id("to-moves")).to_contain_text("在途损耗")

    # The list shows it done; the stock is where it should be.
    page.locator(".ant-drawer-close").click()
    row = page.get_by_test_id("to-table").locator("tr", has_text=ref)
    expect(row.get_by_test_id("to-status")).to_have_text("已完成")
    page.goto(f"/inventory/stock?q={n['mug']}")
    rows = page.get_by_test_id("stock-table")
    expect(rows.locator("tr", has_text=n["wh0"])).to_contain_text("4")
    expect(rows.locator("tr", has_text=n["wh1"])).to_contain_text("4")


def test_transfer_order_of_serial_units_is_shipped_and_received_by_scanning(page, login, server):
    sfx = uuid.uuid4().hex[:6].upper()
    src, dst, sku = f"WH-S0{sfx}", f"WH-S1{sfx}", f"PHONE-{sfx}"
    sn = [f"SN{sfx}-{i}" for i in range(3)]
    with server.api(server.admin_token()) as api:
        for code in (src, dst):
            assert (
                api.post("/api/v1/inventory/warehouses", json={"code": code, "name": code}).status_code == 201
            )
        r = api.post(
            "/api/v1/catalog/skus",
            json={
                "code": sku,
                "name": f"手机 {sfx}",
                "unit": "台",
                "price_cents": 199900,
                "cost_method": "average",
                "tracking": "serial",
            },
        )
        assert r.status_code == 201, r.text
        r = api.post(
            "/api/v1/inventory/receipts",
            json={
                "warehouse": src,
                "lines": [{"sku": sku, "qty": 3, "unit_cost_cents": 100000, "serials": sn}],
            },
        )
        assert r.status_code == 201, r.text
        r = api.post(
            "/api/v1/inventory/transfer-orders",
            json={"from_warehouse": src, "to_warehouse": dst, "lines": [{"sku": sku, "qty": 2}]},
        )
        assert r.status_code == 201, r.text
        oid = r.json()["id"]
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.goto(f"/inventory/transfer-orders?order={oid}")
    detail = page.get_by_test_id("to-detail")
    expect(detail.get_by_test_id("to-status")).to_have_text("草稿")

    # Ship: the scanner types each number and presses Enter in the line's box.
    settle(page)
    page.get_by_test_id("to-ship").click()
    form = page.get_by_test_id("to-ship-form")
    expect(form).to_be_visible()
    form.get_by_test_id("to-serials").click()
    _scan(page, sn[0])
    page.get_by_test_id("to-ship-submit").click()
    expect(form.get_by_test_id("to-ship-error")).to_contain_text("2")  # one scanned, two needed
    form.get_by_test_id("to-serials").click()
    page.keyboard.press("Control+End")
    _scan(page, sn[2])
    expect(form.get_by_test_id("to-serial-count")).to_have_text("已扫 2 / 2")
    page.get_by_test_id("to-ship-submit").click()
    expect(detail.get_by_test_id("to-status")).to_have_text("在途")
    expect(detail.get_by_test_id("to-line-in-transit")).to_have_text("2")

    # Receive: only one of the two units arrived; the other is lost in transit.
    page.get_by_test_id("to-receive").click()
    receive = page.get_by_test_id("to-receive-form")
    expect(receive.get_by_test_id("to-serials-in-transit")).to_contain_text(sn[2])
    receive.get_by_test_id("to-serials").click()
    _scan(page, sn[2])
    expect(receive.get_by_test_id("to-receive-loss")).to_contain_text("1")
    page.get_by_test_id("to-receive-submit").click()
    expect(detail.get_by_test_id("to-status")).to_have_text("已完成")
    expect(detail.get_by_test_id("to-line-received")).to_have_text("1")
    expect(detail.get_by_test_id("to-line-lost")).to_have_text("1")
    with server.api(server.admin_token()) as api:
        units = {
            x["serial_no"]: (x["status"], x["warehouse"])
            for x in api.get("/api/v1/inventory/serials", params={"sku": sku}).json()
        }
    assert units == {sn[0]: ("removed", None), sn[1]: ("in_stock", src), sn[2]: ("in_stock", dst)}
