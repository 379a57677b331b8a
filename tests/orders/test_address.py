"""Chinese addresses and phones: provinces, phone numbers, address problems, same-address keys."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.orders.address import (
    PROVINCE_CODES,
    PROVINCES,
    Problem,
    address_key,
    address_problems,
    is_valid_phone,
    normalize_phone,
    normalize_province,
    province_from_code,
)
from omnistock.orders.intake import Address

GOOD = Address("张三", "13812345678", "广东省", "深圳市", "南山区", "科技园南区科苑路15号")


def _addr(**changes) -> Address:
    return dataclasses.replace(GOOD, **changes)


def _codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


# --------------------------------------------------------------------------------- provinces


def test_there_are_34_distinct_provinces_by_full_name():
    assert len(PROVINCES) == 34
    assert len(set(PROVINCES)) == 34
    for name in ("北京市", "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区"):
        assert name in PROVINCES
    for name in ("新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区", "台湾省", "黑龙江省"):
        assert name in PROVINCES


@pytest.mark.parametrize(
    "text, expected",
    [
        ("北京", "北京市"),
        ("北京市", "北京市"),
        ("  上海 ", "上海市"),
        ("\u3000重庆市\u3000", "重庆市"),
        ("广东", "广东省"),
        ("广西", "广西壮族自治区"),
        ("广西自治区", "广西壮族自治区"),
        ("广西壮族自治区", "广西壮族自治区"),
        ("内蒙古", "内蒙古自治区"),
        ("内蒙", "内蒙古自治区"),
        ("新疆", "新疆维吾尔自治区"),
        ("西藏", "西藏自治区"),
        ("宁夏", "宁夏回族自治区"),
        ("香港", "香港特别行政区"),
        ("香港特区", "香港特别行政区"),
        ("澳门", "澳门特别行政区"),
        ("台湾", "台湾省"),
        ("黑龙江", "黑龙江省"),
        ("陕西", "陕西省"),
        ("山西", "山西省"),
        ("广 东", "广东省"),
        ("", None),
        ("   ", None),
        (None, None),
        ("广东市", None),
        ("粤", None),
        ("深圳", None),
        ("加利福尼亚", None),
        # English (pinyin) names, as foreign storefronts send them
        ("Zhejiang", "浙江省"),
        ("GUANGDONG PROVINCE", "广东省"),
        ("Shanghai Shi", "上海市"),
        ("Shaanxi", "陕西省"),
        ("Shanxi", "山西省"),
        ("Inner Mongolia", "内蒙古自治区"),
        ("Guangxi Zhuang Autonomous Region", "广西壮族自治区"),
        ("Tibet", "西藏自治区"),
        ("Hong Kong SAR", "香港特别行政区"),
        ("Macao", "澳门特别行政区"),
        ("California", None),
        ("ZJ", None),  # a code is not a name: see province_from_code
    ],
)
def test_normalize_province(text, expected):
    assert normalize_province(text) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ZJ", "浙江省"),
        ("cn-gd", "广东省"),
        ("HA", "河南省"),
        ("HE", "河北省"),
        ("SN", "陕西省"),
        ("XX", None),
        ("", None),
    ],
)
def test_province_from_iso_code(code, expected):
    assert province_from_code(code) == expected


def test_every_province_has_an_english_name_and_a_code():
    assert len(PROVINCE_CODES) == len(PROVINCES)
    assert {province_from_code(code) for code in PROVINCE_CODES} == set(PROVINCES)
    assert all(normalize_province(full) == full for full in PROVINCES)


def test_every_full_name_normalises_to_itself():
    for name in PROVINCES:
        assert normalize_province(name) == name


# ------------------------------------------------------------------------------------ phones


@pytest.mark.parametrize(
    "text, expected",
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits
        ("19912345678", "19912345678"),
        ("010-12345678", "01012345678"),
        ("(010) 1234 5678", "01012345678"),
        ("0755-1234567", "07551234567"),
        ("0755 12345678", "075512345678"),
        ("+86 10 1234 5678", "01012345678"),  # international form drops the trunk 0
        ("+86 755 1234 5678", "075512345678"),
        ("", None),
        (None, None),
        ("12812345678", None),  # 12x is no mobile prefix
        ("1381234567", None),  # 10 digits
        ("138123456789", None),  # 12 digits
        ("23812345678", None),
        ("0012345678", None),  # area codes never start with 00
        ("010-123456", None),  # local number too short
        ("0755-123456789", None),  # local number too long
        ("010-12345678-801", None),  # extensions are not accepted
        ("138abc45678", None),
        ("+1 415 555 0100", None),
    ],
)
def test_normalize_phone(text, expected):
    assert normalize_phone(text) == expected
    assert is_valid_phone(text) is (expected is not None)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_any_mobile_is_valid_in_every_common_spelling(mobile):
    spaced = f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"
    for text in (mobile, spaced, "+86" + mobile, "86" + mobile, "0086-" + mobile, f"+86 {spaced}"):
        assert normalize_phone(text) == mobile


# ------------------------------------------------------------------------- address problems


def test_a_good_address_has_no_problems():
    assert address_problems(GOOD) == []
    assert address_problems(_addr(province="广东")) == []


def test_no_address_is_missing_and_nothing_else():
    problems = address_problems(None)
    assert _codes(problems) == ["address_missing"]
    assert problems[0].en and problems[0].zh


@pytest.mark.parametrize(
    "changes, en_names, zh_names",
    [
        ({"receiver": ""}, ["receiver"], ["收货人"]),
        ({"phone": " "}, ["phone"], ["电话"]),
        ({"province": ""}, ["province"], ["省份"]),
        ({"city": ""}, ["city"], ["城市"]),
        ({"district": ""}, ["district"], ["区县"]),
        ({"detail": "  "}, ["street address"], ["详细地址"]),
        ({"city": "", "district": ""}, ["city", "district"], ["城市", "区县"]),
    ],
)
def test_blank_fields_are_named(changes, en_names, zh_names):
    problems = address_problems(_addr(**changes))
    assert _codes(problems) == ["address_incomplete"]
    for name in en_names:
        assert name in problems[0].en
    for name in zh_names:
        assert name in problems[0].zh
    # and a field that is there is not named
    assert ("receiver" in problems[0].en) is ("receiver" in changes)


def test_unknown_province():
    problems = address_problems(_addr(province="火星"))
    assert _codes(problems) == ["address_unknown_province"]
    assert "火星" in problems[0].en and "火星" in problems[0].zh


@pytest.mark.parametrize(
    "detail, fragment",
    [
        ("1号", "shorter than 4"),
        ("x", "shorter than 4"),
        ("12-3-401", "digits or punctuation"),
        ("？？？？？", "digits or punctuation"),
        ("１２３４５６", "digits or punctuation"),
        ("啊啊啊啊啊", "one character repeated"),
        ("aaaaaaa", "one character repeated"),
        ("测试地址123号", "测试"),
        ("test road 1", "test"),
        ("TEST", "test"),
        ("科技园xxx号", "xxx"),
        ("XXX路XXX号", "xxx"),
        ("地址不详", "不详"),
        ("未知街道1号", "未知"),
        ("这是一个假地址", "假地址"),
    ],
)
def test_suspicious_details(detail, fragment):
    problems = address_problems(_addr(detail=detail))
    assert _codes(problems) == ["address_suspicious"]
    assert fragment in problems[0].en
    assert problems[0].zh.startswith("收货地址可疑")


@pytest.mark.parametrize(
    "detail",
    [
        "科技园南区科苑路15号",
        "人民路1号",  # four characters is enough
        "建国门外大街1号国贸大厦A座1001",
        "Contest Plaza 12F",  # "test" inside a word is no marker
        "XX小区3栋",  # two x's are a common stand-in for a name, not a dummy marker
        "Room 1201, 88 Century Ave",
        "中关村大街27号",
    ],
)
def test_real_looking_details_are_not_suspicious(detail):
    assert address_problems(_addr(detail=detail)) == []


def test_several_problems_are_reported_together():
    problems = address_problems(_addr(receiver="", province="火星", detail="测试"))
    assert _codes(problems) == ["address_incomplete", "address_unknown_province", "address_suspicious"]


# ---------------------------------------------------------------------------- address key


@pytest.mark.parametrize(
    "other",
    [
        _addr(province="广东"),
        _addr(detail=" 科技园 南区 科苑路 15 号 "),
        _addr(detail="科技园南区，科苑路15号。"),
        _addr(detail="科技园南区科苑路１５号"),  # full-width digits
        _addr(receiver="李四", phone="13900000000"),  # the place, not the person
    ],
)
def test_same_place_same_key(other):
    assert address_key(other) == address_key(GOOD)


def test_letters_are_folded_and_lowered():
    a = _addr(detail="国贸大厦Ａ座1001")
    b = _addr(detail="国贸大厦a座 1001")
    assert address_key(a) == address_key(b)


@pytest.mark.parametrize(
    "other",
    [
        _addr(detail="科技园南区科苑路16号"),
        _addr(district="福田区"),
        _addr(city="广州市"),
        _addr(province="广西"),
    ],
)
def test_different_place_different_key(other):
    assert address_key(other) != address_key(GOOD)


def test_key_is_normalised_text():
    key = address_key(_addr(detail="Block Ｂ， Room 3"))
    assert key == "广东省|深圳市|南山区|blockbroom3"
