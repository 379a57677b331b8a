"""Channel settlement reconciliation tables: statement templates, imported statements and their
rows with what reconciliation decided and how a person resolved the exceptions. Money is integer
cents, signed as in ``reconcile_rules`` (the change to what the channel owes the merchant)."""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from omnistock.platform.audit import Json
from omnistock.platform.db import BigId, metadata

# A custom column mapping (``statements.StatementTemplate.to_dict()``), the channel it belongs to
# and the cash account its payouts land in (None: by the built-in source it is based on).
settlement_template = Table(
    "settlement_template",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("channel_id", BigInteger, ForeignKey("channel.id")),
    Column("cash_account_id", BigInteger, ForeignKey("account.id")),
    Column("template", Json, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# One imported statement file; the same content (fingerprint) is imported once per channel.
settlement_statement = Table(
    "settlement_statement",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("channel_id", BigInteger, ForeignKey("channel.id"), nullable=False),
    Column("source", String(64), nullable=False),  # the template's name (built in or custom)
    Column("filename", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("cash_account_id", BigInteger, ForeignKey("account.id"), nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("gross_cents", BigInteger, nullable=False),
    Column("fee_cents", BigInteger, nullable=False),
    Column("commission_cents", BigInteger, nullable=False),
    Column("net_cents", BigInteger, nullable=False),
    Column("period_from", DateTime, nullable=False),  # first and last settlement time (UTC)
    Column("period_to", DateTime, nullable=False),
    Column("imported_at", DateTime, nullable=False),
    Column("imported_by", String(64), nullable=False),
    UniqueConstraint("channel_id", "fingerprint", name="uq_settlement_statement_fingerprint"),
    Index("ix_settlement_statement_channel", "channel_id", "id"),
)

# A statement row. ``status``: reconciliation's verdict (``reconcile_rules.STATUSES``);
# ``state``: posted (in the journal), open (an exception waiting for a person), resolved (posted
# after a person's decision) or ignored. ``cleared_cents``: what the row takes off the order's
# channel clearing (the expected amount of a mismatched group on its first row).
settlement_row = Table(
    "settlement_row",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("statement_id", BigInteger, ForeignKey("settlement_statement.id"), nullable=False),
    Column("channel_id", BigInteger, ForeignKey("channel.id"), nullable=False),
    Column("row_no", Integer, nullable=False),
    Column("kind", String(12), nullable=False),
    Column("txn_id", String(100), nullable=False),
    Column("order_ref", String(100), nullable=False),
    Column("trade_no", String(100), nullable=False),
    Column("gross_cents", BigInteger, nullable=False),
    Column("fee_cents", BigInteger, nullable=False),
    Column("commission_cents", BigInteger, nullable=False),
    Column("net_cents", BigInteger, nullable=False),
    Column("settled_at", DateTime, nullable=False),
    Column("dedup_key", String(140), nullable=False),
    Column("status", String(16), nullable=False),
    Column("state", String(10), nullable=False),  # posted | open | resolved | ignored
    Column("order_id", BigInteger),
    Column("difference_cents", BigInteger, nullable=False),
    Column("cleared_cents", BigInteger, nullable=False),
    Column("reason_en", String(400), nullable=False),
    Column("reason_zh", String(400), nullable=False),
    Column("resolution", String(10)),  # accept | link | ignore
    Column("resolution_account_id", BigInteger, ForeignKey("account.id")),
    Column("resolution_note", String(200)),
    Column("resolved_at", DateTime),
    Column("resolved_by", String(64)),
    Column("raw", Json),
    UniqueConstraint("statement_id", "row_no", name="uq_settlement_row_no"),
    Index("ix_settlement_row_dedup", "channel_id", "dedup_key"),
    Index("ix_settlement_row_order", "order_id"),
    Index("ix_settlement_row_state", "state", "id"),
)
