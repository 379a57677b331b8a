"""Excel (.xlsx) exports: one way to turn rows into a workbook and an HTTP download.

Money arrives as integer cents and is written as a number of yuan with two decimals shown
(``#,##0.00``): ``Decimal(cents).scaleb(-2)``, exact, never through a float computation. (A
spreadsheet stores every number as a binary double; openpyxl writes up to 16 significant digits,
so amounts up to ¥99,999,999,999,999.99 are written exactly.) Quantities are integers, times are
written in UTC.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
QTY_FORMAT = "#,##0"
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

TEXT, INT, MONEY, TIME = "text", "int", "money", "time"


@dataclass(frozen=True)
class Column:
    zh: str
    en: str
    kind: str = TEXT  # text | int | money (integer cents in, yuan out) | time (naive UTC)
    width: int = 14


def yuan(cents: int) -> Decimal:
    """Integer cents as an exact Decimal number of yuan (12345 -> Decimal('123.45'))."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"money must be integer cents, got {cents!r}")
    return Decimal(cents).scaleb(-2)


def _cell(ws, value: Any, kind: str, bold: bool = False) -> WriteOnlyCell:
    if value is not None and kind == MONEY:
        value = yuan(value)
    elif isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)
    c = WriteOnlyCell(ws, value=value)
    if kind == MONEY:
        c.number_format = MONEY_FORMAT
    elif kind == INT:
        c.number_format = QTY_FORMAT
    elif kind == TIME:
        c.number_format = TIME_FORMAT
    if bold:
        c.font = Font(bold=True)
    return c


def workbook(
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    lang: str = "zh-CN",
    total: Sequence[Any] | None = None,
) -> bytes:
    """One sheet: a bold header row in ``lang``, the rows, and an optional bold total row."""
    en = lang.lower().startswith("en")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.freeze_panes = "A2"
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.append([_cell(ws, c.en if en else c.zh, TEXT, bold=True) for c in columns])
    for row in rows:
        ws.append([_cell(ws, v, c.kind) for v, c in zip(row, columns, strict=True)])
    if total is not None:
        ws.append([_cell(ws, v, c.kind, bold=True) for v, c in zip(total, columns, strict=True)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def download(data: bytes, filename: str) -> Response:
    """An .xlsx attachment (the file name may be Chinese: RFC 6266 ``filename*``)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content=data, media_type=XLSX, headers={"Content-Disposition": disposition})
