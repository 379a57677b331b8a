"""Purchasing in the browser: a purchase order made through the form, submitted, approved and
received at the receiving station by scanning, on quality hold until released (then the stock is
available); goods returned to the supplier from the order's drawer and listed under 采购退货; and
the replenishment workbench turning a suggestion into a draft purchase order."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import settle
from tests.e2e.test_inventory_documents import _pick

pytestmark = pytest.mark.e2e


def _setup(server) -> dict[str, str]:
    sfx = uuid.uuid4().hex[:6].upper()
    n = {
        "wh": f"WH-P{sfx}",
        "wh_name": f"采购仓{sfx}",
        "sku": f"PUR-{sfx}",
        "sku_name": f"采购测试商品{sfx}",
        "barcode": f"69{uuid.uuid4().int % 10**11:011d}",
        "sup": f"SUP-P{sfx}",
        "sup_name": f"测试供应商{sfx}",
    }
    with server.api(server.admin_token()) as api:
        assert (
            api.post("/api/v1/inventory/warehouses", json={"code": n["wh"], "name": n["wh_name"]}).status_code
            == 201
        )
        r = api.post(
            "/api/v1/catalog/skus",
            json={
                "code": n["sku"],
                "name": n["sku_name"],
                "unit": "件",
                "price_cents": 2990,
                "cost_method": "average",
                "barcodes": [n["barcode"]],
            },
        )
        assert r.status_code == 201, r.text
        r = api.post(
            "/api/v1/purchasing/suppliers",
            json={"code": n["sup"], "name": n["sup_name"], "lead_time_days": 3},
        )
        assert r.status_code == 201, r.text
        r = api.put(
            f"/api/v1/purchasing/suppliers/{n['sup']}/skus",
            json={"sku": n["sku"], "price_cents": 1250, "moq": 1, "pack_size": 1, "preferred": True},
        )
        assert r.status_code == 200, r.text
    return n


def _available(server, n) -> int:
    with server.api(server.admin_token()) as api:
        r = api.get("/api/v1/inventory/availability", params={"sku": n["sku"], "warehouse": n["wh"]})
        assert r.status_code == 200, r.text
        rows = r.json()[0]["warehouses"]
        return rows[0]["available"] if rows else 0


def test_purchase_order_approved_and_received_by_scanning(page: Page, login, server):
    n = _setup(server)
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.goto("/purchasing/orders")
    expect(page.get_by_test_id("po-table")).to_be_visible()
    page.get_by_test_id("po-new").click()
    settle(page)
    _pick(page, page.get_by_test_id("po-supplier"), f"{n['sup']} {n['sup_name']}")
    _pick(page, page.get_by_test_id("po-warehouse"), f"{n['wh']} {n['wh_name']}")
    _pick(page, page.get_by_test_id("po-line-sku-0"), f"{n['sku']} {n['sku_name']}", typed=n["sku"])
    page.get_by_test_id("po-line-qty-0").fill("3")
    page.get_by_test_id("po-save").click()

    drawer = page.get_by_test_id("po-drawer")
    expect(drawer.get_by_test_id("po-status-draft")).to_be_visible()
    expect(drawer.get_by_test_id("po-total")).to_have_text("¥37.50")  # the supplier's price
    drawer.get_by_test_id("po-action-submit").click()
    expect(drawer.get_by_test_id("po-status-submitted")).to_be_visible()
    drawer.get_by_test_id("po-action-approve").click()
    expect(drawer.get_by_test_id("po-status-approved")).to_be_visible()
    drawer.get_by_test_id("po-receive").click()

    # The receiving station: the order is loaded; each scan of the barcode is one piece.
    expect(page.get_by_test_id("rc-po")).to_be_visible()
    scan = page.get_by_test_id("rc-scan")
    expect(scan).to_be_focused()
    scan.fill("NO-SUCH-CODE")
    scan.press("Enter")
    expect(page.get_by_test_id("rc-error")).to_be_visible()
    for _ in range(3):
        scan.fill(n["barcode"])
        scan.press("Enter")
    expect(page.get_by_test_id(f"rc-qty-{n['sku']}")).to_have_value("3")
    expect(scan).to_be_focused()  # the scanner box keeps the focus
    assert _available(server, n) == 0
    page.get_by_test_id(f"rc-hold-{n['sku']}").check()  # quality hold: on hand, not available
    page.get_by_test_id("rc-submit").click()
    expect(page.get_by_test_id("po-status-received")).to_be_visible()
    expect(page.get_by_test_id("rc-remaining")).to_have_text("0")
    assert _available(server, n) == 0
    release = (
        page.get_by_test_id("hold-table")
        .locator("tr", has_text=n["sku"])
        .locator("[data-testid^=hold-release-]")
    )
    release.click()
    expect(page.get_by_test_id("hold-table").locator("tr", has_text=n["sku"])).to_have_count(0)
    assert _available(server, n) == 3


def _received_order(server, n, qty: int) -> dict:
    """A purchase order of ``qty`` made, approved and received in full through the API."""
    with server.api(server.admin_token()) as api:
        r = api.post(
            "/api/v1/purchasing/orders",
            json={"supplier": n["sup"], "warehouse": n["wh"], "lines": [{"sku": n["sku"], "qty": qty}]},
        )
        assert r.status_code == 201, r.text
        po = r.json()
        for action in ("submit", "approve"):
            r = api.post(f"/api/v1/purchasing/orders/{po['id']}/actions/{action}")
            assert r.status_code == 200, r.text
        r = api.post(
            f"/api/v1/purchasing/orders/{po['id']}/receipts", json={"lines": [{"code": n["sku"], "qty": qty}]}
        )
        assert r.status_code == 201, r.text
    return po


def test_goods_returned_to_the_supplier_from_the_order(page: Page, login, server):
    n = _setup(server)
    po = _received_order(server, n, 3)
    assert _available(server, n) == 3
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.goto(f"/purchasing/orders?id={po['id']}")
    drawer = page.get_by_test_id("po-drawer")
    expect(drawer.get_by_test_id("po-status-received")).to_be_visible()
    drawer.get_by_test_id("po-return").click()
    # Nothing entered: refused in the dialog.
    page.get_by_test_id("ret-submit").click()
    expect(page.get_by_test_id("ret-error")).to_be_visible()
    # More than received: the API's problem is shown in the dialog, nothing leaves.
    page.get_by_test_id("ret-qty-1").fill("5")
    page.get_by_test_id("ret-reason").fill("包装破损")
    page.get_by_test_id("ret-submit").click()
    expect(page.get_by_test_id("ret-error")).to_contain_text("5")
    expect(page.get_by_test_id("ret-error")).to_contain_text("3")
    assert _available(server, n) == 3
    page.get_by_test_id("ret-qty-1").fill("2")
    page.get_by_test_id("ret-submit").click()
    expect(page.get_by_test_id("ret-lines")).to_have_count(0)
    # The order's received quantity drops by what went back; the stock left at its cost.
    assert _available(server, n) == 1
    with server.api(server.admin_token()) as api:
        rows = api.get("/api/v1/purchasing/returns", params={"order_id": po["id"]}).json()["items"]
        assert api.get(f"/api/v1/purchasing/orders/{po['id']}").json()["lines"][0]["received"] == 1
    assert [(r["lines"][0]["qty"], r["value_cents"], r["reason"]) for r in rows] == [(2, 2500, "包装破损")]
    # The list of supplier returns under 采购.
    page.goto("/purchasing/returns")
    row = page.get_by_test_id("ret-table").locator("tr", has_text=po["ref"])
    expect(row).to_be_visible()
    expect(row).to_contain_text(f"{n['sku']} × 2")
    expect(row).to_contain_text("¥25.00")


def _sales_history(server, n, *, days: int, per_day: int, stock: int) -> None:
    """``stock`` received 30 days ago and ``per_day`` sold (shipped) on each of the last ``days``
    days, written through the services straight into the server's database."""
    from omnistock.inventory import service as inventory
    from omnistock.orders import service as orders
    from omnistock.platform.auth import Actor
    from omnistock.platform.db import make_engine
    from omnistock.platform.uow import UnitOfWork

    engine = make_engine(server.database_url)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        with UnitOfWork(engine, Actor.system("e2e")) as u:
            inventory.receive(
                u,
                ref=f"RC-{n['sku']}",
                warehouse=n["wh"],
                lines=[inventory.ReceiptLine(n["sku"], stock, 1250)],
                at=now - dt.timedelta(days=30),
            )
            orders.create_channel(u, code=f"CH-{n['sku']}", name="渠道")
            orders.create_customer(u, code=f"C-{n['sku']}", name="顾客")
        for i in range(days):
            at = now - dt.timedelta(days=days - i)
            with UnitOfWork(engine, Actor.system("e2e")) as u:
                ref = f"SO-{n['sku']}-{i}"
                orders.place_order(
                    u,
                    ref=ref,
                    channel_code=f"CH-{n['sku']}",
                    customer_code=f"C-{n['sku']}",
                    warehouse=n["wh"],
                    lines=[orders.OrderLineIn(n["sku"], per_day, 2990)],
                    at=at,
                )
                orders.ship_order(u, ref=ref, at=at)
    finally:
        engine.dispose()


def test_replenishment_workbench_creates_a_draft_order(page: Page, login, server):
    n = _setup(server)
    _sales_history(server, n, days=21, per_day=2, stock=46)  # 4 left, 2 a day, lead time 3 days
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.goto("/purchasing/replenishment")
    table = page.get_by_test_id("rp-table")
    expect(table).to_be_visible()
    qty = page.get_by_test_id(f"rp-qty-{n['wh']}-{n['sku']}")
    expect(qty).to_be_visible()
    suggested = int(qty.input_value())
    assert suggested > 0
    page.get_by_test_id(f"rp-why-{n['wh']}-{n['sku']}").click()
    expect(page.get_by_test_id("rp-explain")).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_test_id(f"rp-select-{n['wh']}-{n['sku']}").check()
    settle(page)
    page.get_by_test_id("rp-create").click()
    # One order made: its drawer opens on the purchase order page, a draft at the supplier's price.
    drawer = page.get_by_test_id("po-drawer")
    expect(drawer.get_by_test_id("po-status-draft")).to_be_visible()
    expect(drawer.get_by_test_id("po-total")).to_have_text(f"¥{suggested * 12.5:,.2f}")
