"""Purchasing use cases: suppliers, and receiving their goods into stock at cost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import insert, select

from omnistock.catalog.rules import check_code
from omnistock.inventory import service as inventory
from omnistock.platform.cache import CodeCache
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict, Invalid
from omnistock.platform.permissions import register
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing.models import supplier

register(
    ("purchasing.supplier.read", "查看供应商", "View suppliers"),
    ("purchasing.supplier.manage", "管理供应商", "Manage suppliers"),
)

_suppliers = CodeCache("supplier")


def create_supplier(uow: UnitOfWork, *, code: str, name: str) -> int:
    uow.actor.require("purchasing.supplier.manage")
    if check_code(code) or not name:
        raise Invalid(
            "purchasing.bad_supplier",
            "A supplier needs a valid code and a name",
            "供应商需要合法的编码和名称",
        )
    if uow.conn.execute(select(supplier.c.id).where(supplier.c.code == code)).first():
        raise Conflict(
            "purchasing.duplicate_supplier",
            "Supplier {code} already exists",
            "供应商 {code} 已存在",
            code=code,
        )
    sid = uow.conn.execute(
        insert(supplier).returning(supplier.c.id), {"code": code, "name": name, "created_at": utcnow()}
    ).scalar_one()
    uow.audit("purchasing.supplier.create", "supplier", code, after={"code": code, "name": name})
    return sid


def supplier_id(uow: UnitOfWork, code: str) -> int:
    found = (
        _suppliers.lookup(
            uow, code, lambda: uow.conn.execute(select(supplier.c.id).where(supplier.c.code == code)).scalar()
        )
        if isinstance(code, str)
        else None
    )
    if found is None:
        raise Invalid(
            "purchasing.unknown_supplier",
            "Unknown supplier {code}",
            "未知的供应商：{code}",
            code=str(code)[:64],
        )
    return found


def list_suppliers(uow: UnitOfWork) -> list[dict]:
    return [
        dict(r._mapping)
        for r in uow.conn.execute(
            select(supplier.c.id, supplier.c.code, supplier.c.name).order_by(supplier.c.code)
        )
    ]


def receive_goods(
    uow: UnitOfWork,
    *,
    ref: str | None,
    supplier_code: str,
    warehouse: str,
    lines: Sequence[inventory.ReceiptLine],
    at: dt.datetime | None = None,
    note: str | None = None,
) -> inventory.DocumentResult:
    """Goods from a supplier arrive: stock in at the supplier's unit cost."""
    supplier_id(uow, supplier_code)
    return inventory.receive(
        uow, ref=ref, warehouse=warehouse, lines=lines, at=at, partner=supplier_code, note=note
    )
