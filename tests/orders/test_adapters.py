"""Channel adapters: signatures, replay windows, topics and payloads, with no database."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from omnistock.orders.adapters import (
    ADAPTERS,
    GenericAdapter,
    ShopifyAdapter,
    get_adapter,
    person_name,
    sign_generic,
    sign_shopify,
)
from omnistock.orders.intake import Address, Buyer, IntakeLine, IntakeOrder, Payment
from omnistock.platform.errors import AppError, Invalid, Unauthorized

FIXTURE = Path(__file__).parent / "fixtures" / "shopify_orders_create.json"
SECRET = "whsec_test_5f2b"
NOW = dt.datetime(2024, 3, 1, 2, 16, 0, tzinfo=dt.UTC)

shopify = ADAPTERS["shopify"]
generic = ADAPTERS["generic"]


def shopify_body() -> bytes:
    return FIXTURE.read_bytes()


def shopify_doc() -> dict:
    return json.loads(FIXTURE.read_text("utf-8"))


def dumps(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def shopify_headers(body: bytes, **extra: str) -> dict[str, str]:
    headers = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign_shopify(SECRET, body),
        "X-Shopify-Shop-Domain": "example-cn-shop.myshopify.com",
        "X-Shopify-API-Version": "2024-01",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Triggered-At": "2024-03-01T02:15:32.123456789Z",
    }
    headers.update(extra)
    return headers


def problems(exc: Invalid) -> list[tuple[str, str]]:
    return [(p["path"], p["en"]) for p in exc.params["errors"]]


def paths(exc: Invalid) -> list[str]:
    return [p["path"] for p in exc.params["errors"]]


# ---------------------------------------------------------------------------------------------
# Registry


def test_registry_and_unknown_adapter():
    assert isinstance(get_adapter("shopify"), ShopifyAdapter)
    assert isinstance(get_adapter("generic"), GenericAdapter)
    assert {k: a.kind for k, a in ADAPTERS.items()} == {"shopify": "shopify", "generic": "generic"}
    with pytest.raises(Invalid) as info:
        get_adapter("taobao")
    assert info.value.code == "orders.unknown_adapter"


# ---------------------------------------------------------------------------------------------
# Shopify: signature, topic, freshness


def test_sign_shopify_is_base64_hmac_sha256_of_the_raw_body():
    body = b'{"id": 1}'
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert sign_shopify(SECRET, body) == expected


def test_shopify_good_signature_passes_and_headers_are_case_insensitive():
    body = shopify_body()
    shopify.verify(SECRET, shopify_headers(body), body, NOW)
    lower = {k.lower(): v for k, v in shopify_headers(body).items()}
    shopify.verify(SECRET, lower, body, NOW)
    upper = {k.upper(): v for k, v in shopify_headers(body).items()}
    shopify.verify(SECRET, upper, body, NOW.replace(tzinfo=None))  # naive now is UTC
    assert shopify.delivery_id(lower) == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    assert shopify.delivery_id({}) is None


@pytest.mark.parametrize(
    "change",
    [
        "other secret",
        "tampered body",
        "missing header",
        "garbage header",
        "empty secret",
    ],
)
def test_shopify_bad_or_missing_signature_is_401(change):
    body = shopify_body()
    headers = shopify_headers(body)
    secret = SECRET
    if change == "other secret":
        headers["X-Shopify-Hmac-Sha256"] = sign_shopify("another-secret", body)
    elif change == "tampered body":
        body = body.replace(b'"quantity": 2', b'"quantity": 20')
        assert body != shopify_body()
    elif change == "missing header":
        del headers["X-Shopify-Hmac-Sha256"]
    elif change == "garbage header":
        headers["X-Shopify-Hmac-Sha256"] = "not base64 at all!"
    elif change == "empty secret":
        secret = ""
    with pytest.raises(Unauthorized) as info:
        shopify.verify(secret, headers, body, NOW)
    assert info.value.code == "orders.webhook_bad_signature"
    assert info.value.status == 401
    assert info.value.zh and info.value.en and info.value.zh != info.value.en


def test_shopify_wrong_or_missing_topic_is_422():
    body = shopify_body()
    with pytest.raises(Invalid) as info:
        shopify.verify(SECRET, shopify_headers(body, **{"X-Shopify-Topic": "orders/updated"}), body, NOW)
    assert info.value.code == "orders.webhook_topic"
    assert info.value.status == 422
    assert "orders/updated" in info.value.en
    headers = shopify_headers(body)
    del headers["X-Shopify-Topic"]
    with pytest.raises(Invalid) as info:
        shopify.verify(SECRET, headers, body, NOW)
    assert info.value.code == "orders.webhook_topic"


def test_a_bad_signature_is_reported_before_the_topic():
    body = shopify_body()
    headers = shopify_headers(body, **{"X-Shopify-Topic": "orders/updated"})
    with pytest.raises(Unauthorized) as info:
        shopify.verify("wrong", headers, body, NOW)
    assert info.value.code == "orders.webhook_bad_signature"


@pytest.mark.parametrize(
    ("triggered", "stale"),
    [
        ("2024-03-01T02:11:00Z", False),  # 5 minutes before now: still fresh
        ("2024-03-01T02:10:59Z", True),  # 5 minutes and 1 second before
        ("2024-03-01T02:21:00Z", False),
        ("2024-03-01T02:21:01Z", True),  # from the future
        ("2024-03-01T10:15:32+08:00", False),  # an offset is honoured
        ("2024-02-28T02:16:00Z", True),
    ],
)
def test_shopify_triggered_at_outside_five_minutes_is_stale(triggered, stale):
    body = shopify_body()
    headers = shopify_headers(body, **{"X-Shopify-Triggered-At": triggered})
    if stale:
        with pytest.raises(Unauthorized) as info:
            shopify.verify(SECRET, headers, body, NOW)
        assert info.value.code == "orders.webhook_stale"
        assert info.value.status == 401
    else:
        shopify.verify(SECRET, headers, body, NOW)


def test_shopify_without_triggered_at_is_not_checked_for_age():
    body = shopify_body()
    headers = shopify_headers(body)
    del headers["X-Shopify-Triggered-At"]
    shopify.verify(SECRET, headers, body, NOW + dt.timedelta(days=3))


# ---------------------------------------------------------------------------------------------
# Shopify: payload


def test_shopify_orders_create_parses_to_the_exact_intake_order():
    order = shopify.parse("shop-cn", shopify_body())
    assert order == IntakeOrder(
        channel="shop-cn",
        external_ref="5820431237186",
        buyer=Buyer(name="张三", phone="+8613800138000", external_id="7123456789012"),
        lines=(
            IntakeLine(sku="TS-RED-M", qty=2, unit_price_cents=19900, discount_cents=2000),
            IntakeLine(sku="MUG-01", qty=1, unit_price_cents=5990, discount_cents=599),
        ),
        address=Address(
            receiver="李四",
            phone="13900139000",
            province="广东省",  # "Guangdong" + province_code GD in the payload
            city="深圳市",
            district="",
            detail="南山区科苑路 15 号 科兴科学园 A 座 1203 室",
        ),
        discount_cents=0,  # total_discounts 25.99 is all on the lines
        shipping_fee_cents=1000,
        payments=(Payment("wechat_pay", 44191, dt.datetime(2024, 3, 1, 2, 15, 31)),),
        buyer_remark="请用顺丰，工作日送货",
        tags=("VIP", "预售", "复购"),
        ordered_at=dt.datetime(2024, 3, 1, 2, 15, 27),  # naive UTC
    )
    # The money adds up to Shopify's own total, to the cent.
    gross = sum(line.qty * line.unit_price_cents - line.discount_cents for line in order.lines)
    assert gross - order.discount_cents + order.shipping_fee_cents == 44191


def test_shopify_order_level_discount_is_total_discounts_minus_line_discounts():
    doc = shopify_doc()
    doc["total_discounts"] = "40.00"
    assert shopify.parse("s", dumps(doc)).discount_cents == 4000 - 2000 - 599
    doc["total_discounts"] = "1.00"  # less than the lines say: never a negative discount
    assert shopify.parse("s", dumps(doc)).discount_cents == 0


def test_shopify_shipping_is_the_sum_of_the_shipping_lines():
    doc = shopify_doc()
    extra = copy.deepcopy(doc["shipping_lines"][0])
    extra["price"] = "5.50"
    doc["shipping_lines"].append(extra)
    assert shopify.parse("s", dumps(doc)).shipping_fee_cents == 1550
    doc["shipping_lines"] = []
    assert shopify.parse("s", dumps(doc)).shipping_fee_cents == 0


@pytest.mark.parametrize(
    ("gateways", "gateway", "method"),
    [
        (["WeChat Pay"], None, "wechat_pay"),
        (["alipay"], None, "alipay"),
        (["Alipay Global"], None, "alipay"),
        (["shopify_payments"], None, "bank_card"),
        ([], "alipay", "alipay"),
        ([], None, "bank_card"),
    ],
)
def test_shopify_payment_method_from_the_gateway(gateways, gateway, method):
    doc = shopify_doc()
    doc["payment_gateway_names"] = gateways
    doc["gateway"] = gateway
    assert shopify.parse("s", dumps(doc)).payments[0].method == method


def test_shopify_payment_depends_on_financial_status():
    doc = shopify_doc()
    doc["financial_status"] = "pending"
    assert shopify.parse("s", dumps(doc)).payments == ()
    doc["financial_status"] = "partially_paid"
    doc["total_outstanding"] = "141.91"
    doc["processed_at"] = None
    (payment,) = shopify.parse("s", dumps(doc)).payments
    assert payment.amount_cents == 30000
    assert payment.paid_at == dt.datetime(2024, 3, 1, 2, 15, 27)  # created_at without processed_at


def test_shopify_guest_checkout_takes_the_buyer_from_the_shipping_address():
    doc = shopify_doc()
    doc["customer"] = None
    order = shopify.parse("s", dumps(doc))
    assert order.buyer == Buyer(name="李四", phone="13900139000", external_id=None)


def test_shopify_no_shipping_address_means_no_address():
    doc = shopify_doc()
    del doc["shipping_address"]
    assert shopify.parse("s", dumps(doc)).address is None


def test_person_name_order():
    assert person_name("三", "张") == "张三"
    assert person_name("Jane", "Doe") == "Jane Doe"
    assert person_name(None, "Doe") == "Doe"


def test_shopify_json_numbers_are_read_exactly():
    doc = shopify_doc()
    raw = dumps(doc).replace(b'"price": "59.90"', b'"price": 59.90')
    assert b'"price": 59.90' in raw
    assert shopify.parse("s", raw).lines[1].unit_price_cents == 5990


@pytest.mark.parametrize(
    ("mutate", "path", "reason"),
    [
        (lambda d: d["line_items"][0].update(price="1.234"), "$.line_items[0].price", "at most two decimals"),
        (lambda d: d["line_items"][0].update(price="-5.00"), "$.line_items[0].price", "non-negative"),
        (lambda d: d["line_items"][1].update(quantity=-1), "$.line_items[1].quantity", "at least 1"),
        (lambda d: d["line_items"][1].update(quantity=0), "$.line_items[1].quantity", "at least 1"),
        (lambda d: d["line_items"][1].update(sku=""), "$.line_items[1].sku", "required"),
        (lambda d: d["line_items"][1].update(sku=None), "$.line_items[1].sku", "required"),
        (lambda d: d.update(line_items=[]), "$.line_items", "at least one line"),
        (lambda d: d.pop("id"), "$.id", "required"),
        (lambda d: d.update(created_at="yesterday"), "$.created_at", "ISO-8601"),
        (lambda d: d.update(total_discounts="abc"), "$.total_discounts", "59.90"),
        (
            lambda d: d["shipping_lines"][0].update(price="10.001"),
            "$.shipping_lines[0].price",
            "two decimals",
        ),
        (
            lambda d: d["line_items"][0]["discount_allocations"][0].update(amount="500.00"),
            "$.line_items[0].discount_allocations",
            "more than the line amount",
        ),
    ],
)
def test_shopify_bad_payloads_name_the_path_and_reason(mutate, path, reason):
    doc = shopify_doc()
    mutate(doc)
    with pytest.raises(Invalid) as info:
        shopify.parse("s", dumps(doc))
    err = info.value
    assert err.code == "orders.bad_payload"
    assert err.status == 422
    assert any(p == path and reason in en for p, en in problems(err)), problems(err)
    assert err.params["path"] == path
    assert path in err.en and path in err.zh


def test_shopify_fractional_quantity_is_refused():
    raw = shopify_body().replace(b'"quantity": 1,', b'"quantity": 1.5,')
    with pytest.raises(Invalid) as info:
        shopify.parse("s", raw)
    assert problems(info.value) == [("$.line_items[1].quantity", "must be a whole number (got 1.5)")]


def test_every_payload_problem_is_listed():
    doc = shopify_doc()
    doc["line_items"][0]["sku"] = None
    doc["line_items"][1]["quantity"] = -2
    doc["line_items"][1]["price"] = "1.234"
    with pytest.raises(Invalid) as info:
        shopify.parse("s", dumps(doc))
    assert paths(info.value) == [
        "$.line_items[0].sku",
        "$.line_items[1].quantity",
        "$.line_items[1].price",
    ]
    assert info.value.params["count"] == 3
    assert "2 more" in info.value.en


@pytest.mark.parametrize(
    "body", [b"", b"{not json", b'{"id": 1,}', b"\xff\xfe\x00garbage", b"[1, 2]", b"NaN"]
)
def test_malformed_json_is_a_bad_payload(body):
    for adapter in (shopify, generic):
        with pytest.raises(Invalid) as info:
            adapter.parse("s", body)
        assert info.value.code == "orders.bad_payload"
        assert paths(info.value) == ["$"]


# ---------------------------------------------------------------------------------------------
# Generic JSON


GENERIC = {
    "order_id": "WX20240301001",
    "ordered_at": "2024-03-01T10:15:00+08:00",
    "buyer": {"name": "张三", "phone": "13800138000", "id": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"},
    "address": {
        "receiver": "张三",
        "phone": "13800138000",
        "province": "广东省",
        "city": "深圳市",
        "district": "南山区",
        "detail": "科苑路 15 号 A 座 1203 室",
    },
    "lines": [
        {"sku": "TS-RED-M", "qty": 2, "price": "59.90", "discount": "5.00"},
        {"sku": "MUG-01", "qty": 1, "price": "49.9"},
    ],
    "discount": "10.00",
    "shipping_fee": "8.00",
    "payments": [
        {
            "method": "wechat_pay",
            "amount": "152.70",
            "paid_at": "2024-03-01T10:16:05+08:00",
            "txn_ref": "4200001234",
        },
        {"method": "coupon", "amount": "10.00"},
    ],
    "remark": "工作日送货",
    "ship_after": "2024-03-10",
    "tags": ["VIP", "预售"],
}


def generic_doc() -> dict:
    return copy.deepcopy(GENERIC)


def test_generic_parses_every_field():
    order = generic.parse("mini-app", dumps(GENERIC))
    assert order == IntakeOrder(
        channel="mini-app",
        external_ref="WX20240301001",
        buyer=Buyer("张三", "13800138000", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"),
        lines=(IntakeLine("TS-RED-M", 2, 5990, 500), IntakeLine("MUG-01", 1, 4990, 0)),
        address=Address("张三", "13800138000", "广东省", "深圳市", "南山区", "科苑路 15 号 A 座 1203 室"),
        discount_cents=1000,
        shipping_fee_cents=800,
        payments=(
            Payment("wechat_pay", 15270, dt.datetime(2024, 3, 1, 2, 16, 5), "4200001234"),
            Payment("coupon", 1000),
        ),
        buyer_remark="工作日送货",
        ship_after=dt.date(2024, 3, 10),
        tags=("VIP", "预售"),
        ordered_at=dt.datetime(2024, 3, 1, 2, 15),
    )


def test_generic_minimal_order():
    doc = {"order_id": 123, "buyer": {"name": "李四"}, "lines": [{"sku": "A", "qty": 1, "price": "0"}]}
    order = generic.parse("c", dumps(doc))
    assert order == IntakeOrder(
        channel="c", external_ref="123", buyer=Buyer("李四"), lines=(IntakeLine("A", 1, 0, 0),)
    )


@pytest.mark.parametrize(
    ("mutate", "path", "reason"),
    [
        (lambda d: d.update(remarks="typo"), "$.remarks", "unknown field"),
        (lambda d: d["buyer"].update(mobile="1"), "$.buyer.mobile", "unknown field"),
        (lambda d: d["address"].update(street="x"), "$.address.street", "unknown field"),
        (lambda d: d["lines"][0].update(quantity=2), "$.lines[0].quantity", "unknown field"),
        (lambda d: d["payments"][0].update(amount_cents=1), "$.payments[0].amount_cents", "unknown field"),
        (lambda d: d.pop("order_id"), "$.order_id", "required"),
        (lambda d: d.pop("buyer"), "$.buyer", "required"),
        (lambda d: d["buyer"].update(name=" "), "$.buyer.name", "required"),
        (lambda d: d.pop("lines"), "$.lines", "required"),
        (lambda d: d.update(lines=[]), "$.lines", "at least one line"),
        (lambda d: d["lines"][0].update(price=59.9), "$.lines[0].price", "amount string"),
        (lambda d: d["lines"][0].update(price="59.999"), "$.lines[0].price", "two decimals"),
        (lambda d: d["lines"][0].update(qty="2"), "$.lines[0].qty", "whole number"),
        (lambda d: d["lines"][0].update(qty=True), "$.lines[0].qty", "whole number"),
        (lambda d: d["lines"][0].update(qty=0), "$.lines[0].qty", "at least 1"),
        (lambda d: d["lines"][0].update(qty=-3), "$.lines[0].qty", "at least 1"),
        (lambda d: d["lines"][1].pop("sku"), "$.lines[1].sku", "required"),
        (lambda d: d["lines"][0].update(discount="200.00"), "$.lines[0].discount", "more than the line"),
        (lambda d: d.update(discount="-1"), "$.discount", "non-negative"),
        (lambda d: d["payments"][0].update(method="cash"), "$.payments[0].method", "one of"),
        (lambda d: d["payments"][0].update(amount="0.00"), "$.payments[0].amount", "more than 0"),
        (lambda d: d.update(ordered_at="2024-03-01T10:15:00"), "$.ordered_at", "UTC offset"),
        (lambda d: d.update(ship_after="2024-02-30"), "$.ship_after", "date like"),
        (lambda d: d.update(tags="VIP"), "$.tags", "array"),
        (lambda d: d["address"].pop("city"), "$.address.city", "required"),
    ],
)
def test_generic_bad_payloads(mutate, path, reason):
    doc = generic_doc()
    mutate(doc)
    with pytest.raises(Invalid) as info:
        generic.parse("c", dumps(doc))
    assert info.value.code == "orders.bad_payload"
    found = problems(info.value)
    assert any(p == path and reason in en for p, en in found), found


def test_generic_district_may_be_empty():
    doc = generic_doc()
    del doc["address"]["district"]
    assert generic.parse("c", dumps(doc)).address.district == ""


def test_sign_generic_headers():
    body = b'{"order_id": "1"}'
    headers = sign_generic(SECRET, body, 1709259360)
    digest = hmac.new(SECRET.encode(), b"1709259360." + body, hashlib.sha256).hexdigest()
    assert headers == {"X-OmniStock-Timestamp": "1709259360", "X-OmniStock-Signature": f"sha256={digest}"}


def test_generic_good_signature_passes():
    body = dumps(GENERIC)
    ts = int(NOW.timestamp())
    headers = {**sign_generic(SECRET, body, ts), "X-OmniStock-Delivery": "d-1"}
    generic.verify(SECRET, headers, body, NOW)
    generic.verify(SECRET, {k.lower(): v for k, v in headers.items()}, body, NOW.replace(tzinfo=None))
    upper = dict(headers, **{"X-OmniStock-Signature": headers["X-OmniStock-Signature"].upper()})
    generic.verify(SECRET, upper, body, NOW)  # hex in capitals is the same digest
    assert generic.delivery_id({"x-omnistock-delivery": "d-1"}) == "d-1"
    assert generic.delivery_id({}) is None


@pytest.mark.parametrize(
    "change",
    ["other secret", "tampered body", "timestamp changed", "no signature", "no timestamp", "bad timestamp",
     "no scheme", "empty secret"],
)  # fmt: skip
def test_generic_bad_signature(change):
    body = dumps(GENERIC)
    ts = int(NOW.timestamp())
    headers = sign_generic(SECRET, body, ts)
    secret = SECRET
    if change == "other secret":
        headers = sign_generic("other", body, ts)
    elif change == "tampered body":
        body = body.replace(b'"qty": 2', b'"qty": 3')
    elif change == "timestamp changed":
        headers["X-OmniStock-Timestamp"] = str(ts + 1)
    elif change == "no signature":
        del headers["X-OmniStock-Signature"]
    elif change == "no timestamp":
        del headers["X-OmniStock-Timestamp"]
    elif change == "bad timestamp":
        headers["X-OmniStock-Timestamp"] = "2024-03-01T02:16:00Z"
    elif change == "no scheme":
        headers["X-OmniStock-Signature"] = headers["X-OmniStock-Signature"].removeprefix("sha256=")
    elif change == "empty secret":
        secret = ""
    with pytest.raises(Unauthorized) as info:
        generic.verify(secret, headers, body, NOW)
    assert info.value.code == "orders.webhook_bad_signature"
    assert info.value.status == 401


@pytest.mark.parametrize(
    ("offset", "stale"), [(-300, False), (-301, True), (300, False), (301, True), (-86400, True)]
)
def test_generic_timestamp_window(offset, stale):
    body = dumps(GENERIC)
    headers = sign_generic(SECRET, body, int(NOW.timestamp()) + offset)
    if stale:
        with pytest.raises(Unauthorized) as info:
            generic.verify(SECRET, headers, body, NOW)
        assert info.value.code == "orders.webhook_stale"
    else:
        generic.verify(SECRET, headers, body, NOW)


def test_errors_serialise_as_problems():
    doc = generic_doc()
    doc["lines"][0]["qty"] = 0
    with pytest.raises(AppError) as info:
        generic.parse("c", dumps(doc))
    body = info.value.problem("en")
    assert body["status"] == 422
    assert body["params"]["errors"][0]["path"] == "$.lines[0].qty"
    assert body["params"]["errors"][0]["zh"]
