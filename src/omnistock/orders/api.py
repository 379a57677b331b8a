"""Orders HTTP API: channels, customers, and orders that reserve, ship, cancel and return stock."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response
from pydantic import Field

from omnistock.orders import queries, rules, service
from omnistock.orders.intake import Address, Buyer, IntakeLine, IntakeOrder, Payment
from omnistock.platform import excel
from omnistock.platform.auth import Actor, requires
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import AppError
from omnistock.platform.http import AreaRouter, language, unit_of_work
from omnistock.platform.schemas import Input, Output, Page, UtcDateTime

router = AreaRouter(prefix="/api/v1/orders", tags=["orders"])

Code = Annotated[str, Field(min_length=1, max_length=64)]


class ChannelIn(Input):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="other", max_length=24)


class CustomerIn(Input):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=32)


class LineIn(Input):
    sku: Code = Field(description="SKU code or barcode; a bundle's code sells its components")
    qty: int = Field(gt=0, le=10**9)
    unit_price_cents: int = Field(ge=0, le=10**9)
    discount_cents: int = Field(default=0, ge=0, le=10**12, description="Off this line")


class BuyerIn(Input):
    name: str = Field(default="", max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    id: str | None = Field(default=None, max_length=64, description="The buyer's id on the channel")


class AddressIn(Input):
    receiver: str = Field(default="", max_length=64)
    phone: str = Field(default="", max_length=32)
    province: str = Field(default="", max_length=32)
    city: str = Field(default="", max_length=64)
    district: str = Field(default="", max_length=64)
    detail: str = Field(default="", max_length=200)

    def value(self) -> Address:
        return Address(self.receiver, self.phone, self.province, self.city, self.district, self.detail)


class PaymentIn(Input):
    method: str = Field(description="wechat_pay | alipay | bank_card | balance | points | coupon")
    amount_cents: int = Field(gt=0, le=10**12)
    paid_at: dt.datetime | None = None
    txn_ref: str | None = Field(default=None, max_length=64)


class OrderIn(Input):
    channel: Code
    ref: Code | None = Field(default=None, description="Our order number; made up when left out")
    external_ref: Code | None = Field(default=None, description="The channel's order number (taken once)")
    customer: Code | None = Field(default=None, description="An existing customer's code, instead of buyer")
    buyer: BuyerIn | None = None
    address: AddressIn | None = None
    warehouse: Code | None = Field(default=None, description="Ship from this warehouse (skips routing)")
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    discount_cents: int = Field(default=0, ge=0, le=10**12, description="Order-level discount")
    shipping_fee_cents: int = Field(default=0, ge=0, le=10**12)
    payments: list[PaymentIn] | None = Field(default=None, max_length=20)
    buyer_remark: str | None = Field(default=None, max_length=500)
    seller_memo: str | None = Field(default=None, max_length=500)
    ship_after: dt.date | None = Field(default=None, description="Presale: not to ship before this day")
    tags: list[Annotated[str, Field(max_length=32)]] | None = Field(default=None, max_length=10)
    at: dt.datetime | None = Field(default=None, description="When the buyer ordered")
    on_short: Literal["hold", "reject", "refuse"] = Field(
        default="hold",
        description="No warehouse can fill it: hold it in the exception queue, record it as rejected, or refuse it",
    )

    def value(self) -> IntakeOrder:
        b = self.buyer or BuyerIn()
        return IntakeOrder(
            channel=self.channel,
            external_ref=self.external_ref,
            buyer=Buyer(b.name, b.phone, b.id),
            lines=tuple(IntakeLine(x.sku, x.qty, x.unit_price_cents, x.discount_cents) for x in self.lines),
            address=self.address.value() if self.address else None,
            discount_cents=self.discount_cents,
            shipping_fee_cents=self.shipping_fee_cents,
            payments=tuple(
                Payment(p.method, p.amount_cents, p.paid_at, p.txn_ref) for p in self.payments or ()
            ),
            buyer_remark=self.buyer_remark or "",
            seller_memo=self.seller_memo or "",
            ship_after=self.ship_after,
            tags=tuple(self.tags or ()),
            ordered_at=self.at,
            warehouse=self.warehouse,
            ref=self.ref,
            customer=self.customer,
        )


class ReasonOut(Output):
    code: str
    en: str
    zh: str


class OrderOut(Output):
    id: int
    ref: str
    status: str
    created: bool = True
    warehouse: str | None = None
    reject_reason: str | None = None
    hold_reasons: list[ReasonOut] = []
    split_into: list[str] = []


def _out(t: service.Taken) -> OrderOut:
    reason = "out_of_stock" if t.status == "rejected" else None
    return OrderOut(
        id=t.id,
        ref=t.ref,
        status=t.status,
        created=t.created,
        warehouse=t.warehouse,
        reject_reason=reason,
        hold_reasons=[ReasonOut(**r) for r in t.hold_reasons],
        split_into=t.split_into,
    )


class EventIn(Input):
    at: dt.datetime | None = None


class CancelIn(EventIn):
    reason: str | None = Field(default=None, max_length=200)


class ShipIn(EventIn):
    serials: dict[Code, list[Code]] | None = Field(
        default=None, description="Serial-tracked SKUs: SKU code -> the scanned serial numbers of the units"
    )


class ReturnLineIn(Input):
    sku: Code
    qty: int = Field(gt=0, le=10**9)
    serials: list[Code] | None = Field(
        default=None, max_length=5000, description="Serial-tracked SKUs: the units back"
    )


class ReturnIn(Input):
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=500)
    at: dt.datetime | None = None


class LineCostOut(Output):
    line_no: int
    sku_id: int
    qty: int
    cost_cents: int


@router.post("/channels", status_code=201, operation_id="createChannel")
def create_channel(
    body: ChannelIn, request: Request, actor: Actor = Depends(requires("orders.channel.manage"))
) -> dict:
    with unit_of_work(request, actor) as uow:
        return {
            "id": service.create_channel(uow, code=body.code, name=body.name, kind=body.kind),
            "code": body.code,
        }


@router.post("/customers", status_code=201, operation_id="createCustomer")
def create_customer(
    body: CustomerIn, request: Request, actor: Actor = Depends(requires("orders.customer.manage"))
) -> dict:
    with unit_of_work(request, actor) as uow:
        return {
            "id": service.create_customer(uow, code=body.code, name=body.name, phone=body.phone),
            "code": body.code,
        }


@router.post("", status_code=201, operation_id="createOrder", responses={200: {"model": OrderOut}})
def create_order(
    body: OrderIn,
    request: Request,
    response: Response,
    actor: Actor = Depends(requires("orders.order.create")),
) -> OrderOut:
    """Take an order into the pool: reviewed, routed and allocated, or held in the exception queue
    with its reasons. A second post of the same channel order number returns the first (200)."""
    with unit_of_work(request, actor) as uow:
        taken = service.receive_order(uow, body.value(), on_short=body.on_short)
    if not taken.created:
        response.status_code = 200
    return _out(taken)


@router.post("/{ref}/ship", operation_id="shipOrder")
def ship_order(
    ref: str, body: ShipIn, request: Request, actor: Actor = Depends(requires("orders.order.ship"))
) -> list[LineCostOut]:
    with unit_of_work(request, actor) as uow:
        return [
            LineCostOut.model_validate(c)
            for c in service.ship_order(uow, ref=ref, at=body.at, serials=body.serials)
        ]


@router.post("/{ref}/cancel", status_code=204, operation_id="cancelOrder")
def cancel_order(
    ref: str, body: CancelIn, request: Request, actor: Actor = Depends(requires("orders.order.cancel"))
) -> None:
    """Cancel an unshipped order; its reservation, if any, is released."""
    with unit_of_work(request, actor) as uow:
        service.cancel_order(uow, ref=ref, at=body.at, reason=body.reason)


@router.post("/{ref}/returns", status_code=201, operation_id="returnOrder")
def return_order(
    ref: str, body: ReturnIn, request: Request, actor: Actor = Depends(requires("orders.order.return"))
) -> dict:
    with unit_of_work(request, actor) as uow:
        return service.return_order(
            uow,
            ref=ref,
            at=body.at,
            lines=[service.ReturnLineIn(x.sku, x.qty, x.serials or ()) for x in body.lines],
        )


# -- the order pool: list, counts, export, one order, and what operators do --------------------------


class OrderRow(Output):
    ref: str
    external_ref: str | None
    status: str
    channel: str
    channel_name: str
    buyer: str
    buyer_phone: str | None
    receiver_name: str | None
    receiver_phone: str | None
    province: str | None
    city: str | None
    warehouse: str | None
    ordered_at: UtcDateTime
    ship_after: dt.date | None
    total_cents: int
    paid_cents: int
    hold_reasons: list[ReasonOut]
    route_rule: str | None
    buyer_remark: str | None
    seller_memo: str | None
    tags: list[str]
    items: str
    qty: int


def _filter(
    status: Annotated[list[str] | None, Query(description="One or more states")] = None,
    channel: str | None = None,
    warehouse: str | None = None,
    tag: str | None = None,
    q: Annotated[
        str | None, Query(max_length=64, description="Order no, channel order no, buyer or phone")
    ] = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    presale: bool | None = None,
) -> queries.OrderFilter:
    return queries.OrderFilter(
        status=tuple(status or ()),
        channel=channel or None,
        warehouse=warehouse or None,
        tag=tag or None,
        q=q or None,
        since=since,
        until=until,
        presale=presale,
    )


@router.get("", operation_id="listOrders")
def list_orders(
    request: Request,
    f: queries.OrderFilter = Depends(_filter),
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    actor: Actor = Depends(requires("orders.order.read")),
) -> Page[OrderRow]:
    """The order pool, newest first, filtered; pass ``next_cursor`` back as ``cursor``."""
    with unit_of_work(request, actor, readonly=True) as uow:
        page = queries.list_orders(uow, f, cursor=cursor, limit=limit)
    return Page[OrderRow](
        items=[OrderRow.model_validate(x) for x in page["items"]], next_cursor=page["next_cursor"]
    )


@router.get("/counts", operation_id="orderCounts")
def order_counts(
    request: Request,
    f: queries.OrderFilter = Depends(_filter),
    actor: Actor = Depends(requires("orders.order.read")),
) -> dict[str, int]:
    """How many orders in each state under the other filters (the pool's tabs)."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return queries.status_counts(uow, f)


EXPORT_COLUMNS = [
    excel.Column("订单号", "Order no", width=22),
    excel.Column("渠道单号", "Channel order no", width=20),
    excel.Column("状态", "Status", width=10),
    excel.Column("渠道", "Channel"),
    excel.Column("买家", "Buyer"),
    excel.Column("收货人", "Receiver"),
    excel.Column("收货电话", "Phone"),
    excel.Column("省份", "Province"),
    excel.Column("城市", "City"),
    excel.Column("仓库", "Warehouse"),
    excel.Column("商品", "Items", width=30),
    excel.Column("件数", "Pieces", excel.INT, width=8),
    excel.Column("应付", "Payable", excel.MONEY),
    excel.Column("已付", "Paid", excel.MONEY),
    excel.Column("下单时间", "Ordered at", excel.TIME, width=20),
    excel.Column("预售发货日", "Ship after"),
    excel.Column("标签", "Tags"),
    excel.Column("异常原因", "Hold reasons", width=30),
    excel.Column("买家留言", "Buyer remark", width=24),
    excel.Column("卖家备注", "Seller memo", width=24),
]


@router.get("/export", operation_id="exportOrders", response_class=Response)
def export_orders(
    request: Request,
    f: queries.OrderFilter = Depends(_filter),
    actor: Actor = Depends(requires("orders.order.read")),
) -> Response:
    """The filtered pool as an Excel workbook (at most 50,000 orders)."""
    lang = language(request)
    en = lang.startswith("en")
    with unit_of_work(request, actor, readonly=True) as uow:
        rows = queries.export_rows(uow, f)
    names = {k: (v[1] if en else v[0]) for k, v in rules.STATUS_NAMES.items()}
    data = excel.workbook(
        "orders" if en else "订单",
        EXPORT_COLUMNS,
        (
            [
                x["ref"],
                x["external_ref"],
                names[x["status"]],
                x["channel_name"],
                x["buyer"],
                x["receiver_name"],
                x["receiver_phone"],
                x["province"],
                x["city"],
                x["warehouse"],
                x["items"],
                x["qty"],
                x["total_cents"],
                x["paid_cents"],
                x["ordered_at"],
                x["ship_after"].isoformat() if x["ship_after"] else None,
                ", ".join(x["tags"]),
                "; ".join(r["en" if en else "zh"] for r in x["hold_reasons"]),
                x["buyer_remark"],
                x["seller_memo"],
            ]
            for x in rows
        ),
        lang=lang,
    )
    return excel.download(data, f"{'orders' if en else '订单'}-{utcnow():%Y%m%d-%H%M}.xlsx")


class RefsIn(Input):
    refs: list[Code] = Field(min_length=1, max_length=500)


class BulkIn(RefsIn):
    action: Literal["release", "route", "cancel", "hold"]
    warehouse: Code | None = None
    reason: str | None = Field(default=None, max_length=200)


class BulkResult(Output):
    ref: str
    ok: bool
    status: str | None = None
    code: str | None = None
    message: str | None = None


@router.post("/bulk", operation_id="bulkOrders")
def bulk_orders(
    body: BulkIn, request: Request, actor: Actor = Depends(requires("orders.order.read"))
) -> list[BulkResult]:
    """One action on many orders, each in its own transaction: one that cannot be done is reported
    and the others go on."""
    lang = language(request)
    out = []
    for ref in dict.fromkeys(body.refs):
        try:
            with unit_of_work(request, actor) as uow:
                if body.action == "release":
                    t = service.release_order(uow, ref, warehouse=body.warehouse)
                elif body.action == "route":
                    t = service.route_order(uow, ref, warehouse=body.warehouse)
                elif body.action == "hold":
                    t = service.hold_order(uow, ref, reason=body.reason or "")
                else:
                    service.cancel_order(uow, ref=ref, reason=body.reason)
                    t = None
            out.append(BulkResult(ref=ref, ok=True, status=t.status if t else "cancelled"))
        except AppError as err:
            out.append(BulkResult(ref=ref, ok=False, code=err.code, message=err.message(lang)))
    return out


@router.post("/merge", status_code=201, operation_id="mergeOrders")
def merge_orders(
    body: RefsIn, request: Request, actor: Actor = Depends(requires("orders.order.review"))
) -> OrderOut:
    """Merge unshipped orders of one buyer to one address into one order (one package)."""
    with unit_of_work(request, actor) as uow:
        return _out(service.merge_orders(uow, body.refs))


@router.post("/allocate-due", operation_id="allocateDueOrders")
def allocate_due(request: Request, actor: Actor = Depends(requires("orders.order.review"))) -> dict[str, int]:
    """Route and allocate ready orders now (presale orders whose day has come, orders that were
    waiting for stock). The outbox worker also does this every few minutes."""
    with unit_of_work(request, actor) as uow:
        return {"allocated": service.allocate_due(uow)}


class LineOut(Output):
    line_no: int
    sku: str
    name: str
    qty: int
    unit_price_cents: int
    discount_cents: int
    revenue_cents: int
    returned_qty: int
    bundle: str | None


class PaymentOut(Output):
    method: str
    amount_cents: int
    paid_at: UtcDateTime
    txn_ref: str | None


class TimelineOut(Output):
    at: UtcDateTime
    actor: str
    action: str
    before: dict | None
    after: dict | None


class ReturnOut(Output):
    ref: str
    at: UtcDateTime
    refund_cents: int


class IdentityOut(Output):
    channel: str
    external_id: str


class RelatedOut(Output):
    split_from: str | None
    merged_into: str | None
    split_into: list[str]
    merged_from: list[str]


class AddressOut(Output):
    receiver: str
    phone: str
    province: str
    city: str
    district: str
    detail: str


class OrderDetail(Output):
    ref: str
    external_ref: str | None
    status: str
    channel: str
    channel_name: str
    customer: str
    buyer: str
    buyer_phone: str | None
    identities: list[IdentityOut]
    warehouse: str | None
    route_rule: str | None
    ordered_at: UtcDateTime
    paid_at: UtcDateTime | None
    shipped_at: UtcDateTime | None
    closed_at: UtcDateTime | None
    ship_after: dt.date | None
    goods_cents: int
    discount_cents: int
    shipping_fee_cents: int
    total_cents: int
    paid_cents: int
    address: AddressOut
    buyer_remark: str | None
    seller_memo: str | None
    hold_reasons: list[ReasonOut]
    reject_reason: str | None
    tags: list[str]
    lines: list[LineOut]
    payments: list[PaymentOut]
    returns: list[ReturnOut]
    related: RelatedOut
    allowed: list[str]
    timeline: list[TimelineOut]


@router.get("/{ref}", operation_id="getOrder")
def get_order(
    ref: str, request: Request, actor: Actor = Depends(requires("orders.order.read"))
) -> OrderDetail:
    """One order in full, with its timeline (every change: who, when, why)."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return OrderDetail.model_validate(queries.get_order(uow, ref))


class EditIn(Input):
    address: AddressIn | None = None
    seller_memo: str | None = Field(default=None, max_length=500)
    tags: list[Annotated[str, Field(max_length=32)]] | None = Field(default=None, max_length=10)
    ship_after: dt.date | None = None
    clear_ship_after: bool = Field(default=False, description="Make a presale order an ordinary one")


@router.patch("/{ref}", operation_id="editOrder")
def edit_order(
    ref: str, body: EditIn, request: Request, actor: Actor = Depends(requires("orders.order.review"))
) -> OrderOut:
    """Correct an unshipped order: address, seller memo, tags, ship-after day."""
    ship_after = None if body.clear_ship_after else (body.ship_after if body.ship_after is not None else ...)
    with unit_of_work(request, actor) as uow:
        return _out(
            service.edit_order(
                uow,
                ref,
                address=body.address.value() if body.address else None,
                seller_memo=body.seller_memo,
                tags=body.tags,
                ship_after=ship_after,
            )
        )


class LinesIn(Input):
    lines: list[LineIn] = Field(min_length=1, max_length=500)


@router.put("/{ref}/lines", operation_id="editOrderLines")
def edit_order_lines(
    ref: str, body: LinesIn, request: Request, actor: Actor = Depends(requires("orders.order.review"))
) -> OrderOut:
    """Replace what an unshipped order sells (each line with its own price and discount); the
    amounts follow, an allocated order is routed again. A paid order may not come to cost more
    than was paid (409 ``orders.edit_underpaid``)."""
    with unit_of_work(request, actor) as uow:
        lines = [IntakeLine(x.sku, x.qty, x.unit_price_cents, x.discount_cents) for x in body.lines]
        return _out(service.edit_lines(uow, ref, lines))


class PayIn(Input):
    method: str
    amount_cents: int = Field(gt=0, le=10**12)
    txn_ref: str | None = Field(default=None, max_length=64)


@router.post("/{ref}/pay", operation_id="payOrder")
def pay_order(
    ref: str, body: PayIn, request: Request, actor: Actor = Depends(requires("orders.order.review"))
) -> OrderOut:
    """Record a payment; paid in full, the order is reviewed and routed."""
    with unit_of_work(request, actor) as uow:
        return _out(
            service.pay_order(
                uow, ref, method=body.method, amount_cents=body.amount_cents, txn_ref=body.txn_ref
            )
        )


class HoldIn(Input):
    reason: str = Field(min_length=1, max_length=200)


@router.post("/{ref}/hold", operation_id="holdOrder")
def hold_order(
    ref: str, body: HoldIn, request: Request, actor: Actor = Depends(requires("orders.order.review"))
) -> OrderOut:
    """Stop an order (into the exception queue); its reservation is released."""
    with unit_of_work(request, actor) as uow:
        return _out(service.hold_order(uow, ref, reason=body.reason))


class WarehouseIn(Input):
    warehouse: Code | None = Field(default=None, description="Ship from this warehouse instead of routing")


@router.post("/{ref}/release", operation_id="releaseOrder")
def release_order(
    ref: str, body: WarehouseIn, request: Request, actor: Actor = Depends(requires("orders.order.review"))
) -> OrderOut:
    """Release an order from the exception queue: it is routed and allocated now."""
    with unit_of_work(request, actor) as uow:
        return _out(service.release_order(uow, ref, warehouse=body.warehouse))


@router.post("/{ref}/route", operation_id="routeOrder")
def route_order(
    ref: str, body: WarehouseIn, request: Request, actor: Actor = Depends(requires("orders.order.review"))
) -> OrderOut:
    """Allocate a ready order now, or move an allocated one to another warehouse."""
    with unit_of_work(request, actor) as uow:
        return _out(service.route_order(uow, ref, warehouse=body.warehouse))


@router.post("/{ref}/complete", operation_id="completeOrder")
def complete_order(
    ref: str, request: Request, actor: Actor = Depends(requires("orders.order.ship"))
) -> OrderOut:
    """The buyer has the goods (签收)."""
    with unit_of_work(request, actor) as uow:
        return _out(service.complete_order(uow, ref))


class SplitIn(Input):
    parts: list[dict[Code, int]] = Field(
        min_length=1, max_length=50, description="Each part: SKU code -> quantity moved into a new order"
    )


@router.post("/{ref}/split", operation_id="splitOrder")
def split_order(
    ref: str, body: SplitIn, request: Request, actor: Actor = Depends(requires("orders.order.review"))
) -> list[OrderOut]:
    """Split quantities off an unshipped order into new orders (REF-S1, …)."""
    with unit_of_work(request, actor) as uow:
        return [_out(t) for t in service.split_order(uow, ref, body.parts)]


@router.post("/{ref}/unmerge", operation_id="unmergeOrder")
def unmerge_order(
    ref: str, request: Request, actor: Actor = Depends(requires("orders.order.review"))
) -> list[OrderOut]:
    """Undo a merge: the merged order is closed and the originals come back."""
    with unit_of_work(request, actor) as uow:
        return [_out(t) for t in service.unmerge_order(uow, ref)]
