"""Inventory HTTP API: warehouses, stock, ledger, valuation and stock documents."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from omnistock.inventory import rules, service
from omnistock.platform.auth import Actor, requires
from omnistock.platform.clock import iso
from omnistock.platform.errors import not_found
from omnistock.platform.http import unit_of_work
from omnistock.platform.schemas import Input, Output, Page

router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])

Code = Annotated[str, Field(min_length=1, max_length=64)]
Qty = Annotated[int, Field(gt=0, le=rules.MAX_QTY)]
Cents = Annotated[int, Field(ge=0, le=rules.MAX_UNIT_CENTS)]
LotNo = Annotated[str, Field(min_length=1, max_length=64)]
Serials = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=5000)]


class WarehouseIn(Input):
    code: Code
    name: str = Field(min_length=1, max_length=200)


class WarehouseOut(Output):
    id: int
    code: str
    name: str
    active: bool


class StockRowOut(Output):
    warehouse: str
    sku: str
    sku_name: str
    on_hand: int
    reserved: int
    available: int
    safety_stock: int
    value_cents: int


class MoveOut(Output):
    id: int
    at: str
    warehouse: str
    sku: str
    kind: str
    qty: int
    value_cents: int
    doc_type: str
    doc_ref: str
    reason: str | None


class LayerOut(Output):
    qty: int
    value_cents: int


class ValuationOut(Output):
    sku: str
    cost_method: str
    qty: int
    value_cents: int
    layers: list[LayerOut]
    last_receipt_unit_cents: int


class WarehouseAvailability(Output):
    warehouse: str
    on_hand: int
    reserved: int
    held: int = Field(description="Free stock in batches on hold or past expiry: on hand, not available")
    available: int


class AvailabilityOut(Output):
    sku: str
    kind: str = Field(description="standard, or bundle: figures derived from its components")
    on_hand: int
    available: int
    warehouses: list[WarehouseAvailability]


class ReceiptLineIn(Input):
    sku: Code
    qty: Qty
    unit_cost_cents: Cents
    lot_no: LotNo | None = Field(default=None, description="Batch number (batch-tracked SKUs)")
    production_date: dt.date | None = None
    expiry_date: dt.date | None = Field(default=None, description="Default: production date + shelf life")
    supplier_lot_no: LotNo | None = None
    serials: Serials = Field(
        default=[], description="One scanned serial number per unit (serial-tracked SKUs)"
    )


class ReceiptIn(Input):
    ref: str | None = Field(default=None, max_length=64)
    warehouse: Code
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=500)
    at: dt.datetime | None = None
    partner: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=500)


class TransferLineIn(Input):
    sku: Code
    qty: Qty
    lot_no: LotNo | None = Field(default=None, description="Default: earliest expiry first")
    serials: Serials = []


class TransferIn(Input):
    ref: str | None = Field(default=None, max_length=64)
    from_warehouse: Code
    to_warehouse: Code
    lines: list[TransferLineIn] = Field(min_length=1, max_length=500)
    at: dt.datetime | None = None
    note: str | None = Field(default=None, max_length=500)


class CountLineIn(Input):
    sku: Code
    counted: Annotated[int, Field(ge=0, le=rules.MAX_QTY)]
    lot_no: LotNo | None = None
    serials: Serials | None = Field(default=None, description="Serial-tracked SKUs: the units found")


class CountIn(Input):
    ref: str | None = Field(default=None, max_length=64)
    warehouse: Code
    lines: list[CountLineIn] = Field(min_length=1, max_length=5000)
    note: str | None = Field(default=None, max_length=500)


class AdjustLineIn(Input):
    sku: Code
    qty: Annotated[int, Field(ge=-rules.MAX_QTY, le=rules.MAX_QTY)]
    unit_cost_cents: Cents | None = None
    lot_no: LotNo | None = None
    serials: Serials = []


class AdjustmentIn(Input):
    ref: str | None = Field(default=None, max_length=64)
    warehouse: Code
    reason: Literal[tuple(rules.ADJUST_REASONS)]  # type: ignore[valid-type]
    lines: list[AdjustLineIn] = Field(min_length=1, max_length=500)
    at: dt.datetime | None = None
    note: str | None = Field(default=None, max_length=500)


class DocumentOut(Output):
    id: int
    kind: str
    ref: str
    status: str
    warehouse: str
    to_warehouse: str | None
    at: str
    lines: list[dict]
    rejection: dict | None = None


def _doc(d: service.DocumentResult) -> DocumentOut:
    return DocumentOut(
        id=d.id,
        kind=d.kind,
        ref=d.ref,
        status=d.status,
        warehouse=d.warehouse,
        to_warehouse=d.to_warehouse,
        at=iso(d.at),
        lines=d.lines,
        rejection=d.rejection,
    )


@router.get("/warehouses", operation_id="listWarehouses")
def list_warehouses(
    request: Request, actor: Actor = Depends(requires("inventory.stock.read"))
) -> list[WarehouseOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [WarehouseOut.model_validate(w) for w in service.list_warehouses(uow)]


@router.post("/warehouses", status_code=201, operation_id="createWarehouse")
def create_warehouse(
    body: WarehouseIn, request: Request, actor: Actor = Depends(requires("inventory.warehouse.manage"))
) -> WarehouseOut:
    with unit_of_work(request, actor) as uow:
        return WarehouseOut.model_validate(service.create_warehouse(uow, code=body.code, name=body.name))


@router.get("/stock", operation_id="listStock")
def list_stock(
    request: Request,
    actor: Actor = Depends(requires("inventory.stock.read")),
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    low: bool = False,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[StockRowOut]:
    """On-hand, reserved, available and value by warehouse and SKU (``low``: at or below safety stock)."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = service.stock(
            uow, warehouse_code=warehouse, sku_code=sku, q=q, low=low, cursor=cursor, limit=limit
        )
    return Page[StockRowOut](items=[StockRowOut.model_validate(r) for r in rows], next_cursor=nxt)


@router.get("/moves", operation_id="listMoves")
def list_moves(
    request: Request,
    actor: Actor = Depends(requires("inventory.stock.read")),
    sku: Annotated[str | None, Query(max_length=64)] = None,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[MoveOut]:
    """The stock ledger, newest first."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = service.list_moves(
            uow, sku_code=sku, warehouse_code=warehouse, cursor=cursor, limit=limit
        )
    return Page[MoveOut](
        items=[
            MoveOut(
                id=m.id,
                at=iso(m.at),
                warehouse=m.warehouse,
                sku=m.sku,
                kind=m.kind,
                qty=m.qty,
                value_cents=m.value_cents,
                doc_type=m.doc_type,
                doc_ref=m.doc_ref,
                reason=m.reason,
            )
            for m in rows
        ],
        next_cursor=nxt,
    )


@router.get("/valuation/{sku}", operation_id="getValuation")
def get_valuation(
    sku: str, request: Request, actor: Actor = Depends(requires("inventory.stock.read"))
) -> ValuationOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return ValuationOut.model_validate(service.valuation(uow, sku))


@router.get("/availability", operation_id="getAvailability")
def get_availability(
    request: Request,
    sku: Annotated[list[str], Query(min_length=1, max_length=200)],
    warehouse: Annotated[list[str] | None, Query(max_length=50)] = None,
    actor: Actor = Depends(requires("inventory.stock.read")),
) -> list[AvailabilityOut]:
    """Available stock of one or many SKUs (``?sku=A&sku=B``), per warehouse and in total. A
    bundle's figures are the kits its components make in each warehouse."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return [AvailabilityOut.model_validate(a) for a in service.availability(uow, sku, warehouse)]


@router.post("/receipts", status_code=201, operation_id="createReceipt")
def create_receipt(
    body: ReceiptIn, request: Request, actor: Actor = Depends(requires("inventory.receipt.create"))
) -> DocumentOut:
    """Stock in at cost. A receipt dated before later moves re-values that SKU from its date on."""
    with unit_of_work(request, actor) as uow:
        d = service.receive(
            uow,
            ref=body.ref,
            warehouse=body.warehouse,
            at=body.at,
            partner=body.partner,
            note=body.note,
            lines=[service.ReceiptLine.of(**x.model_dump()) for x in body.lines],
        )
    return _doc(d)


@router.post("/transfers", status_code=201, operation_id="createTransfer")
def create_transfer(
    body: TransferIn, request: Request, actor: Actor = Depends(requires("inventory.transfer.create"))
) -> DocumentOut:
    """Move free stock between warehouses, all or nothing (a short transfer is recorded as rejected)."""
    with unit_of_work(request, actor) as uow:
        d = service.transfer(
            uow,
            ref=body.ref,
            from_warehouse=body.from_warehouse,
            to_warehouse=body.to_warehouse,
            at=body.at,
            note=body.note,
            lines=[service.QtyLine(x.sku, x.qty, x.lot_no, x.serials) for x in body.lines],
        )
    return _doc(d)


@router.post("/counts", status_code=201, operation_id="createCount")
def create_count(
    body: CountIn, request: Request, actor: Actor = Depends(requires("inventory.count.create"))
) -> DocumentOut:
    """Stocktake: each line's on-hand becomes ``counted``; differences are valued as shrinkage."""
    with unit_of_work(request, actor) as uow:
        d = service.count(
            uow,
            ref=body.ref,
            warehouse=body.warehouse,
            note=body.note,
            lines=[service.CountLine(x.sku, x.counted, x.lot_no, x.serials) for x in body.lines],
        )
    return _doc(d)


@router.post("/adjustments", status_code=201, operation_id="createAdjustment")
def create_adjustment(
    body: AdjustmentIn, request: Request, actor: Actor = Depends(requires("inventory.adjustment.create"))
) -> DocumentOut:
    """A manual stock adjustment with a reason code (报损, 样品领用, 期初库存, ...)."""
    with unit_of_work(request, actor) as uow:
        d = service.adjust(
            uow,
            ref=body.ref,
            warehouse=body.warehouse,
            reason=body.reason,
            at=body.at,
            note=body.note,
            lines=[
                service.AdjustLine(x.sku, x.qty, x.unit_cost_cents, x.lot_no, x.serials) for x in body.lines
            ],
        )
    return _doc(d)


class DocumentRowOut(Output):
    id: int
    kind: str
    ref: str
    status: str
    warehouse: str
    to_warehouse: str | None
    at: str
    partner: str | None
    reason: str | None
    note: str | None
    created_by: str
    lines: int


class DocumentLineOut(Output):
    line_no: int
    sku: str
    sku_name: str
    qty: int
    unit_cost_cents: int | None
    counted: int | None
    on_hand_before: int | None


class DocumentMoveOut(Output):
    id: int
    warehouse: str
    sku: str
    kind: str
    qty: int
    value_cents: int


class DocumentDetailOut(DocumentRowOut):
    line_items: list[DocumentLineOut]
    moves: list[DocumentMoveOut]


@router.get("/documents", operation_id="listDocuments")
def list_documents(
    request: Request,
    actor: Actor = Depends(requires("inventory.stock.read")),
    kind: Literal["receipt", "transfer", "count", "adjustment"] | None = None,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[DocumentRowOut]:
    """Receipts, transfers, stocktakes and adjustments, newest first."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = service.documents(
            uow, kind=kind, warehouse_code=warehouse, q=q, cursor=cursor, limit=limit
        )
    return Page[DocumentRowOut](
        items=[DocumentRowOut(**{**r.__dict__, "at": iso(r.at)}) for r in rows], next_cursor=nxt
    )


@router.get("/documents/{doc_id}", operation_id="getDocument")
def get_document(
    doc_id: int, request: Request, actor: Actor = Depends(requires("inventory.stock.read"))
) -> DocumentDetailOut:
    """One document with its lines and the ledger rows it wrote."""
    with unit_of_work(request, actor, readonly=True) as uow:
        d = service.document(uow, doc_id)
    if d is None:
        raise not_found("stock_document", doc_id, zh="库存单据")
    return DocumentDetailOut(**{**d, "at": iso(d["at"])})


@router.get("/adjustment-reasons", operation_id="listAdjustmentReasons")
def adjustment_reasons(actor: Actor = Depends(requires("inventory.stock.read"))) -> list[dict]:
    return [{"code": k, "zh": zh, "en": en} for k, (zh, en) in rules.ADJUST_REASONS.items()]
