"""Purchasing over HTTP through the real app: the order flow with separate buyer and approver,
receiving by scan, problems as problem+json, PDF/Excel, replenishment and bills."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.purchasing.helpers import setup

P = "/api/v1/purchasing"
PROBLEM = "application/problem+json"


@pytest.fixture
def people(engine, app, make_user, login):
    setup(engine)
    out = {}
    for name, roles in (("buyer", ["purchaser"]), ("boss", ["purchase_manager"]), ("clerk", ["warehouse"])):
        make_user(name, roles=roles)
        c = TestClient(app)
        c.headers["Authorization"] = f"Bearer {login(name)}"
        out[name] = c
    return out


def problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == code
    assert set(body["messages"]) == {"zh-CN", "en"}
    return body


def test_order_flow_over_http(people):
    buyer, boss, clerk = people["buyer"], people["boss"], people["clerk"]
    r = buyer.post(
        f"{P}/orders", json={"supplier": "SUP-1", "warehouse": "WH-A", "lines": [{"sku": "STD-1", "qty": 10}]}
    )
    assert r.status_code == 201, r.text
    po = r.json()
    assert (
        po["status"] == "draft" and po["total_cents"] == 10_000 and po["next"] == ["cancelled", "submitted"]
    )
    assert buyer.post(f"{P}/orders/{po['id']}/actions/submit").json()["status"] == "submitted"
    problem(buyer.post(f"{P}/orders/{po['id']}/actions/approve"), 403, "auth.forbidden")
    assert boss.post(f"{P}/orders/{po['id']}/actions/approve").json()["status"] == "approved"
    # the receiving station: scan the order, then barcodes
    assert clerk.get(f"{P}/orders/by-ref/{po['ref']}").json()["id"] == po["id"]
    problem(
        clerk.post(f"{P}/orders/{po['id']}/receipts", json={"lines": [{"code": "000000", "qty": 1}]}),
        404,
        "catalog.unknown_code",
    )
    problem(
        clerk.post(f"{P}/orders/{po['id']}/receipts", json={"lines": [{"code": "6900001", "qty": 12}]}),
        409,
        "purchasing.over_tolerance",
    )
    r = clerk.post(
        f"{P}/orders/{po['id']}/receipts",
        json={"lines": [{"code": "6900001", "qty": 10}], "freight_cents": 500, "allocation": "qty"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["order_status"] == "received"
    assert r.json()["lines"][0]["value_cents"] == 10_500
    stock = clerk.get("/api/v1/inventory/availability", params={"sku": "STD-1"})
    assert stock.status_code == 200
    receipts = boss.get(f"{P}/orders/{po['id']}/receipts").json()
    assert receipts[0]["lines"][0]["landed_cents"] == 500
    assert boss.post(f"{P}/orders/{po['id']}/actions/close").json()["status"] == "closed"
    problem(boss.post(f"{P}/orders/{po['id']}/actions/cancel"), 409, "purchasing.illegal_transition")
    pdf = boss.get(f"{P}/orders/{po['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = boss.get(f"{P}/orders/{po['id']}/xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_bills_and_accruals_over_http(people):
    buyer, boss, clerk = people["buyer"], people["boss"], people["clerk"]
    po = buyer.post(
        f"{P}/orders", json={"supplier": "SUP-1", "warehouse": "WH-A", "lines": [{"sku": "STD-2", "qty": 4}]}
    ).json()
    buyer.post(f"{P}/orders/{po['id']}/actions/submit")
    boss.post(f"{P}/orders/{po['id']}/actions/approve")
    clerk.post(f"{P}/orders/{po['id']}/receipts", json={"lines": [{"code": "STD-2", "qty": 4}]})
    acc = buyer.get(f"{P}/accruals").json()
    assert acc[0]["unbilled_qty"] == 4 and acc[0]["unbilled_cents"] == 2000
    r = buyer.post(
        f"{P}/bills",
        json={
            "supplier": "SUP-1",
            "bill_no": "F-1",
            "order_id": po["id"],
            "lines": [{"order_line_no": 1, "qty": 4, "price_cents": 500}],
        },
    )
    assert r.status_code == 201 and r.json()["status"] == "matched"
    assert buyer.get(f"{P}/accruals").json()[0]["unbilled_qty"] == 0
    assert boss.post(f"{P}/bills/{r.json()['id']}/approve").json()["status"] == "approved"


def test_suppliers_settings_and_workbench_over_http(people):
    buyer, boss = people["buyer"], people["boss"]
    r = buyer.post(
        f"{P}/suppliers", json={"code": "SUP-9", "name": "新供应商", "lead_time_days": 12, "currency": "usd"}
    )
    assert r.status_code == 201 and r.json()["currency"] == "USD"
    r = buyer.put(
        f"{P}/suppliers/SUP-9/skus", json={"sku": "STD-2", "price_cents": 450, "moq": 20, "pack_size": 10}
    )
    assert r.status_code == 200 and r.json()[0]["moq"] == 20
    assert len(buyer.get(f"{P}/price-history", params={"sku": "STD-2"}).json()) == 2
    problem(buyer.put(f"{P}/settings", json={"tolerance_pct": 3}), 403, "auth.forbidden")
    assert boss.put(f"{P}/settings", json={"tolerance_pct": 3}).json()["tolerance_pct"] == 3
    problem(
        boss.put(f"{P}/settings", json={"approval_thresholds": [[100, "purchasing.po.approve"]]}),
        422,
        "purchasing.bad_setting",
    )
    wb = buyer.get(f"{P}/replenishment").json()
    assert set(wb["counts"]) == {"stockout", "critical", "reorder", "ok"}
    r = buyer.post(
        f"{P}/replenishment/draft-orders", json={"picks": [{"warehouse": "WH-A", "sku": "STD-2", "qty": 40}]}
    )
    assert r.status_code == 201 and r.json()[0]["supplier"] == "SUP-9"  # the cheapest
    assert buyer.get(f"{P}/stock-health").status_code == 200


def test_requests_over_http(people):
    buyer, clerk = people["buyer"], people["clerk"]
    r = clerk.post(
        f"{P}/requests", json={"warehouse": "WH-A", "sku": "STD-2", "qty": 12, "reason": "快卖完了"}
    )
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "open" and req["created_by"] == "clerk"
    problem(clerk.post(f"{P}/requests/order", json={"ids": [req["id"]]}), 403, "auth.forbidden")
    r = buyer.post(f"{P}/requests/order", json={"ids": [req["id"]]})
    assert r.status_code == 201, r.text
    assert r.json()[0]["lines"][0]["qty"] == 12
    problem(buyer.post(f"{P}/requests/{req['id']}/reject"), 409, "purchasing.request_not_open")
    assert buyer.get(f"{P}/requests", params={"status": "ordered"}).json()[0]["order"] == r.json()[0]["ref"]


def _received_order(people, sku: str, qty: int) -> dict:
    buyer, boss, clerk = people["buyer"], people["boss"], people["clerk"]
    po = buyer.post(
        f"{P}/orders", json={"supplier": "SUP-1", "warehouse": "WH-A", "lines": [{"sku": sku, "qty": qty}]}
    ).json()
    buyer.post(f"{P}/orders/{po['id']}/actions/submit")
    boss.post(f"{P}/orders/{po['id']}/actions/approve")
    r = clerk.post(f"{P}/orders/{po['id']}/receipts", json={"lines": [{"code": sku, "qty": qty}]})
    assert r.status_code == 201, r.text
    return po


def test_supplier_returns_over_http(people):
    buyer = people["buyer"]
    po = _received_order(people, "STD-2", 4)
    body = {"supplier": "SUP-1", "warehouse": "WH-A", "order_id": po["id"], "reason": "质量问题"}
    problem(
        buyer.post(f"{P}/returns", json=body | {"lines": [{"sku": "STD-2", "qty": 5}]}),
        422,
        "purchasing.return_exceeds_received",
    )
    problem(
        buyer.post(f"{P}/returns", json=body | {"lines": [{"sku": "STD-1", "qty": 1}]}),
        422,
        "purchasing.not_on_order",
    )
    for qty in (1, 2):
        r = buyer.post(f"{P}/returns", json=body | {"lines": [{"sku": "STD-2", "qty": qty}]})
        assert r.status_code == 201, r.text
    assert buyer.get(f"{P}/orders/{po['id']}").json()["lines"][0]["received"] == 1
    problem(
        buyer.post(f"{P}/returns", json=body | {"lines": [{"sku": "STD-2", "qty": 2}]}),
        422,
        "purchasing.return_exceeds_received",
    )
    page = buyer.get(f"{P}/returns", params={"limit": 1}).json()
    assert [(x["order"], x["lines"][0]["qty"], x["value_cents"]) for x in page["items"]] == [
        (po["ref"], 2, 1000)
    ]
    assert page["items"][0]["reason"] == "质量问题" and page["items"][0]["supplier_name"] == "供应商一"
    rest = buyer.get(f"{P}/returns", params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [x["lines"][0]["qty"] for x in rest["items"]] == [1] and rest["next_cursor"] is None
    assert len(buyer.get(f"{P}/returns", params={"order_id": po["id"]}).json()["items"]) == 2
    assert buyer.get(f"{P}/returns", params={"supplier": "SUP-2"}).json()["items"] == []
    problem(buyer.get(f"{P}/returns", params={"cursor": "!!"}), 422, "request.bad_cursor")


def test_order_and_bill_lists_are_cursor_paged(people, engine, make_user, app, login):
    buyer, boss = people["buyer"], people["boss"]
    made = []
    for i in range(5):
        wh = "WH-B" if i == 2 else "WH-A"
        r = buyer.post(
            f"{P}/orders",
            json={"supplier": "SUP-1", "warehouse": wh, "lines": [{"sku": "STD-2", "qty": 1 + i}]},
        )
        assert r.status_code == 201, r.text
        made.append(r.json())
    newest_first = [po["ref"] for po in reversed(made)]
    seen, cursor = [], None
    while True:
        page = buyer.get(f"{P}/orders", params={"limit": 2} | ({"cursor": cursor} if cursor else {})).json()
        assert len(page["items"]) <= 2 and page["counts"]["draft"] == 5
        seen += [x["ref"] for x in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == newest_first
    # Filters are kept from page to page; a data scope is applied before paging.
    buyer.post(f"{P}/orders/{made[0]['id']}/actions/submit")
    first = buyer.get(f"{P}/orders", params={"status": "draft", "limit": 3}).json()
    assert [x["ref"] for x in first["items"]] == newest_first[:3]
    rest = buyer.get(
        f"{P}/orders", params={"status": "draft", "limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [x["ref"] for x in rest["items"]] == [made[1]["ref"]] and rest["next_cursor"] is None
    make_user("buyer_a", roles=["purchaser"], scopes={"warehouse": ["WH-A"]})
    scoped = TestClient(app)
    scoped.headers["Authorization"] = f"Bearer {login('buyer_a')}"
    page = scoped.get(f"{P}/orders", params={"limit": 4}).json()
    assert [x["ref"] for x in page["items"]] == [r for r in newest_first if r != made[2]["ref"]]
    assert page["next_cursor"] is None and sum(page["counts"].values()) == 4
    problem(buyer.get(f"{P}/orders", params={"cursor": "not-a-cursor"}), 422, "request.bad_cursor")

    # Bills: three on one received order, newest first, two a page.
    po = _received_order(people, "STD-1", 30)
    for i in range(3):
        r = buyer.post(
            f"{P}/bills",
            json={
                "supplier": "SUP-1",
                "bill_no": f"PG-{i}",
                "order_id": po["id"],
                "lines": [{"order_line_no": 1, "qty": 10, "price_cents": 1000 + (i == 1)}],
            },
        )
        assert r.status_code == 201, r.text
    page = boss.get(f"{P}/bills", params={"limit": 2}).json()
    assert [b["bill_no"] for b in page["items"]] == ["PG-2", "PG-1"]
    more = boss.get(f"{P}/bills", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [b["bill_no"] for b in more["items"]] == ["PG-0"] and more["next_cursor"] is None
    # (a part-bill differs in quantity; only the last, billing what is left at the order price, matches)
    diff = boss.get(f"{P}/bills", params={"status": "difference", "limit": 1}).json()
    assert [b["bill_no"] for b in diff["items"]] == ["PG-1"]
    diff = boss.get(
        f"{P}/bills", params={"status": "difference", "limit": 1, "cursor": diff["next_cursor"]}
    ).json()
    assert [b["bill_no"] for b in diff["items"]] == ["PG-0"] and diff["next_cursor"] is None
    assert [b["bill_no"] for b in boss.get(f"{P}/bills", params={"status": "matched"}).json()["items"]] == [
        "PG-2"
    ]
    assert boss.get(f"{P}/bills", params={"supplier": "SUP-2"}).json()["items"] == []
