"""Printed documents with Chinese text only: the glyphs are drawn from a font embedded in the PDF,
so they print on a machine that has no CJK font at all."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest

from omnistock.fulfillment import pdf
from omnistock.platform.pdf import EMBEDDED_FONT, KNOWN_FONTS

MM = 72 / 25.4  # PDF points per millimetre
SCALE = 3  # render at 216 dpi

pytestmark = pytest.mark.skipif(
    pdf.FONT != EMBEDDED_FONT,
    reason=f"no CJK TrueType font installed (one of {KNOWN_FONTS}; `make test` installs fonts-wqy-microhei)",
)


def _label(receiver: str, address: str) -> bytes:
    return pdf.label(
        {
            "order": "SO-1",
            "carrier": "顺丰速运",
            "account": "SF-1",
            "tracking_no": "SF0000000001",
            "receiver": receiver,
            "phone": "",
            "address": address,
            "warehouse": "上海仓",
            "weight_g": 500,
            "lines": [{"sku": "TEA", "qty": 1}],
        }
    )


def _address_region(data: bytes):
    """Page 1 in grey levels, cut to where the label draws the address: its lines' baselines are
    71 and 76 mm below the top, 6 mm from the left edge (the receiver's line above ends at 65 mm)."""
    page = pdfium.PdfDocument(data)[0]
    image = page.render(scale=SCALE).to_pil().convert("L")
    px = SCALE * MM
    return image.crop((int(5 * px), int(66.5 * px), int(95 * px), int(78 * px)))


def _dark(region) -> int:
    return sum(region.histogram()[:128])


def test_a_label_in_chinese_only_draws_the_address_with_the_embedded_font():
    data = _label("张三丰", "广东省深圳市南山区科苑路十五号甲座一二零三室附近的便利店旁边的大楼")
    # The font travels in the file, as a subset (only the glyphs used): FontFile2 with a
    # six-letter subset tag before the face name.
    assert b"/FontFile2" in data
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+\w", data)
    assert b"STSong-Light" not in data
    region = _address_region(data)
    assert _dark(region) > 2000, _dark(region)
    # Real glyphs, not one missing-glyph box repeated: another address of the same length draws
    # other pixels.
    other = _address_region(
        _label("张三丰", "浙江省杭州市西湖区文三路九十号东部软件园创新大厦北楼三层的最里面那间")
    )
    assert _dark(other) > 2000
    assert region.tobytes() != other.tobytes()


def test_packing_slip_and_pick_list_embed_the_font_too():
    slip = pdf.packing_slip(
        {
            "order": "SO-1",
            "receiver": "李雷",
            "phone": "13800138000",
            "address": "浙江省杭州市西湖区文三路 1 号",
            "carrier": "顺丰速运",
            "tracking_no": None,
            "weight_g": 0,
            "lines": [{"sku": "TEA", "name": "龙井茶", "qty": 2}],
            "remark": "",
        }
    )
    sheet = pdf.pick_list(
        {
            "ref": "W261122-0001",
            "warehouse": "上海仓",
            "account_name": "顺丰月结",
            "lines": [
                {
                    "bin": "A-01",
                    "sku": "TEA",
                    "name": "龙井茶",
                    "lot_no": None,
                    "tracking": "none",
                    "needed": 2,
                    "picked": None,
                }
            ],
            "orders": [{"slot": 1, "ref": "SO-1", "receiver": "李雷", "items": [{"sku": "TEA", "qty": 2}]}],
        }
    )
    for data in (slip, sheet):
        assert b"/FontFile2" in data and b"STSong-Light" not in data
