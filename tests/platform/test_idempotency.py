"""Idempotency-Key: a retried write gets the first answer and creates nothing twice."""

from __future__ import annotations

from sqlalchemy import func, select

from omnistock.inventory.models import stock_document


def _setup(admin):
    assert admin.post("/api/v1/inventory/warehouses", json={"code": "WH-A", "name": "A仓"}).status_code == 201
    assert (
        admin.post(
            "/api/v1/catalog/skus", json={"code": "SKU-1", "name": "商品", "price_cents": 1000}
        ).status_code
        == 201
    )


def _receipt(qty: int = 5) -> dict:
    return {"warehouse": "WH-A", "lines": [{"sku": "SKU-1", "qty": qty, "unit_cost_cents": 300}]}


def _documents(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(stock_document)).scalar_one()


def test_a_retry_gets_the_first_answer_and_writes_nothing(admin, engine):
    _setup(admin)
    first = admin.post("/api/v1/inventory/receipts", json=_receipt(), headers={"Idempotency-Key": "rc-1"})
    assert first.status_code == 201
    again = admin.post("/api/v1/inventory/receipts", json=_receipt(), headers={"Idempotency-Key": "rc-1"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert _documents(engine) == 1
    other = admin.post("/api/v1/inventory/receipts", json=_receipt(), headers={"Idempotency-Key": "rc-2"})
    assert other.status_code == 201 and other.json()["ref"] != first.json()["ref"]
    assert _documents(engine) == 2


def test_the_same_key_for_a_different_request_is_refused(admin, engine):
    _setup(admin)
    assert (
        admin.post(
            "/api/v1/inventory/receipts", json=_receipt(5), headers={"Idempotency-Key": "k"}
        ).status_code
        == 201
    )
    r = admin.post("/api/v1/inventory/receipts", json=_receipt(6), headers={"Idempotency-Key": "k"})
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency.key_reused"
    assert _documents(engine) == 1


def test_a_refused_request_is_answered_the_same_again(admin, engine):
    _setup(admin)
    bad = {"warehouse": "WH-NOPE", "lines": [{"sku": "SKU-1", "qty": 1, "unit_cost_cents": 1}]}
    first = admin.post("/api/v1/inventory/receipts", json=bad, headers={"Idempotency-Key": "bad"})
    again = admin.post("/api/v1/inventory/receipts", json=bad, headers={"Idempotency-Key": "bad"})
    assert first.status_code == again.status_code == 422
    assert again.json()["code"] == first.json()["code"] == "inventory.unknown_warehouse"
    assert again.headers["content-type"].startswith("application/problem+json")
    assert _documents(engine) == 0


def test_keys_belong_to_their_user_and_need_a_token(admin, client, make_user, login):
    _setup(admin)
    make_user("clerk", roles=["warehouse"])
    clerk = {"Authorization": f"Bearer {login('clerk')}", "Idempotency-Key": "same"}
    assert (
        admin.post(
            "/api/v1/inventory/receipts", json=_receipt(), headers={"Idempotency-Key": "same"}
        ).status_code
        == 201
    )
    r = client.post("/api/v1/inventory/receipts", json=_receipt(), headers=clerk)
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    anonymous = client.post(
        "/api/v1/inventory/receipts", json=_receipt(), headers={"Idempotency-Key": "x", "Authorization": ""}
    )
    assert anonymous.status_code == 401


def test_a_too_long_key_is_refused(admin):
    r = admin.post(
        "/api/v1/inventory/warehouses",
        json={"code": "W", "name": "n"},
        headers={"Idempotency-Key": "k" * 129},
    )
    assert r.status_code == 422 and r.json()["code"] == "idempotency.bad_key"
