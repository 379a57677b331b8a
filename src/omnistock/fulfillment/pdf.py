"""Printed documents: the pick list (A4, sorted by bin), the packing slip (A4) and the shipping
label (100×150 mm thermal or A4) with the tracking number as a Code 128 barcode.

Chinese text (receivers, addresses, SKU names) uses the CJK TrueType font of
``platform.pdf.register_cjk_font``, subset-embedded in every file, so a label prints the same on
any viewer or thermal-printer driver, whatever fonts it has.
"""

from __future__ import annotations

import io

from reportlab.graphics.barcode import code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from omnistock.platform.pdf import register_cjk_font

FONT = register_cjk_font()
LABEL_100x150 = (100 * mm, 150 * mm)
LABEL_SIZES = ("100x150", "a4")

_title = ParagraphStyle("title", fontName=FONT, fontSize=15, leading=20)
_body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13)
_cell = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=11)


def _table(rows: list[list], widths: list[float]) -> Table:
    t = Table([[Paragraph(str(c), _cell) for c in r] for r in rows], colWidths=widths, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return t


def _build(story: list, title: str) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm, bottomMargin=14 * mm
    )
    doc.title = title
    doc.build(story)
    return buf.getvalue()


def pick_list(sheet: dict) -> bytes:
    """A wave's pick list: one row per bin, SKU and batch, then the slot each order goes to."""
    story = [
        Paragraph(f"拣货单 Pick list · {sheet['ref']}", _title),
        Paragraph(
            f"仓库 Warehouse: {sheet['warehouse']} · 快递 Courier: {sheet['account_name']} · "
            f"订单 Orders: {len(sheet['orders'])}",
            _body,
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [["库位 Bin", "SKU", "名称 Name", "批次/序列号 Batch/serial", "应拣 Qty", "实拣 Picked"]]
    for ln in sheet["lines"]:
        track = ln["lot_no"] or ("扫码录入序列号 scan serials" if ln["tracking"] == "serial" else "")
        rows.append(
            [
                ln["bin"] or "—",
                ln["sku"],
                ln["name"],
                track,
                ln["needed"],
                "" if ln["picked"] is None else ln["picked"],
            ]
        )
    story.append(_table(rows, [24 * mm, 30 * mm, 52 * mm, 38 * mm, 18 * mm, 20 * mm]))
    story += [Spacer(1, 6 * mm), Paragraph("分拣格口 Slots", _body), Spacer(1, 2 * mm)]
    slots = [["格口 Slot", "订单 Order", "收件人 Receiver", "商品 Items"]]
    for o in sheet["orders"]:
        items = "，".join(f"{i['sku']} × {i['qty']}" for i in o["items"])
        slots.append([o["slot"], o["ref"], o["receiver"], items])
    story.append(_table(slots, [18 * mm, 44 * mm, 34 * mm, 86 * mm]))
    return _build(story, f"Pick list {sheet['ref']}")


def packing_slip(doc: dict) -> bytes:
    """What is in the parcel, for the buyer."""
    story = [
        Paragraph(f"发货清单 Packing slip · {doc['order']}", _title),
        Paragraph(f"收件人 Receiver: {doc['receiver']} {doc['phone']}", _body),
        Paragraph(f"地址 Address: {doc['address']}", _body),
        Paragraph(
            f"快递 Courier: {doc['carrier']} · 单号 Tracking no.: {doc['tracking_no'] or '—'} · "
            f"重量 Weight: {doc['weight_g']} g",
            _body,
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [["SKU", "名称 Name", "数量 Qty"]] + [[x["sku"], x["name"], x["qty"]] for x in doc["lines"]]
    story.append(_table(rows, [40 * mm, 110 * mm, 30 * mm]))
    if doc["remark"]:
        story += [Spacer(1, 4 * mm), Paragraph(f"买家留言 Buyer's note: {doc['remark']}", _body)]
    story += [Spacer(1, 8 * mm), Paragraph("感谢您的惠顾！Thank you for your order.", _body)]
    return _build(story, f"Packing slip {doc['order']}")


def label(doc: dict, size: str = "100x150") -> bytes:
    """The shipping label: courier, tracking barcode, receiver and sender."""
    if size not in LABEL_SIZES:
        raise ValueError("size")
    page = LABEL_100x150 if size == "100x150" else A4
    width, height = page
    # An A4 page carries the label in its top-left corner, at thermal size.
    left, top = (0, height) if size == "100x150" else (15 * mm, height - 15 * mm)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=page)
    c.setTitle(f"Label {doc['order']}")
    w = LABEL_100x150[0]
    c.rect(left + 3 * mm, top - 147 * mm, w - 6 * mm, 144 * mm)
    c.setFont(FONT, 16)
    c.drawString(left + 6 * mm, top - 13 * mm, doc["carrier"])
    c.setFont(FONT, 9)
    c.drawRightString(left + w - 6 * mm, top - 13 * mm, doc["account"])
    number = doc["tracking_no"] or doc["order"]
    bar = code128.Code128(number, barHeight=18 * mm, barWidth=0.38 * mm)
    bar.drawOn(c, left + (w - bar.width) / 2, top - 40 * mm)
    c.setFont(FONT, 12)
    c.drawCentredString(left + w / 2, top - 46 * mm, number)
    c.line(left + 3 * mm, top - 50 * mm, left + w - 3 * mm, top - 50 * mm)
    c.setFont(FONT, 9)
    c.drawString(left + 6 * mm, top - 57 * mm, "收 To")
    c.setFont(FONT, 13)
    c.drawString(left + 6 * mm, top - 64 * mm, f"{doc['receiver']}  {doc['phone']}")
    c.setFont(FONT, 10)
    y = top - 71 * mm
    address = doc["address"]
    for i in range(0, len(address), 24):
        c.drawString(left + 6 * mm, y, address[i : i + 24])
        y -= 5 * mm
    c.line(left + 3 * mm, top - 95 * mm, left + w - 3 * mm, top - 95 * mm)
    c.setFont(FONT, 9)
    c.drawString(left + 6 * mm, top - 102 * mm, f"寄 From: 仓库 {doc['warehouse']}")
    c.drawString(left + 6 * mm, top - 109 * mm, f"订单 Order: {doc['order']}")
    c.drawString(left + 6 * mm, top - 116 * mm, f"重量 Weight: {doc['weight_g']} g")
    items = "，".join(f"{x['sku']}×{x['qty']}" for x in doc["lines"])
    c.drawString(left + 6 * mm, top - 123 * mm, f"内件 Items: {items[:40]}")
    c.showPage()
    c.save()
    return buf.getvalue()
