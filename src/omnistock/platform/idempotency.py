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

from omnistock.platform.audit import Json
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
    from omnistock.platform.http import problem_response

    @app.middleware("http")
    async def idempotency(request: Request, call_next):
        key = request.headers.get(HEADER)
        if key is None or request.method not in WRITES:
            return await call_next(request)
        try:
            claimed = await _claim(request, key)
        except AppError as err:
            return problem_response(request, err)
        if isinstance(claimed, Response):
            return claimed
        user_id, engine = claimed
        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])
        with engine.begin() as conn:
            row = idempotency_key.c
            where = and_(row.user_id == user_id, row.key == key)
            if response.status_code >= 500:
                conn.execute(delete(idempotency_key).where(where))
            else:
                conn.execute(
                    update(idempotency_key)
                    .where(where)
                    .values(status_code=response.status_code, body=_stored(body), completed_at=utcnow())
                )
        return Response(
            body,
            status_code=response.status_code,
            headers=dict(response.headers),
            media_type=response.media_type,
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
    actor = request.app.state.authenticate(auth[7:].strip())
    if actor.user_id is None:  # pragma: no cover - tokens always belong to a user
        raise Unauthorized("auth.missing_token", "Sign in first", "请先登录")
    body = await request.body()
    fingerprint = _fingerprint(request.method, request.url.path, request.url.query, body)
    engine = request.app.state.engine
    now = utcnow()
    row = idempotency_key.c
    where = and_(row.user_id == actor.user_id, row.key == key)
    with engine.begin() as conn:
        conn.execute(
            delete(idempotency_key).where(where, row.status_code.is_(None), row.created_at < now - STALE)
        )
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(idempotency_key).values(
                        user_id=actor.user_id, key=key, fingerprint=fingerprint, created_at=now
                    )
                )
            return actor.user_id, engine
        except IntegrityError:
            first = conn.execute(select(idempotency_key).where(where)).one()
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
