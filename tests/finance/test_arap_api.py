"""The receivables and payables API over HTTP: sign-in and permissions, problem+json on bad
input, receipts allocated, ageing and its Excel export, expenses."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.finance.arap_helpers import TODAY, problems, setup, ship_on_credit

FIN = "/api/v1/finance"


def test_needs_a_token_and_the_permission(engine, client, make_user, login):
    setup(engine)
    assert client.get(f"{FIN}/open-items").status_code == 401
    make_user("viewer1", roles=["viewer"])
    make_user("fin1", roles=["finance"])
    viewer = {"Authorization": f"Bearer {login('viewer1')}"}
    fin = {"Authorization": f"Bearer {login('fin1')}"}
    r = client.get(f"{FIN}/open-items", headers=viewer)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"{FIN}/open-items?kind=ar", headers=fin).status_code == 200
    assert client.get(f"{FIN}/ageing", headers=fin).status_code == 200
    body = {"party": "CUST-1", "amount_cents": 100, "date": TODAY.isoformat(), "ref": "R-1"}
    assert client.post(f"{FIN}/receipts", json=body, headers=fin).status_code == 403  # read-only role
    assert client.post(f"{FIN}/expenses", json={}, headers=fin).status_code in (403, 422)


def test_receipt_allocation_and_reports(engine, admin):
    setup(engine)
    first = ship_on_credit(engine, 2, days_ago=40)
    ship_on_credit(engine, 3)
    page = admin.get(
        f"{FIN}/open-items", params={"kind": "ar", "party_type": "customer", "party": "CUST-1", "limit": 1}
    )
    assert page.status_code == 200
    assert [i["ref"] for i in page.json()["items"]] == [first] and page.json()["next_cursor"]
    nxt = admin.get(
        f"{FIN}/open-items", params={"kind": "ar", "limit": 1, "cursor": page.json()["next_cursor"]}
    )
    assert len(nxt.json()["items"]) == 1 and nxt.json()["next_cursor"] is None
    overdue = admin.get(f"{FIN}/open-items", params={"kind": "ar", "overdue": "true"}).json()["items"]
    assert [(i["ref"], i["days_overdue"]) for i in overdue] == [(first, 10)]
    item_id = overdue[0]["id"]
    # bad input: problem+json, nothing written
    for bad, status, code in (
        ({"amount_cents": 0}, 422, None),
        ({"allocations": [{"open_item_id": item_id, "amount_cents": 9_999}]}, 422, "finance.over_allocation"),
        ({"account": "1405"}, 422, "finance.account_not_allowed"),
        ({"party": "NOPE"}, 422, "orders.unknown_customer"),
        ({"extra": 1}, 422, None),
    ):
        body = {"party": "CUST-1", "amount_cents": 1_000, "date": TODAY.isoformat(), "ref": "R-BAD"} | bad
        r = admin.post(f"{FIN}/receipts", json=body)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        if code:
            assert r.json()["code"] == code
    assert admin.get(f"{FIN}/payments").json()["items"] == []
    r = admin.post(
        f"{FIN}/receipts",
        json={
            "party": "CUST-1",
            "amount_cents": 4_000,
            "date": TODAY.isoformat(),
            "ref": "R-1",
            "allocations": [{"open_item_id": item_id, "amount_cents": 4_000}],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["allocated_cents"] == 4_000 and r.json()["allocations"][0]["ref"] == first
    dup = admin.post(
        f"{FIN}/receipts",
        json={"party": "CUST-1", "amount_cents": 1, "date": TODAY.isoformat(), "ref": "R-1"},
    )
    assert dup.status_code == 409 and dup.json()["code"] == "finance.duplicate_payment_ref"
    ageing = admin.get(f"{FIN}/ageing", params={"kind": "ar"}).json()
    assert ageing["totals"]["total_cents"] == 6_000 and ageing["rows"][0]["code"] == "CUST-1"
    x = admin.get(f"{FIN}/ageing/export", params={"kind": "ar"})
    assert x.status_code == 200
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws.cell(1, 1).value == "客户编码" and ws.cell(2, 1).value == "CUST-1"
    st = admin.get(f"{FIN}/statement/customer/CUST-1").json()
    assert st["closing_cents"] == 6_000 and [ln["type"] for ln in st["lines"]][-1] in ("receipt", "invoice")
    terms = admin.put(f"{FIN}/terms/customer/CUST-2", json={"credit_days": 15, "credit_limit_cents": 50_000})
    assert terms.status_code == 200 and terms.json()["credit_days"] == 15
    assert admin.put(f"{FIN}/terms/customer/CUST-2", json={"credit_days": -1}).status_code == 422
    assert {t["code"] for t in admin.get(f"{FIN}/terms").json()} == {"CUST-1", "CUST-2"}
    assert admin.post(f"{FIN}/reminders/scan").json() == {"before_due": 0, "overdue": 0, "notifications": 0}
    assert problems(engine) == []


def test_expenses(engine, admin):
    setup(engine)
    accounts = admin.get(f"{FIN}/expense-accounts").json()
    assert "6602" in {a["code"] for a in accounts["expense"]} and "1002" in {
        a["code"] for a in accounts["money"]
    }
    r = admin.post(
        f"{FIN}/expenses",
        json={"date": TODAY.isoformat(), "account": "660104", "amount_cents": 8_800, "memo": "推广"},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["paid_from"], r.json()["entry_id"] is not None) == ("1002", True)
    bad = admin.post(
        f"{FIN}/expenses", json={"date": TODAY.isoformat(), "account": "1002", "amount_cents": 1}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "finance.account_not_allowed"
    assert [e["account"] for e in admin.get(f"{FIN}/expenses").json()["items"]] == ["660104"]
    assert problems(engine) == []
