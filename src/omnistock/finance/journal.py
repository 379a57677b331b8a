"""Posting to the journal.

Business events add their lines to the command's pending entries (``add``); the entries are
written once, just before the command commits (``uow.before_commit``), so that every automatic
posting of a command lands in one statement per table and the per-period account totals — the
rows every posting updates — are locked last, in account order, and held only until commit.
Entries of the same source document and day within one command become one entry.

Every entry balances by construction (``rules.imbalance``); a period at or before the closed-
through period refuses any posting, and with it the business command that caused it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import orjson

from omnistock.finance import rules
from omnistock.finance.rules import Line
from omnistock.platform.cache import TtlCache
from omnistock.platform.clock import business_date, utcnow
from omnistock.platform.errors import Conflict
from omnistock.platform.sql import Raw, Sql, raw
from omnistock.platform.uow import UnitOfWork

_STATE_KEY = "finance.journal"

# The posting roles' accounts and the settings, in one read per command that posts.
_CONFIG = Sql(
    "SELECT 'role:' || role, CAST(account_id AS TEXT) FROM posting_account "
    "UNION ALL SELECT key, value FROM finance_setting",
    pg="SELECT 'role:' || role, account_id::text FROM posting_account UNION ALL SELECT key, value::text FROM finance_setting",
)
_CONFIG_KEY = "finance.config"
_CLOSED_THROUGH = Sql(
    "SELECT value FROM finance_setting WHERE key = 'closed_through'",
    pg="SELECT value::text FROM finance_setting WHERE key = 'closed_through'",
)
_ENTRY_INSERT = (
    "INSERT INTO journal_entry (date, period, status, source_type, source_id, source_ref, memo, total_cents, "
    "created_at, created_by, approved_at, approved_by, reverses_id) VALUES (:date, :period, :status, :source_type, "
    ":source_id, :source_ref, :memo, :total, :now, :by, :approved_at, :approved_by, :reverses_id) RETURNING id"
)
ENTRY_INSERT = Sql(_ENTRY_INSERT)
LINE_INSERT = Sql(
    "INSERT INTO journal_line (entry_id, line_no, account_id, debit_cents, credit_cents, party_type, party_id, memo) "
    "VALUES (:entry, :no, :account, :debit, :credit, :party_type, :party_id, :memo)"
)
BALANCE_ADD = Sql(
    "INSERT INTO account_balance (account_id, period, debit_cents, credit_cents) VALUES (:a, :p, :d, :c) "
    "ON CONFLICT (account_id, period) DO UPDATE SET debit_cents = account_balance.debit_cents + excluded.debit_cents, "
    "credit_cents = account_balance.credit_cents + excluded.credit_cents"
)
OPEN_ITEM_INSERT = Sql(
    "INSERT INTO open_item (kind, party_type, party_id, source_type, source_id, ref, entry_id, doc_date, due_date, "
    "amount_cents, settled_cents, status, created_at) VALUES (:kind, :party_type, :party_id, :source_type, "
    ":source_id, :ref, :entry, :doc_date, :due_date, :amount, 0, 'open', :now)"
)


@dataclass
class Pending:
    """An entry gathered during a command."""

    date: dt.date
    source_type: str
    source_id: int | None
    source_ref: str | None
    memo: str | None
    lines: list[Line] = field(default_factory=list)
    open_items: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Config:
    roles: dict[str, int]  # posting role -> account id
    settings: dict[str, object]

    def number(self, key: str) -> int:
        """A whole-number setting, or its default (``rules.SETTING_DEFAULTS``)."""
        value = self.settings.get(key)
        return rules.SETTING_DEFAULTS[key] if value is None else int(value)

    @property
    def default_tax_rate_bp(self) -> int:
        return self.number("default_tax_rate_bp")


# Per database: Config. Posting roles and tax rates change rarely; another process sees a change
# within the cache's ttl (2 s), this one at once. Whether a period is closed is never
# taken from here for a past period: see ``refuse_if_closed``.
_configs = TtlCache("finance config")


def _read_config(uow: UnitOfWork) -> Config:
    roles, settings = {}, {}
    for key, value in raw(uow.conn).all(_CONFIG):
        if key.startswith("role:"):
            roles[key[5:]] = int(value)
        else:
            settings[key] = orjson.loads(value) if isinstance(value, str) else value
    return Config(roles, settings)


def config(uow: UnitOfWork) -> Config:
    """Posting roles and settings (read at most once per command, and cached briefly)."""
    cfg = uow.state.get(_CONFIG_KEY)
    if cfg is None:
        cfg = uow.state[_CONFIG_KEY] = _configs.get(uow.conn.engine, None, lambda: _read_config(uow))
    return cfg


def forget_config(uow: UnitOfWork) -> None:
    """After changing roles or settings in this transaction: read them afresh here, and in this
    process once it commits (or rolls back)."""
    _configs.forget(uow)
    uow.state[_CONFIG_KEY] = _read_config(uow)


def closed_through(uow: UnitOfWork) -> str | None:
    """The last closed period, as committed now (never cached)."""
    row = raw(uow.conn).one(_CLOSED_THROUGH)
    return None if row is None else orjson.loads(row[0])


def refuse_if_closed(uow: UnitOfWork, periods: set[str]) -> None:
    """Refuse postings into a closed period. Only a period already over can be closed, so a
    posting into the current period (or later) needs no look; one into a past period reads the
    closed-through period from the database in this transaction."""
    if not periods:
        return
    first = min(periods)
    if first >= rules.period_of(business_date(utcnow())):
        return
    if uow.dialect == "postgresql":
        # Conflicts with the SHARE lock a period close holds: wait for a close under way to commit,
        # and keep one from starting until this posting commits.
        uow.conn.exec_driver_sql("LOCK TABLE journal_entry IN ROW EXCLUSIVE MODE")
    closed = closed_through(uow)
    if closed is not None and first <= closed:
        raise Conflict(
            "finance.period_closed",
            "Period {period} is closed: nothing can be posted into it (closed through {closed})",
            "会计期间 {period} 已结账，不能再记账（已结账至 {closed}）",
            period=first,
            closed=closed,
        )


def add(
    uow: UnitOfWork,
    *,
    date: dt.date,
    source_type: str,
    source_id: int | None,
    source_ref: str | None,
    lines: list[Line],
    memo: str | None = None,
    open_item: dict | None = None,
) -> None:
    """Add balanced ``lines`` to this command's entry for (source, date); written before commit.
    ``open_item``: a receivable or payable the entry creates (kind, party, ref, due_date, amount)."""
    if rules.imbalance(lines) != 0:  # a posting rule's bug, never a user's input
        raise AssertionError(f"unbalanced posting from {source_type} {source_id}: {lines}")
    pending: dict[tuple, Pending] | None = uow.state.get(_STATE_KEY)
    if pending is None:
        pending = uow.state[_STATE_KEY] = {}
        uow.before_commit(lambda: _flush(uow))
    key = (source_type, source_id, date)
    entry = pending.get(key)
    if entry is None:
        entry = pending[key] = Pending(date, source_type, source_id, source_ref, memo)
    entry.lines.extend(lines)
    if open_item is not None:
        entry.open_items.append(open_item)


def _flush(uow: UnitOfWork) -> None:
    pending: dict[tuple, Pending] = uow.state.pop(_STATE_KEY, {})
    entries = [(p, rules.net_lines(p.lines)) for p in pending.values()]
    entries = [(p, lines) for p, lines in entries if lines or p.open_items]
    if not entries:
        return
    r = raw(uow.conn)
    write(uow, r, entries, status=rules.POSTED)


def write(
    uow: UnitOfWork,
    r: Raw,
    entries: list[tuple[Pending, list[Line]]],
    *,
    status: str,
    reverses_id: int | None = None,
) -> list[int]:
    """Write entries (their lines netted and balanced); posted ones count in the balances now."""
    refuse_if_closed(uow, {rules.period_of(p.date) for p, _ in entries})
    roles = config(uow).roles
    now, by = r.dt(utcnow()), uow.actor.username
    posted = status == rules.POSTED
    ids, line_rows, totals, items = [], [], {}, []
    for p, lines in entries:
        period = rules.period_of(p.date)
        total = sum(ln.amount for ln in lines if ln.amount > 0)
        (entry_id,) = r.one(
            ENTRY_INSERT,
            {
                "date": r.day(p.date),
                "period": period,
                "status": status,
                "source_type": p.source_type,
                "source_id": p.source_id,
                "source_ref": p.source_ref,
                "memo": p.memo,
                "total": total,
                "now": now,
                "by": by,
                "approved_at": now if posted else None,
                "approved_by": by if posted else None,
                "reverses_id": reverses_id,
            },
        )
        ids.append(entry_id)
        for no, ln in enumerate(lines, 1):
            account = ln.role_or_account if isinstance(ln.role_or_account, int) else roles[ln.role_or_account]
            debit, credit = (ln.amount, 0) if ln.amount > 0 else (0, -ln.amount)
            line_rows.append(
                {
                    "entry": entry_id,
                    "no": no,
                    "account": account,
                    "debit": debit,
                    "credit": credit,
                    "party_type": ln.party_type,
                    "party_id": ln.party_id,
                    "memo": ln.memo,
                }
            )
            if posted:
                t = totals.setdefault((account, period), [0, 0])
                t[0] += debit
                t[1] += credit
        for item in p.open_items:
            items.append(
                {
                    **item,
                    "entry": entry_id,
                    "source_type": p.source_type,
                    "source_id": p.source_id,
                    "doc_date": r.day(p.date),
                    "due_date": r.day(item["due_date"]),
                    "now": now,
                }
            )
    r.queue_many(LINE_INSERT, line_rows)
    if items:
        r.queue_many(OPEN_ITEM_INSERT, items)
    add_balances(r, totals)
    return ids


def add_balances(r: Raw, totals: dict[tuple[int, str], list[int]]) -> None:
    """Add posted amounts to the per-period account totals, in (account, period) order."""
    if totals:
        r.queue_many(
            BALANCE_ADD, [{"a": a, "p": p, "d": d, "c": c} for (a, p), (d, c) in sorted(totals.items())]
        )
