"""Inventory HTTP API: warehouses, stock, ledger, valuation, stock documents, alerts, transfer orders
and stocktake sheets."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import Body, Depends, Path, Query, Request, Response
from pydantic import Field

from omnistock.inventory import files, rules, service
from omnistock.platform import excel
from omnistock.platform.auth import Actor, requires
from omnistock.platform.clock import iso, utcnow
from omnistock.platform.errors import not_found
from omnistock.platform.http import AreaRouter, language, unit_of_work
from omnistock.platform.pagination import MAX_ID
from omnistock.platform.schemas import Input, Output, Page, UtcDateTime

router = AreaRouter(prefix="/api/v1/inventory", tags=["inventory"])

Code = Annotated[str, Field(min_length=1, max_length=64)]
Qty = Annotated[int, Field(gt=0, le=rules.MAX_QTY)]
Cents = Annotated[int, Field(ge=0, le=rules.MAX_UNIT_CENTS)]
LotNo = Annotated[str, Field(min_length=1, max_length=64)]
Serials = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=5000)]
DocId = Annotated[int, Path(ge=1, le=MAX_ID)]


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
    bin: str | None = Field(default=None, description="The SKU's bin location in the warehouse (库位)")


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
    lot_no: str | None = Field(description="The batch (batch-tracked SKUs)")


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
    serials: Serials | None = Field(
        default=None, description="One scanned serial number per unit (serial-tracked SKUs)"
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
    serials: Serials | None = None


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
    serials: Serials | None = None


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
        bin: Annotated[str | None, Query(max_length=32, description="Bin code starts with (库位)")] = None,
    ):
        self.kw = {
            "warehouse_code": warehouse,
            "sku_code": sku,
            "q": q,
            "low": low,
            "has_reservations": has_reservations,
            "show_zero": show_zero,
            "bin_prefix": bin,
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
    excel.Column("库位", "Bin", width=12),
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
                r.bin,
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
                lot_no=m.lot_no,
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
            lines=[service.QtyLine(x.sku, x.qty, x.lot_no, x.serials or ()) for x in body.lines],
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
                service.AdjustLine(x.sku, x.qty, x.unit_cost_cents, x.lot_no, x.serials or ())
                for x in body.lines
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
    lot_no: str | None = Field(description="The batch (batch-tracked SKUs)")
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
    doc_id: DocId, request: Request, actor: Actor = Depends(requires("inventory.stock.read"))
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
    category: str | None = Field(default=None, description="group=category: the category (null: none)")
    category_name: str | None = None
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
    elif group == "category":
        columns = [
            excel.Column("类目", "Category", width=14),
            excel.Column("类目名称", "Category name", width=20),
            excel.Column("仓库", "Warehouse", width=12),
            excel.Column("SKU 数", "SKUs", excel.INT, width=10),
            excel.Column("数量", "Quantity", excel.INT, width=14),
            excel.Column("金额（元）", "Value (CNY)", excel.MONEY, width=18),
        ]
        none = "(none)" if en else "（未分类）"
        rows = [
            (r.category or none, r.category_name or none, r.warehouse, r.skus, r.qty, r.value_cents)
            for r in rep.rows
        ]
        total = [
            "Total" if en else "合计",
            None,
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


# ---------------------------------------------------------------------------------------------
# Two-step transfers (调拨单) and stocktake sheets (盘点单)

TransferStatus = Literal["draft", "shipped", "done", "cancelled"]
StocktakeStatus = Literal["open", "counting", "recount", "posted", "cancelled"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(content: bytes, media_type: str, filename: str, *, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}"},
    )


class TransferOrderLineIn(Input):
    """A line of a transfer order: batches are taken earliest expiry first and serial units are
    scanned when it ships."""

    sku: Code
    qty: Qty


class TransferOrderIn(Input):
    ref: str | None = Field(default=None, max_length=64)
    from_warehouse: Code
    to_warehouse: Code
    lines: list[TransferOrderLineIn] = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=500)


class TransferOrderEditIn(Input):
    lines: list[TransferOrderLineIn] = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=500)


class ReceivedLineIn(Input):
    sku: Code
    received: Annotated[int, Field(ge=0, le=rules.MAX_QTY)] | None = Field(
        default=None, description="Required unless the SKU is serial-tracked (then: the count of serials)"
    )
    serials: Serials | None = Field(
        default=None,
        description="Serial-tracked SKUs: the scanned numbers of the units that arrived; the line's "
        "other units in transit are lost",
    )


class TransferShipIn(Input):
    serials: dict[Code, Serials] | None = Field(
        default=None, description="Serial-tracked SKUs: SKU code -> the scanned serial numbers of the units"
    )


class TransferReceiveIn(Input):
    """Every line's received quantity (at most what was shipped) or, for a serial-tracked SKU, the
    units scanned; none given = all arrived."""

    lines: list[ReceivedLineIn] | None = Field(default=None, min_length=1, max_length=500)


class TransferOrderRowOut(Output):
    id: int
    ref: str
    status: str
    from_warehouse: str
    to_warehouse: str
    note: str | None
    created_at: UtcDateTime
    created_by: str
    shipped_at: UtcDateTime | None
    received_at: UtcDateTime | None
    lines: int
    qty: int
    shipped: int
    received: int
    lost: int
    in_transit: int


class TransferOrderLineOut(Output):
    line_no: int
    sku: str
    sku_name: str
    tracking: Literal["none", "batch", "serial"]
    serials_in_transit: list[str] = Field(
        description="Serial-tracked lines of a shipped order: the numbers of the units still in transit"
    )
    qty: int
    shipped: int
    received: int
    lost: int
    in_transit: int
    loss_value_cents: int


class LedgerRowOut(DocumentMoveOut):
    at: UtcDateTime


class TransferOrderOut(TransferOrderRowOut):
    loss_value_cents: int
    line_items: list[TransferOrderLineOut]
    moves: list[LedgerRowOut]


@router.get("/transfer-orders", operation_id="listTransferOrders")
def list_transfer_orders(
    request: Request,
    actor: Actor = Depends(requires("inventory.stock.read")),
    status: TransferStatus | None = None,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[TransferOrderRowOut]:
    """Transfer orders (调拨单), newest first; ``warehouse`` matches either side. ``in_transit`` is
    what left the source and has not arrived yet."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = service.list_transfer_orders(
            uow, status=status, warehouse_code=warehouse, q=q, cursor=cursor, limit=limit
        )
    return Page[TransferOrderRowOut](
        items=[TransferOrderRowOut.model_validate(r) for r in rows], next_cursor=nxt
    )


@router.post("/transfer-orders", status_code=201, operation_id="createTransferOrder")
def create_transfer_order(
    body: TransferOrderIn, request: Request, actor: Actor = Depends(requires("inventory.transfer.create"))
) -> TransferOrderOut:
    """A draft transfer order; nothing moves until it is shipped."""
    with unit_of_work(request, actor) as uow:
        d = service.create_transfer_order(
            uow,
            ref=body.ref,
            from_warehouse=body.from_warehouse,
            to_warehouse=body.to_warehouse,
            note=body.note,
            lines=[service.QtyLine(x.sku, x.qty) for x in body.lines],
        )
    return TransferOrderOut.model_validate(d)


def _transfer_order(uow, order_id: int) -> dict:
    d = service.transfer_order_detail(uow, order_id)
    if d is None:
        raise not_found("transfer_order", order_id, zh="调拨单")
    return d


@router.get("/transfer-orders/{order_id}", operation_id="getTransferOrder")
def get_transfer_order(
    order_id: DocId, request: Request, actor: Actor = Depends(requires("inventory.stock.read"))
) -> TransferOrderOut:
    """One transfer order: lines with shipped, received, lost and in transit, and its ledger rows."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return TransferOrderOut.model_validate(_transfer_order(uow, order_id))


@router.put("/transfer-orders/{order_id}", operation_id="updateTransferOrder")
def update_transfer_order(
    order_id: DocId,
    body: TransferOrderEditIn,
    request: Request,
    actor: Actor = Depends(requires("inventory.transfer.create")),
) -> TransferOrderOut:
    """Replace a draft's lines and note."""
    with unit_of_work(request, actor) as uow:
        d = service.update_transfer_order(
            uow, order_id, note=body.note, lines=[service.QtyLine(x.sku, x.qty) for x in body.lines]
        )
    return TransferOrderOut.model_validate(d)


@router.post("/transfer-orders/{order_id}/ship", operation_id="shipTransferOrder")
def ship_transfer_order(
    order_id: DocId,
    request: Request,
    body: Annotated[TransferShipIn | None, Body()] = None,
    actor: Actor = Depends(requires("inventory.transfer.ship")),
) -> TransferOrderOut:
    """Every line leaves the source warehouse (free stock only; a short line refuses the whole
    shipment, naming the SKU) and is in transit; serial-tracked lines need the scanned numbers of
    their units. Needs the source warehouse in your data scope."""
    serials = body.serials if body else None
    with unit_of_work(request, actor) as uow:
        return TransferOrderOut.model_validate(service.ship_transfer_order(uow, order_id, serials=serials))


@router.post("/transfer-orders/{order_id}/receive", operation_id="receiveTransferOrder")
def receive_transfer_order(
    order_id: DocId,
    body: TransferReceiveIn,
    request: Request,
    actor: Actor = Depends(requires("inventory.transfer.receive")),
) -> TransferOrderOut:
    """The destination takes in what arrived, per line (never more than shipped); the rest is a
    transit loss valued as shrinkage. Needs the destination warehouse in your data scope."""
    lines = (
        None
        if body.lines is None
        else [service.ReceivedLine(x.sku, x.received, x.serials) for x in body.lines]
    )
    with unit_of_work(request, actor) as uow:
        return TransferOrderOut.model_validate(service.receive_transfer_order(uow, order_id, lines=lines))


@router.post("/transfer-orders/{order_id}/cancel", operation_id="cancelTransferOrder")
def cancel_transfer_order(
    order_id: DocId, request: Request, actor: Actor = Depends(requires("inventory.transfer.create"))
) -> TransferOrderOut:
    """Cancel a draft."""
    with unit_of_work(request, actor) as uow:
        return TransferOrderOut.model_validate(service.cancel_transfer_order(uow, order_id))


@router.get(
    "/transfer-orders/{order_id}/pdf",
    operation_id="printTransferOrder",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The transfer order as a PDF"}},
)
def print_transfer_order(
    order_id: DocId, request: Request, actor: Actor = Depends(requires("inventory.stock.read"))
) -> Response:
    """The printable transfer order (A4 PDF, Chinese and English labels, the number as a barcode)."""
    with unit_of_work(request, actor, readonly=True) as uow:
        d = _transfer_order(uow, order_id)
    pdf = files.transfer_order_pdf({**d, "printed_by": actor.username})
    return _attachment(pdf, "application/pdf", f"{d['ref']}.pdf", inline=True)


class ScopeAll(Input):
    kind: Literal["all"]


class ScopeSkus(Input):
    kind: Literal["skus"]
    skus: list[Code] = Field(min_length=1, max_length=5000)


class ScopeCategory(Input):
    kind: Literal["category"]
    category: Code


class ScopeBin(Input):
    kind: Literal["bin"]
    bin: Annotated[str, Field(min_length=1, max_length=32, description="Bin code prefix, e.g. A-01")]


class StocktakeIn(Input):
    ref: str | None = Field(default=None, max_length=64)
    warehouse: Code
    scope: Annotated[ScopeAll | ScopeSkus | ScopeCategory | ScopeBin, Field(discriminator="kind")] = Field(
        description='{"kind": "all"}: every SKU with stock or ever stocked in the warehouse; '
        '{"kind": "category", "category": "CODE"}: those of a category and the ones below it; '
        '{"kind": "bin", "bin": "A-01"}: those in bins starting with it, in bin order; '
        '{"kind": "skus", "skus": [...]}: those SKUs'
    )
    blind: bool = False
    note: str | None = Field(default=None, max_length=500)


class StocktakeCountIn(Input):
    """A scan (no ``qty``: one more piece) or a typed count (``qty``: the line's count becomes it)."""

    code: Code
    qty: Annotated[int, Field(ge=0, le=rules.MAX_QTY)] | None = None
    lot_no: LotNo | None = Field(default=None, description="The batch (batch-tracked SKUs)")


class StocktakeRecountIn(Input):
    """The SKUs to count again; none given = every line that differs from the book or was not counted."""

    skus: list[Code] | None = Field(default=None, min_length=1, max_length=5000)


class StocktakePostIn(Input):
    uncounted_as_zero: bool = False


class StocktakeRowOut(Output):
    id: int
    ref: str
    status: str
    warehouse: str
    scope: dict
    blind: bool
    round: int
    note: str | None
    created_at: UtcDateTime
    created_by: str
    posted_at: UtcDateTime | None
    posted_by: str | None
    count_document_id: int | None
    lines: int
    counted_lines: int
    recount_lines: int


class StocktakeLineOut(Output):
    line_no: int
    sku: str
    sku_name: str
    bin: str | None = Field(default=None, description="The SKU's bin in the sheet's warehouse")
    lot_no: str | None = Field(default=None, description="The batch of this line (batch-tracked SKUs)")
    expiry_date: dt.date | None = None
    book_qty: int | None  # None: withheld on a blind sheet
    added: bool
    counted1: int | None
    counted2: int | None
    recount: bool
    counted: int | None
    difference: int | None
    value_cents: int | None
    value_estimated: bool
    on_hand_at_post: int | None
    posted_qty: int | None
    counted_at: UtcDateTime | None
    counted_by: str | None


class StocktakeTotalsOut(Output):
    lines: int
    counted_lines: int
    uncounted_lines: int
    recount_lines: int
    difference_lines: int | None
    gain_qty: int | None
    loss_qty: int | None
    gain_value_cents: int | None
    loss_value_cents: int | None


class StocktakeOut(StocktakeRowOut):
    book_visible: bool
    count_document_ref: str | None
    totals: StocktakeTotalsOut
    line_items: list[StocktakeLineOut]


class StocktakeCountOut(Output):
    sheet_status: str
    round: int
    line: StocktakeLineOut


@router.get("/stocktakes", operation_id="listStocktakes")
def list_stocktakes(
    request: Request,
    actor: Actor = Depends(requires("inventory.stock.read")),
    status: StocktakeStatus | None = None,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[StocktakeRowOut]:
    """Stocktake sheets (盘点单), newest first."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = service.list_stocktakes(
            uow, status=status, warehouse_code=warehouse, q=q, cursor=cursor, limit=limit
        )
    return Page[StocktakeRowOut](items=[StocktakeRowOut.model_validate(r) for r in rows], next_cursor=nxt)


@router.post("/stocktakes", status_code=201, operation_id="createStocktake")
def create_stocktake(
    body: StocktakeIn, request: Request, actor: Actor = Depends(requires("inventory.stocktake.create"))
) -> StocktakeOut:
    """A count sheet for one warehouse; each line's book on-hand is snapshotted now."""
    with unit_of_work(request, actor) as uow:
        d = service.create_stocktake(
            uow,
            ref=body.ref,
            warehouse=body.warehouse,
            scope=body.scope.model_dump(),
            blind=body.blind,
            note=body.note,
        )
    return StocktakeOut.model_validate(d)


def _stocktake(uow, sheet_id: int) -> dict:
    d = service.stocktake_detail(uow, sheet_id)
    if d is None:
        raise not_found("stocktake", sheet_id, zh="盘点单")
    return d


@router.get("/stocktakes/{sheet_id}", operation_id="getStocktake")
def get_stocktake(
    sheet_id: DocId, request: Request, actor: Actor = Depends(requires("inventory.stock.read"))
) -> StocktakeOut:
    """The sheet and its report: per line book snapshot, both rounds, difference and its value
    (estimated until posted), and totals. Blind sheets withhold the book from counters."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return StocktakeOut.model_validate(_stocktake(uow, sheet_id))


@router.post("/stocktakes/{sheet_id}/counts", operation_id="recordStocktakeCount")
def record_stocktake_count(
    sheet_id: DocId,
    body: StocktakeCountIn,
    request: Request,
    actor: Actor = Depends(requires("inventory.stocktake.count")),
) -> StocktakeCountOut:
    """Count a scanned or typed code: one more piece, or (with ``qty``) exactly ``qty``."""
    with unit_of_work(request, actor) as uow:
        res = service.record_count(uow, sheet_id, code=body.code, qty=body.qty, lot_no=body.lot_no)
    return StocktakeCountOut(sheet_status=res.sheet_status, round=res.round, line=res.line)


@router.post("/stocktakes/{sheet_id}/recount", operation_id="recountStocktake")
def recount_stocktake(
    sheet_id: DocId,
    body: StocktakeRecountIn,
    request: Request,
    actor: Actor = Depends(requires("inventory.count.create")),
) -> StocktakeOut:
    """Send lines to a second round of counting (their new counts replace the first ones)."""
    with unit_of_work(request, actor) as uow:
        return StocktakeOut.model_validate(service.send_to_recount(uow, sheet_id, skus=body.skus))


@router.post("/stocktakes/{sheet_id}/post", operation_id="postStocktake")
def post_stocktake(
    sheet_id: DocId,
    body: StocktakePostIn,
    request: Request,
    actor: Actor = Depends(requires("inventory.count.create")),
) -> StocktakeOut:
    """Post the differences: each line's on-hand becomes on-hand now + (counted − book snapshot),
    as one count document valued by the costing rules. Never below what is reserved."""
    with unit_of_work(request, actor) as uow:
        d = service.post_stocktake(uow, sheet_id, uncounted_as_zero=body.uncounted_as_zero)
    return StocktakeOut.model_validate(d)


@router.post("/stocktakes/{sheet_id}/cancel", operation_id="cancelStocktake")
def cancel_stocktake(
    sheet_id: DocId, request: Request, actor: Actor = Depends(requires("inventory.stocktake.create"))
) -> StocktakeOut:
    with unit_of_work(request, actor) as uow:
        return StocktakeOut.model_validate(service.cancel_stocktake(uow, sheet_id))


@router.get(
    "/stocktakes/{sheet_id}/report.xlsx",
    operation_id="exportStocktake",
    response_class=Response,
    responses={
        200: {
            "content": {XLSX: {}},
            "description": "The stocktake report as an Excel workbook",
        }
    },
)
def export_stocktake(
    sheet_id: DocId, request: Request, actor: Actor = Depends(requires("inventory.stock.read"))
) -> Response:
    """The stocktake report as an Excel workbook (what the sheet view shows)."""
    with unit_of_work(request, actor, readonly=True) as uow:
        d = _stocktake(uow, sheet_id)
    return _attachment(files.stocktake_xlsx(d), XLSX, f"{d['ref']}.xlsx")


# ---------------------------------------------------------------------------------------------
# Bin locations (库位)


class BinLineIn(Input):
    sku: Code
    bin: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        description="The bin code, e.g. A-01-03; null takes the SKU off its bin"
    )


class BinsIn(Input):
    warehouse: Code
    lines: list[BinLineIn] = Field(min_length=1, max_length=5000)


class BinOut(Output):
    sku: str
    bin: str | None


@router.put("/bins", operation_id="setBins")
def set_bins(
    body: BinsIn, request: Request, actor: Actor = Depends(requires("inventory.bin.manage"))
) -> list[BinOut]:
    """Assign SKUs to bins in one warehouse (or clear them), all or nothing."""
    with unit_of_work(request, actor) as uow:
        out = service.set_bins(
            uow, warehouse=body.warehouse, lines=[service.BinLine(x.sku, x.bin) for x in body.lines]
        )
    return [BinOut.model_validate(x) for x in out]
