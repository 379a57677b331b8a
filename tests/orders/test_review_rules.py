"""Auto-review (智能审单): each rule holds the orders it should and passes the rest."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from omnistock.orders.address import address_key
from omnistock.orders.intake import Address, Buyer, IntakeLine, IntakeOrder
from omnistock.orders.review_rules import (
    DEFAULT_KEYWORDS,
    RULE_KINDS,
    BadRuleParams,
    Reason,
    ReviewFacts,
    RuleConfig,
    blacklist_candidates,
    blacklist_hits,
    default_rules,
    duplicate_key,
    evaluate,
    find_duplicates,
    validate_params,
    yuan,
)

ADDRESS = Address("张三", "13812345678", "广东省", "深圳市", "南山区", "科技园南区科苑路15号")
ORDER = IntakeOrder(
    channel="wechat_mini",
    external_ref="WX1001",
    buyer=Buyer("张三", "13812345678", "openid-abc"),
    lines=(IntakeLine("TEA-01", 2, 5000), IntakeLine("CUP-02", 1, 3000)),
    address=ADDRESS,
)


def _order(**changes) -> IntakeOrder:
    return dataclasses.replace(ORDER, **changes)


def _facts(order: IntakeOrder = ORDER, **changes) -> ReviewFacts:
    return dataclasses.replace(ReviewFacts(order, payable_cents=13000), **changes)


def _only(kind: str, **params) -> list[RuleConfig]:
    return [RuleConfig(kind, True, params)]


def _codes(reasons: list[Reason]) -> list[str]:
    return [r.code for r in reasons]


# ------------------------------------------------------------------------------- catalogue


def test_rule_kinds_are_listed_in_order_with_both_languages():
    assert list(RULE_KINDS) == [
        "address_incomplete",
        "address_suspicious",
        "invalid_phone",
        "remark_keywords",
        "blacklist",
        "amount_over",
        "possible_duplicate",
        "out_of_stock",
    ]
    for kind, spec in RULE_KINDS.items():
        assert spec.kind == kind
        assert spec.name_en and spec.name_zh and spec.description_en and spec.description_zh
    assert RULE_KINDS["out_of_stock"].always_on and RULE_KINDS["out_of_stock"].at_allocation
    assert RULE_KINDS["amount_over"].default_params == {"threshold_cents": 500000}
    assert RULE_KINDS["possible_duplicate"].default_params == {"window_hours": 24}
    assert list(RULE_KINDS["remark_keywords"].default_params["keywords"]) == list(DEFAULT_KEYWORDS)
    assert "改地址" in DEFAULT_KEYWORDS and "退款" in DEFAULT_KEYWORDS


def test_a_clean_order_passes_every_default_rule():
    assert evaluate(default_rules(), _facts()) == []


# ------------------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    "kind, params, expected",
    [
        ("amount_over", {}, {"threshold_cents": 500000}),
        ("amount_over", {"threshold_cents": 1}, {"threshold_cents": 1}),
        ("possible_duplicate", None, {"window_hours": 24}),
        ("possible_duplicate", {"window_hours": 720}, {"window_hours": 720}),
        ("possible_duplicate", {"window_hours": 1}, {"window_hours": 1}),
        ("remark_keywords", {}, {"keywords": list(DEFAULT_KEYWORDS)}),
        ("remark_keywords", {"keywords": [" 急 ", "VIP", "vip"]}, {"keywords": ["急", "VIP"]}),
        ("remark_keywords", {"keywords": ("x" * 20,)}, {"keywords": ["x" * 20]}),
        (
            "remark_keywords",
            {"keywords": [f"k{i}" for i in range(50)]},
            {"keywords": [f"k{i}" for i in range(50)]},
        ),
        ("blacklist", {}, {}),
        ("out_of_stock", {}, {}),
    ],
)
def test_valid_params_are_normalised(kind, params, expected):
    assert validate_params(kind, params) == expected


@pytest.mark.parametrize(
    "kind, params",
    [
        ("no_such_rule", {}),
        ("amount_over", {"threshold_cents": 0}),
        ("amount_over", {"threshold_cents": -100}),
        ("amount_over", {"threshold_cents": 100.5}),
        ("amount_over", {"threshold_cents": "5000"}),
        ("amount_over", {"threshold_cents": True}),
        ("amount_over", {"threshold": 5000}),  # unknown parameter
        ("possible_duplicate", {"window_hours": 0}),
        ("possible_duplicate", {"window_hours": 721}),
        ("possible_duplicate", {"window_hours": 2.5}),
        ("remark_keywords", {"keywords": []}),
        ("remark_keywords", {"keywords": "改地址"}),  # a string, not a list
        ("remark_keywords", {"keywords": ["改地址", ""]}),
        ("remark_keywords", {"keywords": ["  "]}),
        ("remark_keywords", {"keywords": ["x" * 21]}),
        ("remark_keywords", {"keywords": [f"k{i}" for i in range(51)]}),
        ("remark_keywords", {"keywords": [1, 2]}),
        ("blacklist", {"anything": 1}),
    ],
)
def test_bad_params_are_refused_in_both_languages(kind, params):
    with pytest.raises(BadRuleParams) as info:
        validate_params(kind, params)
    assert isinstance(info.value, ValueError)
    assert info.value.en and info.value.zh
    assert info.value.en != info.value.zh


def test_unknown_kind_in_evaluate_is_refused():
    with pytest.raises(BadRuleParams):
        evaluate([RuleConfig("no_such_rule")], _facts())


# ------------------------------------------------------------------------- each rule, table


BAD_ADDRESS = dataclasses.replace(ADDRESS, city="", detail="测试")


@pytest.mark.parametrize(
    "kind, params, facts, fragment_en, fragment_zh",
    [
        ("address_incomplete", {}, _facts(_order(address=None)), "no delivery address", "没有收货地址"),
        ("address_incomplete", {}, _facts(_order(address=BAD_ADDRESS)), "city", "城市"),
        (
            "address_incomplete",
            {},
            _facts(_order(address=dataclasses.replace(ADDRESS, province="火星"))),
            "火星",
            "火星",
        ),
        ("address_suspicious", {}, _facts(_order(address=BAD_ADDRESS)), "测试", "测试"),
        (
            "invalid_phone",
            {},
            _facts(_order(buyer=Buyer("张三", "12345"))),
            "buyer phone 12345",
            "买家电话 12345",
        ),
        (
            "invalid_phone",
            {},
            _facts(_order(address=dataclasses.replace(ADDRESS, phone="1381234"))),
            "receiver phone 1381234",
            "收货人电话 1381234",
        ),
        ("remark_keywords", {}, _facts(_order(buyer_remark="麻烦改地址到公司")), "改地址", "买家留言"),
        ("remark_keywords", {}, _facts(_order(seller_memo="客户要发票")), "发票", "卖家备注"),
        ("remark_keywords", {"keywords": ["vip"]}, _facts(_order(buyer_remark="I am a VIP")), "vip", "vip"),
        (
            "blacklist",
            {},
            _facts(blacklist_hits=("phone:13812345678",)),
            "phone:13812345678",
            "phone:13812345678",
        ),
        ("amount_over", {}, _facts(payable_cents=500001), "¥5,000.01", "¥5,000.00"),
        ("amount_over", {"threshold_cents": 10000}, _facts(payable_cents=13000), "¥130.00", "¥100.00"),
        ("possible_duplicate", {}, _facts(duplicate_refs=("SO-1", "SO-2")), "SO-1, SO-2", "SO-1"),
    ],
)
def test_each_rule_holds_its_orders_and_names_why(kind, params, facts, fragment_en, fragment_zh):
    reasons = evaluate(_only(kind, **params), facts)
    assert _codes(reasons) == [kind]
    assert fragment_en in reasons[0].en
    assert fragment_zh in reasons[0].zh


@pytest.mark.parametrize(
    "kind, params, facts",
    [
        ("address_incomplete", {}, _facts(_order(address=dataclasses.replace(ADDRESS, province="广东")))),
        ("address_incomplete", {}, _facts(_order(address=dataclasses.replace(ADDRESS, detail="测试")))),
        ("address_suspicious", {}, _facts(_order(address=None))),  # missing is not "suspicious"
        ("invalid_phone", {}, _facts(_order(buyer=Buyer("张三")))),  # no buyer phone is fine
        ("invalid_phone", {}, _facts(_order(buyer=Buyer("张三", "+86 139-0000-0000")))),
        ("invalid_phone", {}, _facts(_order(address=dataclasses.replace(ADDRESS, phone="010-12345678")))),
        ("invalid_phone", {}, _facts(_order(address=None))),
        ("remark_keywords", {}, _facts(_order(buyer_remark="谢谢，尽快发货", seller_memo="老客户"))),
        ("remark_keywords", {"keywords": ["加急"]}, _facts(_order(buyer_remark="改地址"))),
        ("blacklist", {}, _facts()),
        ("amount_over", {}, _facts(payable_cents=500000)),  # at the threshold is not over
        ("amount_over", {"threshold_cents": 13000}, _facts(payable_cents=13000)),
        ("possible_duplicate", {}, _facts()),
        ("out_of_stock", {}, _facts()),  # judged at allocation, never here
    ],
)
def test_each_rule_passes_what_it_should(kind, params, facts):
    assert evaluate(_only(kind, **params), facts) == []


def test_both_bad_phones_are_named_in_one_reason():
    order = _order(buyer=Buyer("张三", "111"), address=dataclasses.replace(ADDRESS, phone="222"))
    [reason] = evaluate(_only("invalid_phone"), _facts(order))
    assert "111" in reason.en and "222" in reason.en
    assert "111" in reason.zh and "222" in reason.zh


def test_keywords_in_both_places_are_all_named():
    order = _order(buyer_remark="加急！要发票", seller_memo="可能退款")
    [reason] = evaluate(_only("remark_keywords"), _facts(order))
    for word in ("加急", "发票", "退款"):
        assert word in reason.en and word in reason.zh
    assert "换货" not in reason.en
    assert reason.en.startswith("Buyer remark")


def test_disabled_rules_are_skipped():
    facts = _facts(_order(address=None, buyer_remark="退款"), payable_cents=10**9)
    rules = [RuleConfig(kind, enabled=False, params={}) for kind in RULE_KINDS]
    assert evaluate(rules, facts) == []
    assert evaluate([], facts) == []


def test_all_failing_rules_report_in_catalogue_order():
    facts = _facts(
        _order(
            buyer=Buyer("张三", "12"),
            address=dataclasses.replace(ADDRESS, city="", detail="xxx"),
            buyer_remark="换货",
        ),
        payable_cents=600000,
        blacklist_hits=("buyer:openid-abc",),
        duplicate_refs=("SO-9",),
    )
    rules = list(reversed(default_rules()))  # the order given does not matter
    assert _codes(evaluate(rules, facts)) == [
        "address_incomplete",
        "address_suspicious",
        "invalid_phone",
        "remark_keywords",
        "blacklist",
        "amount_over",
        "possible_duplicate",
    ]


def test_a_kind_given_twice_is_judged_once_by_the_first_enabled():
    rules = [
        RuleConfig("amount_over", False, {"threshold_cents": 1}),
        RuleConfig("amount_over", True, {"threshold_cents": 20000}),
        RuleConfig("amount_over", True, {"threshold_cents": 1}),
    ]
    assert evaluate(rules, _facts(payable_cents=13000)) == []
    assert len(evaluate(rules, _facts(payable_cents=30000))) == 1


@pytest.mark.parametrize(
    "cents, text",
    [(0, "¥0.00"), (5, "¥0.05"), (123450, "¥1,234.50"), (-250, "-¥2.50"), (10**8, "¥1,000,000.00")],
)
def test_yuan(cents, text):
    assert yuan(cents) == text


# ----------------------------------------------------------------------------- blacklist


def test_blacklist_candidates_are_normalised():
    order = _order(
        buyer=Buyer("张三", "+86 138-1234-5678", " openid-abc "),
        address=dataclasses.replace(ADDRESS, phone="0755-1234567"),
    )
    assert blacklist_candidates(order) == [
        ("buyer", "openid-abc"),
        ("phone", "13812345678"),
        ("phone", "07551234567"),
        ("address", address_key(ADDRESS)),
    ]


def test_blacklist_candidates_fall_back_to_name_and_skip_bad_or_repeated_phones():
    order = _order(buyer=Buyer(" 李四 ", "138 1234 5678"), address=ADDRESS)  # same phone twice
    assert blacklist_candidates(order) == [
        ("buyer", "李四"),
        ("phone", "13812345678"),
        ("address", address_key(ADDRESS)),
    ]
    order = _order(buyer=Buyer("", "12"), address=None)
    assert blacklist_candidates(order) == []


def test_blacklist_hits_name_what_matched():
    blacklist = {("phone", "13812345678"), ("buyer", "someone-else")}
    assert blacklist_hits(ORDER, blacklist) == ("phone:13812345678",)
    blacklist.add(("address", address_key(dataclasses.replace(ADDRESS, detail="科技园南区 科苑路 15号"))))
    assert blacklist_hits(ORDER, blacklist) == ("phone:13812345678", f"address:{address_key(ADDRESS)}")
    assert blacklist_hits(ORDER, set()) == ()


# ----------------------------------------------------------------------------- duplicates


def test_duplicate_key_ignores_line_order_prices_and_spelling():
    again = _order(
        external_ref="WX1002",
        buyer=Buyer("张三", "+86 13812345678"),
        lines=(IntakeLine("CUP-02", 1, 2900), IntakeLine("TEA-01", 1, 5000), IntakeLine("TEA-01", 1, 5000)),
        address=dataclasses.replace(ADDRESS, province="广东", detail="科技园南区 科苑路15号"),
    )
    assert duplicate_key(again) == duplicate_key(ORDER)
    assert duplicate_key(ORDER) is not None


@pytest.mark.parametrize(
    "other",
    [
        _order(lines=(IntakeLine("TEA-01", 3, 5000), IntakeLine("CUP-02", 1, 3000))),
        _order(lines=(IntakeLine("TEA-01", 2, 5000),)),
        _order(buyer=Buyer("张三", "13900000000")),
        _order(address=dataclasses.replace(ADDRESS, detail="科技园南区科苑路16号")),
    ],
)
def test_duplicate_key_differs(other):
    assert duplicate_key(other) != duplicate_key(ORDER)


def test_duplicate_key_uses_the_receiver_phone_without_a_buyer_phone_and_needs_one():
    assert duplicate_key(_order(buyer=Buyer("张三"))) == duplicate_key(ORDER)
    assert duplicate_key(_order(address=None)) is None
    no_phone = _order(buyer=Buyer("张三"), address=dataclasses.replace(ADDRESS, phone=""))
    assert duplicate_key(no_phone) is None


def test_find_duplicates_within_the_window():
    at = dt.datetime(2026, 5, 1, 12, 0)
    key = duplicate_key(ORDER)
    earlier = [
        ("SO-1", at - dt.timedelta(hours=25), key),  # outside 24 h
        ("SO-2", at - dt.timedelta(hours=24), key),  # just inside
        ("SO-3", at - dt.timedelta(hours=1), "other"),
        ("SO-4", at - dt.timedelta(minutes=5), key),
        ("SO-5", at + dt.timedelta(minutes=5), key),  # later, not earlier
    ]
    assert find_duplicates(key, at, earlier) == ("SO-2", "SO-4")
    assert find_duplicates(key, at, earlier, window_hours=48) == ("SO-1", "SO-2", "SO-4")
    assert find_duplicates(None, at, [("SO-6", at, None)]) == ()
    refs = find_duplicates(key, at, earlier)
    [reason] = evaluate(_only("possible_duplicate"), _facts(duplicate_refs=refs))
    assert "SO-2" in reason.zh and "SO-4" in reason.en and "24" in reason.en
