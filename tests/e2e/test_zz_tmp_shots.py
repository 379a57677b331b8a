from tests.e2e.test_inventory_documents import _setup, _open_documents, _pick
from playwright.sync_api import expect


def test_shots(page, login, server):
    n = _setup(server, opening=5)
    with server.api(server.admin_token()) as api:
        r = api.post("/api/v1/inventory/warehouses", json={"code": n["wh"] + "B", "name": "B仓"})
        r = api.post(
            "/api/v1/inventory/transfers",
            json={
                "from_warehouse": n["wh"],
                "to_warehouse": n["wh"] + "B",
                "lines": [{"sku": n["sku"], "qty": 50}],
            },
        )
        print(r.json())
        r = api.post(
            "/api/v1/inventory/adjustments",
            json={"warehouse": n["wh"], "reason": "damaged", "lines": [{"sku": n["sku"], "qty": -1}]},
        )
    _open_documents(page, login)
    page.wait_for_timeout(800)
    page.screenshot(path="/tmp/shot-docs.png")
    page.get_by_test_id("doc-new-transfer").click()
    form = page.get_by_test_id("doc-form-transfer")
    _pick(page, form.get_by_test_id("doc-form-warehouse"), n["wh"] + " ")
    _pick(page, form.get_by_test_id("doc-form-to-warehouse"), "B仓")
    line = form.get_by_test_id("doc-form-line").first
    _pick(page, line.get_by_test_id("line-sku"), n["sku"], typed=n["sku"])
    line.get_by_test_id("line-qty").fill("99")
    page.get_by_test_id("doc-form-submit").click()
    expect(page.get_by_test_id("doc-form-rejected")).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path="/tmp/shot-transfer.png")
    page.get_by_test_id("doc-form-cancel").click()
    page.get_by_test_id("doc-new-adjustment").click()
    form = page.get_by_test_id("doc-form-adjustment")
    _pick(page, form.get_by_test_id("doc-form-reason"), "报损")
    page.get_by_test_id("doc-form-submit").click()
    page.wait_for_timeout(300)
    page.screenshot(path="/tmp/shot-adj.png")
    page.get_by_test_id("doc-form-cancel").click()
    page.get_by_test_id("doc-table").locator("tr.ant-table-row").nth(1).click()
    page.wait_for_timeout(800)
    page.screenshot(path="/tmp/shot-drawer.png")
    page.goto("/")
    page.wait_for_timeout(1500)
    page.screenshot(path="/tmp/shot-dash.png")
