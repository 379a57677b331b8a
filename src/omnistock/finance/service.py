"""Finance use cases, the area's public surface: the chart of accounts and the posting roles,
settings and tax rates, manual journal entries with approval, accounting periods and their close,
the journal and its reports (trial balance, general ledger, account detail), and the invariants
``omnistock doctor`` proves.

Automatic entries are posted by ``postings`` (subscribers of the business events) through
``journal``; nothing here writes a balance any other way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, case, func, insert, or_, select, update

from omnistock.catalog import service as catalog
from omnistock.finance import journal, rules
from omnistock.finance.models import (
    account,
    account_balance,
    finance_setting,
    journal_entry,
    journal_line,
    open_item,
    posting_account,
    sku_tax_rate,
)
from omnistock.finance.rules import Line
from omnistock.inventory import service as inventory
from omnistock.platform.clock import business_date, utcnow
from omnistock.platform.errors import Conflict, Invalid, NotFound
from omnistock.platform.pagination import after_id, encode_cursor
from omnistock.platform.permissions import register
from omnistock.platform.sql import raw
from omnistock.platform.uow import UnitOfWork

register(
    ("finance.account.read", "查看会计科目与账簿", "View accounts, the journal and ledgers"),
    ("finance.account.manage", "维护会计科目与自动记账科目", "Manage accounts and posting accounts"),
    ("finance.entry.create", "录入手工凭证", "Enter manual journal entries"),
    ("finance.entry.approve", "审核手工凭证", "Approve manual journal entries"),
    ("finance.entry.approve_own", "审核自己录入的凭证", "Approve one's own journal entries"),
    ("finance.period.close", "结账与反结账", "Close and reopen periods"),
    ("finance.settings.manage", "维护税率等财务设置", "Manage tax rates and finance settings"),
)


def _bad(code: str, en: str, zh: str, /, **params) -> Invalid:
    return Invalid(f"finance.{code}", en, zh, **params)


# -- accounts -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Account:
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    parent_code: str | None
    active: bool
    system: bool
    leaf: bool
    roles: tuple[str, ...]  # the automatic postings that use it


def _accounts(conn: Connection) -> list[Account]:
    a = account.c
    rows = conn.execute(select(account).order_by(a.code)).all()
    code_of = {r.id: r.code for r in rows}
    parents = {r.parent_id for r in rows if r.parent_id}
    roles: dict[int, list[str]] = {}
    for role, account_id in conn.execute(select(posting_account.c.role, posting_account.c.account_id)):
        roles.setdefault(account_id, []).append(role)
    return [
        Account(
            r.id,
            r.code,
            r.name,
            r.name_en,
            r.kind,
            code_of.get(r.parent_id),
            r.active,
            r.system,
            r.id not in parents,
            tuple(sorted(roles.get(r.id, ()))),
        )
        for r in rows
    ]


def list_accounts(uow: UnitOfWork) -> list[Account]:
    uow.actor.require("finance.account.read")
    return _accounts(uow.conn)


def _account(uow: UnitOfWork, code: str) -> Account:
    for acc in _accounts(uow.conn):
        if acc.code == code:
            return acc
    raise NotFound(
        "finance.unknown_account", "Unknown account {code}", "会计科目 {code} 不存在", code=str(code)[:32]
    )


def create_account(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    name_en: str = "",
    parent_code: str | None = None,
    kind: str | None = None,
) -> Account:
    """A new account; a sub-account's code is its parent's plus two digits and takes its kind."""
    uow.actor.require("finance.account.manage")
    if not isinstance(code, str) or not code.isdigit() or not 4 <= len(code) <= 16:
        raise _bad("bad_account_code", "An account code is 4-16 digits", "科目编码应为 4-16 位数字")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise _bad(
            "bad_account_name",
            "An account needs a name (at most 100 characters)",
            "科目名称必填（最多 100 字）",
        )
    existing = {a.code: a for a in _accounts(uow.conn)}
    if code in existing:
        raise Conflict(
            "finance.duplicate_account", "Account {code} exists already", "科目 {code} 已存在", code=code
        )
    parent = None
    if parent_code:
        parent = existing.get(parent_code)
        if parent is None:
            raise _bad(
                "unknown_parent",
                "Parent account {code} does not exist",
                "上级科目 {code} 不存在",
                code=parent_code,
            )
        if not (code.startswith(parent.code) and len(code) == len(parent.code) + 2):
            raise _bad(
                "bad_sub_code",
                "A sub-account of {parent} has a code of {parent} plus two digits",
                "{parent} 的明细科目编码应为 {parent} 加两位数字",
                parent=parent.code,
            )
        kind = parent.kind
        if _used(uow, parent.id):
            raise Conflict(
                "finance.parent_has_postings",
                "Account {code} already has postings; a sub-account would split its history",
                "科目 {code} 已有发生额，不能再增加明细科目",
                code=parent.code,
            )
    if kind not in rules.KINDS:
        raise _bad(
            "bad_account_kind",
            "Account kind must be one of {kinds}",
            "科目类别应为 {kinds} 之一",
            kinds=", ".join(rules.KINDS),
        )
    uow.conn.execute(
        insert(account).values(
            code=code,
            name=name.strip(),
            name_en=(name_en or "").strip()[:100],
            kind=kind,
            parent_id=parent.id if parent else None,
            active=True,
            system=False,
            created_at=utcnow(),
        )
    )
    uow.audit(
        "finance.account.create", "account", code, after={"name": name, "kind": kind, "parent": parent_code}
    )
    return _account(uow, code)


def _used(uow: UnitOfWork, account_id: int) -> bool:
    return (
        uow.conn.execute(
            select(journal_line.c.id).where(journal_line.c.account_id == account_id).limit(1)
        ).first()
        is not None
    )


def update_account(
    uow: UnitOfWork,
    code: str,
    *,
    name: str | None = None,
    name_en: str | None = None,
    active: bool | None = None,
) -> Account:
    uow.actor.require("finance.account.manage")
    acc = _account(uow, code)
    values: dict = {}
    if name is not None:
        if not name.strip() or len(name) > 100:
            raise _bad(
                "bad_account_name",
                "An account needs a name (at most 100 characters)",
                "科目名称必填（最多 100 字）",
            )
        values["name"] = name.strip()
    if name_en is not None:
        values["name_en"] = name_en.strip()[:100]
    if active is not None and active != acc.active:
        if not active and acc.roles:
            raise Conflict(
                "finance.account_in_use",
                "Account {code} is used by automatic postings ({roles}); choose another account for them first",
                "科目 {code} 正被自动记账使用（{roles}），请先为其改选其他科目",
                code=code,
                roles=", ".join(acc.roles),
            )
        values["active"] = active
    if values:
        uow.conn.execute(update(account).where(account.c.id == acc.id).values(**values))
        uow.audit(
            "finance.account.update",
            "account",
            code,
            before={k: getattr(acc, k) for k in values},
            after=values,
        )
    return _account(uow, code)


def set_posting_account(uow: UnitOfWork, role: str, account_code: str) -> None:
    """Choose the account an automatic posting uses from now on (past entries keep theirs)."""
    uow.actor.require("finance.account.manage")
    if role not in rules.ROLES:
        raise _bad(
            "unknown_role", "Unknown posting role {role}", "未知的自动记账项目 {role}", role=str(role)[:32]
        )
    acc = _account(uow, account_code)
    if not acc.active or not acc.leaf:
        raise _bad(
            "account_not_postable",
            "Account {code} cannot be posted to (inactive, or it has sub-accounts)",
            "科目 {code} 不能记账（已停用或有下级科目）",
            code=account_code,
        )
    before = uow.conn.execute(
        select(posting_account.c.account_id).where(posting_account.c.role == role)
    ).scalar()
    uow.conn.execute(update(posting_account).where(posting_account.c.role == role).values(account_id=acc.id))
    journal.forget_config(uow)
    uow.audit(
        "finance.posting_account.set",
        "posting_account",
        role,
        before={"account_id": before},
        after={"account": account_code},
    )


def posting_accounts(uow: UnitOfWork) -> list[dict]:
    """Each automatic posting and the account it uses."""
    uow.actor.require("finance.account.read")
    a, pa = account.c, posting_account.c
    using = dict(
        (role, (code, name))
        for role, code, name in uow.conn.execute(
            select(pa.role, a.code, a.name).select_from(posting_account.join(account, a.id == pa.account_id))
        )
    )
    return [
        {"role": role, "name": zh, "name_en": en, "account": using[role][0], "account_name": using[role][1]}
        for role, (_code, zh, en) in rules.ROLES.items()
        if role in using
    ]


# -- settings and tax ----------------------------------------------------------------------------
def _set_setting(uow: UnitOfWork, key: str, value) -> None:
    fs = finance_setting.c
    if value is None:
        uow.conn.execute(finance_setting.delete().where(fs.key == key))
    elif uow.conn.execute(update(finance_setting).where(fs.key == key).values(value=value)).rowcount == 0:
        uow.conn.execute(insert(finance_setting).values(key=key, value=value))
    journal.forget_config(uow)


def settings(uow: UnitOfWork) -> dict:
    uow.actor.require("finance.account.read")
    cfg = journal.config(uow)
    return {
        "default_tax_rate_bp": cfg.default_tax_rate_bp,
        "closed_through": journal.closed_through(uow),
        "reminder_days": cfg.number("reminder_days"),
        "unsettled_days": cfg.number("unsettled_days"),
    }


def update_settings(
    uow: UnitOfWork,
    *,
    default_tax_rate_bp: int | None = None,
    reminder_days: int | None = None,
    unsettled_days: int | None = None,
) -> dict:
    uow.actor.require("finance.settings.manage")
    before = settings(uow)
    for key, value, top in (
        ("default_tax_rate_bp", default_tax_rate_bp, 10000),
        ("reminder_days", reminder_days, 365),
        ("unsettled_days", unsettled_days, 365),
    ):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            raise _bad(
                "bad_setting",
                "{key} must be a whole number from 0 to {top}",
                "{key} 应为 0 到 {top} 的整数",
                key=key,
                top=top,
            )
        _set_setting(uow, key, value)
    after = settings(uow)
    uow.audit("finance.settings.update", "finance_setting", "finance", before=before, after=after)
    return after


def set_sku_tax_rate(uow: UnitOfWork, sku_code: str, rate_bp: int | None) -> None:
    """A SKU's own output VAT rate (basis points), or None: the default rate."""
    uow.actor.require("finance.settings.manage")
    sku = catalog.sku_ref(uow, sku_code)
    if rate_bp is not None and (
        isinstance(rate_bp, bool) or not isinstance(rate_bp, int) or not 0 <= rate_bp <= 10000
    ):
        raise _bad(
            "bad_tax_rate",
            "A tax rate is 0-10000 basis points (1300 = 13%)",
            "税率应为 0-10000 个基点（1300 即 13%）",
        )
    t = sku_tax_rate.c
    uow.conn.execute(sku_tax_rate.delete().where(t.sku_id == sku.id))
    if rate_bp is not None:
        uow.conn.execute(insert(sku_tax_rate).values(sku_id=sku.id, rate_bp=rate_bp))
    any_rates = uow.conn.execute(select(t.sku_id).limit(1)).first() is not None
    _set_setting(uow, "sku_tax_rates", any_rates)
    uow.audit("finance.tax_rate.set", "sku", sku_code, after={"rate_bp": rate_bp})


def list_sku_tax_rates(uow: UnitOfWork) -> list[dict]:
    uow.actor.require("finance.account.read")
    t = sku_tax_rate.c
    sku = catalog.sku_view.c
    rows = uow.conn.execute(
        select(sku.code, sku.name, t.rate_bp)
        .select_from(sku_tax_rate.join(catalog.sku_view, sku.id == t.sku_id))
        .order_by(sku.code)
    ).all()
    return [{"sku": r.code, "name": r.name, "rate_bp": r.rate_bp} for r in rows]


# -- manual entries -----------------------------------------------------------------------------
@dataclass(frozen=True)
class EntryLineIn:
    account: str  # account code
    debit_cents: int = 0
    credit_cents: int = 0
    memo: str | None = None
    party_type: str | None = None
    party_id: int | None = None


def _cents(v: object, line: int, field: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= rules.MAX_ENTRY_CENTS:
        raise _bad(
            "bad_amount",
            "Line {line}: {field} must be whole cents ≥ 0",
            "第 {line} 行：{field} 应为不小于 0 的整数（分）",
            line=line,
            field=field,
        )
    return v


def _entry_lines(uow: UnitOfWork, lines: Sequence[EntryLineIn]) -> list[Line]:
    if len(lines) < 2:
        raise _bad("too_few_lines", "An entry needs at least two lines", "凭证至少需要两行分录")
    accounts = {a.code: a for a in _accounts(uow.conn)}
    out = []
    for i, ln in enumerate(lines, 1):
        acc = accounts.get(ln.account)
        if acc is None:
            raise _bad(
                "unknown_account",
                "Line {line}: unknown account {code}",
                "第 {line} 行：会计科目 {code} 不存在",
                line=i,
                code=str(ln.account)[:32],
            )
        if not acc.active or not acc.leaf:
            raise _bad(
                "account_not_postable",
                "Line {line}: account {code} cannot be posted to (inactive, or it has sub-accounts)",
                "第 {line} 行：科目 {code} 不能记账（已停用或有下级科目）",
                line=i,
                code=acc.code,
            )
        d, c = _cents(ln.debit_cents, i, "debit"), _cents(ln.credit_cents, i, "credit")
        if (d > 0) == (c > 0):
            raise _bad(
                "one_side",
                "Line {line}: enter either a debit or a credit",
                "第 {line} 行：借方与贷方须且只能填写一方",
                line=i,
            )
        if ln.party_type not in (None, "customer", "supplier", "channel") or (ln.party_type is None) != (
            ln.party_id is None
        ):
            raise _bad(
                "bad_party",
                "Line {line}: a party is a customer, supplier or channel with its id",
                "第 {line} 行：往来单位应为客户、供应商或渠道及其编号",
                line=i,
            )
        out.append(Line(acc.id, d - c, ln.party_type, ln.party_id, (ln.memo or "")[:200] or None))
    diff = rules.imbalance(out)
    if diff:
        raise _bad(
            "unbalanced",
            "Debits and credits differ by {diff}: an entry must balance",
            "借贷不平衡，相差 {diff}",
            diff=f"{diff / 100:.2f}",
        )
    return out


def create_entry(uow: UnitOfWork, *, date: dt.date, memo: str | None, lines: Sequence[EntryLineIn]) -> dict:
    """A manual entry, waiting for approval: it counts in no balance until approved."""
    uow.actor.require("finance.entry.create")
    if not isinstance(date, dt.date):
        raise _bad("bad_date", "An entry needs a date", "凭证需要日期")
    if memo is not None and len(memo) > 200:
        raise _bad("bad_memo", "The memo is at most 200 characters", "摘要最多 200 字")
    parsed = _entry_lines(uow, lines)
    p = journal.Pending(date, "manual", None, None, memo)
    (entry_id,) = journal.write(uow, raw(uow.conn), [(p, parsed)], status=rules.PENDING)
    uow.audit(
        "finance.entry.create",
        "journal_entry",
        entry_id,
        after={"date": date.isoformat(), "memo": memo, "lines": len(parsed)},
    )
    return entry_detail(uow, entry_id)


def _lock_entry(uow: UnitOfWork, entry_id: int):
    je = journal_entry.c
    stmt = select(journal_entry).where(je.id == entry_id)
    if uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    row = uow.conn.execute(stmt).first()
    if row is None:
        raise NotFound(
            "finance.unknown_entry", "Journal entry {id} does not exist", "凭证 {id} 不存在", id=entry_id
        )
    return row


def _move(row, target: str) -> None:
    if target not in rules.ENTRY_TRANSITIONS.get(row.status, set()):
        raise Conflict(
            "finance.illegal_transition",
            "Entry {id} is {current}; it cannot become {target}",
            "凭证 {id} 当前为{current_zh}，不能变为{target_zh}",
            id=row.id,
            current=row.status,
            target=target,
            current_zh=rules.ENTRY_STATUS_NAMES[row.status][0],
            target_zh=rules.ENTRY_STATUS_NAMES[target][0],
        )


def approve_entry(uow: UnitOfWork, entry_id: int) -> dict:
    """Approve a pending manual entry: it is posted and counts in the balances from now on."""
    uow.actor.require("finance.entry.approve")
    row = _lock_entry(uow, entry_id)
    _move(row, rules.POSTED)
    if row.created_by == uow.actor.username:
        uow.actor.require("finance.entry.approve_own")
    journal.refuse_if_closed(uow, {row.period})
    now = utcnow()
    je = journal_entry.c
    done = uow.conn.execute(
        update(journal_entry)
        .where(je.id == entry_id, je.status == rules.PENDING)
        .values(status=rules.POSTED, approved_at=now, approved_by=uow.actor.username)
    ).rowcount
    if done != 1:  # pragma: no cover - the row is locked (PostgreSQL) or writes are serial (SQLite)
        raise Conflict(
            "finance.concurrent_change", "The entry changed meanwhile; reload it", "凭证已被他人修改，请刷新"
        )
    jl = journal_line.c
    totals: dict[tuple[int, str], list[int]] = {}
    for acc, d, c in uow.conn.execute(
        select(jl.account_id, jl.debit_cents, jl.credit_cents).where(jl.entry_id == entry_id)
    ):
        t = totals.setdefault((acc, row.period), [0, 0])
        t[0] += d
        t[1] += c
    journal.add_balances(raw(uow.conn), totals)
    uow.audit(
        "finance.entry.approve",
        "journal_entry",
        entry_id,
        before={"status": row.status},
        after={"status": rules.POSTED},
    )
    return entry_detail(uow, entry_id)


def reject_entry(uow: UnitOfWork, entry_id: int, reason: str | None = None) -> dict:
    uow.actor.require("finance.entry.approve")
    row = _lock_entry(uow, entry_id)
    _move(row, rules.REJECTED)
    memo = row.memo if not reason else f"{row.memo or ''} [驳回: {reason[:80]}]".strip()[:200]
    uow.conn.execute(
        update(journal_entry)
        .where(journal_entry.c.id == entry_id)
        .values(status=rules.REJECTED, memo=memo, approved_at=utcnow(), approved_by=uow.actor.username)
    )
    uow.audit("finance.entry.reject", "journal_entry", entry_id, after={"reason": reason})
    return entry_detail(uow, entry_id)


def reverse_entry(uow: UnitOfWork, entry_id: int, *, date: dt.date | None = None) -> dict:
    """A posted manual entry undone by a new entry with every line on the other side (红字冲销)."""
    uow.actor.require("finance.entry.approve")
    row = _lock_entry(uow, entry_id)
    if row.status != rules.POSTED or row.source_type != "manual":
        raise Conflict(
            "finance.not_reversible",
            "Only a posted manual entry can be reversed; automatic entries follow their documents",
            "只有已记账的手工凭证可以冲销；自动凭证随业务单据变化",
        )
    if uow.conn.execute(select(journal_entry.c.id).where(journal_entry.c.reverses_id == entry_id)).first():
        raise Conflict(
            "finance.already_reversed", "Entry {id} is reversed already", "凭证 {id} 已冲销", id=entry_id
        )
    jl = journal_line.c
    lines = [
        Line(a, c - d, pt, pid, m)
        for a, d, c, pt, pid, m in uow.conn.execute(
            select(jl.account_id, jl.debit_cents, jl.credit_cents, jl.party_type, jl.party_id, jl.memo)
            .where(jl.entry_id == entry_id)
            .order_by(jl.line_no)
        )
    ]
    day = date or business_date(utcnow())
    p = journal.Pending(day, "manual", None, None, f"冲销凭证 {entry_id} · reverses entry {entry_id}")
    (new_id,) = journal.write(uow, raw(uow.conn), [(p, lines)], status=rules.POSTED, reverses_id=entry_id)
    uow.audit("finance.entry.reverse", "journal_entry", entry_id, after={"reversal": new_id})
    return entry_detail(uow, new_id)


# -- the journal ----------------------------------------------------------------------------------
def _party_names(uow: UnitOfWork, parties: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    from omnistock.orders import service as orders
    from omnistock.purchasing import service as purchasing

    out: dict[tuple[str, int], str] = {}
    for kind, names in (
        ("customer", orders.customer_names),
        ("channel", orders.channel_names),
        ("supplier", purchasing.supplier_names),
    ):
        ids = sorted(i for k, i in parties if k == kind)
        if ids:
            out.update({(kind, i): n for i, n in names(uow, ids).items()})
    return out


def entry_detail(uow: UnitOfWork, entry_id: int) -> dict:
    uow.actor.require("finance.account.read")
    je, jl, a = journal_entry.c, journal_line.c, account.c
    row = uow.conn.execute(select(journal_entry).where(je.id == entry_id)).first()
    if row is None:
        raise NotFound(
            "finance.unknown_entry", "Journal entry {id} does not exist", "凭证 {id} 不存在", id=entry_id
        )
    lines = uow.conn.execute(
        select(
            jl.line_no, a.code, a.name, jl.debit_cents, jl.credit_cents, jl.party_type, jl.party_id, jl.memo
        )
        .select_from(journal_line.join(account, a.id == jl.account_id))
        .where(jl.entry_id == entry_id)
        .order_by(jl.line_no)
    ).all()
    names = _party_names(uow, {(ln.party_type, ln.party_id) for ln in lines if ln.party_type})
    reversed_by = uow.conn.execute(select(je.id).where(je.reverses_id == entry_id)).scalar()
    return {
        **_entry_head(row),
        "reversed_by": reversed_by,
        "lines": [
            {
                "line_no": ln.line_no,
                "account": ln.code,
                "account_name": ln.name,
                "debit_cents": ln.debit_cents,
                "credit_cents": ln.credit_cents,
                "party_type": ln.party_type,
                "party_id": ln.party_id,
                "party_name": names.get((ln.party_type, ln.party_id)),
                "memo": ln.memo,
            }
            for ln in lines
        ],
    }


def _entry_head(row) -> dict:
    return {
        "id": row.id,
        "date": row.date,
        "period": row.period,
        "status": row.status,
        "source_type": row.source_type,
        "source_id": row.source_id,
        "source_ref": row.source_ref,
        "memo": row.memo,
        "total_cents": row.total_cents,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "approved_by": row.approved_by,
        "reverses_id": row.reverses_id,
    }


def list_entries(
    uow: UnitOfWork,
    *,
    period: str | None = None,
    status: str | None = None,
    source_type: str | None = None,
    account_code: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    """Entries newest first, paged by cursor."""
    uow.actor.require("finance.account.read")
    je = journal_entry.c
    stmt = select(journal_entry).order_by(je.id.desc()).limit(limit + 1)
    if period:
        stmt = stmt.where(je.period == period)
    if status:
        stmt = stmt.where(je.status == status)
    if source_type:
        stmt = stmt.where(je.source_type == source_type)
    if q:
        stmt = stmt.where(or_(je.source_ref == q, je.memo.contains(q)))
    if account_code:
        acc = _account(uow, account_code)
        stmt = stmt.where(
            je.id.in_(select(journal_line.c.entry_id).where(journal_line.c.account_id == acc.id))
        )
    after = after_id(cursor)
    if after is not None:
        stmt = stmt.where(je.id < after)
    rows = uow.conn.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [_entry_head(r) for r in rows],
        "next_cursor": encode_cursor({"id": rows[-1].id}) if more else None,
    }


def entries_of(uow: UnitOfWork, source_type: str, source_id: int) -> list[dict]:
    """The entries a document posted (an order's shipment and returns, a bill, …)."""
    uow.actor.require("finance.account.read")
    je = journal_entry.c
    ids = uow.conn.execute(
        select(je.id).where(je.source_type == source_type, je.source_id == source_id).order_by(je.id)
    ).scalars()
    return [entry_detail(uow, i) for i in ids]


# -- periods ------------------------------------------------------------------------------------
def list_periods(uow: UnitOfWork) -> list[dict]:
    """Every period with entries (and the current one), newest first, with its state."""
    uow.actor.require("finance.account.read")
    je = journal_entry.c
    closed = journal.closed_through(uow)
    counts = {
        p: (int(n), int(pending or 0))
        for p, n, pending in uow.conn.execute(
            select(
                je.period, func.count(), func.sum(case((je.status == rules.PENDING, 1), else_=0))
            ).group_by(je.period)
        )
    }
    current = rules.period_of(business_date(utcnow()))
    periods = sorted(set(counts) | {current}, reverse=True)
    return [
        {
            "period": p,
            "closed": closed is not None and p <= closed,
            "entries": counts.get(p, (0, 0))[0],
            "pending": counts.get(p, (0, 0))[1],
        }
        for p in periods
    ]


def close_period(uow: UnitOfWork, period: str) -> dict:
    """Close every period up to and including ``period`` (结账): nothing can be posted into them
    any more, by hand or by a business document dated then."""
    uow.actor.require("finance.period.close")
    if not rules.is_period(period):
        raise _bad("bad_period", "A period is written YYYY-MM", "会计期间格式应为 YYYY-MM")
    if period >= rules.period_of(business_date(utcnow())):
        raise Conflict(
            "finance.period_not_over",
            "Period {period} is not over yet",
            "会计期间 {period} 尚未结束",
            period=period,
        )
    if uow.dialect == "postgresql":
        # Wait for every transaction that is posting now, and hold new ones until this commits.
        uow.conn.exec_driver_sql("LOCK TABLE journal_entry IN SHARE MODE")
    closed = journal.closed_through(uow)
    if closed is not None and period <= closed:
        raise Conflict(
            "finance.period_closed",
            "Period {period} is closed already",
            "会计期间 {period} 已结账",
            period=period,
            closed=closed,
        )
    je = journal_entry.c
    pending = uow.conn.execute(
        select(func.count()).where(je.status == rules.PENDING, je.period <= period)
    ).scalar_one()
    if pending:
        raise Conflict(
            "finance.pending_entries",
            "{n} manual entries up to {period} still wait for approval: approve or reject them first",
            "截至 {period} 还有 {n} 张手工凭证待审核，请先审核或驳回",
            n=pending,
            period=period,
        )
    _set_setting(uow, "closed_through", period)
    uow.audit(
        "finance.period.close",
        "period",
        period,
        before={"closed_through": closed},
        after={"closed_through": period},
    )
    return {"closed_through": period}


def reopen_period(uow: UnitOfWork) -> dict:
    """Reopen the last closed period (反结账)."""
    uow.actor.require("finance.period.close")
    closed = journal.closed_through(uow)
    if closed is None:
        raise Conflict("finance.nothing_closed", "No period is closed", "没有已结账的会计期间")
    previous = rules.previous_period(closed)
    has_earlier = uow.conn.execute(
        select(journal_entry.c.id).where(journal_entry.c.period <= previous).limit(1)
    ).first()
    _set_setting(uow, "closed_through", previous if has_earlier else None)
    after = previous if has_earlier else None
    uow.audit(
        "finance.period.reopen",
        "period",
        closed,
        before={"closed_through": closed},
        after={"closed_through": after},
    )
    return {"closed_through": after}


# -- reports --------------------------------------------------------------------------------------
def _check_range(from_period: str, to_period: str) -> None:
    if not rules.is_period(from_period) or not rules.is_period(to_period):
        raise _bad("bad_period", "A period is written YYYY-MM", "会计期间格式应为 YYYY-MM")
    if from_period > to_period:
        raise _bad("bad_period_range", "The first period is after the last", "起始期间晚于结束期间")


def _side(balance: int) -> tuple[int, int]:
    """(debit, credit) presentation of a signed debit-minus-credit balance."""
    return (balance, 0) if balance >= 0 else (0, -balance)


def trial_balance(uow: UnitOfWork, *, from_period: str, to_period: str) -> dict:
    """Opening balance, the periods' debits and credits and the closing balance of every account
    (科目余额表), parents summing their sub-accounts; read from the per-period totals."""
    uow.actor.require("finance.account.read")
    _check_range(from_period, to_period)
    ab = account_balance.c
    sums: dict[int, list[int]] = {}  # account -> [opening debit−credit, period debit, period credit]
    for acc, before, d, c in uow.conn.execute(
        select(
            ab.account_id,
            func.sum(case((ab.period < from_period, ab.debit_cents - ab.credit_cents), else_=0)),
            func.sum(case((ab.period >= from_period, ab.debit_cents), else_=0)),
            func.sum(case((ab.period >= from_period, ab.credit_cents), else_=0)),
        )
        .where(ab.period <= to_period)
        .group_by(ab.account_id)
    ):
        sums[acc] = [int(before or 0), int(d or 0), int(c or 0)]
    accounts = _accounts(uow.conn)
    by_id = {a.id: a for a in accounts}
    by_code = {a.code: a for a in accounts}
    rolled: dict[str, list[int]] = {a.code: [0, 0, 0] for a in accounts}
    for acc_id, v in sums.items():
        a = by_id[acc_id]
        code: str | None = a.code
        while code is not None:
            t = rolled[code]
            t[0] += v[0]
            t[1] += v[1]
            t[2] += v[2]
            code = by_code[code].parent_code
    rows = []
    totals = [0] * 6
    for a in accounts:
        opening, d, c = rolled[a.code]
        if not (opening or d or c) and not a.active:
            continue
        closing = opening + d - c
        od, oc = _side(opening)
        cd, cc = _side(closing)
        if a.parent_code is None:
            for i, v in enumerate((od, oc, d, c, cd, cc)):
                totals[i] += v
        rows.append(
            {
                "code": a.code,
                "name": a.name,
                "name_en": a.name_en,
                "kind": a.kind,
                "level": len(a.code) // 2 - 1,
                "leaf": a.leaf,
                "opening_debit": od,
                "opening_credit": oc,
                "debit": d,
                "credit": c,
                "closing_debit": cd,
                "closing_credit": cc,
            }
        )
    names = ("opening_debit", "opening_credit", "debit", "credit", "closing_debit", "closing_credit")
    total = dict(zip(names, totals, strict=True))
    return {
        "from_period": from_period,
        "to_period": to_period,
        "rows": rows,
        "totals": total,
        "balanced": total["opening_debit"] == total["opening_credit"]
        and total["debit"] == total["credit"]
        and total["closing_debit"] == total["closing_credit"],
    }


def general_ledger(uow: UnitOfWork, *, account_code: str, from_period: str, to_period: str) -> dict:
    """An account's opening balance, and each period's debits, credits and closing balance (总账),
    its sub-accounts included."""
    uow.actor.require("finance.account.read")
    _check_range(from_period, to_period)
    acc = _account(uow, account_code)
    ids = [a.id for a in _accounts(uow.conn) if a.code.startswith(acc.code)]
    ab = account_balance.c
    opening = uow.conn.execute(
        select(func.coalesce(func.sum(ab.debit_cents - ab.credit_cents), 0)).where(
            ab.account_id.in_(ids), ab.period < from_period
        )
    ).scalar_one()
    rows = uow.conn.execute(
        select(ab.period, func.sum(ab.debit_cents), func.sum(ab.credit_cents))
        .where(ab.account_id.in_(ids), ab.period >= from_period, ab.period <= to_period)
        .group_by(ab.period)
        .order_by(ab.period)
    ).all()
    sign = 1 if acc.kind in rules.DEBIT_NORMAL else -1
    balance = int(opening)
    periods = []
    for p, d, c in rows:
        balance += int(d) - int(c)
        periods.append({"period": p, "debit": int(d), "credit": int(c), "balance": sign * balance})
    return {
        "account": acc.code,
        "name": acc.name,
        "kind": acc.kind,
        "opening": sign * int(opening),
        "periods": periods,
    }


def account_detail(
    uow: UnitOfWork,
    *,
    account_code: str,
    from_period: str,
    to_period: str,
    party_type: str | None = None,
    party_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
) -> dict:
    """Every posted line of an account (and its sub-accounts) in the periods, oldest first, with
    the running balance on the account's normal side (明细账)."""
    uow.actor.require("finance.account.read")
    _check_range(from_period, to_period)
    acc = _account(uow, account_code)
    accounts = [a for a in _accounts(uow.conn) if a.code.startswith(acc.code)]
    ids = [a.id for a in accounts]
    je, jl, ab = journal_entry.c, journal_line.c, account_balance.c
    party = []
    if (party_type is None) != (party_id is None):
        raise _bad("bad_party", "Name a party by its type and id together", "往来单位需要同时给出类型和编号")
    if party_type is not None:
        party = [jl.party_type == party_type, jl.party_id == party_id]
    if party:
        opening = uow.conn.execute(
            select(func.coalesce(func.sum(jl.debit_cents - jl.credit_cents), 0))
            .select_from(journal_line.join(journal_entry, je.id == jl.entry_id))
            .where(jl.account_id.in_(ids), je.status == rules.POSTED, je.period < from_period, *party)
        ).scalar_one()
    else:
        opening = uow.conn.execute(
            select(func.coalesce(func.sum(ab.debit_cents - ab.credit_cents), 0)).where(
                ab.account_id.in_(ids), ab.period < from_period
            )
        ).scalar_one()
    base = and_(
        jl.account_id.in_(ids),
        je.status == rules.POSTED,
        je.period >= from_period,
        je.period <= to_period,
        *party,
    )
    if offset:
        before = uow.conn.execute(
            select(func.coalesce(func.sum(jl.debit_cents - jl.credit_cents), 0)).select_from(
                select(jl.debit_cents, jl.credit_cents)
                .select_from(journal_line.join(journal_entry, je.id == jl.entry_id))
                .where(base)
                .order_by(je.date, je.id, jl.line_no)
                .limit(offset)
                .subquery()
            )
        ).scalar_one()
    else:
        before = 0
    code_of = {a.id: a.code for a in accounts}
    rows = uow.conn.execute(
        select(
            je.id,
            je.date,
            je.source_type,
            je.source_ref,
            je.memo,
            jl.account_id,
            jl.debit_cents,
            jl.credit_cents,
            jl.party_type,
            jl.party_id,
            jl.memo.label("line_memo"),
        )
        .select_from(journal_line.join(journal_entry, je.id == jl.entry_id))
        .where(base)
        .order_by(je.date, je.id, jl.line_no)
        .offset(offset)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    sign = 1 if acc.kind in rules.DEBIT_NORMAL else -1
    running = int(opening) + int(before)
    out = []
    for r in rows:
        running += r.debit_cents - r.credit_cents
        out.append(
            {
                "entry_id": r.id,
                "date": r.date,
                "source_type": r.source_type,
                "source_ref": r.source_ref,
                "memo": r.line_memo or r.memo,
                "account": code_of[r.account_id],
                "debit": r.debit_cents,
                "credit": r.credit_cents,
                "party_type": r.party_type,
                "party_id": r.party_id,
                "balance": sign * running,
            }
        )
    return {
        "account": acc.code,
        "name": acc.name,
        "kind": acc.kind,
        "opening": sign * int(opening),
        "lines": out,
        "next_offset": offset + limit if more else None,
    }


def account_totals(conn: Connection) -> dict[str, int]:
    """Each account's balance (debit − credit) over everything posted, by account code."""
    ab, a = account_balance.c, account.c
    return {
        code: int(v)
        for code, v in conn.execute(
            select(a.code, func.sum(ab.debit_cents - ab.credit_cents))
            .select_from(account_balance.join(account, a.id == ab.account_id))
            .group_by(a.code)
        )
    }


def role_totals(conn: Connection) -> dict[str, int]:
    """The balance (debit − credit) of the account each posting role uses."""
    by_code = account_totals(conn)
    a, pa = account.c, posting_account.c
    return {
        role: by_code.get(code, 0)
        for role, code in conn.execute(
            select(pa.role, a.code).select_from(posting_account.join(account, a.id == pa.account_id))
        )
    }


# -- invariants -------------------------------------------------------------------------------------
def check_invariants(conn: Connection) -> list[str]:
    """What ``omnistock doctor`` proves of the books; each problem names the first broken row."""
    problems: list[str] = []
    je, jl, ab, oi = journal_entry.c, journal_line.c, account_balance.c, open_item.c
    bad = conn.execute(
        select(jl.entry_id, func.sum(jl.debit_cents), func.sum(jl.credit_cents))
        .group_by(jl.entry_id)
        .having(func.sum(jl.debit_cents) != func.sum(jl.credit_cents))
        .limit(1)
    ).first()
    if bad:
        problems.append(f"journal_entry {bad[0]}: debits {bad[1]} ≠ credits {bad[2]}")
    posted = (
        select(
            jl.account_id,
            je.period,
            func.sum(jl.debit_cents).label("d"),
            func.sum(jl.credit_cents).label("c"),
        )
        .select_from(journal_line.join(journal_entry, je.id == jl.entry_id))
        .where(je.status == rules.POSTED)
        .group_by(jl.account_id, je.period)
    )
    lines = {(a, p): (int(d), int(c)) for a, p, d, c in conn.execute(posted)}
    kept = {
        (a, p): (int(d), int(c))
        for a, p, d, c in conn.execute(select(ab.account_id, ab.period, ab.debit_cents, ab.credit_cents))
    }
    for key in sorted(set(lines) | set(kept)):
        if lines.get(key, (0, 0)) != kept.get(key, (0, 0)):
            problems.append(
                f"account_balance(account_id={key[0]}, period={key[1]}): {kept.get(key, (0, 0))} ≠ Σ posted lines {lines.get(key, (0, 0))}"
            )
            break
    roles = role_totals(conn)
    valuation = inventory.inventory_value(conn)
    if roles.get("inventory", 0) != valuation:
        problems.append(
            f"inventory account balance {roles.get('inventory', 0)} ≠ inventory valuation {valuation}"
        )
    for kind, role, sign in ((rules.AR, "ar", 1), (rules.AP, "ap", -1)):
        items = conn.execute(
            select(func.coalesce(func.sum(oi.amount_cents - oi.settled_cents), 0)).where(oi.kind == kind)
        ).scalar_one()
        if sign * roles.get(role, 0) != int(items):
            problems.append(
                f"{role} account balance {sign * roles.get(role, 0)} ≠ Σ open {kind} items {int(items)}"
            )
    return problems
