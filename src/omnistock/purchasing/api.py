"""Purchasing HTTP API: suppliers and goods received from them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from omnistock.inventory import service as inventory
from omnistock.platform.auth import Actor, requires
from omnistock.platform.clock import iso
from omnistock.platform.http import unit_of_work
from omnistock.platform.schemas import Input, Output
from omnistock.purchasing import service

router = APIRouter(prefix="/api/v1/purchasing", tags=["purchasing"])

Code = Annotated[str, Field(min_length=1, max_length=64)]


class SupplierIn(Input):
    code: Code
    name: str = Field(min_length=1, max_length=200)


class SupplierOut(Output):
    id: int
    code: str
    name: str


class GoodsLineIn(Input):
    sku: Code
    qty: int = Field(gt=0, le=10**9)
    unit_cost_cents: int = Field(ge=0, le=10**9)
    lot_no: Code | None = Field(default=None, description="Batch number (batch-tracked SKUs)")
    production_date: dt.date | None = None
    expiry_date: dt.date | None = None
    supplier_lot_no: Code | None = None
    serials: list[Code] | None = Field(
        default=None, max_length=5000, description="One serial number per unit"
    )


class GoodsReceiptIn(Input):
    ref: str | None = Field(default=None, max_length=64)
    supplier: Code
    warehouse: Code
    lines: list[GoodsLineIn] = Field(min_length=1, max_length=500)
    at: dt.datetime | None = None
    note: str | None = Field(default=None, max_length=500)


@router.get("/suppliers", operation_id="listSuppliers")
def list_suppliers(
    request: Request, actor: Actor = Depends(requires("purchasing.supplier.read"))
) -> list[SupplierOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [SupplierOut.model_validate(s) for s in service.list_suppliers(uow)]


@router.post("/suppliers", status_code=201, operation_id="createSupplier")
def create_supplier(
    body: SupplierIn, request: Request, actor: Actor = Depends(requires("purchasing.supplier.manage"))
) -> SupplierOut:
    with unit_of_work(request, actor) as uow:
        sid = service.create_supplier(uow, code=body.code, name=body.name)
    return SupplierOut(id=sid, code=body.code, name=body.name)


@router.post("/receipts", status_code=201, operation_id="receiveGoods")
def receive_goods(
    body: GoodsReceiptIn, request: Request, actor: Actor = Depends(requires("inventory.receipt.create"))
) -> dict:
    """Goods from a supplier arrive into a warehouse at the supplier's unit cost."""
    with unit_of_work(request, actor) as uow:
        d = service.receive_goods(
            uow,
            ref=body.ref,
            supplier_code=body.supplier,
            warehouse=body.warehouse,
            at=body.at,
            note=body.note,
            lines=[inventory.ReceiptLine.of(**x.model_dump()) for x in body.lines],
        )
    return {
        "id": d.id,
        "ref": d.ref,
        "status": d.status,
        "warehouse": d.warehouse,
        "at": iso(d.at),
        "lines": d.lines,
    }
