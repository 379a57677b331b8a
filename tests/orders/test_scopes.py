"""Data scopes on orders and on the dashboard: a user limited to some warehouses or channels
neither sees nor changes what lies outside them."""

from __future__ import annotations

import pytest

from omnistock.identity import service as identity
from omnistock.platform.auth import Actor
from omnistock.platform.uow import UnitOfWork

PASSWORD = "Scope#2026-pass"


@pytest.fixture
def world(admin, engine, client):
    for code in ("WH-A", "WH-B"):
        assert (
            admin.post("/api/v1/inventory/warehouses", json={"code": code, "name": code}).status_code == 201
        )
    assert (
        admin.post(
            "/api/v1/catalog/skus", json={"code": "TEA", "name": "茶", "price_cents": 2000}
        ).status_code
        == 201
    )
    assert admin.post("/api/v1/orders/channels", json={"code": "LIVE", "name": "直播"}).status_code == 201
    assert admin.post("/api/v1/orders/customers", json={"code": "C1", "name": "王芳"}).status_code == 201
    for wh, qty in (("WH-A", 10), ("WH-B", 30)):
        r = admin.post(
            "/api/v1/inventory/receipts",
            json={"warehouse": wh, "lines": [{"sku": "TEA", "qty": qty, "unit_cost_cents": 1000}]},
        )
        assert r.status_code == 201
    for ref, wh in (("SO-A", "WH-A"), ("SO-B", "WH-B")):
        r = admin.post(
            "/api/v1/orders",
            json={
                "ref": ref,
                "channel": "LIVE",
                "customer": "C1",
                "warehouse": wh,
                "lines": [{"sku": "TEA", "qty": 2, "unit_price_cents": 2000}],
                "payments": [{"method": "bank_card", "amount_cents": 2 * 2000}],
                "address": {
                    "receiver": "王芳",
                    "phone": "13800138000",
                    "province": "上海市",
                    "city": "上海市",
                    "district": "浦东新区",
                    "detail": f"世纪大道 {ref} 号",
                },
            },
        )
        assert r.status_code == 201 and r.json()["status"] == "allocated"
    with UnitOfWork(engine, Actor.system("test")) as uow:
        identity.create_role(
            uow,
            code="shipper",
            name="发货员",
            permissions=["orders.*", "inventory.stock.read", "dashboard.view"],
        )
        identity.create_user(
            uow,
            username="a_only",
            password=PASSWORD,
            display_name="A仓",
            roles=["shipper"],
            scopes={"warehouse": ["WH-A"]},
        )
    r = client.post("/api/v1/identity/login", json={"username": "a_only", "password": PASSWORD})
    assert r.status_code == 200
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_a_scoped_user_cannot_ship_cancel_or_return_another_warehouses_order(world, client, admin):
    for action, body in (("ship", {}), ("cancel", {})):
        r = client.post(f"/api/v1/orders/SO-B/{action}", json=body, headers=world)
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "auth.out_of_scope"
    assert admin.post("/api/v1/orders/SO-B/ship", json={}).status_code == 200
    r = client.post("/api/v1/orders/SO-B/returns", json={"lines": [{"sku": "TEA", "qty": 1}]}, headers=world)
    assert r.status_code == 403
    # nothing changed by the refused calls: SO-B shipped by the admin, nothing returned
    moves = admin.get("/api/v1/inventory/moves", params={"sku": "TEA", "warehouse": "WH-B"}).json()["items"]
    assert [m["kind"] for m in moves] == ["shipment", "receipt"]


def test_a_scoped_user_works_on_its_own_warehouse(world, client):
    r = client.post("/api/v1/orders/SO-A/ship", json={}, headers=world)
    assert r.status_code == 200
    assert r.json() == [{"line_no": 1, "sku_id": 1, "qty": 2, "cost_cents": 2000}]


def test_the_dashboard_counts_only_what_the_user_may_see(world, client, admin):
    everyone = admin.get("/api/v1/dashboard/summary").json()
    assert (everyone["on_hand_total"], everyone["reserved_total"], everyone["orders_open"]) == (40, 4, 2)
    assert everyone["inventory_value_cents"] == 40000
    mine = client.get("/api/v1/dashboard/summary", headers=world).json()
    assert (mine["on_hand_total"], mine["reserved_total"], mine["orders_open"]) == (10, 2, 1)
    assert mine["inventory_value_cents"] == 10000
    assert mine["warehouses"] == 1
