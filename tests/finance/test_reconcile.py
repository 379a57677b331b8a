"""Channel settlement reconciliation on the real database: importing WeChat Pay bills built from
shipped orders, what is posted, resolving exceptions, and bad input that changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from omnistock.finance import reconcile
from omnistock.finance import service as finance
from omnistock.orders import service as orders
from omnistock.platform.auth import Actor
from omnistock.platform.errors import AppError, Conflict, Invalid
from tests.finance import recon_helpers as h

CLEARING, WECHAT, FEE, COMMISSION, LOSS, BANK = "122101", "101201", "660102", "660101", "6711", "1002"


@pytest.fixture
def books(engine):
    h.setup(engine)
    for ref, qty in (("SO-A", 1), ("SO-B", 2), ("SO-C", 1), ("SO-D", 1)):
        h.shipped_order(engine, ref, qty)
    return engine


def _import(engine, data: bytes, *, filename="wechat.csv", source="wechat_pay", channel=h.CHANNEL):
    with h.uow(engine) as u:
        return reconcile.import_statement(u, channel=channel, source=source, data=data, filename=filename)


def _ok(engine) -> None:
    with engine.connect() as conn:
        assert finance.check_invariants(conn) == []


def _first_bill() -> bytes:
    t = h.now_china()
    return h.wechat_bill(
        [
            h.wechat_row("SO-A", 5990, 36, txn="A1", when=t),
            h.wechat_row("SO-B", 11980, 72, txn="B1", when=t),
            h.wechat_row("SO-C", 5000, 30, txn="C1", when=t),  # 9.90 short
            h.wechat_row("SO-X", 5990, 36, txn="X1", when=t),  # no such order
            h.wechat_row("SO-A", 5990, 36, txn="A1", when=t),  # the same transaction twice
        ]
    )


def _rows(engine, statement_id: int, **kw) -> dict:
    with h.uow(engine) as u:
        return reconcile.statement_rows(u, statement_id, **kw)


def test_import_matches_classifies_and_posts(books):
    engine = books
    ch = h.channel_id(engine)
    assert h.account_total(engine, CLEARING, party=("channel", ch)) == 5990 * 5
    st = _import(engine, _first_bill())
    by_status = {k: v["count"] for k, v in st["summary"]["by_status"].items() if v["count"]}
    assert by_status == {"matched": 2, "amount_mismatch": 1, "no_order": 1, "duplicate": 1}
    assert st["summary"]["open"] == 3
    rows = {r["row_no"]: r for r in _rows(engine, st["id"])["rows"]}
    assert rows[2]["status"] == "matched" and rows[2]["order"] == "SO-A" and rows[2]["state"] == "posted"
    assert rows[4]["status"] == "amount_mismatch" and rows[4]["difference_cents"] == -990
    assert rows[5]["status"] == "no_order" and rows[6]["status"] == "duplicate"
    # Settled orders' clearing is back to 0; only C (not yet accepted) and D (not on the bill) are left.
    assert h.account_total(engine, CLEARING, party=("channel", ch)) == 5990 * 2
    assert h.account_total(engine, FEE) == 36 + 72
    assert h.account_total(engine, WECHAT) == (5990 - 36) + (11980 - 72)
    _ok(engine)
    with h.uow(engine) as u:
        assert reconcile.order_money(u, "SO-A")["status"] == "settled"
        c = reconcile.order_money(u, "SO-C")
        assert c["status"] == "mismatch" and c["outstanding_cents"] == 5990
        assert reconcile.order_money(u, "SO-D")["status"] == "unsettled"
        assert [r["row_no"] for r in reconcile.order_money(u, "SO-A")["rows"]] == [2]
        items, _ = reconcile.list_order_money(u, channel=h.CHANNEL, status="settled")
        assert {i["ref"] for i in items} == {"SO-A", "SO-B"}
        queue, _ = reconcile.exceptions(u, channel=h.CHANNEL)
        assert sorted(r["status"] for r in queue) == ["amount_mismatch", "duplicate", "no_order"]


def test_resolving_exceptions_posts_once(books):
    engine = books
    ch = h.channel_id(engine)
    st = _import(engine, _first_bill())
    rows = {r["row_no"]: r for r in _rows(engine, st["id"])["rows"]}
    # accept the short settlement of C: the 9.90 to 营业外支出
    with h.uow(engine) as u:
        done = reconcile.resolve_accept(u, rows[4]["id"], account_code=LOSS, note="平台少结")
    assert done[0]["state"] == "resolved" and done[0]["resolution_account"] == LOSS
    assert h.account_total(engine, LOSS) == 990
    assert h.account_total(engine, CLEARING, party=("channel", ch)) == 5990  # only D left
    assert h.account_total(engine, FEE) == 36 + 72 + 30
    _ok(engine)
    with pytest.raises(Conflict) as err, h.uow(engine) as u:
        reconcile.resolve_accept(u, rows[4]["id"], account_code=LOSS)
    assert err.value.code == "finance.row_resolved"
    # the row with no order belongs to D
    with h.uow(engine) as u:
        linked = reconcile.resolve_link(u, rows[5]["id"], order_ref="SO-D")
    assert (
        linked[0]["status"] == "matched" and linked[0]["order"] == "SO-D" and linked[0]["state"] == "resolved"
    )
    assert h.account_total(engine, CLEARING, party=("channel", ch)) == 0
    # a duplicate is never posted, only ignored
    with pytest.raises(Conflict), h.uow(engine) as u:
        reconcile.resolve_accept(u, rows[6]["id"], account_code=LOSS)
    before = h.account_total(engine, WECHAT)
    with h.uow(engine) as u:
        reconcile.resolve_ignore(u, rows[6]["id"], reason="重复行")
    assert h.account_total(engine, WECHAT) == before
    with h.uow(engine) as u:
        assert reconcile.exceptions(u)[0] == []
        assert reconcile.order_money(u, "SO-C")["status"] == "settled"
        assert reconcile.statement_detail(u, st["id"])["summary"]["open"] == 0
    _ok(engine)


def test_link_with_a_different_amount_becomes_a_mismatch(books):
    engine = books
    t = h.now_china()
    st = _import(engine, h.wechat_bill([h.wechat_row("", 6000, 36, txn="N1", when=t)]))
    (row,) = _rows(engine, st["id"])["rows"]
    assert row["status"] == "no_order"
    with h.uow(engine) as u:
        (linked,) = reconcile.resolve_link(u, row["id"], order_ref="SO-D")
    assert (
        linked["status"] == "amount_mismatch"
        and linked["difference_cents"] == 10
        and linked["state"] == "open"
    )
    with h.uow(engine) as u:
        reconcile.resolve_accept(u, row["id"], account_code="6301")
    assert h.account_total(engine, "6301") == -10  # a credit: income
    assert h.account_total(engine, CLEARING, party=("channel", h.channel_id(engine))) == 5990 * 4
    _ok(engine)


def test_refunds_are_matched_against_returns(books):
    engine = books
    ch = h.channel_id(engine)
    t = h.now_china()
    _import(engine, h.wechat_bill([h.wechat_row("SO-B", 11980, 72, txn="B1", when=t)]))
    with h.uow(engine) as u:
        orders.return_order(u, ref="SO-B", lines=[orders.ReturnLineIn("TEE", 1)])
    # the return credited clearing; the channel's refund on the next bill debits it back
    st = _import(engine, h.wechat_bill([h.wechat_row("SO-B", 5990, 36, txn="B1R", when=t, refund=True)]))
    (row,) = _rows(engine, st["id"])["rows"]
    assert row["status"] == "matched" and row["gross_cents"] == -5990
    assert h.account_total(engine, CLEARING, party=("channel", ch)) == 5990 * 3  # A, C, D: unsettled; B: 0
    assert h.account_total(engine, FEE) == 72 - 36
    with h.uow(engine) as u:
        b = reconcile.order_money(u, "SO-B")
    assert (b["status"], b["outstanding_cents"], b["refunded_cents"]) == ("settled", 0, 5990)
    _ok(engine)


def test_same_statement_twice_is_refused_and_nothing_posted_twice(books):
    engine = books
    data = _first_bill()
    _import(engine, data)
    before = h.counts(engine)
    with pytest.raises(Conflict) as err:
        _import(engine, data, filename="again.csv")
    assert err.value.code == "finance.statement_duplicate"
    # re-saved by Excel: no backticks, another encoding -> the same content, still refused
    resaved = data.decode("utf-8").replace("`", "").encode("gb18030")
    with pytest.raises(Conflict):
        _import(engine, resaved)
    assert h.counts(engine) == before
    # another channel may have its own statement with the same content
    _ok(engine)


def test_a_transaction_on_an_earlier_statement_is_a_duplicate(books):
    engine = books
    t = h.now_china()
    _import(engine, h.wechat_bill([h.wechat_row("SO-A", 5990, 36, txn="A1", when=t)]))
    st = _import(
        engine,
        h.wechat_bill(
            [
                h.wechat_row("SO-A", 5990, 36, txn="A1", when=t),
                h.wechat_row("SO-C", 5990, 36, txn="C1", when=t),
            ]
        ),
    )
    statuses = [r["status"] for r in _rows(engine, st["id"])["rows"]]
    assert statuses == ["duplicate", "matched"]
    assert h.account_total(engine, FEE) == 72
    _ok(engine)


def test_bad_files_change_nothing(books):
    engine = books
    before = h.counts(engine)
    t = h.now_china().strftime("%Y-%m-%d %H:%M:%S")
    bad_rows = h.wechat_bill(
        [
            h.wechat_row("SO-A", 5990, 36, txn="A1", when=h.now_china()),
            "`not a date,`4200X,`SO-B,`SUCCESS,`12x.00,`0,`0.00,`0.36",
            f"`{t},`4200Y,`SO-C,`SUCCESS,`59.901,`0,`0.00,`0.36",
        ]
    )
    with pytest.raises(Invalid) as err:
        _import(engine, bad_rows)
    errors = err.value.errors
    assert err.value.code == "finance.statement_rows"
    assert {(e.row_no, e.column) for e in errors} >= {
        (3, "交易时间"),
        (3, "应结订单金额"),
        (4, "应结订单金额"),
    }
    with pytest.raises(Invalid) as err:
        _import(engine, b"order,amount\nSO-A,59.90\n", filename="x.csv")
    assert err.value.code == "finance.statement_columns"
    with pytest.raises(Invalid):
        _import(engine, b"", filename="empty.csv")
    with pytest.raises(Invalid) as err:
        _import(engine, _first_bill(), source="nope")
    assert err.value.code == "finance.template_unknown"
    with pytest.raises(AppError):
        _import(engine, _first_bill(), channel="NO-SUCH")
    assert h.counts(engine) == before


def test_closed_period_refuses_the_import(books):
    engine = books
    last_month = (h.now_china().replace(day=1) - dt.timedelta(days=2)).replace(hour=12)
    with h.uow(engine) as u:
        finance.close_period(u, f"{last_month.year:04d}-{last_month.month:02d}")
    before = h.counts(engine)
    with pytest.raises(Conflict) as err:
        _import(engine, h.wechat_bill([h.wechat_row("SO-A", 5990, 36, txn="A1", when=last_month)]))
    assert err.value.code == "finance.period_closed"
    assert h.counts(engine) == before
    _ok(engine)


def test_payouts_channel_fees_and_transfers(engine):
    h.setup(engine)
    h.shipped_order(engine, "SO-G", 1)
    t = h.now_china().strftime("%Y-%m-%d %H:%M:%S")
    data = (
        "order_ref,type,amount,fee,commission,settled_at,txn_id\r\n"
        f"SO-G,sale,59.90,0.30,3.00,{t},G1\r\n"
        f",fee,1.50,,,{t},F1\r\n"
        f",payout,50.00,,,{t},P1\r\n"
        f",other,-20.00,,,{t},O1\r\n"
    ).encode()
    st = _import(engine, data, source="generic", filename="tmall.csv")
    rows = {r["row_no"]: r for r in _rows(engine, st["id"])["rows"]}
    assert [rows[n]["status"] for n in (2, 3, 4, 5)] == ["matched", "channel_fee", "payout", "other"]
    assert st["cash_account"] == "101203"  # generic: the marketplace wallet
    assert h.account_total(engine, COMMISSION) == 300
    assert h.account_total(engine, FEE) == 30 + 150
    assert h.account_total(engine, BANK) == 5000
    assert h.account_total(engine, "101203") == (5990 - 330) - 150 - 5000
    with h.uow(engine) as u:
        reconcile.resolve_ignore(u, rows[5]["id"], reason="提现到银行卡", transfer=True)
    assert h.account_total(engine, BANK) == 7000
    assert h.account_total(engine, CLEARING) == 0
    _ok(engine)


def test_templates_and_unsettled_orders(engine):
    h.setup(engine)
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=20)
    h.shipped_order(engine, "SO-OLD", 1, at=old)
    h.shipped_order(engine, "SO-NEW", 1)
    with h.uow(engine) as u:
        found = reconcile.unsettled(u, channel=h.CHANNEL)
    assert found["days"] == 15 and [o["ref"] for o in found["orders"]] == ["SO-OLD"]
    assert found["outstanding_cents"] == 5990
    with h.uow(engine) as u:
        assert [o["ref"] for o in reconcile.unsettled(u, channel=h.CHANNEL, days=0)["orders"]] == [
            "SO-OLD",
            "SO-NEW",
        ]
    # a custom template: a marketplace's own layout
    mapping = {
        "columns": {
            "order_ref": "订单号",
            "kind": "类型",
            "amount": "金额",
            "commission": "佣金",
            "settled_at": "结算时间",
        },
        "optional": ["commission"],
        "kind_map": {"货款": "sale"},
    }
    with h.uow(engine) as u:
        tpl = reconcile.create_template(
            u, name="tmall_v1", template=mapping, channel="TMALL", cash_account="101203"
        )
    assert tpl["channel"] == "TMALL" and tpl["template"]["columns"]["order_ref"] == "订单号"
    with pytest.raises(Invalid), h.uow(engine) as u:
        reconcile.create_template(u, name="bad", template={"columns": {"order_ref": "x"}})
    with pytest.raises(Conflict), h.uow(engine) as u:
        reconcile.create_template(u, name="tmall_v1", template=mapping)
    h.shipped_order(engine, "TM-1", 1, channel="TMALL")
    t = h.now_china().strftime("%Y-%m-%d %H:%M")
    data = f"订单号,类型,金额,佣金,结算时间\nTM-1,货款,59.90,2.99,{t}\n".encode()
    with pytest.raises(Invalid) as err:  # the template is TMALL's
        _import(engine, data, source="tmall_v1")
    assert err.value.code == "finance.template_channel"
    st = _import(engine, data, source="tmall_v1", channel="TMALL")
    assert st["summary"]["by_status"]["matched"]["count"] == 1
    assert h.account_total(engine, COMMISSION) == 299
    with h.uow(engine) as u:
        names = [t["name"] for t in reconcile.list_templates(u)]
        assert names == ["wechat_pay", "alipay", "generic", "tmall_v1"]
        reconcile.delete_template(u, tpl["id"])
    _ok(engine)


def test_permissions(books):
    viewer = Actor(user_id=None, username="v", permissions=frozenset({"finance.reconcile.read"}))
    with pytest.raises(AppError) as err, h.uow(books, viewer) as u:
        reconcile.import_statement(u, channel=h.CHANNEL, source="wechat_pay", data=_first_bill())
    assert err.value.status == 403
    with h.uow(books, viewer) as u:
        assert reconcile.list_statements(u) == ([], None)
