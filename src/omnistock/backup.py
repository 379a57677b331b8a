"""Logical backup and restore of the whole database, between any two supported engines.

``omnistock backup FILE`` writes every table from one consistent snapshot to a gzip'd JSON Lines
file; ``omnistock restore FILE`` loads it into an empty database at the same schema revision, in
one transaction. Because the format is logical, it also moves a shop from the embedded SQLite
file to PostgreSQL (back up one, restore into the other).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Engine, Table, func, insert, select, text

from omnistock.models import metadata
from omnistock.platform import migrate
from omnistock.platform.errors import AppError

FORMAT = "omnistock-backup/1"
BATCH = 1000


class BackupError(AppError):
    status = 422


def _tables() -> list[Table]:
    return list(metadata.sorted_tables)  # every area's tables, parents before children


def _encode(value: Any) -> Any:
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return value


def backup(engine: Engine, path: Path) -> dict[str, int]:
    """Write every table to ``path``; returns the row count of each table."""
    revision = migrate.current_revision(engine)
    if revision != migrate.head_revision(engine):
        raise BackupError(
            "backup.schema_not_current",
            "Upgrade the schema first (omnistock db upgrade)",
            "请先升级数据库结构（omnistock db upgrade）",
        )
    counts: dict[str, int] = {}
    partial = path.with_name(path.name + ".partial")  # renamed into place only once complete
    try:
        _write(engine, partial, revision, counts)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(
            "backup.cannot_write",
            "Cannot write the backup to {path}: {err}",
            "无法写入备份文件 {path}：{err}",
            path=str(path),
            err=exc.strerror or str(exc),
        ) from exc
    return counts


def _write(engine: Engine, partial: Path, revision: str | None, counts: dict[str, int]) -> None:
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")  # one snapshot for all tables
        with conn.begin(), gzip.open(partial, "wt", encoding="utf-8") as out:
            tables = _tables()
            header = {
                "format": FORMAT,
                "revision": revision,
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "source": conn.dialect.name,
                "tables": [t.name for t in tables],
            }
            out.write(json.dumps(header, ensure_ascii=False) + "\n")
            for table in tables:
                cols = [c.name for c in table.columns]
                out.write(json.dumps({"table": table.name, "columns": cols}) + "\n")
                n = 0
                result = conn.execution_options(stream_results=True).execute(
                    select(table).order_by(*table.primary_key.columns)
                )
                for row in result:
                    out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
                    n += 1
                counts[table.name] = n


def _read(path: Path) -> Iterator[Any]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)
    except (OSError, ValueError, EOFError) as exc:
        raise BackupError(
            "backup.unreadable",
            "The file is not an OmniStock backup ({err})",
            "该文件不是 OmniStock 备份文件（{err}）",
            err=str(exc)[:100],
        ) from exc


# Tables the migrations fill (built-in roles, the standard chart of accounts and which accounts
# the automatic postings use), in the order they can be emptied.
SEEDED = ("roles", "posting_account", "account")


def restore(engine: Engine, path: Path) -> dict[str, int]:
    """Load a backup into an empty database (created or upgraded here); all or nothing."""
    migrate.upgrade(engine)
    records = _read(path)
    header = next(records, None)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(
            "backup.unreadable", "The file is not an OmniStock backup", "该文件不是 OmniStock 备份文件"
        )
    if header.get("revision") != migrate.head_revision(engine):
        raise BackupError(
            "backup.revision_mismatch",
            "The backup is of schema {have}; this OmniStock expects {want}: restore it with the matching version",
            "备份的数据结构版本为 {have}，当前程序需要 {want}，请用对应版本恢复",
            have=str(header.get("revision")),
            want=str(migrate.head_revision(engine)),
        )
    tables = {t.name: t for t in _tables()}
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for t in tables.values():
            if t.name in SEEDED:  # replaced by the backup's own
                continue
            if conn.execute(select(func.count()).select_from(t)).scalar_one():
                raise BackupError(
                    "backup.not_empty",
                    "Restore needs an empty database ({table} has rows)",
                    "恢复需要一个空数据库（{table} 表中已有数据）",
                    table=t.name,
                )
        for name in SEEDED:  # children first
            conn.execute(tables[name].delete())
        table: Table | None = None
        columns: list[str] = []
        batch: list[dict] = []

        def flush() -> None:
            if table is not None and batch:
                conn.execute(insert(table), batch)
                counts[table.name] = counts.get(table.name, 0) + len(batch)
                batch.clear()

        for record in records:
            if isinstance(record, dict):
                flush()
                table = tables.get(record.get("table"))
                if table is None:
                    raise BackupError(
                        "backup.unknown_table",
                        "The backup has an unknown table {table}",
                        "备份中有未知的表 {table}",
                        table=str(record.get("table")),
                    )
                columns = record["columns"]
                counts.setdefault(table.name, 0)
                continue
            row = dict(zip(columns, record, strict=True))
            for name, value in row.items():
                if value is not None and isinstance(table.c[name].type, DateTime):
                    row[name] = dt.datetime.fromisoformat(value)
                elif value is not None and isinstance(table.c[name].type, Date):
                    row[name] = dt.date.fromisoformat(value)
            batch.append(row)
            if len(batch) >= BATCH:
                flush()
        flush()
        if conn.dialect.name == "postgresql":
            for t in tables.values():
                pk = list(t.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement is True:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{t.name}', '{pk[0].name}'), "
                            f"COALESCE((SELECT MAX({pk[0].name}) FROM {t.name}), 0) + 1, false)"
                        )
                    )
    return counts
