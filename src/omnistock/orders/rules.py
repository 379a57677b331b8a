"""Pure order rules: the state machine as data, and line money."""

from __future__ import annotations

ALLOCATED = "allocated"  # accepted; its stock is reserved in one warehouse
REJECTED = "rejected"  # out of stock when it arrived; recorded, nothing reserved
SHIPPED = "shipped"
CANCELLED = "cancelled"

TRANSITIONS: dict[str, set[str]] = {
    ALLOCATED: {SHIPPED, CANCELLED},
    REJECTED: set(),
    SHIPPED: set(),
    CANCELLED: set(),
}

CHANNEL_KINDS = (
    "wechat_mini",
    "community_group",
    "live_stream",
    "distributor",
    "offline_store",
    "marketplace",
    "other",
)


def sources(target: str) -> set[str]:
    """The states an order may move to ``target`` from."""
    return {s for s, targets in TRANSITIONS.items() if target in targets}


def line_revenue(qty: int, unit_price_cents: int) -> int:
    return qty * unit_price_cents
