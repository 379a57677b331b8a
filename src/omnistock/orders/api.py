"""Orders HTTP API: channels, customers, and orders that reserve, ship, cancel and return stock."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from omnistock.orders import service
from omnistock.platform.auth import Actor, requires
from omnistock.platform.http import unit_of_work
from omnistock.platform.schemas import Input, Output

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])

Code = Annotated[str, Field(min_length=1, max_length=64)]


class ChannelIn(Input):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="other", max_length=24)


class CustomerIn(Input):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=32)


class OrderLineIn(Input):
    sku: Code
    qty: int = Field(gt=0, le=10**9)
    unit_price_cents: int = Field(ge=0, le=10**9)


class OrderIn(Input):
    ref: Code
    channel: Code
    customer: Code
    warehouse: Code
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    at: dt.datetime | None = None


class OrderOut(Output):
    id: int
    ref: str
    status: str
    reject_reason: str | None = None


class EventIn(Input):
    at: dt.datetime | None = None


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


@router.post("", status_code=201, operation_id="createOrder")
def create_order(
    body: OrderIn, request: Request, actor: Actor = Depends(requires("orders.order.create"))
) -> OrderOut:
    """Take an order: it reserves every line in its warehouse, or is recorded as rejected (out of stock)."""
    with unit_of_work(request, actor) as uow:
        r = service.place_order(
            uow,
            ref=body.ref,
            channel_code=body.channel,
            customer_code=body.customer,
            warehouse=body.warehouse,
            at=body.at,
            lines=[service.OrderLineIn(x.sku, x.qty, x.unit_price_cents) for x in body.lines],
        )
    return OrderOut(id=r.id, ref=r.ref, status=r.status, reject_reason=r.reject_reason)


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
    ref: str, body: EventIn, request: Request, actor: Actor = Depends(requires("orders.order.cancel"))
) -> None:
    with unit_of_work(request, actor) as uow:
        service.cancel_order(uow, ref=ref, at=body.at)


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
