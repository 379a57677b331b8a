"""The fulfilment API through the real HTTP app: a wave from release to shipped, the printed
documents rendered to pixels, a return, and warehouse staff limited to their warehouse."""

from __future__ import annotations

import pypdfium2 as pdfium

from tests.fulfillment.helpers import FUL, order, setup, status


def _not_blank(data: bytes) -> None:
    """Page 1 of the PDF, rendered, has dark pixels (text, lines or bars)."""
    assert data.startswith(b"%PDF")
    page = pdfium.PdfDocument(data)[0]
    image = page.render(scale=1).to_pil().convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 500, dark


def test_a_wave_from_creation_to_shipped_and_back(admin, engine):
    setup(engine)
    a = order(engine, "A", [("TEA", 2), ("CUP", 1)])
    r = admin.post(f"{FUL}/waves", json={"warehouse": "SH"})
    assert r.status_code == 201, r.text
    (wave,) = r.json()["waves"]
    assert admin.post(f"{FUL}/waves/{wave}/release").status_code == 200
    sheet = admin.get(f"{FUL}/waves/{wave}").json()
    assert [x["bin"] for x in sheet["lines"]] == ["A-01", "B-02"]
    _not_blank(admin.get(f"{FUL}/waves/{wave}/pick-list.pdf").content)
    r = admin.post(f"{FUL}/waves/{wave}/picks", json={"picks": [{"sku": "TEA", "picked": 3}]})
    assert r.status_code == 422 and r.json()["code"] == "fulfillment.over_pick"
    assert admin.post(f"{FUL}/waves/{wave}/picks", json={}).json()["to_pack"] == 1
    view = admin.get(f"{FUL}/pack/{wave}-1").json()
    assert view["order"] == a and view["status"] == "picked"
    r = admin.post(f"{FUL}/pack/{a}/scan", json={"code": "XYZ"}, headers={"Accept-Language": "en"})
    assert r.status_code == 422 and r.json()["code"] == "fulfillment.item_not_on_order"
    assert "not on order" in r.json()["detail"]
    assert admin.post(f"{FUL}/pack/{a}/scan", json={"code": "TEA", "scanned": {"TEA": 1}}).json()["left"] == 0
    r = admin.post(f"{FUL}/shipments/{a}/ship", json={"tracking_no": "SF12345678"})
    assert r.status_code == 409 and r.json()["code"] == "fulfillment.not_packed"
    body = {"items": [{"sku": "TEA", "qty": 2}, {"sku": "CUP", "qty": 1}], "weight_g": 1200}
    assert admin.post(f"{FUL}/pack/{a}", json=body).status_code == 200
    r = admin.post(f"{FUL}/shipments/{a}/ship", json={})
    assert r.status_code == 200, r.text
    assert r.json()["tracking_no"] == "SF0000000001"
    assert status(engine, a) == "shipped"
    for path in ("packing-slip.pdf", "label.pdf", "label.pdf?size=a4"):
        got = admin.get(f"{FUL}/shipments/{a}/{path}")
        assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
        _not_blank(got.content)
    (parcel,) = admin.get(f"{FUL}/shipments", params={"q": "SF0000000001"}).json()
    assert parcel["status"] == "shipped" and parcel["fee_cents"] == 1400
    r = admin.post(f"{FUL}/returns", json={"order": a, "items": [{"sku": "TEA", "qty": 3}]})
    assert r.status_code == 422 and r.json()["code"] == "orders.return_exceeds"
    r = admin.post(
        f"{FUL}/returns",
        json={
            "order": a,
            "items": [{"sku": "TEA", "qty": 1}, {"sku": "CUP", "qty": 1, "disposition": "defective"}],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["refund_cents"] == 4000
    assert admin.get(f"{FUL}/returns").json()[0]["order"] == a
    dash = admin.get(f"{FUL}/dashboard").json()
    assert dash["shipped_today"] == 1 and dash["to_pick"] == 0


def test_courier_setup_over_the_api(admin, engine):
    setup(engine)
    assert admin.post(f"{FUL}/carriers", json={"code": "YTO", "name": "圆通"}).status_code == 204
    assert (
        admin.post(
            f"{FUL}/accounts", json={"code": "YTO-1", "carrier": "YTO", "name": "圆通月结"}
        ).status_code
        == 204
    )
    r = admin.post(f"{FUL}/accounts/YTO-1/numbers", json={"numbers": ["YT00000001", "YT00000002"]})
    assert r.json() == {"added": 2}
    r = admin.post(f"{FUL}/accounts/YTO-1/numbers", json={"numbers": ["YT00000002"]})
    assert r.status_code == 409 and r.json()["code"] == "fulfillment.tracking_used"
    r = admin.post(
        f"{FUL}/rules", json={"name": "圆通首重", "account": "YTO-1", "min_weight_g": 10, "max_weight_g": 5}
    )
    assert r.status_code == 422 and r.json()["code"] == "fulfillment.bad_rule"
    r = admin.post(
        f"{FUL}/rules", json={"name": "圆通首重", "account": "YTO-1", "priority": 1, "first_fee_cents": 500}
    )
    assert r.status_code == 201
    carriers = {c["code"]: c for c in admin.get(f"{FUL}/carriers").json()}
    assert carriers["YTO"]["accounts"][0]["free_numbers"] == 2
    a = order(engine, "A")
    assert admin.post(f"{FUL}/orders/{a}/courier", json={"account": "SF-EC"}).status_code == 204
    made = admin.post(f"{FUL}/waves", json={"warehouse": "SH", "strategy": "priority"}).json()
    (wave,) = made["waves"]
    assert admin.get(f"{FUL}/waves/{wave}").json()["account"] == "SF-EC"
    r = admin.post(f"{FUL}/orders/{a}/courier", json={"account": "SF-1"})
    assert r.status_code == 409 and r.json()["code"] == "fulfillment.order_in_wave"


def test_warehouse_staff_see_only_their_warehouse(client, engine, make_user, login):
    setup(engine, {"SH": {"TEA": 5}, "GZ": {"TEA": 5}})
    make_user("picker", roles=["warehouse"], scopes={"warehouse": ["GZ"]})
    client.headers["Authorization"] = f"Bearer {login('picker')}"
    a = order(engine, "A")
    r = client.post(f"{FUL}/waves", json={"warehouse": "SH"})
    assert r.status_code == 403
    r = client.get(f"{FUL}/pack/{a}")
    assert r.status_code == 403
    assert client.get(f"{FUL}/dashboard").json()["to_pick"] == 0
