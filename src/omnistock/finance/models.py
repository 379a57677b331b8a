"""Finance tables: the chart of accounts, the journal and its per-period account totals, the
accounting periods' close, tax rates, and the open items of receivables and payables with what
was paid against them. Money is integer cents."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
    true,
)

from omnistock.platform.audit import Json
from omnistock.platform.db import BigId, metadata

# The chart of accounts (会计科目). ``kind`` decides the side an account's balance is normally on
# (asset, cost, expense: debit; liability, equity, revenue: credit).
account = Table(
    "account",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("name_en", String(100), nullable=False, server_default=""),
    Column("kind", String(12), nullable=False),  # asset | liability | equity | cost | revenue | expense
    Column("parent_id", BigInteger, ForeignKey("account.id")),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("system", Boolean, nullable=False, server_default=false()),  # seeded: may be renamed, not deleted
    Column("created_at", DateTime, nullable=False),
)

# Which account each kind of automatic posting uses (库存商品 for "inventory", …): editable.
posting_account = Table(
    "posting_account",
    metadata,
    Column("role", String(32), primary_key=True),
    Column("account_id", BigInteger, ForeignKey("account.id"), nullable=False),
)

# A journal entry (记账凭证). Automatic ones are posted by the business event named by
# ``source_type``/``source_id``; manual ones wait for approval (draft → pending → posted, or
# rejected). Only posted entries count in balances.
journal_entry = Table(
    "journal_entry",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("date", Date, nullable=False),
    Column("period", String(7), nullable=False),  # YYYY-MM
    Column("status", String(10), nullable=False),  # posted | pending | rejected
    Column("source_type", String(32), nullable=False),  # manual | sales_order | stock_document | …
    Column("source_id", BigInteger),
    Column("source_ref", String(64)),
    Column("memo", String(200)),
    Column("total_cents", BigInteger, nullable=False),  # Σ debit = Σ credit
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("approved_at", DateTime),
    Column("approved_by", String(64)),
    Column("reverses_id", BigInteger, ForeignKey("journal_entry.id")),
    Index("ix_journal_entry_period", "period", "id"),
    Index("ix_journal_entry_source", "source_type", "source_id"),
    Index("ix_journal_entry_status", "status"),
)

# Party columns name who an amount is owed by or to: a customer, a supplier or a channel.
journal_line = Table(
    "journal_line",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("entry_id", BigInteger, ForeignKey("journal_entry.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("account_id", BigInteger, ForeignKey("account.id"), nullable=False),
    Column("debit_cents", BigInteger, nullable=False),
    Column("credit_cents", BigInteger, nullable=False),
    Column("party_type", String(10)),
    Column("party_id", BigInteger),
    Column("memo", String(200)),
    CheckConstraint(
        "debit_cents >= 0 AND credit_cents >= 0 AND (debit_cents = 0 OR credit_cents = 0)", name="one_side"
    ),
    UniqueConstraint("entry_id", "line_no", name="uq_journal_line_no"),
    Index("ix_journal_line_account", "account_id", "entry_id"),
)

# Posted totals per account and period, kept in the posting's transaction: the trial balance and
# the general ledger read these, never the journal's lines. ``omnistock doctor`` proves they
# equal the lines.
account_balance = Table(
    "account_balance",
    metadata,
    Column("account_id", BigInteger, ForeignKey("account.id"), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("debit_cents", BigInteger, nullable=False),
    Column("credit_cents", BigInteger, nullable=False),
)

finance_setting = Table(
    "finance_setting",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Json, nullable=False),
)

# Output VAT rate of a SKU's sales, in basis points (1300 = 13 %); the default rate is a setting.
sku_tax_rate = Table(
    "sku_tax_rate",
    metadata,
    Column("sku_id", BigInteger, ForeignKey("sku.id"), primary_key=True),
    Column("rate_bp", Integer, nullable=False),
    CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate"),
)

# Credit terms of a customer (B2B, distributors) or a supplier: days until due, credit limit.
party_terms = Table(
    "party_terms",
    metadata,
    Column("party_type", String(10), primary_key=True),  # customer | supplier
    Column("party_id", BigInteger, primary_key=True),
    Column("credit_days", Integer, nullable=False),
    Column("credit_limit_cents", BigInteger),
    CheckConstraint("credit_days >= 0 AND credit_days <= 3650", name="days"),
)

# An open item (往来明细): an amount a customer owes us (ar) or we owe a supplier (ap), from the
# document that created it, due on a date. Negative amounts are credit notes (a return refunded
# on account). ``settled_cents`` is what payments and credit notes have taken off it.
open_item = Table(
    "open_item",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(2), nullable=False),  # ar | ap
    Column("party_type", String(10), nullable=False),
    Column("party_id", BigInteger, nullable=False),
    Column("source_type", String(32), nullable=False),
    Column("source_id", BigInteger, nullable=False),
    Column("ref", String(64), nullable=False),
    Column("entry_id", BigInteger, ForeignKey("journal_entry.id")),
    Column("doc_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("settled_cents", BigInteger, nullable=False, server_default="0"),
    Column("status", String(8), nullable=False),  # open | settled
    Column("reminded", Json),  # reminders already sent: ["before:2026-11-30", "overdue:2026-12-01"]
    Column("created_at", DateTime, nullable=False),
    Index("ix_open_item_party", "kind", "party_type", "party_id", "status"),
    Index("ix_open_item_due", "status", "due_date"),
    Index("ix_open_item_source", "source_type", "source_id"),
)

# Money in (a customer's payment) or out (paid to a supplier), through a cash or bank account.
payment = Table(
    "payment",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(2), nullable=False),  # ar (received) | ap (paid)
    Column("party_type", String(10), nullable=False),
    Column("party_id", BigInteger, nullable=False),
    Column("account_id", BigInteger, ForeignKey("account.id"), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("date", Date, nullable=False),
    Column("ref", String(64), nullable=False),
    Column("memo", String(200)),
    Column("entry_id", BigInteger, ForeignKey("journal_entry.id")),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    CheckConstraint("amount_cents > 0", name="positive"),
    UniqueConstraint("kind", "ref", name="uq_payment_ref"),
)

payment_allocation = Table(
    "payment_allocation",
    metadata,
    Column("payment_id", BigInteger, ForeignKey("payment.id"), primary_key=True),
    Column("open_item_id", BigInteger, ForeignKey("open_item.id"), primary_key=True),
    Column("amount_cents", BigInteger, nullable=False),
    CheckConstraint("amount_cents > 0", name="positive"),
    Index("ix_payment_allocation_item", "open_item_id"),
)
