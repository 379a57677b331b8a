"""Order import from .xlsx and CSV files, with no database."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from omnistock.orders import order_import
from omnistock.orders.intake import Address, Buyer, IntakeLine, IntakeOrder, Payment
from omnistock.orders.order_import import COLUMNS, ImportFailed, parse_orders, template
from omnistock.platform.errors import Invalid

ZH_HEADER = "订单号,渠道,买家姓名,买家手机,收货人,收货电话,省,市,区县,详细地址,SKU编码,数量,单价(元),行优惠(元),运费(元),订单优惠(元),支付方式,实付金额(元),买家留言,标签"
EN_HEADER = "Order no,Channel,Buyer name,SKU code,Qty,Unit price (yuan)"

ZH_ROWS = [
    "WX001,wechat,张三,13800138000,张三,13800138000,广东省,深圳市,南山区,科苑路 15 号,TS-RED-M,2,59.90,5,8.00,10,微信支付,162.70,工作日送货,VIP、复购",
    "WX001,,,,,,,,,,MUG-01,1,49.9,,,,,,,",
    "WX002,wechat,李四,,,,,,,,TS-RED-M,1,59.90,,,,,,,",
]

EXPECTED = [
    IntakeOrder(
        channel="wechat",
        external_ref="WX001",
        buyer=Buyer("张三", "13800138000"),
        lines=(IntakeLine("TS-RED-M", 2, 5990, 500), IntakeLine("MUG-01", 1, 4990, 0)),
        address=Address("张三", "13800138000", "广东省", "深圳市", "南山区", "科苑路 15 号"),
        discount_cents=1000,
        shipping_fee_cents=800,
        payments=(Payment("wechat_pay", 16270),),
        buyer_remark="工作日送货",
        tags=("VIP", "复购"),
    ),
    IntakeOrder(
        channel="wechat",
        external_ref="WX002",
        buyer=Buyer("李四"),
        lines=(IntakeLine("TS-RED-M", 1, 5990, 0),),
    ),
]


def csv_bytes(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def patch_xlsx(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` with ``old`` replaced in its first sheet's XML (values openpyxl would round)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert old in content
                content = content.replace(old, new)
            dst.writestr(item, content)
    return out.getvalue()


def cells(err: ImportFailed) -> list[tuple[int, str]]:
    return [(e["row"], e["column"]) for e in err.params["errors"]]


def failed(data: bytes, filename: str) -> ImportFailed:
    with pytest.raises(ImportFailed) as info:
        parse_orders(data, filename)
    assert info.value.code == "orders.import_failed"
    assert info.value.status == 422
    return info.value


# ---------------------------------------------------------------------------------------------
# CSV


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_every_encoding(encoding):
    data = csv_bytes([ZH_HEADER, *ZH_ROWS], encoding)
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    assert parse_orders(data, "orders.csv") == EXPECTED


def test_csv_english_headers_and_only_the_required_columns():
    data = csv_bytes([EN_HEADER, "A1,shop,Jane Doe,SKU-1,3,1299", "A1,shop,,SKU-2,1,0.5"])
    assert parse_orders(data, "orders.csv") == [
        IntakeOrder(
            channel="shop",
            external_ref="A1",
            buyer=Buyer("Jane Doe"),
            lines=(IntakeLine("SKU-1", 3, 129900, 0), IntakeLine("SKU-2", 1, 50, 0)),
        )
    ]


def test_money_text_with_currency_sign_and_thousands_separators():
    data = csv_bytes([EN_HEADER, 'A,s,x,S1,1,"¥1,299.00"', "A,s,x,S2,1,￥0.05", 'A,s,x,S3,1,"12,34"'])
    err = failed(data, "x.csv")
    assert cells(err) == [(4, "unit_price")]  # "12,34" is not a thousands separator
    (order,) = parse_orders(data.rsplit(b"A,s,x,S3", 1)[0], "x.csv")
    assert [line.unit_price_cents for line in order.lines] == [129900, 5]


def test_headers_are_matched_after_trimming_and_in_either_language():
    header = " order_no ,渠道,Buyer Name,sku,数量, 单价（元） ,Ship after,下单时间"
    data = csv_bytes([header, "A1,shop,Jane,S1,1,1.00,2024/3/10,2024-03-01 10:15"])
    (order,) = parse_orders(data, "x.csv")
    assert order.ship_after == dt.date(2024, 3, 10)
    assert order.ordered_at == dt.datetime(2024, 3, 1, 2, 15)  # Beijing time -> naive UTC


def test_rows_of_one_order_need_not_be_adjacent_and_orders_keep_file_order():
    data = csv_bytes([EN_HEADER, "B,s,x,S1,1,1", "A,s,y,S2,1,1", "B,s,x,S3,2,1"])
    orders = parse_orders(data, "x.csv")
    assert [o.external_ref for o in orders] == ["B", "A"]
    assert [line.sku for line in orders[0].lines] == ["S1", "S3"]


# ---------------------------------------------------------------------------------------------
# Errors


def test_unknown_duplicate_and_missing_headers_are_refused():
    data = csv_bytes(["订单号,渠道,买家姓名,SKU编码,SKU,数量,单价,Colour", "A,s,x,S1,S1,1,1,red"])
    err = failed(data, "x.csv")
    assert sorted((e["code"], e["column"]) for e in err.params["errors"]) == [
        ("orders.import_duplicate_column", "sku"),
        ("orders.import_unknown_column", ""),
    ]
    assert "Colour" in err.params["errors"][0]["en"] + err.params["errors"][1]["en"]
    err = failed(csv_bytes(["订单号,渠道,买家姓名,数量,单价", "A,s,x,1,1"]), "x.csv")
    assert cells(err) == [(1, "sku")]
    assert err.params["errors"][0]["code"] == "orders.import_missing_column"


def test_every_bad_cell_is_listed_with_row_column_and_both_languages():
    data = csv_bytes(
        [
            ZH_HEADER,
            # row 2: bad money (3 places), negative qty
            "A,s,x,,,,,,,,S1,-1,1.234,,,,,,,",
            # row 3: missing SKU, fractional qty, bad shipping fee
            "B,s,x,,,,,,,,,1.5,2.00,,8.8.8,,,,,",
            # row 4: no order number, zero qty
            ",s,x,,,,,,,,S2,0,1,,,,,,,",
            # row 5: line discount above the line amount, unknown payment method without an amount
            "C,s,x,,,,,,,,S3,1,1.00,2.00,,,现金,,,",
        ]
    )
    err = failed(data, "x.csv")
    assert cells(err) == [
        (2, "qty"),
        (2, "unit_price"),
        (3, "sku"),
        (3, "qty"),
        (3, "shipping_fee"),
        (4, "order_no"),
        (4, "qty"),
        (5, "line_discount"),
        (5, "payment_method"),
    ]
    first = err.params["errors"][0]
    assert first["header"] == "数量" and first["column_en"] == "Qty" and first["column_zh"] == "数量"
    assert first["en"].startswith("Must be a whole number") and first["zh"].startswith("必须是")
    assert "at most two decimals" in err.params["errors"][1]["en"]
    assert err.params["count"] == 9
    assert "row 2" in err.en and "第 2 行" in err.zh
    assert err.problem("en")["errors"] == err.params["errors"]


def test_conflicting_order_level_values_are_errors_on_the_later_row():
    data = csv_bytes(
        [
            ZH_HEADER,
            "A,wechat,张三,138,张三,138,广东省,深圳市,南山区,路 1 号,S1,1,10,,8,,微信支付,18,,",
            "A,wechat,张三,,,,,,,,S2,1,10,,8.00,,,,,",  # empty or equal: fine (8 == 8.00)
            "A,douyin,李四,,,,,,,,S3,1,10,,5,,,,,",  # channel, buyer and fee differ from row 2
            "A,,,,,,,,,,S4,1,10,,,,,,请尽快,",  # the first row had no remark
        ]
    )
    err = failed(data, "x.csv")
    assert cells(err) == [(4, "channel"), (4, "buyer_name"), (4, "shipping_fee"), (5, "remark")]
    assert all(e["en"] == "Differs from row 2, the first row of order A" for e in err.params["errors"])
    assert err.params["errors"][0]["zh"] == "与订单 A 的首行（第 2 行）不一致"


def test_order_level_rules():
    data = csv_bytes(
        [
            ZH_HEADER,
            "A,,x,,,,,,,,S1,1,1,,,,,,,",  # no channel
            "B,s,x,,张三,,广东省,,,,S1,1,1,,,,,,,",  # half an address
            "C,s,x,,,,,,,,S1,1,1,,,,支付宝,,,",  # method without amount
            "D,s,x,,,,,,,,S1,1,1,,,,,5,,",  # amount without method
        ]
    )
    err = failed(data, "x.csv")
    assert cells(err) == [
        (2, "channel"),
        (3, "receiver_phone"),
        (3, "city"),
        (3, "address"),
        (4, "paid_amount"),
        (5, "payment_method"),
    ]


def test_a_bad_file_yields_no_orders_even_when_most_orders_are_good():
    data = csv_bytes([ZH_HEADER, *ZH_ROWS, "WX003,wechat,王五,,,,,,,,TS,1,1.001,,,,,,,"])
    err = failed(data, "x.csv")
    assert cells(err) == [(5, "unit_price")]


def test_empty_files():
    for data in (b"", b"\xef\xbb\xbf", b"\r\n\r\n"):
        err = failed(data, "x.csv")
        assert err.params["errors"][0]["code"] == "orders.import_empty"
    err = failed(csv_bytes([ZH_HEADER, ",,,"]), "x.csv")
    assert err.params["errors"][0]["code"] == "orders.import_empty"
    assert "no order rows" in err.en
    err = failed(xlsx([]), "x.xlsx")
    assert err.params["errors"][0]["code"] == "orders.import_empty"


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(order_import, "MAX_ROWS", 3)
    ok = csv_bytes([EN_HEADER] + [f"A,s,x,S{i},1,1" for i in range(3)])
    assert len(parse_orders(ok, "x.csv")[0].lines) == 3
    err = failed(csv_bytes([EN_HEADER] + [f"A,s,x,S{i},1,1" for i in range(4)]), "x.csv")
    assert err.params["errors"][0]["code"] == "orders.import_too_many_rows"
    assert cells(err) == [(5, "")]


def test_the_real_limit_is_twenty_thousand_rows():
    assert order_import.MAX_ROWS == 20_000


def test_unreadable_files():
    with pytest.raises(Invalid) as info:
        parse_orders(b"PK\x03\x04 not really a zip", "orders.xlsx")
    assert info.value.code == "orders.import_unreadable"
    with pytest.raises(Invalid) as info:
        parse_orders(b"\xd0\xcf\x11\xe0", "orders.xls")
    assert info.value.code == "orders.import_unreadable"


def test_values_in_a_column_without_a_header_are_reported():
    err = failed(csv_bytes([EN_HEADER, "A,s,x,S1,1,1,surprise"]), "x.csv")
    assert err.params["errors"][0]["code"] == "orders.import_no_header"
    assert cells(err) == [(2, "")]


# ---------------------------------------------------------------------------------------------
# Excel


def test_xlsx_numeric_cells_are_read_exactly():
    header = [
        "订单号",
        "渠道",
        "买家姓名",
        "买家手机",
        "SKU编码",
        "数量",
        "单价(元)",
        "运费(元)",
        "下单时间",
        "预售发货日",
    ]
    data = xlsx(
        [
            header,
            [20240301001, "s", "张三", 13800138000, 6901234567892, 3, 59.9, 0.1, dt.datetime(2024, 3, 1, 8), dt.date(2024, 3, 9)],
            [20240301001, "s", "张三", None, "SKU-2", 2.0, Decimal("19.99"), None, None, None],
        ]
    )  # fmt: skip
    (order,) = parse_orders(data, "orders.xlsx")
    assert order.external_ref == "20240301001"
    assert order.buyer == Buyer("张三", "13800138000")
    assert order.lines == (IntakeLine("6901234567892", 3, 5990, 0), IntakeLine("SKU-2", 2, 1999, 0))
    assert order.shipping_fee_cents == 10
    assert order.ordered_at == dt.datetime(2024, 3, 1, 0, 0)
    assert order.ship_after == dt.date(2024, 3, 9)


def test_xlsx_float_noise_and_bad_numbers_are_refused():
    header = ["订单号", "渠道", "买家姓名", "SKU编码", "数量", "单价(元)"]
    data = xlsx(
        [
            header,
            ["A", "s", "x", "S1", 1, 0.25],
            ["A", "s", "x", "S2", 1.5, 1.005],
            ["A", "s", "x", "S3", -2, -1],
        ]
    )
    # What Excel writes for a computed =0.1+0.2: the double's 17 significant digits.
    data = patch_xlsx(data, b"<v>0.25</v>", b"<v>0.30000000000000004</v>")
    err = failed(data, "orders.xlsx")
    assert cells(err) == [(2, "unit_price"), (3, "qty"), (3, "unit_price"), (4, "qty"), (4, "unit_price")]
    assert "0.30000000000000004" in err.params["errors"][0]["en"]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_template_round_trip(lang):
    data = template(lang)
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == [c.zh if lang == "zh-CN" else c.en for c in COLUMNS]
    assert ws.max_row == 3  # the header and one order of two lines
    assert len(wb.worksheets) == 2  # and the instructions
    (order,) = parse_orders(data, "template.xlsx")
    assert order == IntakeOrder(
        channel="wechat",
        external_ref="WX20240301001",
        buyer=Buyer("张三" if lang == "zh-CN" else "Zhang San", "13800138000"),
        lines=(IntakeLine("TS-DEMO-RED-M", 2, 5990, 500), IntakeLine("MUG-01", 1, 4990, 0)),
        address=Address(
            "张三" if lang == "zh-CN" else "Zhang San",
            "13800138000",
            "广东省",
            "深圳市",
            "南山区",
            "科苑路 15 号 A 座 1203 室",
        ),
        discount_cents=1000,
        shipping_fee_cents=800,
        payments=(Payment("wechat_pay", 16270),),
        buyer_remark="工作日送货" if lang == "zh-CN" else "Weekdays only",
        tags=("VIP", "复购") if lang == "zh-CN" else ("VIP", "repeat"),
        ordered_at=dt.datetime(2024, 3, 1, 2, 15),
    )
    # The example's payment is what its lines, fees and discount come to.
    gross = sum(line.qty * line.unit_price_cents - line.discount_cents for line in order.lines)
    assert gross - order.discount_cents + order.shipping_fee_cents == order.payments[0].amount_cents


def test_xlsx_found_by_content_when_the_name_says_nothing():
    (order,) = parse_orders(template("en"), "upload")
    assert order.external_ref == "WX20240301001"


def test_payment_method_words():
    header = "Order no,Channel,Buyer name,SKU code,Qty,Unit price (yuan),Payment method,Paid amount (yuan)"
    rows = [
        f"{i},s,x,S,1,1,{word},1"
        for i, word in enumerate(["支付宝", "alipay", "WeChat Pay", "银行卡", "余额"])
    ]
    orders = parse_orders(csv_bytes([header, *rows]), "x.csv")
    assert [o.payments[0].method for o in orders] == [
        "alipay",
        "alipay",
        "wechat_pay",
        "bank_card",
        "balance",
    ]
