"""Stock tables. ``stock_move`` is the append-only ledger; ``stock_balance`` changes only in the
same transaction as a ledger row (or, for ``reserved``, a reservation row); ``cost_pool`` holds
each SKU's current valuation layers and every move records the valuation after it, so a
back-dated document re-values one SKU from its date forward without replaying history.

``lot_id`` 0 means "no batch". A batch-tracked SKU keeps its stock per ``lot`` (balances,
reservations and ledger rows carry the lot); a serial-tracked SKU keeps its stock at lot 0 and
every unit is a ``serial_unit`` whose moves are linked to ledger rows by ``stock_move_serial``.
"""

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
)

from omnistock.platform.audit import Json
from omnistock.platform.db import BigId, metadata

warehouse = Table(
    "warehouse",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
)

stock_balance = Table(
    "stock_balance",
    metadata,
    # Keyed SKU first: "this SKU in every warehouse" is the common question.
    Column("sku_id", BigInteger, ForeignKey("sku.id"), primary_key=True),
    Column("warehouse_id", BigInteger, ForeignKey("warehouse.id"), primary_key=True),
    Column("lot_id", BigInteger, primary_key=True, default=0),
    Column("on_hand", BigInteger, nullable=False, default=0),
    Column("reserved", BigInteger, nullable=False, default=0),
    CheckConstraint("on_hand >= 0", name="on_hand"),
    CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved"),
    sqlite_with_rowid=False,
)

# Stock documents of the inventory area: receipts, transfers, stocktakes and adjustments.
stock_document = Table(
    "stock_document",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("ref", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("warehouse_id", BigInteger, ForeignKey("warehouse.id"), nullable=False),
    Column("to_warehouse_id", BigInteger, ForeignKey("warehouse.id")),
    Column("at", DateTime, nullable=False),
    Column("partner", String(64)),
    Column("reason", String(32)),
    Column("note", String(500)),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    UniqueConstraint("kind", "ref", name="uq_stock_document_kind_ref"),
    CheckConstraint("kind IN ('receipt', 'transfer', 'count', 'adjustment')", name="kind"),
    Index("ix_stock_document_at", "kind", "at"),
)

stock_document_line = Table(
    "stock_document_line",
    metadata,
    Column("document_id", BigInteger, ForeignKey("stock_document.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),  # signed for adjustments; the difference for counts
    Column("unit_cost_cents", BigInteger),  # receipts
    Column("counted", BigInteger),  # counts
    Column("on_hand_before", BigInteger),  # counts
)

stock_move = Table(
    "stock_move",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("warehouse_id", BigInteger, ForeignKey("warehouse.id"), nullable=False),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("lot_id", BigInteger, nullable=False, default=0),
    Column("kind", String(16), nullable=False),
    Column("qty", BigInteger, nullable=False),  # signed: + in, - out
    Column("value_cents", BigInteger, nullable=False),  # signed change of the SKU's inventory value
    # The document line this stock belongs to. A return carries its sales line, so the line's
    # net cost of goods is minus the sum of its moves' values.
    Column("doc_type", String(24), nullable=False),
    Column("doc_id", BigInteger, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("ref", String(64), nullable=False),  # the document number people see
    Column("reason", String(32)),
    # The SKU's valuation after this move, in (at, id) order.
    Column("pool_qty", BigInteger, nullable=False),
    Column("pool_value", BigInteger, nullable=False),
    Column("layers", Json),  # FIFO only: [[qty, value], ...] oldest first
    Column("posted_at", DateTime, nullable=False),
    CheckConstraint("qty <> 0", name="qty"),
    Index("ix_stock_move_sku_at", "sku_id", "at", "id"),
    Index("ix_stock_move_doc", "doc_type", "doc_id", "line_no"),
)

# Units shipped per warehouse, SKU, day (UTC) and document type: kept by the ledger in the same
# transaction as each shipment row (so it always equals the ledger's shipments; `doctor` checks),
# read by replenishment planning instead of millions of ledger rows.
shipped_daily = Table(
    "shipped_daily",
    metadata,
    Column("warehouse_id", BigInteger, primary_key=True),
    Column("sku_id", BigInteger, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("doc_type", String(24), primary_key=True),
    Column("qty", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# One row per SKU that ever had stock: its current valuation.
cost_pool = Table(
    "cost_pool",
    metadata,
    Column("sku_id", BigId, ForeignKey("sku.id"), primary_key=True, autoincrement=False),
    Column("qty", BigInteger, nullable=False),
    Column("value_cents", BigInteger, nullable=False),
    Column("layers", Json),  # FIFO layers [[qty, value], ...]; None for average
    Column("last_receipt_unit_cents", BigInteger, nullable=False, default=0),
    Column("last_at", DateTime, nullable=False),  # the latest move's time: older means back-dated
    Column("version", BigInteger, nullable=False, default=1),  # bumped by every change
    CheckConstraint("qty >= 0", name="qty"),
    CheckConstraint("value_cents >= 0", name="value"),
)

reservation = Table(
    "reservation",
    metadata,
    # Keyed by the document line it belongs to: found, consumed or released by that key alone.
    Column("doc_type", String(24), primary_key=True),
    Column("doc_id", BigInteger, primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("warehouse_id", BigInteger, ForeignKey("warehouse.id"), primary_key=True),
    Column("lot_id", BigInteger, primary_key=True, default=0),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("state", String(10), nullable=False),  # open -> consumed | released, exactly once
    Column("created_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
    CheckConstraint("qty > 0", name="qty"),
    CheckConstraint("state IN ('open', 'consumed', 'released')", name="state"),
    sqlite_with_rowid=False,
)

# Batches (批次) of batch-tracked SKUs: what the supplier printed, when made, when it expires.
lot = Table(
    "lot",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("lot_no", String(64), nullable=False),
    Column("supplier_lot_no", String(64)),
    Column("production_date", Date),
    Column("expiry_date", Date),
    Column("blocked", Boolean, nullable=False, default=False),  # quality hold: not available
    Column("block_reason", String(200)),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("sku_id", "lot_no", name="uq_lot_sku_lot_no"),
    CheckConstraint(
        "expiry_date IS NULL OR production_date IS NULL OR expiry_date >= production_date", name="dates"
    ),
    Index("ix_lot_expiry", "expiry_date"),
)

# One row per unit of a serial-tracked SKU (SN/唯一码): where it is now.
serial_unit = Table(
    "serial_unit",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("serial_no", String(64), nullable=False),
    Column("status", String(12), nullable=False),  # in_stock | shipped | removed
    Column("warehouse_id", BigInteger, ForeignKey("warehouse.id")),  # set while in stock
    # The document holding the unit in stock (a quality hold, e.g. "purchase_hold:12"): while set
    # the unit cannot leave (ship, transfer, adjust out, return) until the holder releases it.
    Column("hold_ref", String(64)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("sku_id", "serial_no", name="uq_serial_unit_sku_serial"),
    CheckConstraint("status IN ('in_stock', 'shipped', 'removed')", name="status"),
    CheckConstraint("(status = 'in_stock') = (warehouse_id IS NOT NULL)", name="where"),
    Index("ix_serial_unit_serial_no", "serial_no"),
)

# Which units each ledger row moved: the trace of a serial number is its rows here.
stock_move_serial = Table(
    "stock_move_serial",
    metadata,
    Column("serial_id", BigInteger, ForeignKey("serial_unit.id"), primary_key=True),
    Column("move_id", BigInteger, ForeignKey("stock_move.id"), primary_key=True),
    sqlite_with_rowid=False,
)

# Stock alerts seen by the last scan (``inventory.alerts.scan``): one row while a condition lasts,
# deleted when it clears, so a condition is notified once each time it appears.
stock_alert = Table(
    "stock_alert",
    metadata,
    Column("kind", String(24), primary_key=True),
    Column("warehouse_id", BigInteger, ForeignKey("warehouse.id"), primary_key=True),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), primary_key=True),
    Column("lot_id", BigInteger, primary_key=True, default=0),
    Column("first_seen_at", DateTime, nullable=False),
    sqlite_with_rowid=False,
)

# Two-step transfers (调拨单): draft -> shipped (goods in transit) -> done, or draft -> cancelled.
# Stock in transit sits in the system warehouse ``rules.TRANSIT_WAREHOUSE``; each ledger row there
# carries its transfer order line, so a line's in-transit quantity is also Σ of those rows.
transfer_order = Table(
    "transfer_order",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ref", String(64), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("from_warehouse_id", BigInteger, ForeignKey("warehouse.id"), nullable=False),
    Column("to_warehouse_id", BigInteger, ForeignKey("warehouse.id"), nullable=False),
    Column("note", String(500)),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("shipped_at", DateTime),
    Column("shipped_by", String(64)),
    Column("received_at", DateTime),
    Column("received_by", String(64)),
    Column("closed_at", DateTime),  # done or cancelled
    CheckConstraint("status IN ('draft', 'shipped', 'done', 'cancelled')", name="status"),
    CheckConstraint("from_warehouse_id <> to_warehouse_id", name="warehouses"),
    Index("ix_transfer_order_status", "status", "id"),
)

transfer_order_line = Table(
    "transfer_order_line",
    metadata,
    Column("order_id", BigInteger, ForeignKey("transfer_order.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),  # planned; all of it leaves on shipping
    Column("shipped", BigInteger, nullable=False, default=0),
    Column("received", BigInteger, nullable=False, default=0),
    Column("lost", BigInteger, nullable=False, default=0),  # shipped but never arrived
    CheckConstraint("qty > 0", name="qty"),
    CheckConstraint(
        "shipped >= 0 AND received >= 0 AND lost >= 0 AND received + lost <= shipped", name="received"
    ),
    UniqueConstraint("order_id", "sku_id", name="uq_transfer_order_line_sku"),
    sqlite_with_rowid=False,
)

# Stocktake count sheets (盘点单): open -> counting -> (recount) -> posted, or cancelled. The book
# on-hand of each line is snapshotted when the sheet is made; posting applies counted − snapshot
# to the current on-hand through a ``count`` stock document (see ``inventory.stocktakes``).
stocktake = Table(
    "stocktake",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ref", String(64), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("warehouse_id", BigInteger, ForeignKey("warehouse.id"), nullable=False),
    Column("scope", Json, nullable=False),  # {"kind": "all"} | {"kind": "skus", "skus": [...]}
    Column("blind", Boolean, nullable=False, default=False),  # counters do not see the book
    Column("round", Integer, nullable=False, default=1),  # 2 once lines were sent to recount
    Column("note", String(500)),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("posted_at", DateTime),
    Column("posted_by", String(64)),
    Column("closed_at", DateTime),  # posted or cancelled
    Column("count_document_id", BigInteger, ForeignKey("stock_document.id")),
    CheckConstraint("status IN ('open', 'counting', 'recount', 'posted', 'cancelled')", name="status"),
    CheckConstraint("round IN (1, 2)", name="round"),
    Index("ix_stocktake_status", "status", "id"),
)

stocktake_line = Table(
    "stocktake_line",
    metadata,
    Column("stocktake_id", BigInteger, ForeignKey("stocktake.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), nullable=False),
    Column("lot_id", BigInteger, nullable=False, default=0),  # a batch-tracked SKU is counted per batch
    Column("book_qty", BigInteger, nullable=False),  # on-hand at the snapshot (0 for a line added by a scan)
    Column("added", Boolean, nullable=False, default=False),  # added while counting, not in the snapshot
    Column("counted1", BigInteger),  # first round
    Column("counted2", BigInteger),  # second round (recount)
    Column("recount", Boolean, nullable=False, default=False),
    Column("counted_at", DateTime),
    Column("counted_by", String(64)),
    # Filled when the sheet is posted:
    Column("on_hand_at_post", BigInteger),
    Column("posted_qty", BigInteger),  # the on-hand the line set: on_hand_at_post + difference
    Column("value_cents", BigInteger),  # the difference's value by the costing rules
    CheckConstraint("counted1 >= 0 AND counted2 >= 0", name="counted"),
    UniqueConstraint("stocktake_id", "sku_id", "lot_id", name="uq_stocktake_line_sku"),
    sqlite_with_rowid=False,
)

# Where a SKU is kept in a warehouse (库位): its bin code, e.g. "A-01-03" (aisle, rack, level).
# Stocktake sheets can cover a run of bins ("A-01" counts every bin starting with it) and list
# their lines in bin order, the order someone walks the shelves.
sku_bin = Table(
    "sku_bin",
    metadata,
    Column("warehouse_id", BigInteger, ForeignKey("warehouse.id"), primary_key=True),
    Column("sku_id", BigInteger, ForeignKey("sku.id"), primary_key=True),
    Column("bin_code", String(32), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_sku_bin_code", "warehouse_id", "bin_code"),
    sqlite_with_rowid=False,
)
