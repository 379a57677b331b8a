"""Channel adapters: a webhook delivery (headers and raw body) checked and read into an ``IntakeOrder``.

Pure functions over bytes and dicts: no database, no HTTP framework. The webhook endpoint
(``POST /api/v1/orders/webhooks/{channel_code}``) looks up the channel, takes its adapter with
``get_adapter(channel.adapter)`` and then, in this order:

1. ``adapter.verify(channel.webhook_secret, request.headers, raw_body, clock.utcnow())`` — raises
   ``Unauthorized`` (401: ``orders.webhook_bad_signature``, ``orders.webhook_stale``) or
   ``Invalid`` (422: ``orders.webhook_topic``);
2. ``adapter.delivery_id(headers)`` — the sender's id of this delivery, for de-duplication;
3. ``adapter.parse(channel.code, raw_body)`` — raises ``Invalid`` (422: ``orders.bad_payload``)
   listing every bad field by its JSON path (``$.line_items[1].sku``).

Money is read exactly into integer cents (JSON numbers are parsed as ``Decimal``, never ``float``;
more than two decimals is refused). Every datetime in the result is naive UTC, as the database
stores them (``platform.clock``); incoming datetimes must carry a UTC offset.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from omnistock.orders.address import normalize_province, province_from_code
from omnistock.orders.intake import PAYMENT_METHODS, Address, Buyer, IntakeLine, IntakeOrder, Payment
from omnistock.platform.clock import to_utc
from omnistock.platform.errors import Invalid, Unauthorized
from omnistock.platform.money import MONEY_RE

MAX_SKEW = dt.timedelta(minutes=5)  # a delivery's timestamp may be this far from now, either way
SHOPIFY_TOPIC = "orders/create"
MAX_ERRORS = 100  # at most this many payload problems are listed in one error


class Adapter(Protocol):
    """One channel's webhook dialect."""

    kind: str

    def verify(self, secret: str, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> None:
        """Raise unless ``body`` was signed with ``secret``, recently, for the right topic."""
        ...

    def delivery_id(self, headers: Mapping[str, str]) -> str | None:
        """The sender's id of this delivery (the same on a re-delivery), if it sends one."""
        ...

    def parse(self, channel_code: str, body: bytes) -> IntakeOrder:
        """The order in ``body``; ``Invalid`` (``orders.bad_payload``) naming every bad field."""
        ...


# ---------------------------------------------------------------------------------------------
# Headers, signatures, errors


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` (case-insensitive), stripped; None when absent or blank."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            text = str(value).strip()
            return text or None
    return None


def _hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def sign_shopify(secret: str, body: bytes) -> str:
    """The ``X-Shopify-Hmac-Sha256`` value of ``body``: base64 of HMAC-SHA256(secret, body)."""
    return base64.b64encode(_hmac_sha256(secret, body)).decode("ascii")


def sign_generic(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The signature headers of a generic delivery sent at ``timestamp`` (unix seconds)."""
    ts = str(int(timestamp))
    digest = _hmac_sha256(secret, ts.encode("ascii") + b"." + body).hex()
    return {"X-OmniStock-Timestamp": ts, "X-OmniStock-Signature": f"sha256={digest}"}


def _bad_signature(en: str, zh: str) -> Unauthorized:
    return Unauthorized(
        "orders.webhook_bad_signature",
        "Webhook signature rejected: {reason}",
        "Webhook 签名校验失败：{reason_zh}",
        reason=en,
        reason_zh=zh,
    )


def _no_secret() -> Unauthorized:
    return _bad_signature("this channel has no webhook secret set", "该渠道未设置 Webhook 密钥，无法校验推送")


def _utc(value: dt.datetime) -> dt.datetime:
    """Naive UTC (naive input is taken to be UTC already, as ``clock.utcnow()`` gives it)."""
    return to_utc(value)


def _check_fresh(sent: dt.datetime, now: dt.datetime, header_name: str, window: dt.timedelta) -> None:
    sent, now = _utc(sent), _utc(now)
    if abs(now - sent) > window:
        raise Unauthorized(
            "orders.webhook_stale",
            "The delivery's {header} ({sent}Z) is more than {seconds} seconds from now ({now}Z): "
            "an old or replayed delivery is refused",
            "推送的 {header}（{sent}Z）与当前时间（{now}Z）相差超过 {seconds} 秒：拒绝过期或重放的推送",
            header=header_name,
            sent=sent.isoformat(timespec="seconds"),
            now=now.isoformat(timespec="seconds"),
            seconds=int(window.total_seconds()),
        )


class _Problems:
    """Payload problems, each at a JSON path (``$.lines[0].qty``); raised together."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, path: str, en: str, zh: str) -> None:
        self.items.append({"path": path, "en": en, "zh": zh})

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        more_en = f" (and {len(self.items) - 1} more problems)" if len(self.items) > 1 else ""
        more_zh = f"（另有 {len(self.items) - 1} 处问题）" if len(self.items) > 1 else ""
        raise Invalid(
            "orders.bad_payload",
            "Bad order payload at {path}: {reason}{more_en}",
            "订单数据有误，位置 {path}：{reason_zh}{more_zh}",
            path=first["path"],
            reason=first["en"],
            reason_zh=first["zh"],
            more_en=more_en,
            more_zh=more_zh,
            count=len(self.items),
            errors=self.items[:MAX_ERRORS],
        )


def _load_json(body: bytes) -> Any:
    """The JSON document in ``body``: numbers with a fraction as ``Decimal``; NaN refused."""

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        return json.loads(body, parse_float=Decimal, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        reason = f"line {exc.lineno} column {exc.colno}: {exc.msg}"
        problems = _Problems()
        problems.add("$", f"not valid JSON ({reason})", f"不是有效的 JSON（{reason}）")
        problems.raise_if_any()
    except (UnicodeDecodeError, ValueError) as exc:
        problems = _Problems()
        problems.add("$", f"not valid JSON ({exc})", f"不是有效的 JSON（{exc}）")
        problems.raise_if_any()


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class _Reader:
    """Typed reads of JSON values; a bad value is recorded as a problem and read as None."""

    def __init__(self, *, money_numbers: bool) -> None:
        self.problems = _Problems()
        self.money_numbers = money_numbers  # whether money may be a JSON number (else strings only)

    def add(self, path: str, en: str, zh: str) -> None:
        self.problems.add(path, en, zh)

    def wrong_type(self, path: str, value: Any, en: str, zh: str) -> None:
        got = _type_name(value)
        self.add(path, f"must be {en} (got {got})", f"必须是{zh}（收到 {got}）")

    def missing(self, path: str) -> None:
        self.add(path, "is required", "必填")

    def obj(self, value: Any, path: str, *, required: bool = True) -> dict[str, Any] | None:
        if value is None:
            if required:
                self.missing(path)
            return None
        if not isinstance(value, dict):
            self.wrong_type(path, value, "an object", "对象")
            return None
        return value

    def array(self, value: Any, path: str, *, required: bool = True) -> list[Any] | None:
        if value is None:
            if required:
                self.missing(path)
            return None
        if not isinstance(value, list):
            self.wrong_type(path, value, "an array", "数组")
            return None
        return value

    def only(self, d: dict[str, Any], path: str, allowed: set[str]) -> None:
        for key in d:
            if key not in allowed:
                self.add(
                    f"{path}.{key}",
                    "unknown field (check its spelling)",
                    "未知字段（请检查拼写）",
                )

    def text(self, value: Any, path: str, *, required: bool = True, ids: bool = False) -> str | None:
        """A string (``ids``: an integer too, as ids often are); blank counts as missing."""
        if ids and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.missing(path)
            return None
        if not isinstance(value, str):
            self.wrong_type(path, value, "a string", "字符串")
            return None
        return value.strip()

    def money(self, value: Any, path: str, *, required: bool = False) -> int | None:
        """Exact integer cents of ``"59.90"`` (or, when allowed, of the JSON number 59.9)."""
        if value is None:
            if required:
                self.missing(path)
            return None
        text: str | None = None
        if isinstance(value, str):
            text = value.strip()
        elif self.money_numbers and isinstance(value, int | Decimal) and not isinstance(value, bool):
            text = str(value)
        if text is None:
            self.wrong_type(path, value, 'an amount string like "59.90"', '形如 "59.90" 的金额字符串')
            return None
        m = MONEY_RE.match(text)
        if m is None:
            shown = repr(value if isinstance(value, str) else text)[:40]
            self.add(
                path,
                f"must be a non-negative amount with at most two decimals, like 59.90 (got {shown})",
                f"必须是最多两位小数的非负金额，如 59.90（收到 {shown}）",
            )
            return None
        return int(m.group(1)) * 100 + int((m.group(2) or "").ljust(2, "0"))

    def qty(self, value: Any, path: str) -> int | None:
        if value is None:
            self.missing(path)
            return None
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)  # 2.0 is a whole number
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, Decimal):
                self.add(path, f"must be a whole number (got {value})", f"必须是整数（收到 {value}）")
            else:
                self.wrong_type(path, value, "a whole number", "整数")
            return None
        if value <= 0:
            self.add(path, f"must be at least 1 (got {value})", f"必须至少为 1（收到 {value}）")
            return None
        return value

    def when(self, value: Any, path: str, *, required: bool = False) -> dt.datetime | None:
        """An ISO-8601 date and time with a UTC offset, as naive UTC."""
        text = self.text(value, path, required=required)
        if text is None:
            return None
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            shown = repr(text)[:40]
            self.add(
                path,
                f"must be an ISO-8601 time with a UTC offset, like 2024-03-01T10:15:00+08:00 (got {shown})",
                f"必须是带时区的 ISO-8601 时间，如 2024-03-01T10:15:00+08:00（收到 {shown}）",
            )
            return None
        return _utc(parsed)

    def day(self, value: Any, path: str) -> dt.date | None:
        text = self.text(value, path, required=False)
        if text is None:
            return None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        shown = repr(text)[:40]
        self.add(
            path,
            f"must be a date like 2024-03-10 (got {shown})",
            f"必须是形如 2024-03-10 的日期（收到 {shown}）",
        )
        return None

    def line_discount_fits(self, path: str, qty: int | None, price: int | None, discount: int) -> None:
        if qty is not None and price is not None and discount > qty * price:
            self.add(
                path,
                "the line discount is more than the line amount (qty × price)",
                "行优惠超过了该行金额（数量 × 单价）",
            )


# ---------------------------------------------------------------------------------------------
# Shopify


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def person_name(first: str | None, last: str | None) -> str:
    """Shopify's first and last name as one: ``"Jane Doe"``, but ``"张三"`` for last 张, first 三."""
    first, last = (first or "").strip(), (last or "").strip()
    if _CJK.search(first + last):
        return last + first
    return " ".join(p for p in (first, last) if p)


def shopify_payment_method(gateways: list[str]) -> str:
    """A Shopify gateway name as one of ``PAYMENT_METHODS``: WeChat Pay, Alipay, else a card."""
    for g in gateways:
        low = g.lower()
        if "wechat" in low or "weixin" in low or "微信" in low:
            return "wechat_pay"
        if "alipay" in low or "支付宝" in low:
            return "alipay"
    return "bank_card"


class ShopifyAdapter:
    """Shopify's ``orders/create`` webhook (the REST order resource, sent as the body)."""

    kind = "shopify"
    max_skew = MAX_SKEW  # how far X-Shopify-Triggered-At may be from now

    def verify(self, secret: str, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> None:
        if not secret:
            raise _no_secret()
        given = header(headers, "X-Shopify-Hmac-Sha256")
        if given is None:
            raise _bad_signature(
                "the X-Shopify-Hmac-Sha256 header is missing", "缺少 X-Shopify-Hmac-Sha256 请求头"
            )
        try:
            given_digest = base64.b64decode(given, validate=True)
        except (binascii.Error, ValueError):
            given_digest = b""
        if not hmac.compare_digest(given_digest, _hmac_sha256(secret, body)):
            raise _bad_signature(
                "X-Shopify-Hmac-Sha256 does not match the body and this channel's secret",
                "X-Shopify-Hmac-Sha256 与请求体及该渠道的密钥不符",
            )
        topic = header(headers, "X-Shopify-Topic")
        if topic != SHOPIFY_TOPIC:
            raise Invalid(
                "orders.webhook_topic",
                "This endpoint takes Shopify orders/create deliveries, not {topic}",
                "此接口只接收 Shopify 的 orders/create 推送，收到的是 {topic}",
                topic=topic or "(none)",
            )
        triggered = header(headers, "X-Shopify-Triggered-At")
        if triggered is not None:
            try:
                sent = dt.datetime.fromisoformat(triggered)
            except ValueError:
                raise _bad_signature(
                    "X-Shopify-Triggered-At is not an ISO-8601 time",
                    "X-Shopify-Triggered-At 不是 ISO-8601 时间",
                ) from None
            if sent.tzinfo is None:
                sent = sent.replace(tzinfo=dt.UTC)
            _check_fresh(sent, now, "X-Shopify-Triggered-At", self.max_skew)

    def delivery_id(self, headers: Mapping[str, str]) -> str | None:
        return header(headers, "X-Shopify-Webhook-Id")

    def parse(self, channel_code: str, body: bytes) -> IntakeOrder:
        doc = _load_json(body)
        r = _Reader(money_numbers=True)
        order = r.obj(doc, "$")
        if order is None:
            r.problems.raise_if_any()
        assert order is not None
        external_ref = r.text(order.get("id"), "$.id", ids=True)
        ordered_at = r.when(order.get("created_at"), "$.created_at", required=True)
        ship = r.obj(order.get("shipping_address"), "$.shipping_address", required=False)
        customer = r.obj(order.get("customer"), "$.customer", required=False)
        billing = r.obj(order.get("billing_address"), "$.billing_address", required=False)

        # Buyer: the customer; a guest checkout falls back to the addresses, then the e-mail.
        cust_name = ""
        cust_phone = cust_id = None
        if customer is not None:
            cust_id = r.text(customer.get("id"), "$.customer.id", required=False, ids=True)
            cust_name = person_name(
                r.text(customer.get("first_name"), "$.customer.first_name", required=False),
                r.text(customer.get("last_name"), "$.customer.last_name", required=False),
            )
            cust_phone = r.text(customer.get("phone"), "$.customer.phone", required=False)
        ship_name = ship_phone = None
        if ship is not None:
            ship_name = r.text(ship.get("name"), "$.shipping_address.name", required=False) or person_name(
                r.text(ship.get("first_name"), "$.shipping_address.first_name", required=False),
                r.text(ship.get("last_name"), "$.shipping_address.last_name", required=False),
            )
            ship_phone = r.text(ship.get("phone"), "$.shipping_address.phone", required=False)
        order_phone = r.text(order.get("phone"), "$.phone", required=False)
        email = r.text(order.get("email"), "$.email", required=False) or r.text(
            order.get("contact_email"), "$.contact_email", required=False
        )
        billing_name = (
            r.text(billing.get("name"), "$.billing_address.name", required=False) if billing else None
        )
        buyer_name = cust_name or ship_name or billing_name or email or ""
        if not buyer_name:
            r.add(
                "$.customer",
                "no buyer name: neither customer, shipping_address, billing_address nor email names one",
                "无法确定买家：customer、shipping_address、billing_address 和 email 中都没有名字",
            )
        buyer_phone = cust_phone or ship_phone or order_phone

        # Address: Shopify has no district (区/县) field; address1 and address2 form the detail.
        address = None
        if ship is not None:
            province = r.text(ship.get("province"), "$.shipping_address.province")
            city = r.text(ship.get("city"), "$.shipping_address.city")
            a1 = r.text(ship.get("address1"), "$.shipping_address.address1")
            a2 = r.text(ship.get("address2"), "$.shipping_address.address2", required=False)
            receiver = ship_name or buyer_name
            phone = ship_phone or buyer_phone
            if not receiver:
                r.missing("$.shipping_address.name")
            if not phone:
                r.missing("$.shipping_address.phone")
            # Shopify spells a Chinese province in English and adds its ISO code: take the
            # Chinese official name when either says which province it is.
            code = ship.get("province_code") if isinstance(ship.get("province_code"), str) else None
            province = normalize_province(province) or province_from_code(code) or province
            if province and city and a1 and receiver and phone:
                detail = f"{a1} {a2}" if a2 else a1
                address = Address(receiver, phone, province, city, "", detail)

        lines: list[IntakeLine] = []
        line_discounts = 0
        items = r.array(order.get("line_items"), "$.line_items")
        if items is not None and not items:
            r.add("$.line_items", "an order needs at least one line", "订单至少要有一行商品")
        for i, raw in enumerate(items or []):
            path = f"$.line_items[{i}]"
            item = r.obj(raw, path)
            if item is None:
                continue
            sku = r.text(item.get("sku"), f"{path}.sku")
            qty = r.qty(item.get("quantity"), f"{path}.quantity")
            price = r.money(item.get("price"), f"{path}.price", required=True)
            discount = 0
            for j, alloc in enumerate(
                r.array(item.get("discount_allocations"), f"{path}.discount_allocations", required=False)
                or []
            ):
                a_path = f"{path}.discount_allocations[{j}]"
                a = r.obj(alloc, a_path)
                if a is not None:
                    discount += r.money(a.get("amount"), f"{a_path}.amount", required=True) or 0
            r.line_discount_fits(f"{path}.discount_allocations", qty, price, discount)
            line_discounts += discount
            if sku is not None and qty is not None and price is not None:
                lines.append(IntakeLine(sku, qty, price, discount))

        total_discounts = r.money(order.get("total_discounts"), "$.total_discounts") or 0
        shipping = 0
        for k, raw in enumerate(
            r.array(order.get("shipping_lines"), "$.shipping_lines", required=False) or []
        ):
            s = r.obj(raw, f"$.shipping_lines[{k}]")
            if s is not None:
                shipping += r.money(s.get("price"), f"$.shipping_lines[{k}].price", required=True) or 0

        payments: tuple[Payment, ...] = ()
        status = order.get("financial_status")
        if status in ("paid", "partially_paid"):
            total = r.money(order.get("total_price"), "$.total_price", required=True)
            paid = total
            if status == "partially_paid":
                outstanding = r.money(order.get("total_outstanding"), "$.total_outstanding", required=True)
                paid = None if total is None or outstanding is None else total - outstanding
                if paid is not None and paid < 0:
                    r.add(
                        "$.total_outstanding",
                        "is more than total_price",
                        "大于 total_price",
                    )
            gateways = r.array(order.get("payment_gateway_names"), "$.payment_gateway_names", required=False)
            names = [g for g in (gateways or []) if isinstance(g, str)]
            gateway = r.text(order.get("gateway"), "$.gateway", required=False)
            if gateway:
                names.append(gateway)
            paid_at = r.when(order.get("processed_at"), "$.processed_at") or ordered_at
            if paid:
                payments = (Payment(shopify_payment_method(names), paid, paid_at),)

        note = order.get("note")
        remark = r.text(note, "$.note", required=False) or ""
        raw_tags = r.text(order.get("tags"), "$.tags", required=False) or ""
        tags = tuple(t.strip() for t in raw_tags.split(",") if t.strip())
        r.problems.raise_if_any()
        return IntakeOrder(
            channel=channel_code,
            external_ref=external_ref,
            buyer=Buyer(buyer_name, buyer_phone, cust_id),
            lines=tuple(lines),
            address=address,
            discount_cents=max(0, total_discounts - line_discounts),
            shipping_fee_cents=shipping,
            payments=payments,
            buyer_remark=remark,
            tags=tags,
            ordered_at=ordered_at,
        )


# ---------------------------------------------------------------------------------------------
# Generic JSON (our own documented format: docs/channels.md)

GENERIC_FIELDS = {
    "order_id",
    "ordered_at",
    "buyer",
    "address",
    "lines",
    "discount",
    "shipping_fee",
    "payments",
    "remark",
    "ship_after",
    "tags",
}
BUYER_FIELDS = {"name", "phone", "id"}
ADDRESS_FIELDS = {"receiver", "phone", "province", "city", "district", "detail"}
LINE_FIELDS = {"sku", "qty", "price", "discount"}
PAYMENT_FIELDS = {"method", "amount", "paid_at", "txn_ref"}


class GenericAdapter:
    """Any system that can send our generic JSON order, signed with the channel's secret."""

    kind = "generic"
    max_skew = MAX_SKEW  # how far X-OmniStock-Timestamp may be from now

    def verify(self, secret: str, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> None:
        if not secret:
            raise _no_secret()
        ts = header(headers, "X-OmniStock-Timestamp")
        given = header(headers, "X-OmniStock-Signature")
        if ts is None:
            raise _bad_signature(
                "the X-OmniStock-Timestamp header is missing", "缺少 X-OmniStock-Timestamp 请求头"
            )
        if given is None:
            raise _bad_signature(
                "the X-OmniStock-Signature header is missing", "缺少 X-OmniStock-Signature 请求头"
            )
        if not re.fullmatch(r"[0-9]{1,12}", ts):
            raise _bad_signature(
                "X-OmniStock-Timestamp must be unix seconds", "X-OmniStock-Timestamp 必须是 Unix 秒数"
            )
        expected = sign_generic(secret, body, int(ts))["X-OmniStock-Signature"]
        scheme, _, hex_digest = given.partition("=")
        candidate = f"{scheme.strip().lower()}={hex_digest.strip().lower()}"
        if not hmac.compare_digest(candidate.encode("utf-8"), expected.encode("ascii")):
            raise _bad_signature(
                "X-OmniStock-Signature does not match the timestamp, the body and this channel's secret",
                "X-OmniStock-Signature 与时间戳、请求体及该渠道的密钥不符",
            )
        _check_fresh(dt.datetime.fromtimestamp(int(ts), dt.UTC), now, "X-OmniStock-Timestamp", self.max_skew)

    def delivery_id(self, headers: Mapping[str, str]) -> str | None:
        return header(headers, "X-OmniStock-Delivery")

    def parse(self, channel_code: str, body: bytes) -> IntakeOrder:
        doc = _load_json(body)
        r = _Reader(money_numbers=False)
        order = r.obj(doc, "$")
        if order is None:
            r.problems.raise_if_any()
        assert order is not None
        r.only(order, "$", GENERIC_FIELDS)
        external_ref = r.text(order.get("order_id"), "$.order_id", ids=True)
        ordered_at = r.when(order.get("ordered_at"), "$.ordered_at")

        buyer = None
        b = r.obj(order.get("buyer"), "$.buyer")
        if b is not None:
            r.only(b, "$.buyer", BUYER_FIELDS)
            name = r.text(b.get("name"), "$.buyer.name")
            phone = r.text(b.get("phone"), "$.buyer.phone", required=False)
            bid = r.text(b.get("id"), "$.buyer.id", required=False, ids=True)
            if name is not None:
                buyer = Buyer(name, phone, bid)

        address = None
        a = r.obj(order.get("address"), "$.address", required=False)
        if a is not None:
            r.only(a, "$.address", ADDRESS_FIELDS)
            got = {k: r.text(a.get(k), f"$.address.{k}", required=k != "district") for k in ADDRESS_FIELDS}
            if all(got[k] is not None for k in ADDRESS_FIELDS - {"district"}):
                address = Address(
                    receiver=got["receiver"] or "",
                    phone=got["phone"] or "",
                    province=got["province"] or "",
                    city=got["city"] or "",
                    district=got["district"] or "",
                    detail=got["detail"] or "",
                )

        lines: list[IntakeLine] = []
        items = r.array(order.get("lines"), "$.lines")
        if items is not None and not items:
            r.add("$.lines", "an order needs at least one line", "订单至少要有一行商品")
        for i, raw in enumerate(items or []):
            path = f"$.lines[{i}]"
            item = r.obj(raw, path)
            if item is None:
                continue
            r.only(item, path, LINE_FIELDS)
            sku = r.text(item.get("sku"), f"{path}.sku")
            qty = r.qty(item.get("qty"), f"{path}.qty")
            price = r.money(item.get("price"), f"{path}.price", required=True)
            discount = r.money(item.get("discount"), f"{path}.discount") or 0
            r.line_discount_fits(f"{path}.discount", qty, price, discount)
            if sku is not None and qty is not None and price is not None:
                lines.append(IntakeLine(sku, qty, price, discount))

        payments: list[Payment] = []
        for i, raw in enumerate(r.array(order.get("payments"), "$.payments", required=False) or []):
            path = f"$.payments[{i}]"
            p = r.obj(raw, path)
            if p is None:
                continue
            r.only(p, path, PAYMENT_FIELDS)
            method = r.text(p.get("method"), f"{path}.method")
            if method is not None and method not in PAYMENT_METHODS:
                r.add(
                    f"{path}.method",
                    f"must be one of {', '.join(PAYMENT_METHODS)} (got {method[:40]!r})",
                    f"必须是 {', '.join(PAYMENT_METHODS)} 之一（收到 {method[:40]!r}）",
                )
                method = None
            amount = r.money(p.get("amount"), f"{path}.amount", required=True)
            if amount == 0:
                r.add(f"{path}.amount", "must be more than 0", "必须大于 0")
            paid_at = r.when(p.get("paid_at"), f"{path}.paid_at")
            txn_ref = r.text(p.get("txn_ref"), f"{path}.txn_ref", required=False, ids=True)
            if method is not None and amount:
                payments.append(Payment(method, amount, paid_at, txn_ref))

        tags: list[str] = []
        for i, t in enumerate(r.array(order.get("tags"), "$.tags", required=False) or []):
            tag = r.text(t, f"$.tags[{i}]")
            if tag is not None:
                tags.append(tag)

        discount = r.money(order.get("discount"), "$.discount") or 0
        shipping = r.money(order.get("shipping_fee"), "$.shipping_fee") or 0
        remark = r.text(order.get("remark"), "$.remark", required=False) or ""
        ship_after = r.day(order.get("ship_after"), "$.ship_after")
        r.problems.raise_if_any()
        return IntakeOrder(
            channel=channel_code,
            external_ref=external_ref,
            buyer=buyer,  # type: ignore[arg-type]  # a missing buyer was raised above
            lines=tuple(lines),
            address=address,
            discount_cents=discount,
            shipping_fee_cents=shipping,
            payments=tuple(payments),
            buyer_remark=remark,
            ship_after=ship_after,
            tags=tuple(tags),
            ordered_at=ordered_at,
        )


# ---------------------------------------------------------------------------------------------

ADAPTERS: dict[str, Adapter] = {"shopify": ShopifyAdapter(), "generic": GenericAdapter()}


def get_adapter(kind: str) -> Adapter:
    """The adapter named by a channel's ``adapter`` setting; ``Invalid`` for an unknown one."""
    adapter = ADAPTERS.get(kind)
    if adapter is None:
        raise Invalid(
            "orders.unknown_adapter",
            "Unknown channel adapter {kind} (one of: {known})",
            "未知的渠道接入方式 {kind}（可选：{known}）",
            kind=str(kind)[:40],
            known=", ".join(ADAPTERS),
        )
    return adapter
