"""Catalog HTTP API through the real app: products and their SKU matrix, barcodes and lookup,
categories, brands, bundles, images; problem+json codes, nothing changed on error, permissions."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from omnistock.platform.audit import audit_log
from tests.catalog.helpers import CAT, COLORS, SIZES, counts, master, png, problem
from tests.identity.helpers import bearer


@pytest.fixture
def api(admin, engine):
    master(engine)
    return admin


def _matrix(code="TS", price=5990, barcodes=True):
    rows = []
    for color, cc in (("红", "RED"), ("黑", "BLK")):
        for size in ("M", "L"):
            rows.append(
                {
                    "code": f"{code}-{cc}-{size}",
                    "unit": "件",
                    "price_cents": price,
                    "attributes": {"颜色": color, "尺码": size},
                    "barcodes": [f"{code}-{cc}-{size}-BC"] if barcodes else [],
                }
            )
    return rows


def _product(client, code="TS", headers=None, **kw):
    body = {
        "code": code,
        "name": "纯棉T恤",
        "category": "TOPS",
        "brand": "OMNI",
        "attributes": [COLORS, SIZES],
        "skus": _matrix(code),
        **kw,
    }
    return client.post(f"{CAT}/products", json=body, headers=headers)


def test_create_a_product_with_its_skus_and_find_it(api):
    r = _product(api, description="精梳棉 200g")
    assert r.status_code == 201, r.text
    p = r.json()
    assert (p["code"], p["category_code"], p["category_name"], p["brand_name"], p["status"]) == (
        "TS",
        "TOPS",
        "上衣",
        "全渠道",
        "active",
    )
    assert p["attributes"] == [COLORS, SIZES]
    assert [(s["code"], s["name"], s["barcodes"]) for s in p["skus"]][:2] == [
        ("TS-RED-M", "纯棉T恤 红 M", ["TS-RED-M-BC"]),
        ("TS-RED-L", "纯棉T恤 红 L", ["TS-RED-L-BC"]),
    ]
    assert p["sku_count"] == 4 and p["created_at"].endswith("Z")

    page = api.get(f"{CAT}/products", params={"category": "APPAREL", "q": "TS-BLK-L-BC"}).json()
    assert [x["code"] for x in page["items"]] == ["TS"]
    assert api.get(f"{CAT}/products", params={"status": "archived"}).json()["items"] == []
    assert api.get(f"{CAT}/products/{p['id']}").json() == p

    sku = p["skus"][3]
    found = api.get(f"{CAT}/lookup", params={"code": "TS-BLK-L-BC"}).json()
    assert (found["matched"], found["sku"]["code"], found["sku"]["product_code"]) == (
        "barcode",
        "TS-BLK-L",
        "TS",
    )
    assert api.get(f"{CAT}/lookup", params={"code": "TS-BLK-L"}).json()["matched"] == "code"
    problem(api.get(f"{CAT}/lookup", params={"code": "NOPE-1"}), 404, "catalog.unknown_code")
    detail = api.get(f"{CAT}/skus/{sku['id']}").json()
    assert (detail["attributes"], detail["tracking"], detail["components"]) == (
        {"颜色": "黑", "尺码": "L"},
        "none",
        [],
    )
    skus = api.get(f"{CAT}/skus", params={"product_id": p["id"]}).json()["items"]
    assert sorted(s["code"] for s in skus) == ["TS-BLK-L", "TS-BLK-M", "TS-RED-L", "TS-RED-M"]
    problem(api.get(f"{CAT}/products/999999"), 404, "product.not_found")


def test_a_duplicate_barcode_is_a_409_and_changes_nothing(api, engine):
    assert _product(api).status_code == 201
    before = counts(engine)
    rows = _matrix("NEW")
    rows[2]["barcodes"] = ["TS-RED-M-BC"]
    body = problem(_product(api, code="NEW", skus=rows), 409, "catalog.duplicate_barcode")
    assert body["params"] == {"barcode": "TS-RED-M-BC", "owner": "TS-RED-M"}
    assert "TS-RED-M-BC" in body["detail"]
    sku_id = api.get(f"{CAT}/lookup", params={"code": "TS-BLK-M"}).json()["sku"]["id"]
    r = api.patch(
        f"{CAT}/skus/{sku_id}",
        json={"price_cents": 1, "barcodes": ["FRESH-1", "TS-RED-M-BC"]},
        headers={"Accept-Language": "en"},
    )
    body = problem(r, 409, "catalog.duplicate_barcode")
    assert body["detail"].startswith("Barcode TS-RED-M-BC")
    assert counts(engine) == before
    assert api.get(f"{CAT}/skus/{sku_id}").json()["price_cents"] == 5990
    # A new SKU whose code is an existing barcode is refused too.
    r = api.post(f"{CAT}/skus", json={"code": "TS-RED-M-BC", "name": "x", "price_cents": 1})
    problem(r, 409, "catalog.code_is_barcode")
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("patch", "sku", {"cost_method": "fifo"}, 422, "request.invalid"),  # never changes
        ("patch", "sku", {"tracking": "batch"}, 422, "request.invalid"),
        ("patch", "sku", {"code": "OTHER"}, 422, "request.invalid"),
        ("patch", "sku", {"price_cents": -1}, 422, "request.invalid"),
        ("patch", "sku", {"price_cents": 12.5}, 422, "request.invalid"),
        ("patch", "sku", {"name": None}, 422, "catalog.missing_name"),
        ("patch", "sku", {"attributes": {"颜色": "黑", "尺码": "M"}}, 409, "catalog.duplicate_combination"),
        ("patch", "sku", {"barcodes": ["坏 码"]}, 422, "catalog.bad_barcode"),
        ("patch", "product", {"category": "NOPE"}, 422, "catalog.unknown_category"),
        ("patch", "product", {"attributes": [COLORS]}, 422, "catalog.attributes_in_use"),
        ("patch", "product", {"status": "archived"}, 422, "request.invalid"),
        (
            "post",
            "skus",
            {"skus": [{"code": "TS-X", "price_cents": 1, "attributes": {"颜色": "紫", "尺码": "M"}}]},
            422,
            "catalog.bad_sku_attributes",
        ),
        ("post", "skus", {"skus": []}, 422, "request.invalid"),
    ],
)
def test_bad_updates_are_refused_and_change_nothing(api, engine, method, path, body, status, code):
    p = _product(api).json()
    before = counts(engine)
    url = {
        "sku": f"{CAT}/skus/{p['skus'][0]['id']}",
        "product": f"{CAT}/products/{p['id']}",
        "skus": f"{CAT}/products/{p['id']}/skus",
    }[path]
    problem(getattr(api, method)(url, json=body), status, code)
    assert counts(engine) == before
    assert api.get(f"{CAT}/products/{p['id']}").json() == p


def test_update_add_archive_through_the_api(api):
    p = _product(api).json()
    sku_id = p["skus"][0]["id"]
    r = api.patch(
        f"{CAT}/skus/{sku_id}",
        json={"name": "正红 M", "price_cents": 6990, "safety_stock": 5, "barcodes": ["A1", "A2"]},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["price_cents"], r.json()["barcodes"]) == ("正红 M", 6990, ["A1", "A2"])
    r = api.patch(
        f"{CAT}/products/{p['id']}",
        json={"attributes": [COLORS, SIZES | {"values": ["M", "L", "XL"]}], "brand": None},
    )
    assert r.status_code == 200 and r.json()["brand_code"] is None
    r = api.post(
        f"{CAT}/products/{p['id']}/skus",
        json={
            "skus": [
                {
                    "code": "TS-RED-XL",
                    "price_cents": 6990,
                    "attributes": {"颜色": "红", "尺码": "XL"},
                    "barcodes": ["XL-1"],
                }
            ]
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["sku_count"] == 5
    assert api.post(f"{CAT}/skus/{sku_id}/archive").json()["active"] is False
    assert api.post(f"{CAT}/skus/{sku_id}/unarchive").json()["active"] is True
    archived = api.post(f"{CAT}/products/{p['id']}/archive").json()
    assert archived["status"] == "archived" and not any(s["active"] for s in archived["skus"])
    problem(api.post(f"{CAT}/skus/{sku_id}/unarchive"), 409, "catalog.product_archived")
    back = api.post(f"{CAT}/products/{p['id']}/unarchive").json()
    assert back["status"] == "active" and all(s["active"] for s in back["skus"])


def test_categories_and_brands(api):
    r = api.post(f"{CAT}/categories", json={"code": "SHIRTS", "name": "衬衫", "parent": "TOPS", "sort": 1})
    assert r.status_code == 201, r.text
    shirts = r.json()
    assert (shirts["parent_code"], shirts["child_count"]) == ("TOPS", 0)
    cats = {c["code"]: c for c in api.get(f"{CAT}/categories").json()}
    assert list(cats) == ["APPAREL", "TOPS", "SHIRTS", "FOOD"]
    problem(
        api.patch(f"{CAT}/categories/{cats['APPAREL']['id']}", json={"parent": "SHIRTS"}),
        409,
        "catalog.category_cycle",
    )
    problem(api.delete(f"{CAT}/categories/{cats['TOPS']['id']}"), 409, "catalog.category_has_children")
    assert _product(api, category="SHIRTS").status_code == 201
    body = problem(api.delete(f"{CAT}/categories/{shirts['id']}"), 409, "catalog.category_in_use")
    assert body["params"]["count"] == 1 and "衬衫" not in body["detail"] and "SHIRTS" in body["detail"]
    problem(
        api.post(f"{CAT}/categories", json={"code": "X", "name": "x", "parent": "NOPE"}),
        422,
        "catalog.unknown_category",
    )
    problem(
        api.post(f"{CAT}/categories", json={"code": "FOOD", "name": "x"}), 409, "catalog.duplicate_category"
    )
    r = api.patch(f"{CAT}/categories/{cats['FOOD']['id']}", json={"name": "食品饮料", "parent": "APPAREL"})
    assert (r.json()["name"], r.json()["parent_code"]) == ("食品饮料", "APPAREL")
    r = api.patch(f"{CAT}/categories/{cats['FOOD']['id']}", json={"parent": None})
    assert r.json()["parent_id"] is None
    assert api.delete(f"{CAT}/categories/{cats['FOOD']['id']}").status_code == 204
    problem(api.delete(f"{CAT}/categories/{cats['FOOD']['id']}"), 404, "category.not_found")

    r = api.post(f"{CAT}/brands", json={"code": "ACME", "name": "阿克米"})
    assert r.status_code == 201
    acme = r.json()
    assert (
        api.patch(f"{CAT}/brands/{acme['id']}", json={"name": "ACME 阿克米"}).json()["name"] == "ACME 阿克米"
    )
    brands = {b["code"]: b for b in api.get(f"{CAT}/brands").json()}
    assert brands["OMNI"]["product_count"] == 1
    problem(api.delete(f"{CAT}/brands/{brands['OMNI']['id']}"), 409, "catalog.brand_in_use")
    assert api.delete(f"{CAT}/brands/{acme['id']}").status_code == 204


def test_a_bundle_through_the_api(api):
    assert _product(api).status_code == 201
    r = api.post(
        f"{CAT}/skus",
        json={
            "code": "GIFT-TS",
            "name": "情侣T恤礼盒",
            "unit": "盒",
            "price_cents": 9990,
            "kind": "bundle",
            "components": [{"sku": "TS-RED-M", "qty": 1}, {"sku": "TS-BLK-L", "qty": 1}],
            "barcodes": ["GIFT-TS-BC"],
        },
    )
    assert r.status_code == 201, r.text
    box = r.json()
    assert box["kind"] == "bundle"
    assert [(c["code"], c["qty"]) for c in box["components"]] == [("TS-BLK-L", 1), ("TS-RED-M", 1)]
    problem(
        api.post(
            f"{CAT}/skus",
            json={
                "code": "NEST",
                "name": "套娃",
                "price_cents": 1,
                "kind": "bundle",
                "components": [{"sku": "GIFT-TS", "qty": 1}],
            },
        ),
        422,
        "catalog.bad_bundle",
    )
    assert [s["code"] for s in api.get(f"{CAT}/skus", params={"kind": "bundle"}).json()["items"]] == [
        "GIFT-TS"
    ]
    av = api.get("/api/v1/inventory/availability", params={"sku": "GIFT-TS"}).json()
    assert av == [{"sku": "GIFT-TS", "kind": "bundle", "on_hand": 0, "available": 0, "warehouses": []}]


def test_images_upload_check_and_serve(api, media_dir):
    data = png()
    r = api.post(f"{CAT}/images", files={"file": ("photo.png", data, "image/png")})
    assert r.status_code == 201, r.text
    img = r.json()
    name = hashlib.sha256(data).hexdigest() + ".png"
    assert img == {
        "name": name,
        "size": len(data),
        "content_type": "image/png",
        "url": f"{CAT}/images/{name}",
    }
    assert (media_dir / name).read_bytes() == data
    # The same picture again: the same name; served back as it was.
    assert api.post(f"{CAT}/images", files={"file": ("again.jpg", data, "image/jpeg")}).json()["name"] == name
    got = api.get(img["url"])
    assert got.status_code == 200 and got.content == data and got.headers["content-type"] == "image/png"
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 100
    assert api.post(f"{CAT}/images", files={"file": ("a.bin", jpeg)}).json()["name"].endswith(".jpg")
    webp = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20
    assert api.post(f"{CAT}/images", files={"file": ("a", webp)}).json()["content_type"] == "image/webp"

    problem(
        api.post(f"{CAT}/images", files={"file": ("a.gif", b"GIF89a" + b"\x00" * 50, "image/gif")}),
        422,
        "catalog.bad_image",
    )
    problem(
        api.post(f"{CAT}/images", files={"file": ("fake.png", b"<svg/>", "image/png")}),
        422,
        "catalog.bad_image",
    )
    big = png() + b"\x00" * (5 * 1024 * 1024)
    problem(
        api.post(f"{CAT}/images", files={"file": ("big.png", big, "image/png")}),
        422,
        "catalog.image_too_large",
    )
    problem(api.get(f"{CAT}/images/{'0' * 64}.png"), 404, "image.not_found")
    assert api.get(f"{CAT}/images/..%2F..%2Fetc%2Fpasswd").status_code == 404

    r = _product(api, images=[name], skus=[])
    assert r.status_code == 201 and r.json()["images"] == [name]
    problem(_product(api, code="TS2", images=["0" * 64 + ".png"]), 422, "catalog.unknown_image")


def test_permissions(client, engine, make_user, login, admin_token):
    master(engine)
    assert _product(client, headers=bearer(admin_token)).status_code == 201
    make_user("viewer1", roles=["viewer"])
    make_user("merch1", roles=["merchandiser"])
    make_user("wh1", roles=["warehouse"])
    viewer, merch, wh = (bearer(login(u)) for u in ("viewer1", "merch1", "wh1"))
    # The built-in roles' patterns cover the catalog's permissions.
    catalog_perms = {
        "catalog.sku.read",
        "catalog.sku.create",
        "catalog.sku.update",
        "catalog.product.read",
        "catalog.product.create",
        "catalog.product.update",
        "catalog.category.manage",
        "catalog.brand.manage",
        "catalog.image.upload",
        "catalog.import",
    }
    granted = {
        who: set(client.get("/api/v1/identity/me", headers=h).json()["permissions"])
        for who, h in (("viewer", viewer), ("merch", merch), ("wh", wh))
    }
    assert catalog_perms <= granted["merch"]
    reads = {p for p in catalog_perms if p.endswith(".read")}
    assert granted["viewer"] & catalog_perms == reads == granted["wh"] & catalog_perms
    before = counts(engine)
    for path in (
        "/products",
        "/categories",
        "/brands",
        "/skus",
        "/lookup?code=TS-RED-M",
        "/excel/template",
        "/excel/export",
    ):
        assert client.get(CAT + path, headers=viewer).status_code == 200, path
        assert client.get(CAT + path, headers=wh).status_code == 200, path
    writes = [
        ("post", "/products", {"json": {"code": "V1", "name": "x"}}),
        ("post", "/categories", {"json": {"code": "V1", "name": "x"}}),
        ("post", "/brands", {"json": {"code": "V1", "name": "x"}}),
        ("post", "/skus", {"json": {"code": "V1", "name": "x", "price_cents": 1}}),
        ("patch", "/skus/1", {"json": {"price_cents": 1}}),
        ("post", "/skus/1/archive", {}),
        ("post", "/products/1/archive", {}),
        ("post", "/images", {"files": {"file": ("a.png", png(), "image/png")}}),
        ("post", "/excel/import", {"files": {"file": ("a.xlsx", b"PK", "application/octet-stream")}}),
    ]
    for method, path, kw in writes:
        for who in (viewer, wh):
            r = getattr(client, method)(CAT + path, headers=who, **kw)
            body = problem(r, 403, "auth.forbidden")
            assert body["params"]["permission"].startswith("catalog."), path
    assert counts(engine) == before
    # The merchandiser writes the catalog.
    r = client.post(f"{CAT}/brands", json={"code": "M1", "name": "运营品牌"}, headers=merch)
    assert r.status_code == 201
    r = client.post(f"{CAT}/products", json={"code": "M1", "name": "运营新品", "brand": "M1"}, headers=merch)
    assert r.status_code == 201
    assert (
        client.post(f"{CAT}/images", files={"file": ("a.png", png(), "image/png")}, headers=merch).status_code
        == 201
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.action, audit_log.c.actor_name)
            .where(audit_log.c.actor_name == "merch1")
            .order_by(audit_log.c.id)
        ).all()
    assert [a for a, _ in rows][-3:] == [
        "catalog.brand.create",
        "catalog.product.create",
        "catalog.image.upload",
    ]
