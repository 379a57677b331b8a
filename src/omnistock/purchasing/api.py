"""Purchasing HTTP API (`/api/v1/purchasing/…`): suppliers and their SKUs, purchase orders with
their state flow and approval, receiving, quality hold, supplier returns, replenishment and
supplier bills. Validation and orchestration only: the rules live in the service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import Depends, Query, Request, Response
from pydantic import Field

from omnistock.inventory import service as inventory
from omnistock.platform import excel
from omnistock.platform.auth import Actor, requires
from omnistock.platform.clock import iso
from omnistock.platform.http import AreaRouter, language, unit_of_work
from omnistock.platform.schemas import Input, Output, Page, UtcDateTime
from omnistock.purchasing import pdf, service

router = AreaRouter(prefix="/api/v1/purchasing", tags=["purchasing"])

Code = Annotated[str, Field(min_length=1, max_length=64)]
Qty = Annotated[int, Field(gt=0, le=10**9)]
Cents = Annotated[int, Field(ge=0, le=10**11)]


# -- suppliers ----------------------------------------------------------------------------------
class SupplierIn(Input):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    contact_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    lead_time_days: int = Field(default=7, ge=0, le=365)
    payment_terms: str | None = Field(default=None, max_length=100)
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    tolerance_pct: int | None = Field(default=None, ge=0, le=100, description="Over-receipt allowed, %")
    active: bool = True

    def fields(self) -> service.SupplierFields:
        return service.SupplierFields(**self.model_dump(exclude={"code", "name"}))


class SupplierUpdate(SupplierIn):
    code: Code | None = None  # type: ignore[assignment]


class SupplierOut(Output):
    id: int
    code: str
    name: str
    contact_name: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    lead_time_days: int = 7
    payment_terms: str | None = None
    currency: str = "CNY"
    tolerance_pct: int | None = None
    active: bool = True


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
        service.create_supplier(uow, code=body.code, name=body.name, fields=body.fields())
        return SupplierOut.model_validate(service.get_supplier(uow, body.code))


@router.put("/suppliers/{code}", operation_id="updateSupplier")
def update_supplier(
    code: str,
    body: SupplierUpdate,
    request: Request,
    actor: Actor = Depends(requires("purchasing.supplier.manage")),
) -> SupplierOut:
    with unit_of_work(request, actor) as uow:
        return SupplierOut.model_validate(
            service.update_supplier(uow, code, name=body.name, fields=body.fields())
        )


class SupplierSkuIn(Input):
    sku: Code
    price_cents: Cents
    moq: Qty = 1
    pack_size: Qty = 1
    preferred: bool = False
    supplier_sku_code: str | None = Field(default=None, max_length=64)


class SupplierSkuOut(Output):
    supplier: str
    sku: str
    supplier_sku_code: str | None
    price_cents: int
    moq: int
    pack_size: int
    preferred: bool
    lead_time_days: int


@router.get("/supplier-skus", operation_id="listSupplierSkus")
def list_supplier_skus(
    request: Request,
    supplier: str | None = None,
    sku: str | None = None,
    actor: Actor = Depends(requires("purchasing.supplier.read")),
) -> list[SupplierSkuOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [SupplierSkuOut.model_validate(x) for x in service.supplier_skus(uow, supplier, sku)]


@router.put("/suppliers/{code}/skus", operation_id="setSupplierSku")
def set_supplier_sku(
    code: str,
    body: SupplierSkuIn,
    request: Request,
    actor: Actor = Depends(requires("purchasing.supplier.manage")),
) -> list[SupplierSkuOut]:
    with unit_of_work(request, actor) as uow:
        service.set_supplier_sku(uow, code, **body.model_dump())
        return [SupplierSkuOut.model_validate(x) for x in service.supplier_skus(uow, code)]


@router.delete("/suppliers/{code}/skus/{sku}", status_code=204, operation_id="removeSupplierSku")
def remove_supplier_sku(
    code: str, sku: str, request: Request, actor: Actor = Depends(requires("purchasing.supplier.manage"))
) -> Response:
    with unit_of_work(request, actor) as uow:
        service.remove_supplier_sku(uow, code, sku)
    return Response(status_code=204)


class PricePointOut(Output):
    supplier: str
    sku: str
    price_cents: int
    source: str
    ref: str | None
    at: UtcDateTime


@router.get("/price-history", operation_id="priceHistory")
def price_history(
    request: Request,
    sku: str | None = None,
    supplier: str | None = None,
    actor: Actor = Depends(requires("purchasing.supplier.read")),
) -> list[PricePointOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [
            PricePointOut.model_validate(x)
            for x in service.price_history(uow, sku=sku, supplier_code=supplier)
        ]


# -- settings -----------------------------------------------------------------------------------
class PurchasingSettingsOut(Output):
    tolerance_pct: int
    approval_thresholds: list[tuple[int, str]]
    target_days: int
    overstock_days: int


class PurchasingSettingsIn(Input):
    tolerance_pct: int | None = Field(default=None, ge=0, le=100)
    approval_thresholds: list[tuple[int, str]] | None = None
    target_days: int | None = Field(default=None, ge=1, le=3650)
    overstock_days: int | None = Field(default=None, ge=1, le=3650)


@router.get("/settings", operation_id="purchasingSettings")
def get_settings(
    request: Request, actor: Actor = Depends(requires("purchasing.po.read"))
) -> PurchasingSettingsOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return PurchasingSettingsOut.model_validate(service.settings(uow))


@router.put("/settings", operation_id="updatePurchasingSettings")
def put_settings(
    body: PurchasingSettingsIn,
    request: Request,
    actor: Actor = Depends(requires("purchasing.settings.manage")),
) -> PurchasingSettingsOut:
    changes = body.model_dump(exclude_none=True)
    if "approval_thresholds" in changes:
        changes["approval_thresholds"] = [list(t) for t in changes["approval_thresholds"]]
    with unit_of_work(request, actor) as uow:
        return PurchasingSettingsOut.model_validate(service.update_settings(uow, changes))


# -- purchase orders ----------------------------------------------------------------------------
class PurchaseOrderLineIn(Input):
    sku: Code
    qty: Qty
    price_cents: Cents | None = Field(default=None, description="Default: the supplier's price")


class PurchaseOrderIn(Input):
    ref: str | None = Field(default=None, max_length=64)
    supplier: Code
    warehouse: Code
    lines: list[PurchaseOrderLineIn] = Field(min_length=1, max_length=500)
    expected_date: dt.date | None = None
    note: str | None = Field(default=None, max_length=500)


class PurchaseOrderUpdate(Input):
    lines: list[PurchaseOrderLineIn] = Field(min_length=1, max_length=500)
    expected_date: dt.date | None = None
    note: str | None = Field(default=None, max_length=500)


class PurchaseOrderLineOut(Output):
    line_no: int
    sku: str
    tracking: str
    qty: int
    price_cents: int
    amount_cents: int
    received: int
    billed: int
    remaining: int


class PurchaseOrderRow(Output):
    id: int
    ref: str
    status: str
    supplier: str
    supplier_name: str
    warehouse: str
    currency: str
    total_cents: int
    expected_date: dt.date | None
    source: str
    created_at: UtcDateTime
    created_by: str
    approved_by: str | None


class PurchaseOrderOut(PurchaseOrderRow):
    note: str | None
    submitted_at: UtcDateTime | None
    approved_at: UtcDateTime | None
    sent_at: UtcDateTime | None
    closed_at: UtcDateTime | None
    lines: list[PurchaseOrderLineOut]
    approval_permission: str
    next: list[str]


class PurchaseOrderList(Page[PurchaseOrderRow]):
    counts: dict[str, int]


def _lines(lines: list[PurchaseOrderLineIn]) -> list[service.OrderLineIn]:
    return [service.OrderLineIn(x.sku, x.qty, x.price_cents) for x in lines]


@router.get("/orders", operation_id="listPurchaseOrders")
def list_orders(
    request: Request,
    status: str | None = None,
    supplier: str | None = None,
    q: str | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    actor: Actor = Depends(requires("purchasing.po.read")),
) -> PurchaseOrderList:
    """Purchase orders, newest first, a page at a time (pass ``next_cursor`` back as ``cursor``),
    with the count of orders in each status."""
    with unit_of_work(request, actor, readonly=True) as uow:
        items, nxt = service.list_orders(
            uow, status=status, supplier_code=supplier, q=q, cursor=cursor, limit=limit
        )
        return PurchaseOrderList(
            items=[PurchaseOrderRow.model_validate(o) for o in items],
            next_cursor=nxt,
            counts=service.status_counts(uow),
        )


@router.post("/orders", status_code=201, operation_id="createPurchaseOrder")
def create_order(
    body: PurchaseOrderIn, request: Request, actor: Actor = Depends(requires("purchasing.po.create"))
) -> PurchaseOrderOut:
    with unit_of_work(request, actor) as uow:
        d = service.create_order(
            uow,
            supplier_code=body.supplier,
            warehouse=body.warehouse,
            lines=_lines(body.lines),
            ref=body.ref,
            expected_date=body.expected_date,
            note=body.note,
        )
    return PurchaseOrderOut.model_validate(d)


@router.get("/orders/{order_id}", operation_id="getPurchaseOrder")
def get_order(
    order_id: int, request: Request, actor: Actor = Depends(requires("purchasing.po.read"))
) -> PurchaseOrderOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return PurchaseOrderOut.model_validate(service.order_detail(uow, order_id))


@router.get("/orders/by-ref/{ref}", operation_id="getPurchaseOrderByRef")
def get_order_by_ref(
    ref: str, request: Request, actor: Actor = Depends(requires("purchasing.po.read"))
) -> PurchaseOrderOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return PurchaseOrderOut.model_validate(service.order_detail(uow, service.order_id_by_ref(uow, ref)))


@router.put("/orders/{order_id}", operation_id="updatePurchaseOrder")
def update_order(
    order_id: int,
    body: PurchaseOrderUpdate,
    request: Request,
    actor: Actor = Depends(requires("purchasing.po.create")),
) -> PurchaseOrderOut:
    with unit_of_work(request, actor) as uow:
        d = service.update_order(
            uow, order_id, lines=_lines(body.lines), expected_date=body.expected_date, note=body.note
        )
    return PurchaseOrderOut.model_validate(d)


Action = Literal["submit", "approve", "reject", "send", "cancel", "close"]
_ACTIONS = {
    "submit": service.submit_order,
    "approve": service.approve_order,
    "reject": service.reject_order,
    "send": service.send_order,
    "cancel": service.cancel_order,
    "close": service.close_order,
}


@router.post("/orders/{order_id}/actions/{action}", operation_id="purchaseOrderAction")
def order_action(
    order_id: int, action: Action, request: Request, actor: Actor = Depends(requires("purchasing.po.read"))
) -> PurchaseOrderOut:
    """Move the order through its states: submit, approve / reject (by the permission its amount
    needs), send, cancel, close. The service checks each action's own permission."""
    with unit_of_work(request, actor) as uow:
        d = _ACTIONS[action](uow, order_id)
    return PurchaseOrderOut.model_validate(d)


def _inline(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}"},
    )


@router.get(
    "/orders/{order_id}/pdf",
    operation_id="purchaseOrderPdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The order as a PDF"}},
)
def order_pdf(
    order_id: int, request: Request, actor: Actor = Depends(requires("purchasing.po.read"))
) -> Response:
    with unit_of_work(request, actor, readonly=True) as uow:
        d = service.order_detail(uow, order_id)
    return _inline(pdf.order_pdf(d), "application/pdf", f"{d['ref']}.pdf")


@router.get(
    "/orders/{order_id}/xlsx",
    operation_id="purchaseOrderXlsx",
    response_class=Response,
    responses={200: {"content": {excel.XLSX: {}}, "description": "The order as an Excel file"}},
)
def order_xlsx(
    order_id: int, request: Request, actor: Actor = Depends(requires("purchasing.po.read"))
) -> Response:
    with unit_of_work(request, actor, readonly=True) as uow:
        d = service.order_detail(uow, order_id)
    return excel.download(pdf.order_xlsx(d, language(request)), f"{d['ref']}.xlsx")


# -- receiving, quality hold, returns ---------------------------------------------------------
class ReceiveLine(Input):
    code: Code = Field(description="SKU code or barcode, as scanned")
    qty: Qty
    lot_no: Code | None = None
    production_date: dt.date | None = None
    expiry_date: dt.date | None = None
    supplier_lot_no: Code | None = None
    serials: list[Code] = Field(default_factory=list, max_length=5000)
    hold: bool = Field(default=False, description="Quality hold: on hand, not available until released")


class ReceiveIn(Input):
    ref: str | None = Field(default=None, max_length=64)
    lines: list[ReceiveLine] = Field(min_length=1, max_length=500)
    freight_cents: Cents = 0
    duty_cents: Cents = 0
    allocation: Literal["value", "qty"] = "value"
    at: dt.datetime | None = None


class ReceiptLineOut(Output):
    line_no: int
    order_line_no: int
    sku: str
    qty: int
    price_cents: int
    landed_cents: int
    value_cents: int
    lot_no: str | None
    hold: str
    id: int | None = None
    serials: list[str] = []


class ReceiptOut(Output):
    id: int
    ref: str
    order: str | None = None
    order_status: str | None = None
    warehouse: str | None = None
    at: UtcDateTime
    freight_cents: int
    duty_cents: int
    allocation: str
    lines: list[ReceiptLineOut]


@router.post("/orders/{order_id}/receipts", status_code=201, operation_id="receivePurchaseOrder")
def receive_order(
    order_id: int,
    body: ReceiveIn,
    request: Request,
    actor: Actor = Depends(requires("purchasing.receipt.create")),
) -> ReceiptOut:
    with unit_of_work(request, actor) as uow:
        d = service.receive_order(
            uow,
            order_id,
            lines=[service.ReceiveLineIn(**x.model_dump()) for x in body.lines],
            freight_cents=body.freight_cents,
            duty_cents=body.duty_cents,
            allocation=body.allocation,
            ref=body.ref,
            at=body.at,
        )
    return ReceiptOut.model_validate(d)


@router.get("/orders/{order_id}/receipts", operation_id="listPurchaseReceipts")
def list_receipts(
    order_id: int, request: Request, actor: Actor = Depends(requires("purchasing.po.read"))
) -> list[ReceiptOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        service.order_detail(uow, order_id)
        return [ReceiptOut.model_validate(r) for r in service.list_receipts(uow, order_id)]


class HoldOut(Output):
    id: int
    sku: str
    qty: int
    lot_no: str | None
    hold: str
    value_cents: int
    receipt: str
    order: str
    warehouse: str
    at: UtcDateTime


@router.get("/holds", operation_id="listQualityHolds")
def list_holds(
    request: Request,
    state: Literal["held", "released", "rejected"] = "held",
    actor: Actor = Depends(requires("purchasing.po.read")),
) -> list[HoldOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [HoldOut.model_validate(h) for h in service.list_holds(uow, state=state)]


class HoldResult(Output):
    id: int
    hold: str
    return_ref: str | None = None


class RejectIn(Input):
    reason: str | None = Field(default=None, max_length=200)
    serials: list[Code] = Field(default_factory=list, max_length=5000)


@router.post("/holds/{line_id}/release", operation_id="releaseQualityHold")
def release_hold(
    line_id: int, request: Request, actor: Actor = Depends(requires("purchasing.hold.release"))
) -> HoldResult:
    with unit_of_work(request, actor) as uow:
        d = service.release_hold(uow, line_id)
    return HoldResult(id=d["id"], hold=d["hold"])


@router.post("/holds/{line_id}/reject", operation_id="rejectQualityHold")
def reject_hold(
    line_id: int,
    body: RejectIn,
    request: Request,
    actor: Actor = Depends(requires("purchasing.hold.release")),
) -> HoldResult:
    with unit_of_work(request, actor) as uow:
        d = service.reject_hold(uow, line_id, reason=body.reason, serials=body.serials)
    return HoldResult(id=d["id"], hold=d["hold"], return_ref=d["return"]["ref"])


class SupplierReturnLineIn(Input):
    sku: Code
    qty: Qty
    lot_no: Code | None = None
    serials: list[Code] = Field(default_factory=list, max_length=5000)


class SupplierReturnIn(Input):
    ref: str | None = Field(default=None, max_length=64)
    supplier: Code
    warehouse: Code
    order_id: int | None = None
    reason: str | None = Field(default=None, max_length=200)
    lines: list[SupplierReturnLineIn] = Field(min_length=1, max_length=500)


class SupplierReturnLineOut(Output):
    line_no: int
    sku: str
    qty: int
    value_cents: int


class SupplierReturnOut(Output):
    id: int
    ref: str
    supplier: str
    warehouse: str
    value_cents: int
    lines: list[SupplierReturnLineOut]


@router.post("/returns", status_code=201, operation_id="returnToSupplier")
def return_to_supplier(
    body: SupplierReturnIn, request: Request, actor: Actor = Depends(requires("purchasing.return.create"))
) -> SupplierReturnOut:
    with unit_of_work(request, actor) as uow:
        d = service.return_to_supplier(
            uow,
            supplier_code=body.supplier,
            warehouse=body.warehouse,
            lines=[service.ReturnLineIn(x.sku, x.qty, x.lot_no, tuple(x.serials)) for x in body.lines],
            order_id=body.order_id,
            reason=body.reason,
            ref=body.ref,
        )
    return SupplierReturnOut.model_validate(d)


class SupplierReturnRow(SupplierReturnOut):
    supplier_name: str
    order_id: int | None
    order: str | None
    reason: str | None
    at: UtcDateTime
    created_by: str


@router.get("/returns", operation_id="listSupplierReturns")
def list_returns(
    request: Request,
    supplier: Annotated[str | None, Query(max_length=64)] = None,
    order_id: int | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    actor: Actor = Depends(requires("purchasing.po.read")),
) -> Page[SupplierReturnRow]:
    """Returns to suppliers, newest first, with their lines and value at cost."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = service.list_returns(
            uow, supplier_code=supplier, order_id=order_id, cursor=cursor, limit=limit
        )
    return Page[SupplierReturnRow](items=[SupplierReturnRow.model_validate(r) for r in rows], next_cursor=nxt)


# Goods received from a supplier without a purchase order.
class GoodsLineIn(Input):
    sku: Code
    qty: Qty
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


# -- replenishment ------------------------------------------------------------------------------
class SuggestionOut(Output):
    warehouse: str
    sku: str
    name: str
    model: str
    backtest_mae: float | None
    backtest_wmape: float | None
    naive_mae: float | None
    daily_demand: float | None
    sold_30d: int
    lead_time_days: int
    safety_stock: int
    safety_from_catalog: bool
    on_hand: int
    available: int
    open_po: int
    in_transit: int
    position: int
    reorder_point: int
    target_level: int
    need: int
    suggested_qty: int
    moq: int
    pack_size: int
    supplier: str | None
    price_cents: int | None
    days_of_cover: float | None
    slack_days: float | None
    urgency: str


class ReplenishmentOut(Output):
    rows: list[SuggestionOut]
    total: int
    counts: dict[str, int]
    history_days: int
    target_days: int


@router.get("/replenishment", operation_id="replenishment")
def replenishment(
    request: Request,
    warehouse: str | None = None,
    due_only: bool = False,
    actor: Actor = Depends(requires("purchasing.replenishment.read")),
) -> ReplenishmentOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return ReplenishmentOut.model_validate(
            service.replenishment(uow, warehouse=warehouse, due_only=due_only)
        )


class PickIn(Input):
    warehouse: Code
    sku: Code
    qty: Qty


class DraftOrdersIn(Input):
    picks: list[PickIn] = Field(min_length=1, max_length=2000)


@router.post("/replenishment/draft-orders", status_code=201, operation_id="createDraftOrders")
def create_draft_orders(
    body: DraftOrdersIn, request: Request, actor: Actor = Depends(requires("purchasing.po.create"))
) -> list[PurchaseOrderOut]:
    with unit_of_work(request, actor) as uow:
        made = service.create_draft_orders(uow, [service.Pick(p.warehouse, p.sku, p.qty) for p in body.picks])
    return [PurchaseOrderOut.model_validate(d) for d in made]


class HealthOut(Output):
    warehouse: str
    sku: str
    name: str
    kind: str
    on_hand: int
    sold_30d: int
    daily_demand: float | None
    days_of_cover: float | None


@router.get("/stock-health", operation_id="stockHealth")
def stock_health(
    request: Request,
    warehouse: str | None = None,
    actor: Actor = Depends(requires("purchasing.replenishment.read")),
) -> list[HealthOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [HealthOut.model_validate(x) for x in service.stock_health(uow, warehouse=warehouse)]


# -- purchase requests ------------------------------------------------------------------------
class PurchaseRequestIn(Input):
    warehouse: Code
    sku: Code
    qty: Qty
    needed_by: dt.date | None = None
    reason: str | None = Field(default=None, max_length=200)


class PurchaseRequestOut(Output):
    id: int
    ref: str
    warehouse: str
    sku: str
    qty: int
    needed_by: dt.date | None
    reason: str | None
    status: str
    order: str | None
    created_at: UtcDateTime
    created_by: str
    closed_by: str | None


class RequestIdsIn(Input):
    ids: list[int] = Field(min_length=1, max_length=500)


@router.get("/requests", operation_id="listPurchaseRequests")
def list_requests(
    request: Request,
    status: Literal["open", "ordered", "rejected"] | None = None,
    actor: Actor = Depends(requires("purchasing.po.read")),
) -> list[PurchaseRequestOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [PurchaseRequestOut.model_validate(r) for r in service.list_requests(uow, status=status)]


@router.post("/requests", status_code=201, operation_id="createPurchaseRequest")
def create_request(
    body: PurchaseRequestIn, request: Request, actor: Actor = Depends(requires("purchasing.request.create"))
) -> PurchaseRequestOut:
    with unit_of_work(request, actor) as uow:
        return PurchaseRequestOut.model_validate(service.create_request(uow, **body.model_dump()))


@router.post("/requests/{request_id}/reject", operation_id="rejectPurchaseRequest")
def reject_request(
    request_id: int, request: Request, actor: Actor = Depends(requires("purchasing.po.create"))
) -> PurchaseRequestOut:
    with unit_of_work(request, actor) as uow:
        return PurchaseRequestOut.model_validate(service.reject_request(uow, request_id))


@router.post("/requests/order", status_code=201, operation_id="orderPurchaseRequests")
def order_requests(
    body: RequestIdsIn, request: Request, actor: Actor = Depends(requires("purchasing.po.create"))
) -> list[PurchaseOrderOut]:
    """Open requests become draft purchase orders, one per preferred supplier and warehouse."""
    with unit_of_work(request, actor) as uow:
        made = service.order_requests(uow, body.ids)
    return [PurchaseOrderOut.model_validate(d) for d in made]


# -- supplier bills -----------------------------------------------------------------------------
class BillLineIn(Input):
    order_line_no: int = Field(ge=1)
    qty: Qty
    price_cents: Cents


class BillIn(Input):
    supplier: Code
    bill_no: Code
    order_id: int
    bill_date: dt.date | None = None
    lines: list[BillLineIn] = Field(min_length=1, max_length=500)


class BillLineOut(Output):
    line_no: int
    order_line_no: int
    sku: str
    qty: int
    price_cents: int
    amount_cents: int
    po_price_cents: int
    unbilled_received: int
    price_diff_cents: int
    qty_diff: int
    flags: list[str]


class BillRow(Output):
    id: int
    bill_no: str
    status: str
    total_cents: int
    bill_date: dt.date
    supplier: str
    order: str
    order_id: int
    created_by: str
    approved_by: str | None


class BillOut(BillRow):
    lines: list[BillLineOut]


@router.get("/bills", operation_id="listSupplierBills")
def list_bills(
    request: Request,
    status: str | None = None,
    supplier: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    actor: Actor = Depends(requires("purchasing.bill.read")),
) -> Page[BillRow]:
    """Supplier bills, newest first, a page at a time (pass ``next_cursor`` back as ``cursor``)."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = service.list_bills(uow, status=status, supplier_code=supplier, cursor=cursor, limit=limit)
    return Page[BillRow](items=[BillRow.model_validate(b) for b in rows], next_cursor=nxt)


@router.post("/bills", status_code=201, operation_id="createSupplierBill")
def create_bill(
    body: BillIn, request: Request, actor: Actor = Depends(requires("purchasing.bill.create"))
) -> BillOut:
    with unit_of_work(request, actor) as uow:
        d = service.create_bill(
            uow,
            supplier_code=body.supplier,
            bill_no=body.bill_no,
            order_id=body.order_id,
            bill_date=body.bill_date,
            lines=[service.BillLineIn(x.order_line_no, x.qty, x.price_cents) for x in body.lines],
        )
    return BillOut.model_validate(d)


@router.get("/bills/{bill_id}", operation_id="getSupplierBill")
def get_bill(
    bill_id: int, request: Request, actor: Actor = Depends(requires("purchasing.bill.read"))
) -> BillOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return BillOut.model_validate(service.bill_detail(uow, bill_id))


@router.post("/bills/{bill_id}/approve", operation_id="approveSupplierBill")
def approve_bill(
    bill_id: int, request: Request, actor: Actor = Depends(requires("purchasing.bill.approve"))
) -> BillOut:
    with unit_of_work(request, actor) as uow:
        return BillOut.model_validate(service.approve_bill(uow, bill_id))


class AccrualOut(Output):
    order_id: int
    order: str
    supplier: str
    order_line_no: int
    sku: str
    received: int
    billed: int
    unbilled_qty: int
    unbilled_cents: int
    accrued_cents: int


@router.get("/accruals", operation_id="listAccruals")
def list_accruals(
    request: Request, supplier: str | None = None, actor: Actor = Depends(requires("purchasing.bill.read"))
) -> list[AccrualOut]:
    """Received, not yet billed (暂估应付), per order line at the order price."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return [AccrualOut.model_validate(a) for a in service.accruals(uow, supplier_code=supplier)]
