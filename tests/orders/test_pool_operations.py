"""The order pool beyond intake: channel webhooks with signatures, import files, review rules and
the blacklist, routing rules, split and merge (and undo), presale, and what operators do."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

from omnistock.catalog import service as catalog
from omnistock.orders.adapters import sign_generic, sign_shopify
from omnistock.orders.models import sales_order, webhook_delivery
from tests.orders.pool_helpers import ORD, available, body, count, setup_pool, uow

FIXTURES = Path(__file__).parent / "fixtures"


def _generic(ext="G-1", **over) -> bytes:
    payload = {
        "order_id": ext,
        "buyer": {"name": "韩梅梅", "phone": "13900139000", "id": "u-88"},
        "address": {
            "receiver": "韩梅梅",
            "phone": "13900139000",
            "province": "广东省",
            "city": "广州市",
            "district": "天河区",
            "detail": "体育西路 103 号 维多利广场 B 座",
        },
        "lines": [{"sku": "TEA", "qty": 1, "price": "20.00"}],
        "payments": [{"method": "wechat_pay", "amount": "20.00"}],
    }
    payload.update(over)
    return json.dumps(payload, ensure_ascii=False).encode()


def _webhook_channel(admin, code="WX", adapter="generic") -> str:
    assert admin.patch(f"{ORD}/channels/{code}", json={"adapter": adapter}).status_code == 200
    r = admin.post(f"{ORD}/channels/{code}/webhook-secret")
    assert r.status_code == 200
    return r.json()["secret"]


def test_a_signed_generic_webhook_takes_an_order_once(admin, client, engine):
    setup_pool(engine)
    secret = _webhook_channel(admin)
    raw = _generic()
    headers = {**sign_generic(secret, raw, int(time.time())), "X-OmniStock-Delivery": "d-1"}
    anonymous = {"Authorization": ""}
    r = client.post(f"{ORD}/webhooks/WX", content=raw, headers={**headers, **anonymous})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "allocated"
    again = client.post(f"{ORD}/webhooks/WX", content=raw, headers={**headers, **anonymous})
    assert again.status_code == 200 and again.json()["ref"] == r.json()["ref"]
    assert count(engine, sales_order) == 1 and count(engine, webhook_delivery) == 1


def test_a_bad_or_stale_signature_is_refused_and_nothing_is_written(admin, client, engine):
    setup_pool(engine)
    secret = _webhook_channel(admin)
    raw = _generic()
    forged = sign_generic("not-the-secret", raw, int(time.time()))
    r = client.post(f"{ORD}/webhooks/WX", content=raw, headers=forged)
    assert r.status_code == 401 and r.json()["code"] == "orders.webhook_bad_signature"
    stale = sign_generic(secret, raw, int(time.time()) - 3600)
    r = client.post(f"{ORD}/webhooks/WX", content=raw, headers=stale)
    assert r.status_code == 401 and r.json()["code"] == "orders.webhook_stale"
    tampered = sign_generic(secret, raw, int(time.time()))
    r = client.post(f"{ORD}/webhooks/WX", content=raw.replace(b'"qty": 1', b'"qty": 9'), headers=tampered)
    assert r.status_code == 401
    bad = _generic(lines=[{"sku": "TEA", "qty": 1, "price": "20.001"}])
    r = client.post(f"{ORD}/webhooks/WX", content=bad, headers=sign_generic(secret, bad, int(time.time())))
    assert r.status_code == 422 and r.json()["code"] == "orders.bad_payload"
    assert count(engine, sales_order) == 0


def test_a_shopify_orders_create_webhook_is_taken(admin, client, engine):
    setup_pool(engine)
    with uow(engine) as u:
        for code in ("TS-RED-M", "MUG-01"):
            catalog.create_sku(u, code=code, name=code, unit="件", price_cents=5990, cost_method="fifo")
    secret = _webhook_channel(admin, adapter="shopify")
    raw = (FIXTURES / "shopify_orders_create.json").read_bytes()
    headers = {
        "X-Shopify-Hmac-Sha256": sign_shopify(secret, raw),
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    }
    r = client.post(f"{ORD}/webhooks/WX", content=raw, headers=headers)
    assert r.status_code == 201, r.text
    detail = admin.get(f"{ORD}/{r.json()['ref']}").json()
    shop = json.loads(raw)
    assert detail["external_ref"] == str(shop["id"])
    assert [ln["sku"] for ln in detail["lines"]] == ["TS-RED-M", "MUG-01"]
    # No stock for these SKUs: the order waits in the exception queue, reserved nothing.
    assert detail["status"] == "on_hold"


def test_an_import_file_takes_each_order_and_a_second_import_skips_them(admin, engine):
    setup_pool(engine)
    tpl = admin.get(f"{ORD}/import/template")
    assert tpl.status_code == 200
    header = "订单号,渠道,买家姓名,买家电话,收货人,收货电话,省份,城市,区县,详细地址,SKU编码,数量,单价,支付方式,实付金额"
    rows = [
        "IMP-1,WX,王五,13700137000,王五,13700137000,北京市,北京市,朝阳区,建国路 88 号 SOHO 现代城,TEA,1,20.00,alipay,50.00",
        "IMP-1,WX,王五,13700137000,王五,13700137000,北京市,北京市,朝阳区,建国路 88 号 SOHO 现代城,CUP,1,30.00,alipay,50.00",
        "IMP-2,WX,赵六,13600136000,赵六,13600136000,上海市,上海市,徐汇区,漕溪北路 201 号 2 楼,NOPE,1,9.00,alipay,9.00",
    ]
    data = ("\n".join([header, *rows]) + "\n").encode("utf-8-sig")
    r = admin.post(f"{ORD}/import", files={"file": ("orders.csv", data, "text/csv")})
    if r.status_code != 200:
        raise AssertionError(r.text)
    res = {x["external_ref"]: x for x in r.json()}
    assert res["IMP-1"]["ok"] and res["IMP-1"]["status"] == "allocated"
    assert not res["IMP-2"]["ok"] and res["IMP-2"]["code"] == "orders.unknown_sku"
    again = admin.post(f"{ORD}/import", files={"file": ("orders.csv", data, "text/csv")}).json()
    assert {x["external_ref"]: x["created"] for x in again if x["ok"]} == {"IMP-1": False}
    assert count(engine, sales_order) == 1


def test_review_rules_and_the_blacklist_are_configured_and_applied(admin, engine):
    setup_pool(engine)
    rules = {r["kind"]: r for r in admin.get(f"{ORD}/config/review-rules").json()}
    assert rules["amount_over"]["params"]["threshold_cents"] == 500000
    r = admin.put(
        f"{ORD}/config/review-rules/amount_over", json={"enabled": True, "params": {"threshold_cents": 3000}}
    )
    assert r.status_code == 200, r.text
    held = admin.post(ORD, json=body("A-1")).json()
    assert [x["code"] for x in held["hold_reasons"]] == ["amount_over"]
    bad = admin.put(
        f"{ORD}/config/review-rules/amount_over", json={"enabled": True, "params": {"threshold_cents": -5}}
    )
    assert bad.status_code == 422
    admin.put(f"{ORD}/config/review-rules/amount_over", json={"enabled": False})
    assert (
        admin.post(f"{ORD}/config/blacklist", json={"kind": "phone", "value": "138-0013-8000"}).status_code
        == 201
    )
    held = admin.post(ORD, json=body("A-2", lines=(("CUP", 1, 3000),))).json()
    assert held["status"] == "on_hold" and [x["code"] for x in held["hold_reasons"]] == ["blacklist"]


def test_routing_rules_choose_the_warehouse_and_record_the_rule(admin, engine):
    setup_pool(engine, {"SH": {"TEA": 10}, "GZ": {"TEA": 10}})
    rule = {"name": "华南属地仓", "kind": "region", "priority": 10, "warehouse": "GZ", "provinces": ["广东"]}
    assert admin.post(f"{ORD}/config/route-rules", json=rule).status_code == 201
    south = body(
        "R-1", address={**body()["address"], "province": "广东省", "city": "深圳市", "district": "南山区"}
    )
    out = admin.post(ORD, json=south).json()
    assert out["warehouse"] == "GZ"
    assert admin.get(f"{ORD}/{out['ref']}").json()["route_rule"].startswith("region:")
    north = admin.post(ORD, json=body("R-2", lines=(("TEA", 3, 2000),))).json()
    assert north["warehouse"] in ("SH", "GZ") and north["status"] == "allocated", north["hold_reasons"]
    bad = admin.post(f"{ORD}/config/route-rules", json={**rule, "provinces": ["火星"]})
    assert bad.status_code == 422


def test_an_order_no_warehouse_can_fill_alone_is_split_by_stock(admin, engine):
    setup_pool(engine, {"SH": {"TEA": 5}, "GZ": {"CUP": 5}})
    out = admin.post(ORD, json=body("S-1", lines=(("TEA", 2, 2000), ("CUP", 1, 3000)))).json()
    assert out["status"] == "allocated" and len(out["split_into"]) == 1
    part = admin.get(f"{ORD}/{out['split_into'][0]}").json()
    whole = admin.get(f"{ORD}/{out['ref']}").json()
    assert {whole["warehouse"], part["warehouse"]} == {"SH", "GZ"}
    assert whole["total_cents"] + part["total_cents"] == 7000  # the money moved with the goods
    assert available(engine, "TEA", "SH") == 3 and available(engine, "CUP", "GZ") == 4


def test_split_by_hand_then_merge_and_undo(admin, engine):
    setup_pool(engine)
    out = admin.post(
        ORD, json=body("M-1", lines=(("TEA", 3, 2000), ("CUP", 1, 3000)), discount_cents=900)
    ).json()
    ref = out["ref"]
    parts = admin.post(f"{ORD}/{ref}/split", json={"parts": [{"TEA": 1}]})
    assert parts.status_code == 200, parts.text
    a, b = (admin.get(f"{ORD}/{x['ref']}").json() for x in parts.json())
    assert a["status"] == b["status"] == "allocated" and a["warehouse"] == b["warehouse"] == "SH"
    assert a["total_cents"] + b["total_cents"] == 3 * 2000 + 3000 - 900
    assert available(engine, "TEA", "SH") == 7  # still 3 reserved, over two orders
    merged = admin.post(f"{ORD}/merge", json={"refs": [a["ref"], b["ref"]]})
    assert merged.status_code == 201, merged.text
    m = admin.get(f"{ORD}/{merged.json()['ref']}").json()
    assert m["status"] == "allocated" and m["total_cents"] == 3 * 2000 + 3000 - 900
    assert sorted(m["related"]["merged_from"]) == sorted([a["ref"], b["ref"]])
    assert admin.get(f"{ORD}/{a['ref']}").json()["status"] == "merged"
    assert available(engine, "TEA", "SH") == 7
    undo = admin.post(f"{ORD}/{m['ref']}/unmerge")
    assert undo.status_code == 200, undo.text
    assert {x["status"] for x in undo.json()} == {"allocated"}
    assert admin.get(f"{ORD}/{m['ref']}").json()["status"] == "closed"
    assert available(engine, "TEA", "SH") == 7
    other = admin.post(ORD, json=body("M-2", buyer={"name": "别人", "phone": "13500135000"})).json()
    refused = admin.post(f"{ORD}/merge", json={"refs": [a["ref"], other["ref"]]})
    assert refused.status_code == 409 and refused.json()["code"] == "orders.merge_mismatch"


def test_presale_waits_for_its_day_and_illegal_moves_are_refused(admin, engine):
    setup_pool(engine)
    later = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    out = admin.post(ORD, json=body("P-1", ship_after=later)).json()
    assert out["status"] == "ready"
    assert available(engine, "TEA", "SH") == 10
    assert admin.post(f"{ORD}/allocate-due").json() == {"allocated": 0}
    routed = admin.post(f"{ORD}/{out['ref']}/route", json={})
    assert routed.json()["status"] == "allocated"
    early = admin.post(f"{ORD}/{out['ref']}/ship", json={})
    assert early.status_code == 409 and early.json()["code"] == "orders.presale_not_due"
    assert admin.patch(f"{ORD}/{out['ref']}", json={"clear_ship_after": True}).status_code == 200
    assert admin.post(f"{ORD}/{out['ref']}/ship", json={}).status_code == 200
    done = admin.post(f"{ORD}/{out['ref']}/complete")
    assert done.json()["status"] == "completed"
    again = admin.post(f"{ORD}/{out['ref']}/cancel", json={"reason": "买家不要了"})
    assert again.status_code == 409 and again.json()["code"] == "orders.illegal_transition"
    timeline = [t["action"] for t in admin.get(f"{ORD}/{out['ref']}").json()["timeline"]]
    assert timeline[-3:] == ["orders.order.edit", "orders.order.shipped", "orders.order.completed"]


def test_bulk_actions_report_each_order(admin, engine):
    setup_pool(engine)
    a = admin.post(ORD, json=body("B-1")).json()["ref"]
    b = admin.post(ORD, json=body("B-2", lines=(("CUP", 1, 3000),))).json()["ref"]
    r = admin.post(f"{ORD}/bulk", json={"action": "cancel", "refs": [a, b, "NOPE"], "reason": "缺货"})
    res = {x["ref"]: x for x in r.json()}
    assert res[a]["ok"] and res[b]["ok"] and not res["NOPE"]["ok"]
    assert available(engine, "TEA", "SH") == 10 and available(engine, "CUP", "SH") == 10
    listed = admin.get(ORD, params={"status": "cancelled"}).json()["items"]
    assert {x["ref"] for x in listed} == {a, b}
    for q in ("13800138000", "李", "B-1", a):  # buyer phone, name, channel no, our no
        found = {x["ref"] for x in admin.get(ORD, params={"q": q}).json()["items"]}
        assert a in found, q
    assert admin.get(ORD, params={"q": "13999999999"}).json()["items"] == []
    counts = admin.get(f"{ORD}/counts").json()
    assert counts["cancelled"] == 2
    assert admin.get(f"{ORD}/export").status_code == 200


def test_with_auto_split_off_an_order_no_warehouse_can_fill_waits_in_the_queue(admin, engine):
    setup_pool(engine, {"SH": {"TEA": 5}, "GZ": {"CUP": 5}})
    assert admin.get(f"{ORD}/config/settings").json() == {"auto_split": True}
    assert admin.put(f"{ORD}/config/settings", json={"auto_split": False}).json() == {"auto_split": False}
    out = admin.post(ORD, json=body("S-2", lines=(("TEA", 2, 2000), ("CUP", 1, 3000)))).json()
    assert out["status"] == "on_hold" and out["split_into"] == []
    assert [r["code"] for r in out["hold_reasons"]] == ["out_of_stock"]
    assert admin.put(f"{ORD}/config/settings", json={}).status_code == 422
