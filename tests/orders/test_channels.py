"""Channels: the kinds of sales channel a seller runs, checked at the edge."""

from __future__ import annotations

from sqlalchemy import func, select

from omnistock.orders.models import channel


def _channels(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(channel)).scalar_one()


def test_a_channel_of_a_known_kind_is_created(admin, engine):
    r = admin.post(
        "/api/v1/orders/channels", json={"code": "LIVE-DY", "name": "抖音直播间", "kind": "live_stream"}
    )
    assert r.status_code == 201
    assert _channels(engine) == 1


def test_an_unknown_channel_kind_is_refused_and_nothing_is_written(admin, engine):
    r = admin.post(
        "/api/v1/orders/channels",
        json={"code": "X", "name": "未知", "kind": "pigeon_post"},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 422
    assert r.json()["code"] == "orders.bad_channel_kind"
    assert "live_stream" in r.json()["detail"]
    assert _channels(engine) == 0
