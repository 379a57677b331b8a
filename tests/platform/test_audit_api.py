"""GET /api/v1/audit: filters and id-based paging; the log is append-only in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, exc, update

from omnistock.platform.audit import audit_log
from omnistock.platform.auth import Actor
from omnistock.platform.clock import utcnow
from omnistock.platform.uow import UnitOfWork
from tests.identity.helpers import bearer


def write(engine, n: int, *, actor="clerk", action="catalog.sku.create", entity_type="sku"):
    with UnitOfWork(engine, Actor(user_id=None, username=actor)) as uow:
        for i in range(n):
            uow.audit(action, entity_type, f"SKU-{i}", before=None, after={"n": i})


def test_filters(admin, engine):
    write(engine, 3)
    write(engine, 2, actor="buyer", action="purchasing.receipt.create", entity_type="receipt")
    r = admin.get("/api/v1/audit", params={"actor": "buyer"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 2 and all(i["actor_name"] == "buyer" for i in items)
    assert set(items[0]) == {
        "id",
        "at",
        "actor_id",
        "actor_name",
        "action",
        "entity_type",
        "entity_id",
        "before",
        "after",
        "request_id",
    }
    assert items[0]["at"].endswith("Z")
    assert items[0]["id"] > items[1]["id"]  # newest first
    assert len(admin.get("/api/v1/audit", params={"action": "catalog."}).json()["items"]) == 3
    assert len(admin.get("/api/v1/audit", params={"entity_type": "receipt"}).json()["items"]) == 2
    one = admin.get("/api/v1/audit", params={"entity_type": "sku", "entity_id": "SKU-1"}).json()["items"]
    assert len(one) == 1 and one[0]["after"] == {"n": 1}
    future = (utcnow() + dt.timedelta(hours=1)).isoformat() + "Z"
    past = (utcnow() - dt.timedelta(hours=1)).isoformat() + "Z"
    assert admin.get("/api/v1/audit", params={"since": future}).json()["items"] == []
    assert len(admin.get("/api/v1/audit", params={"since": past, "actor": "clerk"}).json()["items"]) == 3
    assert admin.get("/api/v1/audit", params={"until": past}).json()["items"] == []
    # offsets other than UTC are honoured
    shanghai = (utcnow() + dt.timedelta(hours=8) - dt.timedelta(minutes=5)).isoformat() + "+08:00"
    assert len(admin.get("/api/v1/audit", params={"since": shanghai, "actor": "buyer"}).json()["items"]) == 2


def test_paging(admin, engine):
    write(engine, 7, actor="pager")
    seen, cursor = [], None
    while True:
        params = {"actor": "pager", "limit": 3} | ({"cursor": cursor} if cursor else {})
        page = admin.get("/api/v1/audit", params=params).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 7 and seen == sorted(seen, reverse=True) and len(set(seen)) == 7
    r = admin.get("/api/v1/audit", params={"cursor": "%%%"})
    assert r.status_code == 422 and r.json()["code"] == "request.bad_cursor"
    assert admin.get("/api/v1/audit", params={"limit": 0}).status_code == 422


def test_requires_audit_read(client, engine):
    from omnistock.identity import service as identity

    with UnitOfWork(engine, Actor.system("test")) as uow:
        identity.create_user(uow, username="fin", password="Finance#1", roles=["finance"])
        identity.create_user(uow, username="view", password="Viewer#01", roles=["viewer"])
    tokens = {}
    for name, pw in [("fin", "Finance#1"), ("view", "Viewer#01")]:
        tokens[name] = client.post("/api/v1/identity/login", json={"username": name, "password": pw}).json()[
            "access_token"
        ]
    assert client.get("/api/v1/audit", headers=bearer(tokens["fin"])).status_code == 200
    assert client.get("/api/v1/audit", headers=bearer(tokens["view"])).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401


def test_audit_log_is_append_only(engine):
    write(engine, 1)
    with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(update(audit_log).values(action="tampered"))
    with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(delete(audit_log))
