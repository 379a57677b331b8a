"""Profit (利润分析): per-order and per-line profit facts kept in the transaction of every shipment,
return, parcel and re-valuation, the channels' fee rates the estimates use, and reports that
aggregate the facts by SKU, channel, customer, tag (campaign), period or order.

Keeping the facts. The subscribers below only gather what a command did (``uow.state``); the facts
are written once, just before the command commits, like the journal's entries:

- a shipment (``orders.shipped`` with its ``inventory.valued`` cost and the parcel's
  ``fulfillment.parcel_shipped`` courier fee; the event carries the order's warehouse, discount
  and tags): the channel's rates (cached for 2 s), and one insert each into
  ``order_profit``, ``order_line_profit`` (and ``order_profit_tag`` when the order has tags);
- a return: the order's facts read, revenue, cost of goods and the re-estimated fees changed;
- a back-dated document's re-valuation (``inventory.valued`` with ``revaluation``): the cost of
  goods of the order lines it re-valued changes (one update per line and per order);
- a parcel whose fee comes after its order shipped: shared over the lines, and added.

Fees. Platform commission, payment fee and distributor commission are estimates made with the
channel's rates when the order ships (``profit_channel_rate``), stored on the order with the
rates used; changing a rate changes the estimates of orders shipped from then on. Actual fees
come with the channels' settlement statements; settlement entries in the journal are per channel,
not per order, so the reports show the estimates, marked as such (``fees_estimated``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, literal, literal_column, select

from omnistock.catalog import service as catalog
from omnistock.finance import profit_rules as pr
from omnistock.finance.profit_models import (
    order_line_profit,
    order_profit,
    order_profit_tag,
    profit_channel_rate,
)
from omnistock.fulfillment import service as fulfillment
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.platform import events
from omnistock.platform.cache import TtlCache
from omnistock.platform.clock import business_date, utcnow
from omnistock.platform.errors import Invalid, NotFound
from omnistock.platform.permissions import register
from omnistock.platform.sql import Raw, Sql, raw
from omnistock.platform.uow import UnitOfWork

register(
    ("finance.profit.read", "查看利润分析", "View profit reports"),
    ("finance.profit.manage", "设置渠道费率（利润估算）", "Set channel fee rates (profit estimates)"),
)

ORDER_DOC = "sales_order"
_KINDS = frozenset({"shipment", "return"})
_STATE_KEY = "finance.profit"
AMOUNTS = pr.KEYS

# -- keeping the facts ------------------------------------------------------------------------------
_RATES_ONE = Sql(
    "SELECT channel_id, commission_bp, payment_fee_bp, distributor_bp FROM profit_channel_rate "
    "WHERE channel_id = :id"
)
_ORDER_INSERT = Sql(
    "INSERT INTO order_profit (order_id, ref, channel_id, customer_id, warehouse_id, day, month, "
    + ", ".join(AMOUNTS)
    + ", returned_revenue, discount, commission_bp, payment_fee_bp, distributor_bp) VALUES (:order_id, :ref, "
    ":channel_id, :customer_id, :warehouse_id, :day, :month, "
    + ", ".join(":" + k for k in AMOUNTS)
    + ", 0, :discount, :commission_bp, :payment_fee_bp, :distributor_bp)"
)
_LINE_INSERT = Sql(
    "INSERT INTO order_line_profit (order_id, sku_id, line_no, channel_id, warehouse_id, day, qty, returned_qty, "
    + ", ".join(AMOUNTS)
    + ") VALUES (:order_id, :sku_id, :line_no, :channel_id, :warehouse_id, :day, :qty, 0, "
    + ", ".join(":" + k for k in AMOUNTS)
    + ")"
)
_TAG_INSERT = Sql("INSERT INTO order_profit_tag (order_id, tag) VALUES (:order_id, :tag)")
_DELTAS = (*AMOUNTS, "returned_revenue")
_ORDER_DELTA = Sql(
    "UPDATE order_profit SET "
    + ", ".join(f"{k} = {k} + :{k}" for k in _DELTAS)
    + " WHERE order_id = :order_id"
)
_LINE_DELTA = Sql(
    "UPDATE order_line_profit SET "
    + ", ".join(f"{k} = {k} + :{k}" for k in (*AMOUNTS, "returned_qty"))
    + " WHERE order_id = :order_id AND sku_id = :sku_id"
)
_ORDER_COGS = Sql("UPDATE order_profit SET cogs = cogs + :cogs WHERE order_id = :order_id")
_LINE_COGS = Sql(
    "UPDATE order_line_profit SET cogs = cogs + :cogs WHERE order_id = :order_id AND sku_id = :sku_id"
)
_ORDER_FACT = Sql(
    "SELECT revenue, shipping_income, commission, payment_fee, distributor_commission, commission_bp, "
    "payment_fee_bp, distributor_bp FROM order_profit WHERE order_id = :id"
)
_LINE_REVENUES = Sql("SELECT sku_id, revenue FROM order_line_profit WHERE order_id = :id ORDER BY line_no")


@dataclass
class _Pending:
    shipped: dict[int, orders.OrderShipped] = field(default_factory=dict)
    cogs: dict[tuple[int, int], int] = field(default_factory=dict)  # (order, SKU) -> cost added
    returns: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)  # (SKU, revenue, qty)
    parcels: dict[int, int] = field(default_factory=dict)  # order -> courier fee


def _pending(uow: UnitOfWork) -> _Pending:
    p = uow.state.get(_STATE_KEY)
    if p is None:
        p = uow.state[_STATE_KEY] = _Pending()
        uow.before_commit(lambda: _flush(uow))
    return p


@events.subscribe(inventory.VALUED)
def stock_valued(uow: UnitOfWork, e: inventory.StockValued) -> None:
    p = None
    for c in e.changes:
        if c.doc_type == ORDER_DOC and c.kind in _KINDS:
            p = p or _pending(uow)
            key = (c.doc_id, c.sku_id)
            p.cogs[key] = p.cogs.get(key, 0) - c.value


@events.subscribe(orders.SHIPPED_EVENT)
def order_shipped(uow: UnitOfWork, e: orders.OrderShipped) -> None:
    _pending(uow).shipped[e.order_id] = e


@events.subscribe(orders.RETURNED_EVENT)
def order_returned(uow: UnitOfWork, e: orders.OrderReturned) -> None:
    qty = dict(e.quantities)
    _pending(uow).returns.setdefault(e.order_id, []).extend((s, rev, qty.get(s, 0)) for s, rev in e.lines)


@events.subscribe(fulfillment.PARCEL_SHIPPED_EVENT)
def parcel_shipped(uow: UnitOfWork, e: fulfillment.ParcelShipped) -> None:
    p = _pending(uow)
    p.parcels[e.order_id] = p.parcels.get(e.order_id, 0) + e.fee_cents


# Per database: channel id -> rates. Another process sees a rate change within the cache's ttl
# (2 s), this one at once (``set_rates`` forgets the entry).
_rates_cache = TtlCache("channel fee rates")


def _rates(uow: UnitOfWork, r: Raw, channel_ids: set[int]) -> dict[int, pr.Rates]:
    def load(cid: int) -> pr.Rates:
        row = r.one(_RATES_ONE, {"id": cid})
        return pr.Rates(*row[1:]) if row else pr.Rates()

    engine = uow.conn.engine
    return {cid: _rates_cache.get(engine, cid, lambda cid=cid: load(cid)) for cid in sorted(channel_ids)}


def _forget_rates(uow: UnitOfWork, channel_id: int) -> None:
    """After a rate change: read afresh now (this transaction) and once it commits (everyone)."""
    _rates_cache.forget(uow, channel_id)


def _zero(**keys) -> dict:
    return {**dict.fromkeys(_DELTAS, 0), "returned_qty": 0, **keys}


def _flush(uow: UnitOfWork) -> None:
    p: _Pending = uow.state.pop(_STATE_KEY, _Pending())
    r = raw(uow.conn)
    if p.shipped:
        _insert_shipped(uow, r, p)
    if not p.returns and not p.parcels:  # else every change goes through one sorted pass below
        _add_cogs(r, p.cogs)
        return
    order_d: dict[int, dict] = {}
    line_d: dict[tuple[int, int], dict] = {}

    def add(order_id: int, sku_id: int, amounts: dict[str, int], returned_qty: int = 0) -> None:
        o = order_d.setdefault(order_id, _zero(order_id=order_id))
        ln = line_d.setdefault((order_id, sku_id), _zero(order_id=order_id, sku_id=sku_id))
        for k, v in amounts.items():
            o[k] += v
            if k != "returned_revenue":
                ln[k] += v
        ln["returned_qty"] += returned_qty

    for (order_id, sku_id), cost in p.cogs.items():
        if cost:
            add(order_id, sku_id, {"cogs": cost})
    for order_id, lines in sorted(p.returns.items()):
        fact = r.one(_ORDER_FACT, {"id": order_id})
        if fact is None:  # shipped before profit facts were kept and not backfilled: nothing to change
            continue
        revenue, ship_in, comm, fee, dist, *bps = fact
        refund = sum(rev for _s, rev, _q in lines)
        changes = pr.return_fee_changes(
            base_before=revenue + ship_in,
            refund=refund,
            fees_before={"commission": comm, "payment_fee": fee, "distributor_commission": dist},
            rates=pr.Rates(*bps),
        )
        weights = [max(rev, 0) for _s, rev, _q in lines]
        shares = {k: pr.allocate(v, weights) for k, v in changes.items()}
        for i, (sku_id, rev, qty) in enumerate(lines):
            amounts = {"revenue": -rev, "returned_revenue": rev, **{k: s[i] for k, s in shares.items()}}
            add(order_id, sku_id, amounts, qty)
    for order_id, fee in sorted(p.parcels.items()):
        lines = r.all(_LINE_REVENUES, {"id": order_id})
        if not lines:
            continue
        for (sku_id, _rev), share in zip(
            lines, pr.allocate(fee, [max(v, 0) for _s, v in lines]), strict=True
        ):
            add(order_id, sku_id, {"shipping_cost": share})
    if order_d:
        r.queue_many(_ORDER_DELTA, [order_d[k] for k in sorted(order_d)])
        r.queue_many(_LINE_DELTA, [line_d[k] for k in sorted(line_d)])


def _add_cogs(r: Raw, cogs: dict[tuple[int, int], int]) -> None:
    """Only cost of goods changed (a re-valuation: often tens of thousands of orders): one
    narrow update per order and per line."""
    lines = sorted((order_id, sku_id, cost) for (order_id, sku_id), cost in cogs.items() if cost)
    if not lines:
        return
    per_order: dict[int, int] = {}
    for order_id, _sku_id, cost in lines:
        per_order[order_id] = per_order.get(order_id, 0) + cost
    r.queue_many(_ORDER_COGS, [{"order_id": o, "cogs": c} for o, c in per_order.items()])
    r.queue_many(_LINE_COGS, [{"order_id": o, "sku_id": s, "cogs": c} for o, s, c in lines])


def _insert_shipped(uow: UnitOfWork, r: Raw, p: _Pending) -> None:
    rates = _rates(uow, r, {e.channel_id for e in p.shipped.values()})
    order_rows, line_rows, tag_rows = [], [], []
    for order_id, e in sorted(p.shipped.items()):
        qty = {sku: (line_no, q) for line_no, sku, q in e.line_items}
        lines = [
            pr.LineIn(
                sku, qty.get(sku, (n, 0))[0], qty.get(sku, (n, 0))[1], rev, p.cogs.pop((order_id, sku), 0)
            )
            for n, (sku, rev) in enumerate(e.lines, 1)
        ]
        rate = rates[e.channel_id]
        facts = pr.order_facts(
            lines,
            shipping_income=e.shipping_fee_cents,
            payments=e.payments,
            shipping_cost=p.parcels.pop(order_id, 0),
            rates=rate,
        )
        day = business_date(e.at)
        order_rows.append(
            {
                "order_id": order_id,
                "ref": e.ref,
                "channel_id": e.channel_id,
                "customer_id": e.customer_id,
                "warehouse_id": e.warehouse_id,
                "day": r.day(day),
                "month": f"{day.year:04d}-{day.month:02d}",
                **facts.order,
                "discount": e.discount_cents,
                "commission_bp": rate.commission_bp,
                "payment_fee_bp": rate.payment_fee_bp,
                "distributor_bp": rate.distributor_bp,
            }
        )
        for ln, amounts in zip(lines, facts.lines, strict=True):
            line_rows.append(
                {
                    "order_id": order_id,
                    "sku_id": ln.sku_id,
                    "line_no": ln.line_no,
                    "channel_id": e.channel_id,
                    "warehouse_id": e.warehouse_id,
                    "day": r.day(day),
                    "qty": ln.qty,
                    **amounts,
                }
            )
        tag_rows.extend({"order_id": order_id, "tag": t} for t in e.tags)
    r.queue_many(_ORDER_INSERT, order_rows)
    r.queue_many(_LINE_INSERT, line_rows)
    if tag_rows:
        r.queue_many(_TAG_INSERT, tag_rows)


# -- channel fee rates --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChannelRate:
    channel: str
    channel_name: str
    kind: str
    commission_bp: int
    payment_fee_bp: int
    distributor_bp: int
    updated_at: dt.datetime | None
    updated_by: str | None


def list_rates(uow: UnitOfWork) -> list[ChannelRate]:
    """Every channel with its fee rates (0 where none is set)."""
    uow.actor.require("finance.profit.read")
    stored = {row.channel_id: row for row in uow.conn.execute(select(profit_channel_rate))}
    out = []
    for ch in orders.channel_infos(uow):
        row = stored.get(ch.id)
        out.append(
            ChannelRate(
                ch.code,
                ch.name,
                ch.kind,
                row.commission_bp if row else 0,
                row.payment_fee_bp if row else 0,
                row.distributor_bp if row else 0,
                row.updated_at if row else None,
                row.updated_by if row else None,
            )
        )
    return out


def _bad(code: str, en: str, zh: str, /, **params) -> Invalid:
    return Invalid(f"finance.{code}", en, zh, **params)


def set_rates(
    uow: UnitOfWork, *, channel_code: str, commission_bp: int, payment_fee_bp: int, distributor_bp: int
) -> ChannelRate:
    """Set a channel's fee rates (basis points, 0–10000); a distributor commission only for a
    channel of kind ``distributor``. Orders shipped from now on are estimated with them."""
    uow.actor.require("finance.profit.manage")
    ch = next((c for c in orders.channel_infos(uow) if c.code == channel_code), None)
    if ch is None:
        raise NotFound(
            "finance.unknown_channel",
            "Unknown channel {code}",
            "未知的渠道：{code}",
            code=str(channel_code)[:64],
        )
    for name, value in (
        ("commission_bp", commission_bp),
        ("payment_fee_bp", payment_fee_bp),
        ("distributor_bp", distributor_bp),
    ):
        if not pr.good_rate(value):
            raise _bad(
                "bad_rate",
                "{field} must be a whole number of basis points from 0 to 10000 (got {value})",
                "{field} 必须是 0 到 10000 之间的整数基点（收到 {value}）",
                field=name,
                value=repr(value)[:40],
            )
    if distributor_bp and ch.kind != "distributor":
        raise _bad(
            "distributor_rate_not_distributor",
            "Channel {code} is not a distributor channel: it has no distributor commission",
            "渠道 {code} 不是分销渠道，不能设置分销佣金",
            code=ch.code,
        )
    c = profit_channel_rate.c
    row = {
        "commission_bp": commission_bp,
        "payment_fee_bp": payment_fee_bp,
        "distributor_bp": distributor_bp,
        "updated_at": utcnow(),
        "updated_by": uow.actor.username,
    }
    before = uow.conn.execute(select(profit_channel_rate).where(c.channel_id == ch.id)).first()
    if before is None:
        uow.conn.execute(profit_channel_rate.insert().values(channel_id=ch.id, **row))
    else:
        uow.conn.execute(profit_channel_rate.update().where(c.channel_id == ch.id).values(**row))
    _forget_rates(uow, ch.id)
    uow.audit(
        "finance.profit.rates",
        "channel",
        ch.code,
        before={k: getattr(before, k) for k in ("commission_bp", "payment_fee_bp", "distributor_bp")}
        if before
        else None,
        after={k: row[k] for k in ("commission_bp", "payment_fee_bp", "distributor_bp")},
    )
    return ChannelRate(
        ch.code,
        ch.name,
        ch.kind,
        commission_bp,
        payment_fee_bp,
        distributor_bp,
        row["updated_at"],
        row["updated_by"],
    )


# -- reports ----------------------------------------------------------------------------------------
SKU, CHANNEL, CUSTOMER, TAG, PERIOD, ORDER = "sku", "channel", "customer", "tag", "period", "order"
DIMENSIONS = (SKU, CHANNEL, CUSTOMER, TAG, PERIOD, ORDER)
DAY, MONTH = "day", "month"
SORTS = ("orders", "qty", *AMOUNTS, "profit", "margin", "key")
MAX_DAYS = 3660


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channel: str | None = None  # channel code
    warehouse: str | None = None  # warehouse code
    tag: str | None = None


@dataclass
class ReportRow:
    key: str  # SKU code, channel code, customer code/id, tag, day or month, order ref
    name: str | None
    orders: int
    qty: int | None  # SKUs only: pieces sold net of returns
    amounts: dict[str, int]
    profit: int
    margin_bp: int | None
    day: dt.date | None = None  # the order dimension: its shipment day


@dataclass
class Report:
    dimension: str
    granularity: str
    rows: list[ReportRow]
    total: ReportRow
    count: int  # rows over all pages
    fees_estimated: bool = True


def _profit_expr(t):
    """revenue + shipping_income − cogs − …: plain column arithmetic (no bound factors to multiply
    by on every row)."""
    expr = None
    for key, sign, *_ in pr.COMPONENTS:
        col = t.c[key]
        expr = (col if sign > 0 else -col) if expr is None else (expr + col if sign > 0 else expr - col)
    return expr


def _check(f: Filters, dimension: str, granularity: str, sort: str) -> None:
    if dimension not in DIMENSIONS:
        raise _bad(
            "bad_dimension",
            "A profit report is by one of: " + ", ".join(DIMENSIONS),
            "利润报表的维度必须是以下之一：" + "、".join(DIMENSIONS),
        )
    if granularity not in (DAY, MONTH):
        raise _bad("bad_granularity", "A period is a day or a month", "期间必须是 day（日）或 month（月）")
    if sort not in SORTS:
        raise _bad(
            "bad_sort",
            "Sort by one of: " + ", ".join(SORTS),
            "排序字段必须是以下之一：" + "、".join(SORTS),
        )
    if f.date_from and f.date_to:
        if f.date_from > f.date_to:
            raise _bad(
                "bad_date_range",
                "The start date {start} is after the end date {end}",
                "开始日期 {start} 晚于结束日期 {end}",
                start=f.date_from.isoformat(),
                end=f.date_to.isoformat(),
            )
        if (f.date_to - f.date_from).days > MAX_DAYS:
            raise _bad(
                "date_range_too_long",
                "A report covers at most {days} days",
                "报表最多覆盖 {days} 天",
                days=MAX_DAYS,
            )


def _where(uow: UnitOfWork, t, f: Filters) -> list:
    conds = []
    if f.date_from:
        conds.append(t.c.day >= f.date_from)
    if f.date_to:
        conds.append(t.c.day <= f.date_to)
    if f.channel:
        ch = next((c for c in orders.channel_infos(uow) if c.code == f.channel), None)
        if ch is None:
            raise _bad("unknown_channel", "Unknown channel {code}", "未知的渠道：{code}", code=f.channel[:64])
        conds.append(t.c.channel_id == ch.id)
    if f.warehouse:
        try:
            wh = inventory.warehouse_ref(uow, f.warehouse)
        except Invalid as exc:
            raise _bad(
                "unknown_warehouse", "Unknown warehouse {code}", "未知的仓库：{code}", code=f.warehouse[:64]
            ) from exc
        conds.append(t.c.warehouse_id == wh.id)
    if f.tag:
        tg = order_profit_tag.c
        key = t.c.order_id
        conds.append(exists().where(and_(tg.order_id == key, tg.tag == f.tag)))
    return conds


def _sum_cols(t) -> list:
    return [func.coalesce(func.sum(t.c[k]), 0).label(k) for k in AMOUNTS]


def _row(key, name, orders_n, qty, sums, day=None) -> ReportRow:
    amounts = {k: int(v) for k, v in zip(AMOUNTS, sums, strict=True)}
    profit = pr.profit_of(amounts)
    return ReportRow(
        str(key), name, int(orders_n), qty, amounts, profit, pr.margin_bp(profit, amounts["revenue"]), day
    )


def report(
    uow: UnitOfWork,
    *,
    dimension: str,
    filters: Filters = Filters(),  # noqa: B008 - frozen dataclass
    granularity: str = MONTH,
    sort: str = "profit",
    descending: bool = True,
    offset: int = 0,
    limit: int | None = 100,
) -> Report:
    """Profit by ``dimension`` over the orders shipped in the filters' range (their shipment
    days): each row's components, profit and margin, sorted; the total is over every row (for
    tags: over the tagged orders, each once — an order with two tags is in both rows)."""
    uow.actor.require("finance.profit.read")
    _check(filters, dimension, granularity, sort)
    if dimension == ORDER:
        return _orders_report(uow, filters, sort, descending, offset, limit)
    op, lp, tg = order_profit, order_line_profit, order_profit_tag.c
    # Each group comes back as (key, orders, qty, *amounts, profit): plain tuples, summed, sorted and
    # paged as such; only the rows of the page become ``ReportRow``s.
    if dimension == SKU:
        stmt = (
            select(
                lp.c.sku_id,
                func.count(),
                func.coalesce(func.sum(lp.c.qty - lp.c.returned_qty), 0),
                *_sum_cols(lp),
                func.coalesce(func.sum(_profit_expr(lp)), 0),
            )
            .where(*_where(uow, lp, filters))
            .group_by(lp.c.sku_id)
        )
    else:
        if dimension == CHANNEL:
            key_col, source = _scanned(uow, op.c.channel_id), op
        elif dimension == CUSTOMER:
            key_col, source = _scanned(uow, op.c.customer_id), op
        elif dimension == PERIOD:
            key_col, source = _scanned(uow, op.c.day if granularity == DAY else op.c.month), op
        else:  # tag
            key_col, source = tg.tag, order_profit_tag.join(op, op.c.order_id == tg.order_id)
        stmt = (
            select(
                key_col,
                func.count(),
                literal(0),
                *_sum_cols(op),
                func.coalesce(func.sum(_profit_expr(op)), 0),
            )
            .select_from(source)
            .where(*_where(uow, op, filters))
            .group_by(key_col)
        )
    groups = uow.conn.execute(stmt).all()
    if dimension == TAG:
        tot = select(func.count(), *_sum_cols(op)).where(
            *_where(uow, op, filters), exists().where(tg.order_id == op.c.order_id)
        )
        n, *sums = uow.conn.execute(tot).one()
        total = _row("", None, n, None, sums)
    else:
        cols = list(zip(*groups, strict=True)) if groups else [()] * (4 + len(AMOUNTS))
        sums = [int(sum(c)) for c in cols[3 : 3 + len(AMOUNTS)]]  # PostgreSQL sums are Decimal
        total = _row("", None, sum(cols[1]), int(sum(cols[2])) if dimension == SKU else None, sums)
    labels: dict = {}
    if sort == "key" and dimension in (SKU, CHANNEL):  # sorted by code: every group's code first
        labels = _labels(uow, dimension, [g[0] for g in groups])
        groups.sort(key=lambda g: labels.get(g[0], ("",))[0], reverse=descending)
    else:
        groups.sort(key=_sort_key(sort), reverse=descending)
    page = groups[offset : offset + limit] if limit is not None else groups[offset:]
    if not labels:
        labels = _labels(uow, dimension, [g[0] for g in page])
    rows = []
    for key, n, q, *rest in page:
        code, name = labels.get(key, (key.isoformat() if isinstance(key, dt.date) else str(key), None))
        rows.append(_row(code, name, n, int(q) if dimension == SKU else None, rest[: len(AMOUNTS)]))
    return Report(dimension, granularity, rows, total, len(groups))


def _scanned(uow: UnitOfWork, col):
    """``col`` as a group key that SQLite does not read through an index: grouping the facts by
    an indexed column walks the index and fetches every row from the table in index order (one
    random lookup per order); a scan of the table and a sort of the groups costs a third of that.
    (SQLite's unary ``+`` turns the column into an expression; PostgreSQL hashes either way.)"""
    if uow.dialect == "sqlite":
        return literal_column(f"+{col.table.name}.{col.name}")
    return col


_REVENUE, _PROFIT = 3 + AMOUNTS.index("revenue"), 3 + len(AMOUNTS)


def _sort_key(sort: str):
    """The sort key of a group tuple (key, orders, qty, *amounts, profit)."""
    if sort == "key":
        return lambda g: g[0]
    if sort == "margin":
        return lambda g: (g[_REVENUE] != 0, g[_PROFIT] / g[_REVENUE] if g[_REVENUE] else 0)
    index = {"orders": 1, "qty": 2, "profit": _PROFIT, **{k: 3 + i for i, k in enumerate(AMOUNTS)}}[sort]
    return lambda g: g[index]


def _labels(uow: UnitOfWork, dimension: str, keys: Sequence) -> dict:
    """Group key -> (code, name) for SKUs, channels and customers (id shown as the key)."""
    if not keys:
        return {}
    if dimension == SKU:
        found = catalog.sku_labels(uow, keys)
        return {k: found.get(k, (f"#{k}", None)) for k in keys}
    if dimension == CHANNEL:
        by_id = {c.id: (c.code, c.name) for c in orders.channel_infos(uow)}
        return {k: by_id.get(k, (f"#{k}", None)) for k in keys}
    if dimension == CUSTOMER:
        names = orders.customer_names(uow, keys)
        return {k: (str(k), names.get(k)) for k in keys}
    return {}


def _orders_report(
    uow: UnitOfWork, f: Filters, sort: str, descending: bool, offset: int, limit: int | None
) -> Report:
    op = order_profit
    conds = _where(uow, op, f)
    profit = _profit_expr(op)
    col = {
        "profit": profit,
        "key": op.c.ref,
        "orders": op.c.order_id,
        "qty": op.c.order_id,
        "margin": case((op.c.revenue == 0, None), else_=profit * 10000 / op.c.revenue),
    }.get(sort, op.c[sort] if sort in AMOUNTS else profit)
    order_by = [
        col.desc() if descending else col.asc(),
        op.c.order_id.desc() if descending else op.c.order_id,
    ]
    stmt = (
        select(op.c.ref, op.c.customer_id, op.c.day, *[op.c[k] for k in AMOUNTS])
        .where(*conds)
        .order_by(*order_by)
    )
    stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    found = uow.conn.execute(stmt).all()
    names = orders.customer_names(uow, [cust for _r, cust, *_ in found]) if found else {}
    rows = [_row(ref, names.get(cust), 1, None, s, day=_as_date(day)) for ref, cust, day, *s in found]
    n, *s = uow.conn.execute(select(func.count(), *_sum_cols(op)).where(*conds)).one()
    return Report(ORDER, DAY, rows, _row("", None, n, None, s), int(n))


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


# -- one order ----------------------------------------------------------------------------------------
def order_detail(uow: UnitOfWork, ref: str) -> dict:
    """An order's profit: its components, the waterfall (revenue → … → profit), the estimates'
    rates, its lines with their shares, and its tags."""
    uow.actor.require("finance.profit.read")
    op, lp, tg = order_profit.c, order_line_profit.c, order_profit_tag.c
    o = uow.conn.execute(select(order_profit).where(op.ref == ref)).first() if isinstance(ref, str) else None
    if o is None:
        raise NotFound(
            "finance.order_profit_not_found",
            "Order {ref} has no profit figures (not shipped)",
            "订单 {ref} 没有利润数据（尚未发货）",
            ref=str(ref)[:64],
        )
    parts = {k: int(getattr(o, k)) for k in AMOUNTS}
    lines = uow.conn.execute(
        select(order_line_profit).where(lp.order_id == o.order_id).order_by(lp.line_no)
    ).all()
    labels = catalog.sku_labels(uow, [ln.sku_id for ln in lines])
    channel = next((c for c in orders.channel_infos(uow) if c.id == o.channel_id), None)
    profit = pr.profit_of(parts)
    return {
        "ref": o.ref,
        "day": _as_date(o.day),
        "channel": channel.code if channel else None,
        "channel_name": channel.name if channel else None,
        "customer": orders.customer_names(uow, [o.customer_id]).get(o.customer_id),
        "tags": [
            t for (t,) in uow.conn.execute(select(tg.tag).where(tg.order_id == o.order_id).order_by(tg.tag))
        ],
        "amounts": parts,
        "returned_revenue": int(o.returned_revenue),
        "discount": int(o.discount),
        "profit": profit,
        "margin_bp": pr.margin_bp(profit, parts["revenue"]),
        "rates": {
            "commission_bp": o.commission_bp,
            "payment_fee_bp": o.payment_fee_bp,
            "distributor_bp": o.distributor_bp,
        },
        "fees_estimated": True,
        "waterfall": [s.__dict__ for s in pr.waterfall(parts)],
        "lines": [
            {
                "line_no": ln.line_no,
                "sku": labels.get(ln.sku_id, (f"#{ln.sku_id}", ""))[0],
                "sku_name": labels.get(ln.sku_id, ("", None))[1],
                "qty": int(ln.qty),
                "returned_qty": int(ln.returned_qty),
                "amounts": {k: int(getattr(ln, k)) for k in AMOUNTS},
                "profit": pr.profit_of({k: int(getattr(ln, k)) for k in AMOUNTS}),
            }
            for ln in lines
        ],
    }


# -- checks -------------------------------------------------------------------------------------------
def totals(conn) -> dict[str, int]:
    """Σ of every component over all orders, and the same over all lines (``lines_*``)."""
    o = conn.execute(select(*_sum_cols(order_profit))).one()
    ln = conn.execute(select(*_sum_cols(order_line_profit))).one()
    out = {k: int(v) for k, v in zip(AMOUNTS, o, strict=True)}
    out.update({f"lines_{k}": int(v) for k, v in zip(AMOUNTS, ln, strict=True)})
    return out


def check_invariants(conn) -> list[str]:
    """Every order's lines add up to the order (each component); for ``omnistock doctor``."""
    op, lp = order_profit.c, order_line_profit.c
    sums = select(lp.order_id, *[func.sum(lp[k]).label(k) for k in AMOUNTS]).group_by(lp.order_id).subquery()
    problems = []
    rows = conn.execute(
        select(op.ref, *[(op[k] - sums.c[k]).label(k) for k in AMOUNTS]).select_from(
            order_profit.join(sums, sums.c.order_id == op.order_id)
        )
    )
    for ref, *diffs in rows:
        wrong = [k for k, d in zip(AMOUNTS, diffs, strict=True) if d]
        if wrong:
            problems.append(f"profit facts of order {ref}: lines do not add up ({', '.join(wrong)})")
    return problems
