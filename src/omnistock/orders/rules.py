"""Pure order rules: the state machine as data, and order money."""

from __future__ import annotations

PENDING_PAYMENT = "pending_payment"  # 待付款: taken, not yet paid in full
PAID = "paid"  # 已付款: paid, about to be reviewed
ON_HOLD = "on_hold"  # 异常: stopped by a review rule, by stock, or by an operator
READY = "ready"  # 待分配: reviewed; waiting for stock or for its ship-after day (presale)
ALLOCATED = "allocated"  # 已分配: its stock is reserved in one warehouse
SHIPPED = "shipped"
COMPLETED = "completed"  # 已完成: received by the buyer
CANCELLED = "cancelled"
CLOSED = "closed"  # 已关闭: ended without shipping (unpaid, or an undone merge)
MERGED = "merged"  # 已合并: its lines moved into a merged order (undo brings it back)
REJECTED = "rejected"  # 拒单: out of stock on arrival and taken no further (workload orders)

TRANSITIONS: dict[str, set[str]] = {
    PENDING_PAYMENT: {PAID, CANCELLED, CLOSED},
    PAID: {ON_HOLD, READY, CANCELLED},
    ON_HOLD: {READY, MERGED, CANCELLED, CLOSED},
    READY: {ALLOCATED, ON_HOLD, MERGED, REJECTED, CANCELLED, CLOSED},
    ALLOCATED: {SHIPPED, READY, ON_HOLD, MERGED, CANCELLED, CLOSED},
    SHIPPED: {COMPLETED},
    COMPLETED: set(),
    CANCELLED: set(),
    CLOSED: set(),
    MERGED: {READY, CLOSED},
    REJECTED: set(),
}

STATUS_NAMES = {
    PENDING_PAYMENT: ("待付款", "Pending payment"),
    PAID: ("已付款", "Paid"),
    ON_HOLD: ("异常", "On hold"),
    READY: ("待分配", "Ready"),
    ALLOCATED: ("已分配", "Allocated"),
    SHIPPED: ("已发货", "Shipped"),
    COMPLETED: ("已完成", "Completed"),
    CANCELLED: ("已取消", "Cancelled"),
    CLOSED: ("已关闭", "Closed"),
    MERGED: ("已合并", "Merged"),
    REJECTED: ("拒单", "Rejected"),
}

UNSHIPPED = (PENDING_PAYMENT, PAID, ON_HOLD, READY, ALLOCATED)  # may still be edited/cancelled
MERGEABLE = (ON_HOLD, READY, ALLOCATED)
RETURNABLE = (SHIPPED, COMPLETED)

CHANNEL_KINDS = (
    "wechat_mini",
    "community_group",
    "live_stream",
    "distributor",
    "offline_store",
    "marketplace",
    "other",
)
# Channels whose orders are sold on account (赊销): a distributor's order is reviewed and allocated
# unpaid, and what it owes becomes a receivable of the customer when it ships.
CREDIT_CHANNEL_KINDS = frozenset({"distributor"})


def cleared_to_ship(paid: int, total: int, channel_kind: str) -> bool:
    """Whether an order may go on to review and allocation: paid in full, or sold on account."""
    return paid >= total or channel_kind in CREDIT_CHANNEL_KINDS


ADAPTERS = ("shopify", "generic")

# What to do with an order no warehouse can fill: put it in the exception queue (the OMS way),
# record it as rejected (the workload's rule), or refuse it with nothing written (flash sales).
ON_SHORT = ("hold", "reject", "refuse")


def sources(target: str) -> set[str]:
    """The states an order may move to ``target`` from."""
    return {s for s, targets in TRANSITIONS.items() if target in targets}


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())


def line_revenue(qty: int, unit_price_cents: int) -> int:
    return qty * unit_price_cents


def payable(goods_cents: int, discount_cents: int, shipping_fee_cents: int) -> int:
    """What the buyer owes: goods − discounts + shipping."""
    return goods_cents - discount_cents + shipping_fee_cents


def spread_discount(discount: int, amounts: list[int]) -> list[int]:
    """An order-level discount shared over the lines in proportion to their amounts, exactly
    (largest remainder; the shares add up to ``discount``)."""
    total = sum(amounts)
    if discount == 0 or total == 0:
        return [0] * len(amounts)
    shares = [discount * a // total for a in amounts]
    rest = discount - sum(shares)
    order = sorted(range(len(amounts)), key=lambda i: (-(discount * amounts[i] % total), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares
