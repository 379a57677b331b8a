"""Batches and serial numbers over HTTP: receive, hold, near-expiry list, ship by scan, trace."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.inventory.helpers import invariants
from tests.inventory.test_api import INV, problem

ORD = "/api/v1/orders"


@pytest.fixture
def api(admin, engine):
    assert admin.post(f"{INV}/warehouses", json={"code": "WH-A", "name": "上海仓"}).status_code == 201
    for code, tracking, shelf in (("MILK", "batch", 30), ("PHONE", "serial", None)):
        body = {
            "code": code,
            "name": code,
            "unit": "件",
            "price_cents": 1000,
            "cost_method": "fifo",
            "tracking": tracking,
            "shelf_life_days": shelf,
        }
        r = admin.post("/api/v1/catalog/skus", json=body)
        assert r.status_code == 201, r.text
    assert admin.post(f"{ORD}/channels", json={"code": "CH", "name": "小程序"}).status_code == 201
    assert admin.post(f"{ORD}/customers", json={"code": "C1", "name": "张三"}).status_code == 201
    yield admin
    assert invariants(engine) == []


def test_a_batch_is_received_listed_near_expiry_and_held(api):
    soon = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    lines = [
        {"sku": "MILK", "qty": 6, "unit_cost_cents": 300, "lot_no": "B1", "expiry_date": soon},
        {
            "sku": "MILK",
            "qty": 4,
            "unit_cost_cents": 300,
            "lot_no": "B2",
            "production_date": dt.date.today().isoformat(),
        },
    ]
    r = api.post(f"{INV}/receipts", json={"ref": "RC-1", "warehouse": "WH-A", "lines": lines})
    assert r.status_code == 201, r.text
    near = api.get(f"{INV}/lots", params={"expiring_within_days": 7}).json()
    assert [(x["lot_no"], x["on_hand"], x["days_left"]) for x in near] == [("B1", 6, 5)]
    r = api.post(f"{INV}/lots/{near[0]['id']}/block", json={"reason": "抽检不合格"})
    assert r.status_code == 200 and r.json()[0]["blocked"] is True
    avail = api.get(f"{INV}/availability", params={"sku": "MILK"}).json()[0]
    assert (avail["on_hand"], avail["available"], avail["warehouses"][0]["held"]) == (10, 4, 6)
    r = api.post(
        f"{ORD}",
        json={
            "ref": "SO-1",
            "channel": "CH",
            "customer": "C1",
            "warehouse": "WH-A",
            "lines": [{"sku": "MILK", "qty": 5, "unit_price_cents": 900}],
            "payments": [{"method": "bank_card", "amount_cents": 5 * 900}],
            "on_short": "reject",
            "address": {
                "receiver": "王芳",
                "phone": "13800138000",
                "province": "上海市",
                "city": "上海市",
                "district": "浦东新区",
                "detail": "世纪大道 100 号",
            },
        },
    )
    assert r.status_code == 201 and r.json()["status"] == "rejected", r.text
    r = api.post(
        f"{INV}/receipts", json={"ref": "RC-2", "warehouse": "WH-A", "lines": [lines[0] | {"qty": 1}]}
    )
    problem(r, 409, "inventory.lot_blocked")
    assert api.post(f"{INV}/lots/{near[0]['id']}/unblock").json()[0]["blocked"] is False


def test_expiry_before_production_is_a_clear_error(api):
    line = {
        "sku": "MILK",
        "qty": 1,
        "unit_cost_cents": 1,
        "lot_no": "B",
        "production_date": "2026-05-02",
        "expiry_date": "2026-05-01",
    }
    r = api.post(
        f"{INV}/receipts",
        json={"ref": "RC-1", "warehouse": "WH-A", "lines": [line]},
        headers={"Accept-Language": "zh-CN"},
    )
    body = problem(r, 422, "inventory.expiry_before_production")
    assert "早于生产日期" in body["detail"]
    assert api.get(f"{INV}/lots").json() == []


def test_serial_units_are_shipped_by_scan_and_traced(api):
    r = api.post(
        f"{INV}/receipts",
        json={
            "ref": "RC-1",
            "warehouse": "WH-A",
            "lines": [{"sku": "PHONE", "qty": 2, "unit_cost_cents": 100000, "serials": ["IMEI-1", "IMEI-2"]}],
        },
    )
    assert r.status_code == 201, r.text
    r = api.post(
        f"{INV}/receipts",
        json={
            "ref": "RC-2",
            "warehouse": "WH-A",
            "lines": [{"sku": "PHONE", "qty": 2, "unit_cost_cents": 100000, "serials": ["IMEI-3", "IMEI-3"]}],
        },
    )
    problem(r, 422, "inventory.serial_scanned_twice")
    r = api.post(
        f"{ORD}",
        json={
            "ref": "SO-1",
            "channel": "CH",
            "customer": "C1",
            "warehouse": "WH-A",
            "lines": [{"sku": "PHONE", "qty": 1, "unit_price_cents": 199900}],
            "payments": [{"method": "bank_card", "amount_cents": 1 * 199900}],
            "address": {
                "receiver": "王芳",
                "phone": "13800138000",
                "province": "上海市",
                "city": "上海市",
                "district": "浦东新区",
                "detail": "世纪大道 100 号",
            },
        },
    )
    assert r.json()["status"] == "allocated"
    problem(api.post(f"{ORD}/SO-1/ship", json={}), 422, "inventory.serial_count")
    r = api.post(f"{ORD}/SO-1/ship", json={"serials": {"PHONE": ["IMEI-2"]}})
    assert r.status_code == 200, r.text
    assert {
        x["serial_no"]: x["status"] for x in api.get(f"{INV}/serials", params={"sku": "PHONE"}).json()
    } == {
        "IMEI-1": "in_stock",
        "IMEI-2": "shipped",
    }
    (unit,) = api.get(f"{INV}/serials/IMEI-2/trace").json()
    assert unit["status"] == "shipped" and unit["warehouse"] is None
    assert [(m["kind"], m["ref"], m["direction"]) for m in unit["moves"]] == [
        ("receipt", "RC-1", 1),
        ("shipment", "SO-1", -1),
    ]
    assert api.get(f"{INV}/serials/NOPE/trace").json() == []


def test_a_transfer_order_ships_and_receives_serial_units_by_scan(api, engine):
    from tests.inventory.helpers import snapshot

    assert api.post(f"{INV}/warehouses", json={"code": "WH-B", "name": "北京仓"}).status_code == 201
    r = api.post(
        f"{INV}/receipts",
        json={
            "ref": "RC-1",
            "warehouse": "WH-A",
            "lines": [
                {
                    "sku": "PHONE",
                    "qty": 3,
                    "unit_cost_cents": 100000,
                    "serials": ["IMEI-1", "IMEI-2", "IMEI-3"],
                }
            ],
        },
    )
    assert r.status_code == 201, r.text
    r = api.post(
        f"{INV}/transfer-orders",
        json={
            "ref": "TO-1",
            "from_warehouse": "WH-A",
            "to_warehouse": "WH-B",
            "lines": [{"sku": "PHONE", "qty": 2}],
        },
    )
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    assert r.json()["line_items"][0]["tracking"] == "serial"

    before = snapshot(engine)
    body = problem(api.post(f"{INV}/transfer-orders/{oid}/ship"), 422, "inventory.serial_count")
    assert "PHONE" in body["detail"]
    problem(
        api.post(f"{INV}/transfer-orders/{oid}/ship", json={"serials": {"PHONE": ["IMEI-1", "IMEI-9"]}}),
        422,
        "inventory.unknown_serial",
    )
    assert snapshot(engine) == before

    r = api.post(f"{INV}/transfer-orders/{oid}/ship", json={"serials": {"PHONE": ["IMEI-1", "IMEI-2"]}})
    assert r.status_code == 200, r.text
    assert r.json()["line_items"][0]["serials_in_transit"] == ["IMEI-1", "IMEI-2"]

    before = snapshot(engine)
    problem(
        api.post(
            f"{INV}/transfer-orders/{oid}/receive", json={"lines": [{"sku": "PHONE", "serials": ["IMEI-3"]}]}
        ),
        409,
        "inventory.serial_not_in_transit_here",
    )
    problem(
        api.post(f"{INV}/transfer-orders/{oid}/receive", json={"lines": [{"sku": "PHONE"}]}),
        422,
        "inventory.serials_required",
    )
    assert snapshot(engine) == before
    r = api.post(
        f"{INV}/transfer-orders/{oid}/receive", json={"lines": [{"sku": "PHONE", "serials": ["IMEI-2"]}]}
    )
    assert r.status_code == 200, r.text
    (line,) = r.json()["line_items"]
    assert (line["received"], line["lost"]) == (1, 1)
    statuses = {
        x["serial_no"]: (x["status"], x["warehouse"])
        for x in api.get(f"{INV}/serials", params={"sku": "PHONE"}).json()
    }
    assert statuses == {
        "IMEI-1": ("removed", None),
        "IMEI-2": ("in_stock", "WH-B"),
        "IMEI-3": ("in_stock", "WH-A"),
    }
    (unit,) = api.get(f"{INV}/serials/IMEI-2/trace").json()
    assert [(m["kind"], m["warehouse"]) for m in unit["moves"]] == [
        ("receipt", "WH-A"),
        ("transit_out", "WH-A"),
        ("transit_out", "~TRANSIT"),
        ("transit_in", "~TRANSIT"),
        ("transit_in", "WH-B"),
    ]


def test_a_transfer_order_line_takes_no_batch_or_serials_up_front(api):
    assert api.post(f"{INV}/warehouses", json={"code": "WH-B", "name": "广州仓"}).status_code == 201
    body = {
        "from_warehouse": "WH-A",
        "to_warehouse": "WH-B",
        "lines": [{"sku": "MILK", "qty": 1, "lot_no": "B1"}],
    }
    r = api.post(f"{INV}/transfer-orders", json=body)
    assert r.status_code == 422, r.text  # batches are chosen, serials scanned, when it ships
    assert api.get(f"{INV}/transfer-orders").json()["items"] == []
