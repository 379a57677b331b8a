"""Profit HTTP API (`/api/v1/finance/profit/…`): reports by SKU, channel, customer, tag, period and
order with an Excel export, one order's waterfall, and the channels' fee rates the estimates use.
Validation and orchestration only: the rules live in ``finance.profit``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request, Response
from pydantic import Field

from omnistock.finance import profit
from omnistock.finance import profit_rules as pr
from omnistock.platform import excel
from omnistock.platform.auth import Actor, requires
from omnistock.platform.http import AreaRouter, language, unit_of_work
from omnistock.platform.schemas import Input, Output

router = AreaRouter(prefix="/api/v1/finance/profit", tags=["finance"])

Dimension = Literal["sku", "channel", "customer", "tag", "period", "order"]
Granularity = Literal["day", "month"]
Sort = Literal[tuple(profit.SORTS)]  # type: ignore[valid-type]
Bp = Annotated[int, Field(ge=0, le=pr.MAX_BP, description="Basis points: 150 = 1.5 %")]


class Amounts(Output):
    revenue: int = Field(description="Goods after discounts, net of returns (cents)")
    shipping_income: int
    cogs: int
    commission: int = Field(description="Estimated")
    payment_fee: int = Field(description="Estimated")
    shipping_cost: int
    promotion: int = Field(description="Coupons and points the seller pays for")
    distributor_commission: int = Field(description="Estimated")


class ProfitRowOut(Output):
    key: str = Field(description="SKU code, channel code, customer id, tag, day/month or order ref")
    name: str | None = None
    orders: int
    qty: int | None = Field(default=None, description="dimension=sku: pieces sold net of returns")
    day: dt.date | None = Field(default=None, description="dimension=order: its shipment day")
    amounts: Amounts
    profit: int
    margin_bp: int | None = Field(description="Profit / revenue in basis points; null without revenue")


class ProfitReportOut(Output):
    dimension: str
    granularity: str
    items: list[ProfitRowOut]
    total: ProfitRowOut
    count: int
    offset: int
    fees_estimated: bool = Field(description="Commission, payment and distributor fees are estimates")


def _row(r: profit.ReportRow) -> ProfitRowOut:
    return ProfitRowOut(
        key=r.key,
        name=r.name,
        orders=r.orders,
        qty=r.qty,
        day=r.day,
        amounts=Amounts(**r.amounts),
        profit=r.profit,
        margin_bp=r.margin_bp,
    )


def _filters(date_from, date_to, channel, warehouse, tag) -> profit.Filters:
    return profit.Filters(date_from, date_to, channel, warehouse, tag)


DateFrom = Annotated[dt.date | None, Query(description="First shipment day (business date)")]
DateTo = Annotated[dt.date | None, Query(description="Last shipment day (business date)")]
CodeQ = Annotated[str | None, Query(min_length=1, max_length=64)]
TagQ = Annotated[str | None, Query(min_length=1, max_length=32)]


@router.get("/report", operation_id="getProfitReport")
def get_report(
    request: Request,
    actor: Actor = Depends(requires("finance.profit.read")),
    dimension: Dimension = "sku",
    granularity: Granularity = "month",
    date_from: DateFrom = None,
    date_to: DateTo = None,
    channel: CodeQ = None,
    warehouse: CodeQ = None,
    tag: TagQ = None,
    sort: Sort = "profit",
    descending: bool = True,
    offset: Annotated[int, Query(ge=0, le=10**7)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ProfitReportOut:
    """Profit by ``dimension`` of the orders shipped in the range: each row's components, profit
    and margin, sorted; the total is over every row (tags: over the tagged orders, each once)."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rep = profit.report(
            uow,
            dimension=dimension,
            filters=_filters(date_from, date_to, channel, warehouse, tag),
            granularity=granularity,
            sort=sort,
            descending=descending,
            offset=offset,
            limit=limit,
        )
    return ProfitReportOut(
        dimension=rep.dimension,
        granularity=rep.granularity,
        items=[_row(r) for r in rep.rows],
        total=_row(rep.total),
        count=rep.count,
        offset=offset,
        fees_estimated=rep.fees_estimated,
    )


_DIM_NAMES = {
    "sku": ("SKU", "SKU"),
    "channel": ("渠道", "Channel"),
    "customer": ("客户", "Customer"),
    "tag": ("活动", "Campaign"),
    "period": ("期间", "Period"),
    "order": ("订单", "Order"),
}
EXPORT_MAX_ROWS = 200_000


@router.get(
    "/report/export",
    operation_id="exportProfitReport",
    response_class=Response,
    responses={200: {"content": {excel.XLSX: {}}, "description": "An Excel workbook"}},
)
def export_report(
    request: Request,
    actor: Actor = Depends(requires("finance.profit.read")),
    dimension: Dimension = "sku",
    granularity: Granularity = "month",
    date_from: DateFrom = None,
    date_to: DateTo = None,
    channel: CodeQ = None,
    warehouse: CodeQ = None,
    tag: TagQ = None,
    sort: Sort = "profit",
    descending: bool = True,
) -> Response:
    """The whole report as an Excel workbook (at most 200,000 rows), with a total row."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rep = profit.report(
            uow,
            dimension=dimension,
            filters=_filters(date_from, date_to, channel, warehouse, tag),
            granularity=granularity,
            sort=sort,
            descending=descending,
            limit=EXPORT_MAX_ROWS,
        )
    lang = language(request)
    en = lang != "zh-CN"
    zh_dim, en_dim = _DIM_NAMES[dimension]
    columns = [
        excel.Column(zh_dim, en_dim, width=18),
        excel.Column("名称", "Name", width=24),
        excel.Column("订单数", "Orders", excel.INT, width=10),
        excel.Column("数量", "Quantity", excel.INT, width=10),
        *[
            excel.Column(f"{zh}（元）", f"{en_} (CNY)", excel.MONEY, width=16)
            for _k, _s, zh, en_ in pr.COMPONENTS
        ],
        excel.Column("利润（元）", "Profit (CNY)", excel.MONEY, width=16),
        excel.Column("利润率 %", "Margin %", width=10),
    ]

    def line(r: profit.ReportRow, key: str | None) -> list:
        margin = None if r.margin_bp is None else f"{r.margin_bp / 100:.2f}"
        return [key, r.name, r.orders, r.qty, *[r.amounts[k] for k in pr.KEYS], r.profit, margin]

    rows = [line(r, r.key) for r in rep.rows]
    total = line(rep.total, "Total" if en else "合计")
    title = f"Profit by {en_dim.lower()}" if en else f"利润分析-{zh_dim}"
    data = excel.workbook(title, columns, rows, lang=lang, total=total)
    return excel.download(data, f"{'profit-' + dimension if en else '利润分析-' + zh_dim}.xlsx")


class WaterfallStepOut(Output):
    key: str
    zh: str
    en: str
    amount: int = Field(description="Signed: what the step adds to the profit")
    running: int


class OrderLineProfitOut(Output):
    line_no: int
    sku: str
    sku_name: str | None = None
    qty: int
    returned_qty: int
    amounts: Amounts
    profit: int


class RatesUsedOut(Output):
    commission_bp: int
    payment_fee_bp: int
    distributor_bp: int


class OrderProfitOut(Output):
    ref: str
    day: dt.date
    channel: str | None
    channel_name: str | None
    customer: str | None
    tags: list[str]
    amounts: Amounts
    returned_revenue: int
    discount: int
    profit: int
    margin_bp: int | None
    rates: RatesUsedOut
    fees_estimated: bool
    waterfall: list[WaterfallStepOut]
    lines: list[OrderLineProfitOut]


@router.get("/orders/{ref}", operation_id="getOrderProfit")
def get_order_profit(
    request: Request,
    ref: Annotated[str, Path(min_length=1, max_length=64)],
    actor: Actor = Depends(requires("finance.profit.read")),
) -> OrderProfitOut:
    """One shipped order's profit: revenue → … → profit, and its lines' shares."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return OrderProfitOut.model_validate(profit.order_detail(uow, ref))


class ChannelRateOut(Output):
    channel: str
    channel_name: str
    kind: str
    commission_bp: int
    payment_fee_bp: int
    distributor_bp: int
    updated_at: dt.datetime | None = None
    updated_by: str | None = None


class ChannelRateIn(Input):
    commission_bp: Bp = 0
    payment_fee_bp: Bp = 0
    distributor_bp: Bp = Field(default=0, ge=0, le=pr.MAX_BP, description="Distributor channels only")


@router.get("/rates", operation_id="listProfitRates")
def list_rates(
    request: Request, actor: Actor = Depends(requires("finance.profit.read"))
) -> list[ChannelRateOut]:
    """Every channel with the fee rates its orders' estimates use."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return [ChannelRateOut.model_validate(r) for r in profit.list_rates(uow)]


@router.put("/rates/{channel}", operation_id="setProfitRates")
def set_rates(
    request: Request,
    body: ChannelRateIn,
    channel: Annotated[str, Path(min_length=1, max_length=64)],
    actor: Actor = Depends(requires("finance.profit.manage")),
) -> ChannelRateOut:
    """Set a channel's rates; orders shipped from now on are estimated with them."""
    with unit_of_work(request, actor) as uow:
        rate = profit.set_rates(
            uow,
            channel_code=channel,
            commission_bp=body.commission_bp,
            payment_fee_bp=body.payment_fee_bp,
            distributor_bp=body.distributor_bp,
        )
    return ChannelRateOut.model_validate(rate)
