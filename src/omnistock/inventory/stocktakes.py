"""Stocktake count sheets (盘点单): snapshot the book, count by scanning or typing, recount, post.

A sheet covers one warehouse: every SKU with stock or ever stocked there (``{"kind": "all"}``) or
a chosen list (``{"kind": "skus", "skus": [...]}``); more scope kinds (categories) slot into
``rules.STOCKTAKE_SCOPES`` and ``_scope_lines``. Making the sheet snapshots each line's book
on-hand. Counting: each scan of a code adds 1 to its line, a typed quantity sets it; on an
``all`` sheet a SKU not on it gets a new line (book 0: it had no stock there at the snapshot).
After a first round, lines with a difference can be sent to recount: their second-round counts
replace the first (both are kept). States are data: ``rules.STOCKTAKE_TRANSITIONS``.

**Posting rule (freeze).** The counted quantity describes the shelf as it was at the snapshot, so
a line's difference is ``counted − book snapshot``, and it is applied to the *current* on-hand:
the posted on-hand is ``on-hand now + (counted − snapshot)``. Stock received, shipped or moved
while the sheet was being counted is therefore neither lost nor counted twice, as long as goods
that move during the count are kept apart from the shelves being counted (the usual practice).
Posting never goes below what is reserved for orders (``inventory.stocktake_below_reserved``) nor
below zero (``inventory.stocktake_negative``): release those orders or recount. The differences
post through ``service.count`` — one ``count`` stock document with the sheet's number — so they
are valued by the costing rules: a loss like shrinkage, a gain at the current unit cost.

Blind sheets withhold book quantities (and so differences and values) from anyone who cannot
post stocktakes (``inventory.count.create``) until the sheet is closed.

Import these functions through ``inventory.service``, which re-exports them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from omnistock.catalog import service as catalog
from omnistock.inventory import ledger, rules, service, states, tracking
from omnistock.inventory.models import (
    cost_pool,
    lot,
    sku_bin,
    stock_balance,
    stock_document,
    stocktake,
    stocktake_line,
    warehouse,
)
from omnistock.inventory.reports import _scoped_warehouse_ids
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import AppError, Conflict, Forbidden, Invalid
from omnistock.platform.pagination import after_id, encode_cursor
from omnistock.platform.permissions import register
from omnistock.platform.sql import Sql, raw
from omnistock.platform.uow import UnitOfWork

register(
    ("inventory.stocktake.create", "新建 / 取消盘点单", "Create and cancel stocktake sheets"),
    ("inventory.stocktake.count", "录入盘点数（扫码）", "Enter stocktake counts (scanning)"),
)
# Sending lines to recount and posting a sheet need ``inventory.count.create`` (盘点: post
# stocktakes), the permission of the count document that posting writes; so does seeing the book
# of a blind sheet before it is closed.
POST_PERMISSION = "inventory.count.create"

WHAT = ("盘点单", "Stocktake sheet")
st, sl = stocktake.c, stocktake_line.c
MAX_SKUS = 5000


def resolve_code(uow: UnitOfWork, code: str) -> catalog.SkuRef:
    """The SKU a scanned or typed code stands for: its SKU code or one of its barcodes."""
    try:
        return (
            catalog.resolve_code(uow, code) if isinstance(code, str) and code else catalog.sku_ref(uow, code)
        )
    except AppError as exc:
        if exc.code not in ("catalog.unknown_sku", "catalog.unknown_code"):
            raise
        raise Invalid(
            "inventory.unknown_code",
            "No SKU has the code {code}",
            "编码 {code} 没有对应的 SKU",
            code=str(code)[:64],
        ) from exc


# ---------------------------------------------------------------------------------------------
# Writes


def _sheet(uow: UnitOfWork, sheet_id: int):
    """The sheet's row, locked, and its warehouse code; the warehouse must be in the actor's scope."""
    row = states.lock(uow, stocktake, sheet_id, WHAT)
    code = service.warehouse_code(uow, row.warehouse_id)
    uow.actor.require_scope("warehouse", [code])
    return row, code


def _scope(scope: object) -> tuple[str, list[str]]:
    kind = scope.get("kind") if isinstance(scope, Mapping) else None
    if kind not in rules.STOCKTAKE_SCOPES:
        raise Invalid(
            "inventory.bad_scope",
            "A stocktake scope is one of: {kinds}",
            "盘点范围必须是以下之一：{kinds}",
            kinds=", ".join(rules.STOCKTAKE_SCOPES),
        )
    if kind == rules.SCOPE_ALL:
        return kind, []
    if kind == rules.SCOPE_CATEGORY:
        code = scope.get("category")
        if not isinstance(code, str) or not code:
            raise Invalid(
                "inventory.bad_scope", "A category scope names its category", "按类目盘点需要指定类目"
            )
        return kind, [code]
    if kind == rules.SCOPE_BIN:
        return kind, [service.check_bin(scope.get("bin"))]
    codes = scope.get("skus")
    if not isinstance(codes, list | tuple) or not codes or not all(isinstance(c, str) for c in codes):
        raise Invalid("inventory.no_lines", "A document needs at least one line", "单据至少需要一行明细")
    if len(codes) > MAX_SKUS:
        raise Invalid(
            "inventory.too_many_lines",
            "A stocktake sheet has at most {max} SKUs",
            "一张盘点单最多 {max} 个 SKU",
            max=MAX_SKUS,
        )
    service._unique_skus(list(codes))
    return kind, list(codes)


def _countable(sku: catalog.SkuRef) -> catalog.SkuRef:
    """Sheets count SKUs as a whole, or batch by batch; the units of a serial-tracked SKU are
    counted by scanning each one with a stocktake document (``service.count``) instead."""
    if sku.tracking == rules.SERIAL:
        raise Invalid(
            "inventory.tracked_not_on_sheet",
            "{sku} is tracked by serial number: count its units with a stocktake document",
            "{sku} 按序列号管理，请用盘点单据逐件扫描盘点",
            sku=sku.code,
        )
    return sku


_LOTS_HERE = Sql(
    "SELECT lot_id, on_hand FROM stock_balance WHERE warehouse_id = :w AND sku_id = :s AND lot_id <> 0 "
    "AND on_hand > 0 ORDER BY lot_id"
)


def _book(uow: UnitOfWork, warehouse_id: int, sku: catalog.SkuRef) -> list[dict]:
    """A SKU's lines on a new sheet: one with its on-hand, or one per batch in stock there."""
    r = raw(uow.conn)
    if sku.tracking == rules.BATCH:
        return [
            {"sku_id": sku.id, "lot_id": lot, "book_qty": int(q)}
            for lot, q in r.all(_LOTS_HERE, {"w": warehouse_id, "s": sku.id})
        ]
    return [{"sku_id": sku.id, "lot_id": 0, "book_qty": ledger.balance(r, warehouse_id, sku.id)[0]}]


def _scope_lines(uow: UnitOfWork, warehouse_id: int, kind: str, codes: list[str]) -> list[dict]:
    """The sheet's lines with their book on-hand now (a line per batch in stock for batch-tracked
    SKUs; serial-tracked ones are left to count documents): ``all`` = every SKU with a balance row
    in the warehouse (it has or once had stock there), in SKU code order; ``category`` = those of
    the category and the categories below it; ``bin`` = those on the bins, in bin order; ``skus``
    = those, in order."""
    if kind in (rules.SCOPE_ALL, rules.SCOPE_CATEGORY):
        sku_t, sb = catalog.sku_view, stock_balance.c
        rows = uow.conn.execute(
            select(sb.sku_id, sb.lot_id, sb.on_hand)
            .join(sku_t, sku_t.c.id == sb.sku_id)
            .where(
                sb.warehouse_id == warehouse_id,
                or_(
                    and_(sku_t.c.tracking == rules.NONE, sb.lot_id == 0),
                    and_(sku_t.c.tracking == rules.BATCH, sb.lot_id != 0, sb.on_hand > 0),
                ),
            )
            .where(
                sb.sku_id.in_(catalog.skus_in_category(uow, codes[0]))
                if kind == rules.SCOPE_CATEGORY
                else True
            )
            .order_by(sku_t.c.code, sb.lot_id)
        ).all()
        return [{"sku_id": s, "lot_id": lot, "book_qty": int(q)} for s, lot, q in rows]
    if kind == rules.SCOPE_BIN:  # in bin order: the order the shelves are walked
        refs = [catalog.sku_ref_by_id(uow, s) for s in service.skus_in_bins(uow, warehouse_id, codes[0])]
        return [ln for s in refs if s.tracking != rules.SERIAL for ln in _book(uow, warehouse_id, s)]
    return [ln for code in codes for ln in _book(uow, warehouse_id, _countable(catalog.sku_ref(uow, code)))]


def create_stocktake(
    uow: UnitOfWork,
    *,
    ref: str | None,
    warehouse: str,
    scope: Mapping,
    blind: bool = False,
    note: str | None = None,
) -> dict:
    """A new sheet for ``warehouse``, its lines' book on-hand snapshotted now."""
    uow.actor.require("inventory.stocktake.create")
    wh = service.warehouse_ref(uow, warehouse)
    uow.actor.require_scope("warehouse", [wh.code])
    kind, codes = _scope(scope)
    if not isinstance(blind, bool):
        raise Invalid("inventory.bad_blind", "blind is true or false", "blind 必须是 true 或 false")
    ref = service._ref(ref, "ST")
    # Posting writes a count document with the sheet's number: it must be free there too.
    taken = uow.conn.execute(
        select(stock_document.c.id).where(stock_document.c.kind == "count", stock_document.c.ref == ref)
    ).first()
    if taken:
        raise _duplicate(ref)
    lines = _scope_lines(uow, wh.id, kind, codes)
    stored_scope = {"kind": kind} | {
        rules.SCOPE_ALL: {},
        rules.SCOPE_SKUS: {"skus": codes},
        rules.SCOPE_CATEGORY: {"category": codes[0] if codes else None},
        rules.SCOPE_BIN: {"bin": codes[0] if codes else None},
    }[kind]
    try:
        sheet_id = uow.conn.execute(
            insert(stocktake).returning(st.id),
            {
                "ref": ref,
                "status": rules.OPEN,
                "warehouse_id": wh.id,
                "scope": stored_scope,
                "blind": blind,
                "round": 1,
                "note": note,
                "created_at": utcnow(),
                "created_by": uow.actor.username,
            },
        ).scalar_one()
    except IntegrityError as exc:
        raise _duplicate(ref) from exc
    if lines:
        uow.conn.execute(
            insert(stocktake_line),
            [
                {"stocktake_id": sheet_id, "line_no": i, "added": False, "recount": False, **ln}
                for i, ln in enumerate(lines, 1)
            ],
        )
    uow.audit(
        "inventory.stocktake.create",
        "stocktake",
        ref,
        after={
            "warehouse": wh.code,
            "scope": stored_scope,
            "blind": blind,
            "lines": len(lines),
            "note": note,
        },
    )
    return _detail(uow, sheet_id)


def _duplicate(ref: str) -> Conflict:
    return Conflict(
        "inventory.duplicate_ref", "Document number {ref} is already used", "单号 {ref} 已被使用", ref=ref
    )


@dataclass(frozen=True)
class CountResult:
    """What a scan or typed count did: the line as it is now, and the sheet's state."""

    sheet_status: str
    round: int
    line: dict


def record_count(
    uow: UnitOfWork, sheet_id: int, *, code: str, qty: int | None = None, lot_no: str | None = None
) -> CountResult:
    """Count ``code`` on the sheet: without ``qty`` one more piece (a scan), with ``qty`` the line's
    count becomes ``qty`` (typed). The first count starts the sheet (``open`` → ``counting``); while
    recounting only the lines sent to recount take counts, into the second round. A batch-tracked
    SKU is counted batch by batch: ``lot_no`` names the batch (it may be left out when the sheet
    has just one batch of the SKU); a batch found that is not on a whole-warehouse sheet is added."""
    uow.actor.require("inventory.stocktake.count")
    sheet, _ = _sheet(uow, sheet_id)
    if sheet.status not in rules.STOCKTAKE_COUNTABLE:
        raise states.illegal(WHAT, sheet.ref, sheet.status, rules.COUNTING)
    if qty is not None:
        service._qty(qty, allow_zero=True, what="qty")
    sku = _countable(resolve_code(uow, code))
    lot = _line_lot(uow, sheet_id, sku, lot_no, sheet.scope.get("kind") == rules.SCOPE_ALL)
    status = sheet.status
    if status == rules.OPEN:
        status = states.move(
            uow, stocktake, sheet_id, rules.COUNTING, rules.STOCKTAKE_TRANSITIONS, what=WHAT
        ).status
    recounting = status == rules.RECOUNT
    column = "counted2" if recounting else "counted1"
    line = uow.conn.execute(
        select(stocktake_line).where(sl.stocktake_id == sheet_id, sl.sku_id == sku.id, sl.lot_id == lot)
    ).first()
    if line is None:
        if sheet.scope.get("kind") != rules.SCOPE_ALL:
            raise Conflict(
                "inventory.sku_not_on_sheet",
                "{sku} is not on stocktake sheet {ref}",
                "{sku} 不在盘点单 {ref} 的范围内",
                sku=sku.code,
                ref=sheet.ref,
            )
        last = uow.conn.execute(select(func.max(sl.line_no)).where(sl.stocktake_id == sheet_id)).scalar()
        line_no, before = (last or 0) + 1, None
        uow.conn.execute(
            insert(stocktake_line),
            {
                "stocktake_id": sheet_id,
                "line_no": line_no,
                "sku_id": sku.id,
                "lot_id": lot,
                "book_qty": 0,
                "added": True,
                "recount": recounting,
            },
        )
    else:
        if recounting and not line.recount:
            raise Conflict(
                "inventory.line_not_in_recount",
                "{sku} was not sent to recount",
                "{sku} 不在复盘范围内",
                sku=sku.code,
            )
        line_no, before = line.line_no, line._mapping[column]
    new = (before or 0) + 1 if qty is None else qty
    service._qty(new, allow_zero=True, what="counted")
    uow.conn.execute(
        stocktake_line.update()
        .where(sl.stocktake_id == sheet_id, sl.line_no == line_no)
        .values({column: new, "counted_at": utcnow(), "counted_by": uow.actor.username})
    )
    uow.audit(
        "inventory.stocktake.count",
        "stocktake",
        sheet.ref,
        before={"sku": sku.code, column: before},
        after={"sku": sku.code, column: new, "scan": qty is None},
    )
    lines = _lines(uow, sheet_id, _book_visible(uow, sheet.blind, status), line_no=line_no)
    return CountResult(status, 2 if recounting else sheet.round, lines[0])


def _line_lot(uow: UnitOfWork, sheet_id: int, sku: catalog.SkuRef, lot_no: str | None, may_add: bool) -> int:
    """The batch a count of ``sku`` goes to (0 for SKUs without batches)."""
    if sku.tracking != rules.BATCH:
        if lot_no:
            raise Invalid(
                "inventory.not_batch_tracked",
                "{sku} is not batch-tracked; leave the batch out",
                "{sku} 不按批次管理，不要填写批次",
                sku=sku.code,
            )
        return 0
    if lot_no:
        lot_id = tracking.find_lot(uow, sku, lot_no)
        if lot_id is not None:
            return lot_id
        if not may_add:
            raise Invalid(
                "inventory.unknown_lot",
                "{sku} has no batch {lot}",
                "{sku} 没有批次 {lot}",
                sku=sku.code,
                lot=str(lot_no)[:64],
            )
        return tracking.receive_lot(uow, sku, tracking.LotIn(lot_no), 1)  # a batch found: new, no dates
    lots = [
        r[0]
        for r in uow.conn.execute(select(sl.lot_id).where(sl.stocktake_id == sheet_id, sl.sku_id == sku.id))
    ]
    if len(lots) != 1:
        raise Invalid(
            "inventory.lot_required",
            "{sku} is counted batch by batch: say which batch",
            "{sku} 按批次盘点：请指明批次",
            sku=sku.code,
        )
    return lots[0]


def send_to_recount(uow: UnitOfWork, sheet_id: int, *, skus: Sequence[str] | None = None) -> dict:
    """Send lines to a second round: the given SKUs, or every line whose first count differs from
    the book or that was not counted."""
    uow.actor.require(POST_PERMISSION)
    sheet, _ = _sheet(uow, sheet_id)
    states.move(
        uow, stocktake, sheet_id, rules.RECOUNT, rules.STOCKTAKE_TRANSITIONS, what=WHAT, values={"round": 2}
    )
    sku_t = catalog.sku_view
    lines = uow.conn.execute(
        select(sl.line_no, sl.book_qty, sl.counted1, sku_t.c.code)
        .join(sku_t, sku_t.c.id == sl.sku_id)
        .where(sl.stocktake_id == sheet_id)
    ).all()
    if skus is None:
        chosen = [ln for ln in lines if ln.counted1 is None or ln.counted1 != ln.book_qty]
    else:
        service._unique_skus(list(skus))
        by_code: dict[str, list] = {}
        for ln in lines:  # a batch-tracked SKU has a line per batch: all of them are recounted
            by_code.setdefault(ln.code, []).append(ln)
        chosen = []
        for code in skus:
            if code not in by_code:
                raise Invalid(
                    "inventory.sku_not_on_sheet",
                    "{sku} is not on stocktake sheet {ref}",
                    "{sku} 不在盘点单 {ref} 的范围内",
                    sku=str(code)[:64],
                    ref=sheet.ref,
                )
            chosen.extend(by_code[code])
    if not chosen:
        raise Conflict(
            "inventory.nothing_to_recount",
            "No line of {ref} differs from the book: post it instead",
            "盘点单 {ref} 没有差异行，无需复盘，可直接过账",
            ref=sheet.ref,
        )
    uow.conn.execute(
        stocktake_line.update()
        .where(sl.stocktake_id == sheet_id, sl.line_no.in_([ln.line_no for ln in chosen]))
        .values(recount=True)
    )
    uow.audit(
        "inventory.stocktake.recount",
        "stocktake",
        sheet.ref,
        before={"status": sheet.status},
        after={"status": rules.RECOUNT, "skus": sorted({ln.code for ln in chosen})},
    )
    return _detail(uow, sheet_id)


def post_stocktake(
    uow: UnitOfWork, sheet_id: int, *, uncounted_as_zero: bool = False, at: dt.datetime | None = None
) -> dict:
    """Post the sheet's differences (see the posting rule above) as one ``count`` document.

    Lines not counted are refused (``inventory.stocktake_uncounted``) unless ``uncounted_as_zero``.
    """
    uow.actor.require(POST_PERMISSION)
    sheet, wh_code = _sheet(uow, sheet_id)
    now = utcnow()
    states.move(
        uow,
        stocktake,
        sheet_id,
        rules.POSTED,
        rules.STOCKTAKE_TRANSITIONS,
        what=WHAT,
        values={"posted_at": now, "posted_by": uow.actor.username, "closed_at": now},
    )
    lines = uow.conn.execute(
        select(
            sl.line_no, sl.sku_id, sl.lot_id, sl.book_qty, sl.counted1, sl.counted2, sl.recount, lot.c.lot_no
        )
        .outerjoin(lot, lot.c.id == sl.lot_id)
        .where(sl.stocktake_id == sheet_id)
        .order_by(sl.sku_id, sl.lot_id)
    ).all()
    uncounted = [ln for ln in lines if rules.final_count(ln.counted1, ln.counted2, ln.recount) is None]
    if uncounted and not uncounted_as_zero:
        raise Conflict(
            "inventory.stocktake_uncounted",
            "{n} line(s) of {ref} are not counted (first: {sku}); count them, or post them as 0",
            "盘点单 {ref} 还有 {n} 行未盘点（第一行：{sku}）；请盘点，或按 0 过账",
            n=len(uncounted),
            ref=sheet.ref,
            sku=catalog.sku_ref_by_id(uow, uncounted[0].sku_id).code,
        )
    r = raw(uow.conn)
    plan = []  # (line, sku, on-hand now, posted on-hand)
    for ln in lines:  # SKU order: the balances are locked in the global order
        sku = catalog.sku_ref_by_id(uow, ln.sku_id)
        counted = rules.final_count(ln.counted1, ln.counted2, ln.recount) or 0
        on_hand, reserved = ledger.balance(r, sheet.warehouse_id, sku.id, lot=ln.lot_id, lock=True)
        target = rules.stocktake_target(on_hand, ln.book_qty, counted)
        params = {
            "sku": sku.code,
            "target": target,
            "on_hand": on_hand,
            "difference": counted - ln.book_qty,
            "reserved": reserved,
        }
        if target < 0:
            raise Conflict(
                "inventory.stocktake_negative",
                "{sku}: posting would leave {target} on hand (now {on_hand}, difference {difference}): "
                "stock left since the snapshot; recount it",
                "{sku}：过账后在库将为 {target}（现有 {on_hand}，差异 {difference}），快照后已有出库，请复盘",
                **params,
            )
        if target < reserved:
            raise Conflict(
                "inventory.stocktake_below_reserved",
                "{sku}: posting would set on-hand to {target} (now {on_hand}, difference {difference}), "
                "below the {reserved} reserved for orders; release or re-route those orders first",
                "{sku}：过账后在库 {target}（现有 {on_hand}，差异 {difference}）将低于订单已预留的 "
                "{reserved}，请先释放或改派这些订单",
                **params,
            )
        plan.append((ln, sku, on_hand, target))
    changed = [p for p in plan if p[3] != p[2]]
    values: dict[int, int] = {}
    doc_id = None
    if changed:
        doc = service.count(
            uow,
            ref=sheet.ref,
            warehouse=wh_code,
            lines=[service.CountLine(sku.code, target, ln.lot_no) for ln, sku, _, target in changed],
            at=at,
            note=f"盘点单 Stocktake sheet {sheet.ref}",
        )
        doc_id = doc.id
        by_key = {(x["sku"], x.get("lot_no")): x["value_cents"] for x in doc.lines}
        values = {ln.line_no: by_key[(sku.code, ln.lot_no)] for ln, sku, _, _ in changed}
    for ln, _sku, on_hand, target in plan:
        uow.conn.execute(
            stocktake_line.update()
            .where(sl.stocktake_id == sheet_id, sl.line_no == ln.line_no)
            .values(on_hand_at_post=on_hand, posted_qty=target, value_cents=values.get(ln.line_no, 0))
        )
    uow.conn.execute(stocktake.update().where(st.id == sheet_id).values(count_document_id=doc_id))
    uow.audit(
        "inventory.stocktake.post",
        "stocktake",
        sheet.ref,
        before={"status": sheet.status},
        after={
            "status": rules.POSTED,
            "count_document": doc_id,
            "uncounted_as_zero": len(uncounted) if uncounted_as_zero else 0,
            "lines": [
                {
                    "sku": sku.code,
                    "lot_no": ln.lot_no,
                    "book": ln.book_qty,
                    "on_hand": on_hand,
                    "posted": target,
                    "value_cents": values.get(ln.line_no, 0),
                }
                for ln, sku, on_hand, target in changed
            ],
        },
    )
    return _detail(uow, sheet_id)


def cancel_stocktake(uow: UnitOfWork, sheet_id: int) -> dict:
    """Drop a sheet that was not posted; nothing had moved."""
    uow.actor.require("inventory.stocktake.create")
    sheet, _ = _sheet(uow, sheet_id)
    states.move(
        uow,
        stocktake,
        sheet_id,
        rules.CANCELLED,
        rules.STOCKTAKE_TRANSITIONS,
        what=WHAT,
        values={"closed_at": utcnow()},
    )
    uow.audit(
        "inventory.stocktake.cancel",
        "stocktake",
        sheet.ref,
        before={"status": sheet.status},
        after={"status": rules.CANCELLED},
    )
    return _detail(uow, sheet_id)


# ---------------------------------------------------------------------------------------------
# Reads


@dataclass(frozen=True)
class StocktakeRow:
    id: int
    ref: str
    status: str
    warehouse: str
    scope: dict
    blind: bool
    round: int
    note: str | None
    created_at: dt.datetime
    created_by: str
    posted_at: dt.datetime | None
    posted_by: str | None
    count_document_id: int | None
    lines: int
    counted_lines: int
    recount_lines: int


def _book_visible(uow: UnitOfWork, blind: bool, status: str) -> bool:
    return not blind or status in (rules.POSTED, rules.CANCELLED) or uow.actor.has(POST_PERMISSION)


def list_stocktakes(
    uow: UnitOfWork,
    *,
    status: str | None = None,
    warehouse_code: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    ids: Sequence[int] | None = None,
) -> tuple[list[StocktakeRow], str | None]:
    """Stocktake sheets of the actor's warehouses, newest first, with how far counting got."""
    counted = func.coalesce(sl.counted2, sl.counted1)
    sums = (
        select(
            sl.stocktake_id,
            func.count().label("lines"),
            func.count(counted).label("counted"),
            func.sum(case((sl.recount, 1), else_=0)).label("recount"),
        )
        .group_by(sl.stocktake_id)
        .subquery()
    )
    stmt = (
        select(
            st.id,
            st.ref,
            st.status,
            warehouse.c.code.label("wh"),
            st.scope,
            st.blind,
            st.round,
            st.note,
            st.created_at,
            st.created_by,
            st.posted_at,
            st.posted_by,
            st.count_document_id,
            sums.c.lines,
            sums.c.counted,
            sums.c.recount,
        )
        .select_from(
            stocktake.join(warehouse, warehouse.c.id == st.warehouse_id).outerjoin(
                sums, sums.c.stocktake_id == st.id
            )
        )
        .order_by(st.id.desc())
        .limit(limit + 1)
    )
    w_ids = _scoped_warehouse_ids(uow, warehouse_code)
    if w_ids is not None:
        stmt = stmt.where(st.warehouse_id.in_(w_ids))
    if status:
        stmt = stmt.where(st.status == status)
    if q:
        stmt = stmt.where(st.ref.ilike(f"%{q}%"))
    if ids is not None:
        stmt = stmt.where(st.id.in_(list(ids)))
    after = after_id(cursor)
    if after is not None:
        stmt = stmt.where(st.id < after)
    rows = uow.conn.execute(stmt).all()
    out = [
        StocktakeRow(
            r.id,
            r.ref,
            r.status,
            r.wh,
            dict(r.scope),
            bool(r.blind),
            r.round,
            r.note,
            r.created_at,
            r.created_by,
            r.posted_at,
            r.posted_by,
            r.count_document_id,
            int(r.lines or 0),
            int(r.counted or 0),
            int(r.recount or 0),
        )
        for r in rows[:limit]
    ]
    nxt = encode_cursor({"id": rows[limit - 1].id}) if len(rows) > limit else None
    return out, nxt


def _estimates(uow: UnitOfWork, diffs: dict[int, tuple[int, int]]) -> dict[int, int]:
    """line no -> the value its difference (sku id, difference) would post at now, by the costing
    rules (an estimate until the sheet is posted: other documents may change the valuation)."""
    if not diffs:
        return {}
    cp = cost_pool.c
    pools = {
        r.sku_id: r
        for r in uow.conn.execute(
            select(cp.sku_id, cp.qty, cp.value_cents, cp.layers, cp.last_receipt_unit_cents).where(
                cp.sku_id.in_(sorted({s for s, _ in diffs.values()}))
            )
        )
    }
    out = {}
    for line_no, (sku_id, d) in diffs.items():
        sku = catalog.sku_ref_by_id(uow, sku_id)
        p = pools.get(sku_id)
        val = ledger._valuation(sku.cost_method, p.qty, p.value_cents, p.layers) if p else None
        if d > 0:
            out[line_no] = (val or rules.Valuation(sku.cost_method)).gain_value(
                d, p.last_receipt_unit_cents if p else 0
            )
        elif val is not None and val.qty:
            out[line_no] = -val.take(min(-d, val.qty))
        else:
            out[line_no] = 0
    return out


def _lines(uow: UnitOfWork, sheet_id: int, book_visible: bool, *, line_no: int | None = None) -> list[dict]:
    sku_t = catalog.sku_view
    stmt = (
        select(
            stocktake_line,
            sku_t.c.code,
            sku_t.c.name,
            st.status,
            sku_bin.c.bin_code,
            lot.c.lot_no,
            lot.c.expiry_date,
        )
        .join(sku_t, sku_t.c.id == sl.sku_id)
        .join(stocktake, st.id == sl.stocktake_id)
        .outerjoin(lot, lot.c.id == sl.lot_id)
        .outerjoin(sku_bin, and_(sku_bin.c.warehouse_id == st.warehouse_id, sku_bin.c.sku_id == sl.sku_id))
        .where(sl.stocktake_id == sheet_id)
        .order_by(sl.line_no)
    )
    if line_no is not None:
        stmt = stmt.where(sl.line_no == line_no)
    rows = uow.conn.execute(stmt).all()
    posted = bool(rows) and rows[0].status == rules.POSTED
    finals = {r.line_no: rules.final_count(r.counted1, r.counted2, r.recount) for r in rows}
    diffs = {r.line_no: finals[r.line_no] - r.book_qty for r in rows if finals[r.line_no] is not None}
    estimates = (
        {}
        if posted or not book_visible
        else _estimates(uow, {r.line_no: (r.sku_id, diffs[r.line_no]) for r in rows if diffs.get(r.line_no)})
    )
    out = []
    for r in rows:
        diff = diffs.get(r.line_no)
        if posted:
            value = r.value_cents
        elif diff is None:
            value = None
        else:
            value = estimates.get(r.line_no, 0)
        out.append(
            {
                "line_no": r.line_no,
                "sku": r.code,
                "sku_name": r.name,
                "bin": r.bin_code,
                "lot_no": r.lot_no,
                "expiry_date": r.expiry_date,
                "book_qty": r.book_qty if book_visible else None,
                "added": bool(r.added),
                "counted1": r.counted1,
                "counted2": r.counted2,
                "recount": bool(r.recount),
                "counted": finals[r.line_no],
                "difference": diff if book_visible else None,
                "value_cents": value if book_visible else None,
                "value_estimated": not posted,
                "on_hand_at_post": r.on_hand_at_post,
                "posted_qty": r.posted_qty,
                "counted_at": r.counted_at,
                "counted_by": r.counted_by,
            }
        )
    return out


def stocktake_detail(uow: UnitOfWork, sheet_id: int) -> dict | None:
    """One sheet the actor may see — the stocktake report: per line the book snapshot, both
    rounds' counts, the difference and its value (estimated until posted), and totals. Book,
    differences and values are None on a blind sheet for those who may not see them."""
    rows, _ = list_stocktakes(uow, ids=[sheet_id], limit=1)
    if not rows:
        return None
    head = rows[0]
    visible = _book_visible(uow, head.blind, head.status)
    lines = _lines(uow, sheet_id, visible)
    count_ref = None
    if head.count_document_id is not None:
        count_ref = uow.conn.execute(
            select(stock_document.c.ref).where(stock_document.c.id == head.count_document_id)
        ).scalar()
    diffs = [x for x in lines if x["difference"]]
    totals = {
        "lines": len(lines),
        "counted_lines": sum(1 for x in lines if x["counted"] is not None),
        "uncounted_lines": sum(1 for x in lines if x["counted"] is None),
        "recount_lines": sum(1 for x in lines if x["recount"]),
        "difference_lines": len(diffs) if visible else None,
        "gain_qty": sum(x["difference"] for x in diffs if x["difference"] > 0) if visible else None,
        "loss_qty": -sum(x["difference"] for x in diffs if x["difference"] < 0) if visible else None,
        "gain_value_cents": sum(x["value_cents"] or 0 for x in diffs if x["difference"] > 0)
        if visible
        else None,
        "loss_value_cents": -sum(x["value_cents"] or 0 for x in diffs if x["difference"] < 0)
        if visible
        else None,
    }
    return {
        **head.__dict__,
        "book_visible": visible,
        "count_document_ref": count_ref,
        "totals": totals,
        "line_items": lines,
    }


def _detail(uow: UnitOfWork, sheet_id: int) -> dict:
    d = stocktake_detail(uow, sheet_id)
    if d is None:  # pragma: no cover - the writer just checked the scope
        raise Forbidden("auth.out_of_scope", "Out of your data scope", "超出您的数据范围")
    return d
