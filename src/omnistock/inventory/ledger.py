"""The posting engine: balances and valuation, on the hot path of every stock event.

Lock order, the same in every transaction so that concurrent writers never deadlock: a
document's own rows first (orders, reservations), then balances by (SKU, warehouse), then cost
pools by SKU. Reservations are single conditional UPDATEs (``on_hand - reserved >= q``), so
stock is never oversold and no caller ever sees a serialization error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from omnistock.catalog.service import SkuRef
from omnistock.inventory import rules
from omnistock.platform import events
from omnistock.platform.cache import CodeCache
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict
from omnistock.platform.sql import Raw, Sql, raw
from omnistock.platform.uow import UnitOfWork

# Every balance statement names the lot: 0 for SKUs without batches.
ADD_ON_HAND = Sql(
    "INSERT INTO stock_balance (warehouse_id, sku_id, lot_id, on_hand, reserved) VALUES (:w, :s, :lot, :q, 0) "
    "ON CONFLICT (warehouse_id, sku_id, lot_id) DO UPDATE SET on_hand = stock_balance.on_hand + excluded.on_hand"
)
TAKE_FREE = Sql(
    "UPDATE stock_balance SET on_hand = on_hand - :q "
    "WHERE warehouse_id = :w AND sku_id = :s AND lot_id = :lot AND on_hand - reserved >= :q"
)
RESERVE = Sql(
    "UPDATE stock_balance SET reserved = reserved + :q "
    "WHERE warehouse_id = :w AND sku_id = :s AND lot_id = :lot AND on_hand - reserved >= :q"
)
UNRESERVE = Sql(
    "UPDATE stock_balance SET reserved = reserved - :q WHERE warehouse_id = :w AND sku_id = :s AND lot_id = :lot"
)
# Consuming an open reservation cannot fail while reserved = Σ open reservations ≤ on-hand; were
# that ever broken, the balance's CHECK constraints refuse the update loudly.
CONSUME = Sql(
    "UPDATE stock_balance SET on_hand = on_hand - :q, reserved = reserved - :q "
    "WHERE warehouse_id = :w AND sku_id = :s AND lot_id = :lot"
)
SET_ON_HAND = Sql(
    "UPDATE stock_balance SET on_hand = :q WHERE warehouse_id = :w AND sku_id = :s AND lot_id = :lot"
)
_BALANCE = (
    "SELECT on_hand, reserved FROM stock_balance WHERE warehouse_id = :w AND sku_id = :s AND lot_id = :lot"
)
BALANCE = Sql(_BALANCE)
BALANCE_FOR_UPDATE = Sql(_BALANCE, pg=_BALANCE + " FOR UPDATE")
_POOL = "SELECT qty, value_cents, layers, last_receipt_unit_cents, last_at, version FROM cost_pool WHERE sku_id = :s"
POOL_FOR_UPDATE = Sql(_POOL, pg=_POOL + " FOR UPDATE")
POOL_INSERT = Sql(
    "INSERT INTO cost_pool (sku_id, qty, value_cents, layers, last_receipt_unit_cents, last_at, version) "
    "VALUES (:s, :qty, :value, :layers, :last_unit, :last_at, :version) ON CONFLICT (sku_id) DO NOTHING"
)
# Guarded by the version this transaction based its values on: 0 rows means someone else changed
# the pool since, and the values are computed again from the locked row.
POOL_UPDATE = Sql(
    "UPDATE cost_pool SET qty = :qty, value_cents = :value, layers = :layers, last_receipt_unit_cents = :last_unit, "
    "last_at = :last_at, version = :version WHERE sku_id = :s AND version = :base"
)
MOVE_INSERT = Sql(
    "INSERT INTO stock_move (at, warehouse_id, sku_id, lot_id, kind, qty, value_cents, doc_type, doc_id, line_no, "
    "ref, reason, pool_qty, pool_value, layers, posted_at) VALUES (:at, :w, :s, :lot, :kind, :qty, :value, :doc_type, "
    ":doc_id, :line_no, :ref, :reason, :pool_qty, :pool_value, :layers, :posted_at)"
)
MOVE_INSERT_RETURNING = Sql(MOVE_INSERT.text + " RETURNING id")
MOVE_SERIAL = Sql("INSERT INTO stock_move_serial (serial_id, move_id) VALUES (:serial, :move)")


def balance(r: Raw, warehouse_id: int, sku_id: int, *, lot: int = 0, lock: bool = False) -> tuple[int, int]:
    row = r.one(BALANCE_FOR_UPDATE if lock else BALANCE, {"w": warehouse_id, "s": sku_id, "lot": lot})
    return (row[0], row[1]) if row else (0, 0)


def available(r: Raw, warehouse_id: int, sku_id: int, *, lot: int = 0) -> int:
    on_hand, reserved = balance(r, warehouse_id, sku_id, lot=lot)
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
    lot_id: int = 0
    serial_ids: tuple[int, ...] = ()  # the units of a serial-tracked SKU this row moves


@dataclass(frozen=True)
class ValueChange:
    """What a ledger row did to the inventory's value: ``value`` cents (signed: in > 0), of a move
    of ``kind`` by a document; a re-valuation reports the difference it made to an earlier row."""

    kind: str
    doc_type: str
    doc_id: int
    ref: str | None
    sku_id: int
    value: int


@dataclass(frozen=True)
class StockValued:
    """Published as ``inventory.valued`` in the transaction of every posting that changed the
    inventory's value; ``revaluation``: the changes a back-dated document made to later rows."""

    at: dt.datetime
    changes: tuple[ValueChange, ...]
    revaluation: bool = False


VALUED = "inventory.valued"


def _publish(
    uow: UnitOfWork, at: dt.datetime, changes: list[ValueChange], *, revaluation: bool = False
) -> None:
    if changes:
        events.publish(uow, VALUED, StockValued(at, tuple(changes), revaluation))


@dataclass(frozen=True)
class PoolState:
    """A SKU's valuation as committed: what the per-process cache holds."""

    qty: int
    value: int
    layers: tuple  # FIFO layers ((qty, value), ...); () for average
    last_unit: int
    last_at: dt.datetime
    version: int


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
                wanted=exc.wanted,
                have=exc.have,
            ) from exc
    value = val.gain_value(qty, last_unit) if kind == rules.COUNT_GAIN or given is None else given
    val.add(qty, value)
    return value


# sku_id -> PoolState, per database; entries are written after the transaction commits and are
# only ever a hint: every write is guarded by the pool's version.
_pools = CodeCache("cost_pool", max_size=500_000)


def _read_pool(r: Raw, sku_id: int) -> PoolState | None:
    row = r.one(POOL_FOR_UPDATE, {"s": sku_id})
    if row is None:
        return None
    layers = r.read_json(row[2])
    return PoolState(
        row[0], row[1], tuple(tuple(x) for x in layers) if layers else (), row[3], r.read_dt(row[4]), row[5]
    )


def _value(sku: SkuRef, state: PoolState | None, at: dt.datetime, moves: list[Move]):
    """Values of ``moves`` taken in order from ``state``; returns (values, valuation after, last unit)."""
    if state is None:
        val, last_unit = rules.Valuation(sku.cost_method), 0
    else:
        val, last_unit = _valuation(sku.cost_method, state.qty, state.value, state.layers), state.last_unit
    values, snapshots = [], []
    fifo = sku.cost_method == rules.FIFO
    for m in moves:
        values.append(_apply(val, m.kind, m.qty, m.value, last_unit))
        if m.kind == rules.RECEIPT:
            last_unit = m.unit_cost or 0
        snapshots.append((val.qty, val.value, val.snapshot() if fifo else None))
    return values, snapshots, val, last_unit


def _plan(r: Raw, sku: SkuRef, state: PoolState | None, at: dt.datetime, moves: list[Move]):
    """Values of ``moves`` from ``state``, the state after them, and the pool write's parameters."""
    vals, snaps, val, last_unit = _value(sku, state, at, moves)
    fifo = sku.cost_method == rules.FIFO
    new = PoolState(
        val.qty,
        val.value,
        tuple(tuple(x) for x in val.layers) if fifo else (),
        last_unit,
        max(at, state.last_at) if state else at,
        (state.version if state else 0) + 1,
    )
    params = {
        "s": sku.id,
        "qty": new.qty,
        "value": new.value,
        "layers": r.json(val.layers) if fifo else None,
        "last_unit": last_unit,
        "last_at": r.dt(new.last_at),
        "version": new.version,
        "base": state.version if state else 0,
    }
    return vals, snaps, new, params


_SHIPPED_DAILY = Sql(
    "INSERT INTO shipped_daily (warehouse_id, sku_id, day, doc_type, qty) VALUES (:w, :s, :day, :doc_type, :q) "
    "ON CONFLICT (warehouse_id, sku_id, day, doc_type) DO UPDATE SET qty = shipped_daily.qty + excluded.qty"
)


def _count_shipped(r: Raw, at: dt.datetime, moves: list[Move]) -> None:
    """Add the shipments among ``moves`` to the day's totals (one row per warehouse, SKU and
    document type), in SKU order like every other write here."""
    totals: dict[tuple[int, int, str], int] = {}
    for m in moves:
        if m.kind == rules.SHIPMENT:
            key = (m.sku.id, m.warehouse_id, m.doc_type)
            totals[key] = totals.get(key, 0) - m.qty
    if totals:
        day = r.day(at.date())
        r.queue_many(
            _SHIPPED_DAILY,
            [{"w": w, "s": s, "day": day, "doc_type": d, "q": q} for (s, w, d), q in sorted(totals.items())],
        )


def post(uow: UnitOfWork, at: dt.datetime, moves: list[Move]) -> list[int]:
    """Value and write ledger rows (several SKUs at once); returns each move's value, in order.

    Each SKU's pool is changed once, in SKU order, by one UPDATE guarded by the version the
    values were computed from (the cached state, usually). When someone else changed the pool
    since, the locked row is read and the values computed again. A move dated before the SKU's
    latest move re-values that SKU from its date forward.
    """
    r = raw(uow.conn)
    by_sku: dict[int, list[int]] = {}
    for i, m in enumerate(moves):
        by_sku.setdefault(m.sku.id, []).append(i)
    values: list[int] = [0] * len(moves)
    now, at_db = r.dt(utcnow()), r.dt(at)
    rows, row_moves = [], []
    for sku_id in sorted(by_sku):
        idx = by_sku[sku_id]
        sku_moves = [moves[i] for i in idx]
        sku = sku_moves[0].sku
        fifo = sku.cost_method == rules.FIFO
        state = _pools.get(uow, sku_id)
        cached = state is not None
        if not cached:
            state = _read_pool(r, sku_id)
        for _attempt in range(2):
            if state is not None and at < state.last_at:
                _pools.forget(uow, sku_id)
                vals, snaps = _post_backdated(uow, sku, at, sku_moves), None
                break
            try:
                vals, snaps, new, params = _plan(r, sku, state, at, sku_moves)
            except Conflict:
                if not cached:
                    raise  # the locked row itself is short: a real refusal
                state, cached = _read_pool(r, sku_id), False  # the cache may just be stale
                continue
            if r.execute(POOL_UPDATE if state else POOL_INSERT, params) == 1:
                _pools.put_after_commit(uow, sku_id, new)
                break
            # stale cache, or the pool was just created elsewhere: read the locked row, again
            state, cached = _read_pool(r, sku_id), False
        else:  # pragma: no cover - the second try works on the row this transaction has locked
            raise Conflict(
                "inventory.concurrent_change",
                "Stock valuation changed meanwhile; try again",
                "库存成本同时被修改，请重试",
            )
        for i, v in zip(idx, vals, strict=True):
            values[i] = v
        if snaps is None:  # the back-dated path wrote its own rows
            continue
        for i, v, (pq, pv, pl) in zip(idx, vals, snaps, strict=True):
            m = moves[i]
            row_moves.append(m)
            rows.append(
                {
                    "at": at_db,
                    "w": m.warehouse_id,
                    "s": sku_id,
                    "lot": m.lot_id,
                    "kind": m.kind,
                    "qty": m.qty,
                    "value": v,
                    "doc_type": m.doc_type,
                    "doc_id": m.doc_id,
                    "line_no": m.line_no,
                    "ref": m.ref,
                    "reason": m.reason,
                    "pool_qty": pq,
                    "pool_value": pv,
                    "layers": r.json(pl) if fifo else None,
                    "posted_at": now,
                }
            )
    _write_moves(r, rows, row_moves)
    _count_shipped(r, at, moves)
    _publish(
        uow,
        at,
        [
            ValueChange(m.kind, m.doc_type, m.doc_id, m.ref, m.sku.id, v)
            for m, v in zip(moves, values, strict=True)
            if v
        ],
    )
    return values


def _write_moves(r: Raw, rows: list[dict], moves: list[Move]) -> None:
    """Insert ledger rows; those moving serial units are linked to each unit."""
    if not any(m.serial_ids for m in moves):
        r.queue_many(MOVE_INSERT, rows)
        return
    for row, m in zip(rows, moves, strict=True):
        if not m.serial_ids:
            r.queue(MOVE_INSERT, row)
            continue
        (move_id,) = r.one(MOVE_INSERT_RETURNING, row)
        r.queue_many(MOVE_SERIAL, [{"serial": s, "move": move_id} for s in m.serial_ids])


_PRIOR = Sql(
    "SELECT pool_qty, pool_value, layers FROM stock_move WHERE sku_id = :s AND at <= :at ORDER BY at DESC, id DESC LIMIT 1"
)
_LAST_RECEIPT = Sql(
    "SELECT value_cents, qty FROM stock_move WHERE sku_id = :s AND kind = 'receipt' AND at <= :at "
    "ORDER BY at DESC, id DESC LIMIT 1"
)
_LATER = Sql(
    "SELECT id, kind, qty, value_cents, doc_type, doc_id, line_no, pool_qty, pool_value, layers FROM stock_move "
    "WHERE sku_id = :s AND at > :at ORDER BY at, id"
)
_LINE_SUMS = Sql(
    "SELECT COALESCE(SUM(qty), 0), COALESCE(SUM(value_cents), 0) FROM stock_move "
    "WHERE doc_type = :doc_type AND doc_id = :doc_id AND line_no = :line_no AND sku_id = :s AND at <= :at"
)
_REVALUE = Sql(
    "UPDATE stock_move SET value_cents = :v, pool_qty = :pq, pool_value = :pv, layers = :pl WHERE id = :id"
)
_POOL_REVALUED = Sql(
    "UPDATE cost_pool SET qty = :qty, value_cents = :value, layers = :layers, last_receipt_unit_cents = :last_unit, "
    "version = version + 1 WHERE sku_id = :s"
)


def _post_backdated(uow: UnitOfWork, sku: SkuRef, at: dt.datetime, moves: list[Move]) -> list[int]:
    """Post moves dated before the SKU's latest move, then re-value that SKU from ``at`` on.

    Starts from the valuation recorded on the last ledger row at or before ``at`` (never from
    the beginning of history), walks the later rows of this SKU only, and rewrites just the rows
    whose value or recorded valuation changed.
    """
    r = raw(uow.conn)
    fifo = sku.cost_method == rules.FIFO
    r.one(POOL_FOR_UPDATE, {"s": sku.id})  # hold the SKU's valuation while it is re-valued
    at_db = r.dt(at)
    prior = r.one(_PRIOR, {"s": sku.id, "at": at_db})
    val = (
        _valuation(sku.cost_method, prior[0], prior[1], r.read_json(prior[2]))
        if prior
        else rules.Valuation(sku.cost_method)
    )
    last = r.one(_LAST_RECEIPT, {"s": sku.id, "at": at_db})
    last_unit = last[0] // last[1] if last else 0
    now = r.dt(utcnow())
    rows, values = [], []
    for m in moves:
        value = _apply(val, m.kind, m.qty, m.value, last_unit)
        if m.kind == rules.RECEIPT:
            last_unit = m.unit_cost or 0
        values.append(value)
        rows.append(
            {
                "at": at_db,
                "w": m.warehouse_id,
                "s": sku.id,
                "lot": m.lot_id,
                "kind": m.kind,
                "qty": m.qty,
                "value": value,
                "doc_type": m.doc_type,
                "doc_id": m.doc_id,
                "line_no": m.line_no,
                "ref": m.ref,
                "reason": m.reason,
                "pool_qty": val.qty,
                "pool_value": val.value,
                "layers": r.json(val.layers) if fifo else None,
                "posted_at": now,
            }
        )
    _write_moves(r, rows, list(moves))

    later = r.all(_LATER, {"s": sku.id, "at": at_db})
    # A return gives back cost out of its order line's remaining cost: take each such line's sums
    # (shipments and returns) up to ``at`` from the ledger, then carry them through the walk.
    sums: dict[tuple, list[int]] = {}
    for x in later:
        key = (x[4], x[5], x[6])
        if x[1] == rules.RETURN and key not in sums:
            q, v = r.one(
                _LINE_SUMS, {"doc_type": x[4], "doc_id": x[5], "line_no": x[6], "s": sku.id, "at": at_db}
            )
            sums[key] = [int(q), int(v)]
    changed, deltas = [], []
    take, add, gain = val.take, val.add, val.gain_value
    for move_id, kind, qty, old_value, doc_type, doc_id, line_no, old_pq, old_pv, old_layers in later:
        if kind in rules.VALUE_NEUTRAL:
            value = 0
        elif kind in rules.OUTFLOWS:
            try:
                value = -take(-qty)
            except rules.InsufficientValuation as exc:
                raise Conflict(
                    "inventory.valuation_short",
                    "A document dated then would leave too little stock for a later move ({wanted} > {have})",
                    "该日期的单据会使之后的出库库存不足（需要 {wanted}，只有 {have}）",
                    wanted=exc.wanted,
                    have=exc.have,
                ) from exc
        elif kind == rules.RETURN:
            s = sums[(doc_type, doc_id, line_no)]
            value = rules.line_return_share(-s[0], -s[1], qty)
            add(qty, value)
        elif kind == rules.COUNT_GAIN:
            value = gain(qty, last_unit)
            add(qty, value)
        else:  # receipts and priced adjustments keep their value
            value = old_value
            add(qty, value)
            if kind == rules.RECEIPT:
                last_unit = value // qty
        key = (doc_type, doc_id, line_no)
        if key in sums:
            sums[key][0] += qty
            sums[key][1] += value
        pq, pv = val.qty, val.value
        if value != old_value:
            deltas.append(ValueChange(kind, doc_type, doc_id, None, sku.id, value - old_value))
        if fifo:
            layers = r.json(val.layers)
            if value != old_value or pq != old_pq or pv != old_pv or not r.same_json(old_layers, layers):
                changed.append({"id": move_id, "v": value, "pq": pq, "pv": pv, "pl": layers})
        elif value != old_value or pq != old_pq or pv != old_pv:
            changed.append({"id": move_id, "v": value, "pq": pq, "pv": pv, "pl": None})
    r.queue_many(_REVALUE, changed)
    r.queue(
        _POOL_REVALUED,
        {
            "s": sku.id,
            "qty": val.qty,
            "value": val.value,
            "layers": r.json(val.layers) if fifo else None,
            "last_unit": last_unit,
        },
    )
    _publish(uow, at, deltas, revaluation=True)
    if changed:
        uow.audit("inventory.revalue", "sku", sku.code, after={"from": at.isoformat(), "moves": len(changed)})
    return values


_LINE_TOTALS = Sql(
    "SELECT COALESCE(SUM(qty), 0), COALESCE(SUM(value_cents), 0) FROM stock_move "
    "WHERE doc_type = :doc_type AND doc_id = :doc_id AND line_no = :line_no"
)


def line_remaining(uow: UnitOfWork, doc_type: str, doc_id: int, line_no: int) -> tuple[int, int]:
    """(qty, cost) of a shipped document line not yet returned."""
    q, v = raw(uow.conn).one(_LINE_TOTALS, {"doc_type": doc_type, "doc_id": doc_id, "line_no": line_no})
    return -int(q), -int(v)
