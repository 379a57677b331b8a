from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from omnistock.platform.db import BigId, metadata

channel = Table(
    "channel",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(24), nullable=False, default="other"),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
)

customer = Table(
    "customer",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("phone", String(32)),
    Column("created_at", DateTime, nullable=False),
    Index("ix_customer_phone", "phone"),
)

sales_order = Table(
    "sales_order",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ref", String(64), nullable=False, unique=True),
    Column("channel_id", BigInteger, ForeignKey("channel.id"), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customer.id"), nullable=False),
    Column("warehouse_id", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reject_reason", String(200)),
    Column("ordered_at", DateTime, nullable=False),
    Column("shipped_at", DateTime),
    Column("closed_at", DateTime),
    Column("total_cents", BigInteger, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_sales_order_status", "status", "ordered_at"),
)

sales_order_line = Table(
    "sales_order_line",
    metadata,
    Column("order_id", BigInteger, ForeignKey("sales_order.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku_id", BigInteger, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("unit_price_cents", BigInteger, nullable=False),
    Column("revenue_cents", BigInteger, nullable=False),
    Column("returned_qty", BigInteger, nullable=False, default=0),
    Column("returned_revenue_cents", BigInteger, nullable=False, default=0),
    # A bundle (组合套餐) sold is stored as its components' lines, each naming the bundle and how
    # many bundles were sold; the bundle's revenue is split over them by list price.
    Column("bundle_sku_id", BigInteger),
    Column("bundle_qty", BigInteger),
    CheckConstraint("qty > 0", name="qty"),
    CheckConstraint("returned_qty >= 0 AND returned_qty <= qty", name="returned"),
    sqlite_with_rowid=False,
)

sales_return = Table(
    "sales_return",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", BigInteger, ForeignKey("sales_order.id"), nullable=False),
    Column("ref", String(64), nullable=False, unique=True),
    Column("at", DateTime, nullable=False),
    Column("refund_cents", BigInteger, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_sales_return_order", "order_id"),
)

sales_return_line = Table(
    "sales_return_line",
    metadata,
    Column("return_id", BigInteger, ForeignKey("sales_return.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("qty", BigInteger, nullable=False),
    Column("revenue_cents", BigInteger, nullable=False),
    # Its cost of goods lives in the stock ledger only (re-valued with back-dated documents).
)
