"""Identity use cases against a real database."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from omnistock.identity import service as identity
from omnistock.identity.models import auth_tokens, roles, user_roles, users
from omnistock.platform.audit import audit_log
from omnistock.platform.auth import Actor
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict, Invalid, NotFound, Unauthorized
from omnistock.platform.uow import UnitOfWork
from tests.identity.helpers import PASSWORD, count


def uow(engine, actor=None):
    return UnitOfWork(engine, actor or Actor.system("test"))


def do_login(engine, username, password=PASSWORD):
    with uow(engine, identity.ANONYMOUS) as u:
        return identity.login(u, username, password, "127.0.0.1")


def audit_rows(engine, action):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(audit_log).where(audit_log.c.action == action))]


def test_default_hash_profile_is_argon2_recommended():
    assert identity._hasher_for("default").time_cost == PasswordHasher().time_cost
    assert identity._hasher_for("default").memory_cost == PasswordHasher().memory_cost
    assert identity.hash_password("abcdefgh1").startswith("$argon2id$")


def test_password_stored_as_argon2_and_never_audited(engine, make_user):
    user = make_user("alice", roles=["viewer"], scopes={"warehouse": ["WH-SH"]})
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.id == user.id)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    rows = audit_rows(engine, "identity.user.create")
    assert len(rows) == 1
    row = rows[0]
    assert row["before"] is None
    assert row["after"]["username"] == "alice" and row["after"]["roles"] == ["viewer"]
    assert row["after"]["scopes"] == {"warehouse": ["WH-SH"]}
    dumped = json.dumps(row, default=str)
    assert PASSWORD not in dumped and "argon2" not in dumped and "password_hash" not in dumped


def test_login_ok_returns_session_and_me(engine, make_user):
    make_user("bob", roles=["warehouse"], scopes={"warehouse": ["WH-SH", "WH-BJ"], "channel": ["TMALL"]})
    result = do_login(engine, "BOB")  # usernames are case-insensitive
    token, expires_at, me = result.unwrap()
    assert token.startswith("oss_") and expires_at > utcnow()
    assert me.username == "bob" and me.roles == ["warehouse"]
    assert me.scopes == {"channel": ["TMALL"], "warehouse": ["WH-BJ", "WH-SH"]}
    with engine.connect() as conn:
        row = conn.execute(select(auth_tokens)).one()
    assert row.token_hash != token and len(row.token_hash) == 64 and row.prefix == token[:8]
    actor = identity.authenticate_token(engine, token)
    assert actor.username == "bob" and actor.scopes["warehouse"] == frozenset({"WH-SH", "WH-BJ"})
    assert actor.can_access("warehouse", "WH-SH") and not actor.can_access("warehouse", "WH-GZ")
    assert actor.can_access("store", "anything")  # absent kind = unrestricted


def test_wrong_password_and_unknown_user_look_the_same(engine, make_user):
    make_user("carol")
    bad = do_login(engine, "carol", "wrong-password")
    unknown = do_login(engine, "nobody", "wrong-password")
    assert not bad.ok and not unknown.ok
    assert bad.error.code == unknown.error.code == "identity.bad_credentials"
    assert bad.error.zh == unknown.error.zh == "用户名或密码错误"
    failed = audit_rows(engine, "identity.login_failed")
    assert {r["after"]["reason"] for r in failed} == {"bad_password", "unknown_user"}
    assert all("wrong-password" not in json.dumps(r, default=str) for r in failed)


def test_lockout_after_threshold_then_unlock(engine, make_user):
    user = make_user("dave")
    for _ in range(5):
        assert do_login(engine, "dave", "nope-nope").error.code == "identity.bad_credentials"
    locked = do_login(engine, "dave")  # even the right password is refused while locked
    assert locked.error.code == "identity.locked"
    with engine.connect() as conn:
        assert conn.execute(select(users.c.locked_until).where(users.c.id == user.id)).scalar_one() > utcnow()
    with uow(engine) as u:
        after = identity.unlock_user(u, user.id)
    assert after.locked_until is None
    assert do_login(engine, "dave").ok
    assert audit_rows(engine, "identity.user.unlock")


def test_success_resets_failure_counter(engine, make_user):
    make_user("erin")
    for _ in range(4):
        do_login(engine, "erin", "nope-nope")
    assert do_login(engine, "erin").ok
    for _ in range(4):
        do_login(engine, "erin", "nope-nope")
    assert do_login(engine, "erin").ok  # 4 + 4 failures, never 5 in a row


def test_disabled_user_cannot_sign_in_and_tokens_stop(engine, make_user):
    user = make_user("frank")
    token = do_login(engine, "frank").unwrap()[0]
    with uow(engine) as u:
        identity.update_user(u, user.id, is_active=False)
    assert do_login(engine, "frank").error.code == "identity.user_inactive"
    assert do_login(engine, "frank", "wrong-one1").error.code == "identity.bad_credentials"
    with pytest.raises(Unauthorized) as e:
        identity.authenticate_token(engine, token)
    assert e.value.code == "identity.token_invalid"


def test_expired_forged_and_revoked_tokens(engine, make_user):
    user = make_user("gina")
    with uow(engine) as u:
        old = identity.issue_session(u, user.id, expires_at=utcnow() - dt.timedelta(seconds=1))
    with pytest.raises(Unauthorized) as e:
        identity.authenticate_token(engine, old)
    assert e.value.code == "identity.token_expired"
    for forged in ["oss_forged", "x" * 300, old + "x"]:
        with pytest.raises(Unauthorized) as e:
            identity.authenticate_token(engine, forged)
        assert e.value.code == "identity.token_invalid"
    token = do_login(engine, "gina").unwrap()[0]
    actor = identity.authenticate_token(engine, token)
    with uow(engine, actor) as u:
        identity.logout(u)
    with pytest.raises(Unauthorized):
        identity.authenticate_token(engine, token)


def test_last_used_at_written_at_most_once_a_minute(engine, make_user):
    make_user("hank")
    token = do_login(engine, "hank").unwrap()[0]
    identity.authenticate_token(engine, token)
    with engine.connect() as conn:
        first = conn.execute(select(auth_tokens.c.last_used_at)).scalar_one()
    assert first is not None
    identity.authenticate_token(engine, token)
    with engine.connect() as conn:
        assert conn.execute(select(auth_tokens.c.last_used_at)).scalar_one() == first
    with engine.begin() as conn:
        conn.execute(update(auth_tokens).values(last_used_at=first - dt.timedelta(minutes=2)))
    identity._authenticated.clear()  # as if AUTH_TTL seconds had passed
    identity.authenticate_token(engine, token)
    with engine.connect() as conn:
        assert conn.execute(select(auth_tokens.c.last_used_at)).scalar_one() > first - dt.timedelta(minutes=2)


def _reads(engine):
    """Count the statements ``engine`` runs (a list that grows)."""
    from sqlalchemy import event

    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_authentication_is_remembered_briefly_and_forgotten_on_change(engine, make_user):
    """Who a token is, is read once per AUTH_TTL; every change that could alter the answer
    (role permissions, the user's roles, disabling, revoking, signing out) is seen at once by the
    process that makes it."""
    make_user("ivy", roles=["viewer"])
    token = do_login(engine, "ivy").unwrap()[0]
    first = identity.authenticate_token(engine, token)
    seen = _reads(engine)
    assert identity.authenticate_token(engine, token) == first
    assert seen == []  # no database work: the answer was remembered
    with engine.connect() as conn:
        viewer = conn.execute(select(roles).where(roles.c.code == "viewer")).one()
    with uow(engine) as u:
        identity.update_role(u, viewer.id, permissions=[*viewer.permissions, "audit.read"])
    assert identity.authenticate_token(engine, token).has("audit.read")
    user_id = first.user_id
    with uow(engine) as u:
        identity.update_user(u, user_id, roles=[])
    assert not identity.authenticate_token(engine, token).has("audit.read")
    with uow(engine, identity.authenticate_token(engine, token)) as u:
        identity.logout(u)
    with pytest.raises(Unauthorized):
        identity.authenticate_token(engine, token)


def test_a_change_rolled_back_leaves_the_remembered_answer_right(engine, make_user):
    make_user("jon", roles=["viewer"])
    token = do_login(engine, "jon").unwrap()[0]
    actor = identity.authenticate_token(engine, token)
    with pytest.raises(RuntimeError), uow(engine) as u:
        identity.update_user(u, actor.user_id, is_active=False)
        identity.authenticate_token(engine, token)  # another request meanwhile: sees the old row
        raise RuntimeError("rolled back")
    assert identity.authenticate_token(engine, token).user_id == actor.user_id


def test_a_remembered_token_still_expires(engine, make_user, monkeypatch):
    user = make_user("kim")
    with uow(engine) as u:
        token = identity.issue_session(u, user.id, expires_at=utcnow() + dt.timedelta(minutes=5))
    identity.authenticate_token(engine, token)
    later = utcnow() + dt.timedelta(minutes=6)
    monkeypatch.setattr(identity, "utcnow", lambda: later)
    with pytest.raises(Unauthorized) as e:
        identity.authenticate_token(engine, token)
    assert e.value.code == "identity.token_expired"


def test_the_event_loop_answer_needs_a_token_seen_lately(engine, make_user, monkeypatch):
    """``authenticate_token_cached`` (what the API tries first, on the event loop) never reads the
    database: it knows a token only after ``authenticate_token`` has read it, forgets it when the
    user signs out, and still refuses it once it has expired."""
    user = make_user("lea")
    with uow(engine) as u:
        token = identity.issue_session(u, user.id, expires_at=utcnow() + dt.timedelta(minutes=5))
    assert identity.authenticate_token_cached(engine, token) is None
    assert identity.authenticate_token_cached(engine, "x" * 300) is None
    actor = identity.authenticate_token(engine, token)
    seen = _reads(engine)
    assert identity.authenticate_token_cached(engine, token) == actor
    assert seen == []
    later = utcnow() + dt.timedelta(minutes=6)
    monkeypatch.setattr(identity, "utcnow", lambda: later)
    with pytest.raises(Unauthorized) as e:
        identity.authenticate_token_cached(engine, token)
    assert e.value.code == "identity.token_expired"
    monkeypatch.undo()
    with uow(engine, actor) as u:
        identity.logout(u)
    assert identity.authenticate_token_cached(engine, token) is None
    with pytest.raises(Unauthorized):
        identity.authenticate_token(engine, token)


def test_permissions_expand_patterns(engine, make_user):
    from omnistock.platform.permissions import register

    register(("inventory.testonly.create", "测试", "Test"), ("catalog.testonly.read", "测试", "Test"))
    make_user("ivy", roles=["warehouse"])
    actor = identity.authenticate_token(engine, do_login(engine, "ivy").unwrap()[0])
    assert actor.has("inventory.testonly.create") and actor.has("catalog.testonly.read")
    assert not actor.has("identity.user.create") and "*" not in actor.permissions


def test_admin_has_everything(engine, make_user):
    make_user("root", roles=[identity.ADMIN_ROLE])
    actor = identity.authenticate_token(engine, do_login(engine, "root").unwrap()[0])
    assert actor.has("anything.at.all")


def test_create_user_validation(engine, make_user):
    make_user("jack")
    with pytest.raises(Conflict):
        make_user("JACK")
    with pytest.raises(Invalid) as e:
        make_user("kate", password="12345678")
    assert e.value.code == "identity.password_all_digits"
    with pytest.raises(Invalid) as e:
        make_user("kate", roles=["no_such_role"])
    assert e.value.code == "identity.unknown_role"
    with pytest.raises(Invalid) as e:
        make_user("kate", scopes={"planet": ["MARS"]})
    assert e.value.code == "identity.bad_scope_kind"
    with pytest.raises(Invalid):
        make_user("K A T E")
    assert count(engine, users) == 1  # nothing half-written


def test_update_user_audited_and_password_change_revokes_sessions(engine, make_user):
    user = make_user("leo", roles=["viewer"])
    token = do_login(engine, "leo").unwrap()[0]
    with uow(engine) as u:
        after = identity.update_user(
            u,
            user.id,
            display_name="Leo L",
            password="NewSecret#1",
            roles=["finance"],
            scopes={"store": ["S1"]},
        )
    assert after.display_name == "Leo L" and after.roles == ["finance"] and after.scopes == {"store": ["S1"]}
    with pytest.raises(Unauthorized):
        identity.authenticate_token(engine, token)
    assert do_login(engine, "leo", "NewSecret#1").ok
    (row,) = audit_rows(engine, "identity.user.update")
    assert row["before"]["roles"] == ["viewer"] and row["after"]["roles"] == ["finance"]
    assert row["after"]["password_changed"] is True
    assert "NewSecret#1" not in json.dumps(row, default=str)


def test_last_admin_cannot_be_removed(engine, make_user):
    admin = make_user("boss", roles=[identity.ADMIN_ROLE])
    with pytest.raises(Conflict) as e, uow(engine) as u:
        identity.update_user(u, admin.id, is_active=False)
    assert e.value.code == "identity.last_admin"
    make_user("boss2", roles=[identity.ADMIN_ROLE])
    with uow(engine) as u:
        assert identity.update_user(u, admin.id, roles=["viewer"]).roles == ["viewer"]


def test_list_users_cursor_paging_and_search(engine, make_user):
    for i in range(7):
        make_user(f"user{i}", display_name=f"员工{i}")
    make_user("zhang_san", display_name="张三")
    with uow(engine) as u:  # seeded by the migration; PostgreSQL test runs truncate every table
        identity.ensure_builtin_roles(u)
    seen, cursor = [], None
    with engine.connect() as conn:
        while True:
            page, cursor = identity.list_users(conn, cursor=cursor, limit=3)
            seen += [u.username for u in page]
            if not cursor:
                break
        assert seen == [f"user{i}" for i in range(7)] + ["zhang_san"]
        assert [u.username for u in identity.list_users(conn, q="张")[0]] == ["zhang_san"]
        assert [u.username for u in identity.list_users(conn, q="SAN")[0]] == ["zhang_san"]
        assert identity.list_users(conn, q="%")[0] == []
        assert identity.count_users(conn) == 8
        assert identity.count_roles(conn) == len(identity.BUILTIN_ROLES)


def test_roles_crud_and_builtin_protection(engine, make_user):
    with uow(engine) as u:
        role = identity.create_role(
            u, code="packer", name="打包员", description="packs", permissions=["inventory.*", "audit.read"]
        )
    assert role.user_count == 0 and not role.builtin
    with pytest.raises(Invalid) as e, uow(engine) as u:
        identity.create_role(u, code="bad", name="x", permissions=["no.such.permission"])
    assert e.value.code == "identity.unknown_permission"
    with pytest.raises(Conflict), uow(engine) as u:
        identity.create_role(u, code="packer", name="again")
    make_user("mia", roles=["packer"])
    with pytest.raises(Conflict) as e, uow(engine) as u:
        identity.delete_role(u, role.id)
    assert e.value.code == "identity.role_in_use"
    with engine.begin() as conn:
        conn.execute(user_roles.delete())
    with uow(engine) as u:
        assert identity.update_role(u, role.id, name="打包").name == "打包"
        identity.delete_role(u, role.id)
    with engine.connect() as conn:
        admin_id = conn.execute(select(roles.c.id).where(roles.c.code == "admin")).scalar_one()
        with pytest.raises(NotFound):
            identity.get_role(conn, role.id)
    with pytest.raises(Conflict) as e, uow(engine) as u:
        identity.delete_role(u, admin_id)
    assert e.value.code == "identity.builtin_role"
    with pytest.raises(Conflict), uow(engine) as u:
        identity.update_role(u, admin_id, permissions=["audit.read"])
    actions = [r["action"] for r in audit_rows(engine, "identity.role.delete")]
    assert actions == ["identity.role.delete"]


def test_ensure_builtin_roles_is_idempotent(engine):
    with engine.begin() as conn:
        conn.execute(roles.delete().where(roles.c.code == "viewer"))
    with uow(engine) as u:
        identity.ensure_builtin_roles(u)
        identity.ensure_builtin_roles(u)
    with engine.connect() as conn:
        codes = sorted(conn.execute(select(roles.c.code)).scalars())
    assert codes == sorted(identity.BUILTIN_CODES)


def test_api_tokens(engine, make_user):
    user = make_user("nina", roles=["viewer"])
    actor = Actor(user_id=user.id, username="nina")
    with uow(engine, actor) as u:
        new = identity.create_api_token(u, name="erp sync", expires_in_days=30)
    assert new.token.startswith("osk_") and new.prefix == new.token[:8]
    assert identity.authenticate_token(engine, new.token).username == "nina"
    with engine.connect() as conn:
        listed = identity.list_api_tokens(conn, actor)
    assert [t.name for t in listed] == ["erp sync"] and not hasattr(listed[0], "token")
    rows = audit_rows(engine, "identity.token.create")
    assert new.token not in json.dumps(rows, default=str)
    other = make_user("omar")
    with pytest.raises(NotFound), uow(engine, Actor(user_id=other.id, username="omar")) as u:
        identity.revoke_api_token(u, new.id)
    with uow(engine, actor) as u:
        identity.revoke_api_token(u, new.id)
    with pytest.raises(Unauthorized):
        identity.authenticate_token(engine, new.token)


def test_failed_login_is_kept_only_when_caller_commits(engine, make_user):
    make_user("pete")
    before = count(engine, audit_log)
    do_login(engine, "pete", "wrong-wrong")
    assert count(engine, audit_log) == before + 1
    with engine.connect() as conn:
        assert conn.execute(select(users.c.failed_logins).where(users.c.username == "pete")).scalar_one() == 1


def test_login_trusts_a_precheck_only_for_the_same_hash(engine, make_user):
    user = make_user("quinn")
    with engine.connect() as conn:
        good = identity.check_password(conn, "quinn", PASSWORD)
        bad = identity.check_password(conn, "Quinn", "wrong-wrong")
        ghost = identity.check_password(conn, "ghost", PASSWORD)
    assert good.ok and not bad.ok and not ghost.ok
    with uow(engine, identity.ANONYMOUS) as u:
        assert identity.login(u, "quinn", PASSWORD, checked=good).ok
    with uow(engine, identity.ANONYMOUS) as u:
        assert identity.login(u, "quinn", "wrong-wrong", checked=bad).error.code == "identity.bad_credentials"
    # The password changed between the check and the login: the stale check is ignored.
    with uow(engine) as u:
        identity.update_user(u, user.id, password="Changed#2026")
    with uow(engine, identity.ANONYMOUS) as u:
        assert not identity.login(u, "quinn", PASSWORD, checked=good).ok
