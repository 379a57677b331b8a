"""Channel settlement reconciliation (多渠道对账): the database side of ``statements`` (reading a
provider's file) and ``reconcile_rules`` (classifying its rows).

- Templates: the built-in sources (``statements.TEMPLATES``) and custom column mappings kept as
  JSON, each with its channel and the cash account its money lands in.
- Import: a statement is read, refused when the same content was imported for the channel
  before (409 ``finance.statement_duplicate``), stored with its rows, classified against the
  orders it names, and its settled rows posted to the journal in the same transaction:
  Dr cash account (net), Dr commission, Dr payment fee, Cr channel clearing (gross). Payouts move
  the money from the cash account to the bank. Exceptions (amount differs, no order, duplicate,
  to review) wait for a person and are posted when resolved.
- Workbench: statements, their rows by status with totals, the exception queue; resolving an
  exception (accept the difference to a chosen account, link an order, ignore) posts its entry
  atomically, is audited, and happens once (a conditional update).
- Orders: the money of one order at a glance, orders by money status, shipped-not-settled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from omnistock.finance import journal, rules, statements
from omnistock.finance import reconcile_rules as rr
from omnistock.finance.models import account
from omnistock.finance.reconcile_models import settlement_row, settlement_statement, settlement_template
from omnistock.finance.rules import Line
from omnistock.orders import service as orders
from omnistock.platform.clock import business_date, utcnow
from omnistock.platform.errors import Conflict, Invalid, NotFound
from omnistock.platform.pagination import decode_cursor, encode_cursor
from omnistock.platform.permissions import register
from omnistock.platform.uow import UnitOfWork

register(
    ("finance.reconcile.read", "查看渠道对账", "View channel settlement reconciliation"),
    (
        "finance.reconcile.manage",
        "导入对账单、处理对账异常、维护对账模板",
        "Import settlement statements, resolve exceptions, manage templates",
    ),
)

READ, MANAGE = "finance.reconcile.read", "finance.reconcile.manage"
SOURCE_TYPE = "settlement"

# Row states
POSTED, OPEN, RESOLVED, IGNORED = "posted", "open", "resolved", "ignored"
STATES = (POSTED, OPEN, RESOLVED, IGNORED)
# Statuses that wait for a person; the rest are posted when imported.
EXCEPTIONS = (rr.AMOUNT_MISMATCH, rr.NO_ORDER, rr.DUPLICATE, rr.TO_REVIEW)
ACCEPT, LINK, IGNORE = "accept", "link", "ignore"

# The cash account a source's money lands in, by posting role.
SOURCE_CASH_ROLE = {"wechat_pay": "wechat", "alipay": "alipay"}
DEFAULT_CASH_ROLE = "marketplace"

# Money status of an order
UNSETTLED, PARTLY, SETTLED, MISMATCH = "unsettled", "partly", "settled", "mismatch"
MONEY_STATUSES = (UNSETTLED, PARTLY, SETTLED, MISMATCH)

MAX_FILENAME = 200
MAX_NOTE = 200
UNSETTLED_WINDOW_DAYS = 180  # shipped-not-settled looks this far back


def _bad(code: str, en: str, zh: str, /, **params) -> Invalid:
    return Invalid(f"finance.{code}", en, zh, **params)


def _text(value: object, limit: int) -> str:
    return str(value or "")[:limit]


# -- accounts and channels ------------------------------------------------------------------------
def _account_by_code(uow: UnitOfWork, code: str) -> tuple[int, str, str]:
    a = account.c
    row = uow.conn.execute(select(a.id, a.code, a.name, a.active).where(a.code == str(code)[:16])).first()
    parent = uow.conn.execute(select(a.id).where(a.parent_id == row.id).limit(1)).first() if row else None
    if row is None or not row.active or parent is not None:
        raise _bad(
            "unknown_account",
            "Account {code} does not exist, is inactive or has sub-accounts: choose a leaf account",
            "会计科目 {code} 不存在、已停用或有下级科目，请选择末级科目",
            code=str(code)[:32],
        )
    return row.id, row.code, row.name


def _account_codes(uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return dict(uow.conn.execute(select(account.c.id, account.c.code).where(account.c.id.in_(wanted))).all())


def _channel(uow: UnitOfWork, code: str) -> int:
    uow.actor.require_scope("channel", [code])
    return orders.channel_id(uow, code)


def _channel_codes(uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, str]:
    return orders.channel_codes(uow, sorted({i for i in ids if i}))


def _role_account(uow: UnitOfWork, role: str) -> int:
    return journal.config(uow).roles[role]


def default_cash_role(source: str) -> str:
    return SOURCE_CASH_ROLE.get(source, DEFAULT_CASH_ROLE)


# -- templates ------------------------------------------------------------------------------------
def _template_view(uow: UnitOfWork, row) -> dict:
    t = statements.StatementTemplate.from_dict(row.template)
    codes = _account_codes(uow, [row.cash_account_id])
    title_en, title_zh = t.titles
    return {
        "id": row.id,
        "name": row.name,
        "builtin": False,
        "title_en": title_en,
        "title_zh": title_zh,
        "channel": _channel_codes(uow, [row.channel_id]).get(row.channel_id),
        "cash_account": codes.get(row.cash_account_id),
        "template": t.to_dict(),
    }


def list_templates(uow: UnitOfWork) -> list[dict]:
    """The built-in sources, then the custom templates by name."""
    uow.actor.require(READ)
    roles = journal.config(uow).roles
    codes = _account_codes(uow, roles.values())
    out = []
    for t in statements.TEMPLATES.values():
        title_en, title_zh = t.titles
        out.append(
            {
                "id": None,
                "name": t.name,
                "builtin": True,
                "title_en": title_en,
                "title_zh": title_zh,
                "channel": None,
                "cash_account": codes.get(roles[default_cash_role(t.name)]),
                "template": t.to_dict(),
            }
        )
    rows = uow.conn.execute(select(settlement_template).order_by(settlement_template.c.name)).all()
    return out + [_template_view(uow, r) for r in rows]


def _check_template_fields(uow: UnitOfWork, name: str, template: dict, channel: str | None, cash: str | None):
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise _bad(
            "bad_template_name", "A template needs a name of 1-64 characters", "模板名称应为 1-64 个字符"
        )
    if name in statements.TEMPLATES:
        raise Conflict(
            "finance.template_exists",
            "{name} is a built-in source",
            "{name} 是内置对账来源",
            name=name,
        )
    t = statements.StatementTemplate.from_dict({**(template or {}), "name": name})
    channel_id = _channel(uow, channel) if channel else None
    cash_id = _account_by_code(uow, cash)[0] if cash else None
    return t, channel_id, cash_id


def create_template(
    uow: UnitOfWork, *, name: str, template: dict, channel: str | None = None, cash_account: str | None = None
) -> dict:
    """A custom column mapping (``StatementTemplate.from_dict``; it is validated here)."""
    uow.actor.require(MANAGE)
    t, channel_id, cash_id = _check_template_fields(uow, name, template, channel, cash_account)
    if uow.conn.execute(select(settlement_template.c.id).where(settlement_template.c.name == name)).first():
        raise Conflict(
            "finance.template_exists", "Template {name} exists already", "模板 {name} 已存在", name=name
        )
    now = utcnow()
    tid = uow.conn.execute(
        insert(settlement_template)
        .values(
            name=name,
            channel_id=channel_id,
            cash_account_id=cash_id,
            template=t.to_dict(),
            created_at=now,
            created_by=uow.actor.username,
            updated_at=now,
        )
        .returning(settlement_template.c.id)
    ).scalar_one()
    view = get_template(uow, tid)
    uow.audit("finance.reconcile.template.create", "settlement_template", tid, after=view)
    return view


def _template_row(uow: UnitOfWork, template_id: int):
    row = uow.conn.execute(select(settlement_template).where(settlement_template.c.id == template_id)).first()
    if row is None:
        raise NotFound(
            "finance.template_not_found",
            "No statement template {id}",
            "对账单模板 {id} 不存在",
            id=template_id,
        )
    return row


def get_template(uow: UnitOfWork, template_id: int) -> dict:
    uow.actor.require(READ)
    return _template_view(uow, _template_row(uow, template_id))


def update_template(
    uow: UnitOfWork,
    template_id: int,
    *,
    name: str,
    template: dict,
    channel: str | None = None,
    cash_account: str | None = None,
) -> dict:
    uow.actor.require(MANAGE)
    before = get_template(uow, template_id)
    t, channel_id, cash_id = _check_template_fields(uow, name, template, channel, cash_account)
    taken = uow.conn.execute(
        select(settlement_template.c.id).where(
            settlement_template.c.name == name, settlement_template.c.id != template_id
        )
    ).first()
    if taken:
        raise Conflict(
            "finance.template_exists", "Template {name} exists already", "模板 {name} 已存在", name=name
        )
    uow.conn.execute(
        update(settlement_template)
        .where(settlement_template.c.id == template_id)
        .values(
            name=name,
            channel_id=channel_id,
            cash_account_id=cash_id,
            template=t.to_dict(),
            updated_at=utcnow(),
        )
    )
    after = get_template(uow, template_id)
    uow.audit(
        "finance.reconcile.template.update", "settlement_template", template_id, before=before, after=after
    )
    return after


def delete_template(uow: UnitOfWork, template_id: int) -> None:
    """Statements keep the name of the template they were read with; deleting it is allowed."""
    uow.actor.require(MANAGE)
    before = get_template(uow, template_id)
    uow.conn.execute(settlement_template.delete().where(settlement_template.c.id == template_id))
    uow.audit("finance.reconcile.template.delete", "settlement_template", template_id, before=before)


def _resolve_source(
    uow: UnitOfWork, source: str
) -> tuple[statements.StatementTemplate, int | None, int | None]:
    """(template, its channel id, its cash account id) of a built-in or custom source name."""
    if source in statements.TEMPLATES:
        return statements.TEMPLATES[source], None, None
    row = uow.conn.execute(select(settlement_template).where(settlement_template.c.name == source)).first()
    if row is None:
        raise Invalid(
            statements.E_TEMPLATE_UNKNOWN,
            "There is no statement source or template {name}",
            "没有名为 {name} 的对账来源或模板",
            name=str(source)[:64],
        )
    return statements.StatementTemplate.from_dict(row.template), row.channel_id, row.cash_account_id


# -- order money ------------------------------------------------------------------------------------
@dataclass
class _Settled:
    sale: int = 0  # cleared by sale-side rows (gross; a mismatch accepted at what was expected)
    refund: int = 0  # cleared by refund rows (positive)
    fees: int = 0  # fees and commissions charged
    open_mismatch: bool = False
    keys: set[str] | None = None


def _receivable(o: orders.OrderMoney) -> tuple[int, int]:
    """(what the channel owes for the order, what it refunded through the channel), as the
    shipment posted them to channel clearing (``postings.order_shipped``/``order_returned``)."""
    receivable = rules.channel_owes(o.total_cents, o.paid_cents, o.payments)
    refunded = o.refunded_cents if o.paid_cents >= o.total_cents else 0  # on credit: credit notes
    return receivable, refunded


def _settled(uow: UnitOfWork, order_ids: Sequence[int]) -> dict[int, _Settled]:
    out: dict[int, _Settled] = {i: _Settled(keys=set()) for i in order_ids}
    if not order_ids:
        return out
    s = settlement_row.c
    rows = uow.conn.execute(
        select(
            s.order_id,
            s.kind,
            s.state,
            s.status,
            s.cleared_cents,
            s.fee_cents,
            s.commission_cents,
            s.dedup_key,
        ).where(s.order_id.in_(sorted(set(order_ids))))
    )
    for oid, kind, state, status, cleared, fee, commission, key in rows:
        got = out[oid]
        got.keys.add(key)
        if state == OPEN and status == rr.AMOUNT_MISMATCH:
            got.open_mismatch = True
        if state not in (POSTED, RESOLVED):
            continue
        if kind == rr.REFUND:
            got.refund -= int(cleared)
        elif kind in (rr.SALE, rr.FEE, rr.COMMISSION):
            got.sale += int(cleared)
        got.fees += int(fee) + int(commission)
    return out


def _rule_orders(uow: UnitOfWork, found: Sequence[orders.OrderMoney]) -> list[rr.OrderMoney]:
    settled = _settled(uow, [o.id for o in found])
    out = []
    for o in found:
        receivable, refunded = _receivable(o)
        st = settled[o.id]
        out.append(
            rr.OrderMoney(
                order_id=o.id,
                ref=o.ref,
                external_ref=o.external_ref,
                channel_id=o.channel_id,
                status=o.status,
                shipped_at=o.shipped_at,
                receivable_cents=receivable,
                refunded_cents=refunded,
                already_settled_cents=st.sale,
                already_settled_refund_cents=st.refund,
                settled_txn_ids=frozenset(st.keys or ()),
            )
        )
    return out


# -- import -------------------------------------------------------------------------------------------
def _naive_utc(when: dt.datetime) -> dt.datetime:
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when


def _seen_keys(uow: UnitOfWork, channel_id: int, keys: Sequence[str]) -> set[str]:
    s = settlement_row.c
    seen: set[str] = set()
    unique = sorted(set(keys))
    for i in range(0, len(unique), 500):
        seen.update(
            uow.conn.execute(
                select(s.dedup_key).where(s.channel_id == channel_id, s.dedup_key.in_(unique[i : i + 500]))
            ).scalars()
        )
    return seen


def _cleared(results: Sequence[rr.RowResult]) -> list[int]:
    """What each row takes off its order's clearing: its gross, except the first row of a
    mismatched group, which makes the group clear exactly what was expected."""
    out = []
    for res in results:
        row = res.row
        if res.status in (rr.NO_ORDER, rr.DUPLICATE, rr.TO_REVIEW, rr.PAYOUT_ROW):
            out.append(0)
        elif res.status == rr.AMOUNT_MISMATCH and res.difference_cents:
            d = res.difference_cents
            out.append(row.gross_cents - d if row.kind != rr.REFUND else row.gross_cents + d)
        else:
            out.append(row.gross_cents)
    return out


def _row_lines(
    *,
    kind: str,
    status: str,
    gross: int,
    fee: int,
    commission: int,
    net: int,
    cleared: int,
    cash_account: int,
    channel_id: int,
    diff_account: int | None = None,
) -> list[Line]:
    """The journal lines of one row: cash net, fees, clearing, and what is left to ``diff_account``."""
    if status == rr.PAYOUT_ROW:
        return [
            Line(cash_account, net),
            Line("commission", commission),
            Line("payment_fee", fee),
            Line("bank", -gross),
        ]
    lines = [
        Line(cash_account, net),
        Line("commission", commission),
        Line("payment_fee", fee),
        Line("clearing", -cleared, "channel", channel_id),
    ]
    rest = cleared - gross
    if rest:
        if diff_account is None:  # a bug: posting a difference needs its account
            raise AssertionError(f"row of {kind} leaves {rest} with no account")
        lines.append(Line(diff_account, rest))
    return lines


def _check_file(data: bytes, filename: str) -> None:
    if not data:
        raise _bad("statement_empty", "The file is empty", "文件为空")
    if len(data) > statements.MAX_FILE_BYTES:
        raise Invalid(
            statements.E_TOO_LARGE,
            "The file is larger than {mb} MB",
            "文件超过 {mb} MB",
            mb=statements.MAX_FILE_BYTES // (1024 * 1024),
        )


def import_statement(
    uow: UnitOfWork,
    *,
    channel: str,
    source: str,
    data: bytes,
    filename: str = "",
    cash_account: str | None = None,
) -> dict:
    """Read, store, classify and post a settlement statement of ``channel`` (all or nothing)."""
    uow.actor.require(MANAGE)
    _check_file(data, filename)
    channel_id = _channel(uow, channel)
    template, template_channel, template_cash = _resolve_source(uow, source)
    if template_channel is not None and template_channel != channel_id:
        raise _bad(
            "template_channel",
            "Template {name} belongs to another channel",
            "模板 {name} 属于其他渠道",
            name=source,
        )
    if cash_account:
        cash_id = _account_by_code(uow, cash_account)[0]
    else:
        cash_id = template_cash or _role_account(uow, default_cash_role(template.name))
    parsed = statements.parse_statement(data, template, filename=filename)
    st = settlement_statement.c
    dup = uow.conn.execute(
        select(st.id, st.filename, st.imported_at).where(
            st.channel_id == channel_id, st.fingerprint == parsed.fingerprint
        )
    ).first()
    if dup:
        raise Conflict(
            "finance.statement_duplicate",
            "This statement was already imported for the channel (statement {id}, {file}); nothing was imported",
            "该渠道已导入过相同的对账单（第 {id} 号，{file}），本次未导入任何内容",
            id=dup.id,
            file=dup.filename,
        )
    rows = parsed.rows
    journal.refuse_if_closed(uow, {rules.period_of(business_date(r.settled_at)) for r in rows})
    found = orders.order_money(uow, channel_id=channel_id, refs=[r.order_ref for r in rows if r.order_ref])
    result = rr.reconcile(
        rows,
        _rule_orders(uow, found),
        seen_keys=_seen_keys(uow, channel_id, [r.dedup_key for r in rows]),
        channel_id=channel_id,
    )
    totals = parsed.totals
    first, last = parsed.period
    now = utcnow()
    try:
        statement_id = uow.conn.execute(
            insert(settlement_statement)
            .values(
                channel_id=channel_id,
                source=template.name,
                filename=_text(filename or template.name, MAX_FILENAME),
                fingerprint=parsed.fingerprint,
                cash_account_id=cash_id,
                row_count=len(rows),
                gross_cents=totals["gross_cents"],
                fee_cents=totals["fee_cents"],
                commission_cents=totals["commission_cents"],
                net_cents=totals["net_cents"],
                period_from=_naive_utc(first),
                period_to=_naive_utc(last),
                imported_at=now,
                imported_by=uow.actor.username,
            )
            .returning(settlement_statement.c.id)
        ).scalar_one()
    except IntegrityError as exc:  # a concurrent import of the same statement won the unique key
        raise Conflict(
            "finance.statement_duplicate",
            "This statement was already imported for the channel; nothing was imported",
            "该渠道已导入过相同的对账单，本次未导入任何内容",
        ) from exc
    cleared = _cleared(result.rows)
    db_rows = []
    lines_by_day: dict[dt.date, list[Line]] = {}
    for res, clear in zip(result.rows, cleared, strict=True):
        r = res.row
        state = OPEN if res.status in EXCEPTIONS else POSTED
        db_rows.append(
            {
                "statement_id": statement_id,
                "channel_id": channel_id,
                "row_no": r.row_no,
                "kind": r.kind,
                "txn_id": _text(r.txn_id, 100),
                "order_ref": _text(r.order_ref, 100),
                "trade_no": _text(r.trade_no, 100),
                "gross_cents": r.gross_cents,
                "fee_cents": r.fee_cents,
                "commission_cents": r.commission_cents,
                "net_cents": r.net_cents,
                "settled_at": _naive_utc(r.settled_at),
                "dedup_key": r.dedup_key,
                "status": res.status,
                "state": state,
                "order_id": res.order_id,
                "difference_cents": res.difference_cents,
                "cleared_cents": clear,
                "reason_en": _text(res.reason_en, 400),
                "reason_zh": _text(res.reason_zh, 400),
                "raw": {str(k)[:100]: str(v)[:200] for k, v in dict(r.raw).items()} if r.raw else None,
            }
        )
        if state == POSTED:
            lines_by_day.setdefault(business_date(r.settled_at), []).extend(
                _row_lines(
                    kind=r.kind,
                    status=res.status,
                    gross=r.gross_cents,
                    fee=r.fee_cents,
                    commission=r.commission_cents,
                    net=r.net_cents,
                    cleared=clear,
                    cash_account=cash_id,
                    channel_id=channel_id,
                )
            )
    for i in range(0, len(db_rows), 1000):
        uow.conn.execute(insert(settlement_row), db_rows[i : i + 1000])
    ref = _text(filename or f"statement-{statement_id}", 64)
    for day, lines in sorted(lines_by_day.items()):
        journal.add(
            uow,
            date=day,
            source_type=SOURCE_TYPE,
            source_id=statement_id,
            source_ref=ref,
            lines=lines,
            memo=f"渠道结算 {channel} · settlement",
        )
    summary = rr.summarize(result.rows, result.orders)
    uow.audit(
        "finance.reconcile.import",
        "settlement_statement",
        statement_id,
        after={
            "channel": channel,
            "source": template.name,
            "filename": filename,
            "fingerprint": parsed.fingerprint,
            "rows": len(rows),
            **totals,
            "by_status": {k: v.count for k, v in summary.by_status.items() if v.count},
        },
    )
    return statement_detail(uow, statement_id, check=False)


# -- workbench ------------------------------------------------------------------------------------------
def _totals_dict(t: rr.Totals) -> dict:
    return {
        "count": t.count,
        "gross_cents": t.gross_cents,
        "fee_cents": t.fee_cents,
        "commission_cents": t.commission_cents,
        "net_cents": t.net_cents,
        "difference_cents": t.difference_cents,
    }


def _as_results(rows) -> list[rr.RowResult]:
    out = []
    for r in rows:
        row = rr.StatementRow(
            row_no=r.row_no,
            txn_id=r.txn_id,
            order_ref=r.order_ref,
            kind=r.kind,
            gross_cents=int(r.gross_cents),
            fee_cents=int(r.fee_cents),
            commission_cents=int(r.commission_cents),
            net_cents=int(r.net_cents),
            settled_at=r.settled_at,
        )
        out.append(rr.RowResult(row, r.status, r.order_id, int(r.difference_cents), r.reason_en, r.reason_zh))
    return out


def _summary(uow: UnitOfWork, statement_id: int) -> dict:
    s = settlement_row.c
    rows = uow.conn.execute(select(settlement_row).where(s.statement_id == statement_id)).all()
    summary = rr.summarize(_as_results(rows))
    states = {k: 0 for k in STATES}
    for r in rows:
        states[r.state] += 1
    return {
        "by_status": {k: _totals_dict(v) for k, v in summary.by_status.items()},
        "total": _totals_dict(summary.total),
        "duplicates": summary.duplicates,
        "by_state": states,
        "open": states[OPEN],
    }


def _statement_view(uow: UnitOfWork, row, channels: dict[int, str], accounts: dict[int, str]) -> dict:
    return {
        "id": row.id,
        "channel": channels.get(row.channel_id, ""),
        "source": row.source,
        "filename": row.filename,
        "cash_account": accounts.get(row.cash_account_id, ""),
        "row_count": row.row_count,
        "gross_cents": row.gross_cents,
        "fee_cents": row.fee_cents,
        "commission_cents": row.commission_cents,
        "net_cents": row.net_cents,
        "period_from": row.period_from,
        "period_to": row.period_to,
        "imported_at": row.imported_at,
        "imported_by": row.imported_by,
    }


def _statement_row(uow: UnitOfWork, statement_id: int):
    row = uow.conn.execute(
        select(settlement_statement).where(settlement_statement.c.id == statement_id)
    ).first()
    if row is None:
        raise NotFound(
            "finance.statement_not_found",
            "No settlement statement {id}",
            "对账单 {id} 不存在",
            id=statement_id,
        )
    return row


def statement_detail(uow: UnitOfWork, statement_id: int, *, check: bool = True) -> dict:
    if check:
        uow.actor.require(READ)
    row = _statement_row(uow, statement_id)
    view = _statement_view(
        uow, row, _channel_codes(uow, [row.channel_id]), _account_codes(uow, [row.cash_account_id])
    )
    return {**view, "summary": _summary(uow, statement_id)}


def list_statements(
    uow: UnitOfWork, *, channel: str | None = None, cursor: str | None = None, limit: int = 50
) -> tuple[list[dict], str | None]:
    """Statements, newest first, with their count of open exceptions."""
    uow.actor.require(READ)
    st, s = settlement_statement.c, settlement_row.c
    stmt = select(settlement_statement).order_by(st.id.desc())
    if channel:
        stmt = stmt.where(st.channel_id == _channel(uow, channel))
    after = _after_id(cursor)
    if after is not None:
        stmt = stmt.where(st.id < after)
    rows = uow.conn.execute(stmt.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [r.id for r in rows]
    open_counts = (
        dict(
            uow.conn.execute(
                select(s.statement_id, func.count())
                .where(s.statement_id.in_(ids), s.state == OPEN)
                .group_by(s.statement_id)
            ).all()
        )
        if ids
        else {}
    )
    channels = _channel_codes(uow, [r.channel_id for r in rows])
    accounts = _account_codes(uow, [r.cash_account_id for r in rows])
    out = [
        {**_statement_view(uow, r, channels, accounts), "open": int(open_counts.get(r.id, 0))} for r in rows
    ]
    return out, encode_cursor({"id": rows[-1].id}) if more else None


def _after_id(cursor: str | None) -> int | None:
    value = decode_cursor(cursor)
    if not value:
        return None
    got = value.get("id")
    if not isinstance(got, int) or isinstance(got, bool) or got <= 0:
        raise Invalid("request.bad_cursor", "The page cursor is not valid", "分页游标无效")
    return got


def _row_views(uow: UnitOfWork, rows) -> list[dict]:
    refs = (
        {o.id: o.ref for o in orders.order_money(uow, ids=[r.order_id for r in rows if r.order_id])}
        if any(r.order_id for r in rows)
        else {}
    )
    accounts = _account_codes(uow, [r.resolution_account_id for r in rows])
    channels = _channel_codes(uow, [r.channel_id for r in rows])
    return [
        {
            "id": r.id,
            "statement_id": r.statement_id,
            "channel": channels.get(r.channel_id, ""),
            "row_no": r.row_no,
            "kind": r.kind,
            "txn_id": r.txn_id,
            "order_ref": r.order_ref,
            "order": refs.get(r.order_id),
            "gross_cents": r.gross_cents,
            "fee_cents": r.fee_cents,
            "commission_cents": r.commission_cents,
            "net_cents": r.net_cents,
            "settled_at": r.settled_at,
            "status": r.status,
            "state": r.state,
            "difference_cents": r.difference_cents,
            "reason_en": r.reason_en,
            "reason_zh": r.reason_zh,
            "resolution": r.resolution,
            "resolution_account": accounts.get(r.resolution_account_id),
            "resolution_note": r.resolution_note,
            "resolved_at": r.resolved_at,
            "resolved_by": r.resolved_by,
        }
        for r in rows
    ]


def _check_filters(status: str | None, state: str | None) -> None:
    if status is not None and status not in rr.STATUSES:
        raise _bad(
            "bad_status", "Unknown row status {status}", "未知的对账状态 {status}", status=str(status)[:32]
        )
    if state is not None and state not in STATES:
        raise _bad("bad_state", "Unknown row state {state}", "未知的处理状态 {state}", state=str(state)[:32])


def statement_rows(
    uow: UnitOfWork, statement_id: int, *, status: str | None = None, state: str | None = None
) -> dict:
    """A statement's rows (by status and/or state) with the statement's totals by status."""
    uow.actor.require(READ)
    _check_filters(status, state)
    _statement_row(uow, statement_id)
    s = settlement_row.c
    stmt = select(settlement_row).where(s.statement_id == statement_id).order_by(s.row_no)
    if status:
        stmt = stmt.where(s.status == status)
    if state:
        stmt = stmt.where(s.state == state)
    rows = uow.conn.execute(stmt).all()
    return {"rows": _row_views(uow, rows), "summary": _summary(uow, statement_id)}


def exceptions(
    uow: UnitOfWork,
    *,
    channel: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[dict], str | None]:
    """Open exceptions across statements, newest first."""
    uow.actor.require(READ)
    _check_filters(status, None)
    s = settlement_row.c
    stmt = select(settlement_row).where(s.state == OPEN).order_by(s.id.desc())
    if channel:
        stmt = stmt.where(s.channel_id == _channel(uow, channel))
    if status:
        stmt = stmt.where(s.status == status)
    after = _after_id(cursor)
    if after is not None:
        stmt = stmt.where(s.id < after)
    rows = uow.conn.execute(stmt.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return _row_views(uow, rows), encode_cursor({"id": rows[-1].id}) if more else None


# -- resolving exceptions ---------------------------------------------------------------------------------
def _open_row(uow: UnitOfWork, row_id: int):
    s = settlement_row.c
    stmt = select(settlement_row).where(s.id == row_id)
    if uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    row = uow.conn.execute(stmt).first()
    if row is None:
        raise NotFound("finance.row_not_found", "No statement row {id}", "对账单行 {id} 不存在", id=row_id)
    if row.state != OPEN:
        raise _already(row)
    return row


def _already(row) -> Conflict:
    return Conflict(
        "finance.row_resolved",
        "Row {row_no} of statement {statement} is {state} already",
        "对账单 {statement} 第 {row_no} 行已处理（{state}）",
        row_no=row.row_no,
        statement=row.statement_id,
        state=row.state,
    )


def _close_rows(
    uow: UnitOfWork, rows, *, state: str, resolution: str, account_id: int | None, note: str | None
):
    """Conditionally move open rows to ``state``: a row someone else resolved meanwhile refuses."""
    s = settlement_row.c
    now = utcnow()
    for row in rows:
        done = uow.conn.execute(
            update(settlement_row)
            .where(s.id == row.id, s.state == OPEN)
            .values(
                state=state,
                resolution=resolution,
                resolution_account_id=account_id,
                resolution_note=note,
                resolved_at=now,
                resolved_by=uow.actor.username,
            )
        ).rowcount
        if done != 1:
            raise _already(row)


def _post_rows(uow: UnitOfWork, statement, rows, diff_account: int | None, ref_note: str) -> None:
    lines: dict[dt.date, list[Line]] = {}
    for row in rows:
        lines.setdefault(business_date(row.settled_at), []).extend(
            _row_lines(
                kind=row.kind,
                status=row.status,
                gross=int(row.gross_cents),
                fee=int(row.fee_cents),
                commission=int(row.commission_cents),
                net=int(row.net_cents),
                cleared=int(row.cleared_cents),
                cash_account=statement.cash_account_id,
                channel_id=row.channel_id,
                diff_account=diff_account,
            )
        )
    journal.refuse_if_closed(uow, {rules.period_of(d) for d in lines})
    for day, day_lines in sorted(lines.items()):
        journal.add(
            uow,
            date=day,
            source_type=SOURCE_TYPE,
            source_id=statement.id,
            source_ref=_text(statement.filename, 64),
            lines=day_lines,
            memo=_text(ref_note, 200),
        )


def _group(uow: UnitOfWork, row) -> list:
    """A mismatched row's open group: the rows of the same order and side on its statement."""
    if row.status != rr.AMOUNT_MISMATCH or row.order_id is None:
        return [row]
    s = settlement_row.c
    refund = row.kind == rr.REFUND
    rows = uow.conn.execute(
        select(settlement_row)
        .where(
            s.statement_id == row.statement_id,
            s.order_id == row.order_id,
            s.status == rr.AMOUNT_MISMATCH,
            s.state == OPEN,
        )
        .order_by(s.row_no)
    ).all()
    return [r for r in rows if (r.kind == rr.REFUND) == refund] or [row]


def _note(note: str | None) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise _bad("bad_note", "A note is at most 200 characters", "备注最多 200 字")
    return note.strip() or None


def resolve_accept(uow: UnitOfWork, row_id: int, *, account_code: str, note: str | None = None) -> list[dict]:
    """Post the row as the statement has it: what the order still expected off its clearing, the
    rest (the difference; for a row with no order, all of it) to ``account_code`` (营业外支出 6711,
    营业外收入 6301, …). A mismatched order's rows on the statement are resolved together."""
    uow.actor.require(MANAGE)
    row = _open_row(uow, row_id)
    if row.status == rr.DUPLICATE:
        raise Conflict(
            "finance.duplicate_not_postable",
            "A duplicate row is never posted: ignore it",
            "重复的对账行不能记账，请选择忽略",
        )
    note = _note(note)
    account_id, code, _name = _account_by_code(uow, account_code)
    group = _group(uow, row)
    statement = _statement_row(uow, row.statement_id)
    before = [{"id": r.id, "state": r.state, "status": r.status} for r in group]
    _close_rows(uow, group, state=RESOLVED, resolution=ACCEPT, account_id=account_id, note=note)
    _post_rows(uow, statement, group, account_id, f"对账差异处理 · settlement difference → {code}")
    uow.audit(
        "finance.reconcile.accept",
        "settlement_row",
        row_id,
        before={"rows": before},
        after={
            "rows": [r.id for r in group],
            "account": code,
            "difference_cents": sum(int(r.cleared_cents) - int(r.gross_cents) for r in group),
            "note": note,
        },
    )
    return _fresh(uow, [r.id for r in group])


def _fresh(uow: UnitOfWork, ids: Sequence[int]) -> list[dict]:
    s = settlement_row.c
    return _row_views(
        uow, uow.conn.execute(select(settlement_row).where(s.id.in_(ids)).order_by(s.row_no)).all()
    )


def resolve_link(uow: UnitOfWork, row_id: int, *, order_ref: str, note: str | None = None) -> list[dict]:
    """Tie a row with no order to the order ``order_ref`` of the statement's channel. When the
    amount is what the order still expected, the row is settled and posted; otherwise it becomes
    an amount mismatch against that order, to accept."""
    uow.actor.require(MANAGE)
    row = _open_row(uow, row_id)
    if row.status != rr.NO_ORDER or row.kind not in (rr.SALE, rr.REFUND):
        raise Conflict(
            "finance.row_not_linkable",
            "Only a sale or refund with no order can be linked to an order",
            "只有无对应订单的收款或退款可以关联订单",
        )
    note = _note(note)
    found = orders.order_money(uow, channel_id=row.channel_id, refs=[order_ref]) if order_ref else []
    found = [o for o in found if order_ref in (o.ref, o.external_ref)]
    if len(found) != 1:
        raise _bad(
            "order_not_found",
            "The channel has no (single) order {ref}",
            "该渠道找不到（唯一的）订单 {ref}",
            ref=str(order_ref)[:64],
        )
    (om,) = _rule_orders(uow, found)
    gross = int(row.gross_cents)
    if row.kind == rr.REFUND:
        expected = om.refunded_cents - om.already_settled_refund_cents
        settled = -gross
    else:
        expected = om.receivable_cents - om.already_settled_cents
        settled = gross
    diff = settled - expected
    statement = _statement_row(uow, row.statement_id)
    s = settlement_row.c
    if diff == 0:
        values = {
            "status": rr.MATCHED,
            "order_id": om.order_id,
            "cleared_cents": gross,
            "difference_cents": 0,
        }
        reason = (
            f"Linked by hand to order {om.ref}; amount as expected",
            f"已人工关联订单 {om.ref}，金额一致",
        )
    else:
        cleared = gross - diff if row.kind != rr.REFUND else gross + diff
        values = {
            "status": rr.AMOUNT_MISMATCH,
            "order_id": om.order_id,
            "cleared_cents": cleared,
            "difference_cents": diff,
        }
        reason = (
            f"Linked by hand to order {om.ref}: {rr.yuan(settled)} but {rr.yuan(expected)} expected; "
            f"difference {rr.signed_yuan(diff)}",
            f"已人工关联订单 {om.ref}：结算 {rr.yuan(settled)}，应结 {rr.yuan(expected)}，差额 {rr.signed_yuan(diff)}",
        )
    done = uow.conn.execute(
        update(settlement_row)
        .where(s.id == row.id, s.state == OPEN, s.status == rr.NO_ORDER)
        .values(**values, reason_en=reason[0][:400], reason_zh=reason[1][:400])
    ).rowcount
    if done != 1:
        raise _already(row)
    if diff == 0:
        linked = uow.conn.execute(select(settlement_row).where(s.id == row.id)).first()
        _close_rows(uow, [linked], state=RESOLVED, resolution=LINK, account_id=None, note=note)
        _post_rows(uow, statement, [linked], None, f"对账关联订单 {om.ref} · linked to order")
    uow.audit(
        "finance.reconcile.link",
        "settlement_row",
        row_id,
        before={"status": row.status, "state": row.state, "order_id": None},
        after={"order": om.ref, "status": values["status"], "difference_cents": diff, "note": note},
    )
    return _fresh(uow, [row.id])


def resolve_ignore(uow: UnitOfWork, row_id: int, *, reason: str, transfer: bool = False) -> list[dict]:
    """Leave a row out of the books, with a reason. ``transfer``: the row is money moved between
    the cash account and the bank (a payout / withdrawal): Dr bank, Cr cash account by its net."""
    uow.actor.require(MANAGE)
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_NOTE:
        raise _bad("bad_reason", "Give a reason (at most 200 characters)", "请填写原因（最多 200 字）")
    row = _open_row(uow, row_id)
    if transfer and row.status == rr.DUPLICATE:
        raise Conflict(
            "finance.duplicate_not_postable",
            "A duplicate row is never posted: ignore it",
            "重复的对账行不能记账，请选择忽略",
        )
    if transfer and int(row.net_cents) == 0:
        raise _bad("nothing_to_transfer", "The row moves no money", "该行没有金额可转账")
    statement = _statement_row(uow, row.statement_id)
    _close_rows(uow, [row], state=IGNORED, resolution=IGNORE, account_id=None, note=reason.strip())
    if transfer:
        net = int(row.net_cents)
        lines = [Line(statement.cash_account_id, net), Line("bank", -net)]
        day = business_date(row.settled_at)
        journal.refuse_if_closed(uow, {rules.period_of(day)})
        journal.add(
            uow,
            date=day,
            source_type=SOURCE_TYPE,
            source_id=statement.id,
            source_ref=_text(statement.filename, 64),
            lines=lines,
            memo="提现/转账 · transfer to bank",
        )
    uow.audit(
        "finance.reconcile.ignore",
        "settlement_row",
        row_id,
        before={"status": row.status, "state": row.state},
        after={"state": IGNORED, "reason": reason.strip(), "transfer": bool(transfer)},
    )
    return _fresh(uow, [row.id])


# -- the money of orders ------------------------------------------------------------------------------
def _money_view(o: orders.OrderMoney, st: _Settled) -> dict:
    receivable, refunded = _receivable(o)
    expected = receivable - refunded
    settled = st.sale - st.refund
    outstanding = expected - settled
    if st.open_mismatch:
        status = MISMATCH
    elif outstanding == 0 and (settled or expected == 0):
        status = SETTLED
    elif settled == 0:
        status = UNSETTLED
    else:
        status = PARTLY
    return {
        "order_id": o.id,
        "ref": o.ref,
        "external_ref": o.external_ref,
        "order_status": o.status,
        "shipped_at": o.shipped_at,
        "receivable_cents": receivable,
        "refunded_cents": refunded,
        "settled_cents": st.sale,
        "settled_refund_cents": st.refund,
        "fees_cents": st.fees,
        "outstanding_cents": outstanding,
        "status": status,
    }


def order_money(uow: UnitOfWork, ref: str) -> dict:
    """One order's money: what the channel owes, what statements settled, fees, refunds, what is
    outstanding, its status, and the statement rows that touched it."""
    uow.actor.require(READ)
    found = [o for o in orders.order_money(uow, refs=[ref]) if o.ref == ref] if isinstance(ref, str) else []
    if not found:
        raise NotFound("finance.order_not_found", "No order {ref}", "订单 {ref} 不存在", ref=str(ref)[:64])
    o = found[0]
    uow.actor.require_scope("channel", [_channel_codes(uow, [o.channel_id]).get(o.channel_id, "")])
    view = _money_view(o, _settled(uow, [o.id])[o.id])
    s = settlement_row.c
    rows = uow.conn.execute(select(settlement_row).where(s.order_id == o.id).order_by(s.id)).all()
    view["channel"] = _channel_codes(uow, [o.channel_id]).get(o.channel_id, "")
    view["rows"] = _row_views(uow, rows)
    return view


def list_order_money(
    uow: UnitOfWork,
    *,
    channel: str,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict], str | None]:
    """A channel's shipped orders with their money status, newest first (``status`` filters)."""
    uow.actor.require(READ)
    if status is not None and status not in MONEY_STATUSES:
        raise _bad(
            "bad_status", "Unknown money status {status}", "未知的结算状态 {status}", status=str(status)[:32]
        )
    channel_id = _channel(uow, channel)
    scanned_to = _after_id(cursor)
    out: list[dict] = []
    exhausted = False
    batch_size = 500
    while True:
        batch = orders.order_money(
            uow, channel_id=channel_id, shipped_before=utcnow(), before_id=scanned_to, limit=batch_size
        )
        settled = _settled(uow, [o.id for o in batch])
        for o in batch:
            scanned_to = o.id
            view = _money_view(o, settled[o.id])
            if status is None or view["status"] == status:
                out.append(view)
                if len(out) == limit:
                    break
        if len(out) == limit:
            break
        if len(batch) < batch_size:
            exhausted = True
            break
    more = not exhausted and scanned_to is not None
    return out, encode_cursor({"id": scanned_to}) if more else None


def unsettled(uow: UnitOfWork, *, channel: str, days: int | None = None, limit: int = 500) -> dict:
    """Orders of ``channel`` shipped at least ``days`` days ago (the finance setting
    ``unsettled_days`` unless given) the channel still owes money for, oldest first; orders
    shipped within the last ``UNSETTLED_WINDOW_DAYS`` days are looked at."""
    uow.actor.require(READ)
    channel_id = _channel(uow, channel)
    if days is None:
        days = journal.config(uow).number("unsettled_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 365:
        raise _bad("bad_days", "days is a whole number from 0 to 365", "天数应为 0 到 365 的整数")
    now = utcnow()
    today = business_date(now)
    found = orders.order_money(
        uow,
        channel_id=channel_id,
        shipped_before=now - dt.timedelta(days=max(days - 1, 0)),
        shipped_after=now - dt.timedelta(days=UNSETTLED_WINDOW_DAYS),
        limit=20000,
    )
    money = _rule_orders(uow, found)
    result = rr.shipped_not_settled(money, today, days=days)
    return {
        "days": days,
        "count": len(result),
        "outstanding_cents": sum(u.outstanding_cents for u in result),
        "orders": [
            {
                "order_id": u.order_id,
                "ref": u.ref,
                "external_ref": u.external_ref,
                "shipped_at": u.shipped_at,
                "days_since_shipped": u.days_since_shipped,
                "expected_cents": u.expected_cents,
                "settled_cents": u.settled_cents,
                "outstanding_cents": u.outstanding_cents,
                "reason_en": u.reason_en,
                "reason_zh": u.reason_zh,
            }
            for u in result[:limit]
        ],
    }
