"""Read side of inventory: stock overview, ledger, valuation, totals and the invariant checks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, and_, case, func, or_, select

from omnistock.catalog import service as catalog
from omnistock.inventory import rules
from omnistock.inventory.models import (
    cost_pool,
    lot,
    reservation,
    serial_unit,
    sku_bin,
    stock_balance,
    stock_document,
    stock_move,
    stock_move_serial,
    warehouse,
)
from omnistock.platform.clock import utcnow
from omnistock.platform.pagination import after_id, decode_cursor, encode_cursor
from omnistock.platform.sql import Sql, raw
from omnistock.platform.uow import UnitOfWork

sb, sm, cp = stock_balance.c, stock_move.c, cost_pool.c


@dataclass(frozen=True)
class StockRow:
    warehouse: str
    sku: str
    sku_name: str
    on_hand: int
    reserved: int
    available: int
    safety_stock: int
    value_cents: int
    bin: str | None = None  # where the SKU is kept in the warehouse (库位)


def _scoped_warehouse_ids(uow: UnitOfWork, code: str | None) -> list[int] | None:
    allowed = uow.actor.allowed("warehouse")
    stmt = select(warehouse.c.id)
    if code:
        stmt = stmt.where(warehouse.c.code == code)
        if allowed is not None and code not in allowed:
            return []
    elif allowed is None:
        return None
    else:
        stmt = stmt.where(warehouse.c.code.in_(sorted(allowed)))
    return list(uow.conn.execute(stmt).scalars())


def allocated_values(conn: Connection, sku_ids: list[int]) -> dict[tuple[int, int], int]:
    """(sku_id, warehouse_id) -> the warehouse's share of the SKU's pooled value now
    (``rules.allocate`` over every warehouse, so the shares add up to the pool value exactly)."""
    if not sku_ids:
        return {}
    qty: dict[int, list[tuple[int, int]]] = {}
    value: dict[int, int] = {}
    for i in range(0, len(sku_ids), 500):
        chunk = sku_ids[i : i + 500]
        for s, w, q in conn.execute(
            select(sb.sku_id, sb.warehouse_id, func.sum(sb.on_hand))
            .where(sb.sku_id.in_(chunk))
            .group_by(sb.sku_id, sb.warehouse_id)
        ):
            qty.setdefault(s, []).append((w, int(q)))
        value.update(conn.execute(select(cp.sku_id, cp.value_cents).where(cp.sku_id.in_(chunk))).all())
    out: dict[tuple[int, int], int] = {}
    for s, whs in qty.items():
        whs.sort()
        for (w, _), part in zip(whs, rules.allocate(int(value.get(s, 0)), [q for _, q in whs]), strict=True):
            out[(s, w)] = part
    return out


def stock(
    uow: UnitOfWork,
    *,
    warehouse_code: str | None = None,
    sku_code: str | None = None,
    q: str | None = None,
    low: bool = False,
    has_reservations: bool = False,
    show_zero: bool = False,
    bin_prefix: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[StockRow], str | None]:
    """Balances by warehouse and SKU with their share of the SKU's pooled value.

    ``low``: available below the SKU's safety stock (a sold-out row included); ``has_reservations``:
    something reserved; ``show_zero``: also rows with nothing on hand or reserved (hidden by
    default; the ``low`` filter shows them).
    """
    sku_t = catalog.sku_view

    w_ids = _scoped_warehouse_ids(uow, warehouse_code)
    # One row per warehouse and SKU, whatever its batches: on-hand and reserved summed, and the
    # free stock of batches on hold or past expiry held back from "available".
    bal = (
        select(
            sb.warehouse_id,
            sb.sku_id,
            func.sum(sb.on_hand).label("on_hand"),
            func.sum(sb.reserved).label("reserved"),
            func.sum(_held_free(utcnow().date())).label("held"),
        )
        .select_from(stock_balance.outerjoin(lot, lot.c.id == sb.lot_id))
        .group_by(sb.warehouse_id, sb.sku_id)
    )
    if w_ids is not None:
        bal = bal.where(sb.warehouse_id.in_(w_ids))
    bal = bal.subquery()
    b = bal.c
    available = b.on_hand - b.reserved - b.held
    is_low = available < sku_t.c.safety_stock
    stmt = (
        select(
            warehouse.c.code.label("wh"),
            sku_t.c.code.label("sku"),
            sku_t.c.name,
            sku_t.c.safety_stock,
            b.on_hand,
            b.reserved,
            b.held,
            b.warehouse_id,
            b.sku_id,
            sku_bin.c.bin_code,
        )
        .select_from(
            bal.join(warehouse, warehouse.c.id == b.warehouse_id)
            .join(sku_t, sku_t.c.id == b.sku_id)
            .outerjoin(sku_bin, and_(sku_bin.c.warehouse_id == b.warehouse_id, sku_bin.c.sku_id == b.sku_id))
        )
        .order_by(sku_t.c.code, warehouse.c.code)
        .limit(limit + 1)
    )
    if low:  # sold out is below safety stock too; goods in transit are never "low"
        stmt = stmt.where(is_low, warehouse.c.code != rules.TRANSIT_WAREHOUSE)
    elif not show_zero:
        stmt = stmt.where(or_(b.on_hand != 0, b.reserved != 0))
    if sku_code:
        stmt = stmt.where(sku_t.c.code == sku_code)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(sku_t.c.code.ilike(like), sku_t.c.name.ilike(like)))
    if has_reservations:
        stmt = stmt.where(b.reserved > 0)
    if bin_prefix:
        prefix = bin_prefix.upper()
        stmt = stmt.where(sku_bin.c.bin_code >= prefix, sku_bin.c.bin_code < prefix + "\uffff")
    after = decode_cursor(cursor)
    if after:
        stmt = stmt.where(
            or_(sku_t.c.code > after["s"], and_(sku_t.c.code == after["s"], warehouse.c.code > after["w"]))
        )
    rows = uow.conn.execute(stmt).all()
    values = allocated_values(uow.conn, sorted({r.sku_id for r in rows[:limit]}))
    out = [
        StockRow(
            r.wh,
            r.sku,
            r.name,
            int(r.on_hand),
            int(r.reserved),
            int(r.on_hand) - int(r.reserved) - int(r.held or 0),
            r.safety_stock,
            values.get((r.sku_id, r.warehouse_id), 0),
            r.bin_code,
        )
        for r in rows[:limit]
    ]
    nxt = encode_cursor({"s": rows[limit - 1].sku, "w": rows[limit - 1].wh}) if len(rows) > limit else None
    return out, nxt


@dataclass(frozen=True)
class MoveRow:
    id: int
    at: object
    warehouse: str
    sku: str
    kind: str
    qty: int
    value_cents: int
    doc_type: str
    doc_ref: str
    reason: str | None
    lot_no: str | None = None


def list_moves(
    uow: UnitOfWork,
    *,
    sku_code: str | None = None,
    warehouse_code: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[MoveRow], str | None]:
    """The ledger, newest first."""
    sku_t = catalog.sku_view

    stmt = (
        select(
            sm.id,
            sm.at,
            warehouse.c.code.label("wh"),
            sku_t.c.code.label("sku"),
            sm.kind,
            sm.qty,
            sm.value_cents,
            sm.doc_type,
            sm.ref,
            sm.reason,
            lot.c.lot_no,
        )
        .select_from(
            stock_move.join(warehouse, warehouse.c.id == sm.warehouse_id)
            .join(sku_t, sku_t.c.id == sm.sku_id)
            .outerjoin(lot, lot.c.id == sm.lot_id)
        )
        .order_by(sm.at.desc(), sm.id.desc())
        .limit(limit + 1)
    )
    if sku_code:
        stmt = stmt.where(sm.sku_id == catalog.sku_ref(uow, sku_code).id)
    w_ids = _scoped_warehouse_ids(uow, warehouse_code)
    if w_ids is not None:
        stmt = stmt.where(sm.warehouse_id.in_(w_ids))
    after = decode_cursor(cursor)
    if after:
        import datetime as dt

        at = dt.datetime.fromisoformat(after["at"])
        stmt = stmt.where(or_(sm.at < at, and_(sm.at == at, sm.id < after["id"])))
    rows = uow.conn.execute(stmt).all()
    out = [
        MoveRow(r.id, r.at, r.wh, r.sku, r.kind, r.qty, r.value_cents, r.doc_type, r.ref, r.reason, r.lot_no)
        for r in rows[:limit]
    ]
    nxt = (
        encode_cursor({"at": rows[limit - 1].at.isoformat(), "id": rows[limit - 1].id})
        if len(rows) > limit
        else None
    )
    return out, nxt


def valuation(uow: UnitOfWork, sku_code: str) -> dict:
    ref = catalog.sku_ref(uow, sku_code)
    row = uow.conn.execute(select(cost_pool).where(cp.sku_id == ref.id)).first()
    if row is None:
        return {
            "sku": sku_code,
            "cost_method": ref.cost_method,
            "qty": 0,
            "value_cents": 0,
            "layers": [],
            "last_receipt_unit_cents": 0,
        }
    layers = (
        row.layers if ref.cost_method == rules.FIFO else ([[row.qty, row.value_cents]] if row.qty else [])
    )
    return {
        "sku": sku_code,
        "cost_method": ref.cost_method,
        "qty": row.qty,
        "value_cents": row.value_cents,
        "layers": [{"qty": q, "value_cents": v} for q, v in layers],
        "last_receipt_unit_cents": row.last_receipt_unit_cents,
    }


def availability(
    uow: UnitOfWork, sku_codes: list[str], warehouse_codes: list[str] | None = None
) -> list[dict]:
    """Available (= on-hand − reserved) of each SKU in each warehouse, and in total. A bundle's
    figures are derived from its components, per warehouse: the kits its components make,
    min over components of ⌊component / quantity per kit⌋."""
    refs = [catalog.sku_ref(uow, c) for c in dict.fromkeys(sku_codes)]
    kits = catalog.components(uow, [r.id for r in refs if r.kind == "bundle"])
    w_ids = None
    if warehouse_codes:
        w_ids = [w for c in warehouse_codes for w in (_scoped_warehouse_ids(uow, c) or [])]
    else:
        w_ids = _scoped_warehouse_ids(uow, None)
    ids = {r.id for r in refs if r.id not in kits} | {c.id for parts in kits.values() for c, _ in parts}
    held = _held_free(utcnow().date())
    stmt = (
        select(
            sb.sku_id,
            warehouse.c.code,
            func.sum(sb.on_hand).label("on_hand"),
            func.sum(sb.reserved).label("reserved"),
            func.sum(held).label("held"),
        )
        .select_from(
            stock_balance.join(warehouse, warehouse.c.id == sb.warehouse_id).outerjoin(
                lot, lot.c.id == sb.lot_id
            )
        )
        .where(sb.sku_id.in_(sorted(ids)))
        .group_by(sb.sku_id, warehouse.c.code)
        .order_by(warehouse.c.code)
    )
    if w_ids is not None:
        stmt = stmt.where(sb.warehouse_id.in_(w_ids))
    per: dict[int, list] = {i: [] for i in ids}
    for r in uow.conn.execute(stmt):
        on_hand, reserved, held_qty = int(r.on_hand), int(r.reserved), int(r.held or 0)
        per[r.sku_id].append(
            {
                "warehouse": r.code,
                "on_hand": on_hand,
                "reserved": reserved,
                "held": held_qty,
                "available": on_hand - reserved - held_qty,
            }
        )
    for bundle_id, parts in kits.items():
        per[bundle_id] = _bundle_rows([(per[c.id], qty) for c, qty in parts])
    return [
        {
            "sku": r.code,
            "kind": r.kind,
            "available": sum(x["available"] for x in per[r.id]),
            "on_hand": sum(x["on_hand"] for x in per[r.id]),
            "warehouses": per[r.id],
        }
        for r in refs
    ]


def _sellable_sql(n: int) -> Sql:
    ids = ", ".join(f":s{i}" for i in range(n))
    return Sql(
        "SELECT w.code, sb.sku_id, SUM(sb.on_hand - sb.reserved - CASE WHEN l.blocked OR l.expiry_date < :today "
        "THEN sb.on_hand - sb.reserved ELSE 0 END) FROM stock_balance sb "
        "JOIN warehouse w ON w.id = sb.warehouse_id LEFT JOIN lot l ON l.id = sb.lot_id "
        f"WHERE sb.sku_id IN ({ids}) AND w.code <> :transit AND w.active GROUP BY w.code, sb.sku_id"
    )


_SELLABLE = [_sellable_sql(n) for n in range(1, 9)]


def sellable(uow: UnitOfWork, sku_ids: list[int]) -> dict[str, dict[int, int]]:
    """Warehouse code -> SKU id -> stock that can be sold now (on-hand − reserved, less batches on
    hold or past expiry), over every warehouse but transit, whoever asks: what order routing sees.
    Prepared SQL: order intake asks this once per order."""
    ids = sorted(set(sku_ids))
    if not ids:
        return {}
    stmt = _SELLABLE[len(ids) - 1] if len(ids) <= len(_SELLABLE) else _sellable_sql(len(ids))
    r = raw(uow.conn)
    today = utcnow().date()
    params = {f"s{i}": x for i, x in enumerate(ids)}
    params.update(today=r.day(today), transit=rules.TRANSIT_WAREHOUSE)
    out: dict[str, dict[int, int]] = {}
    for code, sku_id, free in r.all(stmt, params):
        if free and free > 0:
            out.setdefault(code, {})[sku_id] = int(free)
    return out


def _held_free(today):
    """Per balance row: free stock that cannot be sold — in a batch on hold or past its expiry."""
    return case(
        (or_(lot.c.blocked.is_(True), lot.c.expiry_date < today), sb.on_hand - sb.reserved),
        else_=0,
    )


def _bundle_rows(parts: list[tuple[list[dict], int]]) -> list[dict]:
    """Per warehouse where any component is stocked: the kits its components make from on-hand
    and from available stock (a component absent there makes none)."""
    whs = sorted({x["warehouse"] for rows, _ in parts for x in rows})
    out = []
    for wh in whs:
        have = [({x["warehouse"]: x for x in rows}.get(wh), qty) for rows, qty in parts]
        on_hand = min((x["on_hand"] if x else 0) // q for x, q in have)
        available = min(max(x["available"] if x else 0, 0) // q for x, q in have)
        out.append(
            {
                "warehouse": wh,
                "on_hand": on_hand,
                "reserved": on_hand - available,
                "held": 0,
                "available": available,
            }
        )
    return out


# ---------------------------------------------------------------------------------------------
# Totals and invariants


def totals(conn: Connection) -> dict:
    """Quantity and money totals over the whole database (the replay summary's inventory part)."""
    on_hand, reserved = conn.execute(
        select(func.coalesce(func.sum(sb.on_hand), 0), func.coalesce(func.sum(sb.reserved), 0))
    ).one()
    by_kind = dict(conn.execute(select(sm.kind, func.sum(sm.value_cents)).group_by(sm.kind)).all())
    v = {k: int(by_kind.get(k) or 0) for k in (rules.RECEIPT, rules.SHIPMENT, rules.RETURN, *rules.SHRINKAGE)}
    value = inventory_value(conn)
    docs = {
        (k, s): int(n)
        for k, s, n in conn.execute(
            select(stock_document.c.kind, stock_document.c.status, func.count()).group_by(
                stock_document.c.kind, stock_document.c.status
            )
        )
    }
    return {
        "on_hand_total": int(on_hand),
        "reserved_total": int(reserved),
        "received_value": v[rules.RECEIPT],
        "cogs": -v[rules.SHIPMENT] - v[rules.RETURN],
        # stock lost or found: stocktakes, adjustments, and goods lost in transit
        "shrinkage": -sum(v[k] for k in rules.SHRINKAGE),
        "inventory_value": value,
        "receipts": docs.get(("receipt", "done"), 0),
        "transfers": docs.get(("transfer", "done"), 0),
        "transfers_rejected": docs.get(("transfer", "rejected"), 0),
        "counts": docs.get(("count", "done"), 0),
    }


def inventory_value(conn: Connection) -> int:
    """The inventory's value: Σ every SKU's cost pool (layers), in cents."""
    return int(conn.execute(select(func.coalesce(func.sum(cp.value_cents), 0))).scalar_one())


def on_hand_digest(conn: Connection) -> str:
    sku_t = catalog.sku_view

    rows = conn.execute(
        select(warehouse.c.code, sku_t.c.code, func.sum(sb.on_hand))
        .select_from(
            stock_balance.join(warehouse, warehouse.c.id == sb.warehouse_id).join(
                sku_t, sku_t.c.id == sb.sku_id
            )
        )
        .group_by(warehouse.c.code, sku_t.c.code)
    ).all()
    lines = sorted(f"{w}|{s}|{int(q)}\n" for w, s, q in rows if q)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def _shipped_daily_check(day: str) -> str:
    ledger = (
        f"SELECT warehouse_id, sku_id, {day} AS day, doc_type, -SUM(qty) AS qty FROM stock_move "
        f"WHERE kind = 'shipment' GROUP BY warehouse_id, sku_id, {day}, doc_type"
    )
    return (
        f"SELECT l.warehouse_id, l.sku_id, l.day, l.doc_type, l.qty, d.qty FROM ({ledger}) l "
        "LEFT JOIN shipped_daily d ON d.warehouse_id = l.warehouse_id AND d.sku_id = l.sku_id "
        "AND d.day = l.day AND d.doc_type = l.doc_type WHERE d.qty IS NULL OR d.qty <> l.qty "
        f"UNION ALL SELECT d.warehouse_id, d.sku_id, d.day, d.doc_type, l.qty, d.qty FROM shipped_daily d "
        f"LEFT JOIN ({ledger}) l ON d.warehouse_id = l.warehouse_id AND d.sku_id = l.sku_id "
        "AND d.day = l.day AND d.doc_type = l.doc_type WHERE l.qty IS NULL LIMIT 1"
    )


_SHIPPED_DAILY_CHECK = Sql(
    _shipped_daily_check("substr(at, 1, 10)"), pg=_shipped_daily_check("CAST(at AS DATE)")
)


def _check_shipped_daily(conn: Connection) -> list[str]:
    """The daily shipment totals replenishment reads equal the ledger's shipments."""
    bad = raw(conn).one(_SHIPPED_DAILY_CHECK)
    if bad is None:
        return []
    w, s, day, doc_type, ledger_qty, daily_qty = bad
    return [
        f"shipped_daily(warehouse_id={w}, sku_id={s}, day={day}, doc_type={doc_type}): {daily_qty} ≠ "
        f"Σ ledger shipments {ledger_qty or 0}"
    ]


def check_invariants(conn: Connection) -> list[str]:
    """Every broken invariant, naming the first offending row of each kind."""
    problems: list[str] = []
    ledger = (
        select(sm.warehouse_id, sm.sku_id, sm.lot_id, func.sum(sm.qty).label("q"))
        .group_by(sm.warehouse_id, sm.sku_id, sm.lot_id)
        .subquery()
    )
    bad = conn.execute(
        select(sb.warehouse_id, sb.sku_id, sb.on_hand, ledger.c.q)
        .select_from(
            stock_balance.outerjoin(
                ledger,
                and_(
                    ledger.c.warehouse_id == sb.warehouse_id,
                    ledger.c.sku_id == sb.sku_id,
                    ledger.c.lot_id == sb.lot_id,
                ),
            )
        )
        .where(sb.on_hand != func.coalesce(ledger.c.q, 0))
        .limit(1)
    ).first()
    if bad:
        problems.append(
            f"stock_balance(warehouse_id={bad[0]}, sku_id={bad[1]}): on_hand {bad[2]} ≠ Σ ledger {bad[3]}"
        )
    orphan = conn.execute(
        select(ledger.c.warehouse_id, ledger.c.sku_id, ledger.c.q)
        .select_from(
            ledger.outerjoin(
                stock_balance,
                and_(
                    ledger.c.warehouse_id == sb.warehouse_id,
                    ledger.c.sku_id == sb.sku_id,
                    ledger.c.lot_id == sb.lot_id,
                ),
            )
        )
        .where(sb.sku_id.is_(None), ledger.c.q != 0)
        .limit(1)
    ).first()
    if orphan:
        problems.append(
            f"ledger(warehouse_id={orphan[0]}, sku_id={orphan[1]}) sums to {orphan[2]} with no balance row"
        )
    rs = reservation.c
    open_res = (
        select(rs.warehouse_id, rs.sku_id, rs.lot_id, func.sum(rs.qty).label("q"))
        .where(rs.state == "open")
        .group_by(rs.warehouse_id, rs.sku_id, rs.lot_id)
        .subquery()
    )
    bad = conn.execute(
        select(sb.warehouse_id, sb.sku_id, sb.reserved, open_res.c.q)
        .select_from(
            stock_balance.outerjoin(
                open_res,
                and_(
                    open_res.c.warehouse_id == sb.warehouse_id,
                    open_res.c.sku_id == sb.sku_id,
                    open_res.c.lot_id == sb.lot_id,
                ),
            )
        )
        .where(sb.reserved != func.coalesce(open_res.c.q, 0))
        .limit(1)
    ).first()
    if bad:
        problems.append(
            f"stock_balance(warehouse_id={bad[0]}, sku_id={bad[1]}): reserved {bad[2]} ≠ Σ open reservations {bad[3]}"
        )
    neg = conn.execute(select(sb.warehouse_id, sb.sku_id, sb.on_hand).where(sb.on_hand < 0).limit(1)).first()
    if neg:
        problems.append(f"stock_balance(warehouse_id={neg[0]}, sku_id={neg[1]}): negative on_hand {neg[2]}")
    # Each SKU's pool: quantity = Σ balances, value = Σ layers = Σ move values.
    qty_by_sku = select(sb.sku_id, func.sum(sb.on_hand).label("q")).group_by(sb.sku_id).subquery()
    bad = conn.execute(
        select(cp.sku_id, cp.qty, qty_by_sku.c.q)
        .select_from(cost_pool.outerjoin(qty_by_sku, qty_by_sku.c.sku_id == cp.sku_id))
        .where(cp.qty != func.coalesce(qty_by_sku.c.q, 0))
        .limit(1)
    ).first()
    if bad:
        problems.append(f"cost_pool(sku_id={bad[0]}): qty {bad[1]} ≠ Σ on_hand {bad[2]}")
    val_by_sku = select(sm.sku_id, func.sum(sm.value_cents).label("v")).group_by(sm.sku_id).subquery()
    bad = conn.execute(
        select(cp.sku_id, cp.value_cents, val_by_sku.c.v)
        .select_from(cost_pool.outerjoin(val_by_sku, val_by_sku.c.sku_id == cp.sku_id))
        .where(cp.value_cents != func.coalesce(val_by_sku.c.v, 0))
        .limit(1)
    ).first()
    if bad:
        problems.append(f"cost_pool(sku_id={bad[0]}): value {bad[1]} ≠ Σ ledger values {bad[2]}")
    for r in conn.execute(select(cp.sku_id, cp.qty, cp.value_cents, cp.layers).where(cp.layers.is_not(None))):
        lq = sum(q for q, _ in r.layers)
        lv = sum(v for _, v in r.layers)
        if (lq, lv) != (r.qty, r.value_cents) or any(q <= 0 or v < 0 for q, v in r.layers):
            problems.append(
                f"cost_pool(sku_id={r.sku_id}): FIFO layers sum to ({lq}, {lv}) ≠ ({r.qty}, {r.value_cents})"
            )
            break
    bad = conn.execute(
        select(cp.sku_id, cp.qty, cp.value_cents)
        .where(or_(cp.value_cents < 0, and_(cp.qty == 0, cp.value_cents != 0)))
        .limit(1)
    ).first()
    if bad:
        problems.append(f"cost_pool(sku_id={bad[0]}): value {bad[2]} with qty {bad[1]}")
    problems += _serial_problems(conn)
    problems += _check_transit(conn)
    problems += _check_shipped_daily(conn)
    t = totals(conn)
    if t["inventory_value"] != t["received_value"] - t["cogs"] - t["shrinkage"]:
        problems.append(
            f"inventory value {t['inventory_value']} ≠ received {t['received_value']} − COGS {t['cogs']} − "
            f"shrinkage {t['shrinkage']}"
        )
    return problems


def _serial_problems(conn: Connection) -> list[str]:
    """Serial-tracked stock: on-hand per warehouse = its units in stock there; every unit's
    ledger rows net to +1 while it is in stock (it is in one place only), 0 once it has left; a
    unit on hold is in stock (a held unit never leaves)."""
    su, sb, ms, sm = serial_unit.c, stock_balance.c, stock_move_serial.c, stock_move.c
    units = (
        select(su.sku_id, su.warehouse_id, func.count().label("n"))
        .where(su.status == rules.SERIAL_IN_STOCK)
        .group_by(su.sku_id, su.warehouse_id)
        .subquery()
    )
    tracked = select(catalog.sku_view.c.id).where(catalog.sku_view.c.tracking == rules.SERIAL)
    bad = conn.execute(
        select(sb.warehouse_id, sb.sku_id, sb.on_hand, units.c.n)
        .select_from(
            stock_balance.outerjoin(
                units, and_(units.c.sku_id == sb.sku_id, units.c.warehouse_id == sb.warehouse_id)
            )
        )
        .where(sb.sku_id.in_(tracked), sb.on_hand != func.coalesce(units.c.n, 0))
        .limit(1)
    ).first()
    if bad:
        return [
            f"stock_balance(warehouse_id={bad[0]}, sku_id={bad[1]}): on_hand {bad[2]} ≠ {bad[3] or 0} serial units in stock"
        ]
    net = (
        select(ms.serial_id, func.sum(func.sign(sm.qty)).label("n"))
        .select_from(stock_move_serial.join(stock_move, sm.id == ms.move_id))
        .group_by(ms.serial_id)
        .subquery()
    )
    bad = conn.execute(
        select(su.id, su.serial_no, su.status, net.c.n)
        .select_from(serial_unit.outerjoin(net, net.c.serial_id == su.id))
        .where(func.coalesce(net.c.n, 0) != case((su.status == rules.SERIAL_IN_STOCK, 1), else_=0))
        .limit(1)
    ).first()
    if bad:
        return [f"serial_unit(id={bad[0]}, serial_no={bad[1]}): {bad[2]} but its moves net to {bad[3] or 0}"]
    bad = conn.execute(
        select(su.id, su.serial_no, su.status, su.hold_ref)
        .where(su.hold_ref.is_not(None), su.status != rules.SERIAL_IN_STOCK)
        .limit(1)
    ).first()
    if bad:
        return [f"serial_unit(id={bad[0]}, serial_no={bad[1]}): {bad[2]} but still held by {bad[3]}"]
    return []


def _check_transit(conn: Connection) -> list[str]:
    """Stock in the in-transit warehouse = Σ (shipped − received − lost) of the transfer orders on
    the road, per SKU; and an order is done only when each line's goods arrived or were lost."""
    from omnistock.inventory.models import transfer_order, transfer_order_line

    problems = []
    to, tl = transfer_order.c, transfer_order_line.c
    transit = conn.execute(
        select(sb.sku_id, func.sum(sb.on_hand))
        .join(warehouse, warehouse.c.id == sb.warehouse_id)
        .where(warehouse.c.code == rules.TRANSIT_WAREHOUSE)
        .group_by(sb.sku_id)
    ).all()
    on_road = conn.execute(
        select(tl.sku_id, func.sum(tl.shipped - tl.received - tl.lost))
        .join(transfer_order, to.id == tl.order_id)
        .where(to.status == rules.SHIPPED)
        .group_by(tl.sku_id)
    ).all()
    have = {s: int(q) for s, q in transit if q}
    want = {s: int(q) for s, q in on_road if q}
    for sku_id in sorted(set(have) | set(want)):
        if have.get(sku_id, 0) != want.get(sku_id, 0):
            problems.append(
                f"in transit (sku_id={sku_id}): {have.get(sku_id, 0)} in the transit warehouse ≠ "
                f"{want.get(sku_id, 0)} on shipped transfer orders"
            )
            break
    bad = conn.execute(
        select(to.ref, tl.line_no)
        .join(transfer_order, to.id == tl.order_id)
        .where(
            or_(
                and_(to.status == rules.DONE, tl.received + tl.lost != tl.shipped),
                and_(to.status == rules.SHIPPED, tl.shipped != tl.qty),
                and_(to.status.in_([rules.DRAFT, rules.CANCELLED]), tl.shipped != 0),
            )
        )
        .limit(1)
    ).first()
    if bad:
        problems.append(f"transfer order {bad[0]} line {bad[1]}: shipped/received/lost do not fit its status")
    return problems


@dataclass(frozen=True)
class DocumentRow:
    id: int
    kind: str
    ref: str
    status: str
    warehouse: str
    to_warehouse: str | None
    at: object
    partner: str | None
    reason: str | None
    note: str | None
    created_by: str
    lines: int


def documents(
    uow: UnitOfWork,
    *,
    kind: str | None = None,
    warehouse_code: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[DocumentRow], str | None]:
    """Stock documents (receipts, transfers, stocktakes, adjustments), newest first."""
    from sqlalchemy.orm import aliased

    from omnistock.inventory.models import stock_document_line

    d, dst = stock_document.c, aliased(warehouse)
    n_lines = select(func.count()).where(stock_document_line.c.document_id == d.id).scalar_subquery()
    stmt = (
        select(
            d.id,
            d.kind,
            d.ref,
            d.status,
            warehouse.c.code.label("wh"),
            dst.c.code.label("to_wh"),
            d.at,
            d.partner,
            d.reason,
            d.note,
            d.created_by,
            n_lines.label("lines"),
        )
        .select_from(
            stock_document.join(warehouse, warehouse.c.id == d.warehouse_id).outerjoin(
                dst, dst.c.id == d.to_warehouse_id
            )
        )
        .order_by(d.id.desc())
        .limit(limit + 1)
    )
    if kind:
        stmt = stmt.where(d.kind == kind)
    if q:
        stmt = stmt.where(d.ref.ilike(f"%{q}%"))
    w_ids = _scoped_warehouse_ids(uow, warehouse_code)
    if w_ids is not None:
        stmt = stmt.where(or_(d.warehouse_id.in_(w_ids), d.to_warehouse_id.in_(w_ids)))
    after = after_id(cursor)
    if after is not None:
        stmt = stmt.where(d.id < after)
    rows = uow.conn.execute(stmt).all()
    out = [
        DocumentRow(
            r.id,
            r.kind,
            r.ref,
            r.status,
            r.wh,
            r.to_wh,
            r.at,
            r.partner,
            r.reason,
            r.note,
            r.created_by,
            r.lines,
        )
        for r in rows[:limit]
    ]
    nxt = encode_cursor({"id": rows[limit - 1].id}) if len(rows) > limit else None
    return out, nxt


def document(uow: UnitOfWork, doc_id: int) -> dict | None:
    """One stock document with its lines and the ledger rows it wrote."""
    from omnistock.inventory.models import stock_document_line

    rows, _ = documents(uow, limit=1, cursor=encode_cursor({"id": doc_id + 1}))
    if not rows or rows[0].id != doc_id:
        return None
    head = rows[0]
    sku_t = catalog.sku_view
    dl = stock_document_line.c
    lines = [
        {
            "line_no": r.line_no,
            "sku": r.code,
            "sku_name": r.name,
            "qty": r.qty,
            "unit_cost_cents": r.unit_cost_cents,
            "counted": r.counted,
            "on_hand_before": r.on_hand_before,
        }
        for r in uow.conn.execute(
            select(
                dl.line_no,
                sku_t.c.code,
                sku_t.c.name,
                dl.qty,
                dl.unit_cost_cents,
                dl.counted,
                dl.on_hand_before,
            )
            .join(sku_t, sku_t.c.id == dl.sku_id)
            .where(dl.document_id == doc_id)
            .order_by(dl.line_no)
        )
    ]
    return {**head.__dict__, "line_items": lines, "moves": document_moves(uow, head.kind, doc_id)}


def document_moves(uow: UnitOfWork, doc_type: str, doc_id: int) -> list[dict]:
    """The ledger rows a document wrote, in order, with their warehouse, SKU and batch."""
    sku_t = catalog.sku_view
    return [
        {
            "id": r.id,
            "at": r.at,
            "warehouse": r.wh,
            "sku": r.sku,
            "lot_no": r.lot_no,
            "kind": r.kind,
            "qty": r.qty,
            "value_cents": r.value_cents,
        }
        for r in uow.conn.execute(
            select(
                sm.id,
                sm.at,
                warehouse.c.code.label("wh"),
                sku_t.c.code.label("sku"),
                lot.c.lot_no,
                sm.kind,
                sm.qty,
                sm.value_cents,
            )
            .select_from(
                stock_move.join(warehouse, warehouse.c.id == sm.warehouse_id)
                .join(sku_t, sku_t.c.id == sm.sku_id)
                .outerjoin(lot, lot.c.id == sm.lot_id)
            )
            .where(sm.doc_type == doc_type, sm.doc_id == doc_id)
            .order_by(sm.id)
        )
    ]


def stock_summary(uow: UnitOfWork) -> dict:
    """On-hand, reserved and value over the warehouses this actor may see (all, unscoped)."""
    w_ids = _scoped_warehouse_ids(uow, None)
    if w_ids is None:
        t = totals(uow.conn)
        return {
            "on_hand": t["on_hand_total"],
            "reserved": t["reserved_total"],
            "value_cents": t["inventory_value"],
        }
    rows = uow.conn.execute(
        select(sb.sku_id, sb.warehouse_id, sb.on_hand, sb.reserved).where(sb.warehouse_id.in_(w_ids))
    ).all()
    values = allocated_values(uow.conn, sorted({r.sku_id for r in rows}))
    return {
        "on_hand": sum(int(r.on_hand) for r in rows),
        "reserved": sum(int(r.reserved) for r in rows),
        "value_cents": sum(values.get((s, w), 0) for s, w in {(r.sku_id, r.warehouse_id) for r in rows}),
    }
