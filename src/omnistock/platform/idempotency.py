"""``Idempotency-Key`` for POST, PUT, PATCH and DELETE: a retried request gets the first answer.

A client that sends a write with an ``Idempotency-Key`` header and retries it (a timeout, a
flaky network) must not create a second document. The first request claims the key (per user),
runs, and its answer is stored; a retry with the same key and the same request gets that answer
again (``Idempotent-Replayed: true``); the same key with a different request is refused; a retry
while the first is still running gets 409. An answer of 5xx frees the key so the client can retry.
Documents from outside are also unique by (source, external reference) in their own tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Column, DateTime, Integer, String, Table, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnistock.platform.audit import Json
from omnistock.platform.auth import authenticate
from omnistock.platform.clock import utcnow
from omnistock.platform.db import metadata
from omnistock.platform.errors import AppError, Conflict, Invalid, Unauthorized

HEADER = "idempotency-key"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
MAX_KEY = 128
STALE = dt.timedelta(minutes=10)  # a claim never completed (its process died) frees its key then

idempotency_key = Table(
    "idempotency_key",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=False),
    Column("key", String(MAX_KEY), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer),  # None while the first request runs
    Column("body", Json),
    Column("created_at", DateTime, nullable=False),
    Column("completed_at", DateTime),
)


def _fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    h = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def install(app: FastAPI) -> None:
    app.add_middleware(IdempotencyMiddleware)


class IdempotencyMiddleware:
    """Plain ASGI: a request without the header (or a read) passes straight through."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            return await self.app(scope, receive, send)
        key = Headers(scope=scope).get(HEADER)
        if key is None:
            return await self.app(scope, receive, send)
        from omnistock.platform.http import problem_response

        request = Request(scope, receive)
        try:
            claimed = await _claim(request, key)
        except AppError as err:
            return await problem_response(request, err)(scope, receive, send)
        if isinstance(claimed, Response):
            return await claimed(scope, receive, send)
        user_id, engine = claimed
        body = await request.body()  # read once by the claim; handed on as it came
        start: dict = {}
        chunks: list[bytes] = []

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, replay, capture)
        except BaseException:
            await run_in_threadpool(_finish, engine, user_id, key, 500, b"")  # free again for a retry
            raise
        answer = b"".join(chunks)
        await run_in_threadpool(_finish, engine, user_id, key, start["status"], answer)
        await send(start)
        await send({"type": "http.response.body", "body": answer, "more_body": False})


def _finish(engine, user_id: int, key: str, status: int, body: bytes) -> None:
    """Store the first request's answer under its key, or free the key after a 5xx."""
    with engine.begin() as conn:
        row = idempotency_key.c
        where = and_(row.user_id == user_id, row.key == key)
        if status >= 500:
            conn.execute(delete(idempotency_key).where(where))
        else:
            conn.execute(
                update(idempotency_key)
                .where(where)
                .values(status_code=status, body=_stored(body), completed_at=utcnow())
            )


def _stored(body: bytes):
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return {"_text": body.decode("utf-8", "replace")}


async def _claim(request: Request, key: str):
    """Claim ``key`` for this request; returns (user id, engine), or the response to send instead."""
    if not key or len(key) > MAX_KEY:
        raise Invalid(
            "idempotency.bad_key",
            "An Idempotency-Key has 1 to 128 characters",
            "Idempotency-Key 的长度必须是 1 到 128 个字符",
        )
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        raise Unauthorized("auth.missing_token", "Sign in first", "请先登录")
    actor = await authenticate(request, auth[7:].strip())
    if actor.user_id is None:  # pragma: no cover - tokens always belong to a user
        raise Unauthorized("auth.missing_token", "Sign in first", "请先登录")
    body = await request.body()
    fingerprint = _fingerprint(request.method, request.url.path, request.url.query, body)
    engine = request.app.state.engine
    # The database is read and written in the thread pool: never block the event loop.
    first = await run_in_threadpool(_claim_row, engine, actor.user_id, key, fingerprint)
    if first is None:
        return actor.user_id, engine
    return _answer_of(first, fingerprint)


def _claim_row(engine, user_id: int, key: str, fingerprint: str):
    """Insert the claim; None if it is this request's, else the earlier request's row."""
    now = utcnow()
    row = idempotency_key.c
    where = and_(row.user_id == user_id, row.key == key)
    with engine.begin() as conn:
        conn.execute(
            delete(idempotency_key).where(where, row.status_code.is_(None), row.created_at < now - STALE)
        )
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(idempotency_key).values(
                        user_id=user_id, key=key, fingerprint=fingerprint, created_at=now
                    )
                )
            return None
        except IntegrityError:
            return conn.execute(select(idempotency_key).where(where)).one()


def _answer_of(first, fingerprint: str) -> Response:
    """What a request gets whose key an earlier request claimed (raises when it must be refused)."""
    if first.fingerprint != fingerprint:
        raise Invalid(
            "idempotency.key_reused",
            "This Idempotency-Key was already used for a different request",
            "该 Idempotency-Key 已用于另一个不同的请求",
        )
    if first.status_code is None:
        raise Conflict(
            "idempotency.in_progress",
            "The first request with this Idempotency-Key is still running",
            "使用该 Idempotency-Key 的首个请求仍在处理中",
        )
    headers = {"idempotent-replayed": "true"}
    if first.body is None:
        return Response(status_code=first.status_code, headers=headers)
    media = "application/problem+json" if first.status_code >= 400 else "application/json"
    return JSONResponse(first.body, status_code=first.status_code, headers=headers, media_type=media)
