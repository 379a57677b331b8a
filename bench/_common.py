"""Shared helpers of the benchmarks (not a benchmark itself)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT.parent / "shared" / "workload" / "gen.py"


def workload(path: Path, *, seed: int, orders: int, warehouses: int) -> Path:
    if not GEN.exists():
        sys.exit(f"the workload generator is missing: {GEN}")
    with path.open("w") as f:
        subprocess.run(
            [
                sys.executable,
                str(GEN),
                "--seed",
                str(seed),
                "--orders",
                str(orders),
                "--warehouses",
                str(warehouses),
            ],
            stdout=f,
            check=True,
        )
    return path


def drop_postgres(url: str) -> None:
    """Drop the database ``fresh_postgres`` made."""
    from sqlalchemy import create_engine, text

    base, name = url.rsplit("/", 1)
    admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_postgres(url: str | None, name: str) -> str | None:
    """A new empty PostgreSQL database named ``name`` at the server of ``url``, or None."""
    if not url:
        return None
    from sqlalchemy import create_engine, text

    base = url.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0]
    try:
        admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - no server: skip that half of the benchmark
        print(f"(PostgreSQL not reachable: {exc.__class__.__name__}; skipped)")
        return None
    return base + "/" + name
