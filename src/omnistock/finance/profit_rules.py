"""Pure profit rules (standard library only): what an order earned, line by line, to the cent.

An order's profit is

    revenue (goods after discounts, net of returns) + shipping charged
    − cost of goods − platform commission − payment fee − courier cost
    − promotion (coupons and points the seller pays for) − distributor commission.

Order-level amounts (shipping charged, fees, courier cost, promotion) are shared over the order's
lines by their revenue (``allocate``: largest remainder, so the lines add up to the order exactly).
Platform commission, payment fee and distributor commission are *estimates*: the channel's rates
(basis points) of what the buyer paid, net of refunds (``estimate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from omnistock.finance.rules import PAYMENT_ROLE

MAX_BP = 10000  # 100 %
# Payment methods that are the seller's own promotion cost (券, 积分): the journal books them so too.
PROMOTION_METHODS = frozenset(m for m, role in PAYMENT_ROLE.items() if role == "promotion")

# The parts of an order's profit, in the waterfall's order: (key, sign, 中文, English).
COMPONENTS: tuple[tuple[str, int, str, str], ...] = (
    ("revenue", +1, "商品收入", "Revenue"),
    ("shipping_income", +1, "运费收入", "Shipping charged"),
    ("cogs", -1, "销售成本", "Cost of goods"),
    ("commission", -1, "平台佣金（估算）", "Platform commission (estimated)"),
    ("payment_fee", -1, "支付手续费（估算）", "Payment fee (estimated)"),
    ("shipping_cost", -1, "快递费", "Courier cost"),
    ("promotion", -1, "推广费（券、积分）", "Promotion (coupons, points)"),
    ("distributor_commission", -1, "分销佣金（估算）", "Distributor commission (estimated)"),
)
KEYS = tuple(k for k, *_ in COMPONENTS)
# The order-level amounts shared over an order's lines.
SHARED = (
    "shipping_income",
    "commission",
    "payment_fee",
    "shipping_cost",
    "promotion",
    "distributor_commission",
)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` cents (any sign) over parts in proportion to non-negative ``weights``:
    each part ``total·w/W`` rounded toward zero, the cents left over one each to the largest
    remainders (ties: the earlier part). Σ parts == total exactly. With ``W == 0`` the parts are
    weighted equally; with no parts there is nothing to split (``total`` must then be 0)."""
    n = len(weights)
    if n == 0:
        if total:
            raise ValueError("cannot allocate a non-zero amount over no parts")
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if total < 0:
        return [-p for p in allocate(-total, weights)]
    ws = list(weights) if sum(weights) else [1] * n
    whole = sum(ws)
    parts = [total * w // whole for w in ws]
    left = total - sum(parts)
    order = sorted(range(n), key=lambda i: (-(total * ws[i] % whole), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def estimate(amount: int, rate_bp: int) -> int:
    """``rate_bp`` basis points of ``amount`` cents, rounded half away from zero."""
    sign = -1 if amount < 0 else 1
    return sign * ((2 * abs(amount) * rate_bp + MAX_BP) // (2 * MAX_BP))


def margin_bp(profit: int, revenue: int) -> int | None:
    """Profit as basis points of revenue (2150 = 21.50 %), rounded half away from zero; None
    without revenue."""
    if revenue == 0:
        return None
    num, den = profit * MAX_BP, revenue
    sign = -1 if (num < 0) != (den < 0) else 1
    return sign * ((2 * abs(num) + abs(den)) // (2 * abs(den)))


def profit_of(parts: dict[str, int]) -> int:
    """The profit of a set of components (missing ones are 0)."""
    return sum(sign * parts.get(key, 0) for key, sign, *_ in COMPONENTS)


def good_rate(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_BP


@dataclass(frozen=True)
class Rates:
    """A channel's fee rates in basis points of what the buyer paid."""

    commission_bp: int = 0
    payment_fee_bp: int = 0
    distributor_bp: int = 0


@dataclass(frozen=True)
class LineIn:
    sku_id: int
    line_no: int
    qty: int
    revenue: int  # after discounts
    cogs: int = 0


@dataclass
class Facts:
    """One order's profit components, and each line's share of them (same keys)."""

    order: dict[str, int]
    lines: list[dict[str, int]] = field(default_factory=list)

    @property
    def profit(self) -> int:
        return profit_of(self.order)


def fees(base: int, rates: Rates) -> dict[str, int]:
    """The estimated fees of an order whose buyer paid ``base`` cents (net of refunds)."""
    return {
        "commission": estimate(base, rates.commission_bp),
        "payment_fee": estimate(base, rates.payment_fee_bp),
        "distributor_commission": estimate(base, rates.distributor_bp),
    }


def order_facts(
    lines: Sequence[LineIn],
    *,
    shipping_income: int,
    payments: Sequence[tuple[str, int]],
    shipping_cost: int,
    rates: Rates,
) -> Facts:
    """The facts of a shipped order: fees estimated on what the buyer pays (goods + shipping),
    promotion = the coupon and points payments, order-level amounts shared over the lines by
    revenue."""
    revenue = sum(ln.revenue for ln in lines)
    order = {
        "revenue": revenue,
        "shipping_income": shipping_income,
        "cogs": sum(ln.cogs for ln in lines),
        "shipping_cost": shipping_cost,
        "promotion": sum(amount for method, amount in payments if method in PROMOTION_METHODS),
        **fees(revenue + shipping_income, rates),
    }
    weights = [max(ln.revenue, 0) for ln in lines]
    shares = {key: allocate(order[key], weights) for key in SHARED}
    out = []
    for i, ln in enumerate(lines):
        row = {"revenue": ln.revenue, "cogs": ln.cogs}
        row.update({key: shares[key][i] for key in SHARED})
        out.append(row)
    return Facts(order, out)


def return_fee_changes(
    *, base_before: int, refund: int, fees_before: dict[str, int], rates: Rates
) -> dict[str, int]:
    """How the estimated fees change when ``refund`` cents of an order that was paid
    ``base_before`` (net of earlier refunds) is given back: re-estimated on what is left."""
    after = fees(base_before - refund, rates)
    return {key: after[key] - fees_before.get(key, 0) for key in after}


@dataclass(frozen=True)
class Step:
    key: str
    zh: str
    en: str
    amount: int  # signed: what the step adds to the profit
    running: int  # the profit after this step


def waterfall(parts: dict[str, int]) -> list[Step]:
    """Revenue → … → profit: each component's signed effect and the running total."""
    running, steps = 0, []
    for key, sign, zh, en in COMPONENTS:
        amount = sign * parts.get(key, 0)
        running += amount
        steps.append(Step(key, zh, en, amount, running))
    return steps
