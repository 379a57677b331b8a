"""Profit facts on the real database: kept in the transaction of shipments, parcels, returns and
back-dated re-valuations; the reports add them up and agree with the journal."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from omnistock.finance import profit
from omnistock.finance import profit_rules as pr
from omnistock.finance import service as finance
from omnistock.finance.profit_models import order_line_profit, order_profit
from omnistock.fulfillment import service as fulfillment
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.orders.intake import Address, Buyer, IntakeLine, IntakeOrder, Payment
from omnistock.platform.clock import business_date, utcnow
from omnistock.platform.errors import AppError
from omnistock.purchasing import service as purchasing
from tests.fulfillment.helpers import setup
from tests.orders.pool_helpers import uow


def _intake(ext, channel, lines, *, payments, discount=0, shipping=0, tags=()):
    return IntakeOrder(
        channel=channel,
        external_ref=ext,
        buyer=Buyer("李雷", "13800138000", f"openid-{ext}"),
        lines=tuple(IntakeLine(*ln) for ln in lines),
        address=Address("李雷", "13800138000", "浙江省", "杭州市", "西湖区", f"文三路 {ext} 号"),
        discount_cents=discount,
        shipping_fee_cents=shipping,
        payments=tuple(Payment(m, a) for m, a in payments),
        warehouse="SH",
        tags=tuple(tags),
    )


def _facts(engine, ref):
    with engine.connect() as conn:
        o = conn.execute(select(order_profit).where(order_profit.c.ref == ref)).one()
        lines = conn.execute(
            select(order_line_profit).where(order_line_profit.c.order_id == o.order_id)
        ).all()
    return o, lines


@pytest.fixture
def shop(engine):
    """Channel WX (5 % commission, 0.6 % payment fee) and distributor DIST (10 % distributor
    commission); order A on WX with a line discount, an order discount, shipping charged, coupon
    and points, tagged 双11, shipped as a parcel; order B on DIST shipped straight."""
    setup(engine)
    with uow(engine) as u:
        orders.create_channel(u, code="DIST", name="分销商", kind="distributor")
    with uow(engine) as u:
        profit.set_rates(u, channel_code="WX", commission_bp=500, payment_fee_bp=60, distributor_bp=0)
        profit.set_rates(u, channel_code="DIST", commission_bp=0, payment_fee_bp=60, distributor_bp=1000)
    with uow(engine) as u:
        a = orders.receive_order(
            u,
            _intake(
                "A",
                "WX",
                [("TEA", 2, 2000), ("CUP", 1, 3000, 300)],
                discount=500,
                shipping=1000,
                payments=[("coupon", 1000), ("points", 200), ("wechat_pay", 6000)],
                tags=("双11", "直播"),
            ),
        ).ref
    with uow(engine) as u:
        made = fulfillment.create_waves(u, warehouse="SH", max_orders=10)
    wave = made.waves[0]
    wave_ref = wave if isinstance(wave, str) else wave["ref"] if isinstance(wave, dict) else wave.ref
    with uow(engine) as u:
        fulfillment.release_wave(u, wave_ref)
    with uow(engine) as u:
        fulfillment.confirm_picks(u, wave_ref)
    with uow(engine) as u:
        packed = fulfillment.pack(
            u, a, items=[fulfillment.PackItem("TEA", 2), fulfillment.PackItem("CUP", 1)], weight_g=1600
        )
    with uow(engine) as u:
        fulfillment.ship(u, a, tracking_no="SFX123456789")
    with uow(engine) as u:
        b = orders.receive_order(
            u, _intake("B", "DIST", [("TEA", 1, 2000)], payments=[("wechat_pay", 2000)])
        ).ref
    with uow(engine) as u:
        orders.ship_order(u, ref=b)
    return {"a": a, "b": b, "courier_fee": packed["fee_cents"]}


def _check_against_journal(engine):
    with engine.connect() as conn:
        t = profit.totals(conn)
        acc = finance.account_totals(conn)
        assert profit.check_invariants(conn) == []
    for k in pr.KEYS:
        assert t[k] == t[f"lines_{k}"], k
    assert t["revenue"] == -acc.get("6001", 0)  # no VAT rate set: revenue is tax-inclusive
    assert t["shipping_income"] == -acc.get("6051", 0)
    assert t["cogs"] == acc.get("6401", 0)
    assert t["shipping_cost"] == acc.get("660103", 0)
    assert t["promotion"] == acc.get("660104", 0)
    return t


def test_facts_follow_shipments_parcels_returns_and_back_dated_costs(engine, shop):
    a, b = shop["a"], shop["b"]
    o, lines = _facts(engine, a)
    assert (o.revenue, o.shipping_income, o.promotion, o.discount) == (6200, 1000, 1200, 800)
    assert o.shipping_cost == shop["courier_fee"] > 0
    assert (o.commission, o.payment_fee, o.distributor_commission) == (360, 43, 0)  # of 7200
    assert (o.commission_bp, o.payment_fee_bp) == (500, 60)
    assert o.cogs == 3 * 500 and o.day == business_date(utcnow())
    assert sorted((ln.line_no, ln.qty, ln.cogs) for ln in lines) == [(1, 2, 1000), (2, 1, 500)]
    ob, _ = _facts(engine, b)
    assert (ob.revenue, ob.distributor_commission, ob.payment_fee, ob.commission) == (2000, 200, 12, 0)
    _check_against_journal(engine)

    # A return of one TEA: revenue and its cost come back, the fees are re-estimated on what is left.
    with uow(engine) as u:
        back = orders.return_order(u, ref=a, lines=[orders.ReturnLineIn("TEA", 1)])
    refund = back["refund_cents"]
    o, lines = _facts(engine, a)
    assert o.revenue == 6200 - refund and o.returned_revenue == refund
    assert o.commission == pr.estimate(7200 - refund, 500)
    assert o.payment_fee == pr.estimate(7200 - refund, 60)
    assert o.cogs == 2 * 500
    tea = next(ln for ln in lines if ln.line_no == 1)
    assert (tea.returned_qty, tea.cogs) == (1, 500)
    _check_against_journal(engine)

    # A receipt dated before the shipments re-values their cost of goods: the facts follow.
    with uow(engine) as u:
        purchasing.receive_goods(
            u,
            ref=None,
            supplier_code="SUP",
            warehouse="SH",
            lines=[inventory.ReceiptLine("TEA", 10, 1100)],
            at=utcnow() - dt.timedelta(days=2),
        )
    o2, _ = _facts(engine, a)
    assert o2.cogs > o.cogs  # dearer tea in the pool before A shipped
    t = _check_against_journal(engine)

    # Every report's total is the sum of the facts; margins are profit over revenue.
    expected = pr.profit_of({k: t[k] for k in pr.KEYS})
    a_profit = _order_profit(engine, a)
    with uow(engine) as u:
        for dim in profit.DIMENSIONS:
            rep = profit.report(u, dimension=dim, granularity="day")
            if dim == "tag":
                assert {r.key for r in rep.rows} == {"双11", "直播"}
                assert rep.total.orders == 1 and rep.total.profit == a_profit
                continue
            assert rep.total.profit == expected, dim
            assert sum(r.profit for r in rep.rows) == expected, dim
            assert rep.total.amounts == {k: t[k] for k in pr.KEYS}
        by_sku = profit.report(u, dimension="sku", sort="qty")
        assert [(r.key, r.qty) for r in by_sku.rows] == [("TEA", 2), ("CUP", 1)]
        assert by_sku.total.margin_bp == pr.margin_bp(expected, t["revenue"])
        by_channel = profit.report(u, dimension="channel", sort="key", descending=False)
        assert [(r.key, r.name, r.orders) for r in by_channel.rows] == [
            ("DIST", "分销商", 1),
            ("WX", "微信小程序", 1),
        ]
        only = profit.report(u, dimension="sku", filters=profit.Filters(channel="DIST"))
        assert [(r.key, r.qty, r.amounts["distributor_commission"]) for r in only.rows] == [("TEA", 1, 200)]
        tomorrow = business_date(utcnow()) + dt.timedelta(days=1)
        assert profit.report(u, dimension="order", filters=profit.Filters(date_from=tomorrow)).rows == []
        detail = profit.order_detail(u, a)
    assert detail["tags"] == ["双11", "直播"] and detail["channel"] == "WX"
    assert detail["waterfall"][-1]["running"] == detail["profit"] == a_profit
    assert sum(ln["profit"] for ln in detail["lines"]) == detail["profit"]


def _order_profit(engine, ref):
    o, _ = _facts(engine, ref)
    return pr.profit_of({k: getattr(o, k) for k in pr.KEYS})


def test_bad_input_is_refused_clearly(engine, shop):
    with uow(engine) as u:
        for kw, code in (
            ({"dimension": "warehouse"}, "finance.bad_dimension"),
            ({"dimension": "sku", "sort": "nope"}, "finance.bad_sort"),
            ({"dimension": "period", "granularity": "week"}, "finance.bad_granularity"),
            (
                {"dimension": "sku", "filters": profit.Filters(dt.date(2026, 2, 1), dt.date(2026, 1, 1))},
                "finance.bad_date_range",
            ),
            ({"dimension": "sku", "filters": profit.Filters(channel="NOPE")}, "finance.unknown_channel"),
            ({"dimension": "sku", "filters": profit.Filters(warehouse="NOPE")}, "finance.unknown_warehouse"),
        ):
            with pytest.raises(AppError) as err:
                profit.report(u, **kw)
            assert err.value.code == code and err.value.zh
        with pytest.raises(AppError) as err:
            profit.set_rates(u, channel_code="WX", commission_bp=10001, payment_fee_bp=0, distributor_bp=0)
        assert err.value.code == "finance.bad_rate"
        with pytest.raises(AppError) as err:
            profit.set_rates(u, channel_code="WX", commission_bp=0, payment_fee_bp=0, distributor_bp=10)
        assert err.value.code == "finance.distributor_rate_not_distributor"
        with pytest.raises(AppError) as err:
            profit.order_detail(u, "NO-SUCH")
        assert err.value.status == 404


def test_the_migration_backfills_facts_equal_to_the_live_ones(engine, shop):
    """Facts rebuilt from the orders, ledger and parcels equal those kept live (rates aside)."""
    from importlib import import_module

    backfill = import_module("omnistock.migrations.versions.0019_profit").backfill
    with uow(engine) as u:
        orders.return_order(u, ref=shop["a"], lines=[orders.ReturnLineIn("CUP", 1)])
    with engine.connect() as conn:
        live = {
            r.ref: (r.revenue, r.cogs, r.shipping_cost, r.promotion, r.returned_revenue)
            for r in conn.execute(select(order_profit))
        }
        live_lines = sorted(
            (r.order_id, r.sku_id, r.qty, r.returned_qty, r.revenue, r.cogs, r.shipping_cost, r.promotion)
            for r in conn.execute(select(order_line_profit))
        )
    with engine.begin() as conn:
        conn.execute(order_line_profit.delete())
        conn.execute(order_profit.delete())
        conn.execute(profit.order_profit_tag.delete())
        backfill(conn)
    with engine.connect() as conn:
        again = {
            r.ref: (r.revenue, r.cogs, r.shipping_cost, r.promotion, r.returned_revenue)
            for r in conn.execute(select(order_profit))
        }
        again_lines = sorted(
            (r.order_id, r.sku_id, r.qty, r.returned_qty, r.revenue, r.cogs, r.shipping_cost, r.promotion)
            for r in conn.execute(select(order_line_profit))
        )
        assert conn.execute(select(func.count()).select_from(profit.order_profit_tag)).scalar_one() == 2
    assert again == live and again_lines == live_lines


API = "/api/v1/finance/profit"


def test_the_api_reports_exports_and_edits_rates(shop, admin, make_user, login, client):
    r = admin.get(f"{API}/report", params={"dimension": "channel", "sort": "key", "descending": "false"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["key"] for i in body["items"]] == ["DIST", "WX"] and body["fees_estimated"] is True
    assert body["total"]["profit"] == sum(i["profit"] for i in body["items"])
    r = admin.get(f"{API}/report", params={"dimension": "period", "granularity": "month"})
    assert r.json()["count"] == 1 and r.json()["items"][0]["key"] == business_date(utcnow()).strftime("%Y-%m")
    r = admin.get(
        f"{API}/report", params={"dimension": "sku", "date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "finance.bad_date_range"
    r = admin.get(f"{API}/report", params={"dimension": "nope"})
    assert r.status_code == 422

    x = admin.get(f"{API}/report/export", params={"dimension": "sku"}, headers={"Accept-Language": "zh-CN"})
    assert x.status_code == 200 and x.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    import io

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(x.content)).active
    values = list(ws.values)
    assert values[0][0] == "SKU" and values[-1][0] == "合计" and len(values) == 4

    order = admin.get(f"{API}/orders/{shop['a']}").json()
    assert order["waterfall"][0]["key"] == "revenue" and order["waterfall"][-1]["running"] == order["profit"]
    assert admin.get(f"{API}/orders/NOPE").status_code == 404

    rates = {r["channel"]: r for r in admin.get(f"{API}/rates").json()}
    assert rates["WX"]["commission_bp"] == 500 and rates["DIST"]["kind"] == "distributor"
    r = admin.put(f"{API}/rates/LIVE", json={"commission_bp": 800, "payment_fee_bp": 60})
    assert r.status_code == 200 and r.json()["commission_bp"] == 800
    r = admin.put(f"{API}/rates/LIVE", json={"distributor_bp": 100})
    assert r.status_code == 422 and r.json()["code"] == "finance.distributor_rate_not_distributor"
    assert admin.put(f"{API}/rates/LIVE", json={"commission_bp": 10001}).status_code == 422
    assert admin.put(f"{API}/rates/NOPE", json={}).status_code == 404

    make_user("guest", roles=["viewer"])
    make_user("cfo", roles=["finance"])
    client.headers["Authorization"] = f"Bearer {login('guest')}"
    assert client.get(f"{API}/report").status_code == 403
    assert client.get(f"{API}/report/export").status_code == 403
    client.headers["Authorization"] = f"Bearer {login('cfo')}"
    assert client.get(f"{API}/report").status_code == 200
    assert client.put(f"{API}/rates/WX", json={"commission_bp": 1}).status_code == 403
