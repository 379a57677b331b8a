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
    text,
)

from omnistock.platform.audit import Json
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
    # Orders pushed by the channel: which adapter reads its webhooks, and the shared secret their
    # signatures are made with (needed in clear to verify an HMAC; never shown again once set).
    Column("adapter", String(16)),
    Column("webhook_secret", String(128)),
    # Shipments written back to the channel: where ``orders.writeback`` POSTs them (signed with
    # the webhook secret); none: nothing is sent.
    Column("writeback_url", String(500)),
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

# One customer across channels: a normalised mobile number names at most one customer (claimed
# with INSERT … ON CONFLICT DO NOTHING, so two orders of a new buyer cannot make two customers),
# and each channel's buyer id points at the customer it belongs to.
customer_phone = Table(
    "customer_phone",
    metadata,
    Column("phone", String(32), primary_key=True),
    Column("customer_id", BigInteger, ForeignKey("customer.id"), nullable=False),
)

customer_identity = Table(
    "customer_identity",
    metadata,
    Column("channel_id", BigInteger, ForeignKey("channel.id"), primary_key=True),
    Column("external_id", String(64), primary_key=True),
    Column("customer_id", BigInteger, ForeignKey("customer.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_customer_identity_customer", "customer_id"),
)

sales_order = Table(
    "sales_order",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ref", String(64), nullable=False, unique=True),
    Column("channel_id", BigInteger, ForeignKey("channel.id"), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customer.id"), nullable=False),
    Column("warehouse_id", BigInteger),  # None until routed
    Column("status", String(16), nullable=False),
    Column("reject_reason", String(200)),
    Column("ordered_at", DateTime, nullable=False),
    Column("shipped_at", DateTime),
    Column("closed_at", DateTime),
    Column("total_cents", BigInteger, nullable=False),  # payable: goods − discounts + shipping
    Column("created_at", DateTime, nullable=False),
    # The channel's own order number: an order is taken once per (channel, external_ref).
    Column("external_ref", String(64)),
    Column("goods_cents", BigInteger, nullable=False, server_default=text("0")),
    Column("discount_cents", BigInteger, nullable=False, server_default=text("0")),  # line + order discounts
    Column("shipping_fee_cents", BigInteger, nullable=False, server_default=text("0")),
    Column("paid_cents", BigInteger, nullable=False, server_default=text("0")),
    Column("paid_at", DateTime),
    Column("receiver_name", String(64)),
    Column("receiver_phone", String(32)),
    Column("province", String(32)),
    Column("city", String(64)),
    Column("district", String(64)),
    Column("address_detail", String(200)),
    Column("address_key", String(300)),  # normalised, for merging and duplicate detection
    Column("buyer_remark", String(500)),
    Column("seller_memo", String(500)),
    Column("ship_after", Date),  # presale: not to ship before this day
    Column("hold_reasons", Json),  # [{code, en, zh}] while on hold (the exception queue)
    Column("route_rule", String(120)),  # the routing rule that chose the warehouse
    Column("split_from_id", BigInteger),
    Column("merged_into_id", BigInteger),
    Column("updated_at", DateTime),
    Index("ix_sales_order_status", "status", "ordered_at"),
    Index("ix_sales_order_ordered", "ordered_at"),
    Index("ix_sales_order_channel", "channel_id", "ordered_at"),
    Index("ix_sales_order_customer", "customer_id", "ordered_at"),
    Index("ix_sales_order_receiver_phone", "receiver_phone"),
    Index("ix_sales_order_external_ref", "external_ref"),
    UniqueConstraint("channel_id", "external_ref", name="uq_sales_order_external"),
)

order_payment = Table(
    "order_payment",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", BigInteger, ForeignKey("sales_order.id"), nullable=False),
    Column("method", String(16), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("paid_at", DateTime, nullable=False),
    Column("txn_ref", String(64)),
    CheckConstraint("amount_cents > 0", name="amount"),
    Index("ix_order_payment_order", "order_id"),
)

order_tag = Table(
    "order_tag",
    metadata,
    Column("order_id", BigInteger, ForeignKey("sales_order.id"), primary_key=True),
    Column("tag", String(32), primary_key=True),
    Index("ix_order_tag_tag", "tag", "order_id"),
)

# Auto-review (智能审单): one row per rule kind, switched on or off, with its parameters.
review_rule = Table(
    "review_rule",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("params", Json, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

blacklist_entry = Table(
    "blacklist_entry",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # buyer | phone | address
    Column("value", String(300), nullable=False),  # normalised
    Column("note", String(200)),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("kind", "value", name="uq_blacklist_entry"),
)

# Warehouse routing: rules tried in priority order; the first warehouse able to fill the order wins.
route_rule = Table(
    "route_rule",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("warehouse_id", BigInteger),
    Column("channels", Json, nullable=False),
    Column("skus", Json, nullable=False),
    Column("provinces", Json, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# Deliveries of channel webhooks already taken (a redelivery returns the order it made).
webhook_delivery = Table(
    "webhook_delivery",
    metadata,
    Column("channel_id", BigInteger, ForeignKey("channel.id"), primary_key=True),
    Column("delivery_id", String(128), primary_key=True),
    Column("order_id", BigInteger, nullable=False),
    Column("received_at", DateTime, nullable=False),
)

order_setting = Table(
    "order_setting",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Json, nullable=False),
)

sales_order_line = Table(
    "sales_order_line",
    metadata,
    Column("order_id", BigInteger, ForeignKey("sales_order.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku_id", BigInteger, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("unit_price_cents", BigInteger, nullable=False),
    Column("revenue_cents", BigInteger, nullable=False),  # qty × price − discount
    Column(
        "discount_cents", BigInteger, nullable=False, server_default=text("0")
    ),  # its own + its order-level share
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
