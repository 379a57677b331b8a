"""The ``omnistock`` command: serve, db upgrade, user create, demo, doctor, replay, backup, restore,
alerts scan."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from omnistock.platform.errors import AppError

app = typer.Typer(help="OmniStock 多渠道电商一体化管理系统", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
user_app = typer.Typer(help="Users", no_args_is_help=True)
alerts_app = typer.Typer(help="Stock alerts", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(alerts_app, name="alerts")
err = Console(stderr=True)

DbUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="OMNISTOCK_DATABASE_URL", help="SQLAlchemy URL of the database"),
]


def _engine(url: str | None):
    from omnistock.platform.db import get_engine

    return get_engine(url)


def _fail(exc: AppError) -> None:
    err.print(f"[red]{exc.code}[/red]: {exc.en} / {exc.zh}")
    raise typer.Exit(2)


@db_app.command("upgrade")
def db_upgrade(database_url: DbUrl = None) -> None:
    """Create or upgrade the schema to the newest version."""
    from omnistock.platform import migrate

    engine = _engine(database_url)
    migrate.upgrade(engine)
    err.print(f"schema at {migrate.current_revision(engine)}")


@app.command()
def serve(
    database_url: DbUrl = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[
        int,
        typer.Option(min=1, envvar="OMNISTOCK_WORKERS", help="Worker processes (e.g. one per CPU core)"),
    ] = 1,
    access_log: Annotated[
        bool,
        typer.Option(
            envvar="OMNISTOCK_ACCESS_LOG",
            help="A line per request on stdout (off behind a reverse proxy that logs them already)",
        ),
    ] = True,
) -> None:
    """Upgrade the schema, then serve the web UI and the API."""
    import os

    import uvicorn

    from omnistock.app import create_app
    from omnistock.platform import migrate
    from omnistock.settings import get_settings

    settings = get_settings()
    engine = _engine(database_url)
    migrate.upgrade(engine)
    host, port = host or settings.host, port or settings.port
    options = {"host": host, "port": port, "log_level": "info", "access_log": access_log}
    if workers == 1:
        uvicorn.run(create_app(engine), **options)
        return
    # Several processes: each worker builds its own app (and engine) from the environment.
    engine.dispose()
    if database_url:
        os.environ["OMNISTOCK_DATABASE_URL"] = database_url
    # A worker busy with a burst of requests still answers the supervisor's health check late;
    # give it 30 s (uvicorn's default is 5) before it is restarted and its connections dropped.
    uvicorn.run(
        "omnistock.app:create_app", factory=True, workers=workers, timeout_worker_healthcheck=30, **options
    )


@user_app.command("create")
def user_create(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    display_name: Annotated[str | None, typer.Option(help="Name shown in the UI")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Grant the administrator role")] = False,
    role: Annotated[list[str] | None, typer.Option(help="Role code to grant (repeatable)")] = None,
    scope: Annotated[
        list[str] | None, typer.Option(help="Data scope KIND:CODE, e.g. warehouse:WH-SH (repeatable)")
    ] = None,
    database_url: DbUrl = None,
) -> None:
    """Create a user (an administrator, or with the given roles and data scopes)."""
    from omnistock.identity import service as identity
    from omnistock.platform.auth import Actor
    from omnistock.platform.uow import UnitOfWork

    roles = list(role or [])
    if admin:
        roles.append(identity.ADMIN_ROLE)
    scopes: dict[str, list[str]] = {}
    for item in scope or []:
        kind, _, code = item.partition(":")
        scopes.setdefault(kind, []).append(code)
    try:
        with UnitOfWork(_engine(database_url), Actor.system("cli")) as uow:
            user = identity.create_user(
                uow,
                username=username,
                password=password,
                display_name=display_name or username,
                roles=roles,
                scopes=scopes,
            )
    except AppError as exc:
        _fail(exc)
    err.print(f"created user {user.username} (id {user.id}) with roles {', '.join(user.roles) or '-'}")


@app.command()
def demo(
    database_url: DbUrl = None,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Only when the database has no users")] = False,
) -> None:
    """Load the demo company (users, roles, warehouses, products, stock history, ...)."""
    from omnistock import demo as demo_data

    engine = _engine(database_url)
    if if_empty and not demo_data.is_empty(engine):
        err.print("database already has data; demo not loaded")
        return
    demo_data.load(engine, progress=err)


@app.command()
def doctor(database_url: DbUrl = None) -> None:
    """Check the schema is current and every invariant holds; exit 1 naming the first broken row."""
    from omnistock import doctor as checks

    problems = checks.run(_engine(database_url), out=err)
    if problems:
        for p in problems:
            err.print(f"[red]✗[/red] {p}")
        raise typer.Exit(1)
    err.print("[green]✓ all checks passed[/green]")


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Workload JSON Lines file")],
    database_url: DbUrl = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue after the last committed event")] = False,
) -> None:
    """Apply a workload file event by event and print its summary as JSON."""
    from omnistock import replay as replayer

    engine = _engine(database_url)
    try:
        summary = replayer.run(engine, file, resume=resume, console=err)
    except AppError as exc:
        _fail(exc)
    sys.stdout.write(replayer.dumps(summary) + "\n")


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="Backup file to write (.jsonl.gz)")],
    database_url: DbUrl = None,
) -> None:
    """Back up the whole database to a file (a consistent snapshot; works while serving)."""
    from omnistock import backup as backups

    try:
        counts = backups.backup(_engine(database_url), file)
    except AppError as exc:
        _fail(exc)
    err.print(f"backed up {sum(counts.values()):,} rows of {len(counts)} tables to {file}")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Backup file to read")],
    database_url: DbUrl = None,
) -> None:
    """Restore a backup into an empty database (also moves SQLite data to PostgreSQL)."""
    from omnistock import backup as backups

    try:
        counts = backups.restore(_engine(database_url), file)
    except AppError as exc:
        _fail(exc)
    err.print(f"restored {sum(counts.values()):,} rows of {len(counts)} tables from {file}")


@alerts_app.command("scan")
def alerts_scan(database_url: DbUrl = None) -> None:
    """Scan stock for alert conditions, notify the new ones and deliver the notifications now
    (``serve`` does this by itself every OMNISTOCK_ALERT_SCAN_SECONDS)."""
    import json

    from omnistock.inventory import service as inventory
    from omnistock.platform import notifications
    from omnistock.platform.auth import Actor
    from omnistock.platform.outbox import deliver_due
    from omnistock.platform.uow import UnitOfWork

    engine = _engine(database_url)
    with UnitOfWork(engine, Actor.system("cli")) as uow:
        result = inventory.scan_alerts(uow)
    delivered = 0
    while n := deliver_due(engine, topics=[notifications.TOPIC]):
        delivered += n
    sys.stdout.write(json.dumps({**result.__dict__, "delivered": delivered}, sort_keys=True) + "\n")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
