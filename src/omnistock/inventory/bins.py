"""Bin locations (库位): the shelf each SKU is kept on in a warehouse.

One bin per SKU and warehouse (its pick face), a code such as ``A-01-03``. Bins order the lines of a
stocktake sheet the way people walk the aisles, and a sheet can cover every bin starting with a
prefix (``A-01``: the first rack of aisle A).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select

from omnistock.catalog import service as catalog
from omnistock.inventory.models import sku_bin
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Invalid
from omnistock.platform.permissions import register
from omnistock.platform.sql import Sql, raw
from omnistock.platform.uow import UnitOfWork

register(("inventory.bin.manage", "设置库位", "Assign bin locations"))

BIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,31}$")
sb_ = sku_bin.c

_UPSERT = Sql(
    "INSERT INTO sku_bin (warehouse_id, sku_id, bin_code, updated_at) VALUES (:w, :s, :bin, :now) "
    "ON CONFLICT (warehouse_id, sku_id) DO UPDATE SET bin_code = excluded.bin_code, updated_at = excluded.updated_at"
)
_CLEAR = Sql("DELETE FROM sku_bin WHERE warehouse_id = :w AND sku_id = :s")


@dataclass(frozen=True)
class BinLine:
    sku: str
    bin: str | None  # None: the SKU has no bin here any more


def check_bin(code: object) -> str:
    if not isinstance(code, str) or not BIN_RE.match(code):
        raise Invalid(
            "inventory.bad_bin",
            "A bin code is 1-32 letters, digits, '.', '-' or '_' (e.g. A-01-03); got {bin}",
            "库位编码为 1-32 位字母、数字、点、横线或下划线（例如 A-01-03），收到 {bin}",
            bin=str(code)[:40],
        )
    return code.upper()


def set_bins(uow: UnitOfWork, *, warehouse: str, lines: Sequence[BinLine]) -> list[dict]:
    """Assign (or, with ``bin=None``, clear) the bins of SKUs in one warehouse, all or nothing."""
    from omnistock.inventory.service import _unique_skus, warehouse_ref

    uow.actor.require("inventory.bin.manage")
    wh = warehouse_ref(uow, warehouse)
    uow.actor.require_scope("warehouse", [wh.code])
    if not lines:
        raise Invalid("inventory.no_lines", "A document needs at least one line", "单据至少需要一行明细")
    _unique_skus([ln.sku for ln in lines])
    plan = [(catalog.sku_ref(uow, ln.sku), None if ln.bin is None else check_bin(ln.bin)) for ln in lines]
    r = raw(uow.conn)
    now = r.dt(utcnow())
    for sku, code in plan:
        if code is None:
            r.execute(_CLEAR, {"w": wh.id, "s": sku.id})
        else:
            r.execute(_UPSERT, {"w": wh.id, "s": sku.id, "bin": code, "now": now})
    out = [{"sku": sku.code, "bin": code} for sku, code in plan]
    uow.audit("inventory.bins.set", "warehouse", wh.code, after={"bins": out})
    return out


def bins_of(uow: UnitOfWork, warehouse_id: int, sku_ids: Sequence[int]) -> dict[int, str]:
    """sku id -> bin code in one warehouse (SKUs without a bin are left out)."""
    if not sku_ids:
        return {}
    rows = uow.conn.execute(
        select(sb_.sku_id, sb_.bin_code).where(
            sb_.warehouse_id == warehouse_id, sb_.sku_id.in_(sorted(set(sku_ids)))
        )
    )
    return dict(rows.all())


def skus_in_bins(uow: UnitOfWork, warehouse_id: int, prefix: str) -> list[int]:
    """SKUs whose bin in the warehouse starts with ``prefix``, in bin order."""
    prefix = check_bin(prefix)
    return list(
        uow.conn.execute(
            select(sb_.sku_id)
            .where(
                and_(
                    sb_.warehouse_id == warehouse_id, sb_.bin_code >= prefix, sb_.bin_code < prefix + "\uffff"
                )
            )
            .order_by(sb_.bin_code, sb_.sku_id)
        ).scalars()
    )
