"""Pure identity rules (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from omnistock.identity import rules

NOW = dt.datetime(2026, 3, 1, 12, 0, 0)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1!", "identity.password_too_short"),
        ("12345678", "identity.password_all_digits"),
        ("9" * 20, "identity.password_all_digits"),
        ("x" * 129, "identity.password_too_long"),
        ("        ", "identity.password_blank"),
    ],
)
def test_password_policy_refuses(password, code):
    v = rules.password_violation(password)
    assert v is not None and v.code == code
    assert v.en and v.zh and v.zh != v.en


@pytest.mark.parametrize("password", ["abcdefgh", "1234567a", "密码密码密码密码", "Secret#2026", "x" * 128])
def test_password_policy_accepts(password):
    assert rules.password_violation(password) is None


def test_password_must_not_equal_username():
    assert rules.password_violation("Alice2026", username="alice2026").code == "identity.password_is_username"


@pytest.mark.parametrize("name", ["ab", "alice", "li.lei", "wang_wu-1", "ops@shop", "a" * 64, "0day"])
def test_username_ok(name):
    assert rules.username_violation(name) is None


@pytest.mark.parametrize("name", ["a", "", "Alice", "_x", "-x", "a b", "张三", "a" * 65, "x/y"])
def test_username_refused(name):
    assert rules.username_violation(name).code == "identity.bad_username"


def test_normalize_username():
    assert rules.normalize_username("  Alice ") == "alice"


def test_role_code():
    assert rules.role_code_violation("warehouse_sh") is None
    assert rules.role_code_violation("1x") is not None
    assert rules.role_code_violation("Admin") is not None


def test_lockout_counts_then_locks_and_restarts():
    failed, locked = 0, None
    for _ in range(4):
        out = rules.after_failed_login(failed, NOW, threshold=5, minutes=15)
        failed, locked = out.failed_logins, out.locked_until
        assert locked is None
    out = rules.after_failed_login(failed, NOW, threshold=5, minutes=15)
    assert out.locked and out.locked_until == NOW + dt.timedelta(minutes=15)
    assert out.failed_logins == 0


def test_is_locked():
    assert not rules.is_locked(None, NOW)
    assert rules.is_locked(NOW + dt.timedelta(seconds=1), NOW)
    assert not rules.is_locked(NOW, NOW)
    assert not rules.is_locked(NOW - dt.timedelta(minutes=1), NOW)


def test_lockout_disabled_with_zero_threshold():
    assert not rules.after_failed_login(100, NOW, threshold=0, minutes=15).locked


def test_token_state():
    assert rules.token_state(None, None, NOW) == "ok"
    assert rules.token_state(NOW + dt.timedelta(hours=1), None, NOW) == "ok"
    assert rules.token_state(NOW, None, NOW) == "expired"
    assert rules.token_state(NOW + dt.timedelta(hours=1), NOW, NOW) == "revoked"


def test_should_touch_at_most_once_a_minute():
    assert rules.should_touch(None, NOW)
    assert not rules.should_touch(NOW - dt.timedelta(seconds=59), NOW)
    assert rules.should_touch(NOW - dt.timedelta(seconds=60), NOW)


def test_expand_permissions():
    known = ["inventory.stock.read", "inventory.transfer.create", "catalog.sku.read", "catalog.sku.create"]
    got = rules.expand_permissions(["inventory.*", "catalog.*.read", "audit.read"], known)
    assert got == {"inventory.stock.read", "inventory.transfer.create", "catalog.sku.read", "audit.read"}
    assert rules.expand_permissions(["*"], known) == {"*"}
    assert rules.expand_permissions([], known) == frozenset()


def test_rules_module_is_pure():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(rules.__file__).read_text())
    imported = {n.names[0].name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not imported & {"sqlalchemy", "fastapi", "pydantic", "starlette", "omnistock"}
