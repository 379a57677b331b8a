"""Inventory HTTP API: warehouses, stock, ledger, valuation and stock documents."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field

from omnistock.inventory import rules, service
from omnistock.platform import excel
from omnistock.platform.auth import Actor, requires
from omnistock.platform.clock import iso, utcnow
from omnistock.platform.errors import not_found
from omnistock.platform.http import language, unit_of_work
from omnistock.platform.schemas import Input, Output, Page, UtcDateTime

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


class StockFilters:
    """The stock overview's filters (query parameters), shared by the list and its export."""

    def __init__(
        self,
        warehouse: Annotated[str | None, Query(max_length=64)] = None,
        sku: Annotated[str | None, Query(max_length=64)] = None,
        q: Annotated[str | None, Query(max_length=100, description="SKU code or name contains")] = None,
        low: Annotated[bool, Query(description="Only available below safety stock")] = False,
        has_reservations: Annotated[bool, Query(description="Only rows with something reserved")] = False,
        show_zero: Annotated[bool, Query(description="Also rows with nothing on hand or reserved")] = False,
    ):
        self.kw = {
            "warehouse_code": warehouse,
            "sku_code": sku,
            "q": q,
            "low": low,
            "has_reservations": has_reservations,
            "show_zero": show_zero,
        }


@router.get("/stock", operation_id="listStock")
def list_stock(
    request: Request,
    actor: Actor = Depends(requires("inventory.stock.read")),
    filters: StockFilters = Depends(),
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[StockRowOut]:
    """On-hand, reserved, available and value by warehouse and SKU."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = service.stock(uow, **filters.kw, cursor=cursor, limit=limit)
    return Page[StockRowOut](items=[StockRowOut.model_validate(r) for r in rows], next_cursor=nxt)


STOCK_COLUMNS = [
    excel.Column("仓库", "Warehouse", width=12),
    excel.Column("SKU", "SKU", width=18),
    excel.Column("商品名称", "Name", width=30),
    excel.Column("在库", "On hand", excel.INT, width=12),
    excel.Column("预占", "Reserved", excel.INT, width=12),
    excel.Column("可用", "Available", excel.INT, width=12),
    excel.Column("安全库存", "Safety stock", excel.INT, width=12),
    excel.Column("库存金额（元）", "Value (CNY)", excel.MONEY, width=16),
]


@router.get(
    "/stock/export",
    operation_id="exportStock",
    response_class=Response,
    responses={200: {"content": {excel.XLSX: {}}, "description": "An Excel workbook"}},
)
def export_stock(
    request: Request,
    actor: Actor = Depends(requires("inventory.stock.read")),
    filters: StockFilters = Depends(),
) -> Response:
    """The stock overview's rows for the same filters, every page, as an Excel workbook."""
    out = []
    cursor = None
    with unit_of_work(request, actor, readonly=True) as uow:
        while True:
            rows, cursor = service.stock(uow, **filters.kw, cursor=cursor, limit=500)
            out.extend(rows)
            if cursor is None:
                break
    lang = language(request)
    data = excel.workbook(
        "库存总览" if lang == "zh-CN" else "Stock",
        STOCK_COLUMNS,
        (
            (
                r.warehouse,
                r.sku,
                r.sku_name,
                r.on_hand,
                r.reserved,
                r.available,
                r.safety_stock,
                r.value_cents,
            )
            for r in out
        ),
        lang=lang,
    )
    name = "库存总览" if lang == "zh-CN" else "stock"
    return excel.download(data, f"{name}-{utcnow():%Y%m%d-%H%M}.xlsx")


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


# ---------------------------------------------------------------------------------------------
# Stock alerts


class AlertOut(Output):
    kind: Literal[tuple(rules.ALERT_KINDS)]  # type: ignore[valid-type]
    severity: str
    warehouse: str
    warehouse_name: str
    sku: str
    sku_name: str
    lot: str | None = Field(description="The batch number (near_expiry / expired)")
    on_hand: int
    reserved: int
    available: int
    safety_stock: int
    shortfall: int
    since: UtcDateTime | None = Field(description="First seen by the periodic scan")


class AlertKindOut(Output):
    kind: str
    severity: str
    zh: str
    en: str
    count: int


AlertKind = Literal[tuple(rules.ALERT_KINDS)]  # type: ignore[valid-type]


@router.get("/alerts", operation_id="listStockAlerts")
def list_alerts(
    request: Request,
    actor: Actor = Depends(requires("inventory.alerts.read")),
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    kind: AlertKind | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[AlertOut]:
    """Stock alerts now, in the warehouses I may see: by kind, then SKU and warehouse."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = service.alerts(uow, warehouse_code=warehouse, kind=kind, cursor=cursor, limit=limit)
    return Page[AlertOut](items=[AlertOut.model_validate(r) for r in rows], next_cursor=nxt)


@router.get("/alerts/kinds", operation_id="listStockAlertKinds")
def alert_kinds(
    request: Request,
    actor: Actor = Depends(requires("inventory.alerts.read")),
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
) -> list[AlertKindOut]:
    """Every alert kind with how many alerts of it I may see now."""
    with unit_of_work(request, actor, readonly=True) as uow:
        counts = service.alert_counts(uow, warehouse_code=warehouse)
    return [
        AlertKindOut(kind=k, severity=sev, zh=zh, en=en, count=counts[k])
        for k, (sev, zh, en) in rules.ALERT_KINDS.items()
    ]


# ---------------------------------------------------------------------------------------------
# Valuation report


ReportGroup = Literal[tuple(service.VALUATION_GROUPS)]  # type: ignore[valid-type]


class ValuationReportRowOut(Output):
    warehouse: str
    warehouse_name: str
    sku: str | None
    sku_name: str | None
    skus: int
    qty: int
    value_cents: int


class ValuationReportOut(Output):
    at: UtcDateTime
    group: str
    items: list[ValuationReportRowOut]
    total_qty: int
    total_value_cents: int
    next_cursor: str | None = None


AtQuery = Annotated[
    dt.datetime | None,
    Query(description="The moment (ISO 8601; without an offset it is UTC). Default: now"),
]


@router.get("/valuation-report", operation_id="getValuationReport")
def valuation_report(
    request: Request,
    actor: Actor = Depends(requires("inventory.valuation.read")),
    at: AtQuery = None,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    group: ReportGroup = "sku",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> ValuationReportOut:
    """Quantity and value as of ``at`` per warehouse and SKU (``group=sku``, paged) or per
    warehouse (``group=warehouse``); totals over the whole report."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rep = service.valuation_report(
            uow, at=at or utcnow(), warehouse_code=warehouse, group=group, cursor=cursor, limit=limit
        )
    return ValuationReportOut(
        at=rep.at,
        group=rep.group,
        items=[ValuationReportRowOut.model_validate(r) for r in rep.rows],
        total_qty=rep.total_qty,
        total_value_cents=rep.total_value_cents,
        next_cursor=rep.next_cursor,
    )


@router.get(
    "/valuation-report/export",
    operation_id="exportValuationReport",
    response_class=Response,
    responses={200: {"content": {excel.XLSX: {}}, "description": "An Excel workbook"}},
)
def export_valuation_report(
    request: Request,
    actor: Actor = Depends(requires("inventory.valuation.read")),
    at: AtQuery = None,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    group: ReportGroup = "sku",
) -> Response:
    """The whole valuation report as an Excel workbook, with a total row."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rep = service.valuation_report(
            uow, at=at or utcnow(), warehouse_code=warehouse, group=group, limit=None
        )
    lang = language(request)
    en = lang != "zh-CN"
    if group == "warehouse":
        columns = [
            excel.Column("仓库", "Warehouse", width=12),
            excel.Column("仓库名称", "Warehouse name", width=20),
            excel.Column("SKU 数", "SKUs", excel.INT, width=10),
            excel.Column("数量", "Quantity", excel.INT, width=14),
            excel.Column("金额（元）", "Value (CNY)", excel.MONEY, width=18),
        ]
        rows = [(r.warehouse, r.warehouse_name, r.skus, r.qty, r.value_cents) for r in rep.rows]
        total = [
            "Total" if en else "合计",
            None,
            sum(r.skus for r in rep.rows),
            rep.total_qty,
            rep.total_value_cents,
        ]
    else:
        columns = [
            excel.Column("仓库", "Warehouse", width=12),
            excel.Column("SKU", "SKU", width=18),
            excel.Column("商品名称", "Name", width=30),
            excel.Column("数量", "Quantity", excel.INT, width=14),
            excel.Column("金额（元）", "Value (CNY)", excel.MONEY, width=18),
        ]
        rows = [(r.warehouse, r.sku, r.sku_name, r.qty, r.value_cents) for r in rep.rows]
        total = ["Total" if en else "合计", None, None, rep.total_qty, rep.total_value_cents]
    stamp = f"{rep.at:%Y%m%d-%H%M%S}"
    title = f"Valuation {stamp} UTC" if en else f"存货估值 {stamp} UTC"
    data = excel.workbook(title, columns, rows, lang=lang, total=total)
    return excel.download(data, f"{'valuation' if en else '存货估值表'}-{stamp}.xlsx")
