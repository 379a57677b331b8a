"""Waves (波次) and picking.

Creating waves takes the allocated orders of a warehouse that are in no wave, gives each a
courier (the rules, unless one was set by hand) and groups them by courier account and SKU set:
single-item orders, orders with the very same lines, and the rest (mixed). ``wave_order.order_id``
is unique, so two waves never take one order. Releasing a wave lists what to pick per SKU and
batch, sorted by bin. Confirming the picks moves its orders to the pack station; a SKU picked short
sends the orders it cannot fill (the last slots first) back to the exception queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from omnistock.catalog import service as catalog
from omnistock.fulfillment import couriers, rules
from omnistock.fulfillment.models import short_pick, wave, wave_order, wave_pick
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict, Invalid, not_found
from omnistock.platform.uow import UnitOfWork

DOC = "sales_order"  # the orders area's reservations are kept under this document type
w_, wo_, wp_ = wave.c, wave_order.c, wave_pick.c


def check_scope(uow: UnitOfWork, warehouse_id: int | None) -> str:
    """The warehouse's code, when the actor's data scope includes it."""
    if warehouse_id is None:
        raise Conflict("fulfillment.not_allocated", "The order has no warehouse yet", "订单尚未分配仓库")
    code = inventory.warehouse_code(uow, warehouse_id)
    uow.actor.require_scope("warehouse", [code])
    return code


def scoped_warehouse_ids(uow: UnitOfWork) -> list[int] | None:
    """Ids of the warehouses in the actor's data scope; None when unrestricted."""
    allowed = uow.actor.allowed("warehouse")
    if allowed is None:
        return None
    return [w.id for w in inventory.list_warehouses(uow) if w.code in allowed]


def set_courier(uow: UnitOfWork, *, order_ref: str, account_code: str) -> dict:
    """Override the courier of an allocated order before it goes into a wave (a wave is one
    courier's)."""
    uow.actor.require("fulfillment.wave.manage")
    acc = couriers.account(uow, account_code)
    sheets = orders.order_sheets(uow, refs=[order_ref])
    if not sheets:
        raise Invalid(
            "fulfillment.unknown_order", "Unknown order {ref}", "订单 {ref} 不存在", ref=str(order_ref)[:64]
        )
    o = sheets[0]
    if o.status != "allocated":
        raise Conflict(
            "fulfillment.not_allocated",
            "Order {ref} is not allocated; only allocated orders get a courier",
            "订单 {ref} 不是已分配状态，只有已分配订单可以指定快递",
            ref=o.ref,
        )
    check_scope(uow, o.warehouse_id)
    if uow.conn.execute(select(wo_.wave_id).where(wo_.order_id == o.id)).first():
        raise Conflict(
            "fulfillment.order_in_wave",
            "Order {ref} is already in a wave",
            "订单 {ref} 已在波次中",
            ref=o.ref,
        )
    couriers.assign(uow, o.id, acc.id, None, f"手工指定 {acc.name}")
    uow.audit("fulfillment.courier.override", "sales_order", o.ref, after={"account": acc.code})
    return {"order": o.ref, "account": acc.code}


@dataclass(frozen=True)
class Created:
    waves: list[str]
    unassigned: list[str]  # orders no courier rule takes


def create_waves(
    uow: UnitOfWork,
    *,
    warehouse: str,
    max_orders: int = 50,
    strategy: str = "cheapest",
    refs: Sequence[str] | None = None,
) -> Created:
    """Waves of the warehouse's allocated orders that are in none (of ``refs`` only, when given)."""
    uow.actor.require("fulfillment.wave.manage")
    wh = inventory.warehouse_ref(uow, warehouse)
    uow.actor.require_scope("warehouse", [wh.code])
    if (
        not isinstance(max_orders, int)
        or isinstance(max_orders, bool)
        or not 1 <= max_orders <= rules.MAX_WAVE_ORDERS
    ):
        raise Invalid(
            "fulfillment.bad_wave_size",
            "A wave holds 1 to {max} orders",
            "每个波次 1 到 {max} 个订单",
            max=rules.MAX_WAVE_ORDERS,
        )
    if strategy not in rules.STRATEGIES:
        raise Invalid(
            "fulfillment.bad_strategy",
            "The courier strategy is cheapest or priority",
            "快递选择策略为 cheapest 或 priority",
        )
    sheets = orders.order_sheets(uow, status="allocated", warehouse_ids=[wh.id], refs=refs)
    if refs is not None:
        missing = sorted(set(refs) - {s.ref for s in sheets})
        if missing:
            raise Conflict(
                "fulfillment.not_allocated",
                "Order {ref} is not an allocated order of warehouse {warehouse}",
                "订单 {ref} 不是仓库 {warehouse} 的已分配订单",
                ref=missing[0],
                warehouse=wh.code,
            )
    in_waves = set(
        uow.conn.execute(select(wo_.order_id).where(wo_.order_id.in_([s.id for s in sheets]))).scalars()
    )
    if refs is not None and in_waves:
        taken = next(s.ref for s in sheets if s.id in in_waves)
        raise Conflict(
            "fulfillment.order_in_wave",
            "Order {ref} is already in a wave",
            "订单 {ref} 已在波次中",
            ref=taken,
        )
    sheets = [s for s in sheets if s.id not in in_waves]
    chosen = couriers.assigned(uow, [s.id for s in sheets])
    codes = {a.id: a.code for a in couriers.accounts(uow)}
    by_code = {v: k for k, v in codes.items()}
    plan_in, unassigned = [], []
    active = [r for r, _ in couriers.list_rules(uow, active_only=True)]
    for s in sheets:
        if s.id not in chosen:
            pick = rules.choose_courier(
                active, province=s.province, city=s.city, weight_g=0, strategy=strategy
            )
            if pick is None:
                unassigned.append(s.ref)
                continue
            acc_id = by_code[pick.rule.account]
            couriers.assign(uow, s.id, acc_id, pick.rule.id, pick.rule.name)
            chosen[s.id] = (acc_id, pick.rule.id, pick.rule.name)
        plan_in.append(
            rules.WaveOrder(s.ref, wh.code, codes[chosen[s.id][0]], tuple((ln.sku, ln.qty) for ln in s.lines))
        )
    ids = {s.ref: s.id for s in sheets}
    now = utcnow()
    made = []
    day = now.strftime("%y%m%d")
    n = uow.conn.execute(select(func.count()).select_from(wave).where(w_.ref.like(f"W{day}-%"))).scalar_one()
    try:
        for kind, members in rules.plan_waves(plan_in, max_orders=max_orders):
            n += 1
            ref = f"W{day}-{n:04d}"
            wave_id = uow.conn.execute(
                insert(wave)
                .values(
                    ref=ref,
                    warehouse_id=wh.id,
                    account_id=by_code[members[0].account],
                    kind=kind,
                    status=rules.CREATED,
                    created_at=now,
                    created_by=uow.actor.username,
                )
                .returning(w_.id)
            ).scalar_one()
            uow.conn.execute(
                insert(wave_order),
                [
                    {
                        "wave_id": wave_id,
                        "order_id": ids[o.ref],
                        "order_ref": o.ref,
                        "slot": i,
                        "status": rules.WAITING,
                    }
                    for i, o in enumerate(members, 1)
                ],
            )
            uow.audit(
                "fulfillment.wave.create",
                "wave",
                ref,
                after={
                    "warehouse": wh.code,
                    "kind": kind,
                    "account": members[0].account,
                    "orders": [o.ref for o in members],
                },
            )
            made.append(ref)
    except IntegrityError as exc:  # a concurrent creation took an order (or a wave number) first
        raise Conflict(
            "fulfillment.order_in_wave",
            "Waves were created by someone else meanwhile and took some of these orders; try again",
            "其他人刚刚创建了波次并占用了部分订单，请重试",
        ) from exc
    return Created(made, unassigned)


def _wave(uow: UnitOfWork, ref: str):
    row = uow.conn.execute(select(wave).where(w_.ref == ref)).first() if isinstance(ref, str) else None
    if row is None:
        raise not_found("wave", ref, zh="波次")
    check_scope(uow, row.warehouse_id)
    return row


def _move_wave(uow: UnitOfWork, row, target: str, **values) -> None:
    """One conditional UPDATE: a concurrent move of the same wave makes this one fail cleanly."""
    allowed = sorted(rules.sources(rules.WAVE_TRANSITIONS, target))
    done = uow.conn.execute(
        update(wave).where(and_(w_.id == row.id, w_.status.in_(allowed))).values(status=target, **values)
    ).rowcount
    cur = uow.conn.execute(select(w_.status).where(w_.id == row.id)).scalar_one()
    if done != 1:
        raise Conflict(
            "fulfillment.illegal_transition",
            "Wave {ref} is {current}; it cannot become {target}",
            "波次 {ref} 当前为「{current_zh}」，不能变为「{target_zh}」",
            ref=row.ref,
            current=cur,
            target=target,
            current_zh=rules.WAVE_STATES[cur][0],
            target_zh=rules.WAVE_STATES[target][0],
        )
    uow.audit(f"fulfillment.wave.{target}", "wave", row.ref, after={"status": cur})


def release_wave(uow: UnitOfWork, ref: str) -> dict:
    """Release a wave to picking: orders no longer allocated (cancelled, held meanwhile) leave it;
    the pick list is what the rest have reserved, per SKU and batch."""
    uow.actor.require("fulfillment.wave.manage")
    row = _wave(uow, ref)
    _move_wave(uow, row, rules.RELEASED, released_at=utcnow())
    members = uow.conn.execute(select(wo_.order_id, wo_.order_ref).where(wo_.wave_id == row.id)).all()
    live = {s.id for s in orders.order_sheets(uow, ids=[m.order_id for m in members], status="allocated")}
    gone = [m.order_ref for m in members if m.order_id not in live]
    if gone:
        uow.conn.execute(delete(wave_order).where(wo_.wave_id == row.id, wo_.order_id.not_in(live or {0})))
    if not live:
        raise Conflict(
            "fulfillment.empty_wave",
            "No order of wave {ref} is still allocated",
            "波次 {ref} 中已没有已分配的订单",
            ref=row.ref,
        )
    uow.conn.execute(update(wave_order).where(wo_.wave_id == row.id).values(status=rules.PICKING))
    need: dict[tuple[int, str], int] = {}
    for p in inventory.reserved_parts(uow, doc_type=DOC, doc_ids=sorted(live)):
        need[(p.sku_id, p.lot_no)] = need.get((p.sku_id, p.lot_no), 0) + p.qty
    bins = inventory.bins_of(uow, row.warehouse_id, [s for s, _ in need])
    uow.conn.execute(
        insert(wave_pick),
        [
            {"wave_id": row.id, "sku_id": s, "lot_no": lot_no, "bin_code": bins.get(s), "needed": q}
            for (s, lot_no), q in sorted(need.items())
        ],
    )
    uow.audit("fulfillment.wave.pick_list", "wave", row.ref, after={"dropped": gone, "lines": len(need)})
    return {"ref": row.ref, "dropped": gone}


def pick_list(uow: UnitOfWork, ref: str) -> dict:
    """What to pick for a released wave, walking the bins in order, and which slot each order's
    goods go to."""
    uow.actor.require("fulfillment.read")
    row = _wave(uow, ref)
    lines = []
    for p in uow.conn.execute(select(wave_pick).where(wp_.wave_id == row.id)):
        sku = catalog.get_sku(uow, p.sku_id)
        lines.append(
            {
                "bin": p.bin_code,
                "sku": sku.code,
                "name": sku.name,
                "barcode": sku.barcodes[0] if sku.barcodes else None,
                "lot_no": p.lot_no or None,
                "tracking": catalog.sku_ref_by_id(uow, p.sku_id).tracking,
                "needed": p.needed,
                "picked": p.picked,
            }
        )
    lines.sort(key=lambda x: (x["bin"] is None, x["bin"] or "", x["sku"], x["lot_no"] or ""))
    slots = uow.conn.execute(
        select(wo_.order_id, wo_.order_ref, wo_.slot, wo_.status)
        .where(wo_.wave_id == row.id)
        .order_by(wo_.slot)
    ).all()
    sheets = {s.id: s for s in orders.order_sheets(uow, ids=[s.order_id for s in slots])}
    shorts = uow.conn.execute(
        select(short_pick.c.order_ref, short_pick.c.sku_id, short_pick.c.needed).where(
            short_pick.c.wave_id == row.id
        )
    ).all()
    return {
        **wave_summary(uow, row),
        "lines": lines,
        "orders": [
            {
                "slot": s.slot,
                "ref": s.order_ref,
                "status": s.status,
                "receiver": sheets[s.order_id].receiver if s.order_id in sheets else "",
                "items": [{"sku": ln.sku, "name": ln.name, "qty": ln.qty} for ln in sheets[s.order_id].lines]
                if s.order_id in sheets
                else [],
            }
            for s in slots
        ],
        "short_picks": [
            {"order": r.order_ref, "sku": catalog.sku_ref_by_id(uow, r.sku_id).code, "needed": r.needed}
            for r in shorts
        ],
    }


@dataclass(frozen=True)
class PickIn:
    sku: str
    picked: int
    lot_no: str | None = None


def confirm_picks(uow: UnitOfWork, ref: str, picks: Sequence[PickIn] = ()) -> dict:
    """The picker confirms the wave: every line picked in full unless ``picks`` says less. A line
    picked short sends the orders it cannot fill back to the exception queue (reason
    ``short_pick``; their reservation released) and out of the wave. Picking more than needed is
    refused."""
    uow.actor.require("fulfillment.pick")
    row = _wave(uow, ref)
    if row.status != rules.RELEASED:
        raise Conflict(
            "fulfillment.not_picking",
            "Wave {ref} is not being picked",
            "波次 {ref} 不在拣货中",
            ref=row.ref,
        )
    lines = {
        (p.sku_id, p.lot_no): p for p in uow.conn.execute(select(wave_pick).where(wp_.wave_id == row.id))
    }
    picked = {k: p.needed for k, p in lines.items()}
    seen = set()
    for p in picks:
        sku = catalog.resolve_code(uow, p.sku) if isinstance(p.sku, str) else None
        key = (sku.id if sku else 0, p.lot_no or "")
        if key not in lines:
            raise Invalid(
                "fulfillment.not_in_wave",
                "{sku} is not on the pick list of wave {ref}",
                "{sku} 不在波次 {ref} 的拣货单上",
                sku=str(p.sku)[:64],
                ref=row.ref,
            )
        if key in seen:
            raise Invalid(
                "fulfillment.duplicate_line", "{sku} is confirmed twice", "{sku} 重复确认", sku=p.sku
            )
        seen.add(key)
        if not isinstance(p.picked, int) or isinstance(p.picked, bool) or p.picked < 0:
            raise Invalid(
                "fulfillment.bad_quantity",
                "A picked quantity is a whole number ≥ 0",
                "实拣数量须为不小于 0 的整数",
            )
        if p.picked > lines[key].needed:
            raise Invalid(
                "fulfillment.over_pick",
                "Over-picking {sku}: {picked} picked, only {needed} needed",
                "{sku} 多拣：实拣 {picked}，只需要 {needed}",
                sku=sku.code,
                picked=p.picked,
                needed=lines[key].needed,
            )
        picked[key] = p.picked
    members = uow.conn.execute(
        select(wo_.order_id, wo_.order_ref).where(wo_.wave_id == row.id).order_by(wo_.slot)
    ).all()
    slot_of = {m.order_id: i for i, m in enumerate(members)}
    parts = inventory.reserved_parts(uow, doc_type=DOC, doc_ids=[m.order_id for m in members])
    short: dict[str, tuple[int, tuple[int, str], int]] = {}  # order ref -> (order id, pick line, needed)
    ref_of = {m.order_id: m.order_ref for m in members}
    for key, p in sorted(lines.items()):
        if picked[key] >= p.needed:
            continue
        needs: dict[int, int] = {}
        for part in parts:
            if (part.sku_id, part.lot_no) == key:
                needs[part.doc_id] = needs.get(part.doc_id, 0) + part.qty
        ordered = sorted(needs.items(), key=lambda kv: slot_of[kv[0]])
        # Orders filled in slot order; an order already short elsewhere needs none of this SKU.
        live = [(ref_of[oid], q) for oid, q in ordered if ref_of[oid] not in short]
        for r in rules.short_orders(live, picked[key]):
            oid = next(oid for oid, _ in ordered if ref_of[oid] == r)
            short[r] = (oid, key, needs[oid])
    now = utcnow()
    for k, q in picked.items():
        uow.conn.execute(
            update(wave_pick)
            .where(wp_.wave_id == row.id, wp_.sku_id == k[0], wp_.lot_no == k[1])
            .values(picked=q)
        )
    for r, (oid, key, needed) in sorted(short.items()):
        sku_id = key[0]
        sku_code = catalog.sku_ref_by_id(uow, sku_id).code
        orders.hold_short_pick(uow, r, sku=sku_code, needed=lines[key].needed, picked=picked[key])
        uow.conn.execute(
            insert(short_pick).values(
                wave_id=row.id,
                order_id=oid,
                order_ref=r,
                sku_id=sku_id,
                needed=needed,
                at=now,
                by=uow.actor.username,
            )
        )
        uow.conn.execute(delete(wave_order).where(wo_.order_id == oid))
    done = uow.conn.execute(
        update(wave_order)
        .where(wo_.wave_id == row.id, wo_.status == rules.PICKING)
        .values(status=rules.PICKED)
    ).rowcount
    _move_wave(uow, row, rules.PICKED, picked_at=now)
    if done == 0:
        _move_wave(uow, row, rules.DONE, done_at=now)
    uow.audit(
        "fulfillment.wave.picks",
        "wave",
        row.ref,
        after={
            "short_orders": sorted(short),
            "picked": {f"{k[0]}:{k[1]}": q for k, q in sorted(picked.items())},
        },
    )
    return {"ref": row.ref, "short_orders": sorted(short), "to_pack": done}


def finish_if_done(uow: UnitOfWork, wave_id: int) -> None:
    """A picked wave whose every order has shipped is done."""
    open_left = uow.conn.execute(
        select(exists().where(wo_.wave_id == wave_id, wo_.status != rules.SHIPPED))
    ).scalar()
    if not open_left:
        uow.conn.execute(
            update(wave)
            .where(w_.id == wave_id, w_.status == rules.PICKED)
            .values(status=rules.DONE, done_at=utcnow())
        )


def wave_summary(uow: UnitOfWork, row) -> dict:
    counts = dict(
        uow.conn.execute(
            select(wo_.status, func.count()).where(wo_.wave_id == row.id).group_by(wo_.status)
        ).all()
    )
    acc = couriers.account_by_id(uow, row.account_id)
    return {
        "ref": row.ref,
        "warehouse": inventory.warehouse_code(uow, row.warehouse_id),
        "kind": row.kind,
        "status": row.status,
        "account": acc.code,
        "account_name": acc.name,
        "orders": int(sum(counts.values())),
        "shipped": int(counts.get(rules.SHIPPED, 0)),
        "created_at": row.created_at,
        "released_at": row.released_at,
    }


def list_waves(uow: UnitOfWork, *, status: str | None = None, limit: int = 200) -> list[dict]:
    uow.actor.require("fulfillment.read")
    stmt = select(wave).order_by(w_.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(w_.status == status)
    ids = scoped_warehouse_ids(uow)
    if ids is not None:
        stmt = stmt.where(w_.warehouse_id.in_(ids))
    return [wave_summary(uow, r) for r in uow.conn.execute(stmt).all()]
