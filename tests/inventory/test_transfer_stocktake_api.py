"""Transfer orders and stocktake sheets over HTTP: the flows, paging and filters, problem+json
errors that leave nothing changed, permissions, data scopes, the PDF and the Excel report."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from omnistock.identity import service as identity
from omnistock.platform.uow import UnitOfWork
from tests.inventory.helpers import SYSTEM, invariants, snapshot
from tests.inventory.test_api import problem, receipt, user_client

INV = "/api/v1/inventory"


@pytest.fixture
def inv(admin):
    for code in ("WH-A", "WH-B"):
        assert admin.post(f"{INV}/warehouses", json={"code": code, "name": f"仓库{code}"}).status_code == 201
    for code, method in (("SKU-A", "average"), ("SKU-F", "fifo"), ("SKU-N", "average")):
        r = admin.post(
            "/api/v1/catalog/skus",
            json={
                "code": code,
                "name": f"商品{code}",
                "unit": "件",
                "price_cents": 1990,
                "cost_method": method,
            },
        )
        assert r.status_code == 201, r.text
    lines = [
        {"sku": "SKU-A", "qty": 10, "unit_cost_cents": 150},
        {"sku": "SKU-F", "qty": 4, "unit_cost_cents": 1000},
    ]
    assert receipt(admin, lines=lines).status_code == 201
    return admin


def _unchanged(engine, call, status: int, code: str) -> dict:
    """``call()`` answers problem ``code`` and the database is exactly as before."""
    before = snapshot(engine)
    body = problem(call(), status, code)
    assert snapshot(engine) == before
    return body


def _new_order(client, ref="TO-1", lines=None, src="WH-A", dst="WH-B", headers=None):
    body = {
        "ref": ref,
        "from_warehouse": src,
        "to_warehouse": dst,
        "lines": lines or [{"sku": "SKU-A", "qty": 3}],
    }
    return client.post(f"{INV}/transfer-orders", json=body, headers=headers)


# -- transfer orders ----------------------------------------------------------------------------


def test_transfer_order_flow(inv, engine):
    r = _new_order(inv, lines=[{"sku": "SKU-A", "qty": 3}, {"sku": "SKU-F", "qty": 2}])
    assert r.status_code == 201, r.text
    d = r.json()
    oid = d["id"]
    assert (d["ref"], d["status"], d["qty"], d["in_transit"]) == ("TO-1", "draft", 5, 0)
    r = inv.put(
        f"{INV}/transfer-orders/{oid}",
        json={"lines": [{"sku": "SKU-A", "qty": 4}, {"sku": "SKU-F", "qty": 2}], "note": "补货"},
    )
    assert r.status_code == 200 and (r.json()["qty"], r.json()["note"]) == (6, "补货")

    r = inv.post(f"{INV}/transfer-orders/{oid}/ship")
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["status"], d["in_transit"]) == ("shipped", 6) and d["shipped_at"].endswith("Z")
    rows = inv.get(f"{INV}/transfer-orders", params={"status": "shipped"}).json()["items"]
    assert [(x["ref"], x["shipped"], x["in_transit"]) for x in rows] == [("TO-1", 6, 6)]
    stock = inv.get(f"{INV}/stock", params={"warehouse": "~TRANSIT"}).json()["items"]
    assert {(x["sku"], x["on_hand"]) for x in stock} == {("SKU-A", 4), ("SKU-F", 2)}

    r = inv.post(
        f"{INV}/transfer-orders/{oid}/receive",
        json={"lines": [{"sku": "SKU-A", "received": 4}, {"sku": "SKU-F", "received": 1}]},
    )
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["status"], d["received"], d["lost"], d["in_transit"], d["loss_value_cents"]) == (
        "done",
        5,
        1,
        0,
        1000,
    )
    by = {x["sku"]: x for x in d["line_items"]}
    assert (by["SKU-F"]["shipped"], by["SKU-F"]["received"], by["SKU-F"]["lost"]) == (2, 1, 1)
    assert {m["kind"] for m in d["moves"]} == {"transit_out", "transit_in", "transit_loss"}
    stock = {(x["warehouse"], x["sku"]): x["on_hand"] for x in inv.get(f"{INV}/stock").json()["items"]}
    assert stock == {("WH-A", "SKU-A"): 6, ("WH-B", "SKU-A"): 4, ("WH-A", "SKU-F"): 2, ("WH-B", "SKU-F"): 1}
    moves = inv.get(f"{INV}/moves", params={"sku": "SKU-F", "warehouse": "WH-B"}).json()["items"]
    assert [(m["kind"], m["qty"], m["doc_type"], m["doc_ref"]) for m in moves] == [
        ("transit_in", 1, "transfer_order", "TO-1")
    ]

    pdf = inv.get(f"{INV}/transfer-orders/{oid}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "TO-1.pdf" in pdf.headers["content-disposition"]
    assert invariants(engine) == []


def test_transfer_order_list_pages_and_filters(inv):
    for i in range(3):
        assert _new_order(inv, ref=f"TO-{i}").status_code == 201
    assert _new_order(inv, ref="TO-BA", src="WH-B", dst="WH-A").status_code == 201
    inv.post(f"{INV}/transfer-orders/1/cancel")
    page = inv.get(f"{INV}/transfer-orders", params={"limit": 2}).json()
    assert [x["ref"] for x in page["items"]] == ["TO-BA", "TO-2"] and page["next_cursor"]
    rest = inv.get(f"{INV}/transfer-orders", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [x["ref"] for x in rest["items"]] == ["TO-1", "TO-0"] and rest["next_cursor"] is None
    assert [
        x["ref"] for x in inv.get(f"{INV}/transfer-orders", params={"status": "cancelled"}).json()["items"]
    ] == ["TO-0"]
    assert len(inv.get(f"{INV}/transfer-orders", params={"warehouse": "WH-B"}).json()["items"]) == 4
    assert [x["ref"] for x in inv.get(f"{INV}/transfer-orders", params={"q": "ba"}).json()["items"]] == [
        "TO-BA"
    ]
    problem(inv.get(f"{INV}/transfer-orders", params={"status": "lost"}), 422, "request.invalid")
    problem(inv.get(f"{INV}/transfer-orders", params={"cursor": "!!"}), 422, "request.bad_cursor")
    for cursor in ("eyJpZCI6Inh4In0", "eyJpZCI6LTF9"):  # {"id": "xx"}, {"id": -1}
        problem(inv.get(f"{INV}/transfer-orders", params={"cursor": cursor}), 422, "request.bad_cursor")
        problem(inv.get(f"{INV}/stocktakes", params={"cursor": cursor}), 422, "request.bad_cursor")
        problem(inv.get(f"{INV}/documents", params={"cursor": cursor}), 422, "request.bad_cursor")
    for path in (
        "transfer-orders/0",
        "transfer-orders/100000000000000000000/ship",
        "stocktakes/100000000000000000000",
    ):
        r = inv.post(f"{INV}/{path}") if path.endswith("ship") else inv.get(f"{INV}/{path}")
        problem(r, 422, "request.invalid")


def test_transfer_order_errors_leave_nothing_changed(inv, engine):
    oid = _new_order(inv).json()["id"]
    bad_bodies = [
        {"from_warehouse": "WH-A", "to_warehouse": "WH-B", "lines": []},
        {"from_warehouse": "WH-A", "to_warehouse": "WH-B", "lines": [{"sku": "SKU-A", "qty": 0}]},
        {"from_warehouse": "WH-A", "to_warehouse": "WH-B", "lines": [{"sku": "SKU-A", "qty": 1.5}]},
        {"from_warehouse": "WH-A", "lines": [{"sku": "SKU-A", "qty": 1}]},
        {"from_warehouse": "WH-A", "to_warehouse": "WH-B", "lines": [{"sku": "SKU-A", "qty": 1}], "x": 1},
    ]
    for body in bad_bodies:
        _unchanged(engine, lambda b=body: inv.post(f"{INV}/transfer-orders", json=b), 422, "request.invalid")
    _unchanged(engine, lambda: _new_order(inv, ref="TO-2", dst="WH-A"), 422, "inventory.same_warehouse")
    _unchanged(
        engine, lambda: _new_order(inv, ref="TO-2", dst="~TRANSIT"), 422, "inventory.unknown_warehouse"
    )
    _unchanged(
        engine,
        lambda: _new_order(inv, ref="TO-2", lines=[{"sku": "NOPE", "qty": 1}]),
        422,
        "catalog.unknown_sku",
    )
    _unchanged(engine, lambda: _new_order(inv), 409, "inventory.duplicate_ref")
    _unchanged(
        engine,
        lambda: inv.post(f"{INV}/transfer-orders/{oid}/receive", json={}),
        409,
        "inventory.illegal_transition",
    )
    _unchanged(engine, lambda: inv.post(f"{INV}/transfer-orders/999/ship"), 404, "transfer_order.not_found")
    problem(inv.get(f"{INV}/transfer-orders/999"), 404, "transfer_order.not_found")
    # A short line refuses the whole shipment, by name, in both languages.
    big = _new_order(
        inv, ref="TO-BIG", lines=[{"sku": "SKU-A", "qty": 1}, {"sku": "SKU-F", "qty": 5}]
    ).json()["id"]
    body = _unchanged(
        engine, lambda: inv.post(f"{INV}/transfer-orders/{big}/ship"), 409, "inventory.insufficient_stock"
    )
    assert "SKU-F" in body["messages"]["en"] and "SKU-F" in body["messages"]["zh-CN"]
    assert body["params"] == {"sku": "SKU-F", "wanted": 5, "available": 4}
    assert inv.post(f"{INV}/transfer-orders/{oid}/ship").status_code == 200
    for lines in (
        [{"sku": "SKU-A", "received": 4}],
        [{"sku": "SKU-A", "received": -1}],
    ):
        r = inv.post(f"{INV}/transfer-orders/{oid}/receive", json={"lines": lines})
        assert r.status_code == 422, r.text
    _unchanged(
        engine,
        lambda: inv.post(
            f"{INV}/transfer-orders/{oid}/receive", json={"lines": [{"sku": "SKU-A", "received": 4}]}
        ),
        422,
        "inventory.receive_exceeds_shipped",
    )
    _unchanged(
        engine, lambda: inv.post(f"{INV}/transfer-orders/{oid}/cancel"), 409, "inventory.illegal_transition"
    )
    _unchanged(
        engine,
        lambda: inv.put(f"{INV}/transfer-orders/{oid}", json={"lines": [{"sku": "SKU-A", "qty": 1}]}),
        409,
        "inventory.not_a_draft",
    )
    assert invariants(engine) == []


def test_transfer_permissions_and_scopes(inv, client, engine):
    oid = _new_order(inv).json()["id"]
    viewer = user_client(client, engine, "viewer1", ["viewer"])
    assert client.get(f"{INV}/transfer-orders/{oid}", headers=viewer).status_code == 200
    _unchanged(engine, lambda: _new_order(client, ref="TO-V", headers=viewer), 403, "auth.forbidden")
    _unchanged(
        engine,
        lambda: client.post(f"{INV}/transfer-orders/{oid}/ship", headers=viewer),
        403,
        "auth.forbidden",
    )
    staff_a = user_client(client, engine, "staff-a", ["warehouse"], {"warehouse": ["WH-A"]})
    staff_b = user_client(client, engine, "staff-b", ["warehouse"], {"warehouse": ["WH-B"]})
    _unchanged(
        engine,
        lambda: client.post(f"{INV}/transfer-orders/{oid}/ship", headers=staff_b),
        403,
        "auth.out_of_scope",
    )
    assert client.post(f"{INV}/transfer-orders/{oid}/ship", headers=staff_a).status_code == 200
    _unchanged(
        engine,
        lambda: client.post(f"{INV}/transfer-orders/{oid}/receive", json={}, headers=staff_a),
        403,
        "auth.out_of_scope",
    )
    r = client.post(f"{INV}/transfer-orders/{oid}/receive", json={}, headers=staff_b)
    assert r.status_code == 200 and r.json()["status"] == "done"
    # Neither side in scope: the order does not exist for that user.
    staff_c = user_client(client, engine, "staff-c", ["warehouse"], {"warehouse": ["WH-C"]})
    problem(client.get(f"{INV}/transfer-orders/{oid}", headers=staff_c), 404, "transfer_order.not_found")
    assert client.get(f"{INV}/transfer-orders", headers=staff_c).json()["items"] == []
    assert client.get(f"{INV}/stock", headers=staff_a, params={"warehouse": "~TRANSIT"}).json()["items"] == []


# -- stocktakes ---------------------------------------------------------------------------------


def _new_sheet(client, ref="ST-1", scope=None, **extra):
    body = {"ref": ref, "warehouse": "WH-A", "scope": scope or {"kind": "all"}, **extra}
    return client.post(f"{INV}/stocktakes", json=body)


def test_stocktake_flow_and_excel_report(inv, engine):
    r = _new_sheet(inv)
    assert r.status_code == 201, r.text
    d = r.json()
    sid = d["id"]
    assert [(x["sku"], x["book_qty"]) for x in d["line_items"]] == [("SKU-A", 10), ("SKU-F", 4)]
    count = f"{INV}/stocktakes/{sid}/counts"
    for _ in range(3):
        r = inv.post(count, json={"code": "SKU-A"})
    assert (
        r.status_code == 200 and r.json()["line"]["counted1"] == 3 and r.json()["sheet_status"] == "counting"
    )
    assert inv.post(count, json={"code": "SKU-F", "qty": 4}).json()["line"]["difference"] == 0
    assert inv.post(count, json={"code": "SKU-N"}).json()["line"]["added"] is True
    _unchanged(engine, lambda: inv.post(count, json={"code": "NOPE-123"}), 422, "inventory.unknown_code")
    _unchanged(engine, lambda: inv.post(count, json={"code": "SKU-A", "qty": -1}), 422, "request.invalid")
    r = inv.post(f"{INV}/stocktakes/{sid}/recount", json={})
    assert r.status_code == 200 and {x["sku"] for x in r.json()["line_items"] if x["recount"]} == {
        "SKU-A",
        "SKU-N",
    }
    inv.post(count, json={"code": "SKU-A", "qty": 9})
    inv.post(count, json={"code": "SKU-N", "qty": 1})
    r = inv.post(f"{INV}/stocktakes/{sid}/post", json={})
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["status"], d["count_document_ref"]) == ("posted", "ST-1")
    by = {x["sku"]: x for x in d["line_items"]}
    assert (
        by["SKU-A"]["counted1"],
        by["SKU-A"]["counted2"],
        by["SKU-A"]["difference"],
        by["SKU-A"]["value_cents"],
    ) == (
        3,
        9,
        -1,
        -150,
    )
    assert (d["totals"]["loss_qty"], d["totals"]["gain_qty"]) == (1, 1)
    doc = inv.get(f"{INV}/documents/{d['count_document_id']}").json()
    assert (doc["kind"], doc["ref"]) == ("count", "ST-1")

    x = inv.get(f"{INV}/stocktakes/{sid}/report.xlsx")
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(x.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, row in enumerate(rows) if row[1] == "SKU")
    lines = {row[1]: row for row in rows[header + 1 : header + 4]}
    assert lines["SKU-A"][3:9] == [10, 3, 9, 9, -1, -1.5]  # book, 1st, 2nd, counted, diff, yuan
    assert invariants(engine) == []


def test_stocktake_list_and_errors(inv, engine):
    assert _new_sheet(inv).status_code == 201
    assert (
        _new_sheet(inv, ref="ST-2", scope={"kind": "skus", "skus": ["SKU-F"]}, blind=True).status_code == 201
    )
    page = inv.get(f"{INV}/stocktakes", params={"limit": 1}).json()
    assert [x["ref"] for x in page["items"]] == ["ST-2"] and page["items"][0]["scope"] == {
        "kind": "skus",
        "skus": ["SKU-F"],
    }
    nxt = inv.get(f"{INV}/stocktakes", params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [x["ref"] for x in nxt["items"]] == ["ST-1"]
    assert inv.get(f"{INV}/stocktakes", params={"status": "posted"}).json()["items"] == []
    assert len(inv.get(f"{INV}/stocktakes", params={"warehouse": "WH-A"}).json()["items"]) == 2
    for scope in (
        {"kind": "category"},
        {"kind": "skus"},
        {"kind": "skus", "skus": []},
        {"kind": "all", "x": 1},
    ):
        _unchanged(engine, lambda s=scope: _new_sheet(inv, ref="ST-3", scope=s), 422, "request.invalid")
    _unchanged(engine, lambda: _new_sheet(inv), 409, "inventory.duplicate_ref")
    _unchanged(
        engine, lambda: inv.post(f"{INV}/stocktakes/1/post", json={}), 409, "inventory.illegal_transition"
    )
    _unchanged(
        engine,
        lambda: inv.post(f"{INV}/stocktakes/999/counts", json={"code": "SKU-A"}),
        404,
        "stocktake.not_found",
    )
    inv.post(f"{INV}/stocktakes/1/counts", json={"code": "SKU-A", "qty": 2})
    body = _unchanged(
        engine, lambda: inv.post(f"{INV}/stocktakes/1/post", json={}), 409, "inventory.stocktake_uncounted"
    )
    assert "SKU-F" in body["detail"]
    # Reserved after the snapshot: posting 10 + (2 - 10) = 2 would go below the 9 orders hold.
    assert inv.post("/api/v1/orders/channels", json={"code": "CH", "name": "渠道"}).status_code == 201
    assert inv.post("/api/v1/orders/customers", json={"code": "C", "name": "客户"}).status_code == 201
    r = inv.post(
        "/api/v1/orders",
        json={
            "ref": "SO-1",
            "channel": "CH",
            "customer": "C",
            "warehouse": "WH-A",
            "lines": [{"sku": "SKU-A", "qty": 9, "unit_price_cents": 100}],
            "payments": [{"method": "bank_card", "amount_cents": 9 * 100}],
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
    assert r.status_code == 201, r.text
    body = _unchanged(
        engine,
        lambda: inv.post(f"{INV}/stocktakes/1/post", json={"uncounted_as_zero": True}),
        409,
        "inventory.stocktake_below_reserved",
    )
    assert body["params"]["reserved"] == 9
    assert inv.post(f"{INV}/stocktakes/1/cancel").json()["status"] == "cancelled"
    assert invariants(engine) == []


def test_stocktake_permissions_blind_and_scope(inv, client, engine):
    with UnitOfWork(engine, SYSTEM) as uow:
        identity.create_role(
            uow,
            code="counter",
            name="盘点员",
            permissions=["inventory.stock.read", "inventory.stocktake.count"],
        )
    sid = _new_sheet(inv, blind=True).json()["id"]
    counter = user_client(client, engine, "counter1", ["counter"])
    r = client.post(f"{INV}/stocktakes/{sid}/counts", json={"code": "SKU-A"}, headers=counter)
    assert (
        r.status_code == 200
        and r.json()["line"]["book_qty"] is None
        and r.json()["line"]["difference"] is None
    )
    d = client.get(f"{INV}/stocktakes/{sid}", headers=counter).json()
    assert d["book_visible"] is False and {x["book_qty"] for x in d["line_items"]} == {None}
    assert inv.get(f"{INV}/stocktakes/{sid}").json()["line_items"][0]["book_qty"] == 10
    for call in (
        lambda: client.post(f"{INV}/stocktakes/{sid}/post", json={}, headers=counter),
        lambda: client.post(f"{INV}/stocktakes/{sid}/recount", json={}, headers=counter),
        lambda: client.post(f"{INV}/stocktakes/{sid}/cancel", headers=counter),
        lambda: client.post(
            f"{INV}/stocktakes", json={"warehouse": "WH-A", "scope": {"kind": "all"}}, headers=counter
        ),
    ):
        _unchanged(engine, call, 403, "auth.forbidden")
    staff_b = user_client(client, engine, "staff-b", ["warehouse"], {"warehouse": ["WH-B"]})
    _unchanged(
        engine,
        lambda: client.post(f"{INV}/stocktakes/{sid}/counts", json={"code": "SKU-A"}, headers=staff_b),
        403,
        "auth.out_of_scope",
    )
    problem(client.get(f"{INV}/stocktakes/{sid}", headers=staff_b), 404, "stocktake.not_found")
    _unchanged(
        engine,
        lambda: client.post(
            f"{INV}/stocktakes", json={"warehouse": "WH-A", "scope": {"kind": "all"}}, headers=staff_b
        ),
        403,
        "auth.out_of_scope",
    )
