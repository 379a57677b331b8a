"""Tables of receivables and payables beyond the open items themselves: offsets of credit notes and
advances against open items without money moving, and simple expenses paid at once. Money is
integer cents."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
)

from omnistock.platform.db import BigId, metadata

# Credit notes and advances (negative open items) applied to a party's open items (核销), no money
# moving: Σ of the lines' signed effects is zero.
item_offset = Table(
    "item_offset",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(2), nullable=False),  # ar | ap
    Column("party_type", String(10), nullable=False),
    Column("party_id", BigInteger, nullable=False),
    Column("date", Date, nullable=False),
    Column("memo", String(200)),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Index("ix_item_offset_party", "kind", "party_type", "party_id"),
)

# ``amount_cents`` is taken off the item's open amount (off a credit note's negative one for it).
item_offset_line = Table(
    "item_offset_line",
    metadata,
    Column("offset_id", BigInteger, ForeignKey("item_offset.id"), primary_key=True),
    Column("open_item_id", BigInteger, ForeignKey("open_item.id"), primary_key=True),
    Column("amount_cents", BigInteger, nullable=False),
    CheckConstraint("amount_cents > 0", name="positive"),
    Index("ix_item_offset_line_item", "open_item_id"),
)

# An expense paid at once (日常费用): Dr the expense account, Cr the account it was paid from.
expense = Table(
    "expense",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("date", Date, nullable=False),
    Column("account_id", BigInteger, ForeignKey("account.id"), nullable=False),
    Column("paid_from_id", BigInteger, ForeignKey("account.id"), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("supplier_id", BigInteger),
    Column("memo", String(200)),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    CheckConstraint("amount_cents > 0", name="positive"),
    Index("ix_expense_date", "date", "id"),
)
