"""Identity use cases: the area's public surface.

Functions take the caller's unit of work (``uow``) and never commit. Every write is audited;
audit rows never carry password hashes or tokens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update

from omnistock.identity import rules
from omnistock.identity.models import auth_tokens, roles, user_roles, user_scopes, users
from omnistock.platform.auth import SCOPE_KINDS, Actor
from omnistock.platform.cache import MISSING, TtlCache
from omnistock.platform.clock import utcnow
from omnistock.platform.db import READONLY
from omnistock.platform.errors import AppError, Conflict, Invalid, Unauthorized, not_found
from omnistock.platform.pagination import decode_cursor, encode_cursor
from omnistock.platform.permissions import REGISTRY, all_permissions, register
from omnistock.platform.sql import Sql, raw
from omnistock.settings import get_settings

register(
    ("identity.user.read", "查看用户", "View users"),
    ("identity.user.create", "创建用户", "Create users"),
    (
        "identity.user.update",
        "修改用户（含停用、解锁、重置密码）",
        "Update users (disable, unlock, reset password)",
    ),
    ("identity.role.read", "查看角色", "View roles"),
    ("identity.role.manage", "管理角色与权限", "Manage roles and permissions"),
    ("identity.token.manage", "管理自己的 API 令牌", "Manage one's own API tokens"),
    ("audit.read", "查看审计日志", "View the audit log"),
)

ADMIN_ROLE = "admin"

# Built-in roles. Permission entries may be patterns (``inventory.*``, ``catalog.*.read``) that
# cover permissions registered by areas written later. The initial migration inserts a frozen
# copy; ``ensure_builtin_roles`` re-creates any that are missing.
BUILTIN_ROLES: tuple[dict[str, Any], ...] = (
    {
        "code": ADMIN_ROLE,
        "name": "系统管理员",
        "description": "Administrator: every permission",
        "permissions": ["*"],
    },
    {
        "code": "warehouse",
        "name": "仓库作业员",
        "description": "Warehouse staff: stock documents, counts, transfers, fulfilment and receiving; reads the catalog",
        "permissions": [
            "inventory.*",
            "catalog.*.read",
            "orders.*.read",
            "purchasing.*.read",
            "purchasing.receipt.create",
            "purchasing.hold.release",
            "purchasing.request.create",
            "dashboard.*",
            "fulfillment.*",
            "orders.order.ship",
            "orders.order.return",
        ],
    },
    {
        "code": "merchandiser",
        "name": "商品运营",
        "description": "Merchandiser: products and prices; reads stock, orders and purchasing",
        "permissions": ["catalog.*", "inventory.*.read", "orders.*.read", "purchasing.*.read", "dashboard.*"],
    },
    {
        "code": "finance",
        "name": "财务（只读）",
        "description": "Finance, read-only: stock value, costing, orders, purchasing and the audit log",
        "permissions": [
            "catalog.*.read",
            "inventory.*.read",
            "orders.*.read",
            "purchasing.*.read",
            "costing.*.read",
            "finance.*.read",
            "audit.read",
            "dashboard.*",
        ],
    },
    {
        "code": "accountant",
        "name": "会计",
        "description": "Accountant: the books — entries and their approval, receivables and payables, "
        "reconciliation, expenses, profit, the month close; reads stock, orders and purchasing",
        "permissions": [
            "finance.*",
            "catalog.*.read",
            "inventory.*.read",
            "orders.*.read",
            "purchasing.*.read",
            "costing.*.read",
            "audit.read",
            "dashboard.*",
        ],
    },
    {
        "code": "purchaser",
        "name": "采购员",
        "description": "Purchaser: suppliers, purchase orders, replenishment, returns and bills; approves nothing",
        "permissions": [
            "purchasing.*.read",
            "purchasing.supplier.manage",
            "purchasing.po.create",
            "purchasing.request.create",
            "purchasing.return.create",
            "purchasing.bill.create",
            "catalog.*.read",
            "inventory.*.read",
            "dashboard.*",
        ],
    },
    {
        "code": "purchase_manager",
        "name": "采购经理",
        "description": "Purchasing manager: a purchaser who also approves orders (any amount) and bills, and sets purchasing up",
        "permissions": [
            "purchasing.*.read",
            "purchasing.supplier.manage",
            "purchasing.po.create",
            "purchasing.request.create",
            "purchasing.po.approve",
            "purchasing.po.approve_large",
            "purchasing.return.create",
            "purchasing.bill.create",
            "purchasing.bill.approve",
            "purchasing.settings.manage",
            "catalog.*.read",
            "inventory.*.read",
            "dashboard.*",
        ],
    },
    {
        "code": "viewer",
        "name": "只读访客",
        "description": "Viewer: reads products, stock and orders",
        "permissions": ["catalog.*.read", "inventory.*.read", "orders.*.read", "dashboard.*"],
    },
)
BUILTIN_CODES = frozenset(r["code"] for r in BUILTIN_ROLES)

SESSION = "session"
API = "api"
SESSION_PREFIX = "oss_"
API_PREFIX = "osk_"
ANONYMOUS = Actor(user_id=None, username="anonymous")


# -- returned data ------------------------------------------------------------------------------
@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    is_active: bool
    roles: list[str]
    scopes: dict[str, list[str]]
    created_at: dt.datetime
    last_login_at: dt.datetime | None
    locked_until: dt.datetime | None


@dataclass(frozen=True)
class Me:
    id: int
    username: str
    display_name: str
    roles: list[str]
    permissions: list[str]
    scopes: dict[str, list[str]]


@dataclass(frozen=True)
class Role:
    id: int
    code: str
    name: str
    description: str
    permissions: list[str]
    builtin: bool
    user_count: int


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class NewApiToken(ApiToken):
    token: str = ""


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a sign-in attempt.

    A failed attempt is *returned*, not raised, so the caller commits the failure record
    (counter, lock, audit row) and only then reports ``error``.
    """

    token: str | None = None
    expires_at: dt.datetime | None = None
    me: Me | None = None
    error: AppError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> tuple[str, dt.datetime, Me]:
        if self.error is not None:
            raise self.error
        assert self.token and self.expires_at and self.me
        return self.token, self.expires_at, self.me


# -- passwords ----------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _hasher_for(profile: str) -> PasswordHasher:
    if profile == "fast":  # tests only: cheap parameters
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()  # argon2-cffi's recommended parameters (RFC 9106 low-memory)


def _hasher() -> PasswordHasher:
    return _hasher_for(get_settings().password_hash_profile)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=4)
def _dummy_hash(profile: str) -> str:
    return _hasher_for(profile).hash("omnistock-timing-equaliser")


def _check_password(password: str, username: str | None = None) -> None:
    v = rules.password_violation(password, username=username)
    if v:
        raise Invalid(v.code, v.en, v.zh)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


# -- reading helpers ----------------------------------------------------------------------------
def _roles_of(conn: Connection, user_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return out
    rows = conn.execute(
        select(user_roles.c.user_id, roles.c.code)
        .join(roles, roles.c.id == user_roles.c.role_id)
        .where(user_roles.c.user_id.in_(user_ids))
        .order_by(user_roles.c.user_id, roles.c.code)
    )
    for uid, code in rows:
        out[uid].append(code)
    return out


def _scopes_of(conn: Connection, user_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    out: dict[int, dict[str, list[str]]] = {uid: {} for uid in user_ids}
    if not user_ids:
        return out
    rows = conn.execute(
        select(user_scopes.c.user_id, user_scopes.c.kind, user_scopes.c.code)
        .where(user_scopes.c.user_id.in_(user_ids))
        .order_by(user_scopes.c.user_id, user_scopes.c.kind, user_scopes.c.code)
    )
    for uid, kind, code in rows:
        out[uid].setdefault(kind, []).append(code)
    return out


def _users_from_rows(conn: Connection, rows: list[Any]) -> list[User]:
    ids = [r.id for r in rows]
    role_map, scope_map = _roles_of(conn, ids), _scopes_of(conn, ids)
    return [
        User(
            id=r.id,
            username=r.username,
            display_name=r.display_name,
            is_active=bool(r.is_active),
            roles=role_map[r.id],
            scopes=scope_map[r.id],
            created_at=r.created_at,
            last_login_at=r.last_login_at,
            locked_until=r.locked_until,
        )
        for r in rows
    ]


def _user_row(conn: Connection, user_id: int, *, lock: bool = False):
    q = select(users).where(users.c.id == user_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).first()
    if row is None:
        raise not_found("user", user_id)
    return row


def _audit_view(user: User) -> dict[str, Any]:
    """What an audit row records about a user: never the password hash."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "is_active": user.is_active,
        "roles": user.roles,
        "scopes": user.scopes,
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
    }


# -- built-in roles -----------------------------------------------------------------------------
def ensure_builtin_roles(uow) -> None:
    """Insert any missing built-in role (idempotent; the migration normally seeds them)."""
    have = set(uow.conn.execute(select(roles.c.code).where(roles.c.code.in_(BUILTIN_CODES))).scalars())
    for spec in BUILTIN_ROLES:
        if spec["code"] in have:
            continue
        rid = uow.conn.execute(insert(roles).values(**spec, builtin=True).returning(roles.c.id)).scalar_one()
        uow.audit("identity.role.seed", "role", rid, after=dict(spec))


def _role_ids(uow, codes: Iterable[str]) -> dict[str, int]:
    codes = sorted(set(codes))
    if not codes:
        return {}
    if BUILTIN_CODES & set(codes):
        ensure_builtin_roles(uow)
    found = dict(uow.conn.execute(select(roles.c.code, roles.c.id).where(roles.c.code.in_(codes))).all())
    missing = [c for c in codes if c not in found]
    if missing:
        raise Invalid(
            "identity.unknown_role",
            "Unknown role: {codes}",
            "角色不存在：{codes}",
            codes=", ".join(missing),
        )
    return found


def _normalize_scopes(scopes: Mapping[str, Iterable[str]] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind, codes in (scopes or {}).items():
        if kind not in SCOPE_KINDS:
            raise Invalid(
                "identity.bad_scope_kind",
                "Unknown data-scope kind {kind} (allowed: {allowed})",
                "数据范围类型 {kind} 无效（可选：{allowed}）",
                kind=kind,
                allowed=", ".join(SCOPE_KINDS),
            )
        clean = sorted({c.strip() for c in codes if c and c.strip()})
        for c in clean:
            if len(c) > 64:
                raise Invalid(
                    "identity.bad_scope_code",
                    "Scope code too long: {scope}",
                    "数据范围编码过长：{scope}",
                    scope=c[:64],
                )
        if clean:
            out[kind] = clean
    return out


def _set_roles(uow, user_id: int, codes: Iterable[str]) -> None:
    ids = _role_ids(uow, codes)
    _forget_tokens(uow)
    uow.conn.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
    if ids:
        uow.conn.execute(insert(user_roles), [{"user_id": user_id, "role_id": rid} for rid in ids.values()])


def _set_scopes(uow, user_id: int, scopes: dict[str, list[str]]) -> None:
    _forget_tokens(uow)
    uow.conn.execute(delete(user_scopes).where(user_scopes.c.user_id == user_id))
    rows = [{"user_id": user_id, "kind": k, "code": c} for k, codes in scopes.items() for c in codes]
    if rows:
        uow.conn.execute(insert(user_scopes), rows)


def _active_admins(conn: Connection) -> set[int]:
    return set(
        conn.execute(
            select(users.c.id)
            .join(user_roles, user_roles.c.user_id == users.c.id)
            .join(roles, roles.c.id == user_roles.c.role_id)
            .where(roles.c.code == ADMIN_ROLE, users.c.is_active.is_(True))
        ).scalars()
    )


# -- users --------------------------------------------------------------------------------------
def create_user(
    uow,
    *,
    username: str,
    password: str,
    display_name: str | None = None,
    roles: Iterable[str] = (),
    scopes: Mapping[str, Iterable[str]] | None = None,
    is_active: bool = True,
) -> User:
    username = rules.normalize_username(username)
    v = rules.username_violation(username)
    if v:
        raise Invalid(v.code, v.en, v.zh)
    _check_password(password, username)
    clean_scopes = _normalize_scopes(scopes)
    if uow.conn.execute(select(users.c.id).where(users.c.username == username)).first():
        raise Conflict(
            "identity.username_taken",
            "The username {username} is taken",
            "用户名 {username} 已存在",
            username=username,
        )
    now = utcnow()
    uid = uow.conn.execute(
        insert(users)
        .values(
            username=username,
            display_name=(display_name or username).strip() or username,
            password_hash=hash_password(password),
            is_active=is_active,
            failed_logins=0,
            created_at=now,
        )
        .returning(users.c.id)
    ).scalar_one()
    _set_roles(uow, uid, roles)
    _set_scopes(uow, uid, clean_scopes)
    user = get_user(uow.conn, uid)
    uow.audit("identity.user.create", "user", uid, before=None, after=_audit_view(user))
    return user


def get_user(conn: Connection, user_id: int) -> User:
    return _users_from_rows(conn, [_user_row(conn, user_id)])[0]


def get_user_by_username(conn: Connection, username: str) -> User:
    row = conn.execute(select(users).where(users.c.username == rules.normalize_username(username))).first()
    if row is None:
        raise not_found("user", username)
    return _users_from_rows(conn, [row])[0]


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_users(
    conn: Connection, *, q: str | None = None, cursor: str | None = None, limit: int = 50
) -> tuple[list[User], str | None]:
    """Users by id; returns (page, next_cursor)."""
    limit = max(1, min(limit, 500))
    stmt = select(users).order_by(users.c.id).limit(limit + 1)
    after = decode_cursor(cursor)
    if after is not None:
        try:
            stmt = stmt.where(users.c.id > int(after["id"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid("request.bad_cursor", "The page cursor is not valid", "分页游标无效") from exc
    if q and q.strip():
        pat = _like(q.strip())
        stmt = stmt.where(
            or_(users.c.username.ilike(pat, escape="\\"), users.c.display_name.ilike(pat, escape="\\"))
        )
    rows = conn.execute(stmt).all()
    nxt = encode_cursor({"id": rows[limit - 1].id}) if len(rows) > limit else None
    return _users_from_rows(conn, rows[:limit]), nxt


def update_user(
    uow,
    user_id: int,
    *,
    display_name: str | None = None,
    password: str | None = None,
    roles: Iterable[str] | None = None,
    scopes: Mapping[str, Iterable[str]] | None = None,
    is_active: bool | None = None,
) -> User:
    row = _user_row(uow.conn, user_id, lock=True)
    before = get_user(uow.conn, user_id)
    values: dict[str, Any] = {}
    if display_name is not None:
        name = display_name.strip()
        if not name:
            raise Invalid(
                "identity.bad_display_name", "The display name must not be empty", "显示名称不能为空"
            )
        values["display_name"] = name
    if is_active is not None:
        values["is_active"] = is_active
    password_changed = False
    if password is not None:
        _check_password(password, row.username)
        values["password_hash"] = hash_password(password)
        password_changed = True
    if values:
        _forget_tokens(uow)
        uow.conn.execute(update(users).where(users.c.id == user_id).values(**values))
    if roles is not None:
        _set_roles(uow, user_id, roles)
    if scopes is not None:
        _set_scopes(uow, user_id, _normalize_scopes(scopes))
    was_admin = before.is_active and ADMIN_ROLE in before.roles
    if was_admin and (roles is not None or is_active is False) and not _active_admins(uow.conn):
        raise Conflict(
            "identity.last_admin",
            "At least one active administrator must remain",
            "至少需要保留一名启用状态的管理员",
        )
    if password_changed or is_active is False:
        # Sign the user out everywhere (but keep the session making this request).
        cond = and_(auth_tokens.c.user_id == user_id, auth_tokens.c.revoked_at.is_(None))
        if password_changed and is_active is not False:
            cond = and_(cond, auth_tokens.c.kind == SESSION)
        if uow.actor.token_id is not None:
            cond = and_(cond, auth_tokens.c.id != uow.actor.token_id)
        uow.conn.execute(update(auth_tokens).where(cond).values(revoked_at=utcnow()))
    after = get_user(uow.conn, user_id)
    after_view = _audit_view(after)
    if password_changed:
        after_view["password_changed"] = True
    uow.audit("identity.user.update", "user", user_id, before=_audit_view(before), after=after_view)
    return after


def unlock_user(uow, user_id: int) -> User:
    _user_row(uow.conn, user_id, lock=True)
    before = get_user(uow.conn, user_id)
    uow.conn.execute(update(users).where(users.c.id == user_id).values(failed_logins=0, locked_until=None))
    after = get_user(uow.conn, user_id)
    uow.audit("identity.user.unlock", "user", user_id, before=_audit_view(before), after=_audit_view(after))
    return after


def count_users(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(users)).scalar_one()


def count_roles(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(roles)).scalar_one()


# -- roles & permissions ------------------------------------------------------------------------
def list_permissions() -> list[dict[str, str]]:
    return [{"code": p.code, "zh": p.zh, "en": p.en} for p in all_permissions()]


def _check_permissions(perms: Iterable[str]) -> list[str]:
    clean = sorted({p.strip() for p in perms if p and p.strip()})
    bad = [
        p
        for p in clean
        if not rules.PERMISSION_RE.match(p) or (not rules.is_pattern(p) and p not in REGISTRY)
    ]
    if bad:
        raise Invalid(
            "identity.unknown_permission",
            "Unknown permission: {codes}",
            "权限不存在：{codes}",
            codes=", ".join(bad),
        )
    return clean


def _role_from_row(r: Any, count: int) -> Role:
    return Role(
        id=r.id,
        code=r.code,
        name=r.name,
        description=r.description or "",
        permissions=list(r.permissions or []),
        builtin=bool(r.builtin),
        user_count=count,
    )


def _role_counts(conn: Connection) -> dict[int, int]:
    return dict(conn.execute(select(user_roles.c.role_id, func.count()).group_by(user_roles.c.role_id)).all())


def list_roles(conn: Connection) -> list[Role]:
    counts = _role_counts(conn)
    rows = conn.execute(select(roles).order_by(roles.c.builtin.desc(), roles.c.code)).all()
    return [_role_from_row(r, counts.get(r.id, 0)) for r in rows]


def get_role(conn: Connection, role_id: int) -> Role:
    r = conn.execute(select(roles).where(roles.c.id == role_id)).first()
    if r is None:
        raise not_found("role", role_id)
    n = conn.execute(
        select(func.count()).select_from(user_roles).where(user_roles.c.role_id == role_id)
    ).scalar_one()
    return _role_from_row(r, n)


def _role_view(role: Role) -> dict[str, Any]:
    return {
        "code": role.code,
        "name": role.name,
        "description": role.description,
        "permissions": role.permissions,
    }


def create_role(uow, *, code: str, name: str, description: str = "", permissions: Iterable[str] = ()) -> Role:
    code = code.strip()
    v = rules.role_code_violation(code)
    if v:
        raise Invalid(v.code, v.en, v.zh)
    if not name.strip():
        raise Invalid("identity.bad_role_name", "The role name must not be empty", "角色名称不能为空")
    perms = _check_permissions(permissions)
    ensure_builtin_roles(uow)
    if uow.conn.execute(select(roles.c.id).where(roles.c.code == code)).first():
        raise Conflict(
            "identity.role_exists", "The role {role} exists already", "角色 {role} 已存在", role=code
        )
    rid = uow.conn.execute(
        insert(roles)
        .values(
            code=code, name=name.strip(), description=description.strip(), permissions=perms, builtin=False
        )
        .returning(roles.c.id)
    ).scalar_one()
    role = get_role(uow.conn, rid)
    uow.audit("identity.role.create", "role", rid, after=_role_view(role))
    return role


def update_role(
    uow,
    role_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    permissions: Iterable[str] | None = None,
) -> Role:
    before = get_role(uow.conn, role_id)
    values: dict[str, Any] = {}
    if name is not None:
        if not name.strip():
            raise Invalid("identity.bad_role_name", "The role name must not be empty", "角色名称不能为空")
        values["name"] = name.strip()
    if description is not None:
        values["description"] = description.strip()
    if permissions is not None:
        perms = _check_permissions(permissions)
        if before.code == ADMIN_ROLE and perms != ["*"]:
            raise Conflict(
                "identity.builtin_role",
                "The permissions of the administrator role cannot be changed",
                "系统管理员角色的权限不能修改",
            )
        values["permissions"] = perms
    if values:
        _forget_tokens(uow)
        uow.conn.execute(update(roles).where(roles.c.id == role_id).values(**values))
    after = get_role(uow.conn, role_id)
    uow.audit("identity.role.update", "role", role_id, before=_role_view(before), after=_role_view(after))
    return after


def delete_role(uow, role_id: int) -> None:
    role = get_role(uow.conn, role_id)
    if role.builtin:
        raise Conflict(
            "identity.builtin_role",
            "The built-in role {role} cannot be deleted",
            "内置角色 {role} 不能删除",
            role=role.code,
        )
    if role.user_count:
        raise Conflict(
            "identity.role_in_use",
            "The role {role} is granted to {count} users; revoke it first",
            "角色 {role} 仍有 {count} 个用户使用，请先取消授权",
            role=role.code,
            count=role.user_count,
        )
    _forget_tokens(uow)
    uow.conn.execute(delete(roles).where(roles.c.id == role_id))
    uow.audit("identity.role.delete", "role", role_id, before=_role_view(role), after=None)


# -- sign-in ------------------------------------------------------------------------------------
def _bad_credentials() -> Unauthorized:
    return Unauthorized("identity.bad_credentials", "Wrong username or password", "用户名或密码错误")


def _me(conn: Connection, user_id: int) -> Me:
    user = get_user(conn, user_id)
    perms = _granted(conn, user_id)
    return Me(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=user.roles,
        permissions=sorted(rules.expand_permissions(perms, REGISTRY)),
        scopes=user.scopes,
    )


def get_me(conn: Connection, actor: Actor) -> Me:
    if actor.user_id is None:
        raise Unauthorized("auth.missing_token", "Sign in first", "请先登录")
    return _me(conn, actor.user_id)


def _granted(conn: Connection, user_id: int) -> set[str]:
    granted: set[str] = set()
    for perms in conn.execute(
        select(roles.c.permissions)
        .join(user_roles, user_roles.c.role_id == roles.c.id)
        .where(user_roles.c.user_id == user_id)
    ).scalars():
        granted.update(perms or [])
    return granted


def _issue(uow, user_id: int, kind: str, name: str, expires_at: dt.datetime | None) -> tuple[int, str]:
    token = _new_token(SESSION_PREFIX if kind == SESSION else API_PREFIX)
    tid = uow.conn.execute(
        insert(auth_tokens)
        .values(
            user_id=user_id,
            kind=kind,
            name=name,
            token_hash=_token_hash(token),
            prefix=token[:8],
            created_at=utcnow(),
            expires_at=expires_at,
        )
        .returning(auth_tokens.c.id)
    ).scalar_one()
    return tid, token


def issue_session(uow, user_id: int, *, expires_at: dt.datetime | None = None) -> str:
    """A session token for ``user_id`` (default expiry from settings). Used by login and tests."""
    if expires_at is None:
        expires_at = utcnow() + dt.timedelta(minutes=get_settings().access_token_minutes)
    _, token = _issue(uow, user_id, SESSION, "session", expires_at)
    return token


@dataclass(frozen=True)
class PasswordCheck:
    """The result of verifying a password outside the write transaction (see ``check_password``)."""

    username: str
    password_hash: str | None
    ok: bool


def check_password(conn: Connection, username: str, password: str) -> PasswordCheck:
    """Verify a password in a read-only transaction.

    Argon2 is deliberately slow; doing it here keeps the SQLite write lock free while it runs.
    ``login`` trusts the result only if the stored hash has not changed in between.
    """
    name = rules.normalize_username(username)[:64]
    stored = conn.execute(select(users.c.password_hash).where(users.c.username == name)).scalar()
    if stored is None:
        verify_password(_dummy_hash(get_settings().password_hash_profile), password)  # same cost
        return PasswordCheck(name, None, False)
    return PasswordCheck(name, stored, verify_password(stored, password))


def login(
    uow, username: str, password: str, ip: str | None = None, *, checked: PasswordCheck | None = None
) -> LoginResult:
    """Check a username and password; on success open a session.

    Never raises for bad credentials: the failure (counter, lock, audit row) must be committed,
    so it is returned as ``LoginResult.error`` for the caller to raise after the commit.
    ``checked`` is an earlier ``check_password`` of the same attempt (avoids hashing while
    holding the write lock).
    """
    settings = get_settings()
    now = utcnow()
    name = rules.normalize_username(username)[:64]
    q = select(users).where(users.c.username == name)
    if uow.conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = uow.conn.execute(q).first()

    def fail(
        reason: str, error: AppError, user_id: int | None = None, extra: dict | None = None
    ) -> LoginResult:
        after = {"username": name, "ip": ip, "reason": reason, **(extra or {})}
        uow.audit("identity.login_failed", "user", user_id if user_id is not None else name, after=after)
        return LoginResult(error=error)

    if row is None:
        if checked is None:
            verify_password(
                _dummy_hash(settings.password_hash_profile), password
            )  # same cost as a real check
        return fail("unknown_user", _bad_credentials())
    if rules.is_locked(row.locked_until, now):
        return fail(
            "locked",
            Unauthorized(
                "identity.locked",
                "Too many failed sign-ins; the account is locked until {until} UTC",
                "登录失败次数过多，账号已锁定至 {until}（UTC）",
                until=row.locked_until.strftime("%Y-%m-%d %H:%M"),
            ),
            row.id,
        )
    if checked is not None and checked.username == name and checked.password_hash == row.password_hash:
        password_ok = checked.ok
    else:
        password_ok = verify_password(row.password_hash, password)
    if not password_ok:
        outcome = rules.after_failed_login(
            row.failed_logins or 0,
            now,
            threshold=settings.lockout_threshold,
            minutes=settings.lockout_minutes,
        )
        uow.conn.execute(
            update(users)
            .where(users.c.id == row.id)
            .values(failed_logins=outcome.failed_logins, locked_until=outcome.locked_until)
        )
        extra = {"locked_until": outcome.locked_until.isoformat()} if outcome.locked else {}
        return fail("bad_password", _bad_credentials(), row.id, extra)
    if not row.is_active:
        return fail(
            "inactive",
            Unauthorized("identity.user_inactive", "This account is disabled", "该账号已停用"),
            row.id,
        )
    values: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if _hasher().check_needs_rehash(row.password_hash):
        values["password_hash"] = hash_password(password)
    uow.conn.execute(update(users).where(users.c.id == row.id).values(**values))
    expires_at = now + dt.timedelta(minutes=settings.access_token_minutes)
    token = issue_session(uow, row.id, expires_at=expires_at)
    me = _me(uow.conn, row.id)
    uow.actor = Actor(user_id=row.id, username=row.username)
    uow.audit("identity.login", "user", row.id, after={"username": row.username, "ip": ip})
    return LoginResult(token=token, expires_at=expires_at, me=me)


def logout(uow) -> None:
    """Revoke the token the current actor signed in with."""
    tid = uow.actor.token_id
    if tid is None:
        return
    _forget_tokens(uow)
    uow.conn.execute(
        update(auth_tokens)
        .where(auth_tokens.c.id == tid, auth_tokens.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    uow.audit("identity.logout", "auth_token", tid)


# -- API tokens ---------------------------------------------------------------------------------
def _api_token(r: Any) -> ApiToken:
    return ApiToken(
        id=r.id,
        name=r.name,
        prefix=r.prefix,
        created_at=r.created_at,
        expires_at=r.expires_at,
        last_used_at=r.last_used_at,
        revoked_at=r.revoked_at,
    )


def _own_user(uow) -> int:
    if uow.actor.user_id is None:
        raise Unauthorized("auth.missing_token", "Sign in first", "请先登录")
    return uow.actor.user_id


def list_api_tokens(conn: Connection, actor: Actor) -> list[ApiToken]:
    if actor.user_id is None:
        return []
    rows = conn.execute(
        select(auth_tokens)
        .where(auth_tokens.c.user_id == actor.user_id, auth_tokens.c.kind == API)
        .order_by(auth_tokens.c.id.desc())
    ).all()
    return [_api_token(r) for r in rows]


def create_api_token(uow, *, name: str, expires_in_days: int | None = 90) -> NewApiToken:
    """A long-lived token for integrations; the token itself is shown only in this result."""
    user_id = _own_user(uow)
    name = name.strip()
    if not name:
        raise Invalid("identity.bad_token_name", "The token needs a name", "令牌名称不能为空")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise Invalid(
            "identity.bad_token_expiry", "expires_in_days must be 1-3650", "有效天数必须在 1-3650 之间"
        )
    expires_at = utcnow() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    tid, token = _issue(uow, user_id, API, name, expires_at)
    row = uow.conn.execute(select(auth_tokens).where(auth_tokens.c.id == tid)).one()
    base = _api_token(row)
    uow.audit(
        "identity.token.create",
        "auth_token",
        tid,
        after={
            "name": name,
            "prefix": base.prefix,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return NewApiToken(**base.__dict__, token=token)


def revoke_api_token(uow, token_id: int) -> None:
    user_id = _own_user(uow)
    row = uow.conn.execute(
        select(auth_tokens).where(
            auth_tokens.c.id == token_id, auth_tokens.c.user_id == user_id, auth_tokens.c.kind == API
        )
    ).first()
    if row is None:
        raise not_found("token", token_id)
    if row.revoked_at is not None:
        return
    _forget_tokens(uow)
    uow.conn.execute(update(auth_tokens).where(auth_tokens.c.id == token_id).values(revoked_at=utcnow()))
    uow.audit(
        "identity.token.revoke", "auth_token", token_id, before={"name": row.name, "prefix": row.prefix}
    )


# -- authentication -----------------------------------------------------------------------------
def _token_invalid() -> Unauthorized:
    return Unauthorized(
        "identity.token_invalid", "The access token is not valid; sign in again", "登录凭证无效，请重新登录"
    )


# Every API call: the token and its user, then the user's grants (roles and data scopes), as
# prepared SQL on one read-only connection.
_TOKEN = Sql(
    "SELECT t.id, t.user_id, t.expires_at, t.revoked_at, t.last_used_at, u.username, u.is_active "
    "FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = :hash"
)
_GRANTS = Sql(
    "SELECT 'role', CAST(r.permissions AS TEXT), NULL FROM roles r JOIN user_roles ur ON ur.role_id = r.id "
    "WHERE ur.user_id = :user_id UNION ALL SELECT 'scope', s.kind, s.code FROM user_scopes s WHERE s.user_id = :user_id"
)


# Who a token is, per database and token hash, for AUTH_TTL seconds: every API call needs it, and
# reading it costs a connection and four round trips. Signing out, revoking a token and changing a
# user or a role forget it in the process that does so at once (``_forget_tokens``); the other
# worker processes see the change within AUTH_TTL seconds. Expiry is checked on every call.
AUTH_TTL = 2.0
_authenticated = TtlCache("authenticated tokens", ttl=AUTH_TTL)


def _forget_tokens(uow) -> None:
    _authenticated.forget(uow)


def authenticate_token(engine: Engine, token: str) -> Actor:
    """The actor a bearer token stands for (raises Unauthorized)."""
    if not token or len(token) > 256:
        raise _token_invalid()
    now = utcnow()
    actor, expires_at = _authenticated.get(
        engine, _token_hash(token), lambda: _load_actor(engine, token, now)
    )
    return _unexpired(actor, expires_at, now)


def authenticate_token_cached(engine: Engine, token: str) -> Actor | None:
    """The actor of a token authenticated within the last ``AUTH_TTL`` seconds, without any I/O;
    None when the database must be asked (``authenticate_token``). Raises Unauthorized for a
    remembered token that has expired since."""
    if not token or len(token) > 256:
        return None
    hit = _authenticated.peek(engine, _token_hash(token))
    if hit is MISSING:
        return None
    actor, expires_at = hit
    return _unexpired(actor, expires_at, utcnow())


def _unexpired(actor: Actor, expires_at: dt.datetime | None, now: dt.datetime) -> Actor:
    if rules.token_state(expires_at, None, now) == "expired":
        raise _expired()
    return actor


def _expired() -> Unauthorized:
    return Unauthorized(
        "identity.token_expired", "The session has expired; sign in again", "登录已过期，请重新登录"
    )


def _load_actor(engine: Engine, token: str, now: dt.datetime) -> tuple[Actor, dt.datetime | None]:
    """The token's actor and expiry, read from the database (raises Unauthorized); records the
    token's use at most once a minute."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{READONLY: True})
        with conn.begin():
            r = raw(conn)
            found = r.one(_TOKEN, {"hash": _token_hash(token)})
            if found is None or not found[6]:
                raise _token_invalid()
            token_id, user_id, expires_at, revoked_at, last_used_at, username, _ = found
            expires_at = r.read_dt(expires_at)
            state = rules.token_state(expires_at, r.read_dt(revoked_at), now)
            if state == "revoked":
                raise _token_invalid()
            if state == "expired":
                raise _expired()
            granted: set[str] = set()
            scopes: dict[str, set[str]] = {}
            for what, a, b in r.all(_GRANTS, {"user_id": user_id}):
                if what == "role":
                    granted.update(r.read_json(a) or ())
                else:
                    scopes.setdefault(a, set()).add(b)
    last_used_at = r.read_dt(last_used_at)
    if rules.should_touch(last_used_at, now):
        with engine.begin() as wconn:
            wconn.execute(
                update(auth_tokens)
                .where(
                    auth_tokens.c.id == token_id,
                    or_(
                        auth_tokens.c.last_used_at.is_(None),
                        auth_tokens.c.last_used_at < now - rules.TOKEN_TOUCH_INTERVAL,
                    ),
                )
                .values(last_used_at=now)
            )
    actor = Actor(
        user_id=user_id,
        username=username,
        permissions=rules.expand_permissions(granted, REGISTRY),
        scopes={k: frozenset(v) for k, v in scopes.items()},
        token_id=token_id,
    )
    return actor, expires_at
