"""In-app notifications: produced through the outbox, addressed to a user or an audience
(permission + data scope), read state per user, and the API of one's own notifications."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from omnistock.identity import service as identity
from omnistock.platform import notifications
from omnistock.platform.auth import Actor
from omnistock.platform.notifications import Notice, notification, notification_read, publish
from omnistock.platform.outbox import deliver_due, outbox_message
from omnistock.platform.uow import UnitOfWork
from tests.identity.helpers import PASSWORD, bearer

API = "/api/v1/notifications"
SYSTEM = Actor.system("test")


def send(engine, **kw) -> None:
    kw.setdefault("kind", "test.hello")
    kw.setdefault("title_zh", "你好")
    kw.setdefault("title_en", "Hello")
    with UnitOfWork(engine, SYSTEM) as uow:
        publish(uow, Notice(**kw))


def count(engine, table=notification) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def people(client, make_user, login):
    """Five users: an admin, two warehouse staff scoped to one warehouse each, a finance user
    (no alert permission) and a user with no role; name -> (user id, auth headers)."""
    out = {}
    for name, roles, scopes in (
        ("boss", [identity.ADMIN_ROLE], {}),
        ("sh", ["warehouse"], {"warehouse": ["WH-SH"]}),
        ("gz", ["warehouse"], {"warehouse": ["WH-GZ"]}),
        ("fin", ["finance"], {}),
        ("nobody", [], {}),
    ):
        user = make_user(name, roles=roles, scopes=scopes)
        out[name] = (user.id, bearer(login(name, PASSWORD)))
    return out


def titles(client, headers, **params) -> list[str]:
    r = client.get(API, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return [x["title"] for x in r.json()["items"]]


def test_published_in_the_transaction_and_delivered_by_the_worker(engine, people, client):
    with pytest.raises(RuntimeError), UnitOfWork(engine, SYSTEM) as uow:
        publish(uow, Notice(kind="test.x", title_zh="回滚", title_en="Rolled back"))
        raise RuntimeError("the command failed")
    send(engine, title_zh="全员通知", title_en="To everyone")
    assert count(engine) == 0  # not written by the command: only the outbox message is
    assert count(engine, outbox_message) == 1
    assert deliver_due(engine) == 1
    assert count(engine) == 1
    for name in ("boss", "sh", "nobody"):
        assert titles(client, people[name][1]) == ["全员通知"]
    assert titles(client, {**people["sh"][1], "Accept-Language": "en"}) == ["To everyone"]


def test_redelivery_does_not_duplicate(engine):
    send(engine)
    assert deliver_due(engine) == 1
    # The acknowledgement was lost (the worker died after the handler's commit... it cannot: the
    # handler runs in the acknowledging transaction; force a redelivery anyway).
    with engine.begin() as conn:
        conn.execute(update(outbox_message).values(delivered_at=None))
    assert deliver_due(engine) == 1
    assert count(engine) == 1


def test_audience_by_user_permission_and_warehouse_scope(engine, people, client):
    send(engine, title_zh="给 sh 本人", title_en="sh only", user_id=people["sh"][0])
    send(
        engine,
        title_zh="上海仓预警",
        title_en="WH-SH alert",
        permission="inventory.alerts.read",
        scope_kind="warehouse",
        scope_code="WH-SH",
    )
    send(engine, title_zh="所有能看预警的人", title_en="alert readers", permission="inventory.alerts.read")
    send(engine, title_zh="渠道范围", title_en="channel scoped", scope_kind="channel", scope_code="tmall")
    assert deliver_due(engine) == 4
    seen = {name: set(titles(client, h)) for name, (_, h) in people.items()}
    assert seen["sh"] == {"给 sh 本人", "上海仓预警", "所有能看预警的人", "渠道范围"}
    assert seen["gz"] == {"所有能看预警的人", "渠道范围"}  # not WH-SH's, not sh's own
    assert seen["boss"] == {"上海仓预警", "所有能看预警的人", "渠道范围"}  # everything but sh's own
    # finance reads inventory (inventory.*.read covers inventory.alerts.read) but nobody has no grant
    assert seen["fin"] == {"上海仓预警", "所有能看预警的人", "渠道范围"}
    assert seen["nobody"] == {"渠道范围"}


def test_unread_first_cursor_pages_mark_read_and_read_all(engine, people, client):
    for i in range(5):
        send(engine, title_zh=f"通知{i}", title_en=f"n{i}")
    deliver_due(engine)
    _, sh = people["sh"]
    _, gz = people["gz"]
    assert client.get(f"{API}/unread-count", headers=sh).json() == {"unread": 5}
    items = client.get(API, headers=sh).json()["items"]
    assert [x["title"] for x in items] == ["通知4", "通知3", "通知2", "通知1", "通知0"]
    assert all(x["read_at"] is None and x["severity"] == "info" for x in items)
    ids = {x["title"]: x["id"] for x in items}

    r = client.post(f"{API}/{ids['通知3']}/read", headers=sh)
    assert r.status_code == 204
    assert client.post(f"{API}/{ids['通知3']}/read", headers=sh).status_code == 204  # again: harmless
    assert client.get(f"{API}/unread-count", headers=sh).json() == {"unread": 4}
    assert client.get(f"{API}/unread-count", headers=gz).json() == {"unread": 5}  # read state is mine

    # Unread first (newest first), then read; two per page.
    pages, cursor = [], None
    while True:
        r = client.get(API, headers=sh, params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        pages.append([x["title"] for x in r["items"]])
        cursor = r["next_cursor"]
        if not cursor:
            break
    assert pages == [["通知4", "通知2"], ["通知1", "通知0"], ["通知3"]]
    assert titles(client, sh, unread_only=True) == ["通知4", "通知2", "通知1", "通知0"]

    r = client.post(f"{API}/read-all", headers=sh)
    assert r.status_code == 200 and r.json() == {"marked": 4}
    assert client.get(f"{API}/unread-count", headers=sh).json() == {"unread": 0}
    assert client.post(f"{API}/read-all", headers=sh).json() == {"marked": 0}
    items = client.get(API, headers=sh).json()["items"]
    assert all(x["read_at"] for x in items)
    assert count(engine, notification_read) == 5


def test_someone_elses_notification_is_not_found(engine, people, client):
    send(engine, user_id=people["gz"][0])
    send(engine, permission="inventory.alerts.read", scope_kind="warehouse", scope_code="WH-GZ")
    deliver_due(engine)
    with engine.connect() as conn:
        ids = list(conn.execute(select(notification.c.id).order_by(notification.c.id)).scalars())
    _, sh = people["sh"]
    for nid in [*ids, 999_999]:
        r = client.post(f"{API}/{nid}/read", headers={**sh, "Accept-Language": "en"})
        assert r.status_code == 404 and r.json()["code"] == "notification.not_found", r.text
    assert count(engine, notification_read) == 0


def test_needs_a_token_and_refuses_bad_input(client, people):
    assert client.get(API).status_code == 401
    assert client.get(f"{API}/unread-count").status_code == 401
    assert client.post(f"{API}/read-all").status_code == 401
    _, h = people["sh"]
    for path, params in ((API, {"cursor": "not-a-cursor!"}), (API, {"limit": 0}), (f"{API}/abc/read", {})):
        r = (
            client.post(path, headers=h)
            if path.endswith("/read")
            else client.get(path, headers=h, params=params)
        )
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), (
            r.text
        )


def test_purge_drops_old_notifications_and_their_read_marks(engine, people):
    send(engine, title_zh="旧", title_en="old")
    send(engine, title_zh="新", title_en="new")
    deliver_due(engine)
    with UnitOfWork(engine, Actor(people["sh"][0], "sh", frozenset())) as uow:
        notifications.mark_all_read(uow)
    with engine.begin() as conn:
        conn.execute(
            update(notification)
            .where(notification.c.title_en == "old")
            .values(created_at=dt.datetime(2020, 1, 1))
        )
        assert notifications.purge(conn, older_than=dt.timedelta(days=90)) == 1
    assert count(engine) == 1 and count(engine, notification_read) == 1


def test_notice_refuses_a_half_scope_or_unknown_severity():
    with pytest.raises(ValueError):
        Notice(kind="k", title_zh="t", title_en="t", scope_kind="warehouse")
    with pytest.raises(ValueError):
        Notice(kind="k", title_zh="t", title_en="t", severity="fatal")
