"""The printable purchase order: an A4 PDF with Chinese and English labels (in the embedded CJK
font of ``platform.pdf``, so it prints anywhere), and the same order as an Excel workbook."""

from __future__ import annotations

import io

from omnistock.platform import excel
from omnistock.platform.money import format_cents
from omnistock.platform.pdf import register_cjk_font
from omnistock.purchasing import rules


def _state(status: str) -> str:
    zh, en = rules.STATE_LABELS.get(status, (status, status))
    return f"{zh} {en}"


def order_pdf(d: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = register_cjk_font()
    title = ParagraphStyle("t", fontName=font, fontSize=16, leading=20)
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=12)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm)
    head = [
        ["单号 No.", d["ref"], "状态 Status", _state(d["status"])],
        ["供应商 Supplier", f"{d['supplier']} {d['supplier_name']}", "收货仓 Warehouse", d["warehouse"]],
        ["币种 Currency", d["currency"], "预计到货 Expected", str(d.get("expected_date") or "")],
        ["制单 Created by", d["created_by"], "审批 Approved by", d.get("approved_by") or ""],
    ]
    lines = [["#", "SKU", "数量 Qty", "单价 Price", "金额 Amount", "已收 Received"]]
    for ln in d["lines"]:
        lines.append(
            [
                ln["line_no"],
                ln["sku"],
                ln["qty"],
                format_cents(ln["price_cents"]),
                format_cents(ln["amount_cents"]),
                ln["received"],
            ]
        )
    lines.append(
        ["", "合计 Total", sum(ln["qty"] for ln in d["lines"]), "", format_cents(d["total_cents"]), ""]
    )
    grid = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ]
    story = [
        Paragraph("采购订单 Purchase Order", title),
        Spacer(1, 6 * mm),
        Table(head, colWidths=[30 * mm, 60 * mm, 30 * mm, 60 * mm], style=TableStyle(grid)),
        Spacer(1, 6 * mm),
        Table(
            lines,
            colWidths=[10 * mm, 55 * mm, 25 * mm, 30 * mm, 35 * mm, 25 * mm],
            style=TableStyle([*grid, ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]),
        ),
        Spacer(1, 6 * mm),
        Paragraph(f"备注 Note: {d.get('note') or ''}", body),
        Spacer(1, 15 * mm),
        Paragraph("供应商确认 Supplier confirmation: ____________________    日期 Date: ____________", body),
    ]
    doc.build(story)
    return out.getvalue()


COLUMNS = [
    excel.Column("行号", "Line", excel.INT, 6),
    excel.Column("SKU", "SKU", width=20),
    excel.Column("数量", "Qty", excel.INT),
    excel.Column("单价", "Unit price", excel.MONEY),
    excel.Column("金额", "Amount", excel.MONEY),
    excel.Column("已收", "Received", excel.INT),
    excel.Column("已开票", "Billed", excel.INT),
]


def order_xlsx(d: dict, lang: str = "zh-CN") -> bytes:
    rows = [
        [
            ln["line_no"],
            ln["sku"],
            ln["qty"],
            ln["price_cents"],
            ln["amount_cents"],
            ln["received"],
            ln["billed"],
        ]
        for ln in d["lines"]
    ]
    total = [
        "",
        "合计" if not lang.startswith("en") else "Total",
        sum(r[2] for r in rows),
        None,
        d["total_cents"],
    ]
    return excel.workbook(d["ref"], COLUMNS, rows, lang=lang, total=[*total, None, None])
