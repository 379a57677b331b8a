"""Inventory HTTP API through the real app: documents, reads, validation, auth and data scopes."""

from __future__ import annotations

import pytest

from omnistock.identity import service as identity
from omnistock.platform.uow import UnitOfWork
from tests.inventory.helpers import SYSTEM, invariants

INV = "/api/v1/inventory"
PASSWORD = "Stock#2026-pass"
PROBLEM = "application/problem+json"


@pytest.fixture
def api(admin):
    for code in ("WH-A", "WH-B"):
        r = admin.post(f"{INV}/warehouses", json={"code": code, "name": f"仓库{code}"})
        assert r.status_code == 201, r.text
    for code, method in (("SKU-A", "average"), ("SKU-F", "fifo")):
        r = admin.post(
            "/api/v1/catalog/skus",
            json={
                "code": code,
                "name": f"商品{code}",
                "unit": "件",
                "price_cents": 1990,
                "cost_method": method,
                "safety_stock": 5,
            },
        )
        assert r.status_code == 201, r.text
    r = admin.post("/api/v1/purchasing/suppliers", json={"code": "SUP-1", "name": "供应商一"})
    assert r.status_code == 201, r.text
    return admin


def receipt(client, ref="RC-1", wh="WH-A", lines=None, **extra):
    if lines is None:
        lines = [{"sku": "SKU-A", "qty": 10, "unit_cost_cents": 150}]
    body = {"ref": ref, "warehouse": wh, "lines": lines, **extra}
    return client.post(f"{INV}/receipts", json=body)


def problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert set(body["messages"]) == {"zh-CN", "en"}
    return body


def user_client(client, engine, username, roles, scopes=None):
    with UnitOfWork(engine, SYSTEM) as uow:
        identity.create_user(
            uow, username=username, password=PASSWORD, display_name=username, roles=roles, scopes=scopes or {}
        )
    r = client.post("/api/v1/identity/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_receipt_stock_moves_valuation_availability(api, engine):
    r = receipt(
        api,
        lines=[
            {"sku": "SKU-A", "qty": 10, "unit_cost_cents": 150},
            {"sku": "SKU-F", "qty": 3, "unit_cost_cents": 1000},
        ],
        partner="SUP-1",
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["kind"], doc["ref"], doc["status"], doc["warehouse"]) == ("receipt", "RC-1", "done", "WH-A")
    assert (
        receipt(api, "RC-2", "WH-B", [{"sku": "SKU-A", "qty": 5, "unit_cost_cents": 300}]).status_code == 201
    )

    rows = api.get(f"{INV}/stock").json()["items"]
    by = {(x["warehouse"], x["sku"]): x for x in rows}
    assert set(by) == {("WH-A", "SKU-A"), ("WH-B", "SKU-A"), ("WH-A", "SKU-F")}
    a = by[("WH-A", "SKU-A")]
    # SKU-A pool: 15 pieces worth 15.00 + 15.00 = 30.00 -> WH-A's 10 pieces are worth 20.00
    assert (a["on_hand"], a["reserved"], a["available"], a["value_cents"], a["safety_stock"]) == (
        10,
        0,
        10,
        2000,
        5,
    )
    assert by[("WH-B", "SKU-A")]["value_cents"] == 1000
    only_b = api.get(f"{INV}/stock", params={"warehouse": "WH-B"}).json()["items"]
    assert [(x["warehouse"], x["sku"]) for x in only_b] == [("WH-B", "SKU-A")]

    moves = api.get(f"{INV}/moves", params={"sku": "SKU-A"}).json()["items"]
    assert [(m["warehouse"], m["kind"], m["qty"], m["value_cents"], m["doc_ref"]) for m in moves] == [
        ("WH-B", "receipt", 5, 1500, "RC-2"),
        ("WH-A", "receipt", 10, 1500, "RC-1"),
    ]
    page = api.get(f"{INV}/moves", params={"limit": 1})
    assert page.status_code == 200 and page.json()["next_cursor"]
    nxt = api.get(f"{INV}/moves", params={"limit": 1, "cursor": page.json()["next_cursor"]}).json()
    assert nxt["items"][0]["id"] != page.json()["items"][0]["id"]

    val = api.get(f"{INV}/valuation/SKU-F").json()
    assert (val["sku"], val["cost_method"], val["qty"], val["value_cents"]) == ("SKU-F", "fifo", 3, 3000)
    assert [(x["qty"], x["value_cents"]) for x in val["layers"]] == [(3, 3000)]
    val = api.get(f"{INV}/valuation/SKU-A").json()
    assert (val["qty"], val["value_cents"]) == (15, 3000)

    av = api.get(f"{INV}/availability", params=[("sku", "SKU-A"), ("sku", "SKU-F")]).json()
    assert [(x["sku"], x["available"], x["on_hand"]) for x in av] == [("SKU-A", 15, 15), ("SKU-F", 3, 3)]
    assert {w["warehouse"]: w["available"] for w in av[0]["warehouses"]} == {"WH-A": 10, "WH-B": 5}
    assert invariants(engine) == []


def test_transfer_count_adjustment_endpoints(api, engine):
    assert receipt(api).status_code == 201
    r = api.post(
        f"{INV}/transfers",
        json={
            "ref": "TR-1",
            "from_warehouse": "WH-A",
            "to_warehouse": "WH-B",
            "lines": [{"sku": "SKU-A", "qty": 4}],
        },
    )
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["to_warehouse"]) == ("done", "WH-B")
    r = api.post(
        f"{INV}/transfers",
        json={
            "ref": "TR-2",
            "from_warehouse": "WH-A",
            "to_warehouse": "WH-B",
            "lines": [{"sku": "SKU-A", "qty": 7}],
        },
    )
    assert r.status_code == 201 and r.json()["status"] == "rejected"
    assert r.json()["rejection"] == {"sku": "SKU-A", "wanted": 7, "available": 6}
    problem(
        api.post(
            f"{INV}/transfers",
            json={"from_warehouse": "WH-A", "to_warehouse": "WH-A", "lines": [{"sku": "SKU-A", "qty": 1}]},
        ),
        422,
        "inventory.same_warehouse",
    )

    r = api.post(
        f"{INV}/counts", json={"ref": "CNT-1", "warehouse": "WH-A", "lines": [{"sku": "SKU-A", "counted": 3}]}
    )
    assert r.status_code == 201, r.text
    line = r.json()["lines"][0]
    assert (line["on_hand_before"], line["difference"], line["value_cents"]) == (6, -3, -450)

    r = api.post(
        f"{INV}/adjustments",
        json={
            "ref": "ADJ-1",
            "warehouse": "WH-B",
            "reason": "damaged",
            "lines": [{"sku": "SKU-A", "qty": -1}],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["lines"][0]["value_cents"] == -150
    problem(
        api.post(
            f"{INV}/adjustments",
            json={"warehouse": "WH-B", "reason": "damaged", "lines": [{"sku": "SKU-A", "qty": -99}]},
        ),
        409,
        "inventory.insufficient_stock",
    )
    problem(
        api.post(
            f"{INV}/adjustments",
            json={"warehouse": "WH-B", "reason": "stolen", "lines": [{"sku": "SKU-A", "qty": -1}]},
        ),
        422,
        "request.invalid",
    )
    reasons = api.get(f"{INV}/adjustment-reasons").json()
    assert {"code": "damaged", "zh": "报损", "en": "Damaged"} in reasons
    stock = {(x["warehouse"], x["sku"]): x["on_hand"] for x in api.get(f"{INV}/stock").json()["items"]}
    assert stock == {("WH-A", "SKU-A"): 3, ("WH-B", "SKU-A"): 3}
    assert invariants(engine) == []


def test_bad_input(api):
    assert receipt(api).status_code == 201
    body = problem(
        receipt(api, "RC-9", lines=[{"sku": "NOPE", "qty": 1, "unit_cost_cents": 1}]),
        422,
        "catalog.unknown_sku",
    )
    assert "NOPE" in body["messages"]["en"]
    for qty in (0, 1.5, -1, "x"):
        problem(
            receipt(api, "RC-9", lines=[{"sku": "SKU-A", "qty": qty, "unit_cost_cents": 1}]),
            422,
            "request.invalid",
        )
    problem(
        receipt(api, "RC-9", lines=[{"sku": "SKU-A", "qty": 1, "unit_cost_cents": 1, "colour": "red"}]),
        422,
        "request.invalid",
    )
    problem(receipt(api, "RC-9", surprise=True), 422, "request.invalid")
    problem(receipt(api, "RC-9", lines=[]), 422, "request.invalid")
    problem(receipt(api, "RC-9", wh="WH-Z"), 422, "inventory.unknown_warehouse")
    dup = problem(receipt(api, "RC-1"), 409, "inventory.duplicate_ref")
    assert "RC-1" in dup["messages"]["en"] and "RC-1" in dup["messages"]["zh-CN"]
    # Localized detail: zh-CN by default, English on request.
    assert dup["detail"] == dup["messages"]["zh-CN"]
    en = api.post(
        f"{INV}/receipts",
        json={
            "ref": "RC-1",
            "warehouse": "WH-A",
            "lines": [{"sku": "SKU-A", "qty": 1, "unit_cost_cents": 1}],
        },
        headers={"Accept-Language": "en"},
    )
    assert problem(en, 409, "inventory.duplicate_ref")["detail"] == dup["messages"]["en"]
    problem(api.get(f"{INV}/valuation/NOPE"), 422, "catalog.unknown_sku")
    # Nothing of the refused documents was kept.
    moves = api.get(f"{INV}/moves").json()["items"]
    assert [m["doc_ref"] for m in moves] == ["RC-1"]


def test_missing_or_bad_token_is_401(client, api):
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer nope"}):
        r = client.get(f"{INV}/stock", headers=headers)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith(PROBLEM)
    anon = client.post(
        f"{INV}/receipts",
        headers={"Authorization": ""},
        json={"warehouse": "WH-A", "lines": [{"sku": "SKU-A", "qty": 1, "unit_cost_cents": 1}]},
    )
    assert anon.status_code == 401


def test_viewer_reads_but_cannot_receive(api, client, engine):
    assert receipt(api).status_code == 201
    viewer = user_client(client, engine, "viewer1", ["viewer"])
    assert client.get(f"{INV}/stock", headers=viewer).status_code == 200
    r = client.post(
        f"{INV}/receipts",
        headers=viewer,
        json={
            "ref": "RC-V",
            "warehouse": "WH-A",
            "lines": [{"sku": "SKU-A", "qty": 1, "unit_cost_cents": 1}],
        },
    )
    problem(r, 403, r.json()["code"])
    assert r.json()["code"].startswith("auth.")


def test_warehouse_scoped_user(api, client, engine):
    assert receipt(api).status_code == 201
    assert receipt(api, "RC-2", "WH-B").status_code == 201
    staff = user_client(client, engine, "staff-a", ["warehouse"], {"warehouse": ["WH-A"]})
    r = client.post(
        f"{INV}/receipts",
        headers={**staff, "Accept-Language": "en"},
        json={
            "ref": "RC-S",
            "warehouse": "WH-B",
            "lines": [{"sku": "SKU-A", "qty": 1, "unit_cost_cents": 1}],
        },
    )
    body = problem(r, 403, "auth.out_of_scope")
    assert "WH-B" in body["detail"]
    r = client.post(
        f"{INV}/receipts",
        headers=staff,
        json={
            "ref": "RC-S",
            "warehouse": "WH-A",
            "lines": [{"sku": "SKU-A", "qty": 1, "unit_cost_cents": 1}],
        },
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"{INV}/transfers",
        headers=staff,
        json={"from_warehouse": "WH-A", "to_warehouse": "WH-B", "lines": [{"sku": "SKU-A", "qty": 1}]},
    )
    problem(r, 403, "auth.out_of_scope")
    rows = client.get(f"{INV}/stock", headers=staff).json()["items"]
    assert rows and {x["warehouse"] for x in rows} == {"WH-A"}
    assert client.get(f"{INV}/stock", headers=staff, params={"warehouse": "WH-B"}).json()["items"] == []
    moves = client.get(f"{INV}/moves", headers=staff).json()["items"]
    assert moves and {m["warehouse"] for m in moves} == {"WH-A"}
    whs = client.get(f"{INV}/warehouses", headers=staff).json()
    assert [w["code"] for w in whs] == ["WH-A"]
    av = client.get(f"{INV}/availability", headers=staff, params={"sku": "SKU-A"}).json()
    assert [w["warehouse"] for w in av[0]["warehouses"]] == ["WH-A"]


def test_availability_without_sku_is_422(api):
    problem(api.get(f"{INV}/availability"), 422, "request.invalid")
