"""The replenishment workbench (智能补货): suggestions per warehouse and SKU from sales history,
slow-moving and overstock lists, and turning chosen suggestions into draft purchase orders.

Reads in bulk (a handful of queries whatever the size), then computes every row at once with
``replenishment.suggest`` (NumPy). Rows are explainable: each carries the numbers its suggestion
came from (model and backtest error, demand, lead time, safety stock, position, reorder point).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Invalid
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import forecast, rules
from omnistock.purchasing import replenishment as rp
from omnistock.purchasing import service as po_service
from omnistock.purchasing.models import purchase_order, purchase_order_line, supplier, supplier_sku

HISTORY_DAYS = rp.HISTORY_DAYS
OPEN_STATES = (rules.SUBMITTED, rules.APPROVED, rules.SENT, rules.PARTIAL)
DEFAULT_LEAD = 7


@dataclass(frozen=True)
class Source:
    supplier: str
    supplier_id: int
    price_cents: int
    moq: int
    pack: int
    lead: int


def preferred_sources(uow: UnitOfWork) -> dict[int, Source]:
    """SKU id -> where it is bought: the supplier row marked preferred, else the cheapest."""
    ss = supplier_sku.c
    rows = uow.conn.execute(
        select(
            ss.sku_id,
            supplier.c.code,
            ss.supplier_id,
            ss.price_cents,
            ss.moq,
            ss.pack_size,
            ss.preferred,
            supplier.c.lead_time_days,
        )
        .select_from(supplier_sku.join(supplier, supplier.c.id == ss.supplier_id))
        .where(supplier.c.active.is_(True))
        .order_by(ss.sku_id, ss.preferred.desc(), ss.price_cents, supplier.c.code)
    )
    out: dict[int, Source] = {}
    for r in rows:
        out.setdefault(
            r.sku_id, Source(r.code, r.supplier_id, r.price_cents, r.moq, r.pack_size, r.lead_time_days)
        )
    return out


def open_order_qty(uow: UnitOfWork) -> dict[tuple[int, int], int]:
    """(warehouse id, SKU id) -> ordered and not yet received on submitted or later open orders."""
    po, pol = purchase_order.c, purchase_order_line.c
    rows = uow.conn.execute(
        select(po.warehouse_id, pol.sku_id, func.sum(pol.qty - pol.received))
        .select_from(purchase_order_line.join(purchase_order, po.id == pol.order_id))
        .where(po.status.in_(OPEN_STATES), pol.qty > pol.received)
        .group_by(po.warehouse_id, pol.sku_id)
    ).all()
    return {(w, s): int(q) for w, s, q in rows}


def _compute(uow: UnitOfWork, warehouse: str | None, today: dt.date | None):
    uow.actor.require("purchasing.replenishment.read")
    today = today or utcnow().date()
    cfg = po_service.settings(uow)
    whs = inventory.list_warehouses(uow)
    if warehouse:
        whs = [w for w in whs if w.code == warehouse]
        if not whs:
            inventory.warehouse_ref(uow, warehouse)
    skus = catalog.planning_skus(uow)
    n_w, n_s = len(whs), len(skus)
    w_index = {w.id: i for i, w in enumerate(whs)}
    s_index = {s.id: i for i, s in enumerate(skus)}
    n = n_w * n_s
    since = today - dt.timedelta(days=HISTORY_DAYS)
    sold = inventory.daily_shipped(uow, since=since, until=today, exclude=("supplier_return",))
    history = rp.sales_matrix(sold, w_index, s_index, HISTORY_DAYS)

    def per_row(values: dict[tuple[int, int], int], pick=lambda v: v) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        for (w, s), v in values.items():
            if w in w_index and s in s_index:
                out[w_index[w] * n_s + s_index[s]] = pick(v)
        return out

    positions = inventory.stock_positions(uow, today=today)
    on_hand = per_row(positions, lambda v: v[0])
    available = per_row(positions, lambda v: v[1])
    open_po = per_row(open_order_qty(uow))
    in_transit = per_row(inventory.in_transit_to(uow))
    sources = preferred_sources(uow)
    src = [sources.get(s.id) for s in skus]
    tile = lambda values: np.tile(np.asarray(values, dtype=np.int64), n_w)  # noqa: E731
    lead = tile([x.lead if x else DEFAULT_LEAD for x in src])
    moq = tile([x.moq if x else 1 for x in src])
    pack = tile([x.pack if x else 1 for x in src])
    safety = tile([s.safety_stock for s in skus])
    f, p, health, sold = rp.suggest(
        history,
        lead=lead,
        catalog_safety=safety,
        on_hand=on_hand,
        available=available,
        open_po=open_po,
        in_transit=in_transit,
        moq=moq,
        pack=pack,
        target_days=int(cfg["target_days"]),
        overstock_days=int(cfg["overstock_days"]),
    )
    return (
        whs,
        skus,
        src,
        (history, on_hand, available, open_po, in_transit, lead, moq, pack),
        f,
        p,
        health,
        sold,
    )


def _num(x: float, digits: int = 2) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def replenishment(
    uow: UnitOfWork,
    *,
    warehouse: str | None = None,
    due_only: bool = False,
    today: dt.date | None = None,
    limit: int = 2000,
) -> dict:
    """Suggestions, most urgent first. Rows with no sales, stock, orders or safety stock are left
    out; ``due_only`` keeps those with something to order."""
    whs, skus, src, arrays, f, p, _, sold = _compute(uow, warehouse, today)
    history, on_hand, available, open_po, in_transit, lead, moq, pack = arrays
    n_s = len(skus)
    active = (history.sum(axis=1) > 0) | (on_hand > 0) | (open_po > 0) | (in_transit > 0) | (p.safety > 0)
    if due_only:
        active &= p.qty > 0
    idx = np.flatnonzero(active)
    idx = idx[np.lexsort((np.nan_to_num(p.slack[idx], posinf=1e18), p.urgency[idx]))]
    counts = {u: int((p.urgency[np.flatnonzero(active)] == i).sum()) for i, u in enumerate(rp.URGENCIES)}
    rows = []
    for i in idx[:limit].tolist():
        w, s = whs[i // n_s], skus[i % n_s]
        source = src[i % n_s]
        rows.append(
            {
                "warehouse": w.code,
                "sku": s.code,
                "name": s.name,
                "model": forecast.MODELS[int(f.model[i])],
                "backtest_mae": _num(f.mae[i], 3),
                "backtest_wmape": _num(f.wmape[i], 3),
                "naive_mae": _num(f.naive_mae[i], 3),
                "daily_demand": _num(f.daily[i], 3),
                "sold_30d": int(sold[i]),
                "lead_time_days": int(lead[i]),
                "safety_stock": int(p.safety[i]),
                "safety_from_catalog": bool(p.safety_from_catalog[i]),
                "on_hand": int(on_hand[i]),
                "available": int(available[i]),
                "open_po": int(open_po[i]),
                "in_transit": int(in_transit[i]),
                "position": int(p.position[i]),
                "reorder_point": int(p.reorder_point[i]),
                "target_level": int(p.target[i]),
                "need": int(p.need[i]),
                "suggested_qty": int(p.qty[i]),
                "moq": int(moq[i]),
                "pack_size": int(pack[i]),
                "supplier": source.supplier if source else None,
                "price_cents": source.price_cents if source else None,
                "days_of_cover": _num(p.days_of_cover[i], 1),
                "slack_days": _num(p.slack[i], 1),
                "urgency": rp.URGENCIES[int(p.urgency[i])],
            }
        )
    return {
        "rows": rows,
        "total": int(active.sum()),
        "counts": counts,
        "history_days": HISTORY_DAYS,
        "target_days": int(po_service.settings(uow)["target_days"]),
    }


def stock_health(
    uow: UnitOfWork, *, warehouse: str | None = None, today: dt.date | None = None
) -> list[dict]:
    """Slow-moving (stock, nothing sold in 30 days) and overstock (days of cover above the
    setting) rows, the most days of cover first."""
    whs, skus, _, arrays, f, p, health, sold = _compute(uow, warehouse, today)
    on_hand = arrays[1]
    n_s = len(skus)
    idx = np.flatnonzero(health != "")
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(f.daily > 0, on_hand / np.where(f.daily > 0, f.daily, 1.0), np.inf)
    idx = idx[np.argsort(-np.nan_to_num(cover[idx], posinf=1e18), kind="stable")]
    return [
        {
            "warehouse": whs[i // n_s].code,
            "sku": skus[i % n_s].code,
            "name": skus[i % n_s].name,
            "kind": str(health[i]),
            "on_hand": int(on_hand[i]),
            "sold_30d": int(sold[i]),
            "daily_demand": _num(f.daily[i], 3),
            "days_of_cover": _num(cover[i], 1),
        }
        for i in idx[:2000].tolist()
    ]


@dataclass(frozen=True)
class Pick:
    warehouse: str
    sku: str
    qty: int


def create_draft_orders(uow: UnitOfWork, picks: Sequence[Pick]) -> list[dict]:
    """Chosen suggestions become draft purchase orders, one per (preferred supplier, warehouse),
    at the supplier's prices."""
    uow.actor.require("purchasing.po.create")
    if not picks:
        raise Invalid("purchasing.no_lines", "Choose at least one suggestion", "请至少选择一条建议")
    sources = preferred_sources(uow)
    groups: dict[tuple[str, str], list[po_service.OrderLineIn]] = {}
    for pk in picks:
        s = catalog.sku_ref(uow, pk.sku)
        src = sources.get(s.id)
        if src is None:
            raise Invalid(
                "purchasing.no_supplier",
                "{sku} has no supplier: add it to a supplier first",
                "{sku} 没有供应商，请先在供应商中添加",
                sku=pk.sku,
            )
        groups.setdefault((src.supplier, pk.warehouse), []).append(
            po_service.OrderLineIn(pk.sku, pk.qty, src.price_cents)
        )
    return [
        po_service.create_order(uow, supplier_code=sup, warehouse=wh, lines=lines, source="replenishment")
        for (sup, wh), lines in sorted(groups.items())
    ]
