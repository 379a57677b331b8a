"""What an incoming order says, whatever channel it came from (pure dataclasses).

Every way an order arrives — the REST API, an Excel/CSV import, a channel's webhook — is turned
into one ``IntakeOrder`` first; the order service takes only this. Money is integer cents,
quantities integer pieces; validation of the values themselves happens in the service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

PAYMENT_METHODS = ("wechat_pay", "alipay", "bank_card", "balance", "points", "coupon")
PAYMENT_NAMES_ZH = {
    "wechat_pay": "微信支付",
    "alipay": "支付宝",
    "bank_card": "银行卡",
    "balance": "余额",
    "points": "积分",
    "coupon": "优惠券",
}


@dataclass(frozen=True)
class Address:
    """A Chinese delivery address (收货地址)."""

    receiver: str
    phone: str
    province: str
    city: str
    district: str
    detail: str


@dataclass(frozen=True)
class Buyer:
    """Who bought: ``external_id`` is the buyer's id on the channel (openid, member id, …)."""

    name: str
    phone: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class IntakeLine:
    sku: str  # SKU code or barcode
    qty: int
    unit_price_cents: int
    discount_cents: int = 0  # off this line


@dataclass(frozen=True)
class Payment:
    method: str  # one of PAYMENT_METHODS
    amount_cents: int
    paid_at: dt.datetime | None = None
    txn_ref: str | None = None  # the payment provider's transaction number


@dataclass(frozen=True)
class IntakeOrder:
    channel: str  # channel code
    external_ref: str | None  # the channel's order number; None when typed in by hand
    buyer: Buyer
    lines: tuple[IntakeLine, ...]
    address: Address | None = None
    discount_cents: int = 0  # order-level discount, shared over the lines by their amounts
    shipping_fee_cents: int = 0
    payments: tuple[Payment, ...] = ()
    buyer_remark: str = ""
    seller_memo: str = ""
    ship_after: dt.date | None = None  # presale (预售): not to ship before this day
    tags: tuple[str, ...] = field(default_factory=tuple)
    ordered_at: dt.datetime | None = None
    warehouse: str | None = None  # a warehouse the order must ship from (skips routing)
    ref: str | None = None  # our order number; generated when None
    customer: str | None = None  # an existing customer's code (orders typed in for a known customer)
