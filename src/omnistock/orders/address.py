"""Chinese delivery addresses and phone numbers (pure: standard library only).

* ``PROVINCES`` / ``normalize_province``: the 34 provincial-level divisions by full official
  name, and the short forms buyers and channels actually send (北京, 广西, 内蒙古, 新疆 …).
* ``normalize_phone`` / ``is_valid_phone``: mainland mobiles and landlines with area code.
* ``address_problems``: what is wrong with an address, as ``Problem`` values (code, en, zh).
* ``address_key``: one normalised string per place, to tell "the same address" apart from a
  different one when merging orders or looking for duplicates and blacklisted addresses.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from omnistock.orders.intake import Address

# The 34 provincial-level divisions (省级行政区), in the order of the national standard
# (GB/T 2260), by full official name.
PROVINCES: tuple[str, ...] = (
    "北京市",
    "天津市",
    "河北省",
    "山西省",
    "内蒙古自治区",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "上海市",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "广西壮族自治区",
    "海南省",
    "重庆市",
    "四川省",
    "贵州省",
    "云南省",
    "西藏自治区",
    "陕西省",
    "甘肃省",
    "青海省",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
    "台湾省",
    "香港特别行政区",
    "澳门特别行政区",
)

# Longest suffixes first, so "广西壮族自治区" loses "壮族自治区", not just "自治区".
_SUFFIXES = ("维吾尔自治区", "特别行政区", "壮族自治区", "回族自治区", "自治区", "省", "市")


def _short(full: str) -> str:
    for suffix in _SUFFIXES:
        if full.endswith(suffix):
            return full[: -len(suffix)]
    return full


# English (pinyin) names as foreign storefronts (Shopify) send them, and the ISO 3166-2:CN codes.
_ENGLISH: dict[str, tuple[str, tuple[str, ...]]] = {
    "北京市": ("BJ", ("beijing", "peking")),
    "天津市": ("TJ", ("tianjin",)),
    "河北省": ("HE", ("hebei",)),
    "山西省": ("SX", ("shanxi",)),
    "内蒙古自治区": ("NM", ("innermongolia", "neimongol", "neimenggu")),
    "辽宁省": ("LN", ("liaoning",)),
    "吉林省": ("JL", ("jilin",)),
    "黑龙江省": ("HL", ("heilongjiang",)),
    "上海市": ("SH", ("shanghai",)),
    "江苏省": ("JS", ("jiangsu",)),
    "浙江省": ("ZJ", ("zhejiang",)),
    "安徽省": ("AH", ("anhui",)),
    "福建省": ("FJ", ("fujian",)),
    "江西省": ("JX", ("jiangxi",)),
    "山东省": ("SD", ("shandong",)),
    "河南省": ("HA", ("henan",)),
    "湖北省": ("HB", ("hubei",)),
    "湖南省": ("HN", ("hunan",)),
    "广东省": ("GD", ("guangdong",)),
    "广西壮族自治区": ("GX", ("guangxi",)),
    "海南省": ("HI", ("hainan",)),
    "重庆市": ("CQ", ("chongqing",)),
    "四川省": ("SC", ("sichuan",)),
    "贵州省": ("GZ", ("guizhou",)),
    "云南省": ("YN", ("yunnan",)),
    "西藏自治区": ("XZ", ("tibet", "xizang")),
    "陕西省": ("SN", ("shaanxi",)),
    "甘肃省": ("GS", ("gansu",)),
    "青海省": ("QH", ("qinghai",)),
    "宁夏回族自治区": ("NX", ("ningxia",)),
    "新疆维吾尔自治区": ("XJ", ("xinjiang",)),
    "台湾省": ("TW", ("taiwan",)),
    "香港特别行政区": ("HK", ("hongkong",)),
    "澳门特别行政区": ("MO", ("macau", "macao")),
}
# What follows an English name: "Zhejiang Province", "Shanghai Shi", "Guangxi Zhuang Autonomous Region".
_ENGLISH_SUFFIXES = re.compile(
    r"(province|sheng|municipality|shi|(zhuang|hui|uygur|uyghur|uighur)?autonomousregion|zizhiqu|"
    r"specialadministrativeregion|sar)$"
)


def _build_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for full in PROVINCES:
        short = _short(full)
        aliases[full] = full
        aliases[short] = full
        # Common half-official spellings: 广西自治区, 香港特区.
        if full.endswith("自治区"):
            aliases[short + "自治区"] = full
        if full.endswith("特别行政区"):
            aliases[short + "特区"] = full
    aliases["内蒙"] = "内蒙古自治区"
    for full, (_, names) in _ENGLISH.items():
        for name in names:
            aliases[name] = full
    return aliases


_PROVINCE_ALIASES = _build_aliases()
# ISO 3166-2:CN code -> the province's full official name.
PROVINCE_CODES = {code: full for full, (code, _) in _ENGLISH.items()}


def province_from_code(code: str | None) -> str | None:
    """The province an ISO 3166-2:CN code names (``ZJ`` or ``CN-ZJ``), else None."""
    if not code:
        return None
    code = code.strip().upper()
    return PROVINCE_CODES.get(code[3:] if code.startswith("CN-") else code)


def normalize_province(text: str | None) -> str | None:
    """The full official name of a province given its full or short name, else None.

    Surrounding whitespace (including the full-width space) is ignored; so is whitespace
    inside the name ("广 东"). One-character abbreviations (粤, 沪) are not accepted: they are
    rarely typed into an address and some are ambiguous. English (pinyin) names are accepted
    with or without their suffix, in any case ("Zhejiang", "GUANGDONG PROVINCE", "Tibet").
    """
    if text is None:
        return None
    cleaned = "".join(unicodedata.normalize("NFKC", text).split())
    found = _PROVINCE_ALIASES.get(cleaned)
    if found is None and cleaned.isascii():  # an English name: "Zhejiang", "Shanghai Shi"
        latin = "".join(c for c in cleaned.lower() if c.isalpha())
        found = _PROVINCE_ALIASES.get(latin) or _PROVINCE_ALIASES.get(_ENGLISH_SUFFIXES.sub("", latin))
    return found


# ---------------------------------------------------------------------------------------------
# Phones

_MOBILE = re.compile(r"1[3-9]\d{9}")
# 0 + area code (2 or 3 more digits, never starting with 0) + a 7 or 8 digit local number.
_LANDLINE = re.compile(r"0[1-9]\d{1,2}\d{7,8}")
# Separators people type inside a phone number; parentheses go round an area code: (010)…
_PHONE_SEPARATORS = re.compile(r"[\s\-–—()（）]")


def normalize_phone(text: str | None) -> str | None:
    """The digits of a valid mainland phone number, else None.

    Spaces, dashes and parentheses are dropped; full-width digits are read as digits. A
    country prefix ``+86`` / ``0086`` is removed (then an area code written without its
    trunk ``0``, as in ``+86 10 1234 5678``, gets it back); a bare ``86`` is removed only
    when an 11-digit mobile follows. The result is an 11-digit mobile ``1[3-9]xxxxxxxxx`` or
    a landline ``0`` + area code + local number, as digits only (``01012345678``).
    Extensions and anything else are refused (None).
    """
    if text is None:
        return None
    digits = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    international = False
    if digits.startswith("+86"):
        digits, international = digits[3:], True
    elif digits.startswith("0086"):
        digits, international = digits[4:], True
    elif digits.startswith("86") and _MOBILE.fullmatch(digits[2:]):
        digits = digits[2:]
    if not digits.isascii() or not digits.isdigit():
        return None
    if _MOBILE.fullmatch(digits):
        return digits
    if international and not digits.startswith("0"):
        digits = "0" + digits
    if _LANDLINE.fullmatch(digits):
        return digits
    return None


def is_valid_phone(text: str | None) -> bool:
    return normalize_phone(text) is not None


# ---------------------------------------------------------------------------------------------
# Address problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an address; ``en`` and ``zh`` say it to a person."""

    code: str
    en: str
    zh: str


ADDRESS_MISSING = "address_missing"
ADDRESS_INCOMPLETE = "address_incomplete"
ADDRESS_UNKNOWN_PROVINCE = "address_unknown_province"
ADDRESS_SUSPICIOUS = "address_suspicious"

# Address fields in the order a form shows them, with their names in both languages.
ADDRESS_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("receiver", "receiver", "收货人"),
    ("phone", "phone", "电话"),
    ("province", "province", "省份"),
    ("city", "city", "城市"),
    ("district", "district", "区县"),
    ("detail", "street address", "详细地址"),
)

# Words that mark a made-up address. Matched case-insensitively in the street address.
# "test" only as a word of its own (not inside "contest"); the Chinese markers anywhere.
SUSPICIOUS_MARKERS: tuple[str, ...] = ("测试", "test", "xxx", "不详", "未知", "假地址")
_MARKER_PATTERNS = tuple(
    (m, re.compile(r"(?<![a-z])test(?![a-z])") if m == "test" else re.compile(re.escape(m)))
    for m in SUSPICIOUS_MARKERS
)
MIN_DETAIL_CHARS = 4


def _meaningful(text: str) -> str:
    """``text`` without whitespace, full-width forms folded to their ASCII look-alikes."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _is_digit_or_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "NPS"


def suspicious_reasons(detail: str) -> list[tuple[str, str]]:
    """Why a street address looks made up, as (en, zh) pairs; [] when it looks real.

    Deliberately conservative — each heuristic flags an order for a person to look at, it
    never rejects one:

    * shorter than ``MIN_DETAIL_CHARS`` characters (whitespace not counted): "1号" or "x";
    * only digits, punctuation and symbols: "12-3-401", "???";
    * one character repeated: "啊啊啊啊";
    * a test/dummy marker from ``SUSPICIOUS_MARKERS``.

    An empty detail is not "suspicious": that is ``address_incomplete``.
    """
    text = _meaningful(detail)
    if not text:
        return []
    reasons: list[tuple[str, str]] = []
    if len(text) < MIN_DETAIL_CHARS:
        reasons.append(
            (
                f"the street address is shorter than {MIN_DETAIL_CHARS} characters",
                f"详细地址少于 {MIN_DETAIL_CHARS} 个字",
            )
        )
    if all(_is_digit_or_punct(ch) for ch in text):
        reasons.append(
            (
                "the street address is only digits or punctuation",
                "详细地址只有数字或标点",
            )
        )
    elif len(text) > 1 and len(set(text)) == 1:
        reasons.append(
            (
                f"the street address is one character repeated ({text[0]})",
                f"详细地址是同一个字重复（{text[0]}）",
            )
        )
    # Markers are looked for with the spaces still in, so "test road" finds the word "test".
    lowered = unicodedata.normalize("NFKC", detail).casefold()
    found = [m for m, pattern in _MARKER_PATTERNS if pattern.search(lowered)]
    if found:
        listed = ", ".join(found)
        reasons.append(
            (
                f"the street address contains a test/dummy marker: {listed}",
                f"详细地址含测试/虚假字样：{'、'.join(found)}",
            )
        )
    return reasons


def address_problems(addr: Address | None) -> list[Problem]:
    """Everything wrong with ``addr``, most serious first; [] for a usable address.

    * ``address_missing``: no address at all (nothing else is reported then);
    * ``address_incomplete``: receiver, phone, province, city, district or detail blank —
      the message names which;
    * ``address_unknown_province``: a province that is none of the 34 (short forms accepted);
    * ``address_suspicious``: the street address looks made up (see ``suspicious_reasons``).

    Phone validity is not judged here (the review rule ``invalid_phone`` does that).
    """
    if addr is None:
        return [Problem(ADDRESS_MISSING, "The order has no delivery address.", "订单没有收货地址。")]
    problems: list[Problem] = []
    blank = [(en, zh) for attr, en, zh in ADDRESS_FIELDS if not (getattr(addr, attr) or "").strip()]
    if blank:
        problems.append(
            Problem(
                ADDRESS_INCOMPLETE,
                "The delivery address is incomplete; missing: " + ", ".join(en for en, _ in blank) + ".",
                "收货地址不完整，缺少：" + "、".join(zh for _, zh in blank) + "。",
            )
        )
    province = (addr.province or "").strip()
    if province and normalize_province(province) is None:
        problems.append(
            Problem(
                ADDRESS_UNKNOWN_PROVINCE,
                f"Unknown province: {province}.",
                f"无法识别的省份：{province}。",
            )
        )
    reasons = suspicious_reasons(addr.detail or "")
    if reasons:
        problems.append(
            Problem(
                ADDRESS_SUSPICIOUS,
                "The delivery address looks suspicious: " + "; ".join(en for en, _ in reasons) + ".",
                "收货地址可疑：" + "；".join(zh for _, zh in reasons) + "。",
            )
        )
    return problems


# ---------------------------------------------------------------------------------------------
# Same address


def _key_part(text: str | None) -> str:
    """Full-width folded to half-width, lower-cased, whitespace/punctuation/symbols removed."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")


def address_key(addr: Address) -> str:
    """A normalised key of the place an address names: equal keys mean "the same address".

    Built from province (normalised to its full name when known), city, district and detail,
    each with whitespace and punctuation removed, full-width letters and digits folded to
    half-width and letters lower-cased, joined by ``|``. Receiver and phone are not part of
    it: combine them with the key when "same receiver at the same address" is wanted.
    """
    province = normalize_province(addr.province) or addr.province
    return "|".join(_key_part(part) for part in (province, addr.city, addr.district, addr.detail))
