"""Moving an inventory document (transfer order, stocktake sheet) through its state machine.

The machines are data in ``rules`` (``TRANSFER_TRANSITIONS``, ``STOCKTAKE_TRANSITIONS``). A move
is one conditional UPDATE whose WHERE lists the states the target may be reached from, so two
concurrent commands cannot both move the same document (the second finds no row and is refused),
and the row stays locked by this transaction until it commits. An illegal move raises; it is
never just logged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Table, select, update

from omnistock.inventory import rules
from omnistock.platform.errors import Conflict, not_found
from omnistock.platform.uow import UnitOfWork


def move(
    uow: UnitOfWork,
    table: Table,
    doc_id: int,
    target: str,
    transitions: dict[str, set[str]],
    *,
    what: tuple[str, str],
    values: dict[str, Any] | None = None,
) -> Row:
    """Move document ``doc_id`` of ``table`` to ``target``; returns its row after the move.

    ``what`` names the document (zh, en) in the error. An unknown id is a 404.
    """
    allowed = sorted(rules.sources(transitions, target))
    stmt = (
        update(table)
        .where(table.c.id == doc_id, table.c.status.in_(allowed))
        .values(status=target, **(values or {}))
        .returning(*table.c)
    )
    row = uow.conn.execute(stmt).first()
    if row is not None:
        return row
    found = uow.conn.execute(select(table.c.ref, table.c.status).where(table.c.id == doc_id)).first()
    if found is None:
        raise not_found(table.name, doc_id, zh=what[0])
    raise illegal(what, found.ref, found.status, target)


def lock(uow: UnitOfWork, table: Table, doc_id: int, what: tuple[str, str]) -> Row:
    """The document's row, locked until the transaction ends (PostgreSQL; SQLite writers are
    serialized already), so a command reads a state no one else changes meanwhile."""
    row = uow.conn.execute(select(table).where(table.c.id == doc_id).with_for_update()).first()
    if row is None:
        raise not_found(table.name, doc_id, zh=what[0])
    return row


def illegal(what: tuple[str, str], ref: str, current: str, target: str) -> Conflict:
    cur_zh, cur_en = rules.STATE_LABELS.get(current, (current, current))
    tgt_zh, tgt_en = rules.STATE_LABELS.get(target, (target, target))
    return Conflict(
        "inventory.illegal_transition",
        "{what_en} {ref} is {current_en}; it cannot become {target_en}",
        "{what_zh} {ref} 当前为「{current_zh}」，不能变为「{target_zh}」",
        what_en=what[1],
        what_zh=what[0],
        ref=ref,
        current=current,
        target=target,
        current_en=cur_en,
        current_zh=cur_zh,
        target_en=tgt_en,
        target_zh=tgt_zh,
    )
