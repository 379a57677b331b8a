"""Auto-review (智能审单): rules that hold an incoming order for a person to look at.

Pure — standard library only. The order service gathers what needs the database (what the
order costs, blacklist matches, earlier orders that look the same) into ``ReviewFacts``;
``evaluate`` then says, rule by rule, why the order should be held. An order no rule holds
gets ``[]`` and may go straight on.

Every rule kind is in ``RULE_KINDS`` with its names, description and default parameters;
``validate_params`` checks what a seller sets before it is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from omnistock.orders.address import (
    ADDRESS_INCOMPLETE,
    ADDRESS_MISSING,
    ADDRESS_SUSPICIOUS,
    ADDRESS_UNKNOWN_PROVINCE,
    address_key,
    address_problems,
    normalize_phone,
)
from omnistock.orders.intake import IntakeOrder


@dataclass(frozen=True)
class RuleKind:
    kind: str
    name_en: str
    name_zh: str
    description_en: str
    description_zh: str
    default_params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    always_on: bool = False  # cannot be switched off
    at_allocation: bool = False  # judged when stock is allocated, not by ``evaluate``


DEFAULT_KEYWORDS = ("改地址", "换货", "发票", "加急", "不要发", "退款")
MAX_KEYWORDS = 50
MAX_KEYWORD_CHARS = 20
MAX_WINDOW_HOURS = 720

_KINDS = (
    RuleKind(
        "address_incomplete",
        "Incomplete address",
        "地址不完整",
        "The address is missing, a field of it is blank, or the province is unknown.",
        "没有收货地址、地址有空项，或省份无法识别。",
    ),
    RuleKind(
        "address_suspicious",
        "Suspicious address",
        "地址可疑",
        "The street address is very short, only digits or punctuation, one character repeated, "
        "or contains a test/dummy marker (测试, test, xxx, 不详, 未知, 假地址).",
        "详细地址过短、只有数字或标点、同一个字重复，或含测试/虚假字样（测试、test、xxx、不详、未知、假地址）。",
    ),
    RuleKind(
        "invalid_phone",
        "Invalid phone",
        "电话无效",
        "The buyer's or the receiver's phone is neither a mainland mobile nor a landline with area code.",
        "买家或收货人电话既不是大陆手机号，也不是带区号的固定电话。",
    ),
    RuleKind(
        "remark_keywords",
        "Remark keywords",
        "留言关键词",
        "The buyer's remark or the seller's memo contains one of the keywords (case-insensitive).",
        "买家留言或卖家备注含有任一关键词（不区分大小写）。",
        MappingProxyType({"keywords": DEFAULT_KEYWORDS}),
    ),
    RuleKind(
        "blacklist",
        "Blacklist",
        "黑名单",
        "The buyer, a phone or the address is on the blacklist.",
        "买家、电话或地址在黑名单中。",
    ),
    RuleKind(
        "amount_over",
        "Large amount",
        "金额过大",
        "The order's payable amount is over the threshold.",
        "订单应付金额超过阈值。",
        MappingProxyType({"threshold_cents": 500000}),
    ),
    RuleKind(
        "possible_duplicate",
        "Possible duplicate",
        "疑似重复",
        "An earlier order in the window has the same buyer phone, the same address and the same lines.",
        "时间窗口内已有买家电话、收货地址和商品明细都相同的订单。",
        MappingProxyType({"window_hours": 24}),
    ),
    RuleKind(
        "out_of_stock",
        "Out of stock",
        "缺货",
        "No warehouse can ship the order (always on; judged when stock is allocated).",
        "没有仓库能发出整单（始终启用，在分配库存时判断）。",
        always_on=True,
        at_allocation=True,
    ),
)

RULE_KINDS: Mapping[str, RuleKind] = MappingProxyType({k.kind: k for k in _KINDS})


class BadRuleParams(ValueError):
    """Rule parameters a seller may not store; ``en`` and ``zh`` say why."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(f"{en} / {zh}")
        self.en = en
        self.zh = zh


@dataclass(frozen=True)
class RuleConfig:
    kind: str
    enabled: bool = True
    params: Mapping[str, Any] = field(default_factory=dict)


def default_rules() -> list[RuleConfig]:
    """Every rule kind, enabled, with its default parameters (a new shop's settings)."""
    return [RuleConfig(k.kind, True, dict(k.default_params)) for k in _KINDS]


def _int_param(name: str, value: Any, low: int, high: int | None) -> int:
    # bool is an int in Python; True is not a threshold.
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRuleParams(f"{name} must be a whole number", f"{name} 必须是整数")
    if value < low or (high is not None and value > high):
        if high is None:
            raise BadRuleParams(f"{name} must be at least {low}", f"{name} 不能小于 {low}")
        raise BadRuleParams(f"{name} must be between {low} and {high}", f"{name} 必须在 {low} 到 {high} 之间")
    return value


def _keywords_param(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise BadRuleParams("keywords must be a list of words", "keywords 必须是关键词列表")
    words: list[str] = []
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise BadRuleParams("a keyword must be non-empty text", "关键词不能为空")
        word = item.strip()
        if len(word) > MAX_KEYWORD_CHARS:
            raise BadRuleParams(
                f"keyword {word!r} is longer than {MAX_KEYWORD_CHARS} characters",
                f"关键词“{word}”超过 {MAX_KEYWORD_CHARS} 个字",
            )
        if word.casefold() not in seen:  # duplicates are dropped, not refused
            seen.add(word.casefold())
            words.append(word)
    if not 1 <= len(words) <= MAX_KEYWORDS:
        raise BadRuleParams(
            f"keywords must hold 1 to {MAX_KEYWORDS} words", f"关键词必须有 1 到 {MAX_KEYWORDS} 个"
        )
    return words


def validate_params(kind: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` for a rule of ``kind`` checked and completed with the defaults.

    Raises ``BadRuleParams`` (a ``ValueError`` with ``en`` and ``zh``) for an unknown kind, an
    unknown parameter, or a value out of range: ``threshold_cents`` a positive int,
    ``keywords`` 1–50 non-empty strings of at most 20 characters (stripped; case-insensitive
    duplicates dropped), ``window_hours`` an int from 1 to 720.
    """
    spec = RULE_KINDS.get(kind)
    if spec is None:
        raise BadRuleParams(
            f"unknown rule kind {kind!r}; known: {', '.join(RULE_KINDS)}",
            f"未知的规则类型“{kind}”；可用：{'、'.join(RULE_KINDS)}",
        )
    given = dict(params or {})
    unknown = sorted(set(given) - set(spec.default_params))
    if unknown:
        raise BadRuleParams(
            f"rule {kind} takes no parameter {', '.join(unknown)}",
            f"规则 {kind} 没有参数 {'、'.join(unknown)}",
        )
    out: dict[str, Any] = {}
    for name, default in spec.default_params.items():
        value = given.get(name, default)
        if name == "threshold_cents":
            out[name] = _int_param(name, value, 1, None)
        elif name == "window_hours":
            out[name] = _int_param(name, value, 1, MAX_WINDOW_HOURS)
        elif name == "keywords":
            out[name] = _keywords_param(value)
        else:  # pragma: no cover - every parameter above has a check
            raise AssertionError(name)
    return out


@dataclass(frozen=True)
class ReviewFacts:
    """What ``evaluate`` needs beyond the order itself, gathered by the order service."""

    order: IntakeOrder
    payable_cents: int
    blacklist_hits: tuple[str, ...] = ()  # "kind:value" of each blacklist entry that matched
    duplicate_refs: tuple[str, ...] = ()  # our refs of earlier orders that look the same


@dataclass(frozen=True)
class Reason:
    """Why an order is held for review; ``code`` is the rule kind."""

    code: str
    en: str
    zh: str


def yuan(cents: int) -> str:
    """¥1,234.50 from 123450."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}¥{whole:,}.{frac:02d}"


def _address_incomplete(params: Mapping[str, Any], facts: ReviewFacts) -> list[Reason]:
    codes = {ADDRESS_MISSING, ADDRESS_INCOMPLETE, ADDRESS_UNKNOWN_PROVINCE}
    return [
        Reason("address_incomplete", p.en, p.zh)
        for p in address_problems(facts.order.address)
        if p.code in codes
    ]


def _address_suspicious(params: Mapping[str, Any], facts: ReviewFacts) -> list[Reason]:
    return [
        Reason("address_suspicious", p.en, p.zh)
        for p in address_problems(facts.order.address)
        if p.code == ADDRESS_SUSPICIOUS
    ]


def _invalid_phone(params: Mapping[str, Any], facts: ReviewFacts) -> list[Reason]:
    # A blank phone is not "invalid": the buyer's is optional, the receiver's blank one is an
    # incomplete address.
    bad_en: list[str] = []
    bad_zh: list[str] = []
    buyer_phone = (facts.order.buyer.phone or "").strip()
    if buyer_phone and normalize_phone(buyer_phone) is None:
        bad_en.append(f"buyer phone {buyer_phone}")
        bad_zh.append(f"买家电话 {buyer_phone}")
    addr = facts.order.address
    receiver_phone = (addr.phone or "").strip() if addr else ""
    if receiver_phone and normalize_phone(receiver_phone) is None:
        bad_en.append(f"receiver phone {receiver_phone}")
        bad_zh.append(f"收货人电话 {receiver_phone}")
    if not bad_en:
        return []
    return [
        Reason(
            "invalid_phone",
            "Invalid " + "; ".join(bad_en) + ".",
            "电话无效：" + "；".join(bad_zh) + "。",
        )
    ]


def _remark_keywords(params: Mapping[str, Any], facts: ReviewFacts) -> list[Reason]:
    places = (
        (facts.order.buyer_remark, "buyer remark", "买家留言"),
        (facts.order.seller_memo, "seller memo", "卖家备注"),
    )
    found_en: list[str] = []
    found_zh: list[str] = []
    for text, where_en, where_zh in places:
        folded = (text or "").casefold()
        hits = [k for k in params["keywords"] if k.casefold() in folded]
        if hits:
            found_en.append(f"{where_en} mentions " + ", ".join(f"“{k}”" for k in hits))
            found_zh.append(f"{where_zh}含有" + "、".join(f"“{k}”" for k in hits))
    if not found_en:
        return []
    en = "; ".join(found_en)
    return [Reason("remark_keywords", en[0].upper() + en[1:] + ".", "；".join(found_zh) + "。")]


def _blacklist(params: Mapping[str, Any], facts: ReviewFacts) -> list[Reason]:
    if not facts.blacklist_hits:
        return []
    listed = ", ".join(facts.blacklist_hits)
    return [Reason("blacklist", f"On the blacklist: {listed}.", f"命中黑名单：{listed}。")]


def _amount_over(params: Mapping[str, Any], facts: ReviewFacts) -> list[Reason]:
    threshold = params["threshold_cents"]
    if facts.payable_cents <= threshold:
        return []
    amount, limit = yuan(facts.payable_cents), yuan(threshold)
    return [
        Reason(
            "amount_over",
            f"The payable amount {amount} is over {limit}.",
            f"应付金额 {amount} 超过 {limit}。",
        )
    ]


def _possible_duplicate(params: Mapping[str, Any], facts: ReviewFacts) -> list[Reason]:
    if not facts.duplicate_refs:
        return []
    refs = ", ".join(facts.duplicate_refs)
    hours = params["window_hours"]
    return [
        Reason(
            "possible_duplicate",
            f"Possible duplicate of {refs} (same buyer phone, address and items within {hours} h).",
            f"疑似与 {refs} 重复（{hours} 小时内买家电话、地址和商品都相同）。",
        )
    ]


_CHECKS = {
    "address_incomplete": _address_incomplete,
    "address_suspicious": _address_suspicious,
    "invalid_phone": _invalid_phone,
    "remark_keywords": _remark_keywords,
    "blacklist": _blacklist,
    "amount_over": _amount_over,
    "possible_duplicate": _possible_duplicate,
}


def evaluate(rules: Sequence[RuleConfig], facts: ReviewFacts) -> list[Reason]:
    """Why the order in ``facts`` should be held for review; [] when nothing holds it.

    Rules are judged in ``RULE_KINDS`` order whatever order they are given in; a kind given
    twice is judged once (the first enabled one). Disabled rules are skipped, and so is
    ``out_of_stock`` (judged at allocation). Parameters go through ``validate_params``, so a
    stored rule with bad parameters raises ``BadRuleParams`` here too — validate on save.
    """
    chosen: dict[str, RuleConfig] = {}
    for rule in rules:
        if rule.kind not in RULE_KINDS:
            validate_params(rule.kind, rule.params)  # raises for the unknown kind
        if rule.enabled and rule.kind not in chosen:
            chosen[rule.kind] = rule
    reasons: list[Reason] = []
    for kind in RULE_KINDS:
        rule = chosen.get(kind)
        check = _CHECKS.get(kind)
        if rule is None or check is None:
            continue
        reasons.extend(check(validate_params(kind, rule.params), facts))
    return reasons


# ---------------------------------------------------------------------------------------------
# Helpers for gathering the facts


def _buyer_value(order: IntakeOrder) -> str | None:
    ext = (order.buyer.external_id or "").strip()
    if ext:
        return ext
    name = (order.buyer.name or "").strip()
    return name or None


def blacklist_candidates(order: IntakeOrder) -> list[tuple[str, str]]:
    """The normalised (kind, value) pairs to look up in the blacklist, without repeats.

    * ``("buyer", external id)`` — or the buyer's name when the channel gave no id;
    * ``("phone", digits)`` for the buyer's and the receiver's phone, each normalised with
      ``normalize_phone`` (an invalid phone is not looked up);
    * ``("address", address_key(...))`` when the order has an address.

    Store blacklist entries normalised the same way (``normalize_phone``, ``address_key``).
    """
    out: list[tuple[str, str]] = []
    buyer = _buyer_value(order)
    if buyer:
        out.append(("buyer", buyer))
    phones = [order.buyer.phone, order.address.phone if order.address else None]
    for phone in phones:
        normal = normalize_phone(phone)
        if normal and ("phone", normal) not in out:
            out.append(("phone", normal))
    if order.address is not None:
        key = address_key(order.address)
        if key.strip("|"):
            out.append(("address", key))
    return out


def blacklist_hits(order: IntakeOrder, blacklist: Collection[tuple[str, str]]) -> tuple[str, ...]:
    """``"kind:value"`` for each candidate of ``order`` found in ``blacklist`` (a set of pairs)."""
    return tuple(
        f"{kind}:{value}" for kind, value in blacklist_candidates(order) if (kind, value) in blacklist
    )


def duplicate_key(order: IntakeOrder) -> str | None:
    """What two orders share when one looks like a duplicate of the other; None if unknowable.

    The buyer's phone (the receiver's when the buyer gave none), normalised; the address key;
    and the lines as SKU × quantity, summed per SKU and sorted. Prices are not part of it. An
    order with no valid phone or no address has no key: it is never called a duplicate.
    """
    phone = normalize_phone(order.buyer.phone) or (
        normalize_phone(order.address.phone) if order.address else None
    )
    if phone is None or order.address is None:
        return None
    qty: dict[str, int] = {}
    for line in order.lines:
        qty[line.sku.strip()] = qty.get(line.sku.strip(), 0) + line.qty
    lines = ",".join(f"{sku}*{n}" for sku, n in sorted(qty.items()))
    return f"{phone}#{address_key(order.address)}#{lines}"


def find_duplicates(
    key: str | None,
    at: dt.datetime,
    earlier: Iterable[tuple[str, dt.datetime, str | None]],
    window_hours: int = 24,
) -> tuple[str, ...]:
    """Refs of the ``earlier`` orders (ref, ordered_at, duplicate_key) with the same ``key``
    placed within ``window_hours`` before ``at`` (or at the same moment), in the order given.
    """
    if key is None:
        return ()
    since = at - dt.timedelta(hours=window_hours)
    return tuple(ref for ref, when, other in earlier if other == key and since <= when <= at)
