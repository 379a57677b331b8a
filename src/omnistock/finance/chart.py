"""The standard chart of accounts and the posting roles' accounts, seeded by the migration (and
put back by the test suite after it empties a PostgreSQL database). Lightweight table clauses:
this must keep working whatever later migrations add to the tables."""

from __future__ import annotations

import sqlalchemy as sa

from omnistock.finance import rules


def seed(conn) -> None:
    """The standard chart and the posting roles' accounts (inserts only
    what is missing, so a later migration may call it again after the chart grows)."""
    now = sa.func.now() if conn.dialect.name == "postgresql" else sa.text("CURRENT_TIMESTAMP")
    account = sa.table(
        "account",
        sa.column("id", sa.BigInteger),
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("name_en", sa.String),
        sa.column("kind", sa.String),
        sa.column("parent_id", sa.BigInteger),
        sa.column("active", sa.Boolean),
        sa.column("system", sa.Boolean),
        sa.column("created_at", sa.DateTime),
    )
    ids = dict(conn.execute(sa.select(account.c.code, account.c.id)).all())
    for code, name, name_en, kind in rules.CHART:
        if code in ids:
            continue
        parent = rules.parent_code(code, ids)
        ids[code] = conn.execute(
            sa.insert(account)
            .values(
                code=code,
                name=name,
                name_en=name_en,
                kind=kind,
                parent_id=ids.get(parent) if parent else None,
                active=True,
                system=True,
                created_at=now,
            )
            .returning(account.c.id)
        ).scalar_one()
    role_t = sa.table("posting_account", sa.column("role", sa.String), sa.column("account_id", sa.BigInteger))
    have = {r for (r,) in conn.execute(sa.select(role_t.c.role))}
    for role, (code, *_names) in rules.ROLES.items():
        if role not in have:
            conn.execute(sa.insert(role_t).values(role=role, account_id=ids[code]))
