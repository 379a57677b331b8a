"""Channel settlement reconciliation HTTP API (`/api/v1/finance/reconciliation/…`): statement
templates, importing statements, the workbench (statements, rows, exceptions and resolving them),
the money of orders and the shipped-not-settled list. Validation and orchestration only: the rules
live in ``reconcile`` and ``reconcile_rules``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, File, Form, Query, Request, Response, UploadFile
from pydantic import Field

from omnistock.finance import reconcile as service
from omnistock.finance import statements
from omnistock.platform.auth import Actor, requires
from omnistock.platform.http import AreaRouter, unit_of_work
from omnistock.platform.schemas import Input, Output, Page, UtcDateTime

router = AreaRouter(prefix="/api/v1/finance/reconciliation", tags=["finance"])

READ = requires(service.READ)
MANAGE = requires(service.MANAGE)
Code = Annotated[str, Field(min_length=1, max_length=64)]


# -- templates ----------------------------------------------------------------------------------
class TemplateIn(Input):
    name: Code
    channel: Code | None = None
    cash_account: Annotated[str, Field(min_length=4, max_length=16)] | None = None
    template: dict[str, Any] = Field(
        description="StatementTemplate.to_dict(): columns (our field → the file's header), kind_map, …"
    )


class TemplateOut(Output):
    id: int | None
    name: str
    builtin: bool
    title_en: str
    title_zh: str
    channel: str | None
    cash_account: str | None
    template: dict[str, Any]


@router.get("/templates", operation_id="listStatementTemplates")
def list_templates(request: Request, actor: Actor = Depends(READ)) -> list[TemplateOut]:
    """The built-in sources (wechat_pay, alipay, generic), then the custom templates."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return [TemplateOut.model_validate(t) for t in service.list_templates(uow)]


@router.post("/templates", status_code=201, operation_id="createStatementTemplate")
def create_template(body: TemplateIn, request: Request, actor: Actor = Depends(MANAGE)) -> TemplateOut:
    with unit_of_work(request, actor) as uow:
        t = service.create_template(
            uow, name=body.name, template=body.template, channel=body.channel, cash_account=body.cash_account
        )
    return TemplateOut.model_validate(t)


@router.get("/templates/{template_id}", operation_id="getStatementTemplate")
def get_template(template_id: int, request: Request, actor: Actor = Depends(READ)) -> TemplateOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return TemplateOut.model_validate(service.get_template(uow, template_id))


@router.put("/templates/{template_id}", operation_id="updateStatementTemplate")
def update_template(
    template_id: int, body: TemplateIn, request: Request, actor: Actor = Depends(MANAGE)
) -> TemplateOut:
    with unit_of_work(request, actor) as uow:
        t = service.update_template(
            uow,
            template_id,
            name=body.name,
            template=body.template,
            channel=body.channel,
            cash_account=body.cash_account,
        )
    return TemplateOut.model_validate(t)


@router.delete("/templates/{template_id}", status_code=204, operation_id="deleteStatementTemplate")
def delete_template(template_id: int, request: Request, actor: Actor = Depends(MANAGE)) -> Response:
    with unit_of_work(request, actor) as uow:
        service.delete_template(uow, template_id)
    return Response(status_code=204)


@router.get(
    "/templates/generic/sample",
    operation_id="genericStatementSample",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def generic_sample(actor: Actor = Depends(READ)) -> Response:
    """An empty statement in the generic layout (UTF-8 CSV with its headers)."""
    return Response(
        content=statements.generic_csv([]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="settlement-generic.csv"'},
    )


# -- statements ----------------------------------------------------------------------------------
class TotalsOut(Output):
    count: int
    gross_cents: int
    fee_cents: int
    commission_cents: int
    net_cents: int
    difference_cents: int


class SummaryOut(Output):
    by_status: dict[str, TotalsOut]
    total: TotalsOut
    duplicates: int
    by_state: dict[str, int]
    open: int


class StatementRowOut(Output):
    id: int
    channel: str
    source: str
    filename: str
    cash_account: str
    row_count: int
    gross_cents: int
    fee_cents: int
    commission_cents: int
    net_cents: int
    period_from: UtcDateTime
    period_to: UtcDateTime
    imported_at: UtcDateTime
    imported_by: str
    open: int = 0


class StatementOut(StatementRowOut):
    summary: SummaryOut


class RowOut(Output):
    id: int
    statement_id: int
    channel: str
    row_no: int
    kind: str
    txn_id: str
    order_ref: str
    order: str | None
    gross_cents: int
    fee_cents: int
    commission_cents: int
    net_cents: int
    settled_at: UtcDateTime
    status: str
    state: str
    difference_cents: int
    reason_en: str
    reason_zh: str
    resolution: str | None
    resolution_account: str | None
    resolution_note: str | None
    resolved_at: UtcDateTime | None
    resolved_by: str | None


class RowsOut(Output):
    rows: list[RowOut]
    summary: SummaryOut


@router.post("/statements", status_code=201, operation_id="importSettlementStatement")
def import_statement(
    request: Request,
    file: Annotated[UploadFile, File(description="The provider's CSV or .xlsx, at most 50 MB")],
    channel: Annotated[str, Form(min_length=1, max_length=64)],
    source: Annotated[
        str, Form(min_length=1, max_length=64, description="wechat_pay | alipay | generic | a template")
    ],
    cash_account: Annotated[str | None, Form(max_length=16)] = None,
    actor: Actor = Depends(MANAGE),
) -> StatementOut:
    """Import a settlement statement: read it, classify every row against the channel's orders and
    post the settled rows. A bad file imports nothing: the 422 problem lists every bad row
    (``errors[]``: row_no, column, code, message_zh, message_en); the same statement again is a
    409 ``finance.statement_duplicate``."""
    data = file.file.read(statements.MAX_FILE_BYTES + 1)
    with unit_of_work(request, actor) as uow:
        d = service.import_statement(
            uow,
            channel=channel,
            source=source,
            data=data,
            filename=(file.filename or "")[:200],
            cash_account=cash_account or None,
        )
    return StatementOut.model_validate(d)


@router.get("/statements", operation_id="listSettlementStatements")
def list_statements(
    request: Request,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    actor: Actor = Depends(READ),
) -> Page[StatementRowOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = service.list_statements(uow, channel=channel, cursor=cursor, limit=limit)
    return Page[StatementRowOut](items=[StatementRowOut.model_validate(r) for r in rows], next_cursor=nxt)


@router.get("/statements/{statement_id}", operation_id="getSettlementStatement")
def get_statement(statement_id: int, request: Request, actor: Actor = Depends(READ)) -> StatementOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return StatementOut.model_validate(service.statement_detail(uow, statement_id))


@router.get("/statements/{statement_id}/rows", operation_id="listSettlementRows")
def statement_rows(
    statement_id: int,
    request: Request,
    status: Annotated[str | None, Query(max_length=20)] = None,
    state: Annotated[str | None, Query(max_length=10)] = None,
    actor: Actor = Depends(READ),
) -> RowsOut:
    """A statement's rows (filtered by reconciliation status and/or state) and its totals by status."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return RowsOut.model_validate(service.statement_rows(uow, statement_id, status=status, state=state))


@router.get("/exceptions", operation_id="listSettlementExceptions")
def list_exceptions(
    request: Request,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    actor: Actor = Depends(READ),
) -> Page[RowOut]:
    """Rows waiting for a person, across statements, newest first."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = service.exceptions(uow, channel=channel, status=status, cursor=cursor, limit=limit)
    return Page[RowOut](items=[RowOut.model_validate(r) for r in rows], next_cursor=nxt)


class AcceptIn(Input):
    account: Annotated[str, Field(min_length=4, max_length=16, description="e.g. 6711 or 6301")]
    note: str | None = Field(default=None, max_length=200)


class LinkIn(Input):
    order_ref: Code
    note: str | None = Field(default=None, max_length=200)


class IgnoreIn(Input):
    reason: str = Field(min_length=1, max_length=200)
    transfer: bool = Field(default=False, description="Post it as a transfer: Dr bank, Cr the cash account")


@router.post("/rows/{row_id}/accept", operation_id="acceptSettlementRow")
def accept_row(row_id: int, body: AcceptIn, request: Request, actor: Actor = Depends(MANAGE)) -> list[RowOut]:
    """Post the row with its difference to the chosen account (a mismatched order's rows together)."""
    with unit_of_work(request, actor) as uow:
        rows = service.resolve_accept(uow, row_id, account_code=body.account, note=body.note)
    return [RowOut.model_validate(r) for r in rows]


@router.post("/rows/{row_id}/link", operation_id="linkSettlementRow")
def link_row(row_id: int, body: LinkIn, request: Request, actor: Actor = Depends(MANAGE)) -> list[RowOut]:
    """Tie a row with no order to an order of the statement's channel."""
    with unit_of_work(request, actor) as uow:
        rows = service.resolve_link(uow, row_id, order_ref=body.order_ref, note=body.note)
    return [RowOut.model_validate(r) for r in rows]


@router.post("/rows/{row_id}/ignore", operation_id="ignoreSettlementRow")
def ignore_row(row_id: int, body: IgnoreIn, request: Request, actor: Actor = Depends(MANAGE)) -> list[RowOut]:
    with unit_of_work(request, actor) as uow:
        rows = service.resolve_ignore(uow, row_id, reason=body.reason, transfer=body.transfer)
    return [RowOut.model_validate(r) for r in rows]


# -- orders ----------------------------------------------------------------------------------------
class OrderMoneyOut(Output):
    order_id: int
    ref: str
    external_ref: str | None
    order_status: str
    shipped_at: UtcDateTime | None
    receivable_cents: int
    refunded_cents: int
    settled_cents: int
    settled_refund_cents: int
    fees_cents: int
    outstanding_cents: int
    status: str


class OrderMoneyDetail(OrderMoneyOut):
    channel: str
    rows: list[RowOut]


@router.get("/orders", operation_id="listOrderMoney")
def list_order_money(
    request: Request,
    channel: Annotated[str, Query(min_length=1, max_length=64)],
    status: Annotated[str | None, Query(max_length=12)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    actor: Actor = Depends(READ),
) -> Page[OrderMoneyOut]:
    """A channel's shipped orders by money status (unsettled | partly | settled | mismatch)."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = service.list_order_money(uow, channel=channel, status=status, cursor=cursor, limit=limit)
    return Page[OrderMoneyOut](items=[OrderMoneyOut.model_validate(r) for r in rows], next_cursor=nxt)


@router.get("/orders/{ref}", operation_id="getOrderMoney")
def get_order_money(ref: str, request: Request, actor: Actor = Depends(READ)) -> OrderMoneyDetail:
    with unit_of_work(request, actor, readonly=True) as uow:
        return OrderMoneyDetail.model_validate(service.order_money(uow, ref))


class UnsettledOrderOut(Output):
    order_id: int
    ref: str
    external_ref: str | None
    shipped_at: UtcDateTime
    days_since_shipped: int
    expected_cents: int
    settled_cents: int
    outstanding_cents: int
    reason_en: str
    reason_zh: str


class UnsettledOut(Output):
    days: int
    count: int
    outstanding_cents: int
    orders: list[UnsettledOrderOut]


@router.get("/unsettled", operation_id="listUnsettledOrders")
def list_unsettled(
    request: Request,
    channel: Annotated[str, Query(min_length=1, max_length=64)],
    days: Annotated[int | None, Query(ge=0, le=365)] = None,
    actor: Actor = Depends(READ),
) -> UnsettledOut:
    """Orders shipped at least ``days`` days ago (default: the finance setting unsettled_days)
    the channel has not settled in full."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return UnsettledOut.model_validate(service.unsettled(uow, channel=channel, days=days))
