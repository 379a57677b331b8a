"""Excel export, template and import through the API: a good file creates and updates, a bad
file imports nothing and lists every bad row (row, column, reason in zh-CN and en)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from omnistock.catalog.excel import COLUMNS
from tests.catalog.helpers import CAT, counts, master, problem, sku, tee, xlsx

HEADER_ZH = [c.zh for c in COLUMNS]
HEADER_EN = [c.en for c in COLUMNS]


@pytest.fixture
def api(admin, engine):
    master(engine)
    return admin


def _upload(client, data: bytes, **kw):
    return client.post(
        f"{CAT}/excel/import", files={"file": ("products.xlsx", data, "application/octet-stream")}, **kw
    )


def _sheet(data: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _row(**cells) -> list:
    return [cells.get(c.key) for c in COLUMNS]


def _state(client) -> dict:
    """Every SKU as the API shows it, by code."""
    items = client.get(f"{CAT}/skus", params={"limit": 500}).json()["items"]
    return {s["code"]: {k: v for k, v in s.items() if k != "id"} for s in items}


def test_export_then_import_the_same_file_changes_nothing(api, engine):
    tee(engine)
    sku(engine, "LOOSE-1", price_cents=1250, barcodes=["L1", "L2"], shelf_life_days=30, tracking="batch")
    r = api.get(f"{CAT}/excel/export")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    rows = _sheet(r.content)
    assert rows[0] == HEADER_ZH
    by_sku = {row[5]: dict(zip([c.key for c in COLUMNS], row, strict=True)) for row in rows[1:]}
    assert list(by_sku) == ["TS-RED-M", "TS-RED-L", "TS-BLK-M", "TS-BLK-L", "LOOSE-1"]
    red = by_sku["TS-RED-M"]
    assert (red["product_code"], red["product_name"], red["category"], red["brand"]) == (
        "TS",
        "纯棉T恤",
        "TOPS",
        "OMNI",
    )
    assert (red["attributes"], red["barcodes"], red["price"], red["unit"]) == (
        "颜色:红;尺码:M",
        "TS69000001",
        59.9,
        "件",
    )
    loose = by_sku["LOOSE-1"]
    assert (
        loose["product_code"],
        loose["price"],
        loose["barcodes"],
        loose["tracking"],
        loose["shelf_life_days"],
    ) == (
        None,
        12.5,
        "L1,L2",
        "batch",
        30,
    )
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert ws.cell(row=2, column=10).number_format == "0.00"

    before, state = counts(engine), _state(api)
    r = _upload(api, r.content)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "rows": 5,
        "products_created": 0,
        "skus_created": 0,
        "skus_updated": 0,
        "skus_unchanged": 5,
    }
    assert _state(api) == state
    after = counts(engine)
    assert after.pop("audit_log") == before.pop("audit_log") + 1  # the import itself; no SKU changed
    assert after == before

    en = api.get(f"{CAT}/excel/export", params={"category": "APPAREL"}, headers={"Accept-Language": "en"})
    rows = _sheet(en.content)
    assert rows[0] == HEADER_EN and len(rows) == 5  # filtered: the T-shirt's SKUs only


def test_a_good_file_creates_and_updates(api, engine):
    tee(engine)
    sku(engine, "MUG", barcodes=["MUG-BC"])
    rows = [
        # A new product in two colours; prices typed three ways, all exactly ¥12.50.
        _row(product_code="SOCK", product_name="运动袜", category="APPAREL", brand="OMNI", description="五双装",
             sku_code="SOCK-W", attributes="颜色:白", unit="双", price="12.5", barcodes="SW-1, SW-2"),
        _row(product_code="SOCK", sku_code="SOCK-B", sku_name="运动袜 黑色", attributes="颜色：黑", unit="双",
             price=12.5, cost_method="先进先出", safety_stock=8, tracking="batch", shelf_life_days=720),
        # An existing product gains a size (its definitions gain the value XL).
        _row(product_code="TS", sku_code="TS-RED-XL", attributes="颜色:红;尺码:XL", unit="件", price=Decimal("69.90")),
        # A standalone SKU.
        _row(sku_code="CABLE-1", sku_name="数据线 1m", unit="根", price="29", barcodes=6901234567892),
        # An existing SKU: new name, price, safety stock; its barcode moves to the mug's old one.
        _row(product_code="TS", sku_code="TS-RED-M", sku_name="纯棉T恤 正红 M", price="65.00", safety_stock=3,
             barcodes="MUG-BC"),
        # The mug lets its barcode go and takes another.
        _row(sku_code="MUG", barcodes="MUG-NEW"),
    ]  # fmt: skip
    r = _upload(api, xlsx(rows))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "rows": 6,
        "products_created": 1,
        "skus_created": 4,
        "skus_updated": 2,
        "skus_unchanged": 0,
    }
    state = _state(api)
    w, b = state["SOCK-W"], state["SOCK-B"]
    assert (w["name"], w["price_cents"], w["barcodes"], w["attributes"], w["unit"]) == (
        "运动袜 白",
        1250,
        ["SW-1", "SW-2"],
        {"颜色": "白"},
        "双",
    )
    assert (
        b["name"],
        b["price_cents"],
        b["cost_method"],
        b["safety_stock"],
        b["tracking"],
        b["shelf_life_days"],
    ) == (
        "运动袜 黑色",
        1250,
        "fifo",
        8,
        "batch",
        720,
    )
    sock = api.get(f"{CAT}/products", params={"q": "SOCK"}).json()["items"][0]
    assert (sock["category_code"], sock["brand_code"], sock["description"]) == ("APPAREL", "OMNI", "五双装")
    assert sock["attributes"] == [{"name": "颜色", "values": ["白", "黑"]}]
    assert state["TS-RED-XL"]["price_cents"] == 6990 and state["TS-RED-XL"]["name"] == "纯棉T恤 红 XL"
    ts = api.get(f"{CAT}/products", params={"q": "TS-RED-XL"}).json()["items"][0]
    assert ts["attributes"][1] == {"name": "尺码", "values": ["M", "L", "XL"]}
    assert (state["CABLE-1"]["barcodes"], state["CABLE-1"]["product_code"]) == (["6901234567892"], None)
    red = state["TS-RED-M"]
    assert (red["name"], red["price_cents"], red["safety_stock"], red["barcodes"]) == (
        "纯棉T恤 正红 M",
        6500,
        3,
        ["MUG-BC"],
    )
    assert state["MUG"]["barcodes"] == ["MUG-NEW"] and state["MUG"]["price_cents"] == 1000  # empty cells keep
    assert api.get(f"{CAT}/lookup", params={"code": "MUG-BC"}).json()["sku"]["code"] == "TS-RED-M"


def test_a_bad_file_imports_nothing_and_lists_every_error(api, engine):
    tee(engine)
    sku(engine, "MUG", barcodes=["MUG-BC"])
    rows = [
        _row(
            product_code="NEW",
            product_name="新品",
            sku_code="NEW-1",
            attributes="颜色:红",
            unit="件",
            price="12.345",
        ),  # 2
        _row(
            product_code="NEW", sku_code="NEW-2", attributes="颜色:黑", unit="件", price="-3", category="NOPE"
        ),  # 3
        _row(
            product_code="NEW", sku_code="NEW-3", attributes="颜色:红", unit="件", price="1", brand="NOPE"
        ),  # 4
        _row(sku_code="NEW-1", sku_name="重复", unit="件", price="1"),  # 5
        _row(sku_code="LOOSE-2", sku_name="条码重复", unit="件", price="1", barcodes="MUG-BC"),  # 6
        _row(sku_code="LOOSE-3", sku_name="文件内条码重复", unit="件", price="1", barcodes="X-1,X-1"),  # 7
        _row(sku_code="LOOSE-4", sku_name="跨行条码重复", unit="件", price="1", barcodes="X-2"),  # 8
        _row(sku_code="LOOSE-5", sku_name="跨行条码重复", unit="件", price="1", barcodes="X-2"),  # 9
        _row(sku_code="bad code", sku_name="坏编码", unit="件", price="1"),  # 10
        _row(sku_code="LOOSE-6", unit="件"),  # 11: no name, no price
        _row(product_code="TS", sku_code="TS-RED-M", cost_method="fifo", price="abc"),  # 12
        _row(product_code="OTHER", sku_code="MUG", barcodes="MUG-BC"),  # 13
        _row(sku_code="TS69000001", sku_name="条码当编码", unit="件", price="1"),  # 14
        _row(
            sku_code="LOOSE-7", sku_name="x", unit="件", price="1", safety_stock="many", attributes="颜色"
        ),  # 15
        _row(product_code="TS", sku_code="TS-NEW", attributes="颜色:红;尺码:M", unit="件", price="1"),  # 16
    ]
    before, state = counts(engine), _state(api)
    body = problem(_upload(api, xlsx(rows)), 422, "catalog.import_invalid")
    got = {(e["row"], e["column"], e["code"]) for e in body["errors"]}
    expected = {
        (2, "price", "catalog.import_bad_price"),
        (3, "price", "catalog.import_bad_price"),
        (3, "category", "catalog.unknown_category"),
        (3, "category", "catalog.import_inconsistent_product"),  # row 2 has none
        (4, "brand", "catalog.unknown_brand"),
        (4, "brand", "catalog.import_inconsistent_product"),
        (4, "attributes", "catalog.duplicate_combination"),
        (5, "sku_code", "catalog.duplicate_sku"),
        (6, "barcodes", "catalog.duplicate_barcode"),
        (7, "barcodes", "catalog.duplicate_barcode"),
        (9, "barcodes", "catalog.duplicate_barcode"),
        (10, "sku_code", "catalog.bad_code"),
        (11, "sku_name", "catalog.import_required"),
        (11, "price", "catalog.import_required"),
        (12, "cost_method", "catalog.import_immutable"),
        (12, "price", "catalog.import_bad_price"),
        (13, "product_code", "catalog.import_wrong_product"),
        (13, "barcodes", "catalog.duplicate_barcode"),  # also on row 6
        (14, "sku_code", "catalog.code_is_barcode"),
        (15, "safety_stock", "catalog.import_bad_number"),
        (15, "attributes", "catalog.import_bad_attributes"),
        (16, "attributes", "catalog.duplicate_combination"),
    }
    assert got == expected, sorted(got ^ expected)
    assert body["params"]["count"] == len(body["errors"])
    assert [e["row"] for e in body["errors"]] == sorted(e["row"] for e in body["errors"])
    price = next(e for e in body["errors"] if e["row"] == 2)
    assert (price["column_zh"], price["column_en"]) == ("售价(元)", "Price (yuan)")
    assert "12.345" in price["zh"] and "12.345" in price["en"]
    assert counts(engine) == before and _state(api) == state
    # In English on request.
    r = _upload(api, xlsx(rows), headers={"Accept-Language": "en"})
    assert r.json()["detail"].startswith(f"The file has {len(expected)} errors")


def test_a_bad_header_is_reported_column_by_column(api, engine):
    header = [h for h in HEADER_ZH if h != "条码"] + ["备注"]
    body = problem(_upload(api, xlsx([["X"] * len(header)], header=header)), 422, "catalog.import_invalid")
    assert {(e["row"], e["column"], e["code"]) for e in body["errors"]} == {
        (1, "barcodes", "catalog.import_missing_column"),
        (1, "", "catalog.import_unknown_column"),
    }
    # English headers, in any order, are read too.
    order = list(reversed(COLUMNS))
    data = xlsx(
        [
            [
                {"sku_code": "EN-1", "sku_name": "English", "unit": "pcs", "price": "1.5"}.get(c.key)
                for c in order
            ]
        ],
        header=[c.en for c in order],
    )
    r = _upload(api, data)
    assert r.status_code == 200, r.text
    assert _state(api)["EN-1"]["price_cents"] == 150


def test_unreadable_and_empty_files(api, engine):
    before = counts(engine)
    problem(_upload(api, b"not a workbook"), 422, "catalog.import_unreadable")
    problem(_upload(api, b"PK\x03\x04garbage"), 422, "catalog.import_unreadable")
    body = problem(_upload(api, xlsx([])), 422, "catalog.import_invalid")
    assert body["errors"][0]["code"] == "catalog.import_empty"
    assert counts(engine) == before


def test_the_template_imports_as_it_is(api, engine):
    r = api.get(f"{CAT}/excel/template")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert [c.value for c in wb.worksheets[0][1]] == HEADER_ZH
    assert wb.sheetnames == ["商品", "填写说明"]
    r = _upload(api, r.content)
    assert r.status_code == 200, r.text
    assert r.json()["skus_created"] == 2
    en = api.get(f"{CAT}/excel/template", headers={"Accept-Language": "en"})
    assert load_workbook(io.BytesIO(en.content)).sheetnames == ["Products", "Instructions"]
