"""Helpers for the catalog tests."""

from __future__ import annotations

import io
import struct
import zlib

from sqlalchemy import func, select

from omnistock.catalog import service as catalog
from omnistock.platform.auth import Actor
from omnistock.platform.db import metadata
from omnistock.platform.uow import UnitOfWork

SYSTEM = Actor.system("test")
CAT = "/api/v1/catalog"
PROBLEM = "application/problem+json"
COLORS = {"name": "颜色", "values": ["红", "黑"]}
SIZES = {"name": "尺码", "values": ["M", "L"]}


def uow(engine) -> UnitOfWork:
    return UnitOfWork(engine, SYSTEM)


def counts(engine) -> dict[str, int]:
    """Row counts of every table: what a refused call must leave unchanged."""
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


def master(engine) -> None:
    """Categories 服装 > 上衣, 食品 and the brand OMNI."""
    with uow(engine) as u:
        catalog.create_category(u, code="APPAREL", name="服装")
        catalog.create_category(u, code="TOPS", name="上衣", parent="APPAREL")
        catalog.create_category(u, code="FOOD", name="食品", sort=2)
        catalog.create_brand(u, code="OMNI", name="全渠道")


def tee(engine, code="TS", *, barcodes=True, **kw) -> catalog.Product:
    """A T-shirt in 红/黑 × M/L: four SKUs TS-RED-M …, barcodes 69000001… when asked."""
    skus = []
    for i, (color, cc) in enumerate((("红", "RED"), ("黑", "BLK"))):
        for j, size in enumerate(("M", "L")):
            n = i * 2 + j + 1
            skus.append(
                catalog.NewSku(
                    code=f"{code}-{cc}-{size}",
                    unit="件",
                    price_cents=5990,
                    attributes={"颜色": color, "尺码": size},
                    barcodes=[f"{code}69{n:06d}"] if barcodes else [],
                )
            )
    with uow(engine) as u:
        return catalog.create_product(
            u,
            code=code,
            name="纯棉T恤",
            category=kw.pop("category", "TOPS"),
            brand=kw.pop("brand", "OMNI"),
            attributes=[COLORS, SIZES],
            skus=skus,
            **kw,
        )


def sku(engine, code, **kw) -> catalog.Sku:
    with uow(engine) as u:
        return catalog.create_sku(
            u,
            code=code,
            name=kw.pop("name", f"商品 {code}"),
            unit=kw.pop("unit", "件"),
            price_cents=kw.pop("price_cents", 1000),
            cost_method=kw.pop("cost_method", "average"),
            **kw,
        )


def problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == code, body
    assert set(body["messages"]) == {"zh-CN", "en"}
    return body


def png(width: int = 2, height: int = 1, seed: int = 0) -> bytes:
    """A real, tiny PNG (different ``seed``: different bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes([seed % 256, 0, 0] * width) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def xlsx(rows: list[list], header: list[str] | None = None) -> bytes:
    """An .xlsx file with the import layout's Chinese header (or ``header``) and ``rows``."""
    from openpyxl import Workbook

    from omnistock.catalog.excel import COLUMNS

    wb = Workbook()
    ws = wb.active
    ws.append(header if header is not None else [c.zh for c in COLUMNS])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
