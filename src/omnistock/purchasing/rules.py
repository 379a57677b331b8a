"""Pure purchasing rules (standard library only): the purchase-order state machine as data,
approval thresholds, receiving tolerance, landed-cost allocation and the 3-way bill match.

Money is integer cents and quantities are integers; nothing here rounds through a float.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# -- purchase-order states ----------------------------------------------------------------------
DRAFT = "draft"
SUBMITTED = "submitted"
APPROVED = "approved"
SENT = "sent"
PARTIAL = "partially_received"
RECEIVED = "received"
CLOSED = "closed"
CANCELLED = "cancelled"

STATES = (DRAFT, SUBMITTED, APPROVED, SENT, PARTIAL, RECEIVED, CLOSED, CANCELLED)

# A submitted order sent back by its approver (rejected) is a draft again. Goods may arrive once
# an order is approved; a partly received order can be closed short (the rest is not coming).
TRANSITIONS: dict[str, set[str]] = {
    DRAFT: {SUBMITTED, CANCELLED},
    SUBMITTED: {APPROVED, DRAFT, CANCELLED},
    APPROVED: {SENT, PARTIAL, RECEIVED, CANCELLED},
    SENT: {PARTIAL, RECEIVED, CANCELLED},
    PARTIAL: {PARTIAL, RECEIVED, CLOSED},
    RECEIVED: {CLOSED},
    CLOSED: set(),
    CANCELLED: set(),
}

RECEIVABLE = (APPROVED, SENT, PARTIAL)

STATE_LABELS = {
    DRAFT: ("草稿", "draft"),
    SUBMITTED: ("待审批", "submitted"),
    APPROVED: ("已审批", "approved"),
    SENT: ("已下发", "sent"),
    PARTIAL: ("部分到货", "partially received"),
    RECEIVED: ("已到货", "received"),
    CLOSED: ("已关闭", "closed"),
    CANCELLED: ("已取消", "cancelled"),
}


def sources(target: str, transitions: dict[str, set[str]] = TRANSITIONS) -> set[str]:
    """The states an order may move to ``target`` from."""
    return {s for s, targets in transitions.items() if target in targets}


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, set())


# Purchase requests: open until ordered (turned into a draft order) or rejected, exactly once.
REQUEST_OPEN = "open"
REQUEST_ORDERED = "ordered"
REQUEST_REJECTED = "rejected"
REQUEST_TRANSITIONS: dict[str, set[str]] = {
    REQUEST_OPEN: {REQUEST_ORDERED, REQUEST_REJECTED},
    REQUEST_ORDERED: set(),
    REQUEST_REJECTED: set(),
}

# -- approval -------------------------------------------------------------------------------------
APPROVE = "purchasing.po.approve"
APPROVE_LARGE = "purchasing.po.approve_large"
APPROVE_OWN = "purchasing.po.approve_own"

# (amount from, in cents → the permission an approver needs); the highest threshold reached wins.
DEFAULT_THRESHOLDS: tuple[tuple[int, str], ...] = ((0, APPROVE), (5_000_000, APPROVE_LARGE))


def required_permission(amount_cents: int, thresholds: Sequence[tuple[int, str]]) -> str:
    """The permission approving an order of ``amount_cents`` needs."""
    needed = APPROVE
    for start, permission in sorted(thresholds):
        if amount_cents >= start:
            needed = permission
    return needed


def check_thresholds(thresholds: object) -> str | None:
    """Why a thresholds setting is unusable, or None."""
    if not isinstance(thresholds, list | tuple) or not thresholds:
        return "empty"
    starts = []
    for item in thresholds:
        if not isinstance(item, list | tuple) or len(item) != 2:
            return "shape"
        start, permission = item
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            return "amount"
        if not isinstance(permission, str) or not permission.startswith("purchasing.po.approve"):
            return "permission"
        starts.append(start)
    if len(set(starts)) != len(starts) or 0 not in starts:
        return "starts"
    return None


# -- receiving ------------------------------------------------------------------------------------
MAX_TOLERANCE_PCT = 100


def receivable_limit(ordered: int, tolerance_pct: int) -> int:
    """The most that may ever be received on a line of ``ordered`` pieces: ordered × (1 + tol),
    rounded down to a whole piece."""
    return ordered * (100 + tolerance_pct) // 100


def line_status(ordered: int, received: int) -> str:
    return RECEIVED if received >= ordered else PARTIAL


def order_status_after_receipt(lines: Sequence[tuple[int, int]]) -> str:
    """``lines`` as (ordered, received): received once every line has all it ordered."""
    return RECEIVED if all(r >= q for q, r in lines) else PARTIAL


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` cents over lines in proportion to ``weights`` (their value or quantity),
    summing to ``total`` exactly: each part is ``total·w/W`` rounded down, and the cents left over
    go one each to the largest remainders (ties: the earlier line). All weights 0: split evenly."""
    if total < 0:
        raise ValueError("a landed cost is not negative")
    if not weights:
        return []
    if sum(weights) == 0:
        weights = [1] * len(weights)
    w_total = sum(weights)
    parts = [total * w // w_total for w in weights]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % w_total), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


BY_VALUE = "value"
BY_QTY = "qty"
ALLOCATIONS = (BY_VALUE, BY_QTY)


def landed_shares(total: int, lines: Sequence[tuple[int, int]], by: str) -> list[int]:
    """``lines`` as (qty, goods value cents); the landed cost each line carries."""
    if by not in ALLOCATIONS:
        raise ValueError(by)
    return allocate(total, [v if by == BY_VALUE else q for q, v in lines])


# -- the 3-way match ------------------------------------------------------------------------------
MATCHED = "matched"
DIFFERENCE = "difference"
BILL_APPROVED = "approved"


@dataclass(frozen=True)
class LineMatch:
    price_diff_cents: int  # billed unit price − ordered unit price
    qty_diff: int  # billed quantity − received and not yet billed
    flags: tuple[str, ...]  # "price", "qty"


def match_line(*, po_price: int, billed_price: int, unbilled_received: int, billed_qty: int) -> LineMatch:
    """Compare a bill line with its order line (price) and the goods received (quantity)."""
    flags = []
    if billed_price != po_price:
        flags.append("price")
    if billed_qty != unbilled_received:
        flags.append("qty")
    return LineMatch(billed_price - po_price, billed_qty - unbilled_received, tuple(flags))


def bill_status(matches: Sequence[LineMatch]) -> str:
    return DIFFERENCE if any(m.flags for m in matches) else MATCHED
