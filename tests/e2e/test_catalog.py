"""Catalog in the browser: create a product with its SKU matrix, barcodes and an image, then
find a SKU by scanning one of its barcodes."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.catalog.helpers import png
from tests.e2e.helpers import settle

pytestmark = pytest.mark.e2e


def _setup(server) -> dict[str, str]:
    """A fresh category and brand (unique codes, so the tests can run in any order)."""
    sfx = uuid.uuid4().hex[:6].upper()
    names = {
        "cat": f"TEE{sfx}",
        "cat_name": f"T恤{sfx}",
        "brand": f"BR{sfx}",
        "brand_name": f"棉田{sfx}",
        "code": f"TS{sfx}",
        "bc1": f"69{sfx}01",
        "bc2": f"69{sfx}02",
        "bc3": f"69{sfx}03",
    }
    with server.api(server.admin_token()) as api:
        r = api.post("/api/v1/catalog/categories", json={"code": names["cat"], "name": names["cat_name"]})
        assert r.status_code == 201, r.text
        r = api.post("/api/v1/catalog/brands", json={"code": names["brand"], "name": names["brand_name"]})
        assert r.status_code == 201, r.text
    return names


def _tags(page: Page, select, *values: str) -> None:
    """Type values into a tags select, each confirmed with Enter (as a scanner does)."""
    select.click()
    for v in values:
        page.keyboard.type(v)
        page.keyboard.press("Enter")
    for v in values:
        expect(select).to_contain_text(v)


def _pick(page: Page, select, text: str) -> None:
    settle(page)
    select.click()
    page.keyboard.type(text)
    option = page.locator(
        ".ant-select-dropdown:visible .ant-select-item-option, .ant-select-dropdown:visible .ant-select-tree-treenode",
        has_text=text,
    ).first
    expect(option).to_be_visible()
    settle(page)
    option.click()
    expect(page.locator(".ant-select-dropdown:visible")).to_have_count(0)


def test_create_a_product_with_skus_and_barcodes(page, login, server):
    n = _setup(server)
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.get_by_test_id("menu-products").click()
    expect(page).to_have_url(re.compile(r"/catalog/products$"))
    expect(page.get_by_test_id("products-table")).to_be_visible()
    page.get_by_test_id("product-new").click()
    expect(page).to_have_url(re.compile(r"/catalog/products/new"))

    page.get_by_test_id("product-form-code").fill(n["code"])
    page.get_by_test_id("product-form-name").fill("精梳棉T恤")
    _pick(page, page.get_by_test_id("product-form-category"), n["cat_name"])
    _pick(page, page.get_by_test_id("product-form-brand"), n["brand_name"])
    page.get_by_test_id("product-form-description").fill("e2e 新品")
    page.get_by_test_id("product-images").locator("input[type=file]").set_input_files(
        files=[{"name": "front.png", "mimeType": "image/png", "buffer": png(3, 2, seed=7)}]
    )
    expect(page.get_by_test_id("product-images").get_by_test_id("product-image")).to_have_count(1)

    # Attributes 颜色 × 尺码, a price for every row, then the matrix.
    page.get_by_test_id("attr-name-0").fill("颜色")
    _tags(page, page.get_by_test_id("attr-values-0"), "红", "黑")
    page.get_by_test_id("attr-add").click()
    page.get_by_test_id("attr-name-1").fill("尺码")
    _tags(page, page.get_by_test_id("attr-values-1"), "M", "L")
    page.get_by_test_id("matrix-bulk-price").fill("59.9")
    page.get_by_test_id("matrix-generate").click()
    rows = page.get_by_test_id("matrix-row")
    expect(rows).to_have_count(4)
    expect(rows.nth(0).get_by_test_id("row-code")).to_have_value(f"{n['code']}-1-M")
    expect(rows.nth(3).get_by_test_id("row-code")).to_have_value(f"{n['code']}-2-L")
    expect(rows.nth(0).get_by_test_id("row-price")).to_have_value("59.9")

    # Row 1 gets two barcodes (scanned), row 2 a code and a price of its own, row 4 is left out.
    _tags(page, rows.nth(0).get_by_test_id("row-barcodes"), n["bc1"], n["bc2"])
    rows.nth(1).get_by_test_id("row-code").fill(f"{n['code']}-RED-L")
    rows.nth(1).get_by_test_id("row-price").fill("69.00")
    _tags(page, rows.nth(1).get_by_test_id("row-barcodes"), n["bc3"])
    rows.nth(3).get_by_test_id("row-enabled").click()
    expect(rows.nth(3)).to_contain_text("不创建")
    page.get_by_test_id("product-save").click()

    # Saved: the editor of the new product, with its three SKUs.
    expect(page.locator(".ant-message")).to_contain_text(f"已创建商品 {n['code']}（3 个 SKU）")
    expect(page).to_have_url(re.compile(r"/catalog/products/\d+$"))
    expect(page.get_by_test_id("product-editor-title")).to_contain_text(n["code"])
    saved = page.get_by_test_id("matrix-row")
    expect(saved).to_have_count(3)
    expect(saved.get_by_test_id("row-code-text")).to_have_text(
        [f"{n['code']}-1-M", f"{n['code']}-RED-L", f"{n['code']}-2-M"]
    )
    expect(saved.nth(0).get_by_test_id("row-barcodes")).to_contain_text(n["bc2"])
    expect(page.get_by_test_id("product-images").get_by_test_id("product-image")).to_have_count(1)

    with server.api(server.admin_token()) as api:
        found = api.get("/api/v1/catalog/lookup", params={"code": n["bc2"]}).json()
        assert (found["matched"], found["sku"]["code"], found["sku"]["price_cents"]) == (
            "barcode",
            f"{n['code']}-1-M",
            5990,
        )
        assert found["sku"]["attributes"] == {"颜色": "红", "尺码": "M"}
        product = api.get(f"/api/v1/catalog/products/{found['sku']['product_id']}").json()
        assert (product["category_code"], product["brand_code"], product["sku_count"]) == (
            n["cat"],
            n["brand"],
            3,
        )
        assert [s["price_cents"] for s in product["skus"]] == [5990, 6900, 5990]
        assert len(product["images"]) == 1

    # A barcode already taken is refused with the server's message; nothing changes.
    _tags(page, saved.nth(2).get_by_test_id("row-barcodes"), n["bc3"])
    page.get_by_test_id("product-save").click()
    expect(page.get_by_test_id("product-error")).to_contain_text(n["bc3"])
    with server.api(server.admin_token()) as api:
        assert (
            api.get("/api/v1/catalog/lookup", params={"code": n["bc3"]}).json()["sku"]["code"]
            == f"{n['code']}-RED-L"
        )

    # The product list finds it by barcode; the SKU list by a scanned barcode, with its detail.
    page.get_by_test_id("menu-products").click()
    page.get_by_test_id("product-search").fill(n["bc1"])
    page.get_by_test_id("product-search").press("Enter")
    row = page.get_by_test_id("products-table").locator("tr.ant-table-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("product-code")).to_have_text(n["code"])
    expect(row.get_by_test_id("product-sku-count")).to_have_text("3")
    page.get_by_test_id("menu-skus").click()
    page.get_by_test_id("sku-search").fill(n["bc1"])
    page.get_by_test_id("sku-search").press("Enter")
    sku_row = page.get_by_test_id("skus-table").locator("tr.ant-table-row")
    expect(sku_row).to_have_count(1)
    sku_row.click()
    detail = page.get_by_test_id("sku-detail")
    expect(detail.get_by_test_id("sku-detail-code")).to_have_text(f"{n['code']}-1-M")
    expect(detail.get_by_test_id("sku-detail-barcodes")).to_contain_text(n["bc1"])
    expect(detail.get_by_test_id("sku-detail-barcodes")).to_contain_text(n["bc2"])


def test_a_stocktake_scans_barcodes(page, login, server):
    """Scanners read barcodes: the stocktake form resolves them to their SKU."""
    sfx = uuid.uuid4().hex[:6].upper()
    wh, code, barcode = f"WH-S{sfx}", f"SCAN-{sfx}", f"69{sfx}99"
    with server.api(server.admin_token()) as api:
        r = api.post("/api/v1/inventory/warehouses", json={"code": wh, "name": f"扫码仓{sfx}"})
        assert r.status_code == 201, r.text
        r = api.post(
            "/api/v1/catalog/skus",
            json={
                "code": code,
                "name": f"扫码商品{sfx}",
                "unit": "件",
                "price_cents": 100,
                "barcodes": [barcode],
            },
        )
        assert r.status_code == 201, r.text
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.goto("/inventory/documents")
    page.get_by_test_id("doc-new-count").click()
    form = page.get_by_test_id("doc-form-count")
    _pick(page, form.get_by_test_id("doc-form-warehouse"), wh)
    scan = form.get_by_test_id("count-scan")
    for _ in range(2):
        scan.fill(barcode)
        scan.press("Enter")
    line = form.get_by_test_id("doc-form-line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text(code)
    expect(line.get_by_test_id("line-qty")).to_have_value("2")
