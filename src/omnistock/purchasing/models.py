"""Purchasing tables: suppliers and what they supply, purchase orders, receipts against them
(with quality hold and landed costs), supplier returns, the received-not-billed accrual and
supplier bills. Money is integer cents, quantities integers."""

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
    true,
)

from omnistock.platform.audit import Json
from omnistock.platform.db import BigId, metadata

supplier = Table(
    "supplier",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("contact_name", String(100)),
    Column("phone", String(40)),
    Column("email", String(200)),
    Column("address", String(500)),
    Column("lead_time_days", Integer, nullable=False, server_default="7"),
    Column("payment_terms", String(100)),
    Column("currency", String(3), nullable=False, server_default="CNY"),
    # Over-receipt allowed, in percent of the ordered quantity; None: the global setting.
    Column("tolerance_pct", Integer),
    Column("active", Boolean, nullable=False, server_default=true()),
)

# The SKUs a supplier supplies, at their price, minimum order quantity and pack size.
supplier_sku = Table(
    "supplier_sku",
    metadata,
    Column("supplier_id", BigInteger, ForeignKey("supplier.id"), primary_key=True),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), primary_key=True),
    Column("supplier_sku_code", String(64)),
    Column("price_cents", BigInteger, nullable=False),
    Column("moq", Integer, nullable=False, default=1),
    Column("pack_size", Integer, nullable=False, default=1),
    Column("preferred", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint("price_cents >= 0 AND moq >= 1 AND pack_size >= 1", name="terms"),
    Index("ix_supplier_sku_sku", "sku_id"),
)

# Every price a supplier quoted (supplier SKU set) or was ordered at (purchase order approved).
supplier_price_history = Table(
    "supplier_price_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("supplier_id", BigInteger, ForeignKey("supplier.id"), nullable=False),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("price_cents", BigInteger, nullable=False),
    Column("source", String(16), nullable=False),  # quote | order
    Column("ref", String(64)),
    Column("at", DateTime, nullable=False),
    Index("ix_supplier_price_history_sku", "sku_id", "supplier_id", "at"),
)

# Purchasing settings: receiving tolerance and approval thresholds (key -> JSON value).
purchasing_setting = Table(
    "purchasing_setting",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Json, nullable=False),
)

purchase_order = Table(
    "purchase_order",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ref", String(64), nullable=False, unique=True),
    Column("supplier_id", BigInteger, ForeignKey("supplier.id"), nullable=False),
    Column("warehouse_id", BigInteger, ForeignKey("warehouse.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("expected_date", Date),
    Column("note", String(500)),
    Column("source", String(16), nullable=False),  # manual | replenishment
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("submitted_at", DateTime),
    Column("approved_at", DateTime),
    Column("approved_by", String(64)),
    Column("sent_at", DateTime),
    Column("closed_at", DateTime),  # received-and-closed, closed short or cancelled
    Index("ix_purchase_order_status", "status", "id"),
    Index("ix_purchase_order_supplier", "supplier_id", "id"),
)

purchase_order_line = Table(
    "purchase_order_line",
    metadata,
    Column("order_id", BigInteger, ForeignKey("purchase_order.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("price_cents", BigInteger, nullable=False),
    Column("received", BigInteger, nullable=False, default=0),
    Column("billed", BigInteger, nullable=False, default=0),
    CheckConstraint("qty > 0 AND price_cents >= 0 AND received >= 0 AND billed >= 0", name="amounts"),
    Index("ix_purchase_order_line_sku", "sku_id"),
)

# A request to buy (采购申请): someone needs a SKU in a warehouse; a purchaser turns open requests
# into draft purchase orders (one per preferred supplier and warehouse) or rejects them.
purchase_request = Table(
    "purchase_request",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ref", String(64), nullable=False, unique=True),
    Column("warehouse_id", BigInteger, ForeignKey("warehouse.id"), nullable=False),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("needed_by", Date),
    Column("reason", String(200)),
    Column("status", String(10), nullable=False),  # open | ordered | rejected
    Column("order_id", BigInteger, ForeignKey("purchase_order.id")),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("closed_at", DateTime),
    Column("closed_by", String(64)),
    CheckConstraint("qty > 0", name="qty"),
    Index("ix_purchase_request_status", "status", "id"),
)

purchase_receipt = Table(
    "purchase_receipt",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ref", String(64), nullable=False, unique=True),  # also the inventory receipt's number
    Column("order_id", BigInteger, ForeignKey("purchase_order.id"), nullable=False),
    Column("stock_document_id", BigInteger, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("freight_cents", BigInteger, nullable=False, default=0),
    Column("duty_cents", BigInteger, nullable=False, default=0),
    Column("allocation", String(8), nullable=False),  # value | qty
    Column("created_by", String(64), nullable=False),
    Index("ix_purchase_receipt_order", "order_id"),
)

purchase_receipt_line = Table(
    "purchase_receipt_line",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("receipt_id", BigInteger, ForeignKey("purchase_receipt.id"), nullable=False),
    Column("line_no", Integer, nullable=False),  # the inventory receipt's line number
    Column("order_line_no", Integer, nullable=False),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("price_cents", BigInteger, nullable=False),  # the order's unit price
    Column("landed_cents", BigInteger, nullable=False),  # freight and duty this line carries
    Column("value_cents", BigInteger, nullable=False),  # qty × price + landed: the stock value in
    Column("lot_no", String(64)),
    Column("serials", Json),  # serial-tracked SKUs: the numbers received
    # Quality hold: none | held (on hand, not available) | released | rejected (returned)
    Column("hold", String(10), nullable=False),
    Column("hold_closed_at", DateTime),
    Column("hold_closed_by", String(64)),
    UniqueConstraint("receipt_id", "line_no", name="uq_purchase_receipt_line"),
    Index("ix_purchase_receipt_line_hold", "hold"),
)

supplier_return = Table(
    "supplier_return",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ref", String(64), nullable=False, unique=True),
    Column("supplier_id", BigInteger, ForeignKey("supplier.id"), nullable=False),
    Column("warehouse_id", BigInteger, ForeignKey("warehouse.id"), nullable=False),
    Column("order_id", BigInteger, ForeignKey("purchase_order.id")),
    Column("reason", String(200)),
    Column("value_cents", BigInteger, nullable=False),  # stock value taken out, at cost
    Column("at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
)

supplier_return_line = Table(
    "supplier_return_line",
    metadata,
    Column("return_id", BigInteger, ForeignKey("supplier_return.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("value_cents", BigInteger, nullable=False),
    Column("receipt_line_id", BigInteger, ForeignKey("purchase_receipt_line.id")),
)

# Goods received, not yet billed: a row per receipt line at the order price; a return to the
# supplier of goods of an order takes it back with a negative row.
purchase_accrual = Table(
    "purchase_accrual",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("supplier_id", BigInteger, ForeignKey("supplier.id"), nullable=False),
    Column("order_id", BigInteger, ForeignKey("purchase_order.id"), nullable=False),
    Column("order_line_no", Integer, nullable=False),
    Column("receipt_line_id", BigInteger, ForeignKey("purchase_receipt_line.id")),
    Column("return_id", BigInteger, ForeignKey("supplier_return.id")),
    Column("qty", BigInteger, nullable=False),  # signed
    Column("amount_cents", BigInteger, nullable=False),  # signed
    Column("at", DateTime, nullable=False),
    Index("ix_purchase_accrual_order", "order_id", "order_line_no"),
)

supplier_bill = Table(
    "supplier_bill",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("supplier_id", BigInteger, ForeignKey("supplier.id"), nullable=False),
    Column("bill_no", String(64), nullable=False),  # the supplier's invoice number
    Column("order_id", BigInteger, ForeignKey("purchase_order.id"), nullable=False),
    Column("status", String(12), nullable=False),  # matched | difference | approved
    Column("total_cents", BigInteger, nullable=False),
    Column("bill_date", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("approved_at", DateTime),
    Column("approved_by", String(64)),
    UniqueConstraint("supplier_id", "bill_no", name="uq_supplier_bill_no"),
)

supplier_bill_line = Table(
    "supplier_bill_line",
    metadata,
    Column("bill_id", BigInteger, ForeignKey("supplier_bill.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("order_line_no", Integer, nullable=False),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("price_cents", BigInteger, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("po_price_cents", BigInteger, nullable=False),
    Column("unbilled_received", BigInteger, nullable=False),  # at the time of the bill
    Column("price_diff_cents", BigInteger, nullable=False),
    Column("qty_diff", BigInteger, nullable=False),
    Column("flags", String(20), nullable=False),  # comma-separated: price, qty
)
