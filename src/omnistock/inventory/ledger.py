"""The posting engine: balances and valuation, on the hot path of every stock event.

Lock order, the same in every transaction so that concurrent writers never deadlock: a
document's own rows first (orders, reservations), then balances by (SKU, warehouse), then cost
pools by SKU. Reservations are single conditional UPDATEs (``on_hand - reserved >= q``), so
stock is never oversold and no caller ever sees a serialization error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, tuple_, update

from omnistock.catalog.service import SkuRef
from omnistock.inventory import rules
from omnistock.inventory.models import cost_pool, stock_move
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict
from omnistock.platform.sql import Raw, Sql, raw
from omnistock.platform.uow import UnitOfWork

ADD_ON_HAND = Sql(
    "INSERT INTO stock_balance (warehouse_id, sku_id, lot_id, on_hand, reserved) VALUES (:w, :s, 0, :q, 0) "
    "ON CONFLICT (warehouse_id, sku_id, lot_id) DO UPDATE SET on_hand = stock_balance.on_hand + excluded.on_hand"
)
TAKE_FREE = Sql(
    "UPDATE stock_balance SET on_hand = on_hand - :q "
    "WHERE warehouse_id = :w AND sku_id = :s AND lot_id = 0 AND on_hand - reserved >= :q"
)
RESERVE = Sql(
    "UPDATE stock_balance SET reserved = reserved + :q "
    "WHERE warehouse_id = :w AND sku_id = :s AND lot_id = 0 AND on_hand - reserved >= :q"
)
UNRESERVE = Sql("UPDATE stock_balance SET reserved = reserved - :q WHERE warehouse_id = :w AND sku_id = :s AND lot_id = 0")
CONSUME = Sql(
    "UPDATE stock_balance SET on_hand = on_hand - :q, reserved = reserved - :q "
    "WHERE warehouse_id = :w AND sku_id = :s AND lot_id = 0 AND reserved >= :q AND on_hand >= :q"
)
SET_ON_HAND = Sql("UPDATE stock_balance SET on_hand = :q WHERE warehouse_id = :w AND sku_id = :s AND lot_id = 0")
_BALANCE = "SELECT on_hand, reserved FROM stock_balance WHERE warehouse_id = :w AND sku_id = :s AND lot_id = 0"
BALANCE = Sql(_BALANCE)
BALANCE_FOR_UPDATE = Sql(_BALANCE, pg=_BALANCE + " FOR UPDATE")
_POOL = "SELECT qty, value_cents, layers, last_receipt_unit_cents, last_at FROM cost_pool WHERE sku_id = :s"
POOL_FOR_UPDATE = Sql(_POOL, pg=_POOL + " FOR UPDATE")
POOL_UPSERT = Sql(
    "INSERT INTO cost_pool (sku_id, qty, value_cents, layers, last_receipt_unit_cents, last_at) "
    "VALUES (:s, :qty, :value, :layers, :last_unit, :last_at) "
    "ON CONFLICT (sku_id) DO UPDATE SET qty = excluded.qty, value_cents = excluded.value_cents, "
    "layers = excluded.layers, last_receipt_unit_cents = excluded.last_receipt_unit_cents, last_at = excluded.last_at"
)
MOVE_INSERT = Sql(
    "INSERT INTO stock_move (at, warehouse_id, sku_id, lot_id, kind, qty, value_cents, doc_type, doc_id, line_no, "
    "ref, reason, pool_qty, pool_value, layers, posted_at) VALUES (:at, :w, :s, 0, :kind, :qty, :value, :doc_type, "
    ":doc_id, :line_no, :ref, :reason, :pool_qty, :pool_value, :layers, :posted_at)"
)


def balance(r: Raw, warehouse_id: int, sku_id: int, *, lock: bool = False) -> tuple[int, int]:
    row = r.one(BALANCE_FOR_UPDATE if lock else BALANCE, {"w": warehouse_id, "s": sku_id})
    return (row[0], row[1]) if row else (0, 0)


def available(r: Raw, warehouse_id: int, sku_id: int) -> int:
    on_hand, reserved = balance(r, warehouse_id, sku_id)
    return on_hand - reserved


@dataclass
class Move:
    """A ledger row to post; ``value`` is given for receipts, returns and priced adjustments,
    and computed by the valuation for everything else."""

    sku: SkuRef
    warehouse_id: int
    kind: str
    qty: int
    doc_type: str
    doc_id: int
    line_no: int
    ref: str
    value: int | None = None
    reason: str | None = None
    unit_cost: int | None = None  # receipts: becomes the SKU's "last receipt unit cost"


def _valuation(method: str, qty: int, value: int, layers) -> rules.Valuation:
    if method == rules.FIFO:
        return rules.Valuation(method, [list(x) for x in (layers or [])])
    return rules.Valuation(method, [[qty, value]] if qty else [])


def _apply(val: rules.Valuation, kind: str, qty: int, given: int | None, last_unit: int) -> int:
    """Value one move against ``val`` (mutating it); returns the move's signed value."""
    if kind in rules.VALUE_NEUTRAL:
        return 0
    if kind in rules.OUTFLOWS:
        try:
            return -val.take(-qty)
        except rules.InsufficientValuation as exc:
            raise Conflict(
                "inventory.valuation_short",
                "Not enough stock of this SKU at that time to take {wanted} out (had {have})",
                "该时点该 SKU 的库存不足以出库 {wanted}（当时只有 {have}）",
                wanted=exc.wanted, have=exc.have,
            ) from exc
    value = val.gain_value(qty, last_unit) if kind == rules.COUNT_GAIN or given is None else given
    val.add(qty, value)
    return value


def post(uow: UnitOfWork, at: dt.datetime, moves: list[Move]) -> list[int]:
    """Value and write ledger rows (several SKUs at once); returns each move's value, in order.

    Each SKU's pool is locked and updated once. A move dated before the SKU's latest move
    re-values that SKU from its date forward.
    """
    r = raw(uow.conn)
    by_sku: dict[int, list[int]] = {}
    for i, m in enumerate(moves):
        by_sku.setdefault(m.sku.id, []).append(i)
    values: list[int] = [0] * len(moves)
    now = r.dt(utcnow())
    at_db = r.dt(at)
    rows, pools = [], []
    for sku_id in sorted(by_sku):
        idx = by_sku[sku_id]
        sku = moves[idx[0]].sku
        fifo = sku.cost_method == rules.FIFO
        pool = r.one(POOL_FOR_UPDATE, {"s": sku_id})
        if pool is not None and at < r.read_dt(pool[4]):
            for i, v in zip(idx, _post_backdated(uow, sku, at, [moves[i] for i in idx]), strict=True):
                values[i] = v
            continue
        if pool is None:
            val, last_unit, last_at = rules.Valuation(sku.cost_method), 0, at_db
        else:
            val = _valuation(sku.cost_method, pool[0], pool[1], r.read_json(pool[2]))
            last_unit, last_at = pool[3], at_db
        for i in idx:
            m = moves[i]
            value = values[i] = _apply(val, m.kind, m.qty, m.value, last_unit)
            if m.kind == rules.RECEIPT:
                last_unit = m.unit_cost or 0
            rows.append({
                "at": at_db, "w": m.warehouse_id, "s": sku_id, "kind": m.kind, "qty": m.qty, "value": value,
                "doc_type": m.doc_type, "doc_id": m.doc_id, "line_no": m.line_no, "ref": m.ref, "reason": m.reason,
                "pool_qty": val.qty, "pool_value": val.value, "layers": r.json(val.layers) if fifo else None,
                "posted_at": now,
            })
        pools.append({"s": sku_id, "qty": val.qty, "value": val.value, "layers": r.json(val.layers) if fifo else None,
                      "last_unit": last_unit, "last_at": last_at})
    r.executemany(MOVE_INSERT, rows)
    r.executemany(POOL_UPSERT, pools)
    return values


_REVALUE = (
    update(stock_move)
    .where(stock_move.c.id == bindparam("move_id"))
    .values(value_cents=bindparam("v"), pool_qty=bindparam("pq"), pool_value=bindparam("pv"), layers=bindparam("pl"))
)


def _post_backdated(uow: UnitOfWork, sku: SkuRef, at: dt.datetime, moves: list[Move]) -> list[int]:
    """Post moves dated before the SKU's latest move, then re-value that SKU from ``at`` on:
    start from the valuation recorded on the last move before ``at``, never from the start."""
    conn = uow.conn
    r = raw(conn)
    fifo = sku.cost_method == rules.FIFO
    sm = stock_move.c
    prior = conn.execute(
        select(sm.pool_qty, sm.pool_value, sm.layers)
        .where(sm.sku_id == sku.id, sm.at <= at)
        .order_by(sm.at.desc(), sm.id.desc())
        .limit(1)
    ).first()
    val = _valuation(sku.cost_method, prior.pool_qty, prior.pool_value, prior.layers) if prior \
        else rules.Valuation(sku.cost_method)
    last = conn.execute(
        select(sm.value_cents, sm.qty)
        .where(sm.sku_id == sku.id, sm.kind == rules.RECEIPT, sm.at <= at)
        .order_by(sm.at.desc(), sm.id.desc())
        .limit(1)
    ).first()
    last_unit = last.value_cents // last.qty if last else 0
    now, at_db = r.dt(utcnow()), r.dt(at)
    rows, values = [], []
    for m in moves:
        value = _apply(val, m.kind, m.qty, m.value, last_unit)
        if m.kind == rules.RECEIPT:
            last_unit = m.unit_cost or 0
        values.append(value)
        rows.append({
            "at": at_db, "w": m.warehouse_id, "s": sku.id, "kind": m.kind, "qty": m.qty, "value": value,
            "doc_type": m.doc_type, "doc_id": m.doc_id, "line_no": m.line_no, "ref": m.ref, "reason": m.reason,
            "pool_qty": val.qty, "pool_value": val.value, "layers": r.json(val.layers) if fifo else None,
            "posted_at": now,
        })
    r.executemany(MOVE_INSERT, rows)

    later = conn.execute(
        select(sm.id, sm.kind, sm.qty, sm.value_cents, sm.doc_type, sm.doc_id, sm.line_no, sm.pool_qty,
               sm.pool_value, sm.layers)
        .where(sm.sku_id == sku.id, sm.at > at)
        .order_by(sm.at, sm.id)
    ).all()
    # A return gives back cost out of its sales line's remaining cost: know each such line's
    # sums (shipments and returns) up to ``at``, then carry them forward through the loop.
    keys = list({(x.doc_type, x.doc_id, x.line_no) for x in later if x.kind == rules.RETURN})
    sums: dict[tuple, list[int]] = {k: [0, 0] for k in keys}
    for i in range(0, len(keys), 500):
        for row in conn.execute(
            select(sm.doc_type, sm.doc_id, sm.line_no, func.sum(sm.qty), func.sum(sm.value_cents))
            .where(sm.sku_id == sku.id, sm.at <= at, tuple_(sm.doc_type, sm.doc_id, sm.line_no).in_(keys[i:i + 500]))
            .group_by(sm.doc_type, sm.doc_id, sm.line_no)
        ):
            sums[(row[0], row[1], row[2])] = [int(row[3]), int(row[4])]
    changed = []
    for x in later:
        key = (x.doc_type, x.doc_id, x.line_no)
        if x.kind == rules.RETURN:
            s = sums[key]
            value = rules.line_return_share(-s[0], -s[1], x.qty)
            val.add(x.qty, value)
        else:
            value = _apply(val, x.kind, x.qty, x.value_cents, last_unit)
            if x.kind == rules.RECEIPT:
                last_unit = x.value_cents // x.qty
        if key in sums:
            sums[key][0] += x.qty
            sums[key][1] += value
        layers = val.snapshot() if fifo else None
        if value != x.value_cents or val.qty != x.pool_qty or val.value != x.pool_value or layers != x.layers:
            changed.append({"move_id": x.id, "v": value, "pq": val.qty, "pv": val.value, "pl": layers})
    if changed:
        conn.execute(_REVALUE, changed)
    conn.execute(
        update(cost_pool).where(cost_pool.c.sku_id == sku.id)
        .values(qty=val.qty, value_cents=val.value, layers=val.snapshot() if fifo else None,
                last_receipt_unit_cents=last_unit)
    )
    if changed:
        uow.audit("inventory.revalue", "sku", sku.code, after={"from": at.isoformat(), "moves": len(changed)})
    return values


def line_remaining(uow: UnitOfWork, doc_type: str, doc_id: int, line_no: int) -> tuple[int, int]:
    """(qty, cost) of a shipped document line not yet returned."""
    sm = stock_move.c
    q, v = uow.conn.execute(
        select(func.coalesce(func.sum(sm.qty), 0), func.coalesce(func.sum(sm.value_cents), 0))
        .where(sm.doc_type == doc_type, sm.doc_id == doc_id, sm.line_no == line_no)
    ).one()
    return -int(q), -int(v)
