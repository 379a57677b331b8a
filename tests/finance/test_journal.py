"""The journal keeps itself: business events post balanced entries in their own transaction,
the books agree with the stock ledger and the order pool, periods close, manual entries wait for
approval, and the reports read what was posted."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from omnistock import replay
from omnistock.finance import service as finance
from omnistock.finance.models import account_balance, journal_entry, journal_line
from omnistock.inventory import service as inventory
from omnistock.platform.auth import Actor
from omnistock.platform.clock import business_date, utcnow
from omnistock.platform.errors import AppError
from tests.inventory.helpers import SYSTEM, order, receive, setup_master, ship, uow

GEN = Path(__file__).resolve().parents[3] / "shared" / "workload" / "gen.py"


def parse_money(text: str) -> int:
    """A summary's money ("-176.47", always two places) in cents."""
    return int(text.replace(".", ""))


def roles(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return finance.role_totals(conn)


def doctor(engine) -> list[str]:
    with engine.connect() as conn:
        return finance.check_invariants(conn) + inventory.check_invariants(conn)


def counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (journal_entry, journal_line, account_balance)
        )


@pytest.mark.skipif(not GEN.exists(), reason="shared/workload is missing")
def test_a_replayed_workload_books_revenue_and_cogs_equal_to_its_summary(engine, tmp_path):
    path = tmp_path / "w.jsonl"
    with path.open("w") as f:
        subprocess.run(
            [sys.executable, str(GEN), "--seed", "5", "--orders", "400", "--warehouses", "3"],
            stdout=f,
            check=True,
        )
    got = replay.run(engine, path, console=Console(file=io.StringIO()))
    books = roles(engine)
    assert -books["revenue"] == parse_money(got["revenue"])
    assert books["cogs"] == parse_money(got["cogs"])
    assert books["inventory"] == parse_money(got["inventory_value"])
    assert books["shrinkage"] == parse_money(got["shrinkage"])
    assert -books["grni"] == parse_money(got["received_value"])
    assert doctor(engine) == []


def test_a_shipment_posts_revenue_vat_and_cost_in_its_own_transaction(engine):
    setup_master(engine)
    receive(engine, "AVG-1", 10, 600)
    with uow(engine) as u:
        finance.update_settings(u, default_tax_rate_bp=1300)
    order(engine, "SO-1", [("AVG-1", 2, 11300)])
    assert roles(engine)["revenue"] == 0  # an order is not yet a sale
    ship(engine, "SO-1")
    books = roles(engine)
    assert books["revenue"] == -20000 and books["output_vat"] == -2600  # 226.00 incl. 13 % VAT
    assert books["clearing"] == 22600  # the channel holds the buyer's money until it settles
    assert books["cogs"] == 1200 and books["inventory"] == 10 * 600 - 1200
    with uow(engine) as u:
        (entry,) = [e for e in finance.list_entries(u, source_type="sales_order")["items"]]
        detail = finance.entry_detail(u, entry["id"])
    assert detail["source_ref"] == "SO-1" and detail["status"] == "posted"
    assert sum(ln["debit_cents"] for ln in detail["lines"]) == sum(
        ln["credit_cents"] for ln in detail["lines"]
    )
    assert {ln["party_name"] for ln in detail["lines"] if ln["party_type"] == "channel"} == {"小程序"}
    assert doctor(engine) == []


def test_a_return_gives_back_revenue_and_cost(engine):
    setup_master(engine)
    receive(engine, "FIFO-1", 5, 1000)
    order(engine, "SO-1", [("FIFO-1", 3, 2500)])
    ship(engine, "SO-1")
    from omnistock.orders import service as orders

    with uow(engine) as u:
        orders.return_order(u, ref="SO-1", lines=[orders.ReturnLineIn("FIFO-1", 1)])
    books = roles(engine)
    assert books["revenue"] == -5000 and books["cogs"] == 2000 and books["clearing"] == 5000
    assert books["inventory"] == 3000
    assert doctor(engine) == []


def test_a_backdated_receipt_revalues_cost_of_goods_in_the_books(engine):
    setup_master(engine)
    t0 = dt.datetime(2026, 3, 1, 8)
    receive(engine, "AVG-1", 2, 1000, at=t0)
    order(engine, "SO-1", [("AVG-1", 2, 3000)], at=t0 + dt.timedelta(days=2))
    ship(engine, "SO-1", at=t0 + dt.timedelta(days=2))
    assert roles(engine)["cogs"] == 2000
    receive(engine, "AVG-1", 2, 2000, at=t0 + dt.timedelta(days=1))  # before the shipment
    books = roles(engine)
    assert books["cogs"] == 3000  # the shipment took the average of 10 and 20 after all
    assert books["inventory"] == 3000
    assert doctor(engine) == []


def test_stock_counts_and_adjustments_post_to_losses_and_gains(engine):
    setup_master(engine)
    receive(engine, "AVG-1", 10, 300)
    with uow(engine) as u:
        inventory.count(u, ref="CNT-1", warehouse="WH-A", lines=[inventory.CountLine("AVG-1", 8)])
    assert roles(engine)["shrinkage"] == 600
    assert roles(engine)["inventory"] == 2400
    assert doctor(engine) == []


def _entry(u, day, lines):
    return finance.create_entry(
        u, date=day, memo="房租", lines=[finance.EntryLineIn(a, d, c) for a, d, c in lines]
    )


def test_a_manual_entry_waits_for_approval_by_someone_else(engine):
    clerk = Actor(
        user_id=7,
        username="clerk",
        permissions=frozenset({"finance.account.read", "finance.entry.create", "finance.entry.approve"}),
    )
    today = business_date(utcnow())
    with uow(engine) as u:
        u.actor = clerk
        e = _entry(u, today, [("6602", 500000, 0), ("1002", 0, 500000)])
    assert e["status"] == "pending" and counts(engine)[2] == 0
    with pytest.raises(AppError) as err, uow(engine) as u:
        u.actor = clerk
        finance.approve_entry(u, e["id"])
    assert err.value.code == "auth.forbidden"
    with uow(engine) as u:
        posted = finance.approve_entry(u, e["id"])
    assert posted["status"] == "posted" and posted["approved_by"] == SYSTEM.username
    with engine.connect() as conn:
        assert finance.account_totals(conn)["6602"] == 500000
    with uow(engine) as u:
        rev = finance.reverse_entry(u, e["id"])
    with engine.connect() as conn:
        assert finance.account_totals(conn)["6602"] == 0
    assert rev["reverses_id"] == e["id"]
    assert doctor(engine) == []


@pytest.mark.parametrize(
    "lines, code",
    [
        ([("6602", 100, 0), ("1002", 0, 99)], "finance.unbalanced"),
        ([("6602", 100, 0)], "finance.too_few_lines"),
        ([("6602", 100, 100), ("1002", 0, 0)], "finance.one_side"),
        ([("9999", 100, 0), ("1002", 0, 100)], "finance.unknown_account"),
        ([("6601", 100, 0), ("1002", 0, 100)], "finance.account_not_postable"),  # has sub-accounts
        ([("6602", -5, 0), ("1002", 0, -5)], "finance.bad_amount"),
    ],
)
def test_a_bad_manual_entry_is_refused_and_writes_nothing(engine, lines, code):
    before = counts(engine)
    with pytest.raises(AppError) as err, uow(engine) as u:
        _entry(u, business_date(utcnow()), lines)
    assert err.value.code == code
    assert counts(engine) == before


def test_a_closed_period_refuses_postings_from_documents_and_by_hand(engine):
    setup_master(engine)
    receive(engine, "AVG-1", 10, 300, at=dt.datetime(2026, 1, 10, 4))
    with uow(engine) as u:
        assert finance.close_period(u, "2026-01") == {"closed_through": "2026-01"}
    before = counts(engine)
    with pytest.raises(AppError) as err:
        receive(engine, "AVG-1", 1, 300, at=dt.datetime(2026, 1, 20, 4))
    assert err.value.code == "finance.period_closed"
    with pytest.raises(AppError) as err, uow(engine) as u:
        _entry(u, dt.date(2026, 1, 31), [("6602", 100, 0), ("1002", 0, 100)])
    assert err.value.code == "finance.period_closed"
    assert counts(engine) == before
    with uow(engine) as u:
        inv_before = inventory.totals(u.conn)["on_hand_total"]
    assert inv_before == 10  # the refused receipt left no stock either
    receive(engine, "AVG-1", 1, 300, at=dt.datetime(2026, 2, 2, 4))  # the next period is open
    with uow(engine) as u:
        assert finance.reopen_period(u) == {"closed_through": None}
    receive(engine, "AVG-1", 1, 300, at=dt.datetime(2026, 1, 20, 4))
    assert doctor(engine) == []


def test_trial_balance_and_ledgers_read_what_was_posted(engine):
    setup_master(engine)
    receive(engine, "AVG-1", 10, 300, at=dt.datetime(2026, 1, 10, 4))
    order(engine, "SO-1", [("AVG-1", 4, 1000)], at=dt.datetime(2026, 2, 3, 4))
    ship(engine, "SO-1", at=dt.datetime(2026, 2, 3, 5))
    with uow(engine) as u:
        tb = finance.trial_balance(u, from_period="2026-02", to_period="2026-02")
        rows = {r["code"]: r for r in tb["rows"]}
        assert tb["balanced"]
        assert rows["1405"]["opening_debit"] == 3000 and rows["1405"]["credit"] == 1200
        assert rows["1405"]["closing_debit"] == 1800
        assert rows["6001"]["credit"] == 4000 and rows["1221"]["debit"] == 4000  # parent sums its child
        gl = finance.general_ledger(u, account_code="1405", from_period="2026-01", to_period="2026-02")
        assert gl["opening"] == 0 and [p["balance"] for p in gl["periods"]] == [3000, 1800]
        detail = finance.account_detail(u, account_code="6001", from_period="2026-01", to_period="2026-12")
        assert [(ln["source_ref"], ln["credit"], ln["balance"]) for ln in detail["lines"]] == [
            ("SO-1", 4000, 4000)
        ]
        with pytest.raises(AppError) as err:
            finance.trial_balance(u, from_period="2026-03", to_period="2026-02")
        assert err.value.code == "finance.bad_period_range"


def test_posting_accounts_can_be_changed_for_later_postings(engine):
    setup_master(engine)
    with uow(engine) as u:
        finance.create_account(u, code="600101", name="主营业务收入-小程序", parent_code="6001")
    with pytest.raises(AppError) as err, uow(engine) as u:
        finance.set_posting_account(u, "revenue", "6001")  # now a parent
    assert err.value.code == "finance.account_not_postable"
    with uow(engine) as u:
        finance.set_posting_account(u, "revenue", "600101")
    receive(engine, "AVG-1", 1, 300)
    order(engine, "SO-1", [("AVG-1", 1, 1000)])
    ship(engine, "SO-1")
    with engine.connect() as conn:
        assert finance.account_totals(conn)["600101"] == -1000
    assert doctor(engine) == []


def test_doctor_names_a_tampered_balance(engine):
    setup_master(engine)
    receive(engine, "AVG-1", 1, 300)
    with engine.begin() as conn:
        conn.execute(account_balance.update().values(debit_cents=account_balance.c.debit_cents + 1))
    problems = doctor(engine)
    assert any("account_balance" in p for p in problems)
    assert any("inventory account" in p for p in problems)


def test_a_distributor_order_sold_on_account_becomes_a_receivable_when_it_ships(admin, engine):
    from omnistock.finance.models import open_item, party_terms
    from omnistock.orders import service as orders
    from tests.orders.pool_helpers import ORD, body, setup_pool

    setup_pool(engine)
    with uow(engine) as u:
        orders.create_channel(u, code="DIST", name="分销商渠道", kind="distributor")
    r = admin.post(ORD, json=body("D-1", channel="DIST", payments=[]))
    assert r.status_code == 201 and r.json()["status"] == "allocated", r.text
    ref = r.json()["ref"]
    from omnistock.orders.models import sales_order

    with engine.begin() as conn:
        customer_id = conn.execute(
            select(sales_order.c.customer_id).where(sales_order.c.ref == ref)
        ).scalar_one()
        conn.execute(party_terms.insert().values(party_type="customer", party_id=customer_id, credit_days=30))
    assert admin.post(f"{ORD}/{ref}/ship", json={}).status_code == 200
    books = roles(engine)
    assert books["ar"] == 4000 and books["clearing"] == 0 and books["revenue"] == -4000
    with engine.connect() as conn:
        item = conn.execute(select(open_item)).one()
    assert item.kind == "ar" and item.amount_cents == 4000 and item.ref == ref
    assert (item.due_date - item.doc_date).days == 30
    assert doctor(engine) == []
