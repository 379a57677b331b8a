"""Stock alerts: computed from the balances now, respecting data scopes; the periodic scan turns
new conditions into notifications once per appearance, with a fixed number of queries."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text, update

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.inventory.models import stock_alert, stock_balance
from omnistock.orders import service as orders
from omnistock.platform.auth import Actor
from omnistock.platform.notifications import notification
from omnistock.platform.outbox import deliver_due
from omnistock.platform.uow import UnitOfWork
from tests.identity.helpers import PASSWORD, bearer
from tests.inventory.helpers import SYSTEM, order, receive, ship, uow

INV = "/api/v1/inventory"


@pytest.fixture
def shop(engine):
    """Two warehouses; TEA has safety stock 10, CUP 5, PEN none."""
    with uow(engine) as u:
        for code in ("WH-SH", "WH-GZ"):
            inventory.create_warehouse(u, code=code, name=f"仓库{code}")
        for code, safety in (("TEA", 10), ("CUP", 5), ("PEN", 0)):
            catalog.create_sku(
                u,
                code=code,
                name=f"商品{code}",
                unit="件",
                price_cents=1000,
                cost_method="average",
                safety_stock=safety,
            )
        orders.create_channel(u, code="CH-1", name="小程序")
        orders.create_customer(u, code="C-1", name="张三")
        from omnistock.purchasing import service as purchasing

        purchasing.create_supplier(u, code="SUP-1", name="供应商")
    receive(engine, "TEA", 12, 500, wh="WH-SH")
    receive(engine, "TEA", 4, 500, wh="WH-GZ")
    receive(engine, "CUP", 20, 300, wh="WH-SH")
    receive(engine, "PEN", 1, 100, wh="WH-SH")
    return engine


def listed(engine, actor=SYSTEM, **kw) -> list[tuple]:
    with UnitOfWork(engine, actor, readonly=True) as u:
        rows, _ = inventory.alerts(u, limit=500, **kw)
    return [(r.kind, r.warehouse, r.sku, r.available, r.safety_stock, r.shortfall) for r in rows]


def scan(engine):
    with UnitOfWork(engine, Actor.system("test")) as u:
        result = inventory.scan_alerts(u)
    deliver_due(engine)
    return result


def notes(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            (r.kind, r.scope_code, r.params["skus"], r.title_zh)
            for r in conn.execute(select(notification).order_by(notification.c.id))
        ]


def test_low_stock_appears_with_its_shortfall_and_clears(shop):
    # WH-GZ holds 4 TEA (safety 10): short 6. WH-SH's 12 TEA and 20 CUP are fine; PEN has none set.
    assert listed(shop) == [("low_stock", "WH-GZ", "TEA", 4, 10, 6)]
    order(shop, "SO-1", [("TEA", 3, 1000)], wh="WH-SH")  # 12 on hand, 3 reserved: available 9 < 10
    assert listed(shop) == [
        ("low_stock", "WH-GZ", "TEA", 4, 10, 6),
        ("low_stock", "WH-SH", "TEA", 9, 10, 1),
    ]
    ship(shop, "SO-1")  # still 9
    receive(shop, "TEA", 1, 500, wh="WH-SH")  # 10: at safety stock is not below it
    receive(shop, "TEA", 6, 500, wh="WH-GZ")
    assert listed(shop) == []
    # Selling out shows the balance even with nothing left (a sold-out SKU is the lowest stock).
    order(shop, "SO-2", [("CUP", 20, 500)], wh="WH-SH")
    ship(shop, "SO-2")
    assert listed(shop, kind="low_stock") == [("low_stock", "WH-SH", "CUP", 0, 5, 5)]
    assert listed(shop, kind="negative_available") == []
    assert listed(shop, kind="near_expiry") == []  # no batch-tracked SKU here: nothing can expire


def test_data_scope_and_warehouse_filter(shop, client, make_user, login):
    order(shop, "SO-1", [("TEA", 3, 1000)], wh="WH-SH")
    make_user("sh", roles=["warehouse"], scopes={"warehouse": ["WH-SH"]})
    sh = bearer(login("sh", PASSWORD))
    rows = client.get(f"{INV}/alerts", headers=sh).json()["items"]
    assert [(r["warehouse"], r["sku"], r["shortfall"], r["severity"]) for r in rows] == [
        ("WH-SH", "TEA", 1, "warning")
    ]
    assert client.get(f"{INV}/alerts", headers=sh, params={"warehouse": "WH-GZ"}).json()["items"] == []
    kinds = {k["kind"]: k for k in client.get(f"{INV}/alerts/kinds", headers=sh).json()}
    assert list(kinds) == ["low_stock", "negative_available", "reserved_no_stock", "near_expiry", "expired"]
    assert kinds["low_stock"]["count"] == 1
    assert kinds["near_expiry"] == {
        "kind": "near_expiry",
        "severity": "warning",
        "zh": "临期",
        "en": "Near expiry",
        "count": 0,
    }
    make_user("boss", roles=["admin"])
    boss = bearer(login("boss", PASSWORD))
    all_rows = client.get(f"{INV}/alerts", headers=boss).json()["items"]
    assert [(r["warehouse"], r["sku"]) for r in all_rows] == [("WH-GZ", "TEA"), ("WH-SH", "TEA")]
    only_gz = client.get(f"{INV}/alerts", headers=boss, params={"warehouse": "WH-GZ", "kind": "low_stock"})
    assert [r["warehouse"] for r in only_gz.json()["items"]] == ["WH-GZ"]
    page = client.get(f"{INV}/alerts", headers=boss, params={"limit": 1}).json()
    nxt = client.get(f"{INV}/alerts", headers=boss, params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [r["warehouse"] for r in page["items"] + nxt["items"]] == ["WH-GZ", "WH-SH"]
    assert nxt["next_cursor"] is None


def test_permissions_and_bad_input(shop, client, make_user, login, admin):
    from omnistock.identity import service as identity

    with UnitOfWork(shop, SYSTEM) as u:
        identity.create_role(u, code="stock_only", name="只看库存", permissions=["inventory.stock.read"])
    make_user("clerk", roles=["stock_only"])
    clerk = bearer(login("clerk", PASSWORD))
    for path in ("/alerts", "/alerts/kinds"):
        r = client.get(f"{INV}{path}", headers=clerk)
        assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"
    for role in ("warehouse", "merchandiser", "finance", "viewer"):
        make_user(f"u-{role}", roles=[role])
        r = client.get(f"{INV}/alerts", headers=bearer(login(f"u-{role}", PASSWORD)))
        assert r.status_code == 200, (role, r.text)
    for params in ({"kind": "rotten"}, {"cursor": "%%%"}, {"limit": 0}, {"warehouse": "x" * 65}):
        r = admin.get(f"{INV}/alerts", params=params)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), (
            r.text
        )
    assert admin.get(f"{INV}/alerts", params={"warehouse": "NOPE"}).json()["items"] == []


def _force_reservations(conn, sku_code: str, wh: str, on_hand: int, reserved: int) -> None:
    """Put a balance into a state the CHECK constraints forbid (inside the caller's transaction)."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA ignore_check_constraints = ON"))
    else:
        conn.execute(text("ALTER TABLE stock_balance DROP CONSTRAINT IF EXISTS ck_stock_balance_reserved"))
        conn.execute(text("ALTER TABLE stock_balance DROP CONSTRAINT IF EXISTS ck_stock_balance_on_hand"))
    ref = conn.execute(text("SELECT id FROM sku WHERE code = :c"), {"c": sku_code}).scalar_one()
    wid = conn.execute(text("SELECT id FROM warehouse WHERE code = :c"), {"c": wh}).scalar_one()
    conn.execute(
        update(stock_balance)
        .where(stock_balance.c.sku_id == ref, stock_balance.c.warehouse_id == wid)
        .values(on_hand=on_hand, reserved=reserved)
    )


def test_reserved_above_on_hand_is_flagged_if_it_ever_appears(shop):
    """The CHECK constraints make these impossible; the alerts exist to shout if that ever breaks
    (a constraint dropped by hand, a future backorder feature). Forced in a rolled-back transaction."""
    with shop.connect() as conn:
        try:
            _force_reservations(conn, "CUP", "WH-SH", on_hand=3, reserved=5)
            _force_reservations(conn, "PEN", "WH-SH", on_hand=0, reserved=2)
            u = UnitOfWork(conn, SYSTEM)
            u.conn = conn  # run the reads inside this very transaction
            rows, _ = inventory.alerts(u, warehouse_code="WH-SH")
            counts = inventory.alert_counts(u)
        finally:
            conn.rollback()
            if conn.dialect.name == "sqlite":
                conn.execute(text("PRAGMA ignore_check_constraints = OFF"))
    got = [(r.kind, r.sku, r.on_hand, r.reserved, r.available, r.shortfall, r.severity) for r in rows]
    assert got == [
        ("low_stock", "CUP", 3, 5, -2, 7, "warning"),
        ("low_stock", "PEN", 0, 2, -2, 2, "warning"),  # below its safety stock of 0, too
        ("negative_available", "CUP", 3, 5, -2, 2, "critical"),
        ("reserved_no_stock", "PEN", 0, 2, -2, 2, "critical"),
    ]
    assert counts == {
        "low_stock": 3,  # CUP and PEN in WH-SH, TEA in WH-GZ
        "negative_available": 1,
        "reserved_no_stock": 1,
        "near_expiry": 0,
        "expired": 0,
    }


def test_scan_notifies_each_condition_once_until_it_clears_and_returns(shop, client, make_user, login):
    first = scan(shop)
    assert (first.active, first.new, first.cleared, first.notifications) == (1, 1, 0, 1)
    assert notes(shop) == [
        ("inventory.alert.low_stock", "WH-GZ", ["TEA"], "WH-GZ 仓库WH-GZ：1 个 SKU 低于安全库存")
    ]
    again = scan(shop)
    assert (again.active, again.new, again.cleared, again.notifications) == (1, 0, 0, 0)
    assert len(notes(shop)) == 1

    # Two more SKUs drop below safety stock in WH-SH: one notification naming both.
    order(shop, "SO-1", [("TEA", 3, 1000), ("CUP", 16, 1000)], wh="WH-SH")
    s = scan(shop)
    assert (s.active, s.new, s.notifications) == (3, 2, 1)
    assert notes(shop)[-1][1:3] == ("WH-SH", ["CUP", "TEA"])
    with shop.connect() as conn:
        since = conn.execute(select(stock_alert.c.first_seen_at)).scalars().all()
    assert len(since) == 3
    rows = listed(shop)
    assert len(rows) == 3

    # WH-GZ's TEA recovers: cleared, nothing notified; it drops again: notified again.
    receive(shop, "TEA", 20, 500, wh="WH-GZ")
    s = scan(shop)
    assert (s.active, s.new, s.cleared, s.notifications) == (2, 0, 1, 0)
    with UnitOfWork(shop, SYSTEM) as u:
        inventory.count(u, ref="CNT-1", warehouse="WH-GZ", lines=[inventory.CountLine("TEA", 2)])
    s = scan(shop)
    assert (s.new, s.notifications) == (1, 1)
    assert [n[1] for n in notes(shop)] == ["WH-GZ", "WH-SH", "WH-GZ"]

    # Who sees them: WH-SH staff only WH-SH's, WH-GZ staff only WH-GZ's.
    make_user("sh", roles=["warehouse"], scopes={"warehouse": ["WH-SH"]})
    make_user("gz", roles=["warehouse"], scopes={"warehouse": ["WH-GZ"]})
    sh, gz = bearer(login("sh", PASSWORD)), bearer(login("gz", PASSWORD))
    mine = client.get("/api/v1/notifications", headers=sh).json()["items"]
    assert [(n["kind"], n["severity"], n["link"]) for n in mine] == [
        ("inventory.alert.low_stock", "warning", "/inventory/alerts?kind=low_stock&warehouse=WH-SH")
    ]
    assert "CUP" in mine[0]["body"] and "TEA" in mine[0]["body"]
    assert client.get("/api/v1/notifications/unread-count", headers=gz).json() == {"unread": 2}
    en = client.get("/api/v1/notifications", headers={**gz, "Accept-Language": "en"}).json()["items"]
    assert en[0]["title"] == "WH-GZ 仓库WH-GZ: 1 SKU(s) below safety stock"
    assert en[0]["params"] == {"alert_kind": "low_stock", "warehouse": "WH-GZ", "count": 1, "skus": ["TEA"]}


def test_scan_costs_the_same_few_queries_whatever_the_number_of_skus(engine):
    with uow(engine) as u:
        inventory.create_warehouse(u, code="WH", name="仓")
        from omnistock.purchasing import service as purchasing

        purchasing.create_supplier(u, code="SUP-1", name="供应商")

    def statements_of_a_scan(n_skus: int) -> int:
        with uow(engine) as u:
            for i in range(n_skus):
                code = f"S{n_skus}-{i}"
                catalog.create_sku(
                    u, code=code, name=code, unit="件", price_cents=1, cost_method="average", safety_stock=5
                )
        for i in range(n_skus):
            receive(engine, f"S{n_skus}-{i}", 1, 100, wh="WH")
        seen = []

        def count(*_a):
            seen.append(1)

        with UnitOfWork(engine, Actor.system("test")) as u:
            event.listen(u.conn, "before_cursor_execute", count)
            result = inventory.scan_alerts(u)
            event.remove(u.conn, "before_cursor_execute", count)
        assert result.new == n_skus
        return len(seen)

    statements_of_a_scan(1)  # warm the per-process lookups a first scan fills
    assert statements_of_a_scan(3) == statements_of_a_scan(40)


def test_cli_scan_notifies_and_delivers(shop, db_url):
    from tests.cli.test_cli import omnistock

    r = omnistock("alerts", "scan", url=db_url)
    assert r.returncode == 0, r.stderr
    import json

    assert json.loads(r.stdout) == {"active": 1, "cleared": 0, "delivered": 1, "new": 1, "notifications": 1}
    assert [n[1] for n in notes(shop)] == ["WH-GZ"]
    r = omnistock("alerts", "scan", url=db_url)
    assert json.loads(r.stdout)["new"] == 0
