"""Batches and serial numbers over HTTP: batch lists with expiry, quality holds, serial traces."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from pydantic import Field

from omnistock.inventory import service
from omnistock.platform.auth import Actor, requires
from omnistock.platform.clock import iso
from omnistock.platform.http import AreaRouter, unit_of_work
from omnistock.platform.schemas import Input, Output

router = AreaRouter(prefix="/api/v1/inventory", tags=["inventory"])


class LotOut(Output):
    id: int
    lot_no: str
    supplier_lot_no: str | None
    sku: str
    sku_name: str
    production_date: dt.date | None
    expiry_date: dt.date | None
    days_left: int | None
    expired: bool
    blocked: bool
    block_reason: str | None
    warehouse: str | None
    on_hand: int
    reserved: int


class BlockIn(Input):
    reason: str = Field(min_length=1, max_length=200)


class SerialOut(Output):
    serial_no: str
    sku: str
    status: str
    warehouse: str | None
    hold_ref: str | None = Field(
        default=None,
        description="What holds the unit in stock (a quality hold): it cannot leave until released",
    )


class SerialMoveOut(Output):
    id: int
    at: str
    warehouse: str
    kind: str
    direction: int
    doc_type: str
    doc_id: int
    line_no: int
    ref: str


class SerialTraceOut(SerialOut):
    sku_name: str
    moves: list[SerialMoveOut]


@router.get("/lots", operation_id="listLots")
def list_lots(
    request: Request,
    actor: Actor = Depends(requires("inventory.stock.read")),
    sku: Annotated[str | None, Query(max_length=64)] = None,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    expiring_within_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    expired: bool | None = None,
    blocked: bool | None = None,
    in_stock: bool = False,
) -> list[LotOut]:
    """Batches (per warehouse holding them), soonest expiry first: ``expiring_within_days`` for
    the near-expiry list, ``expired=true`` for stock past its date, ``blocked`` for quality holds."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows = service.list_lots(
            uow,
            sku=sku,
            warehouse=warehouse,
            expiring_within_days=expiring_within_days,
            expired=expired,
            blocked=blocked,
            in_stock=in_stock,
        )
    return [LotOut.model_validate(r) for r in rows]


@router.post("/lots/{lot_id}/block", operation_id="blockLot")
def block_lot(
    lot_id: int, body: BlockIn, request: Request, actor: Actor = Depends(requires("inventory.lot.manage"))
) -> list[LotOut]:
    """Put a batch on quality hold: its stock stays on hand but is no longer available."""
    with unit_of_work(request, actor) as uow:
        service.set_blocked(uow, lot_id, True, body.reason)
    return _lot(request, actor, lot_id)


@router.post("/lots/{lot_id}/unblock", operation_id="unblockLot")
def unblock_lot(
    lot_id: int, request: Request, actor: Actor = Depends(requires("inventory.lot.manage"))
) -> list[LotOut]:
    with unit_of_work(request, actor) as uow:
        service.set_blocked(uow, lot_id, False)
    return _lot(request, actor, lot_id)


def _lot(request: Request, actor: Actor, lot_id: int) -> list[LotOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [LotOut.model_validate(r) for r in service.list_lots(uow, lot_id=lot_id)]


@router.get("/serials", operation_id="listSerials")
def list_serials(
    request: Request,
    actor: Actor = Depends(requires("inventory.stock.read")),
    sku: Annotated[str | None, Query(max_length=64)] = None,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["in_stock", "shipped", "removed"] | None = None,
) -> list[SerialOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [
            SerialOut.model_validate(r)
            for r in service.list_serials(uow, sku=sku, warehouse=warehouse, status=status)
        ]


@router.get("/serials/{serial_no}/trace", operation_id="traceSerial")
def trace_serial(
    serial_no: str, request: Request, actor: Actor = Depends(requires("inventory.stock.read"))
) -> list[SerialTraceOut]:
    """Every move of the unit(s) with this serial number, with the documents, oldest first."""
    with unit_of_work(request, actor, readonly=True) as uow:
        units = service.serial_trace(uow, serial_no)
    return [
        SerialTraceOut(**{**u, "moves": [SerialMoveOut(**{**m, "at": iso(m["at"])}) for m in u["moves"]]})
        for u in units
    ]
