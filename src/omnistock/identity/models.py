"""Identity tables: users, roles, their grants, data scopes and bearer tokens."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from omnistock.platform.audit import Json
from omnistock.platform.db import BigId, metadata

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(64), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
)

roles = Table(
    "roles",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("description", String(500), nullable=False, default=""),
    Column("permissions", Json, nullable=False),
    Column("builtin", Boolean, nullable=False, default=False),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", BigId, ForeignKey("roles.id", ondelete="RESTRICT"), primary_key=True),
    Index("ix_user_roles_role", "role_id"),
)

user_scopes = Table(
    "user_scopes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("code", String(64), nullable=False),
    UniqueConstraint("user_id", "kind", "code", name="uq_user_scopes_user_kind_code"),
    CheckConstraint("kind IN ('warehouse', 'store', 'channel')", name="kind"),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("name", String(64), nullable=False, default=""),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(8), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime),
    Column("last_used_at", DateTime),
    Column("revoked_at", DateTime),
    CheckConstraint("kind IN ('session', 'api')", name="kind"),
    Index("ix_auth_tokens_user", "user_id", "kind"),
)
