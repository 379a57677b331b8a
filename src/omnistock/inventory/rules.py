"""Pure inventory and costing rules (standard library only).

Valuation of one SKU is a list of layers ``[qty, value_cents]``, oldest first, pooled over all
warehouses. FIFO keeps one layer per inflow; the moving weighted average is the same thing with
every inflow merged into a single layer. So one set of rules values both:

* taking ``q`` out of a layer of ``Q`` pieces worth ``V`` is worth ``V`` when ``q == Q``, else
  ``round_half_up(V * q / Q)`` in cents — exact integer arithmetic, never a rounded unit cost;
* an outflow takes from the oldest layers first (there is only one for ``average``);
* a stocktake gain is valued at the newest layer's ``V / Q`` (the pool's, for ``average``), or
  at the last receipt's unit cost when there is no stock at all.
"""

from __future__ import annotations

import datetime as dt

AVERAGE = "average"

# Bounds that keep every product of quantity and unit money inside a 64-bit integer column.
MAX_QTY = 10**9
MAX_UNIT_CENTS = 10**9
FIFO = "fifo"


def share(value: int, total_qty: int, qty: int) -> int:
    """Value of ``qty`` pieces out of ``total_qty`` worth ``value`` cents (half up), exactly."""
    if qty == total_qty:
        return value
    if total_qty <= 0:
        raise ValueError("cannot take from an empty layer")
    num = 2 * value * qty + total_qty
    return num // (2 * total_qty)


class Valuation:
    """The cost state of one SKU: layers ``[qty, value]``, oldest first, with running totals."""

    __slots__ = ("method", "layers", "qty", "value")

    def __init__(self, method: str, layers: list[list[int]] | None = None):
        self.method = method
        self.layers = layers if layers is not None else []
        self.qty = sum(q for q, _ in self.layers)
        self.value = sum(v for _, v in self.layers)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Valuation) and (self.method, self.layers) == (other.method, other.layers)

    def __repr__(self) -> str:
        return f"Valuation({self.method!r}, {self.layers!r})"

    def add(self, qty: int, value: int) -> None:
        """An inflow of ``qty`` pieces worth ``value``: joins the pool, or a new newest layer."""
        if qty <= 0:
            raise ValueError("inflow must be positive")
        if self.method == AVERAGE and self.layers:
            layer = self.layers[0]
            layer[0] += qty
            layer[1] += value
        else:
            self.layers.append([qty, value])
        self.qty += qty
        self.value += value

    def take(self, qty: int) -> int:
        """Take ``qty`` pieces out, oldest layers first; returns their value."""
        if qty <= 0:
            raise ValueError("outflow must be positive")
        if qty > self.qty:
            raise InsufficientValuation(qty, self.qty)
        cost = 0
        left = qty
        layers = self.layers
        while left:
            layer = layers[0]
            q = left if left < layer[0] else layer[0]
            v = share(layer[1], layer[0], q)
            cost += v
            left -= q
            if q == layer[0]:
                layers.pop(0)
            else:
                layer[0] -= q
                layer[1] -= v
        self.qty -= qty
        self.value -= cost
        return cost

    def gain_value(self, qty: int, last_receipt_unit_cents: int) -> int:
        """Value of a stocktake gain of ``qty`` pieces (``d × V / Q`` of the newest layer)."""
        if self.layers:
            q, v = self.layers[-1]
            return (2 * v * qty + q) // (2 * q)
        return qty * last_receipt_unit_cents

    def snapshot(self) -> list[list[int]]:
        return [list(layer) for layer in self.layers]


class InsufficientValuation(Exception):
    def __init__(self, wanted: int, have: int):
        super().__init__(f"take {wanted} of {have}")
        self.wanted = wanted
        self.have = have


# -- move kinds -----------------------------------------------------------------------------
RECEIPT = "receipt"
SHIPMENT = "shipment"
RETURN = "return"
TRANSFER_OUT = "transfer_out"
TRANSFER_IN = "transfer_in"
COUNT_GAIN = "count_gain"
COUNT_LOSS = "count_loss"
ADJUST_IN = "adjust_in"
ADJUST_OUT = "adjust_out"
# Two-step transfers: goods go from the source into the system in-transit location on shipping
# (both rows ``transit_out``), come out of it into the destination on receiving (both rows
# ``transit_in``); what never arrived leaves the in-transit location as ``transit_loss``.
TRANSIT_OUT = "transit_out"
TRANSIT_IN = "transit_in"
TRANSIT_LOSS = "transit_loss"

OUTFLOWS = {SHIPMENT, COUNT_LOSS, ADJUST_OUT, TRANSIT_LOSS}  # value taken from the layers
VALUE_NEUTRAL = {
    TRANSFER_OUT,
    TRANSFER_IN,
    TRANSIT_OUT,
    TRANSIT_IN,
}  # pooled per SKU: moving changes no value
# Kinds whose value is shrinkage (stock lost or found, not bought or sold).
SHRINKAGE = (COUNT_GAIN, COUNT_LOSS, ADJUST_IN, ADJUST_OUT, TRANSIT_LOSS)

# Reasons for a manual adjustment (调整原因).
ADJUST_REASONS = {
    "damaged": ("报损", "Damaged"),
    "lost": ("丢失", "Lost"),
    "found": ("盘盈找回", "Found"),
    "sample": ("样品领用", "Samples"),
    "gift": ("赠品", "Gifts"),
    "internal_use": ("内部领用", "Internal use"),
    "expired": ("过期报废", "Expired"),
    "correction": ("更正", "Correction"),
    "opening": ("期初库存", "Opening balance"),
}


def line_return_share(remaining_qty: int, remaining_value: int, qty: int) -> int:
    """Cost (or revenue) given back by returning ``qty`` of a line with ``remaining_qty`` left."""
    return share(remaining_value, remaining_qty, qty)


def is_positive_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def is_non_negative_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


# -- batches and serial numbers -------------------------------------------------------------------
NONE, BATCH, SERIAL = "none", "batch", "serial"
SERIAL_IN_STOCK, SERIAL_SHIPPED, SERIAL_REMOVED = "in_stock", "shipped", "removed"


def is_expired(expiry: dt.date | None, day: dt.date) -> bool:
    """A batch may be sold on its expiry date, not after."""
    return expiry is not None and expiry < day


def fefo(lots: list[tuple[int, int, dt.date | None]], qty: int) -> list[tuple[int, int]] | None:
    """Allocate ``qty`` over ``lots`` (lot id, free qty, expiry), earliest expiry first, lots
    without an expiry last, then oldest lot first; None when they hold less than ``qty``."""
    out, left = [], qty
    for lot_id, free, _ in sorted(lots, key=lambda x: (x[2] is None, x[2] or dt.date.min, x[0])):
        if free <= 0:
            continue
        take = min(free, left)
        out.append((lot_id, take))
        left -= take
        if not left:
            return out
    return None


def split_value(value: int, parts: list[int]) -> list[int]:
    """``value`` spread over quantities ``parts`` by the take rule, summing exactly to ``value``."""
    out, qty_left, value_left = [], sum(parts), value
    for q in parts:
        v = share(value_left, qty_left, q)
        out.append(v)
        qty_left -= q
        value_left -= v
    return out


def serial_problem(serials: list[str], qty: int) -> str | None:
    """Why a list of scanned serial numbers cannot stand for ``qty`` units, or None."""
    if len(serials) != qty:
        return "count"
    if len(set(serials)) != len(serials):
        return "duplicate"
    if any(not isinstance(s, str) or not s.strip() or len(s) > 64 for s in serials):
        return "format"
    return None


# -- value of a SKU per warehouse ----------------------------------------------------------------
def allocate(value: int, qtys: list[int]) -> list[int]:
    """Split a SKU's pooled ``value`` over warehouses holding ``qtys`` pieces, in proportion to
    quantity, so that the parts add up to ``value`` exactly (largest remainder, in integers).

    Each part is ``value·q/Q`` rounded down (``Q = Σ qtys``); the cents left over go one each to
    the parts with the largest remainders (ties: the larger quantity, then the earlier position).
    A part holding everything gets everything; with ``Q == 0`` every part is 0.
    """
    total = sum(qtys)
    if total == 0:
        return [0] * len(qtys)
    parts = [value * q // total for q in qtys]
    left = value - sum(parts)
    order = sorted(range(len(qtys)), key=lambda i: (-(value * qtys[i] % total), -qtys[i], i))
    for i in order[:left]:
        parts[i] += 1
    return parts


# -- stock alerts --------------------------------------------------------------------------------
# Kinds of stock alert, in the order people look at them. Each is computed by one source query
# per scan (``inventory.alerts``); the batch-based kinds get their source when batches exist.
LOW_STOCK = "low_stock"  # available < the SKU's safety stock, in one warehouse
NEGATIVE_AVAILABLE = "negative_available"  # reserved > on-hand > 0 (must never happen)
RESERVED_NO_STOCK = "reserved_no_stock"  # on-hand 0 with open reservations (must never happen)
NEAR_EXPIRY = "near_expiry"  # a batch with stock expires within NEAR_EXPIRY_DAYS
EXPIRED = "expired"  # a batch with stock is past its expiry date
NEAR_EXPIRY_DAYS = 30

# kind -> (severity, zh, en)
ALERT_KINDS: dict[str, tuple[str, str, str]] = {
    LOW_STOCK: ("warning", "低于安全库存", "Below safety stock"),
    NEGATIVE_AVAILABLE: (
        "critical",
        "可用为负（预占超过在库）",
        "Negative available (reserved above on-hand)",
    ),
    RESERVED_NO_STOCK: ("critical", "零库存仍有预占", "Reserved with no stock on hand"),
    NEAR_EXPIRY: ("warning", "临期", "Near expiry"),
    EXPIRED: ("critical", "已过期", "Expired"),
}


def shortfall(kind: str, on_hand: int, reserved: int, safety_stock: int) -> int:
    """How many pieces the alert is short: up to safety stock for ``low_stock``, up to a
    non-negative available for the reservation kinds; 0 for the rest."""
    available = on_hand - reserved
    if kind == LOW_STOCK:
        return max(safety_stock - available, 0)
    if kind in (NEGATIVE_AVAILABLE, RESERVED_NO_STOCK):
        return max(-available, 0)
    return 0


# -- two-step transfers (调拨单) and stocktake sheets (盘点单): states as data --------------------
# The system warehouse that holds goods in transit. ``create_warehouse`` can never make this code
# (codes start with a letter or digit), and ``warehouse_ref`` refuses it: no document, order or
# reservation can name it; only shipping and receiving a transfer order move stock through it.
TRANSIT_WAREHOUSE = "~TRANSIT"
TRANSIT_WAREHOUSE_NAME = "在途 In transit"

DRAFT = "draft"
SHIPPED = "shipped"  # goods in transit
DONE = "done"
CANCELLED = "cancelled"
TRANSFER_TRANSITIONS: dict[str, set[str]] = {
    DRAFT: {SHIPPED, CANCELLED},
    SHIPPED: {DONE},
    DONE: set(),
    CANCELLED: set(),
}

OPEN = "open"
COUNTING = "counting"
RECOUNT = "recount"
POSTED = "posted"
STOCKTAKE_TRANSITIONS: dict[str, set[str]] = {
    OPEN: {COUNTING, CANCELLED},
    COUNTING: {RECOUNT, POSTED, CANCELLED},
    RECOUNT: {POSTED, CANCELLED},
    POSTED: set(),
    CANCELLED: set(),
}
# States whose sheet takes counts (the first count moves ``open`` to ``counting``).
STOCKTAKE_COUNTABLE = (OPEN, COUNTING, RECOUNT)

STATE_LABELS = {
    DRAFT: ("草稿", "draft"),
    SHIPPED: ("在途", "in transit"),
    DONE: ("已完成", "done"),
    CANCELLED: ("已取消", "cancelled"),
    OPEN: ("待盘点", "open"),
    COUNTING: ("盘点中", "counting"),
    RECOUNT: ("复盘中", "recount"),
    POSTED: ("已过账", "posted"),
}

# What a stocktake sheet covers. Extensible: another kind (say, categories) is one more entry here
# and one more branch where the sheet is created.
SCOPE_ALL = "all"  # every SKU with stock or ever stocked in the warehouse
SCOPE_SKUS = "skus"  # a chosen list of SKUs
SCOPE_CATEGORY = "category"  # the SKUs of a category (and those below it) stocked in the warehouse
SCOPE_BIN = "bin"  # the SKUs kept in bins whose code starts with a prefix, in bin order
STOCKTAKE_SCOPES = (SCOPE_ALL, SCOPE_SKUS, SCOPE_CATEGORY, SCOPE_BIN)


def sources(transitions: dict[str, set[str]], target: str) -> set[str]:
    """The states a document may move to ``target`` from."""
    return {s for s, targets in transitions.items() if target in targets}


def in_transit(shipped: int, received: int, lost: int) -> int:
    return shipped - received - lost


def final_count(counted1: int | None, counted2: int | None, recount: bool) -> int | None:
    """A line's count: the second round's for a line sent to recount and recounted, else the first's."""
    if recount and counted2 is not None:
        return counted2
    return counted1


def stocktake_target(on_hand_now: int, book: int, counted: int) -> int:
    """The on-hand a stocktake line posts (the freeze rule): the counted difference from the book
    snapshot, applied to the current on-hand, so moves posted while counting are kept."""
    return on_hand_now + (counted - book)
