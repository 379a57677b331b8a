"""The FastAPI application: every area's router, the API docs and the built web UI."""

from __future__ import annotations

import datetime as dt
import importlib
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from omnistock import __version__
from omnistock.platform import http, idempotency
from omnistock.platform.auth import Authenticator
from omnistock.platform.db import Checkpointer, get_engine
from omnistock.platform.outbox import OutboxWorker, PeriodicJob
from omnistock.settings import get_settings

# Each area exposes ``router`` in its ``api`` module; they are mounted in this order.
AREA_APIS = [
    "omnistock.identity.api",
    "omnistock.platform.audit_api",
    "omnistock.platform.notifications_api",
    "omnistock.catalog.api",
    "omnistock.inventory.api",
    "omnistock.inventory.tracking_api",
    "omnistock.orders.config_api",
    "omnistock.orders.api",
    "omnistock.purchasing.api",
    "omnistock.finance.reconcile_api",
    "omnistock.fulfillment.api",
    "omnistock.finance.api",
    "omnistock.finance.arap_api",
    "omnistock.finance.profit_api",
    "omnistock.dashboard",
]


def create_app(
    engine: Engine | None = None, *, run_worker: bool | None = None, web_dist: Path | None = None
) -> FastAPI:
    settings = get_settings()
    engine = engine or get_engine()
    run_worker = settings.run_outbox_worker if run_worker is None else run_worker
    worker = OutboxWorker(engine, settings.outbox_poll_seconds, jobs=periodic_jobs())
    checkpointer = Checkpointer(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        checkpointer.start()
        if run_worker:
            worker.start()
        yield
        if run_worker:
            worker.stop()
        checkpointer.stop()

    app = FastAPI(
        title="OmniStock",
        version=__version__,
        description="多渠道电商一体化管理系统 API · Multi-channel e-commerce back office API",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.outbox_worker = worker

    from omnistock.identity import service as identity

    app.state.authenticator = Authenticator(
        cached=lambda token: identity.authenticate_token_cached(engine, token),
        load=lambda token: identity.authenticate_token(engine, token),
    )
    http.install(app)
    idempotency.install(app)

    @app.get("/api/health", tags=["platform"], operation_id="health")
    async def health() -> dict:  # no I/O: answered on the event loop
        return {"status": "ok", "version": __version__, "database": engine.dialect.name}

    for module in AREA_APIS:
        app.include_router(importlib.import_module(module).router)

    _mount_web(app, web_dist or settings.web_dist)
    return app


def periodic_jobs() -> list[PeriodicJob]:
    """What the background worker of ``serve`` runs on a timer."""
    from omnistock.inventory import service as inventory
    from omnistock.platform import notifications
    from omnistock.platform.auth import Actor
    from omnistock.platform.uow import UnitOfWork

    settings = get_settings()

    def scan_alerts(engine: Engine) -> None:
        with UnitOfWork(engine, Actor.system("alerts")) as uow:
            inventory.scan_alerts(uow)

    def purge_notifications(engine: Engine) -> None:
        with engine.begin() as conn:
            notifications.purge(conn, older_than=dt.timedelta(days=settings.notification_keep_days))

    def allocate_due_orders(engine) -> int:
        """Presale orders whose day has come, and ready orders waiting for stock, allocated."""
        from omnistock.orders import service as orders

        with UnitOfWork(engine, Actor.system("orders.allocate_due")) as uow:
            return orders.allocate_due(uow)

    def scan_due_reminders(engine: Engine) -> None:
        from omnistock.finance import arap

        arap.scan_due(engine)

    return [
        PeriodicJob("finance.reminders.scan", 3600, scan_due_reminders),
        PeriodicJob("inventory.alerts.scan", settings.alert_scan_seconds, scan_alerts),
        PeriodicJob("notifications.purge", 6 * 3600, purge_notifications),
        PeriodicJob("orders.allocate_due", 300, allocate_due_orders),
    ]


def _mount_web(app: FastAPI, dist: Path) -> None:
    index = dist / "index.html"
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str):
        if path.startswith("api/"):
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": "Not found",
                    "status": 404,
                    "code": "http.not_found",
                    "detail": "资源不存在",
                    "messages": {"zh-CN": "资源不存在", "en": "No such resource"},
                },
                status_code=404,
                media_type="application/problem+json",
            )
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and dist.resolve() in candidate.parents:
            return FileResponse(candidate)
        if index.is_file():
            return FileResponse(index)
        return JSONResponse({"detail": "The web UI is not built: run `make web`"}, status_code=404)
