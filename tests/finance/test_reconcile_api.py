"""The reconciliation API over HTTP: upload, problems with row numbers, 409 on the same file,
the workbench, resolving, order money, and 403 without the permission."""

from __future__ import annotations

from tests.finance import recon_helpers as h

BASE = "/api/v1/finance/reconciliation"


def _bill() -> bytes:
    t = h.now_china()
    return h.wechat_bill(
        [
            h.wechat_row("SO-A", 5990, 36, txn="A1", when=t),
            h.wechat_row("SO-B", 5000, 30, txn="B1", when=t),
        ]
    )


def _upload(client, data: bytes, *, channel=h.CHANNEL, source="wechat_pay", name="wechat.csv"):
    return client.post(
        f"{BASE}/statements",
        data={"channel": channel, "source": source},
        files={"file": (name, data, "text/csv")},
    )


def test_import_workbench_and_resolve(engine, admin):
    h.setup(engine)
    h.shipped_order(engine, "SO-A")
    h.shipped_order(engine, "SO-B")
    bill = _bill()  # made once: the same statement, even across a minute boundary
    r = _upload(admin, bill)
    assert r.status_code == 201, r.text
    st = r.json()
    assert st["summary"]["by_status"]["matched"]["count"] == 1
    assert st["summary"]["by_status"]["amount_mismatch"]["difference_cents"] == -990
    assert st["cash_account"] == "101201"
    again = _upload(admin, bill, name="again.csv")
    assert again.status_code == 409 and again.json()["code"] == "finance.statement_duplicate"
    listed = admin.get(f"{BASE}/statements").json()
    assert [(s["id"], s["open"]) for s in listed["items"]] == [(st["id"], 1)]
    rows = admin.get(f"{BASE}/statements/{st['id']}/rows", params={"status": "amount_mismatch"}).json()
    (row,) = rows["rows"]
    assert row["order"] == "SO-B" and rows["summary"]["open"] == 1
    queue = admin.get(f"{BASE}/exceptions").json()["items"]
    assert [q["id"] for q in queue] == [row["id"]]
    money = admin.get(f"{BASE}/orders/SO-B").json()
    assert money["status"] == "mismatch" and money["rows"][0]["row_no"] == 3
    r = admin.post(f"{BASE}/rows/{row['id']}/accept", json={"account": "6711", "note": "少结"})
    assert r.status_code == 200, r.text
    assert r.json()[0]["state"] == "resolved"
    r = admin.post(f"{BASE}/rows/{row['id']}/accept", json={"account": "6711"})
    assert r.status_code == 409 and r.json()["code"] == "finance.row_resolved"
    r = admin.post(f"{BASE}/rows/{row['id']}/ignore", json={"reason": ""})
    assert r.status_code == 422
    assert admin.get(f"{BASE}/orders/SO-B").json()["status"] == "settled"
    page = admin.get(f"{BASE}/orders", params={"channel": h.CHANNEL, "status": "settled"}).json()
    assert {o["ref"] for o in page["items"]} == {"SO-A", "SO-B"}
    unsettled = admin.get(f"{BASE}/unsettled", params={"channel": h.CHANNEL, "days": 0}).json()
    assert unsettled["count"] == 0
    assert admin.get(f"{BASE}/orders/NOPE").status_code == 404
    with engine.connect() as conn:
        from omnistock.finance import service as finance

        assert finance.check_invariants(conn) == []


def test_bad_file_lists_rows_and_changes_nothing(engine, admin):
    h.setup(engine)
    before = h.counts(engine)
    t = h.now_china()
    bad = h.wechat_bill(
        [
            h.wechat_row("SO-A", 5990, 36, txn="A1", when=t),
            "`2024-13-45 10:00:00,`4200Z,`SO-B,`SUCCESS,`abc,`0,`0.00,`0.36",
        ]
    )
    r = _upload(admin, bad)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "finance.statement_rows"
    assert {(e["row_no"], e["column"]) for e in body["errors"]} == {(3, "交易时间"), (3, "应结订单金额")}
    r = _upload(admin, b"a,b\n1,2\n")
    assert r.status_code == 422 and r.json()["code"] == "finance.statement_columns"
    r = admin.post(f"{BASE}/statements", data={"channel": h.CHANNEL, "source": "wechat_pay"})
    assert r.status_code == 422
    assert h.counts(engine) == before


def test_templates_api(engine, admin):
    h.setup(engine)
    names = [t["name"] for t in admin.get(f"{BASE}/templates").json()]
    assert names == ["wechat_pay", "alipay", "generic"]
    body = {
        "name": "jd_v1",
        "channel": "TMALL",
        "template": {
            "columns": {"order_ref": "订单号", "kind": "类型", "amount": "金额", "settled_at": "时间"},
            "kind_map": {"货款": "sale"},
        },
    }
    r = admin.post(f"{BASE}/templates", json=body)
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    bad = {**body, "name": "bad", "template": {"columns": {}}}
    r = admin.post(f"{BASE}/templates", json=bad)
    assert r.status_code == 422 and r.json()["code"] == "finance.template_invalid"
    r = admin.put(f"{BASE}/templates/{tid}", json={**body, "cash_account": "1002"})
    assert r.status_code == 200 and r.json()["cash_account"] == "1002"
    assert admin.delete(f"{BASE}/templates/{tid}").status_code == 204
    assert admin.get(f"{BASE}/templates/{tid}").status_code == 404
    sample = admin.get(f"{BASE}/templates/generic/sample")
    assert sample.status_code == 200 and b"order_ref,type,amount" in sample.content


def test_permissions(engine, client, make_user, login):
    h.setup(engine)
    make_user("reader", roles=["finance"])
    client.headers["Authorization"] = f"Bearer {login('reader')}"
    assert client.get(f"{BASE}/statements").status_code == 200
    r = _upload(client, _bill())
    assert r.status_code == 403
    assert client.post(f"{BASE}/rows/1/ignore", json={"reason": "x"}).status_code == 403
    make_user("nobody", roles=["warehouse"])
    client.headers["Authorization"] = f"Bearer {login('nobody')}"
    assert client.get(f"{BASE}/statements").status_code == 403
