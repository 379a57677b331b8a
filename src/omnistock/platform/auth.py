"""Who is acting: the ``Actor`` every service receives, and the API dependency that finds it.

The identity area authenticates tokens; it plugs its authenticator in at app start-up so the
platform never imports a business area.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from omnistock.platform.errors import Forbidden, Unauthorized

# Data-scope kinds a user can be limited to.
SCOPE_KINDS = ("warehouse", "store", "channel")


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    permissions: frozenset[str] = frozenset()
    # kind -> allowed codes; a kind that is absent is unrestricted.
    scopes: dict[str, frozenset[str]] = field(default_factory=dict)
    token_id: int | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(user_id=None, username=name, permissions=frozenset({"*"}))

    def has(self, permission: str) -> bool:
        """Exact grants, ``*`` (everything), or patterns such as ``inventory.*``, ``catalog.*.read``."""
        if "*" in self.permissions or permission in self.permissions:
            return True
        return any("*" in p and fnmatchcase(permission, p) for p in self.permissions)

    def require(self, permission: str) -> None:
        if not self.has(permission):
            raise Forbidden(
                "auth.forbidden",
                "You lack the permission {permission}",
                "您没有权限：{permission}",
                permission=permission,
            )

    def allowed(self, kind: str) -> frozenset[str] | None:
        """Codes of ``kind`` this actor may see, or None when unrestricted."""
        return self.scopes.get(kind)

    def can_access(self, kind: str, code: str) -> bool:
        allowed = self.scopes.get(kind)
        return allowed is None or code in allowed

    def require_scope(self, kind: str, codes: Iterable[str]) -> None:
        for code in codes:
            if not self.can_access(kind, code):
                raise Forbidden(
                    "auth.out_of_scope",
                    "Your data scope does not include {kind} {code}",
                    "您的数据范围不包含{kind} {code}",
                    kind=kind,
                    code=code,
                )


@dataclass(frozen=True)
class Authenticator:
    """Who a bearer token stands for, as the identity area answers (the app factory stores one as
    ``app.state.authenticator``, so the platform never imports a business area).

    ``cached``: from memory, without I/O — None when the token was not seen lately;
    ``load``: from the database. Both raise Unauthorized for a token that is no good."""

    cached: Callable[[str], Actor | None]
    load: Callable[[str], Actor]


_bearer = HTTPBearer(auto_error=False)


async def authenticate(request: Request, token: str) -> Actor:
    """The actor of ``token``: on the event loop when it was seen lately (most calls), else
    through the thread pool, since reading the database blocks."""
    authenticator: Authenticator = request.app.state.authenticator
    actor = authenticator.cached(token)
    if actor is None:
        actor = await run_in_threadpool(authenticator.load, token)
    return actor


async def current_actor(
    request: Request, creds: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Actor:
    if creds is None or not creds.credentials:
        raise Unauthorized("auth.missing_token", "Sign in first", "请先登录")
    actor = await authenticate(request, creds.credentials)
    request.state.actor = actor
    return actor


def requires(permission: str) -> Callable[..., Actor]:
    """FastAPI dependency: an authenticated actor holding ``permission``."""

    # async: a check without I/O runs on the event loop, not through the thread pool.
    async def dependency(actor: Actor = Depends(current_actor)) -> Actor:
        actor.require(permission)
        return actor

    dependency.__name__ = f"requires_{permission.replace('.', '_')}"
    return dependency
