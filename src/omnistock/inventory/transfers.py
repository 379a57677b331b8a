"""Two-step transfers (调拨单) with goods in transit.

``draft`` (lines editable) → ``shipped``: the source warehouse gives up free stock for every line,
or the whole shipment is refused naming the short SKU; the goods are now in transit → ``done``: the
destination takes in what arrived, per line, never more than was shipped; the rest of each line is
a transit loss, valued by the costing rules like any outflow and counted as shrinkage. A draft can
be cancelled. The states are data (``rules.TRANSFER_TRANSITIONS``).

Goods in transit are ordinary stock of one system warehouse, ``rules.TRANSIT_WAREHOUSE``, which no
document, order or reservation can name. Shipping writes ``transit_out`` ledger rows (−q at the
source, +q in transit), receiving ``transit_in`` rows (−received in transit, +received at the
destination) and ``transit_loss`` (−lost in transit). Every row carries its transfer order line.
So the doctor's invariants keep holding unchanged — balances = Σ ledger, each SKU's pool quantity
= Σ on-hand (goods in transit included, at their value) and inventory value = received − COGS −
shrinkage — and one more is checked: stock in transit = Σ (shipped − received − lost) of the
orders on the road. The one-step ``service.transfer`` is not involved and not changed.

Batch-tracked SKUs travel per batch (earliest expiry first at shipping). Serial-tracked units are
scanned: shipping names the units of each serial line (in stock at the source; they are then in
stock in transit, linked to the line's ``transit_out`` rows), and receiving names the units that
arrived (each must be a unit in transit on that line) — the others of the line are lost in transit
(``removed``). So on-hand per warehouse, transit included, stays = the units in stock there.

Import these functions through ``inventory.service``, which re-exports them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from omnistock.catalog import service as catalog
from omnistock.inventory import ledger, reports, rules, service, states, tracking
from omnistock.inventory.models import stock_move, transfer_order, transfer_order_line, warehouse
from omnistock.platform.cache import CodeCache
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict, Forbidden, Invalid
from omnistock.platform.pagination import after_id, encode_cursor
from omnistock.platform.permissions import register
from omnistock.platform.sql import Sql, raw
from omnistock.platform.uow import UnitOfWork

register(
    ("inventory.transfer.ship", "调拨发货（调出仓出库）", "Ship transfer orders (stock leaves the source)"),
    ("inventory.transfer.receive", "调拨收货（调入仓入库）", "Receive transfer orders (at the destination)"),
)

DOC = "transfer_order"  # the ledger's doc_type
WHAT = ("调拨单", "Transfer order")
to, tl = transfer_order.c, transfer_order_line.c


@dataclass(frozen=True)
class ReceivedLine:
    sku: str
    received: int | None = None  # 0 .. shipped; the rest of the line is lost in transit
    # Serial-tracked SKUs: the units that arrived (the received quantity is their count).
    serials: Sequence[str] | None = None


# ---------------------------------------------------------------------------------------------
# The in-transit location

_transit = CodeCache("transit_warehouse")
_NEW_TRANSIT = Sql(
    "INSERT INTO warehouse (code, name, active, created_at) VALUES (:code, :name, :active, :now) "
    "ON CONFLICT (code) DO NOTHING"
)


def transit_warehouse_id(uow: UnitOfWork, *, create: bool = False) -> int | None:
    """The id of the system in-transit warehouse; made on the first shipment when ``create``."""

    def load() -> int | None:
        return uow.conn.execute(
            select(warehouse.c.id).where(warehouse.c.code == rules.TRANSIT_WAREHOUSE)
        ).scalar()

    found = _transit.lookup(uow, rules.TRANSIT_WAREHOUSE, load)
    if found is None and create:
        r = raw(uow.conn)
        r.execute(
            _NEW_TRANSIT,
            {
                "code": rules.TRANSIT_WAREHOUSE,
                "name": rules.TRANSIT_WAREHOUSE_NAME,
                "active": False,  # no place to put stock: only transfer orders pass through it
                "now": r.dt(utcnow()),
            },
        )
        found = _transit.lookup(uow, rules.TRANSIT_WAREHOUSE, load)
    return found


# ---------------------------------------------------------------------------------------------
# Writes


def _require_either(uow: UnitOfWork, src: str, dst: str) -> None:
    """Drafting, editing and cancelling need the source or the destination in the data scope."""
    if not (uow.actor.can_access("warehouse", src) or uow.actor.can_access("warehouse", dst)):
        uow.actor.require_scope("warehouse", [src])


def _lines_in(uow: UnitOfWork, lines: Sequence[service.QtyLine]) -> list[dict]:
    service._check_lines(lines)
    service._unique_skus([ln.sku for ln in lines])
    skus = [catalog.sku_ref(uow, ln.sku) for ln in lines]
    for ln in lines:  # serial-tracked units are scanned when shipped and when received
        service._qty(ln.qty)
    return [
        {"line_no": i, "sku_id": s.id, "qty": ln.qty}
        for i, (s, ln) in enumerate(zip(skus, lines, strict=True), 1)
    ]


def _lines_out(lines: Sequence[service.QtyLine]) -> list[dict]:
    return [{"sku": ln.sku, "qty": ln.qty} for ln in lines]


def create_transfer_order(
    uow: UnitOfWork,
    *,
    ref: str | None,
    from_warehouse: str,
    to_warehouse: str,
    lines: Sequence[service.QtyLine],
    note: str | None = None,
) -> dict:
    """A draft transfer order: nothing moves until it is shipped."""
    uow.actor.require("inventory.transfer.create")
    src, dst = service.warehouse_ref(uow, from_warehouse), service.warehouse_ref(uow, to_warehouse)
    _require_either(uow, src.code, dst.code)
    if src.id == dst.id:
        raise Invalid(
            "inventory.same_warehouse",
            "A transfer needs two different warehouses",
            "调拨的调出仓和调入仓不能相同",
        )
    rows = _lines_in(uow, lines)
    ref = service._ref(ref, "TO")
    now = utcnow()
    try:
        order_id = uow.conn.execute(
            insert(transfer_order).returning(to.id),
            {
                "ref": ref,
                "status": rules.DRAFT,
                "from_warehouse_id": src.id,
                "to_warehouse_id": dst.id,
                "note": note,
                "created_at": now,
                "created_by": uow.actor.username,
            },
        ).scalar_one()
    except IntegrityError as exc:
        raise _duplicate(ref) from exc
    uow.conn.execute(
        insert(transfer_order_line),
        [{"order_id": order_id, "shipped": 0, "received": 0, "lost": 0, **r} for r in rows],
    )
    uow.audit(
        "inventory.transfer_order.create",
        DOC,
        ref,
        after={"from": src.code, "to": dst.code, "lines": _lines_out(lines), "note": note},
    )
    return _detail(uow, order_id)


def _duplicate(ref: str) -> Conflict:
    return Conflict(
        "inventory.duplicate_ref", "Document number {ref} is already used", "单号 {ref} 已被使用", ref=ref
    )


def _draft(uow: UnitOfWork, order_id: int):
    """The order's row, locked; it must be a draft."""
    row = states.lock(uow, transfer_order, order_id, WHAT)
    _require_either(
        uow,
        service.warehouse_code(uow, row.from_warehouse_id),
        service.warehouse_code(uow, row.to_warehouse_id),
    )
    if row.status != rules.DRAFT:
        zh, en = rules.STATE_LABELS[row.status]
        raise Conflict(
            "inventory.not_a_draft",
            "Transfer order {ref} is {state_en}; only a draft can be changed",
            "调拨单 {ref} 当前为「{state_zh}」，只有草稿可以修改",
            ref=row.ref,
            state=row.status,
            state_en=en,
            state_zh=zh,
        )
    return row


def update_transfer_order(
    uow: UnitOfWork, order_id: int, *, lines: Sequence[service.QtyLine], note: str | None = None
) -> dict:
    """Replace a draft's lines (and note)."""
    uow.actor.require("inventory.transfer.create")
    row = _draft(uow, order_id)
    rows = _lines_in(uow, lines)
    before = _line_view(uow, order_id)
    uow.conn.execute(delete(transfer_order_line).where(tl.order_id == order_id))
    uow.conn.execute(
        insert(transfer_order_line),
        [{"order_id": order_id, "shipped": 0, "received": 0, "lost": 0, **r} for r in rows],
    )
    uow.conn.execute(transfer_order.update().where(to.id == order_id).values(note=note))
    uow.audit(
        "inventory.transfer_order.update",
        DOC,
        row.ref,
        before={"lines": before, "note": row.note},
        after={"lines": _lines_out(lines), "note": note},
    )
    return _detail(uow, order_id)


def cancel_transfer_order(uow: UnitOfWork, order_id: int) -> dict:
    """A draft is cancelled; nothing had moved."""
    uow.actor.require("inventory.transfer.create")
    row = states.lock(uow, transfer_order, order_id, WHAT)
    _require_either(
        uow,
        service.warehouse_code(uow, row.from_warehouse_id),
        service.warehouse_code(uow, row.to_warehouse_id),
    )
    states.move(
        uow,
        transfer_order,
        order_id,
        rules.CANCELLED,
        rules.TRANSFER_TRANSITIONS,
        what=WHAT,
        values={"closed_at": utcnow()},
    )
    uow.audit(
        "inventory.transfer_order.cancel",
        DOC,
        row.ref,
        before={"status": row.status},
        after={"status": rules.CANCELLED},
    )
    return _detail(uow, order_id)


def _apply_balances(uow: UnitOfWork, ops: list[tuple[int, int, int, str, int, str]]) -> None:
    """Balance changes ``(sku id, warehouse id, lot, "take" | "add", qty, sku code)`` in the global
    lock order — by SKU, then warehouse, then batch. A ``take`` takes free stock only, or refuses
    naming the SKU."""
    r = raw(uow.conn)
    for sku_id, wh_id, lot, op, qty, code in sorted(ops, key=lambda o: (o[0], o[1], o[2])):
        p = {"w": wh_id, "s": sku_id, "lot": lot, "q": qty}
        if op == "add":
            r.queue(ledger.ADD_ON_HAND, p)
        elif r.execute(ledger.TAKE_FREE, p) != 1:
            raise service._short(code, qty, ledger.available(r, wh_id, sku_id, lot=lot))


_IN_TRANSIT_LOTS = Sql(
    "SELECT lot_id, SUM(qty) FROM stock_move WHERE doc_type = :doc AND doc_id = :id AND line_no = :n "
    "AND warehouse_id = :w GROUP BY lot_id ORDER BY lot_id"
)


def _order_lines(uow: UnitOfWork, order_id: int) -> list:
    return uow.conn.execute(
        select(tl.line_no, tl.sku_id, tl.qty, tl.shipped, tl.received, tl.lost)
        .where(tl.order_id == order_id)
        .order_by(tl.line_no)
    ).all()


def ship_transfer_order(
    uow: UnitOfWork,
    order_id: int,
    *,
    serials: Mapping[str, Sequence[str]] | None = None,
    at: dt.datetime | None = None,
) -> dict:
    """Every line leaves the source (free stock only, all lines or none) and is in transit.
    ``serials``: for each serial-tracked SKU on the order, the scanned numbers of its units (one
    per unit, each in stock at the source); they are in stock in transit afterwards."""
    uow.actor.require("inventory.transfer.ship")
    row = states.lock(uow, transfer_order, order_id, WHAT)
    src = service.warehouse_code(uow, row.from_warehouse_id)
    uow.actor.require_scope("warehouse", [src])
    at = service._at(at)
    states.move(
        uow,
        transfer_order,
        order_id,
        rules.SHIPPED,
        rules.TRANSFER_TRANSITIONS,
        what=WHAT,
        values={"shipped_at": at, "shipped_by": uow.actor.username},
    )
    transit = transit_warehouse_id(uow, create=True)
    lines = [(ln, catalog.sku_ref_by_id(uow, ln.sku_id)) for ln in _order_lines(uow, order_id)]
    scanned = _ship_serials(uow, row.ref, lines, serials)
    ops, plan = [], []
    for ln, sku in sorted(lines, key=lambda p: p[1].id):
        # Batches leave earliest expiry first (expired and held ones stay), and travel as such.
        parts, free = service._free_parts(uow, row.from_warehouse_id, sku, ln.qty, None, ln.line_no, at)
        if parts is None:
            raise service._short(sku.code, ln.qty, free)
        for lot, q in parts:
            ops.append((sku.id, row.from_warehouse_id, lot, "take", q, sku.code))
            ops.append((sku.id, transit, lot, "add", q, sku.code))
        plan.append((ln, sku, parts))
    _apply_balances(uow, ops)
    moves = []
    for ln, sku, parts in plan:
        # Serial units (lot 0, one part) are locked after the balances, in the global lock order.
        sn = scanned.get(ln.line_no)
        units = (
            tracking.serials_out(uow, sku, sn, row.from_warehouse_id, rules.SERIAL_IN_STOCK, transit)
            if sn
            else ()
        )
        for lot, q in parts:
            for wh, signed in ((row.from_warehouse_id, -q), (transit, q)):
                moves.append(
                    ledger.Move(
                        sku,
                        wh,
                        rules.TRANSIT_OUT,
                        signed,
                        DOC,
                        order_id,
                        ln.line_no,
                        row.ref,
                        lot_id=lot,
                        serial_ids=units,
                    )
                )
    uow.conn.execute(transfer_order_line.update().where(tl.order_id == order_id).values(shipped=tl.qty))
    ledger.post(uow, at, moves)
    uow.audit(
        "inventory.transfer_order.ship",
        DOC,
        row.ref,
        before={"status": row.status},
        after={
            "status": rules.SHIPPED,
            "from": src,
            "at": at.isoformat(),
            "lines": [
                {"sku": sku.code, "qty": ln.qty}
                | ({"serials": scanned[ln.line_no]} if scanned.get(ln.line_no) else {})
                for ln, sku in lines
            ],
        },
    )
    return _detail(uow, order_id)


def _not_on_order(code: str, ref: str) -> Invalid:
    return Invalid(
        "inventory.sku_not_on_transfer",
        "{sku} is not on transfer order {ref}",
        "{sku} 不在调拨单 {ref} 中",
        sku=str(code)[:64],
        ref=ref,
    )


def _ship_serials(
    uow: UnitOfWork, ref: str, lines: list, serials: Mapping[str, Sequence[str]] | None
) -> dict[int, list[str]]:
    """line no -> the scanned numbers of a serial line's units, checked (one per unit, no
    duplicates); numbers for a SKU not on the order or not serial-tracked are refused."""
    serials = serials or {}
    by_id = {sku.id: ln.line_no for ln, sku in lines}
    given: dict[int, Sequence[str]] = {}
    for code, numbers in serials.items():
        line_no = by_id.get(catalog.sku_ref(uow, code).id)
        if line_no is None:
            raise _not_on_order(code, ref)
        given[line_no] = numbers
    out = {}
    for ln, sku in lines:
        if sku.tracking == rules.SERIAL or given.get(ln.line_no):
            out[ln.line_no] = tracking.check_serials(sku, given.get(ln.line_no), ln.qty, ln.line_no)
    return out


_UNITS_IN_TRANSIT = Sql(
    "SELECT DISTINCT u.id, u.serial_no FROM serial_unit u "
    "JOIN stock_move_serial ms ON ms.serial_id = u.id JOIN stock_move m ON m.id = ms.move_id "
    "WHERE m.doc_type = :doc AND m.doc_id = :id AND m.line_no = :n AND m.kind = :kind "
    "AND m.warehouse_id = :w AND u.status = :in_stock AND u.warehouse_id = :w ORDER BY u.serial_no"
)


def units_in_transit(uow: UnitOfWork, order_id: int, line_no: int, transit: int) -> list[str]:
    """Serial numbers of the units of an order line that are still in transit."""
    return [
        no
        for _, no in raw(uow.conn).all(
            _UNITS_IN_TRANSIT,
            {
                "doc": DOC,
                "id": order_id,
                "n": line_no,
                "kind": rules.TRANSIT_OUT,
                "w": transit,
                "in_stock": rules.SERIAL_IN_STOCK,
            },
        )
    ]


def receive_transfer_order(
    uow: UnitOfWork,
    order_id: int,
    *,
    lines: Sequence[ReceivedLine] | None = None,
    at: dt.datetime | None = None,
) -> dict:
    """The destination takes in what arrived, in one go: ``lines`` gives every line's received
    quantity (all of them; none given = everything arrived). Never more than shipped; the rest
    of a line is lost in transit and valued as shrinkage. A serial-tracked line is received by
    scanning the units that arrived (each one in transit on that line); its other units are lost."""
    uow.actor.require("inventory.transfer.receive")
    row = states.lock(uow, transfer_order, order_id, WHAT)
    dst = service.warehouse_code(uow, row.to_warehouse_id)
    uow.actor.require_scope("warehouse", [dst])
    at = service._at(at)
    if row.shipped_at is not None and at < row.shipped_at:
        raise Invalid(
            "inventory.receive_before_ship",
            "Transfer order {ref} cannot be received before it was shipped",
            "调拨单 {ref} 的收货时间不能早于发货时间",
            ref=row.ref,
        )
    states.move(
        uow,
        transfer_order,
        order_id,
        rules.DONE,
        rules.TRANSFER_TRANSITIONS,
        what=WHAT,
        values={"received_at": at, "received_by": uow.actor.username, "closed_at": utcnow()},
    )
    current = [(ln, catalog.sku_ref_by_id(uow, ln.sku_id)) for ln in _order_lines(uow, order_id)]
    transit = transit_warehouse_id(uow)
    if transit is None:  # pragma: no cover - a shipped order made it
        raise Conflict("inventory.no_transit", "No stock is in transit", "没有在途库存")
    received, arrived_units, lost_units = _received(uow, row.ref, order_id, transit, current, lines)
    r = raw(uow.conn)
    ops, moves = [], []
    for ln, sku in sorted(current, key=lambda p: p[1].id):
        got = received[sku.id]
        lost = ln.shipped - got
        uow.conn.execute(
            transfer_order_line.update()
            .where(tl.order_id == order_id, tl.line_no == ln.line_no)
            .values(received=got, lost=lost)
        )
        # What travelled, batch by batch; what arrived is taken from them in order, the rest lost.
        left = got
        for lot, q in r.all(_IN_TRANSIT_LOTS, {"doc": DOC, "id": order_id, "n": ln.line_no, "w": transit}):
            q = int(q)
            if q <= 0:
                continue
            arrived = min(q, left)
            left -= arrived
            ops.append((sku.id, transit, lot, "take", q, sku.code))
            if arrived:
                ops.append((sku.id, row.to_warehouse_id, lot, "add", arrived, sku.code))
                for wh, signed in ((transit, -arrived), (row.to_warehouse_id, arrived)):
                    moves.append(
                        ledger.Move(
                            sku, wh, rules.TRANSIT_IN, signed, DOC, order_id, ln.line_no, row.ref, lot_id=lot
                        )
                    )
            if q - arrived:
                moves.append(
                    ledger.Move(
                        sku,
                        transit,
                        rules.TRANSIT_LOSS,
                        arrived - q,
                        DOC,
                        order_id,
                        ln.line_no,
                        row.ref,
                        lot_id=lot,
                    )
                )
    _apply_balances(uow, ops)
    # Serial units (all at lot 0 of their line) move after the balances, in the global lock order.
    for ln, sku in sorted(current, key=lambda p: p[1].id):
        if sku.tracking != rules.SERIAL:
            continue
        came, gone = arrived_units[ln.line_no], lost_units[ln.line_no]
        ids = {
            rules.TRANSIT_IN: tracking.serials_out(
                uow, sku, came, transit, rules.SERIAL_IN_STOCK, row.to_warehouse_id
            )
            if came
            else (),
            rules.TRANSIT_LOSS: tracking.serials_out(uow, sku, gone, transit, rules.SERIAL_REMOVED)
            if gone
            else (),
        }
        moves = [
            dataclasses.replace(m, serial_ids=ids[m.kind])
            if m.sku.id == sku.id and m.line_no == ln.line_no
            else m
            for m in moves
        ]
    values = ledger.post(uow, at, moves)
    loss: dict[str, int] = {}
    for m, v in zip(moves, values, strict=True):
        if m.kind == rules.TRANSIT_LOSS:
            loss[m.sku.code] = loss.get(m.sku.code, 0) + v
    uow.audit(
        "inventory.transfer_order.receive",
        DOC,
        row.ref,
        before={"status": row.status},
        after={
            "status": rules.DONE,
            "to": dst,
            "at": at.isoformat(),
            "lines": [
                {
                    "sku": sku.code,
                    "shipped": ln.shipped,
                    "received": received[sku.id],
                    "lost": ln.shipped - received[sku.id],
                    "loss_value_cents": -loss.get(sku.code, 0),
                }
                | (
                    {"serials": arrived_units[ln.line_no], "serials_lost": lost_units[ln.line_no]}
                    if ln.line_no in arrived_units
                    else {}
                )
                for ln, sku in current
            ],
        },
    )
    return _detail(uow, order_id)


def _received(
    uow: UnitOfWork,
    ref: str,
    order_id: int,
    transit: int,
    current: list,
    lines: Sequence[ReceivedLine] | None,
) -> tuple[dict[int, int], dict[int, list[str]], dict[int, list[str]]]:
    """(sku id -> received quantity, checked against what each line shipped; and for serial
    lines, line no -> the units that arrived, and line no -> the units lost in transit)."""
    on_road = {
        ln.line_no: units_in_transit(uow, order_id, ln.line_no, transit)
        for ln, sku in current
        if sku.tracking == rules.SERIAL
    }
    if lines is None:
        return ({sku.id: ln.shipped for ln, sku in current}, on_road, {n: [] for n in on_road})
    by_code = {sku.code: (ln, sku) for ln, sku in current}
    service._unique_skus([x.sku for x in lines])
    out: dict[int, int] = {}
    came: dict[int, list[str]] = {}
    for x in lines:
        found = by_code.get(x.sku)
        if found is None:
            raise _not_on_order(x.sku, ref)
        ln, sku = found
        received = x.received
        if received is None and sku.tracking == rules.SERIAL:
            if x.serials is None:  # not scanned is not "none arrived": that is an empty list
                raise Invalid(
                    "inventory.serials_required",
                    "Line {line}: {sku} is serial-tracked; scan the units that arrived",
                    "第 {line} 行：{sku} 按序列号管理，请扫描到货商品的序列号",
                    line=ln.line_no,
                    sku=sku.code,
                )
            received = len(x.serials)
        got = service._qty(received, allow_zero=True, what="received")
        if got > ln.shipped:
            raise Invalid(
                "inventory.receive_exceeds_shipped",
                "{sku}: received {received} is more than the {shipped} shipped",
                "{sku}：收货数量 {received} 超过发货数量 {shipped}",
                sku=sku.code,
                received=got,
                shipped=ln.shipped,
            )
        scanned = tracking.check_serials(sku, x.serials, got, ln.line_no)
        if sku.tracking == rules.SERIAL:
            expected = set(on_road[ln.line_no])
            stray = next((no for no in scanned if no not in expected), None)
            if stray is not None:
                raise Conflict(
                    "inventory.serial_not_in_transit_here",
                    "Serial number {serial} of {sku} is not in transit on transfer order {ref}",
                    "{sku} 的序列号 {serial} 不在调拨单 {ref} 的在途商品中",
                    serial=str(stray)[:64],
                    sku=sku.code,
                    ref=ref,
                )
            came[ln.line_no] = scanned
        out[sku.id] = got
    missing = [sku.code for ln, sku in current if sku.id not in out]
    if missing:
        raise Invalid(
            "inventory.receive_lines_missing",
            "Give the received quantity of every line (missing: {skus})",
            "请填写每一行的收货数量（缺少：{skus}）",
            skus=", ".join(missing[:5]),
        )
    lost = {}
    for n, units in on_road.items():
        arrived = set(came[n])
        lost[n] = [no for no in units if no not in arrived]
    return out, came, lost


# ---------------------------------------------------------------------------------------------
# Reads


@dataclass(frozen=True)
class TransferOrderRow:
    id: int
    ref: str
    status: str
    from_warehouse: str
    to_warehouse: str
    note: str | None
    created_at: dt.datetime
    created_by: str
    shipped_at: dt.datetime | None
    received_at: dt.datetime | None
    lines: int
    qty: int
    shipped: int
    received: int
    lost: int
    in_transit: int


def _scope_filter(uow: UnitOfWork, warehouse_code: str | None):
    """A WHERE on either side of the order for the actor's warehouses (and the filter), or None."""
    allowed = uow.actor.allowed("warehouse")
    conds = []
    src, dst = aliased(warehouse), aliased(warehouse)
    if warehouse_code:
        conds.append(
            or_(
                to.from_warehouse_id.in_(select(src.c.id).where(src.c.code == warehouse_code)),
                to.to_warehouse_id.in_(select(dst.c.id).where(dst.c.code == warehouse_code)),
            )
        )
    if allowed is not None:
        codes = sorted(allowed)
        conds.append(
            or_(
                to.from_warehouse_id.in_(select(src.c.id).where(src.c.code.in_(codes))),
                to.to_warehouse_id.in_(select(dst.c.id).where(dst.c.code.in_(codes))),
            )
        )
    return and_(*conds) if conds else None


def list_transfer_orders(
    uow: UnitOfWork,
    *,
    status: str | None = None,
    warehouse_code: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    ids: Sequence[int] | None = None,
) -> tuple[list[TransferOrderRow], str | None]:
    """Transfer orders the actor may see (source or destination in scope), newest first, with
    each one's totals: planned, shipped, received, lost and still in transit."""
    src, dst = aliased(warehouse), aliased(warehouse)
    sums = (
        select(
            tl.order_id,
            func.count().label("lines"),
            func.sum(tl.qty).label("qty"),
            func.sum(tl.shipped).label("shipped"),
            func.sum(tl.received).label("received"),
            func.sum(tl.lost).label("lost"),
        )
        .group_by(tl.order_id)
        .subquery()
    )
    stmt = (
        select(
            to.id,
            to.ref,
            to.status,
            src.c.code.label("src"),
            dst.c.code.label("dst"),
            to.note,
            to.created_at,
            to.created_by,
            to.shipped_at,
            to.received_at,
            sums.c.lines,
            sums.c.qty,
            sums.c.shipped,
            sums.c.received,
            sums.c.lost,
        )
        .select_from(
            transfer_order.join(src, src.c.id == to.from_warehouse_id)
            .join(dst, dst.c.id == to.to_warehouse_id)
            .outerjoin(sums, sums.c.order_id == to.id)
        )
        .order_by(to.id.desc())
        .limit(limit + 1)
    )
    where = _scope_filter(uow, warehouse_code)
    if where is not None:
        stmt = stmt.where(where)
    if status:
        stmt = stmt.where(to.status == status)
    if q:
        stmt = stmt.where(to.ref.ilike(f"%{q}%"))
    if ids is not None:
        stmt = stmt.where(to.id.in_(list(ids)))
    after = after_id(cursor)
    if after is not None:
        stmt = stmt.where(to.id < after)
    rows = uow.conn.execute(stmt).all()
    out = []
    for r in rows[:limit]:
        shipped, received, lost = int(r.shipped or 0), int(r.received or 0), int(r.lost or 0)
        out.append(
            TransferOrderRow(
                r.id,
                r.ref,
                r.status,
                r.src,
                r.dst,
                r.note,
                r.created_at,
                r.created_by,
                r.shipped_at,
                r.received_at,
                int(r.lines or 0),
                int(r.qty or 0),
                shipped,
                received,
                lost,
                rules.in_transit(shipped, received, lost) if r.status == rules.SHIPPED else 0,
            )
        )
    nxt = encode_cursor({"id": rows[limit - 1].id}) if len(rows) > limit else None
    return out, nxt


def _line_view(uow: UnitOfWork, order_id: int) -> list[dict]:
    sku_t = catalog.sku_view
    return [
        {"sku": r.code, "qty": r.qty}
        for r in uow.conn.execute(
            select(sku_t.c.code, tl.qty)
            .join(sku_t, sku_t.c.id == tl.sku_id)
            .where(tl.order_id == order_id)
            .order_by(tl.line_no)
        )
    ]


def transfer_order_detail(uow: UnitOfWork, order_id: int) -> dict | None:
    """One transfer order the actor may see: header, lines (the SKU's tracking, planned, shipped,
    received, lost, in transit — for a serial-tracked line also the numbers of its units in transit
    — and the loss's value) and the ledger rows it wrote; None when unknown or out of scope."""
    rows, _ = list_transfer_orders(uow, ids=[order_id], limit=1)
    if not rows:
        return None
    head = rows[0]
    sku_t = catalog.sku_view
    sm = stock_move.c
    loss = dict(
        uow.conn.execute(
            select(sm.line_no, func.sum(sm.value_cents))
            .where(sm.doc_type == DOC, sm.doc_id == order_id, sm.kind == rules.TRANSIT_LOSS)
            .group_by(sm.line_no)
        ).all()
    )
    on_road = head.status == rules.SHIPPED
    transit = transit_warehouse_id(uow) if on_road else None
    lines = [
        {
            "line_no": r.line_no,
            "sku": r.code,
            "sku_name": r.name,
            "tracking": r.tracking,
            "serials_in_transit": units_in_transit(uow, order_id, r.line_no, transit)
            if transit is not None and r.tracking == rules.SERIAL
            else [],
            "qty": r.qty,
            "shipped": r.shipped,
            "received": r.received,
            "lost": r.lost,
            "in_transit": rules.in_transit(r.shipped, r.received, r.lost) if on_road else 0,
            "loss_value_cents": -int(loss.get(r.line_no) or 0),
        }
        for r in uow.conn.execute(
            select(
                tl.line_no,
                sku_t.c.code,
                sku_t.c.name,
                sku_t.c.tracking,
                tl.qty,
                tl.shipped,
                tl.received,
                tl.lost,
            )
            .join(sku_t, sku_t.c.id == tl.sku_id)
            .where(tl.order_id == order_id)
            .order_by(tl.line_no)
        )
    ]
    moves = reports.document_moves(uow, DOC, order_id)
    return {
        **head.__dict__,
        "loss_value_cents": sum(x["loss_value_cents"] for x in lines),
        "line_items": lines,
        "moves": moves,
    }


def _detail(uow: UnitOfWork, order_id: int) -> dict:
    d = transfer_order_detail(uow, order_id)
    if d is None:  # pragma: no cover - the writer just checked the scope
        raise Forbidden("auth.out_of_scope", "Out of your data scope", "超出您的数据范围")
    return d
