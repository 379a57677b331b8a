"""Receivables and payables (往来账): credit terms, receipts and payments allocated to open items,
credit notes and advances offset against them, party statements, ageing, due-date reminders,
and simple expenses paid at once.

Open items are created by the business events (``postings``: a shipment on credit, a return of
it, an approved supplier bill). Here money received or paid posts its entry through
``journal.add`` in the command's transaction, and what it does not settle stays on the party's
account as a negative open item (an advance), so the receivable and payable accounts always equal
the open items (``service.check_invariants``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, and_, case, func, insert, or_, select, text, update

from omnistock.finance import journal, rules
from omnistock.finance.arap_models import expense, item_offset, item_offset_line
from omnistock.finance.models import (
    account,
    journal_entry,
    open_item,
    party_terms,
    payment,
    payment_allocation,
)
from omnistock.finance.rules import Line
from omnistock.orders import service as orders
from omnistock.platform import notifications
from omnistock.platform.auth import Actor
from omnistock.platform.clock import business_date, utcnow
from omnistock.platform.errors import Conflict, Invalid, NotFound
from omnistock.platform.outbox import Message, register_handler
from omnistock.platform.pagination import after_id, decode_cursor, encode_cursor
from omnistock.platform.permissions import register
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import service as purchasing

log = logging.getLogger(__name__)

READ, MANAGE = "finance.arap.read", "finance.arap.manage"
EXPENSE_CREATE, EXPENSE_READ = "finance.expense.create", "finance.expense.read"
register(
    (READ, "查看往来账、账龄与对账单", "View receivables, payables, ageing and statements"),
    (MANAGE, "维护信用条件、登记收付款与核销", "Manage credit terms, record receipts and payments, allocate"),
    (EXPENSE_CREATE, "录入费用", "Record expenses"),
    (EXPENSE_READ, "查看费用", "View expenses"),
)

PARTY_OF = {rules.AR: "customer", rules.AP: "supplier"}
PARTY_TYPES = ("customer", "supplier")
REMINDER_TOPIC = "finance.due_reminder"
PAYMENT_SOURCE, EXPENSE_SOURCE = "payment", "expense"
MAX_CENTS = rules.MAX_ENTRY_CENTS
MAX_LINES = 500


def _bad(code: str, en: str, zh: str, /, **params) -> Invalid:
    return Invalid(f"finance.{code}", en, zh, **params)


def _yuan(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    c = abs(cents)
    return f"{sign}{c // 100:,}.{c % 100:02d}"


# -- checks of input --------------------------------------------------------------------------------
def _kind(kind: object) -> str:
    if kind not in PARTY_OF:
        raise _bad(
            "bad_kind", "Kind must be ar (receivable) or ap (payable)", "类型应为 ar（应收）或 ap（应付）"
        )
    return kind  # type: ignore[return-value]


def _party_type(party_type: object) -> str:
    if party_type not in PARTY_TYPES:
        raise _bad(
            "bad_party_type",
            "A party is a customer or a supplier",
            "往来单位类型应为 customer（客户）或 supplier（供应商）",
        )
    return party_type  # type: ignore[return-value]


def _party_id(uow: UnitOfWork, party_type: str, code: str) -> int:
    if party_type == "customer":
        return orders.customer_id(uow, code)
    return purchasing.supplier_id(uow, code)


def _party_refs(uow: UnitOfWork, parties: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[str, str]]:
    out: dict[tuple[str, int], tuple[str, str]] = {}
    for kind, refs in (("customer", orders.customer_refs), ("supplier", purchasing.supplier_refs)):
        ids = sorted(i for k, i in parties if k == kind)
        if ids:
            out.update({(kind, i): ref for i, ref in refs(uow, ids).items()})
    return out


def _cents(value: object, field: str = "amount_cents") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_CENTS:
        raise _bad(
            "bad_amount", "{field} must be whole cents > 0", "{field} 应为大于 0 的整数（分）", field=field
        )
    return value


def _date(value: object, field: str = "date") -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise _bad("bad_date", "{field} must be a date", "{field} 应为日期", field=field)
    return value


def _memo(memo: object) -> str | None:
    if memo is None or memo == "":
        return None
    if not isinstance(memo, str) or len(memo) > 200:
        raise _bad("bad_memo", "The memo is at most 200 characters", "备注最多 200 字")
    return memo


def _postable(
    uow: UnitOfWork, code: object, kinds: tuple[str, ...], what_en: str, what_zh: str
) -> tuple[int, str]:
    """(id, code) of an active leaf account of one of ``kinds``."""
    a = account.c
    row = (
        uow.conn.execute(select(a.id, a.code, a.kind, a.active).where(a.code == code)).first()
        if isinstance(code, str)
        else None
    )
    if row is None:
        raise _bad("unknown_account", "Unknown account {code}", "会计科目 {code} 不存在", code=str(code)[:32])
    has_children = uow.conn.execute(select(a.id).where(a.parent_id == row.id).limit(1)).first() is not None
    if not row.active or has_children or row.kind not in kinds:
        raise _bad(
            "account_not_allowed",
            "Account {code} cannot be used as {what}: it must be an active {kinds} account without sub-accounts",
            "科目 {code} 不能用作{what_zh}：应为未停用、无下级科目的{kinds_zh}类科目",
            code=row.code,
            what=what_en,
            what_zh=what_zh,
            kinds="/".join(kinds),
            kinds_zh="/".join(rules.KIND_NAMES[k][0] for k in kinds),
        )
    return row.id, row.code


def _account_codes(uow: UnitOfWork, ids: set[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    a = account.c
    return {
        i: (c, n) for i, c, n in uow.conn.execute(select(a.id, a.code, a.name).where(a.id.in_(sorted(ids))))
    }


def _money_account(uow: UnitOfWork, code: str | None, what_en: str, what_zh: str) -> tuple[int, str]:
    """The cash or bank account named, or the "bank" posting role's account."""
    if code is None:
        bank_id = journal.config(uow).roles["bank"]
        return bank_id, _account_codes(uow, {bank_id})[bank_id][0]
    found = _postable(uow, code, (rules.ASSET,), what_en, what_zh)
    roles = journal.config(uow).roles
    if found[0] in {roles.get(r) for r in ("ar", "inventory", "grni")}:
        raise _bad(
            "account_not_allowed",
            "Account {code} cannot be used as {what}",
            "科目 {code} 不能用作{what_zh}",
            code=found[1],
            what=what_en,
            what_zh=what_zh,
        )
    return found


# -- credit terms -----------------------------------------------------------------------------------
def set_terms(
    uow: UnitOfWork, *, party_type: str, code: str, credit_days: int, credit_limit_cents: int | None = None
) -> dict:
    """A customer's or supplier's credit days (open items it creates fall due after them) and
    credit limit (None: no limit)."""
    uow.actor.require(MANAGE)
    party_type = _party_type(party_type)
    pid = _party_id(uow, party_type, code)
    if isinstance(credit_days, bool) or not isinstance(credit_days, int) or not 0 <= credit_days <= 3650:
        raise _bad(
            "bad_credit_days",
            "Credit days are a whole number from 0 to 3650",
            "信用天数应为 0 到 3650 的整数",
        )
    if credit_limit_cents is not None and (
        isinstance(credit_limit_cents, bool)
        or not isinstance(credit_limit_cents, int)
        or not 0 <= credit_limit_cents <= MAX_CENTS
    ):
        raise _bad(
            "bad_credit_limit", "A credit limit is whole cents ≥ 0", "信用额度应为不小于 0 的整数（分）"
        )
    t = party_terms.c
    where = and_(t.party_type == party_type, t.party_id == pid)
    before = uow.conn.execute(select(t.credit_days, t.credit_limit_cents).where(where)).first()
    values = {"credit_days": credit_days, "credit_limit_cents": credit_limit_cents}
    if before is None:
        uow.conn.execute(insert(party_terms).values(party_type=party_type, party_id=pid, **values))
    else:
        uow.conn.execute(update(party_terms).where(where).values(**values))
    uow.audit(
        "finance.terms.set",
        party_type,
        code,
        before=dict(before._mapping) if before else None,
        after=values,
    )
    return get_terms(uow, party_type=party_type, code=code)


def _terms_rows(uow: UnitOfWork, party_type: str | None, party_id: int | None = None) -> list[dict]:
    t, oi = party_terms.c, open_item.c
    stmt = select(t.party_type, t.party_id, t.credit_days, t.credit_limit_cents)
    if party_type is not None:
        stmt = stmt.where(t.party_type == party_type)
    if party_id is not None:
        stmt = stmt.where(t.party_id == party_id)
    rows = uow.conn.execute(stmt).all()
    if not rows:
        return []
    open_by = {
        (pt, pid): int(v)
        for pt, pid, v in uow.conn.execute(
            select(oi.party_type, oi.party_id, func.sum(oi.amount_cents - oi.settled_cents))
            .where(oi.status == rules.OPEN, oi.party_type.in_(sorted({r.party_type for r in rows})))
            .group_by(oi.party_type, oi.party_id)
        )
    }
    refs = _party_refs(uow, {(r.party_type, r.party_id) for r in rows})
    out = []
    for r in rows:
        code, name = refs.get((r.party_type, r.party_id), ("", ""))
        balance = open_by.get((r.party_type, r.party_id), 0)
        out.append(
            {
                "party_type": r.party_type,
                "party_id": r.party_id,
                "code": code,
                "name": name,
                "credit_days": r.credit_days,
                "credit_limit_cents": r.credit_limit_cents,
                "open_cents": balance,
                "over_limit": r.credit_limit_cents is not None and balance > r.credit_limit_cents,
            }
        )
    return sorted(out, key=lambda x: (x["party_type"], x["code"]))


def get_terms(uow: UnitOfWork, *, party_type: str, code: str) -> dict:
    """A party's terms; a party without terms has 0 credit days (due at once) and no limit."""
    uow.actor.require(READ)
    party_type = _party_type(party_type)
    pid = _party_id(uow, party_type, code)
    rows = _terms_rows(uow, party_type, pid)
    if rows:
        return rows[0]
    name = _party_refs(uow, {(party_type, pid)}).get((party_type, pid), (code, ""))[1]
    oi = open_item.c
    balance = uow.conn.execute(
        select(func.coalesce(func.sum(oi.amount_cents - oi.settled_cents), 0)).where(
            oi.party_type == party_type, oi.party_id == pid, oi.status == rules.OPEN
        )
    ).scalar_one()
    return {
        "party_type": party_type,
        "party_id": pid,
        "code": code,
        "name": name,
        "credit_days": 0,
        "credit_limit_cents": None,
        "open_cents": int(balance),
        "over_limit": False,
    }


def list_terms(uow: UnitOfWork, *, party_type: str | None = None) -> list[dict]:
    uow.actor.require(READ)
    return _terms_rows(uow, _party_type(party_type) if party_type is not None else None)


# -- open items ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AllocationIn:
    open_item_id: int
    amount_cents: int  # taken off the item's open amount (> 0, for a credit note too)


_ITEM_COLS = (
    open_item.c.id,
    open_item.c.kind,
    open_item.c.party_type,
    open_item.c.party_id,
    open_item.c.source_type,
    open_item.c.source_id,
    open_item.c.ref,
    open_item.c.entry_id,
    open_item.c.doc_date,
    open_item.c.due_date,
    open_item.c.amount_cents,
    open_item.c.settled_cents,
    open_item.c.status,
)


def _item_dicts(uow: UnitOfWork, rows, today: dt.date) -> list[dict]:
    refs = _party_refs(uow, {(r.party_type, r.party_id) for r in rows})
    out = []
    for r in rows:
        code, name = refs.get((r.party_type, r.party_id), ("", ""))
        open_cents = r.amount_cents - r.settled_cents
        late = (today - r.due_date).days
        out.append(
            {
                "id": r.id,
                "kind": r.kind,
                "party_type": r.party_type,
                "party_id": r.party_id,
                "party_code": code,
                "party_name": name,
                "source_type": r.source_type,
                "source_id": r.source_id,
                "ref": r.ref,
                "entry_id": r.entry_id,
                "doc_date": r.doc_date,
                "due_date": r.due_date,
                "amount_cents": r.amount_cents,
                "settled_cents": r.settled_cents,
                "open_cents": open_cents,
                "status": r.status,
                "days_overdue": late if r.status == rules.OPEN and open_cents > 0 and late > 0 else 0,
            }
        )
    return out


def list_open_items(
    uow: UnitOfWork,
    *,
    kind: str | None = None,
    party_type: str | None = None,
    party_code: str | None = None,
    status: str | None = None,
    overdue: bool = False,
    due_before: dt.date | None = None,
    today: dt.date | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict], str | None]:
    """Open items by due date, oldest first, a page at a time (keyset on due date and id)."""
    uow.actor.require(READ)
    today = today or business_date(utcnow())
    oi = open_item.c
    stmt = select(*_ITEM_COLS)
    if kind is not None:
        stmt = stmt.where(oi.kind == _kind(kind))
    if party_code:
        pt = _party_type(party_type or (PARTY_OF[kind] if kind else None))
        stmt = stmt.where(oi.party_type == pt, oi.party_id == _party_id(uow, pt, party_code))
    elif party_type is not None:
        stmt = stmt.where(oi.party_type == _party_type(party_type))
    if status is not None:
        if status not in (rules.OPEN, rules.SETTLED):
            raise _bad(
                "bad_status", "Status is open or settled", "状态应为 open（未结清）或 settled（已结清）"
            )
        stmt = stmt.where(oi.status == status)
    if overdue:
        stmt = stmt.where(oi.status == rules.OPEN, oi.due_date < today, oi.amount_cents > oi.settled_cents)
    if due_before is not None:
        stmt = stmt.where(oi.due_date < _date(due_before, "due_before"))
    after = decode_cursor(cursor)
    if after:
        try:
            d, i = dt.date.fromisoformat(after["d"]), int(after["id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid("request.bad_cursor", "The page cursor is not valid", "分页游标无效") from exc
        stmt = stmt.where(or_(oi.due_date > d, and_(oi.due_date == d, oi.id > i)))
    rows = uow.conn.execute(stmt.order_by(oi.due_date, oi.id).limit(limit + 1)).all()
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        nxt = encode_cursor({"d": last.due_date.isoformat(), "id": last.id})
    return _item_dicts(uow, rows[:limit], today), nxt


def _open_amounts(uow: UnitOfWork, kind: str, party_type: str, party_id: int) -> list[rules.OpenAmount]:
    oi = open_item.c
    rows = uow.conn.execute(
        select(oi.id, oi.due_date, oi.amount_cents - oi.settled_cents).where(
            oi.kind == kind, oi.party_type == party_type, oi.party_id == party_id, oi.status == rules.OPEN
        )
    ).all()
    return [rules.OpenAmount(i, d, int(v)) for i, d, v in rows if v != 0]


def _explicit(
    uow: UnitOfWork, kind: str, party_type: str, party_id: int, allocations: Sequence[AllocationIn]
) -> list[tuple[int, int, int]]:
    """(item id, its open amount, cents) of explicit allocations, each checked against its item."""
    if len(allocations) > MAX_LINES:
        raise _bad("too_many_allocations", "At most {n} allocations", "最多 {n} 条核销明细", n=MAX_LINES)
    ids = [a.open_item_id for a in allocations]
    if len(set(ids)) != len(ids):
        raise _bad("duplicate_allocation", "An open item is allocated twice", "同一往来明细被重复核销")
    oi = open_item.c
    rows = {
        r.id: r
        for r in uow.conn.execute(
            select(
                oi.id,
                oi.kind,
                oi.party_type,
                oi.party_id,
                oi.ref,
                oi.amount_cents,
                oi.settled_cents,
                oi.status,
            ).where(oi.id.in_(sorted(i for i in ids if isinstance(i, int) and not isinstance(i, bool))))
        )
    }
    out = []
    for n, a in enumerate(allocations, 1):
        r = rows.get(a.open_item_id)
        if r is None:
            raise NotFound(
                "finance.unknown_open_item",
                "Open item {id} does not exist",
                "往来明细 {id} 不存在",
                id=a.open_item_id,
            )
        if r.kind != kind:
            raise _bad(
                "wrong_kind",
                "{ref} is a {item_kind} item; it cannot be allocated here",
                "{ref} 是{item_kind_zh}明细，不能在此核销",
                ref=r.ref,
                item_kind=r.kind,
                item_kind_zh="应收" if r.kind == rules.AR else "应付",
            )
        if (r.party_type, r.party_id) != (party_type, party_id):
            raise _bad("other_party", "{ref} belongs to another party", "{ref} 属于其他往来单位", ref=r.ref)
        if r.status != rules.OPEN:
            raise Conflict("finance.item_settled", "{ref} is settled already", "{ref} 已结清", ref=r.ref)
        cents = a.amount_cents
        if isinstance(cents, bool) or not isinstance(cents, int) or cents <= 0:
            raise _bad(
                "bad_allocation",
                "Allocation {n}: the amount must be whole cents > 0",
                "第 {n} 条核销：金额应为大于 0 的整数（分）",
                n=n,
            )
        open_cents = r.amount_cents - r.settled_cents
        if cents > abs(open_cents):
            raise _bad(
                "over_allocation",
                "{ref}: {amount} allocated, but only {open} is open",
                "{ref}：核销 {amount}，但未结金额只有 {open}",
                ref=r.ref,
                amount=_yuan(cents),
                open=_yuan(abs(open_cents)),
            )
        out.append((r.id, open_cents, cents))
    return out


def _settle(uow: UnitOfWork, allocations: Sequence[tuple[int, int, int]]) -> None:
    """Take each allocation off its item with a conditional UPDATE (in id order): an item another
    command settled meanwhile refuses, and the whole command with it."""
    oi = open_item.c
    for item_id, open_cents, cents in sorted(allocations):
        d = rules.allocation_effect(open_cents, cents)
        done = uow.conn.execute(
            update(open_item)
            .where(
                oi.id == item_id,
                oi.status == rules.OPEN,
                or_(
                    and_(oi.amount_cents > 0, oi.settled_cents + d <= oi.amount_cents),
                    and_(oi.amount_cents < 0, oi.settled_cents + d >= oi.amount_cents),
                ),
            )
            .values(
                settled_cents=oi.settled_cents + d,
                status=case((oi.settled_cents + d == oi.amount_cents, rules.SETTLED), else_=rules.OPEN),
            )
        ).rowcount
        if done != 1:
            raise Conflict(
                "finance.concurrent_change",
                "An open item changed meanwhile; reload and try again",
                "往来明细已被他人修改，请刷新后重试",
            )


def _check(amount: int, allocations: Sequence[tuple[int, int, int]]) -> None:
    problem = rules.allocation_problem(amount, [(o, c) for _i, o, c in allocations])
    if problem == "allocation_exceeds_amount":
        raise _bad(
            "allocation_exceeds_amount",
            "The allocations net to more than the amount {amount}",
            "核销金额合计超过收付款金额 {amount}",
            amount=_yuan(amount),
        )
    if problem == "credit_exceeds_items":
        raise _bad(
            "credit_exceeds_items",
            "Credit notes and advances are allocated beyond the items they settle",
            "冲抵的贷项（红字、预收/预付）超过了所核销的明细",
        )
    if problem is not None:  # bad_allocation / over_allocation are refused item by item before
        raise _bad(problem, "The allocations are not valid", "核销明细无效")


# -- receipts and payments ------------------------------------------------------------------------------
_SET_ENTRY = text(
    "UPDATE payment SET entry_id = (SELECT MAX(id) FROM journal_entry WHERE source_type = 'payment' "
    "AND source_id = :id) WHERE id = :id"
)


def record_payment(
    uow: UnitOfWork,
    *,
    kind: str,
    party_code: str,
    amount_cents: int,
    date: dt.date,
    ref: str,
    account_code: str | None = None,
    memo: str | None = None,
    allocations: Sequence[AllocationIn] | None = None,
) -> int:
    """Money a customer paid us (``ar``, a receipt) or we paid a supplier (``ap``), through a cash
    or bank account (default: the "bank" posting account), allocated to the party's open items:
    ``allocations`` as given, or oldest due first when None (credits first). What is not allocated
    stays on the party's account as an advance. Returns the payment's id."""
    uow.actor.require(MANAGE)
    kind = _kind(kind)
    party_type = PARTY_OF[kind]
    amount = _cents(amount_cents)
    date = _date(date)
    if not isinstance(ref, str) or not 0 < len(ref.strip()) <= 64:
        raise _bad(
            "bad_ref",
            "A receipt or payment needs a reference of 1-64 characters",
            "收付款需要 1-64 个字符的单号",
        )
    ref = ref.strip()
    memo = _memo(memo)
    party_id = _party_id(uow, party_type, party_code)
    account_id, account_code = _money_account(uow, account_code, "a cash or bank account", "收付款账户")
    journal.refuse_if_closed(uow, {rules.period_of(date)})
    p = payment.c
    if uow.conn.execute(select(p.id).where(p.kind == kind, p.ref == ref)).first():
        raise Conflict(
            "finance.duplicate_payment_ref",
            "A {kind} with reference {ref} exists already",
            "单号 {ref} 的{kind_zh}已存在",
            kind="receipt" if kind == rules.AR else "payment",
            kind_zh="收款" if kind == rules.AR else "付款",
            ref=ref,
        )
    if allocations is None:
        found = {i.item_id: i.open for i in _open_amounts(uow, kind, party_type, party_id)}
        chosen = [
            (i, found[i], c)
            for i, c in rules.auto_allocate(
                amount, [rules.OpenAmount(i, d, found[i]) for i, d in _due_dates(uow, found)]
            )
        ]
    else:
        chosen = _explicit(uow, kind, party_type, party_id, allocations)
    _check(amount, chosen)
    now = utcnow()
    payment_id = uow.conn.execute(
        insert(payment)
        .values(
            kind=kind,
            party_type=party_type,
            party_id=party_id,
            account_id=account_id,
            amount_cents=amount,
            date=date,
            ref=ref,
            memo=memo,
            created_at=now,
            created_by=uow.actor.username,
        )
        .returning(p.id)
    ).scalar_one()
    if chosen:
        uow.conn.execute(
            insert(payment_allocation),
            [{"payment_id": payment_id, "open_item_id": i, "amount_cents": c} for i, _o, c in chosen],
        )
    _settle(uow, chosen)
    applied = sum(rules.allocation_effect(o, c) for _i, o, c in chosen)
    advance = amount - applied
    sign = 1 if kind == rules.AR else -1  # a receipt debits the bank; a payment credits it
    journal.add(
        uow,
        date=date,
        source_type=PAYMENT_SOURCE,
        source_id=payment_id,
        source_ref=ref,
        lines=[Line(account_id, sign * amount), Line(kind, -sign * amount, party_type, party_id)],
        memo=memo or (f"收款 {ref} · receipt" if kind == rules.AR else f"付款 {ref} · payment"),
        open_item=(
            {
                "kind": kind,
                "party_type": party_type,
                "party_id": party_id,
                "ref": ref,
                "due_date": date,
                "amount": -advance,
            }
            if advance
            else None
        ),
    )
    uow.before_commit(lambda: uow.conn.execute(_SET_ENTRY, {"id": payment_id}))
    uow.audit(
        "finance.receipt.create" if kind == rules.AR else "finance.payment.create",
        "payment",
        payment_id,
        after={
            "kind": kind,
            "party": party_code,
            "amount_cents": amount,
            "date": date.isoformat(),
            "ref": ref,
            "account": account_code,
            "allocations": [[i, c] for i, _o, c in chosen],
            "advance_cents": advance,
        },
    )
    return payment_id


def _due_dates(uow: UnitOfWork, ids: dict[int, int]) -> list[tuple[int, dt.date]]:
    if not ids:
        return []
    oi = open_item.c
    return [(i, d) for i, d in uow.conn.execute(select(oi.id, oi.due_date).where(oi.id.in_(sorted(ids))))]


def payment_detail(uow: UnitOfWork, payment_id: int) -> dict:
    uow.actor.require(READ)
    p = payment.c
    row = uow.conn.execute(select(payment).where(p.id == payment_id)).first()
    if row is None:
        raise NotFound(
            "finance.unknown_payment", "Payment {id} does not exist", "收付款 {id} 不存在", id=payment_id
        )
    d = _payment_dicts(uow, [row])[0]
    pa, oi = payment_allocation.c, open_item.c
    d["allocations"] = [
        {"open_item_id": i, "ref": ref, "due_date": due, "item_amount_cents": amt, "amount_cents": c}
        for i, ref, due, amt, c in uow.conn.execute(
            select(oi.id, oi.ref, oi.due_date, oi.amount_cents, pa.amount_cents)
            .select_from(payment_allocation.join(open_item, oi.id == pa.open_item_id))
            .where(pa.payment_id == payment_id)
            .order_by(oi.due_date, oi.id)
        )
    ]
    return d


def _payment_dicts(uow: UnitOfWork, rows) -> list[dict]:
    refs = _party_refs(uow, {(r.party_type, r.party_id) for r in rows})
    accounts = _account_codes(uow, {r.account_id for r in rows})
    pa = payment_allocation.c
    ids = [r.id for r in rows]
    allocated: dict[int, int] = {}
    if ids:
        oi = open_item.c
        for pid, amt, c in uow.conn.execute(
            select(pa.payment_id, oi.amount_cents, pa.amount_cents)
            .select_from(payment_allocation.join(open_item, oi.id == pa.open_item_id))
            .where(pa.payment_id.in_(ids))
        ):
            allocated[pid] = allocated.get(pid, 0) + rules.allocation_effect(amt, c)
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "party_type": r.party_type,
            "party_id": r.party_id,
            "party_code": refs.get((r.party_type, r.party_id), ("", ""))[0],
            "party_name": refs.get((r.party_type, r.party_id), ("", ""))[1],
            "account": accounts[r.account_id][0],
            "account_name": accounts[r.account_id][1],
            "amount_cents": r.amount_cents,
            "allocated_cents": allocated.get(r.id, 0),
            "advance_cents": r.amount_cents - allocated.get(r.id, 0),
            "date": r.date,
            "ref": r.ref,
            "memo": r.memo,
            "entry_id": r.entry_id,
            "created_at": r.created_at,
            "created_by": r.created_by,
        }
        for r in rows
    ]


def list_payments(
    uow: UnitOfWork,
    *,
    kind: str | None = None,
    party_code: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict], str | None]:
    """Receipts and payments, newest first (keyset on id)."""
    uow.actor.require(READ)
    p = payment.c
    stmt = select(payment)
    if kind is not None:
        stmt = stmt.where(p.kind == _kind(kind))
    if party_code:
        if kind is None:
            raise _bad(
                "kind_needed",
                "Filter by party together with the kind (ar or ap)",
                "按往来单位筛选时需同时指定类型（ar/ap）",
            )
        stmt = stmt.where(
            p.party_type == PARTY_OF[kind], p.party_id == _party_id(uow, PARTY_OF[kind], party_code)
        )
    after = after_id(cursor)
    if after is not None:
        stmt = stmt.where(p.id < after)
    rows = uow.conn.execute(stmt.order_by(p.id.desc()).limit(limit + 1)).all()
    nxt = encode_cursor({"id": rows[limit - 1].id}) if len(rows) > limit else None
    return _payment_dicts(uow, rows[:limit]), nxt


# -- offsets: credit notes and advances applied without money ------------------------------------
def offset_items(
    uow: UnitOfWork,
    *,
    kind: str,
    party_code: str,
    date: dt.date,
    allocations: Sequence[AllocationIn] | None = None,
    memo: str | None = None,
) -> int:
    """Apply a party's credits (credit notes, advances) to its owed items (核销), no money moving:
    the allocations must net to zero. ``allocations`` None: every credit applied to the oldest due
    items. Returns the offset's id."""
    uow.actor.require(MANAGE)
    kind = _kind(kind)
    party_type = PARTY_OF[kind]
    date = _date(date)
    memo = _memo(memo)
    party_id = _party_id(uow, party_type, party_code)
    journal.refuse_if_closed(uow, {rules.period_of(date)})
    if allocations is None:
        found = {i.item_id: i.open for i in _open_amounts(uow, kind, party_type, party_id)}
        chosen = [
            (i, found[i], c)
            for i, c in rules.auto_allocate(
                0, [rules.OpenAmount(i, d, found[i]) for i, d in _due_dates(uow, found)]
            )
        ]
    else:
        chosen = _explicit(uow, kind, party_type, party_id, allocations)
    _check(0, chosen)
    if not chosen:
        raise _bad(
            "nothing_to_offset",
            "Nothing to offset: the party needs both a credit and an owed item",
            "没有可核销的明细：需要同时有贷项（红字、预收/预付）和未结清的欠款",
        )
    offset_id = uow.conn.execute(
        insert(item_offset)
        .values(
            kind=kind,
            party_type=party_type,
            party_id=party_id,
            date=date,
            memo=memo,
            created_at=utcnow(),
            created_by=uow.actor.username,
        )
        .returning(item_offset.c.id)
    ).scalar_one()
    uow.conn.execute(
        insert(item_offset_line),
        [{"offset_id": offset_id, "open_item_id": i, "amount_cents": c} for i, _o, c in chosen],
    )
    _settle(uow, chosen)
    uow.audit(
        "finance.offset.create",
        "item_offset",
        offset_id,
        after={
            "kind": kind,
            "party": party_code,
            "date": date.isoformat(),
            "allocations": [[i, c] for i, _o, c in chosen],
        },
    )
    return offset_id


# -- statement and ageing ------------------------------------------------------------------------
def party_statement(
    uow: UnitOfWork,
    *,
    party_type: str,
    code: str,
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
) -> dict:
    """A customer's or supplier's statement (对账单): documents that made it owe (or be owed) and
    the money received or paid, by date, with the running balance (> 0: the customer owes us / we
    owe the supplier) and the items still open."""
    uow.actor.require(READ)
    party_type = _party_type(party_type)
    pid = _party_id(uow, party_type, code)
    kind = rules.AR if party_type == "customer" else rules.AP
    oi, p = open_item.c, payment.c
    lines = []
    for r in uow.conn.execute(
        select(oi.id, oi.doc_date, oi.source_type, oi.ref, oi.due_date, oi.amount_cents).where(
            oi.kind == kind, oi.party_type == party_type, oi.party_id == pid, oi.source_type != PAYMENT_SOURCE
        )
    ):
        lines.append(
            {
                "date": r.doc_date,
                "type": "credit_note" if r.amount_cents < 0 else "invoice",
                "source_type": r.source_type,
                "ref": r.ref,
                "due_date": r.due_date,
                "memo": None,
                "debit_cents": max(r.amount_cents, 0),
                "credit_cents": max(-r.amount_cents, 0),
                "_order": (r.doc_date, 0, r.id),
            }
        )
    for r in uow.conn.execute(
        select(p.id, p.date, p.ref, p.memo, p.amount_cents).where(
            p.kind == kind, p.party_type == party_type, p.party_id == pid
        )
    ):
        lines.append(
            {
                "date": r.date,
                "type": "receipt" if kind == rules.AR else "payment",
                "source_type": PAYMENT_SOURCE,
                "ref": r.ref,
                "due_date": None,
                "memo": r.memo,
                "debit_cents": 0,
                "credit_cents": r.amount_cents,
                "_order": (r.date, 1, r.id),
            }
        )
    lines.sort(key=lambda x: x.pop("_order"))
    opening = balance = 0
    out = []
    for ln in lines:
        delta = ln["debit_cents"] - ln["credit_cents"]
        if from_date is not None and ln["date"] < from_date:
            opening += delta
            balance += delta
            continue
        if to_date is not None and ln["date"] > to_date:
            continue
        balance += delta
        out.append({**ln, "balance_cents": balance})
    items, _ = list_open_items(
        uow, kind=kind, party_type=party_type, party_code=code, status=rules.OPEN, limit=MAX_LINES
    )
    name = _party_refs(uow, {(party_type, pid)}).get((party_type, pid), (code, ""))[1]
    return {
        "party_type": party_type,
        "code": code,
        "name": name,
        "kind": kind,
        "from_date": from_date,
        "to_date": to_date,
        "opening_cents": opening,
        "lines": out,
        "closing_cents": balance,
        "open_items": items,
    }


def ageing(uow: UnitOfWork, *, kind: str, as_of: dt.date | None = None) -> dict:
    """What each party owes (ar) or is owed (ap) as of a day, by how late it is (账龄):
    ``rules.AGEING_BUCKETS`` by due date; credits not yet applied (credit notes, advances) apart.
    Money received or paid after ``as_of`` does not count."""
    uow.actor.require(READ)
    kind = _kind(kind)
    as_of = _date(as_of or business_date(utcnow()), "as_of")
    oi, p, pa, o, ol = open_item.c, payment.c, payment_allocation.c, item_offset.c, item_offset_line.c
    later: dict[int, int] = {}  # item -> cents allocated to it after as_of
    for item, c in (
        uow.conn.execute(
            select(pa.open_item_id, pa.amount_cents)
            .select_from(payment_allocation.join(payment, p.id == pa.payment_id))
            .where(p.kind == kind, p.date > as_of)
        ).all()
        + uow.conn.execute(
            select(ol.open_item_id, ol.amount_cents)
            .select_from(item_offset_line.join(item_offset, o.id == ol.offset_id))
            .where(o.kind == kind, o.date > as_of)
        ).all()
    ):
        later[item] = later.get(item, 0) + c
    cond = oi.status == rules.OPEN
    if later:
        cond = or_(cond, oi.id.in_(sorted(later)))
    rows = uow.conn.execute(
        select(oi.id, oi.party_type, oi.party_id, oi.due_date, oi.amount_cents, oi.settled_cents).where(
            oi.kind == kind, oi.doc_date <= as_of, cond
        )
    ).all()
    n = len(rules.AGEING_BUCKETS)
    by_party: dict[tuple[str, int], dict] = {}
    for r in rows:
        open_cents = (
            r.amount_cents - r.settled_cents + rules.allocation_effect(r.amount_cents, later.get(r.id, 0))
        )
        if open_cents == 0:
            continue
        row = by_party.setdefault((r.party_type, r.party_id), {"buckets": [0] * n, "unapplied_cents": 0})
        if open_cents < 0:
            row["unapplied_cents"] += open_cents
        else:
            row["buckets"][rules.ageing_bucket(r.due_date, as_of)] += open_cents
    refs = _party_refs(uow, set(by_party))
    out, totals, unapplied = [], [0] * n, 0
    for (pt, pid), v in by_party.items():
        code, name = refs.get((pt, pid), ("", ""))
        total = sum(v["buckets"]) + v["unapplied_cents"]
        overdue = sum(v["buckets"][1:])
        out.append(
            {
                "party_type": pt,
                "party_id": pid,
                "code": code,
                "name": name,
                "buckets": v["buckets"],
                "unapplied_cents": v["unapplied_cents"],
                "overdue_cents": overdue,
                "total_cents": total,
            }
        )
        totals = [a + b for a, b in zip(totals, v["buckets"], strict=True)]
        unapplied += v["unapplied_cents"]
    out.sort(key=lambda x: (-x["overdue_cents"], -x["total_cents"], x["code"]))
    return {
        "kind": kind,
        "as_of": as_of,
        "buckets": [{"zh": zh, "en": en} for _limit, zh, en in rules.AGEING_BUCKETS],
        "rows": out,
        "totals": {
            "buckets": totals,
            "unapplied_cents": unapplied,
            "overdue_cents": sum(totals[1:]),
            "total_cents": sum(totals) + unapplied,
        },
    }


# -- reminders -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReminderResult:
    before_due: int  # items reminded before their due date
    overdue: int  # items reminded as overdue
    notifications: int


_SCAN_LOCK = 0x0A2A9D0E  # PostgreSQL advisory lock: one reminder scan at a time
MAX_LISTED = 10


def reminder_days(uow: UnitOfWork) -> int:
    return journal.config(uow).number("reminder_days")


def _notice(kind: str, when: str, items: list[dict]) -> notifications.Notice:
    what_zh, what_en = ("应收", "receivable") if kind == rules.AR else ("应付", "payable")
    total = sum(i["open_cents"] for i in items)
    if when == rules.OVERDUE:
        title_zh = f"{len(items)} 笔{what_zh}款已逾期，合计 ¥{_yuan(total)}"
        title_en = f"{len(items)} {what_en} item(s) overdue, ¥{_yuan(total)} in all"
    else:
        title_zh = f"{len(items)} 笔{what_zh}款即将到期，合计 ¥{_yuan(total)}"
        title_en = f"{len(items)} {what_en} item(s) falling due soon, ¥{_yuan(total)} in all"
    zh = [
        f"{i['ref']} {i['party_name']}：¥{_yuan(i['open_cents'])}，到期日 {i['due_date']}"
        for i in items[:MAX_LISTED]
    ]
    en = [
        f"{i['ref']} {i['party_name']}: ¥{_yuan(i['open_cents'])}, due {i['due_date']}"
        for i in items[:MAX_LISTED]
    ]
    if len(items) > MAX_LISTED:
        zh.append(f"…… 另有 {len(items) - MAX_LISTED} 笔")
        en.append(f"… and {len(items) - MAX_LISTED} more")
    return notifications.Notice(
        kind=f"finance.due_reminder.{kind}.{when}",
        severity="warning" if when == rules.OVERDUE else "info",
        title_zh=title_zh,
        title_en=title_en,
        body_zh="\n".join(zh),
        body_en="\n".join(en),
        link=f"/finance/arap?kind={kind}" + ("&overdue=1" if when == rules.OVERDUE else ""),
        params={"kind": kind, "when": when, "count": len(items), "items": [i["id"] for i in items[:50]]},
        permission=READ,
    )


def scan_due(target: Engine | UnitOfWork, today: dt.date | None = None) -> ReminderResult:
    """Remind of open items falling due within the "reminder_days" setting and of overdue ones:
    in-app notifications to whoever may read receivables and payables, and one outbox message
    ``finance.due_reminder`` per item for other channels. Each item is reminded once before its
    due date and once when overdue (``open_item.reminded``): running it twice sends nothing new."""
    if isinstance(target, UnitOfWork):
        return _scan(target, today)
    with UnitOfWork(target, Actor.system("finance.reminders")) as uow:
        return _scan(uow, today)


def _scan(uow: UnitOfWork, today: dt.date | None) -> ReminderResult:
    today = today or business_date(utcnow())
    if uow.dialect == "postgresql":  # SQLite: the write transaction already runs alone
        uow.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCAN_LOCK})
    days = reminder_days(uow)
    oi = open_item.c
    rows = uow.conn.execute(
        select(*_ITEM_COLS, oi.reminded)
        .where(
            oi.status == rules.OPEN,
            oi.amount_cents > oi.settled_cents,
            oi.due_date <= today + dt.timedelta(days=days),
        )
        .order_by(oi.due_date, oi.id)
    ).all()
    groups: dict[tuple[str, str], list[dict]] = {}
    updates = []
    items = {d["id"]: d for d in _item_dicts(uow, rows, today)}
    for r in rows:
        sent = list(r.reminded or [])
        tag = rules.reminder_due(r.due_date, today, days, sent)
        if tag is None:
            continue
        when = tag.split(":", 1)[0]
        item = items[r.id]
        groups.setdefault((r.kind, when), []).append(item)
        updates.append({"item": r.id, "reminded": [*sent, tag]})
        uow.enqueue(
            REMINDER_TOPIC,
            {
                "open_item_id": r.id,
                "kind": r.kind,
                "when": when,
                "party_type": r.party_type,
                "party_id": r.party_id,
                "party_code": item["party_code"],
                "party_name": item["party_name"],
                "ref": r.ref,
                "due_date": r.due_date.isoformat(),
                "open_cents": item["open_cents"],
            },
            key=f"open_item:{r.id}:{tag}",
        )
    for u in updates:
        uow.conn.execute(update(open_item).where(oi.id == u["item"]).values(reminded=u["reminded"]))
    for (kind, when), group in sorted(groups.items()):
        notifications.publish(uow, _notice(kind, when, group))
    if updates:
        uow.audit(
            "finance.reminders.scan",
            "open_item",
            today.isoformat(),
            after={"reminded": [[u["item"], u["reminded"][-1]] for u in updates]},
        )
    counts = {rules.BEFORE_DUE: 0, rules.OVERDUE: 0}
    for (_kind, when), group in groups.items():
        counts[when] += len(group)
    return ReminderResult(counts[rules.BEFORE_DUE], counts[rules.OVERDUE], len(groups))


def _deliver_reminder(msg: Message) -> None:
    """The outbox's delivery of a due-date reminder when no messaging channel (SMS, e-mail, a
    webhook) registers its own handler for the topic: it is written to the application log."""
    d = msg.payload
    log.info(
        "due reminder (%s, %s): %s %s %s, %s cents due %s",
        d.get("kind"),
        d.get("when"),
        d.get("party_code"),
        d.get("party_name"),
        d.get("ref"),
        d.get("open_cents"),
        d.get("due_date"),
    )


register_handler(REMINDER_TOPIC, _deliver_reminder)


# -- expenses --------------------------------------------------------------------------------------------
def record_expense(
    uow: UnitOfWork,
    *,
    date: dt.date,
    account_code: str,
    amount_cents: int,
    paid_from: str | None = None,
    memo: str | None = None,
    supplier_code: str | None = None,
) -> int:
    """An expense paid at once (费用): Dr the expense account, Cr the cash, bank or wallet account
    it was paid from (default: the "bank" posting account), posted now. Returns its id."""
    uow.actor.require(EXPENSE_CREATE)
    date = _date(date)
    amount = _cents(amount_cents)
    memo = _memo(memo)
    expense_id_acc, expense_code = _postable(
        uow, account_code, (rules.EXPENSE,), "an expense account", "费用科目"
    )
    paid_id, paid_code = _money_account(uow, paid_from, "the account paid from", "付款账户")
    supplier_id = purchasing.supplier_id(uow, supplier_code) if supplier_code else None
    journal.refuse_if_closed(uow, {rules.period_of(date)})
    e = expense.c
    new_id = uow.conn.execute(
        insert(expense)
        .values(
            date=date,
            account_id=expense_id_acc,
            paid_from_id=paid_id,
            amount_cents=amount,
            supplier_id=supplier_id,
            memo=memo,
            created_at=utcnow(),
            created_by=uow.actor.username,
        )
        .returning(e.id)
    ).scalar_one()
    party = ("supplier", supplier_id) if supplier_id else (None, None)
    journal.add(
        uow,
        date=date,
        source_type=EXPENSE_SOURCE,
        source_id=new_id,
        source_ref=f"EXP-{new_id}",
        lines=[Line(expense_id_acc, amount, *party), Line(paid_id, -amount)],
        memo=memo or "费用 · expense",
    )
    uow.audit(
        "finance.expense.create",
        "expense",
        new_id,
        after={
            "date": date.isoformat(),
            "account": expense_code,
            "paid_from": paid_code,
            "amount_cents": amount,
            "supplier": supplier_code,
            "memo": memo,
        },
    )
    return new_id


def list_expenses(
    uow: UnitOfWork,
    *,
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
    account_code: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict], str | None]:
    """Expenses, newest first (keyset on id), with the journal entry each posted."""
    uow.actor.require(EXPENSE_READ)
    e, a = expense.c, account.c
    stmt = select(expense)
    if from_date is not None:
        stmt = stmt.where(e.date >= _date(from_date, "from"))
    if to_date is not None:
        stmt = stmt.where(e.date <= _date(to_date, "to"))
    if account_code:
        ids = [i for (i,) in uow.conn.execute(select(a.id).where(a.code.startswith(account_code)))]
        stmt = stmt.where(e.account_id.in_(ids or [-1]))
    after = after_id(cursor)
    if after is not None:
        stmt = stmt.where(e.id < after)
    rows = uow.conn.execute(stmt.order_by(e.id.desc()).limit(limit + 1)).all()
    nxt = encode_cursor({"id": rows[limit - 1].id}) if len(rows) > limit else None
    return _expense_dicts(uow, rows[:limit]), nxt


def expense_detail(uow: UnitOfWork, expense_id: int) -> dict:
    uow.actor.require(EXPENSE_READ)
    rows = uow.conn.execute(select(expense).where(expense.c.id == expense_id)).all()
    if not rows:
        raise NotFound(
            "finance.unknown_expense", "Expense {id} does not exist", "费用 {id} 不存在", id=expense_id
        )
    return _expense_dicts(uow, rows)[0]


def _expense_dicts(uow: UnitOfWork, rows) -> list[dict]:
    je = journal_entry.c
    accounts = _account_codes(uow, {r.account_id for r in rows} | {r.paid_from_id for r in rows})
    suppliers = purchasing.supplier_refs(uow, [r.supplier_id for r in rows if r.supplier_id])
    entries = (
        dict(
            uow.conn.execute(
                select(je.source_id, je.id).where(
                    je.source_type == EXPENSE_SOURCE, je.source_id.in_([r.id for r in rows])
                )
            ).all()
        )
        if rows
        else {}
    )
    return [
        {
            "id": r.id,
            "date": r.date,
            "account": accounts[r.account_id][0],
            "account_name": accounts[r.account_id][1],
            "paid_from": accounts[r.paid_from_id][0],
            "paid_from_name": accounts[r.paid_from_id][1],
            "amount_cents": r.amount_cents,
            "supplier": suppliers[r.supplier_id][0] if r.supplier_id in suppliers else None,
            "supplier_name": suppliers[r.supplier_id][1] if r.supplier_id in suppliers else None,
            "memo": r.memo,
            "entry_id": entries.get(r.id),
            "created_at": r.created_at,
            "created_by": r.created_by,
        }
        for r in rows
    ]


def expense_accounts(uow: UnitOfWork) -> dict[str, list[dict]]:
    """Accounts an expense may use (active leaf expense accounts) and be paid from (active leaf
    asset accounts), for the pickers of the UI."""
    uow.actor.require(EXPENSE_READ)
    a = account.c
    rows = uow.conn.execute(
        select(a.id, a.code, a.name, a.name_en, a.kind, a.active, a.parent_id).order_by(a.code)
    ).all()
    parents = {r.parent_id for r in rows if r.parent_id}
    leaf = [r for r in rows if r.active and r.id not in parents]

    def pick(kind: str) -> list[dict]:
        return [{"code": r.code, "name": r.name, "name_en": r.name_en} for r in leaf if r.kind == kind]

    return {"expense": pick(rules.EXPENSE), "money": pick(rules.ASSET)}
