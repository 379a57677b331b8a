"""Settlement statements read from real-looking provider files, with no database."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from omnistock.finance import statements
from omnistock.finance.reconcile_rules import FEE, PAYOUT, REFUND, SALE, StatementRow
from omnistock.finance.statements import (
    TEMPLATES,
    CellError,
    StatementError,
    StatementTemplate,
    TemplateError,
    format_amount,
    generic_csv,
    parse_amount,
    parse_datetime,
    parse_statement,
)
from omnistock.platform.errors import Invalid

DATA = Path(__file__).parent / "data"
CN = dt.timezone(dt.timedelta(hours=8))


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def errors_of(exc: pytest.ExceptionInfo[StatementError]) -> list[tuple[int, str, str]]:
    return [(e.row_no, e.column, e.code) for e in exc.value.errors]


# ---------------------------------------------------------------------------------------------
# Cells


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("59.90", 5990),
        ("59.9", 5990),
        ("59", 5900),
        ("¥1,234.50", 123450),
        ("￥1,234.50", 123450),
        ("-3.2", -320),
        ("`0.36", 36),
        ("`-0.12", -12),
        ("+8.00", 800),
        ("-¥3.20", -320),
        ("¥-3.20", -320),
        ("(3.20)", -320),
        ("12.50元", 1250),
        ("CNY 7.00", 700),
        (".5", 50),
        ("0.36000", 36),
        ("1,234,567.89", 123456789),
        ("１２.３０", 1230),
        (" 0.00 ", 0),
        (5, 500),
        (59.9, 5990),
        (Decimal("12.30"), 1230),
    ],
)
def test_amounts_are_read_exactly(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize(
    "text",
    [
        "12.345",
        "0.001",
        "abc",
        "",
        "1,23.00",
        "--1",
        "1.2.3",
        "¥",
        ".",
        "1e3",
        None,
        True,
        59.900000000000006,
        0.1 + 0.2,
    ],
)
def test_bad_amounts_are_refused(text):
    with pytest.raises(CellError) as exc:
        parse_amount(text)
    assert exc.value.en and exc.value.zh


def test_too_many_decimals_says_so():
    with pytest.raises(CellError) as exc:
        parse_amount("1.005")
    assert "two decimals" in exc.value.en and "两位小数" in exc.value.zh


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01 10:15:30", dt.datetime(2024, 3, 1, 10, 15, 30, tzinfo=CN)),
        ("2024/3/1 9:05", dt.datetime(2024, 3, 1, 9, 5, tzinfo=CN)),
        ("2024年03月01日 10:15:30", dt.datetime(2024, 3, 1, 10, 15, 30, tzinfo=CN)),
        ("2024.03.01", dt.datetime(2024, 3, 1, tzinfo=CN)),
        ("20240301101530", dt.datetime(2024, 3, 1, 10, 15, 30, tzinfo=CN)),
        ("2024-03-01T02:15:30Z", dt.datetime(2024, 3, 1, 2, 15, 30, tzinfo=dt.UTC)),
        ("2024-03-01 10:15:30.250+08:00", dt.datetime(2024, 3, 1, 10, 15, 30, 250000, tzinfo=CN)),
        (dt.datetime(2024, 3, 1, 10, 15), dt.datetime(2024, 3, 1, 10, 15, tzinfo=CN)),
        (dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, tzinfo=CN)),
    ],
)
def test_times_are_aware_and_in_china_time_unless_told(text, expected):
    when = parse_datetime(text, CN)
    assert when == expected and when.tzinfo is not None


@pytest.mark.parametrize("text", ["2024-13-01", "2024-02-30 10:00", "yesterday", "10:15", "", None, 5])
def test_bad_times_are_refused(text):
    with pytest.raises(CellError):
        parse_datetime(text, CN)


def test_a_date_format_is_followed():
    assert parse_datetime("01/03/2024 10:15", CN, "%d/%m/%Y %H:%M") == dt.datetime(
        2024, 3, 1, 10, 15, tzinfo=CN
    )
    with pytest.raises(CellError) as exc:
        parse_datetime("2024-03-01 10:15", CN, "%d/%m/%Y %H:%M")
    assert "%d/%m/%Y %H:%M" in exc.value.en


# ---------------------------------------------------------------------------------------------
# WeChat Pay


def test_wechat_pay_bill_in_gbk_with_backticks_and_summary_lines():
    parsed = parse_statement(data("wechat_pay_bill_gbk.csv"), "wechat_pay", filename="20240301.csv")
    assert parsed.template == "wechat_pay" and parsed.header_row == 1
    got = [
        (r.row_no, r.kind, r.txn_id, r.order_ref, r.gross_cents, r.fee_cents, r.net_cents)
        for r in parsed.rows
    ]
    assert got == [
        (2, SALE, "4200002024030112345678901234", "WX2403010001", 5990, 36, 5954),
        (3, SALE, "4200002024030112345678905678", "WX2403010002", 123450, 741, 122709),
        # A refund: its own id and amount (退款金额), the fee given back as a negative fee.
        (4, REFUND, "50300001234567890123456789", "WX2403010001", -2000, -12, -1988),
        (5, SALE, "4200002024030112345678909999", "WX2403019999", 8000, 48, 7952),
    ]
    first = parsed.rows[0]
    assert first.settled_at == dt.datetime(2024, 3, 1, 10, 12, 1, tzinfo=CN)
    assert first.settled_at.utcoffset() == dt.timedelta(hours=8)
    assert first.raw["商户订单号"] == "WX2403010001" and first.raw["商品名称"] == "纯棉T恤 红色 M"
    assert first.raw["费率"] == "0.60%"
    # The summary's totals (应结订单总金额 1374.40, 手续费总金额 8.13) agree with the rows.
    assert sum(r.gross_cents for r in parsed.rows if r.kind == SALE) == 137440
    assert parsed.totals["fee_cents"] == 813
    assert parsed.period == (first.settled_at, dt.datetime(2024, 3, 1, 21, 45, tzinfo=CN))


def test_the_same_bill_re_saved_by_excel_has_the_same_fingerprint():
    original = parse_statement(data("wechat_pay_bill_gbk.csv"), "wechat_pay")
    text = data("wechat_pay_bill_gbk.csv").decode("gbk")
    as_utf8_bom = b"\xef\xbb\xbf" + text.encode("utf-8")
    assert parse_statement(as_utf8_bom, "wechat_pay").fingerprint == original.fingerprint
    # Excel shows the cells without the backticks, rewrites times without seconds, 0.60 as 0.6.
    lines = text.replace("`", "").splitlines()
    resaved = [lines[0]]
    for line in lines[1:5]:
        cells = line.split(",")
        when = dt.datetime.fromisoformat(cells[0])
        cells[0] = f"{when.year}/{when.month}/{when.day} {when.hour}:{when.minute:02d}"
        cells = [
            c[:-1] if c.endswith("0") and "." in c and c.replace(".", "").isdigit() else c for c in cells
        ]
        resaved.append(",".join(cells))
    resaved += lines[5:]
    again = parse_statement("\r\n".join(resaved).encode("gb18030"), "wechat_pay")
    assert [r.gross_cents for r in again.rows] == [r.gross_cents for r in original.rows]
    assert again.fingerprint == original.fingerprint
    # ... and saved as a workbook, with numbers and times as typed cells.
    rows = [line.split(",") for line in resaved[:5]]
    for r in rows[1:]:
        r[0] = dt.datetime.strptime(r[0], "%Y/%m/%d %H:%M")
        for i in (12, 16, 22):
            r[i] = float(r[i])
    book = parse_statement(xlsx(rows), "wechat_pay", filename="bill.xlsx")
    assert book.fingerprint == original.fingerprint
    # A different statement does not.
    other = parse_statement(data("wechat_pay_bill_gbk.csv").replace(b"`80.00", b"`80.01"), "wechat_pay")
    assert other.fingerprint != original.fingerprint


def test_a_success_only_bill_has_no_refund_columns_and_needs_none():
    text = data("wechat_pay_bill_gbk.csv").decode("gbk").splitlines()
    header = text[0].split(",")
    keep = [i for i, h in enumerate(header) if h not in ("微信退款单号", "退款金额")]
    rows = [",".join(line.split(",")[i] for i in keep) for line in (text[0], text[1], text[2])]
    parsed = parse_statement("\n".join(rows).encode("gbk"), "wechat_pay")
    assert [r.kind for r in parsed.rows] == [SALE, SALE]
    # A refund row in such a file cannot be read: said once, with its row.
    refund = text[3].split(",")
    rows.append(",".join(refund[i] for i in keep))
    rows.append(rows[-1].replace("`REFUND", "`REVOKED"))
    with pytest.raises(StatementError) as exc:
        parse_statement("\n".join(rows).encode("gbk"), "wechat_pay")
    assert errors_of(exc) == [
        (4, "退款金额", "finance.statement_missing_column"),
        (4, "微信退款单号", "finance.statement_missing_column"),
    ]


def test_a_fund_flow_bill_is_not_a_trade_bill():
    with pytest.raises(StatementError) as exc:
        parse_statement(data("wechat_pay_fund_flow.csv"), "wechat_pay")
    err = exc.value
    assert err.code == "finance.statement_columns" and err.status == 422
    assert errors_of(exc) == [(1, "", "finance.statement_columns")]
    assert err.params["missing"] == [
        "交易时间",
        "微信订单号",
        "商户订单号",
        "交易状态",
        "应结订单金额",
        "手续费",
    ]
    assert "记账时间" in err.params["found"] and "收支金额（元）" in err.params["found"]
    assert "应结订单金额" in err.en and "记账时间" in err.en
    assert "缺少列" in err.zh and "应结订单金额" in err.zh


# ---------------------------------------------------------------------------------------------
# Alipay


def test_alipay_statement_with_comment_lines_fee_rows_and_a_payout():
    parsed = parse_statement(data("alipay_statement_gbk.csv"), "alipay", filename="alipay.csv")
    assert parsed.header_row == 5
    got = [(r.row_no, r.kind, r.order_ref, r.gross_cents, r.fee_cents, r.net_cents) for r in parsed.rows]
    assert got == [
        (6, SALE, "AL2403010001", 5990, 0, 5990),
        (7, FEE, "AL2403010001", 0, 36, -36),  # by the sale's 业务流水号
        (8, SALE, "AL2403010002", 8900, 0, 8900),
        (9, FEE, "AL2403010002", 0, 53, -53),  # the order number in its 备注
        (10, REFUND, "AL2403010001", -2000, 0, -2000),
        (11, FEE, "AL2402280009", 0, 60, -60),  # an earlier sale's order number in [..] of 备注
        (12, PAYOUT, "", -100000, 0, -100000),
    ]
    # The tab padding is gone; long numbers stay text.
    assert parsed.rows[0].txn_id == "20240301200040011100150012345678"
    assert parsed.rows[0].trade_no == "2024030122001412345678901234"
    assert parsed.rows[0].raw["对方账号"] == "buyer***@163.com"
    # Σ net is the change of the Alipay balance: 1000.00 -> 127.41
    assert parsed.totals["net_cents"] == 12741 - 100000


def test_alipay_in_utf8_and_as_a_workbook_reads_the_same():
    original = parse_statement(data("alipay_statement_gbk.csv"), "alipay")
    text = data("alipay_statement_gbk.csv").decode("gbk")
    assert parse_statement(text.encode("utf-8"), "alipay").rows == original.rows
    rows = [line.split(",") for line in text.splitlines()]
    book = parse_statement(xlsx(rows), "alipay")
    assert book.rows == original.rows
    assert book.fingerprint == original.fingerprint


# ---------------------------------------------------------------------------------------------
# Generic, in Excel


def test_generic_workbook_with_typed_cells_and_a_blank_row():
    content = xlsx(
        [
            ["order_ref", "type", "amount", "fee", "commission", "settled_at", "txn_id"],
            ["SO-1001", "sale", 59.9, 0.36, 5.99, dt.datetime(2024, 3, 1, 10, 0), "T-1"],
            [None, None, None, None, None, None, None],
            ["SO-1002", "退款", "20.00", None, None, "2024-03-02 09:30:00", "T-2"],
            ["SO-1001", "commission", None, None, 1.2, dt.datetime(2024, 3, 2), "T-3"],
            [None, "payout", 1000, 1, None, dt.datetime(2024, 3, 3), "T-4"],
            ["", "fee", 0.5, None, None, dt.datetime(2024, 3, 3), ""],
        ]
    )
    parsed = parse_statement(content, "generic", filename="settlement.xlsx")
    got = [
        (r.row_no, r.kind, r.order_ref, r.gross_cents, r.fee_cents, r.commission_cents, r.net_cents, r.txn_id)
        for r in parsed.rows
    ]
    assert got == [
        (2, SALE, "SO-1001", 5990, 36, 599, 5355, "T-1"),
        (4, REFUND, "SO-1002", -2000, 0, 0, -2000, "T-2"),
        (5, "commission", "SO-1001", 0, 0, 120, -120, "T-3"),
        (6, PAYOUT, "", -100000, 100, 0, -100100, "T-4"),
        (7, FEE, "", 0, 50, 0, -50, ""),
    ]
    assert parsed.rows[0].settled_at == dt.datetime(2024, 3, 1, 10, 0, tzinfo=CN)
    assert parsed.rows[0].raw["amount"] == "59.9"


def test_generic_file_may_leave_out_the_optional_columns():
    parsed = parse_statement(b"order_ref,type,amount,settled_at\nSO-1,sale,10,2024-03-01 10:00\n", "generic")
    assert [(r.gross_cents, r.fee_cents, r.txn_id) for r in parsed.rows] == [(1000, 0, "")]


def test_bad_cells_are_all_reported_with_their_rows():
    with pytest.raises(StatementError) as exc:
        parse_statement(data("generic_bad_rows.csv"), "generic")
    assert exc.value.code == "finance.statement_rows"
    assert errors_of(exc) == [
        (3, "amount", "finance.statement_bad_amount"),
        (5, "settled_at", "finance.statement_bad_date"),
        (6, "amount", "finance.statement_bad_amount"),
        (6, "settled_at", "finance.statement_bad_date"),
        (7, "type", "finance.statement_bad_kind"),
        (8, "amount", "finance.statement_missing_value"),
        (9, "fee", "finance.statement_bad_amount"),
    ]
    first = exc.value.errors[0]
    assert "12.345" in first.message_en and "两位小数" in first.message_zh
    assert exc.value.en.startswith("The statement has 7 errors") and "row 3" in exc.value.en
    assert "第 3 行" in exc.value.zh
    problem = exc.value.problem("en")
    assert problem["status"] == 422 and problem["code"] == "finance.statement_rows"
    assert problem["errors"][0] == {
        "row_no": 3,
        "column": "amount",
        "code": "finance.statement_bad_amount",
        "message_en": first.message_en,
        "message_zh": first.message_zh,
    }


def test_messages_quoting_the_file_keep_their_braces():
    with pytest.raises(StatementError) as exc:
        parse_statement(b"order_ref,type,amount,settled_at\nSO-1,sale,{x},2024-03-01\n", "generic")
    assert "{x}" in exc.value.en


@pytest.mark.parametrize(
    ("content", "filename", "code"),
    [
        (b"", "a.csv", "finance.statement_empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "a.csv", "finance.statement_empty"),
        (b"order_ref,type,amount,fee,commission,settled_at,txn_id\r\n", "a.csv", "finance.statement_empty"),
        (b"PK\x03\x04 not really a workbook", "a.xlsx", "finance.statement_unreadable"),
        (b"\xd0\xcf\x11\xe0", "old.xls", "finance.statement_unreadable"),
    ],
)
def test_empty_and_unreadable_files(content, filename, code):
    with pytest.raises(StatementError) as exc:
        parse_statement(content, "generic", filename=filename)
    assert exc.value.code == code
    assert exc.value.errors and exc.value.errors[0].code == code


def test_a_header_only_bill_says_it_has_no_transactions():
    header = data("wechat_pay_bill_gbk.csv").decode("gbk").splitlines()[0]
    with pytest.raises(StatementError) as exc:
        parse_statement(header.encode("gbk"), "wechat_pay")
    assert exc.value.code == "finance.statement_empty" and "没有任何交易" in exc.value.zh


# ---------------------------------------------------------------------------------------------
# Custom templates


DOUYIN_LIKE = {
    "name": "shop_x",
    "title_zh": "某平台结算单",
    "columns": {
        "order_ref": "订单号",
        "kind": "动账类型",
        "amount": "动账金额",
        "commission": "平台服务费",
        "settled_at": "动账时间",
        "txn_id": "动账流水号",
    },
    "kind_map": {"订单收入": "sale", "售后退款": "refund", "提现": "payout"},
    "kind_default": "other",
    "amount_sign": "balance",
    "date_format": "%Y/%m/%d %H:%M",
    "encoding": "gb18030",
    "delimiter": ";",
    "skip_prefixes": ["说明"],
}


def test_a_custom_template_from_its_json_form():
    template = StatementTemplate.from_dict(DOUYIN_LIKE)
    assert StatementTemplate.from_dict(template.to_dict()) == template
    content = "\n".join(
        [
            "说明：本结算单由平台生成",
            "动账流水号;订单号;动账类型;动账金额;平台服务费;动账时间",
            "F1;DY001;订单收入;99.00;4.95;2024/03/01 10:00",
            "F2;DY001;售后退款;-30.00;-1.50;2024/03/02 11:00",
            "F3;;提现;-60.00;;2024/03/03 12:00",
            "F4;;保证金;-1.00;;2024/03/03 12:05",
        ]
    ).encode("gbk")
    parsed = parse_statement(content, DOUYIN_LIKE)
    got = [(r.row_no, r.kind, r.gross_cents, r.commission_cents, r.net_cents) for r in parsed.rows]
    assert got == [
        (3, SALE, 9900, 495, 9405),
        (4, REFUND, -3000, -150, -2850),
        (5, PAYOUT, -6000, 0, -6000),
        (6, "other", -100, 0, -100),
    ]
    assert parsed.template == "shop_x"


def test_a_template_must_map_what_reconciliation_needs():
    with pytest.raises(TemplateError) as exc:
        StatementTemplate.from_dict({"name": "x", "columns": {"amount": "金额", "kind": "类型"}})
    err = exc.value
    assert err.code == "finance.template_invalid" and isinstance(err, Invalid)
    assert [field for field, _, _ in err.issues] == ["order_ref", "settled_at"]
    assert "order_ref" in err.en and "商户订单号" in err.zh


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"columns": {"order_ref": "单号", "settled_at": "时间", "kind": "类型"}}, "amount"),
        ({"columns": {"order_ref": "单号", "settled_at": "时间", "amount": "金额"}}, "kind"),
        ({"kind_map": {"收入": "income"}}, "kind_map"),
        ({"amount_sign": "negative"}, "amount_sign"),
        ({"encoding": "klingon"}, "encoding"),
        ({"date_format": "YYYY-MM-DD"}, "date_format"),
        ({"utc_offset_minutes": 10_000}, "utc_offset_minutes"),
        ({"memo_ref_pattern": "no group"}, "memo_ref_pattern"),
        ({"kind_columns": {"gift": {"amount": "x"}}}, "kind_columns"),
        (
            {
                "columns": {
                    "order_ref": "单号",
                    "settled_at": "时间",
                    "amount": "金额",
                    "kind": "类型",
                    "colour": "颜色",
                }
            },
            "columns",
        ),
        ({"delimiter": ";;"}, "delimiter"),
    ],
)
def test_template_validation_names_the_bad_option(change, field):
    base = {
        "name": "t",
        "columns": {"order_ref": "单号", "settled_at": "时间", "amount": "金额", "kind": "类型"},
    }
    with pytest.raises(TemplateError) as exc:
        StatementTemplate.from_dict({**base, **change})
    assert field in [f for f, _, _ in exc.value.issues]


def test_unknown_options_and_unknown_templates():
    with pytest.raises(TemplateError) as exc:
        StatementTemplate.from_dict({"name": "t", "columns": {}, "colour": "red"})
    assert exc.value.issues[0][0] == "colour"
    with pytest.raises(Invalid) as unknown:
        parse_statement(b"x", "paypal")
    assert unknown.value.code == "finance.template_unknown"


def test_builtin_templates_survive_their_json_form():
    for name, template in TEMPLATES.items():
        assert StatementTemplate.from_dict(template.to_dict()) == template, name


# ---------------------------------------------------------------------------------------------
# Properties


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_format_then_parse_is_the_same_amount(cents):
    assert parse_amount(format_amount(cents)) == cents
    sign = "-" if cents < 0 else ""
    grouped = f"{sign}¥{abs(cents) // 100:,}.{abs(cents) % 100:02d}"
    assert parse_amount(grouped) == cents
    assert parse_amount(Decimal(format_amount(cents))) == cents


ROW_KINDS = st.sampled_from([SALE, REFUND, FEE, "commission", PAYOUT])


@st.composite
def statement_rows(draw) -> list[StatementRow]:
    count = draw(st.integers(min_value=1, max_value=12))
    rows = []
    base = dt.datetime(2024, 3, 1, 8, 0, tzinfo=CN)
    for i in range(count):
        kind = draw(ROW_KINDS)
        amount = draw(st.integers(min_value=1, max_value=10**9))
        fee = draw(st.integers(min_value=0, max_value=10**6))
        commission = draw(st.integers(min_value=0, max_value=10**6))
        gross, fee, commission = statements.signed_amounts(kind, amount, fee, commission, statements.BY_KIND)
        if kind == FEE:
            gross, fee, commission = 0, abs(amount), 0
        elif kind == "commission":
            gross, fee, commission = 0, 0, abs(amount)
        rows.append(
            StatementRow(
                row_no=i + 2,
                txn_id=f"T{i}",
                order_ref="" if kind == PAYOUT else f"SO-{draw(st.integers(min_value=1, max_value=4))}",
                kind=kind,
                gross_cents=gross,
                fee_cents=fee,
                commission_cents=commission,
                net_cents=gross - fee - commission,
                settled_at=base
                + dt.timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 30))),
            )
        )
    return rows


@settings(max_examples=60, deadline=None)
@given(statement_rows())
def test_generic_file_round_trip(rows):
    parsed = parse_statement(generic_csv(rows), "generic", filename="x.csv")
    assert parsed.rows == tuple(rows)
    assert parsed.fingerprint == statements.fingerprint(rows)


def test_wechat_placeholder_ids_are_no_ids():
    lines = data("wechat_pay_bill_gbk.csv").decode("gbk").splitlines()
    refund = lines[3].split(",")
    revoked = [*refund]
    revoked[9], revoked[14], revoked[16] = "`REVOKED", "`0", "`80.00"
    again = [*revoked]
    again[0], again[16] = "`2024-03-01 22:10:00", "`15.00"
    content = "\r\n".join([*lines[:5], ",".join(revoked), ",".join(again), *lines[5:]]).encode("gbk")
    rows = parse_statement(content, "wechat_pay").rows
    assert [(r.row_no, r.kind, r.txn_id, r.gross_cents) for r in rows[4:]] == [
        (6, REFUND, "", -8000),
        (7, REFUND, "", -1500),
    ]
    assert rows[4].dedup_key != rows[5].dedup_key
