"""Receivables and payables on the real database: open items from credit shipments, returns and
supplier bills; receipts and payments allocated to them; advances, credit notes, offsets; closed
periods; reminders; ageing; expenses. The books' invariants hold after every scenario."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from omnistock.finance import arap
from omnistock.finance import service as finance
from omnistock.finance.models import journal_entry, open_item, payment, payment_allocation
from omnistock.orders import service as orders
from omnistock.platform import outbox
from omnistock.platform.errors import AppError, Conflict, Invalid, NotFound
from omnistock.platform.notifications import notification
from tests.finance.arap_helpers import TODAY, approved_bill, items, problems, setup, ship_on_credit, uow


@pytest.fixture
def db(engine):
    setup(engine)
    return engine


def receipt(engine, amount, ref, *, customer="CUST-1", allocations=None, date=TODAY, **kw) -> dict:
    with uow(engine) as u:
        pid = arap.record_payment(
            u,
            kind="ar",
            party_code=customer,
            amount_cents=amount,
            date=date,
            ref=ref,
            allocations=allocations,
            **kw,
        )
    with uow(engine) as u:
        return arap.payment_detail(u, pid)


def ar_balance(engine) -> int:
    with engine.connect() as conn:
        return finance.role_totals(conn)["ar"]


def snapshot(engine) -> tuple:
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(payment)).scalar_one(),
            conn.execute(select(func.count()).select_from(payment_allocation)).scalar_one(),
            conn.execute(select(func.count()).select_from(journal_entry)).scalar_one(),
            tuple(
                conn.execute(
                    select(open_item.c.id, open_item.c.settled_cents, open_item.c.status).order_by(
                        open_item.c.id
                    )
                )
            ),
        )


def test_credit_shipment_makes_a_receivable_due_after_the_customers_credit_days(db):
    ship_on_credit(db, 5)
    ship_on_credit(db, 1, customer="CUST-2")
    two, one = items(db)  # by due date
    assert (one["party_code"], one["amount_cents"], one["due_date"]) == (
        "CUST-1",
        10_000,
        TODAY + dt.timedelta(days=30),
    )
    assert (two["party_code"], two["amount_cents"], two["due_date"]) == ("CUST-2", 2_000, TODAY)
    assert one["status"] == "open" and one["open_cents"] == 10_000
    assert ar_balance(db) == 12_000
    with uow(db) as u:
        terms = arap.get_terms(u, party_type="customer", code="CUST-1")
        assert (terms["credit_days"], terms["open_cents"], terms["over_limit"]) == (30, 10_000, False)
        assert arap.get_terms(u, party_type="customer", code="CUST-2")["credit_days"] == 0
        assert [t["code"] for t in arap.list_terms(u)] == ["CUST-1"]
    assert problems(db) == []


def test_receipts_allocate_oldest_due_first_and_keep_the_rest_as_an_advance(db):
    first = ship_on_credit(db, 2, days_ago=10)
    second = ship_on_credit(db, 3, days_ago=5)
    r1 = receipt(db, 5_000, "RC-1")
    assert (r1["allocated_cents"], r1["advance_cents"]) == (5_000, 0)
    assert [(a["ref"], a["amount_cents"]) for a in r1["allocations"]] == [(first, 4_000), (second, 1_000)]
    assert r1["entry_id"] is not None and r1["account"] == "1002"
    by_ref = {i["ref"]: i for i in items(db)}
    assert by_ref[first]["status"] == "settled" and by_ref[second]["open_cents"] == 5_000
    r2 = receipt(db, 8_000, "RC-2", account_code="101201")
    assert (r2["allocated_cents"], r2["advance_cents"]) == (5_000, 3_000)
    by_ref = {i["ref"]: i for i in items(db)}
    assert by_ref[second]["status"] == "settled"
    assert (by_ref["RC-2"]["amount_cents"], by_ref["RC-2"]["source_type"]) == (-3_000, "payment")
    assert ar_balance(db) == -3_000
    # the advance pays the next order (an offset, no money)
    third = ship_on_credit(db, 1)
    with uow(db) as u:
        arap.offset_items(u, kind="ar", party_code="CUST-1", date=TODAY)
    by_ref = {i["ref"]: i for i in items(db)}
    assert by_ref[third]["status"] == "settled" and by_ref["RC-2"]["open_cents"] == -1_000
    with uow(db) as u:
        st_ = arap.party_statement(u, party_type="customer", code="CUST-1")
    assert [ln["ref"] for ln in st_["lines"]] == [first, second, "RC-1", third, "RC-2"] or st_[
        "closing_cents"
    ] == -1_000
    assert st_["closing_cents"] == -1_000 == ar_balance(db)
    assert problems(db) == []


def test_a_credit_note_is_allocated_with_the_receipt(db):
    ref = ship_on_credit(db, 5, days_ago=3)
    with uow(db) as u:
        orders.return_order(u, ref=ref, lines=[orders.ReturnLineIn("TEA", 2)])
    invoice, credit = sorted(items(db), key=lambda i: -i["amount_cents"])
    assert (invoice["amount_cents"], credit["amount_cents"]) == (10_000, -4_000)
    r = receipt(
        db,
        6_000,
        "RC-CN",
        allocations=[arap.AllocationIn(invoice["id"], 10_000), arap.AllocationIn(credit["id"], 4_000)],
    )
    assert (r["allocated_cents"], r["advance_cents"]) == (6_000, 0)
    assert {i["status"] for i in items(db)} == {"settled"}
    assert ar_balance(db) == 0
    assert problems(db) == []


def test_bad_allocations_are_refused_and_change_nothing(db):
    mine = ship_on_credit(db, 2)
    theirs = ship_on_credit(db, 1, customer="CUST-2")
    approved_bill(db, 10, 500, "INV-1")
    by_ref = {i["ref"]: i for i in items(db)}
    bill = items(db, "ap")[0]
    receipt(db, 1_000, "RC-OK", allocations=[arap.AllocationIn(by_ref[mine]["id"], 1_000)])
    before = snapshot(db)
    cases = [
        (Invalid, "finance.over_allocation", 5_000, [(by_ref[mine]["id"], 3_001)]),
        (Invalid, "finance.other_party", 5_000, [(by_ref[theirs]["id"], 100)]),
        (Invalid, "finance.wrong_kind", 5_000, [(bill["id"], 100)]),
        (Invalid, "finance.allocation_exceeds_amount", 500, [(by_ref[mine]["id"], 600)]),
        (
            Invalid,
            "finance.duplicate_allocation",
            5_000,
            [(by_ref[mine]["id"], 100), (by_ref[mine]["id"], 100)],
        ),
        (Invalid, "finance.bad_allocation", 5_000, [(by_ref[mine]["id"], 0)]),
        (NotFound, "finance.unknown_open_item", 5_000, [(999_999, 100)]),
        (Conflict, "finance.duplicate_payment_ref", 5_000, [], "RC-OK"),
    ]
    for exc, code, amount, allocs, *ref in cases:
        with pytest.raises(exc) as e, uow(db) as u:
            arap.record_payment(
                u,
                kind="ar",
                party_code="CUST-1",
                amount_cents=amount,
                date=TODAY,
                ref=ref[0] if ref else "RC-BAD",
                allocations=[arap.AllocationIn(i, c) for i, c in allocs],
            )
        assert e.value.code == code
        assert snapshot(db) == before
    for bad in (
        {"amount_cents": 0},
        {"amount_cents": 1.5},
        {"account_code": "1405"},
        {"account_code": "6602"},
        {"account_code": "1012"},
        {"ref": ""},
        {"party_code": "NOPE"},
    ):
        kw = {"kind": "ar", "party_code": "CUST-1", "amount_cents": 100, "date": TODAY, "ref": "RC-X"} | bad
        with pytest.raises(AppError), uow(db) as u:
            arap.record_payment(u, **kw)
        assert snapshot(db) == before
    # a settled item takes nothing more
    receipt(db, 3_000, "RC-REST", allocations=[arap.AllocationIn(by_ref[mine]["id"], 3_000)])
    before = snapshot(db)
    with pytest.raises(Conflict) as e, uow(db) as u:
        arap.record_payment(
            u,
            kind="ar",
            party_code="CUST-1",
            amount_cents=100,
            date=TODAY,
            ref="RC-AGAIN",
            allocations=[arap.AllocationIn(by_ref[mine]["id"], 100)],
        )
    assert e.value.code == "finance.item_settled" and snapshot(db) == before
    assert problems(db) == []


def test_a_closed_period_refuses_receipts_dated_in_it(db):
    last_month = TODAY.replace(day=1) - dt.timedelta(days=3)
    ship_on_credit(db, 2, days_ago=(TODAY - last_month).days)
    with uow(db) as u:
        finance.close_period(u, f"{last_month:%Y-%m}")
    before = snapshot(db)
    with pytest.raises(Conflict) as e, uow(db) as u:
        arap.record_payment(
            u, kind="ar", party_code="CUST-1", amount_cents=4_000, date=last_month, ref="RC-OLD"
        )
    assert e.value.code == "finance.period_closed"
    with pytest.raises(Conflict), uow(db) as u:
        arap.record_expense(u, date=last_month, account_code="6602", amount_cents=100)
    assert snapshot(db) == before
    receipt(db, 4_000, "RC-NOW")
    assert {i["status"] for i in items(db)} == {"settled"}
    assert problems(db) == []


def test_a_supplier_bill_is_a_payable_paid_by_a_payment(db):
    with uow(db) as u:
        arap.set_terms(u, party_type="supplier", code="SUP", credit_days=45)
    approved_bill(db, 10, 520, "INV-7", bill_date=TODAY - dt.timedelta(days=5))
    (bill,) = items(db, "ap")
    assert (bill["amount_cents"], bill["due_date"], bill["party_code"]) == (
        5_200,
        TODAY + dt.timedelta(days=40),
        "SUP",
    )
    with uow(db) as u:
        pid = arap.record_payment(u, kind="ap", party_code="SUP", amount_cents=6_000, date=TODAY, ref="PAY-1")
    with uow(db) as u:
        pay = arap.payment_detail(u, pid)
    assert (pay["allocated_cents"], pay["advance_cents"]) == (5_200, 800)
    ap_items = {i["ref"]: i for i in items(db, "ap")}
    assert ap_items["INV-7"]["status"] == "settled" and ap_items["PAY-1"]["amount_cents"] == -800
    with db.connect() as conn:
        assert -finance.role_totals(conn)["ap"] == -800
    assert problems(db) == []


def _outbox(engine, topic):
    with engine.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(outbox.outbox_message)
            .where(outbox.outbox_message.c.topic == topic)
        ).scalar_one()


def test_reminders_are_sent_once_before_due_and_once_overdue(db):
    soon = ship_on_credit(db, 1, days_ago=28)  # due in 2 days (30 credit days)
    late = ship_on_credit(db, 1, days_ago=40)  # 10 days overdue
    ship_on_credit(db, 1, days_ago=1)  # due in 29 days: no reminder yet
    first = arap.scan_due(db, TODAY)
    assert (first.before_due, first.overdue, first.notifications) == (1, 1, 2)
    assert _outbox(db, arap.REMINDER_TOPIC) == 2
    again = arap.scan_due(db, TODAY)
    assert (again.before_due, again.overdue, again.notifications) == (0, 0, 0)
    assert _outbox(db, arap.REMINDER_TOPIC) == 2
    outbox.deliver_due(db)
    with db.connect() as conn:
        kinds = sorted(conn.execute(select(notification.c.kind)).scalars())
    assert kinds == ["finance.due_reminder.ar.before", "finance.due_reminder.ar.overdue"]
    later = arap.scan_due(db, TODAY + dt.timedelta(days=3))  # the first is overdue now
    assert (later.before_due, later.overdue) == (0, 1)
    reminded = {i["ref"]: i["id"] for i in items(db)}
    with db.connect() as conn:
        tags = dict(conn.execute(select(open_item.c.id, open_item.c.reminded)).all())
    assert len(tags[reminded[soon]]) == 2 and len(tags[reminded[late]]) == 1
    assert problems(db) == []


def test_ageing_puts_open_amounts_in_buckets_by_days_overdue(db):
    for days in (0, 15, 45, 75, 120):
        ship_on_credit(db, 1, customer="CUST-2", days_ago=days)
    ship_on_credit(db, 2, days_ago=1)  # CUST-1: not due for 29 days
    receipt(db, 500, "RC-ADV", customer="CUST-2", allocations=[])  # an advance
    with uow(db) as u:
        report = arap.ageing(u, kind="ar", as_of=TODAY)
    rows = {r["code"]: r for r in report["rows"]}
    assert rows["CUST-2"]["buckets"] == [2_000, 2_000, 2_000, 2_000, 2_000]
    assert rows["CUST-2"]["unapplied_cents"] == -500 and rows["CUST-2"]["total_cents"] == 9_500
    assert rows["CUST-1"]["buckets"] == [4_000, 0, 0, 0, 0]
    assert report["totals"]["total_cents"] == 13_500 == ar_balance(db)
    assert [b["en"] for b in report["buckets"]][0] == "not due"
    # money received today does not count as of yesterday
    receipt(db, 4_000, "RC-TODAY")
    with uow(db) as u:
        yesterday = arap.ageing(u, kind="ar", as_of=TODAY - dt.timedelta(days=1))
        today = arap.ageing(u, kind="ar", as_of=TODAY)
    y = {r["code"]: r for r in yesterday["rows"]}
    assert y["CUST-1"]["buckets"] == [4_000, 0, 0, 0, 0]
    assert "CUST-1" not in {r["code"] for r in today["rows"]}
    assert problems(db) == []


def test_expenses_post_at_once(db):
    with uow(db) as u:
        eid = arap.record_expense(
            u,
            date=TODAY,
            account_code="6602",
            amount_cents=12_345,
            paid_from="101201",
            memo="办公用品",
            supplier_code="SUP",
        )
    with uow(db) as u:
        rows, nxt = arap.list_expenses(u)
        accounts = arap.expense_accounts(u)
    assert nxt is None and rows[0]["id"] == eid
    assert (rows[0]["account"], rows[0]["paid_from"], rows[0]["amount_cents"], rows[0]["supplier"]) == (
        "6602",
        "101201",
        12_345,
        "SUP",
    )
    assert rows[0]["entry_id"] is not None
    assert "660104" in {a["code"] for a in accounts["expense"]} and "6601" not in {
        a["code"] for a in accounts["expense"]
    }
    with db.connect() as conn:
        totals = finance.account_totals(conn)
    assert totals["6602"] == 12_345 and totals["101201"] == -12_345
    for bad in (
        {"account_code": "1405"},
        {"account_code": "6601"},
        {"paid_from": "6602"},
        {"amount_cents": -5},
    ):
        kw = {"date": TODAY, "account_code": "6602", "amount_cents": 100} | bad
        with pytest.raises(Invalid), uow(db) as u:
            arap.record_expense(u, **kw)
    with uow(db) as u:
        assert len(arap.list_expenses(u)[0]) == 1
    assert problems(db) == []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("ship"), st.integers(1, 4), st.sampled_from(["CUST-1", "CUST-2"])),
            st.tuples(st.just("auto"), st.integers(1, 12_000), st.sampled_from(["CUST-1", "CUST-2"])),
            st.tuples(st.just("first"), st.integers(1, 12_000), st.sampled_from(["CUST-1", "CUST-2"])),
            st.tuples(st.just("offset"), st.just(0), st.sampled_from(["CUST-1", "CUST-2"])),
        ),
        max_size=6,
    )
)
def test_receipts_and_allocations_keep_the_receivable_account_equal_to_the_open_items(db, ops):
    for n, (op, value, customer) in enumerate(ops):
        ref = f"P-{uuid.uuid4().hex[:12]}-{n}"  # unique across examples (they share the database)
        try:
            if op == "ship":
                ship_on_credit(db, value, customer=customer)
            elif op == "auto":
                receipt(db, value, ref, customer=customer)
            elif op == "first":
                open_ = [i for i in items(db, party_code=customer, status="open") if i["open_cents"] > 0]
                allocs = (
                    [arap.AllocationIn(open_[0]["id"], min(value, open_[0]["open_cents"]))] if open_ else []
                )
                receipt(db, value, ref, customer=customer, allocations=allocs)
            else:
                with uow(db) as u:
                    arap.offset_items(u, kind="ar", party_code=customer, date=TODAY)
        except Invalid as e:
            assert e.code == "finance.nothing_to_offset"
    with db.connect() as conn:
        open_sum = conn.execute(
            select(func.coalesce(func.sum(open_item.c.amount_cents - open_item.c.settled_cents), 0)).where(
                open_item.c.kind == "ar"
            )
        ).scalar_one()
    assert ar_balance(db) == open_sum
    for i in items(db):
        assert (i["status"] == "settled") == (i["open_cents"] == 0)
        assert abs(i["settled_cents"]) <= abs(i["amount_cents"])
    assert problems(db) == []
