"""Stock valuation at any past moment, by warehouse and SKU (存货估值表).

The rule, for SKU ``s``, warehouse ``w`` and moment ``T`` (the ledger's ``(at, id)`` order;
moves dated exactly ``T`` are included):

* quantity ``q(w, s, T)`` = Σ ``qty`` of the SKU's moves in ``w`` dated ≤ ``T``;
* the SKU's value ``V(s, T)`` = Σ ``value_cents`` of all its moves dated ≤ ``T`` — which is the
  pool value recorded on its last move dated ≤ ``T`` (``pool_value``), because every move's
  value is the change of the SKU's pooled valuation (back-dated documents rewrite both);
* a warehouse's value is its share of the SKU's pooled value by quantity,
  ``rules.allocate(V, [q(w, s, T) for w])``: ``V·q/Q`` rounded down, the left-over cents to the
  largest remainders — so Σ over warehouses = ``V(s, T)`` to the cent, and at "now" the figures
  equal the stock overview's.

(Cost is pooled per SKU over all warehouses, so Σ ``value_cents`` of one warehouse's moves is
*not* a value of that warehouse: shipping from the warehouse that received cheaper stock leaves it
with a negative sum and no pieces. The quantity share is the only per-warehouse value the pooled
method defines.)

Cost of the computation: the per-warehouse quantities are sums over the ledger on one side of
``T``. Going forward sums the moves dated ≤ ``T``; going backward starts from the current
balances and pool values and takes off the moves dated after ``T``. Both read each SKU's moves
through the ``(sku_id, at, id)`` index as one range per SKU; the side with less history is
chosen (estimated from ``T``'s place between the ledger's first and last dates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, select

from omnistock.catalog import service as catalog
from omnistock.inventory import rules
from omnistock.inventory.models import cost_pool, stock_balance, stock_move, warehouse
from omnistock.inventory.reports import _scoped_warehouse_ids
from omnistock.platform.clock import to_utc
from omnistock.platform.errors import Invalid
from omnistock.platform.pagination import decode_cursor, encode_cursor
from omnistock.platform.permissions import register
from omnistock.platform.uow import UnitOfWork

register(("inventory.valuation.read", "查看存货估值表", "View the stock valuation report"))

sm, sb, cp = stock_move.c, stock_balance.c, cost_pool.c

# Groupings of the report: a row per warehouse and SKU, per warehouse, or per warehouse and the
# category of the SKU's product.
SKU, WAREHOUSE, CATEGORY = "sku", "warehouse", "category"
GROUPS = (SKU, WAREHOUSE, CATEGORY)


@dataclass(frozen=True)
class ValuationRow:
    warehouse: str
    warehouse_name: str
    sku: str | None  # None in the warehouse and category groupings
    sku_name: str | None
    skus: int  # SKUs with stock or value in the row
    qty: int
    value_cents: int
    category: str | None = None  # the category grouping (None: SKUs of no category)
    category_name: str | None = None


@dataclass(frozen=True)
class ValuationReport:
    at: dt.datetime
    group: str
    rows: list[ValuationRow]
    total_qty: int  # over every row of the report (all pages)
    total_value_cents: int
    next_cursor: str | None


def _bounds(uow: UnitOfWork) -> tuple[dt.datetime, dt.datetime] | None:
    """The ledger's first and last dates, one index seek per SKU (no index on ``at`` alone)."""
    first = (
        select(sm.at)
        .where(sm.sku_id == cp.sku_id)
        .order_by(sm.at)
        .limit(1)
        .correlate(cost_pool)
        .scalar_subquery()
    )
    last = (
        select(sm.at)
        .where(sm.sku_id == cp.sku_id)
        .order_by(sm.at.desc())
        .limit(1)
        .correlate(cost_pool)
        .scalar_subquery()
    )
    per_sku = select(first.label("f"), last.label("l")).select_from(cost_pool).subquery()
    lo, hi = uow.conn.execute(select(func.min(per_sku.c.f), func.max(per_sku.c.l))).one()
    if lo is None:
        return None
    if isinstance(lo, str):  # SQLite answers aggregates of DateTime as text
        lo, hi = dt.datetime.fromisoformat(lo), dt.datetime.fromisoformat(hi)
    return lo, hi


def _forward(uow: UnitOfWork, at: dt.datetime) -> tuple[dict, dict]:
    """(sku, warehouse) -> quantity and sku -> value, from the moves dated ≤ ``at``."""
    moves = (
        select(
            sm.sku_id,
            sm.warehouse_id,
            func.sum(sm.qty).label("q"),
            func.sum(sm.value_cents).label("v"),
        )
        .select_from(cost_pool.join(stock_move, and_(sm.sku_id == cp.sku_id, sm.at <= at)))
        .group_by(sm.sku_id, sm.warehouse_id)
    )
    qty: dict[tuple[int, int], int] = {}
    value: dict[int, int] = {}
    for s, w, q, v in uow.conn.execute(moves):
        qty[(s, w)] = int(q)
        value[s] = value.get(s, 0) + int(v)
    return qty, value


def _backward(uow: UnitOfWork, at: dt.datetime) -> tuple[dict, dict]:
    """The same, from the current balances and pools less the moves dated after ``at``."""
    qty: dict[tuple[int, int], int] = {}
    value: dict[int, int] = {}
    for s, w, q in uow.conn.execute(
        select(sb.sku_id, sb.warehouse_id, func.sum(sb.on_hand)).group_by(sb.sku_id, sb.warehouse_id)
    ):
        qty[(s, w)] = int(q)
    for s, v in uow.conn.execute(select(cp.sku_id, cp.value_cents)):
        value[s] = int(v)
    later = (
        select(
            sm.sku_id,
            sm.warehouse_id,
            func.sum(sm.qty).label("q"),
            func.sum(sm.value_cents).label("v"),
        )
        .select_from(cost_pool.join(stock_move, and_(sm.sku_id == cp.sku_id, sm.at > at)))
        .group_by(sm.sku_id, sm.warehouse_id)
    )
    for s, w, q, v in uow.conn.execute(later):
        qty[(s, w)] = qty.get((s, w), 0) - int(q)
        value[s] = value.get(s, 0) - int(v)
    return qty, value


def cells(
    uow: UnitOfWork, at: dt.datetime, *, direction: str | None = None
) -> dict[tuple[int, int], tuple[int, int]]:
    """(sku_id, warehouse_id) -> (quantity, value in cents) at ``at``, for every warehouse.

    Cells with neither quantity nor value are left out. ``direction`` (``forward`` or
    ``backward``) overrides the choice of side, for tests and benchmarks.
    """
    if direction is None:
        bounds = _bounds(uow)
        if bounds is None or at < bounds[0]:
            return {}
        lo, hi = bounds
        direction = "backward" if at >= hi or (at - lo) > (hi - at) else "forward"
    qty, value = (_backward if direction == "backward" else _forward)(uow, at)
    by_sku: dict[int, list[tuple[int, int]]] = {}
    for (s, w), q in qty.items():
        by_sku.setdefault(s, []).append((w, q))
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for s, v in value.items():
        whs = sorted(by_sku.get(s, []))
        parts = rules.allocate(v, [q for _, q in whs])
        for (w, q), part in zip(whs, parts, strict=True):
            if q or part:
                out[(s, w)] = (q, part)
    return out


def _bad_group(group: str) -> Invalid:
    return Invalid(
        "inventory.bad_report_group",
        "Group the report by one of: {groups}",
        "报表分组必须是以下之一：{groups}",
        groups=", ".join(GROUPS),
    )


def valuation_report(
    uow: UnitOfWork,
    *,
    at: dt.datetime,
    warehouse_code: str | None = None,
    group: str = SKU,
    cursor: str | None = None,
    limit: int | None = 200,
) -> ValuationReport:
    """Quantity and value at ``at`` in the warehouses the actor may see.

    ``group``: ``sku`` — a row per warehouse and SKU (by SKU code, then warehouse code; paged by
    ``cursor``/``limit``, ``limit=None`` for all); ``warehouse`` — a row per warehouse;
    ``category`` — a row per category of the SKUs' products and warehouse (neither is paged).
    The totals cover the whole report.
    """
    if group not in GROUPS:
        raise _bad_group(group)
    at = to_utc(at)
    w_ids = _scoped_warehouse_ids(uow, warehouse_code)
    found = cells(uow, at) if w_ids != [] else {}
    if w_ids is not None:
        keep = set(w_ids)
        found = {k: c for k, c in found.items() if k[1] in keep}
    whs = {
        r.id: (r.code, r.name)
        for r in uow.conn.execute(select(warehouse.c.id, warehouse.c.code, warehouse.c.name))
    }
    total_qty = sum(q for q, _ in found.values())
    total_value = sum(v for _, v in found.values())
    if group == WAREHOUSE:
        per: dict[int, list[int]] = {}
        for (_s, w), (q, v) in found.items():
            acc = per.setdefault(w, [0, 0, 0])
            acc[0] += 1
            acc[1] += q
            acc[2] += v
        rows = sorted(
            (ValuationRow(whs[w][0], whs[w][1], None, None, n, q, v) for w, (n, q, v) in per.items()),
            key=lambda r: r.warehouse,
        )
        return ValuationReport(at, group, rows, total_qty, total_value, None)
    if group == CATEGORY:
        cats = catalog.sku_categories(uow, {s for s, _ in found})
        per_cat: dict[tuple, list[int]] = {}
        for (s, w), (q, v) in found.items():
            acc = per_cat.setdefault((cats.get(s, (None, None)), w), [0, 0, 0])
            acc[0] += 1
            acc[1] += q
            acc[2] += v
        rows = [
            ValuationRow(whs[w][0], whs[w][1], None, None, n, q, v, cat[0], cat[1])
            for (cat, w), (n, q, v) in per_cat.items()
        ]
        rows.sort(key=lambda r: (r.category is None, r.category or "", r.warehouse))
        return ValuationReport(at, group, rows, total_qty, total_value, None)

    sku_t = catalog.sku_view
    sku_ids = sorted({s for s, _ in found})
    names: dict[int, tuple[str, str]] = {}
    for i in range(0, len(sku_ids), 500):
        chunk = sku_ids[i : i + 500]
        for r in uow.conn.execute(
            select(sku_t.c.id, sku_t.c.code, sku_t.c.name).where(sku_t.c.id.in_(chunk))
        ):
            names[r.id] = (r.code, r.name)
    keyed = sorted(((names[s][0], whs[w][0]), s, w) for s, w in found)
    after = decode_cursor(cursor)
    if after:
        try:
            pos = (str(after["s"]), str(after["w"]))
        except (KeyError, TypeError) as exc:
            raise Invalid("request.bad_cursor", "The page cursor is not valid", "分页游标无效") from exc
        keyed = [k for k in keyed if k[0] > pos]
    page = keyed if limit is None else keyed[:limit]
    rows = [
        ValuationRow(whs[w][0], whs[w][1], names[s][0], names[s][1], 1, *found[(s, w)]) for _, s, w in page
    ]
    nxt = None
    if limit is not None and len(keyed) > limit:
        nxt = encode_cursor({"s": page[-1][0][0], "w": page[-1][0][1]})
    return ValuationReport(at, group, rows, total_qty, total_value, nxt)


def pool_values_at(uow: UnitOfWork, at: dt.datetime) -> dict[int, tuple[int, int]]:
    """sku_id -> (pool qty, pool value) recorded on each SKU's last move dated ≤ ``at`` (a check
    of the report: Σ over warehouses must equal it)."""
    at = to_utc(at)
    last = (
        select(sm.id)
        .where(sm.sku_id == cp.sku_id, sm.at <= at)
        .order_by(sm.at.desc(), sm.id.desc())
        .limit(1)
        .correlate(cost_pool)
        .scalar_subquery()
    )
    rows = uow.conn.execute(
        select(sm.sku_id, sm.pool_qty, sm.pool_value).where(sm.id.in_(select(last).select_from(cost_pool)))
    )
    return {r.sku_id: (int(r.pool_qty), int(r.pool_value)) for r in rows}
