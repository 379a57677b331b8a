"""Files people print or open: the transfer order PDF and the stocktake report workbook.

The PDF is made with ReportLab and its built-in ``STSong-Light`` CID font (Adobe's Simplified
Chinese font every PDF reader has), so Chinese prints without shipping a font file; the order's
number is also a Code 128 barcode, for the receiving side to scan. Money is integer cents turned
into yuan text (``format_cents``) or exact ``Decimal`` cells — never a float.
"""

from __future__ import annotations

import io
from decimal import Decimal

from omnistock.inventory import rules
from omnistock.platform.clock import iso
from omnistock.platform.money import format_cents

FONT = "STSong-Light"


def _when(value) -> str:
    text = iso(value)
    return f"{text[:10]} {text[11:16]} UTC" if text else "-"


def _state(status: str) -> str:
    zh, en = rules.STATE_LABELS.get(status, (status, status))
    return f"{zh} {en}"


def transfer_order_pdf(d: dict) -> bytes:
    """A printable A4 transfer order (调拨单): header, lines, totals and signature boxes."""
    from reportlab.graphics.barcode import code128
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24)
    small = ParagraphStyle("small", fontName=FONT, fontSize=9, leading=12)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=11)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"调拨单 {d['ref']}",
        author="OmniStock",
    )
    barcode = code128.Code128(d["ref"], barHeight=12 * mm, barWidth=0.8)
    head = Table(
        [[Paragraph("调拨单 Transfer order", title), barcode]],
        colWidths=[95 * mm, 85 * mm],
        style=[("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (1, 0), (1, 0), "RIGHT")],
    )
    info = [
        ["单号 No.", d["ref"], "状态 Status", _state(d["status"])],
        ["调出仓 From", d["from_warehouse"], "调入仓 To", d["to_warehouse"]],
        [
            "制单 Created",
            f"{_when(d['created_at'])}  {d['created_by']}",
            "发货 Shipped",
            _when(d["shipped_at"]),
        ],
        ["收货 Received", _when(d["received_at"]), "行数 Lines", str(d["lines"])],
        ["备注 Note", Paragraph(d["note"] or "-", cell), "", ""],
    ]
    info_table = Table(info, colWidths=[25 * mm, 65 * mm, 25 * mm, 65 * mm])
    info_table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("TEXTCOLOR", (0, 0), (0, -1), colors.grey),
                ("TEXTCOLOR", (2, 0), (2, -1), colors.grey),
                ("SPAN", (1, 4), (3, 4)),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    rows = [["#", "SKU", "品名 Name", "计划 Planned", "发货 Shipped", "收货 Received", "损耗 Lost"]]
    for ln in d["line_items"]:
        rows.append(
            [
                str(ln["line_no"]),
                ln["sku"],
                Paragraph(ln["sku_name"], cell),
                str(ln["qty"]),
                str(ln["shipped"]) if d["status"] != rules.DRAFT else "",
                str(ln["received"]) if d["status"] == rules.DONE else "",
                str(ln["lost"]) if d["status"] == rules.DONE else "",
            ]
        )
    rows.append(
        [
            "",
            "合计 Total",
            "",
            str(d["qty"]),
            str(d["shipped"]) if d["status"] != rules.DRAFT else "",
            str(d["received"]) if d["status"] == rules.DONE else "",
            str(d["lost"]) if d["status"] == rules.DONE else "",
        ]
    )
    lines = Table(
        rows, colWidths=[8 * mm, 36 * mm, 48 * mm, 22 * mm, 22 * mm, 22 * mm, 22 * mm], repeatRows=1
    )
    lines.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f0f0")),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("FONT", (0, -1), (-1, -1), FONT, 9),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#fafafa")),
            ]
        )
    )
    story = [head, Spacer(1, 4 * mm), info_table, Spacer(1, 5 * mm), lines]
    if d["status"] == rules.DONE and d["lost"]:
        story += [
            Spacer(1, 3 * mm),
            Paragraph(
                f"在途损耗金额 Value lost in transit: ¥{format_cents(d['loss_value_cents'])}（计入库存损耗 shrinkage）",
                small,
            ),
        ]
    signatures = Table(
        [
            ["发货人 Shipped by", "承运人 Carrier", "收货人 Received by"],
            ["", "", ""],
            ["日期 Date", "日期 Date", "日期 Date"],
        ],
        colWidths=[60 * mm, 60 * mm, 60 * mm],
        rowHeights=[7 * mm, 14 * mm, 7 * mm],
    )
    signatures.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("BOX", (0, 0), (0, -1), 0.5, colors.grey),
                ("BOX", (1, 0), (1, -1), 0.5, colors.grey),
                ("BOX", (2, 0), (2, -1), 0.5, colors.grey),
                ("TEXTCOLOR", (0, 0), (-1, -1), colors.HexColor("#555555")),
            ]
        )
    )
    story += [
        Spacer(1, 10 * mm),
        signatures,
        Spacer(1, 4 * mm),
        Paragraph(f"OmniStock - 打印 printed by {d.get('printed_by', '-')}", small),
    ]
    doc.build(story)
    return buf.getvalue()


def _yuan(cents: int | None):
    return None if cents is None else Decimal(cents) / 100


def stocktake_xlsx(d: dict) -> bytes:
    """The stocktake report as an Excel workbook: one row per line and a totals row. Book and
    difference columns stay empty where the sheet withholds them (blind)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "盘点报告 Stocktake"
    bold = Font(bold=True)
    ws.append(["盘点单 Stocktake sheet", d["ref"]])
    ws.append(["仓库 Warehouse", d["warehouse"]])
    ws.append(["状态 Status", _state(d["status"])])
    ws.append(["盲盘 Blind", "是 yes" if d["blind"] else "否 no"])
    ws.append(["创建 Created", f"{_when(d['created_at'])} {d['created_by']}"])
    ws.append(["过账 Posted", f"{_when(d['posted_at'])} {d['posted_by'] or ''}".strip()])
    ws.append(["盘点单据 Count document", d.get("count_document_ref") or "-"])
    if not d["line_items"] or d["line_items"][0]["value_estimated"]:
        ws.append(
            ["金额 Values", "按当前成本估算，过账后以实际为准 estimated at the current cost until posted"]
        )
    ws.append([])
    header = [
        "行号 Line",
        "SKU",
        "品名 Name",
        "账面(快照) Book",
        "初盘 1st count",
        "复盘 2nd count",
        "实盘 Counted",
        "差异 Difference",
        "差异金额(元) Value (yuan)",
        "过账时在库 On hand at post",
        "过账后在库 Posted on hand",
        "复盘 Recount",
        "盘点人 Counted by",
    ]
    ws.append(header)
    header_row = ws.max_row
    for c in ws[header_row]:
        c.font = bold
        c.fill = PatternFill("solid", fgColor="EEEEEE")
        c.alignment = Alignment(wrap_text=True, vertical="center")
    for ln in d["line_items"]:
        ws.append(
            [
                ln["line_no"],
                ln["sku"],
                ln["sku_name"],
                ln["book_qty"],
                ln["counted1"],
                ln["counted2"],
                ln["counted"],
                ln["difference"],
                _yuan(ln["value_cents"]),
                ln["on_hand_at_post"],
                ln["posted_qty"],
                "是 yes" if ln["recount"] else "",
                ln["counted_by"] or "",
            ]
        )
    t = d["totals"]
    net_qty = None if t["gain_qty"] is None else t["gain_qty"] - t["loss_qty"]
    net_value = None if t["gain_value_cents"] is None else t["gain_value_cents"] - t["loss_value_cents"]
    ws.append(
        ["合计 Total", f"{t['lines']} 行 lines", f"未盘 uncounted {t['uncounted_lines']}"]
        + [None] * 4
        + [net_qty, _yuan(net_value)]
    )
    for c in ws[ws.max_row]:
        c.font = bold
    ws.append(["盘盈 Gain", None, None, None, None, None, None, t["gain_qty"], _yuan(t["gain_value_cents"])])
    ws.append(
        [
            "盘亏 Loss",
            None,
            None,
            None,
            None,
            None,
            None,
            None if t["loss_qty"] is None else -t["loss_qty"],
            None if t["loss_value_cents"] is None else _yuan(-t["loss_value_cents"]),
        ]
    )
    for row in ws.iter_rows(min_row=header_row + 1, min_col=9, max_col=9):
        for c in row:
            c.number_format = "#,##0.00"
    for i, width in enumerate([10, 22, 30, 12, 12, 12, 12, 12, 16, 14, 14, 10, 14], 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
