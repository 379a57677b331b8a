"""Pure identity rules: password policy, username format, lockout and token expiry.

Standard library only (import-linter forbids SQLAlchemy, FastAPI and Pydantic here).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class Violation:
    """A broken rule, with a stable code and a message in both languages."""

    code: str
    en: str
    zh: str


# -- passwords -------------------------------------------------------------------------------
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128


def password_violation(password: str, *, username: str | None = None) -> Violation | None:
    """Why ``password`` is not acceptable, or None when it is."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return Violation(
            "identity.password_too_short",
            f"The password must have at least {PASSWORD_MIN_LENGTH} characters",
            f"密码至少需要 {PASSWORD_MIN_LENGTH} 个字符",
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        return Violation(
            "identity.password_too_long",
            f"The password must have at most {PASSWORD_MAX_LENGTH} characters",
            f"密码最多 {PASSWORD_MAX_LENGTH} 个字符",
        )
    if password.isdigit():
        return Violation(
            "identity.password_all_digits",
            "The password must not consist of digits only",
            "密码不能全部是数字",
        )
    if password.strip() == "":
        return Violation("identity.password_blank", "The password must not be blank", "密码不能为空白")
    if username and password.lower() == username.lower():
        return Violation(
            "identity.password_is_username",
            "The password must not equal the username",
            "密码不能与用户名相同",
        )
    return None


# -- usernames and codes -----------------------------------------------------------------------
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
ROLE_CODE_RE = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")
PERMISSION_RE = re.compile(r"^(\*|[a-z0-9_*]+(\.[a-z0-9_*]+)*)$")


def normalize_username(username: str) -> str:
    return username.strip().lower()


def username_violation(username: str) -> Violation | None:
    """Usernames: 2–64 characters of a–z, 0–9 and ``. _ @ -``, starting with a letter or digit."""
    if not USERNAME_RE.match(username):
        return Violation(
            "identity.bad_username",
            "A username has 2-64 characters: lowercase letters, digits and . _ @ -, "
            "starting with a letter or digit",
            "用户名为 2-64 个字符：小写字母、数字及 . _ @ -，并以字母或数字开头",
        )
    return None


def role_code_violation(code: str) -> Violation | None:
    if not ROLE_CODE_RE.match(code):
        return Violation(
            "identity.bad_role_code",
            "A role code has 2-64 characters: lowercase letters, digits and _ . -, starting with a letter",
            "角色编码为 2-64 个字符：小写字母、数字及 _ . -，并以字母开头",
        )
    return None


# -- permissions -------------------------------------------------------------------------------
def is_pattern(permission: str) -> bool:
    return "*" in permission


def expand_permissions(granted: Iterable[str], known: Iterable[str]) -> frozenset[str]:
    """The permission strings a set of grants amounts to.

    A grant is an exact permission (``inventory.stock.read``), ``*`` (everything; kept as is so
    permissions registered later are covered too), or a pattern such as ``inventory.*`` or
    ``catalog.*.read`` matched against the ``known`` permissions.
    """
    granted = set(granted)
    known = list(known)
    out = {p for p in granted if not is_pattern(p)}
    if "*" in granted:
        out.add("*")
    patterns = [p for p in granted if is_pattern(p) and p != "*"]
    for code in known:
        if any(fnmatchcase(code, p) for p in patterns):
            out.add(code)
    return frozenset(out)


# -- lockout -----------------------------------------------------------------------------------
def is_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and locked_until > now


@dataclass(frozen=True)
class FailureOutcome:
    failed_logins: int
    locked_until: dt.datetime | None

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def after_failed_login(
    failed_logins: int, now: dt.datetime, *, threshold: int, minutes: int
) -> FailureOutcome:
    """One more consecutive failure: lock for ``minutes`` when ``threshold`` is reached.

    The counter restarts once the lock is set, so after the lock expires the user again has
    ``threshold`` attempts.
    """
    failed = failed_logins + 1
    if threshold > 0 and failed >= threshold:
        return FailureOutcome(0, now + dt.timedelta(minutes=minutes))
    return FailureOutcome(failed, None)


# -- tokens ------------------------------------------------------------------------------------
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)


def token_state(expires_at: dt.datetime | None, revoked_at: dt.datetime | None, now: dt.datetime) -> str:
    """``"ok"``, ``"revoked"`` or ``"expired"``."""
    if revoked_at is not None:
        return "revoked"
    if expires_at is not None and expires_at <= now:
        return "expired"
    return "ok"


def should_touch(last_used_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Record a token's use at most once per ``TOKEN_TOUCH_INTERVAL`` (no write per request)."""
    return last_used_at is None or now - last_used_at >= TOKEN_TOUCH_INTERVAL
