"""Profit tables: each channel's fee rates, and the per-order and per-line profit facts kept in
the transaction of every shipment, return, parcel and re-valuation (``finance.profit``). Reports
aggregate the facts, never the orders or the ledger. Money is integer cents."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)

from omnistock.platform.db import metadata

# Estimated fees of a channel, in basis points of what the buyer paid (150 = 1.5 %).
profit_channel_rate = Table(
    "profit_channel_rate",
    metadata,
    Column("channel_id", BigInteger, ForeignKey("channel.id"), primary_key=True),
    Column("commission_bp", Integer, nullable=False),
    Column("payment_fee_bp", Integer, nullable=False),
    Column("distributor_bp", Integer, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(64), nullable=False),
    CheckConstraint(
        "commission_bp BETWEEN 0 AND 10000 AND payment_fee_bp BETWEEN 0 AND 10000 "
        "AND distributor_bp BETWEEN 0 AND 10000",
        name="rates",
    ),
)


def _amounts() -> list[Column]:
    return [
        Column("revenue", BigInteger, nullable=False),  # goods after discounts, net of returns
        Column("shipping_income", BigInteger, nullable=False),
        Column("cogs", BigInteger, nullable=False),
        Column("commission", BigInteger, nullable=False),
        Column("payment_fee", BigInteger, nullable=False),
        Column("shipping_cost", BigInteger, nullable=False),
        Column("promotion", BigInteger, nullable=False),
        Column("distributor_commission", BigInteger, nullable=False),
    ]


# One row per shipped order. ``day``/``month``: the shipment's business date; returns and
# re-valuations change the order's row (profit per order, not per period of the change).
order_profit = Table(
    "order_profit",
    metadata,
    Column("order_id", BigInteger, primary_key=True),
    Column("ref", String(64), nullable=False),
    Column("channel_id", BigInteger, nullable=False),
    Column("customer_id", BigInteger, nullable=False),
    Column("warehouse_id", BigInteger),
    Column("day", Date, nullable=False),
    Column("month", String(7), nullable=False),
    *_amounts(),
    Column("returned_revenue", BigInteger, nullable=False),
    Column("discount", BigInteger, nullable=False),  # line and order discounts (already off revenue)
    Column("commission_bp", Integer, nullable=False),  # the rates the estimates were made with
    Column("payment_fee_bp", Integer, nullable=False),
    Column("distributor_bp", Integer, nullable=False),
    Index("ix_order_profit_day", "day"),
    Index("ix_order_profit_ref", "ref"),
    Index("ix_order_profit_channel", "channel_id", "day"),
    Index("ix_order_profit_customer", "customer_id", "day"),
)

# One row per order line (a SKU appears once per order), with its share of the order's amounts.
# Keyed (and on SQLite stored: WITHOUT ROWID) by SKU first, so that profit by SKU reads the table
# in key order, one pass with no sort and no lookups.
order_line_profit = Table(
    "order_line_profit",
    metadata,
    Column("sku_id", BigInteger, nullable=False),
    Column("order_id", BigInteger, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("channel_id", BigInteger, nullable=False),
    Column("warehouse_id", BigInteger),
    Column("day", Date, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("returned_qty", BigInteger, nullable=False),
    *_amounts(),
    PrimaryKeyConstraint("sku_id", "order_id"),
    Index("ix_order_line_profit_order", "order_id"),
    Index("ix_order_line_profit_day", "day"),
    sqlite_with_rowid=False,
)

# The order's tags (campaigns: 双11, 直播 …) as they were when it shipped: the promotion dimension.
order_profit_tag = Table(
    "order_profit_tag",
    metadata,
    Column("order_id", BigInteger, primary_key=True),
    Column("tag", String(32), primary_key=True),
    Index("ix_order_profit_tag_tag", "tag", "order_id"),
)
