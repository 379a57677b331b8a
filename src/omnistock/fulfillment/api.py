"""Fulfilment HTTP API: couriers and tracking pools, waves and pick lists, the pack station,
shipments with their printed documents, returns intake and the warehouse dashboard."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response
from pydantic import Field

from omnistock.fulfillment import pdf, service
from omnistock.platform.auth import Actor, requires
from omnistock.platform.http import AreaRouter, unit_of_work
from omnistock.platform.schemas import Input, Output, UtcDateTime

router = AreaRouter(prefix="/api/v1/fulfillment", tags=["fulfillment"])

Code = Annotated[str, Field(min_length=1, max_length=64)]
PDF = {200: {"content": {"application/pdf": {}}, "description": "A PDF document"}}


def _pdf(data: bytes, name: str) -> Response:
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
    )


# -- dashboard --------------------------------------------------------------------------------------


class LateOrderOut(Output):
    order: str
    ordered_at: UtcDateTime
    hours: int
    stage: str
    receiver: str


class DashboardOut(Output):
    to_pick: int
    to_pack: int
    to_ship: int
    shipped_today: int
    late_count: int
    late: list[LateOrderOut]


@router.get("/dashboard", operation_id="fulfillmentDashboard")
def dashboard(request: Request, actor: Actor = Depends(requires("fulfillment.read"))) -> DashboardOut:
    """Today's orders to pick, pack and ship, and the late ones."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return DashboardOut.model_validate(service.dashboard(uow))


# -- carriers, rules, tracking pools ------------------------------------------------------------------


class CarrierIn(Input):
    code: Code
    name: str = Field(min_length=1, max_length=100)


class AccountIn(Input):
    code: Code
    carrier: Code
    name: str = Field(min_length=1, max_length=100)


class AccountOut(Output):
    code: str
    name: str
    free_numbers: int
    used_numbers: int


class CarrierOut(Output):
    code: str
    name: str
    accounts: list[AccountOut]


@router.get("/carriers", operation_id="listCarriers")
def list_carriers(request: Request, actor: Actor = Depends(requires("fulfillment.read"))) -> list[CarrierOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [CarrierOut.model_validate(c) for c in service.list_carriers(uow)]


@router.post("/carriers", status_code=204, operation_id="createCarrier")
def create_carrier(
    body: CarrierIn, request: Request, actor: Actor = Depends(requires("fulfillment.courier.manage"))
) -> None:
    with unit_of_work(request, actor) as uow:
        service.create_carrier(uow, code=body.code, name=body.name)


@router.post("/accounts", status_code=204, operation_id="createCarrierAccount")
def create_account(
    body: AccountIn, request: Request, actor: Actor = Depends(requires("fulfillment.courier.manage"))
) -> None:
    with unit_of_work(request, actor) as uow:
        service.create_account(uow, code=body.code, carrier_code=body.carrier, name=body.name)


class NumbersIn(Input):
    numbers: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=10_000)
    prefix: str = Field(default="", max_length=20)
    first: int | None = Field(default=None, ge=0)
    last: int | None = Field(default=None, ge=0)
    width: int = Field(default=10, ge=1, le=30)


class AddedOut(Output):
    added: int


@router.post("/accounts/{code}/numbers", operation_id="addTrackingNumbers")
def add_numbers(
    code: str,
    body: NumbersIn,
    request: Request,
    actor: Actor = Depends(requires("fulfillment.courier.manage")),
) -> AddedOut:
    """Import tracking numbers into the account's pool: a list, or a prefix and a range."""
    with unit_of_work(request, actor) as uow:
        n = service.add_numbers(
            uow,
            account_code=code,
            numbers=body.numbers,
            prefix=body.prefix,
            first=body.first,
            last=body.last,
            width=body.width,
        )
    return AddedOut(added=n)


class RuleBody(Input):
    name: str = Field(min_length=1, max_length=100)
    account: Code
    priority: int = Field(default=100, ge=0, le=10_000)
    provinces: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=100)
    cities: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=100)
    min_weight_g: int = Field(default=0, ge=0, le=10**7)
    max_weight_g: int | None = Field(default=None, ge=0, le=10**7)
    first_weight_g: int = Field(default=1000, ge=0, le=10**7)
    first_fee_cents: int = Field(default=0, ge=0, le=10**9)
    extra_unit_g: int = Field(default=1000, ge=1, le=10**7)
    extra_fee_cents: int = Field(default=0, ge=0, le=10**9)
    active: bool = True

    def value(self) -> service.RuleIn:
        return service.RuleIn(**self.model_dump())


class RuleOut(RuleBody):
    id: int


class IdOut(Output):
    id: int


@router.get("/rules", operation_id="listCourierRules")
def list_rules(request: Request, actor: Actor = Depends(requires("fulfillment.read"))) -> list[RuleOut]:
    """Courier rules by priority."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return [
            RuleOut(
                id=r.id,
                name=r.name,
                account=r.account,
                priority=r.priority,
                provinces=list(r.provinces),
                cities=list(r.cities),
                min_weight_g=r.min_weight_g,
                max_weight_g=r.max_weight_g,
                first_weight_g=r.first_weight_g,
                first_fee_cents=r.first_fee_cents,
                extra_unit_g=r.extra_unit_g,
                extra_fee_cents=r.extra_fee_cents,
                active=active,
            )
            for r, active in service.list_rules(uow)
        ]


@router.post("/rules", status_code=201, operation_id="createCourierRule")
def create_rule(
    body: RuleBody, request: Request, actor: Actor = Depends(requires("fulfillment.courier.manage"))
) -> IdOut:
    with unit_of_work(request, actor) as uow:
        return IdOut(id=service.save_rule(uow, body.value()))


@router.put("/rules/{rule_id}", operation_id="updateCourierRule")
def update_rule(
    rule_id: int,
    body: RuleBody,
    request: Request,
    actor: Actor = Depends(requires("fulfillment.courier.manage")),
) -> IdOut:
    with unit_of_work(request, actor) as uow:
        return IdOut(id=service.save_rule(uow, body.value(), rule_id=rule_id))


class CourierIn(Input):
    account: Code


@router.post("/orders/{ref}/courier", status_code=204, operation_id="setOrderCourier")
def set_courier(
    ref: str, body: CourierIn, request: Request, actor: Actor = Depends(requires("fulfillment.wave.manage"))
) -> None:
    """Override the courier of an allocated order before it goes into a wave."""
    with unit_of_work(request, actor) as uow:
        service.set_courier(uow, order_ref=ref, account_code=body.account)


# -- waves and picking ------------------------------------------------------------------------------


class WaveIn(Input):
    warehouse: Code
    max_orders: int = Field(default=50, ge=1, le=500)
    strategy: Literal["cheapest", "priority"] = "cheapest"
    orders: list[Code] | None = Field(default=None, max_length=500, description="Only these orders")


class WavesCreatedOut(Output):
    waves: list[str]
    unassigned: list[str] = Field(description="Orders no courier rule takes")


class WaveOut(Output):
    ref: str
    warehouse: str
    kind: str
    status: str
    account: str
    account_name: str
    orders: int
    shipped: int
    created_at: UtcDateTime
    released_at: UtcDateTime | None


@router.get("/waves", operation_id="listWaves")
def list_waves(
    request: Request,
    status: str | None = Query(default=None, max_length=16),
    actor: Actor = Depends(requires("fulfillment.read")),
) -> list[WaveOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [WaveOut.model_validate(w) for w in service.list_waves(uow, status=status)]


@router.post("/waves", status_code=201, operation_id="createWaves")
def create_waves(
    body: WaveIn, request: Request, actor: Actor = Depends(requires("fulfillment.wave.manage"))
) -> WavesCreatedOut:
    """Group the warehouse's allocated orders that are in no wave into waves."""
    with unit_of_work(request, actor) as uow:
        made = service.create_waves(
            uow,
            warehouse=body.warehouse,
            max_orders=body.max_orders,
            strategy=body.strategy,
            refs=body.orders,
        )
    return WavesCreatedOut(waves=made.waves, unassigned=made.unassigned)


class ReleasedOut(Output):
    ref: str
    dropped: list[str]


@router.post("/waves/{ref}/release", operation_id="releaseWave")
def release_wave(
    ref: str, request: Request, actor: Actor = Depends(requires("fulfillment.wave.manage"))
) -> ReleasedOut:
    with unit_of_work(request, actor) as uow:
        return ReleasedOut.model_validate(service.release_wave(uow, ref))


class PickLineOut(Output):
    bin: str | None
    sku: str
    name: str
    barcode: str | None
    lot_no: str | None
    tracking: str
    needed: int
    picked: int | None


class SlotItemOut(Output):
    sku: str
    name: str
    qty: int


class SlotOut(Output):
    slot: int
    ref: str
    status: str
    receiver: str
    items: list[SlotItemOut]


class ShortOut(Output):
    order: str
    sku: str
    needed: int


class PickListOut(WaveOut):
    lines: list[PickLineOut]
    orders_in_slots: list[SlotOut]
    short_picks: list[ShortOut]


def _pick_list_out(sheet: dict) -> PickListOut:
    return PickListOut.model_validate(
        {**sheet, "orders_in_slots": sheet["orders"], "orders": len(sheet["orders"])}
    )


@router.get("/waves/{ref}", operation_id="getPickList")
def pick_list(
    ref: str, request: Request, actor: Actor = Depends(requires("fulfillment.read"))
) -> PickListOut:
    """A wave with its pick list (sorted by bin) and its slots."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return _pick_list_out(service.pick_list(uow, ref))


@router.get("/waves/{ref}/pick-list.pdf", operation_id="pickListPdf", response_class=Response, responses=PDF)
def pick_list_pdf(
    ref: str, request: Request, actor: Actor = Depends(requires("fulfillment.read"))
) -> Response:
    with unit_of_work(request, actor, readonly=True) as uow:
        sheet = service.pick_list(uow, ref)
    return _pdf(pdf.pick_list(sheet), f"pick-list-{ref}")


class PickBody(Input):
    sku: Code
    picked: int = Field(ge=0, le=10**9)
    lot_no: str | None = Field(default=None, max_length=64)


class PicksIn(Input):
    picks: list[PickBody] = Field(
        default_factory=list, max_length=2000, description="Lines not listed were picked in full"
    )


class PickedOut(Output):
    ref: str
    short_orders: list[str]
    to_pack: int


@router.post("/waves/{ref}/picks", operation_id="confirmPicks")
def confirm_picks(
    ref: str, body: PicksIn, request: Request, actor: Actor = Depends(requires("fulfillment.pick"))
) -> PickedOut:
    """Confirm a wave's picks; a line picked short sends the orders it cannot fill to the
    exception queue."""
    with unit_of_work(request, actor) as uow:
        return PickedOut.model_validate(
            service.confirm_picks(uow, ref, [service.PickIn(p.sku, p.picked, p.lot_no) for p in body.picks])
        )


# -- pack station and shipping ----------------------------------------------------------------------


class StationLineOut(Output):
    sku: str
    name: str
    qty: int
    tracking: str


class StationOut(Output):
    order: str
    order_status: str
    wave: str | None
    slot: int | None
    status: str | None
    receiver: str
    address: str
    remark: str
    account: str | None
    tracking_no: str | None
    weight_g: int | None
    lines: list[StationLineOut]


@router.get("/pack/{code}", operation_id="packStation")
def station(code: str, request: Request, actor: Actor = Depends(requires("fulfillment.read"))) -> StationOut:
    """The order a scanned order ref or wave slot (``W261122-0001-3``) names, for the pack station."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return StationOut.model_validate(service.station(uow, code))


class ScanIn(Input):
    code: Code
    scanned: dict[str, Annotated[int, Field(ge=0, le=10**9)]] = Field(
        default_factory=dict, description="SKU code -> pieces already in the parcel"
    )


class ScanOut(Output):
    sku: str
    name: str
    tracking: str
    left: int


@router.post("/pack/{ref}/scan", operation_id="packScan")
def scan(
    ref: str, body: ScanIn, request: Request, actor: Actor = Depends(requires("fulfillment.pack"))
) -> ScanOut:
    """Check one scanned item against the order (nothing is written)."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return ScanOut.model_validate(service.scan(uow, ref, body.code, body.scanned))


class PackItemIn(Input):
    sku: Code
    qty: int = Field(ge=1, le=10**9)
    serials: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=10_000)


class PackIn(Input):
    items: list[PackItemIn] = Field(min_length=1, max_length=500)
    weight_g: int = Field(ge=1, le=1_000_000)


class PackedOut(Output):
    order: str
    account: str
    rule: str
    weight_g: int
    fee_cents: int


@router.post("/pack/{ref}", operation_id="packOrder")
def pack(
    ref: str, body: PackIn, request: Request, actor: Actor = Depends(requires("fulfillment.pack"))
) -> PackedOut:
    with unit_of_work(request, actor) as uow:
        return PackedOut.model_validate(
            service.pack(
                uow,
                ref,
                items=[service.PackItem(i.sku, i.qty, tuple(i.serials)) for i in body.items],
                weight_g=body.weight_g,
            )
        )


class ParcelShipIn(Input):
    tracking_no: str | None = Field(
        default=None, max_length=40, description="Left out: the next from the pool"
    )


class ShippedOut(Output):
    order: str
    tracking_no: str
    carrier: str
    cogs_cents: int


@router.post("/shipments/{ref}/ship", operation_id="shipParcel")
def ship(
    ref: str, body: ParcelShipIn, request: Request, actor: Actor = Depends(requires("fulfillment.ship"))
) -> ShippedOut:
    """Ship a packed parcel: the reservation is consumed and cost of goods taken."""
    with unit_of_work(request, actor) as uow:
        return ShippedOut.model_validate(service.ship(uow, ref, tracking_no=body.tracking_no))


class ParcelItemOut(Output):
    sku: str
    qty: int
    serials: list[str]


class ShipmentOut(Output):
    order: str
    warehouse: str
    carrier: str
    account: str
    rule: str
    weight_g: int
    fee_cents: int
    status: str
    tracking_no: str | None
    packed_at: UtcDateTime
    shipped_at: UtcDateTime | None
    items: list[ParcelItemOut]


@router.get("/shipments", operation_id="listShipments")
def list_shipments(
    request: Request,
    status: Literal["packed", "shipped"] | None = None,
    q: str | None = Query(default=None, max_length=64, description="An order ref or tracking number"),
    actor: Actor = Depends(requires("fulfillment.read")),
) -> list[ShipmentOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [ShipmentOut.model_validate(s) for s in service.list_shipments(uow, status=status, q=q)]


@router.get(
    "/shipments/{ref}/packing-slip.pdf", operation_id="packingSlipPdf", response_class=Response, responses=PDF
)
def packing_slip(
    ref: str, request: Request, actor: Actor = Depends(requires("fulfillment.read"))
) -> Response:
    with unit_of_work(request, actor, readonly=True) as uow:
        doc = service.parcel_document(uow, ref)
    return _pdf(pdf.packing_slip(doc), f"packing-slip-{ref}")


@router.get(
    "/shipments/{ref}/label.pdf", operation_id="shippingLabelPdf", response_class=Response, responses=PDF
)
def shipping_label(
    ref: str,
    request: Request,
    size: Literal["100x150", "a4"] = "100x150",
    actor: Actor = Depends(requires("fulfillment.read")),
) -> Response:
    """The shipping label, 100×150 mm for thermal printers or on an A4 page."""
    with unit_of_work(request, actor, readonly=True) as uow:
        doc = service.parcel_document(uow, ref)
    return _pdf(pdf.label(doc, size), f"label-{ref}")


# -- returns intake -------------------------------------------------------------------------------


class ReturnItemIn(Input):
    sku: Code
    qty: int = Field(ge=1, le=10**9)
    disposition: Literal["restock", "defective"] = "restock"
    serials: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=10_000)


class ReturnIntakeIn(Input):
    order: Code
    items: list[ReturnItemIn] = Field(min_length=1, max_length=500)
    refund_cents: int | None = Field(default=None, ge=0, le=10**12, description="Default: the lines' revenue")
    note: str | None = Field(default=None, max_length=200)


class ReturnIntakeLineOut(Output):
    sku: str
    qty: int
    restocked: int
    defective: int
    serials: list[str]
    cost_cents: int


class ReturnIntakeOut(Output):
    ref: str
    order: str
    refund_cents: int
    writeoff_ref: str | None
    lines: list[ReturnIntakeLineOut]


class ReturnIntakeRowOut(ReturnIntakeOut):
    warehouse: str
    note: str | None
    at: UtcDateTime
    by: str | None


@router.post("/returns", status_code=201, operation_id="receiveReturn")
def receive_return(
    body: ReturnIntakeIn, request: Request, actor: Actor = Depends(requires("fulfillment.return"))
) -> ReturnIntakeOut:
    """Receive returned goods of a shipped order: each unit restocked or written off as defective."""
    with unit_of_work(request, actor) as uow:
        return ReturnIntakeOut.model_validate(
            service.receive_return(
                uow,
                body.order,
                items=[service.ReturnItem(i.sku, i.qty, i.disposition, tuple(i.serials)) for i in body.items],
                refund_cents=body.refund_cents,
                note=body.note,
            )
        )


@router.get("/returns", operation_id="listReturns")
def list_returns(
    request: Request, actor: Actor = Depends(requires("fulfillment.read"))
) -> list[ReturnIntakeRowOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [ReturnIntakeRowOut.model_validate(r) for r in service.list_returns(uow)]
