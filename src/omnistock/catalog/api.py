"""Catalog HTTP API."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from omnistock.catalog import service
from omnistock.platform.auth import Actor, requires
from omnistock.platform.http import unit_of_work
from omnistock.platform.schemas import Input, Output, Page

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


class SkuIn(Input):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(default="pcs", min_length=1, max_length=16)
    price_cents: int = Field(ge=0, le=10**11)
    cost_method: Literal["average", "fifo"] = "average"
    safety_stock: int = Field(default=0, ge=0, le=10**9)


class SkuOut(Output):
    id: int
    code: str
    name: str
    unit: str
    price_cents: int
    cost_method: str
    safety_stock: int
    active: bool


@router.get("/skus", operation_id="listSkus")
def list_skus(
    request: Request,
    actor: Actor = Depends(requires("catalog.sku.read")),
    q: Annotated[str | None, Query(max_length=100)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[SkuOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        items, nxt = service.list_skus(uow, q=q, cursor=cursor, limit=limit)
    return Page[SkuOut](items=[SkuOut.model_validate(s) for s in items], next_cursor=nxt)


@router.post("/skus", status_code=201, operation_id="createSku")
def create_sku(
    body: SkuIn, request: Request, actor: Actor = Depends(requires("catalog.sku.create"))
) -> SkuOut:
    with unit_of_work(request, actor) as uow:
        sku = service.create_sku(uow, **body.model_dump())
    return SkuOut.model_validate(sku)
