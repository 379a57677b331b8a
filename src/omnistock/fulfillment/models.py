"""Fulfilment tables: carriers and their accounts, courier rules, tracking-number pools, waves
and the orders in them, picks, shipments (parcels) and returns received at the warehouse.

Orders and warehouses are referred to by id (their areas own them); the order's ref is kept on
the rows people search by.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from omnistock.platform.audit import Json
from omnistock.platform.db import BigId, metadata

carrier = Table(
    "carrier",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

carrier_account = Table(
    "carrier_account",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("carrier_id", BigInteger, ForeignKey("carrier.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

courier_rule = Table(
    "courier_rule",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("account_id", BigInteger, ForeignKey("carrier_account.id"), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("provinces", Json, nullable=False),  # [] = anywhere
    Column("cities", Json, nullable=False),
    Column("min_weight_g", Integer, nullable=False),
    Column("max_weight_g", Integer),
    Column("first_weight_g", Integer, nullable=False),
    Column("first_fee_cents", BigInteger, nullable=False),
    Column("extra_unit_g", Integer, nullable=False),
    Column("extra_fee_cents", BigInteger, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# The numbers a carrier account was given (面单号池); a number is used by one parcel, ever.
tracking_number = Table(
    "tracking_number",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", BigInteger, ForeignKey("carrier_account.id"), nullable=False),
    Column("number", String(40), nullable=False, unique=True),
    Column("shipment_id", BigInteger),  # None while unused
    Column("created_at", DateTime, nullable=False),
    Column("used_at", DateTime),
    Index("ix_tracking_number_free", "account_id", "shipment_id", "id"),
)

# The courier an allocated order goes with: chosen by the rules or set by hand (an override).
order_courier = Table(
    "order_courier",
    metadata,
    Column("order_id", BigInteger, primary_key=True),
    Column("account_id", BigInteger, ForeignKey("carrier_account.id"), nullable=False),
    Column("rule_id", BigInteger),  # None: chosen by hand
    Column("rule_label", String(120), nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

wave = Table(
    "wave",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ref", String(32), nullable=False, unique=True),
    Column("warehouse_id", BigInteger, nullable=False),
    Column("account_id", BigInteger, ForeignKey("carrier_account.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64)),
    Column("released_at", DateTime),
    Column("picked_at", DateTime),
    Column("done_at", DateTime),
    Index("ix_wave_status", "status", "created_at"),
)

# An order in a wave. ``order_id`` is unique: two waves never take the same order. An order sent
# back by a short pick leaves its wave (the short is kept in ``short_pick``).
wave_order = Table(
    "wave_order",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("wave_id", BigInteger, ForeignKey("wave.id"), nullable=False),
    Column("order_id", BigInteger, nullable=False, unique=True),
    Column("order_ref", String(64), nullable=False),
    Column("slot", Integer, nullable=False),  # 格口: where its goods are put after picking
    Column("status", String(16), nullable=False),
    Index("ix_wave_order_wave", "wave_id", "slot"),
    Index("ix_wave_order_status", "status"),
)

# What a wave needs of each SKU (and batch) and what the picker confirmed.
wave_pick = Table(
    "wave_pick",
    metadata,
    Column("wave_id", BigInteger, ForeignKey("wave.id"), primary_key=True),
    Column("sku_id", BigInteger, primary_key=True),
    Column("lot_no", String(64), primary_key=True),  # '' for SKUs without batches
    Column("bin_code", String(32)),
    Column("needed", Integer, nullable=False),
    Column("picked", Integer),  # None until confirmed
)

short_pick = Table(
    "short_pick",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("wave_id", BigInteger, ForeignKey("wave.id"), nullable=False),
    Column("order_id", BigInteger, nullable=False),
    Column("order_ref", String(64), nullable=False),
    Column("sku_id", BigInteger, nullable=False),
    Column("needed", Integer, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("by", String(64)),
    Index("ix_short_pick_wave", "wave_id"),
)

# A parcel: packed at the pack station, then shipped with its tracking number.
shipment = Table(
    "shipment",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", BigInteger, nullable=False, unique=True),
    Column("order_ref", String(64), nullable=False),
    Column("wave_id", BigInteger, ForeignKey("wave.id"), nullable=False),
    Column("warehouse_id", BigInteger, nullable=False),
    Column("account_id", BigInteger, ForeignKey("carrier_account.id"), nullable=False),
    Column("rule_id", BigInteger),
    Column("rule_label", String(120), nullable=False),
    Column("weight_g", Integer, nullable=False),
    Column("fee_cents", BigInteger, nullable=False),
    Column("items", Json, nullable=False),  # [{sku, qty, serials}]
    Column("status", String(16), nullable=False),  # packed | shipped
    Column("tracking_no", String(40), unique=True),
    Column("packed_at", DateTime, nullable=False),
    Column("packed_by", String(64)),
    Column("shipped_at", DateTime),
    Column("shipped_by", String(64)),
    Index("ix_shipment_status", "status", "packed_at"),
)

# A return received at the warehouse (售后入库): each line restocked or written off as defective.
return_intake = Table(
    "return_intake",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ref", String(80), nullable=False, unique=True),  # the order's return ref (…-R1)
    Column("order_id", BigInteger, nullable=False),
    Column("order_ref", String(64), nullable=False),
    Column("warehouse_id", BigInteger, nullable=False),
    Column("refund_cents", BigInteger, nullable=False),
    Column("lines", Json, nullable=False),  # [{sku, qty, disposition, serials, cost_cents}]
    Column("writeoff_ref", String(64)),  # the adjustment writing defective units off
    Column("note", String(200)),
    Column("at", DateTime, nullable=False),
    Column("by", String(64)),
    Index("ix_return_intake_order", "order_id"),
    Index("ix_return_intake_at", "at"),
)
