"""The identity HTTP API, end to end through the real app."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from omnistock.identity import service as identity
from omnistock.identity.models import auth_tokens, roles, user_roles, users
from omnistock.platform.audit import audit_log
from omnistock.platform.auth import Actor
from omnistock.platform.clock import utcnow
from omnistock.platform.uow import UnitOfWork
from tests.identity.helpers import PASSWORD, bearer, count

API = "/api/v1/identity"


def problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code, body
    assert body["status"] == status and body["messages"]["zh-CN"] and body["messages"]["en"]
    return body


def test_login_returns_token_and_me(client, make_user):
    make_user("alice", roles=["viewer"], scopes={"warehouse": ["WH-SH"], "store": ["TM-01"]})
    r = client.post(f"{API}/login", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["access_token"].startswith("oss_")
    assert body["expires_at"].endswith("Z")
    assert body["user"]["username"] == "alice" and body["user"]["roles"] == ["viewer"]
    me = client.get(f"{API}/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["scopes"] == {"warehouse": ["WH-SH"], "store": ["TM-01"]}
    assert set(me.json()) == {"id", "username", "display_name", "roles", "permissions", "scopes"}


def test_wrong_password_and_unknown_user_same_message(client, make_user):
    make_user("bob")
    a = problem(
        client.post(f"{API}/login", json={"username": "bob", "password": "wrong-pass"}),
        401,
        "identity.bad_credentials",
    )
    b = problem(
        client.post(f"{API}/login", json={"username": "ghost", "password": "wrong-pass"}),
        401,
        "identity.bad_credentials",
    )
    assert a["detail"] == b["detail"] == "用户名或密码错误"
    assert a["messages"] == b["messages"]


def test_failed_login_is_audited_and_committed(client, engine, make_user):
    make_user("carol")
    r = client.post(f"{API}/login", json={"username": "carol", "password": "wrong-pass"})
    assert r.status_code == 401
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action == "identity.login_failed")).all()
        failed = conn.execute(select(users.c.failed_logins).where(users.c.username == "carol")).scalar_one()
    assert len(rows) == 1 and rows[0].after["reason"] == "bad_password" and rows[0].actor_name == "anonymous"
    assert "wrong-pass" not in json.dumps(rows[0].after)
    assert failed == 1


def test_lockout_then_admin_unlocks(admin, client, make_user):
    user = make_user("dave")
    for _ in range(5):
        problem(
            client.post(f"{API}/login", json={"username": "dave", "password": "bad-bad-bad"}),
            401,
            "identity.bad_credentials",
        )
    body = problem(
        client.post(f"{API}/login", json={"username": "dave", "password": PASSWORD}), 401, "identity.locked"
    )
    assert body["detail"] != "用户名或密码错误"
    listed = admin.get(f"{API}/users/{user.id}").json()
    assert listed["locked_until"] is not None
    r = admin.post(f"{API}/users/{user.id}/unlock")
    assert r.status_code == 200 and r.json()["locked_until"] is None
    assert client.post(f"{API}/login", json={"username": "dave", "password": PASSWORD}).status_code == 200


def test_disabled_user(admin, client, make_user, login):
    user = make_user("erin")
    token = login("erin")
    r = admin.patch(f"{API}/users/{user.id}", json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    problem(
        client.post(f"{API}/login", json={"username": "erin", "password": PASSWORD}),
        401,
        "identity.user_inactive",
    )
    problem(client.get(f"{API}/me", headers=bearer(token)), 401, "identity.token_invalid")


def test_missing_forged_and_expired_tokens(client, engine, make_user):
    problem(client.get(f"{API}/me"), 401, "auth.missing_token")
    problem(client.get(f"{API}/me", headers=bearer("oss_forged-token")), 401, "identity.token_invalid")
    user = make_user("frank")
    with UnitOfWork(engine, Actor.system("test")) as uow:
        old = identity.issue_session(uow, user.id, expires_at=utcnow() - dt.timedelta(minutes=1))
    problem(client.get(f"{API}/me", headers=bearer(old)), 401, "identity.token_expired")


def test_missing_permission_is_403(client, make_user, login):
    make_user("gina", roles=["viewer"])
    token = login("gina")
    body = problem(client.get(f"{API}/users", headers=bearer(token)), 403, "auth.forbidden")
    assert body["params"]["permission"] == "identity.user.read"
    problem(
        client.post(f"{API}/roles", headers=bearer(token), json={"code": "x1", "name": "x"}),
        403,
        "auth.forbidden",
    )
    problem(client.get("/api/v1/audit", headers=bearer(token)), 403, "auth.forbidden")
    # Authentication alone is enough for /me.
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200


def test_logout_revokes_current_token(client, make_user, login):
    make_user("hank")
    token = login("hank")
    other = login("hank")
    assert client.post(f"{API}/logout", headers=bearer(token)).status_code == 204
    problem(client.get(f"{API}/me", headers=bearer(token)), 401, "identity.token_invalid")
    assert client.get(f"{API}/me", headers=bearer(other)).status_code == 200


def test_api_token_lifecycle(admin, client, engine):
    r = admin.post(f"{API}/tokens", json={"name": "erp", "expires_in_days": 30})
    assert r.status_code == 201, r.text
    new = r.json()
    token = new["token"]
    assert token.startswith("osk_") and new["prefix"] == token[:8] and new["expires_at"].endswith("Z")
    listed = admin.get(f"{API}/tokens").json()
    assert [t["name"] for t in listed] == ["erp"] and "token" not in listed[0]
    with engine.connect() as conn:
        stored = conn.execute(
            select(auth_tokens.c.token_hash).where(auth_tokens.c.id == new["id"])
        ).scalar_one()
    assert stored != token and len(stored) == 64
    assert client.get(f"{API}/users", headers=bearer(token)).status_code == 200
    assert admin.delete(f"{API}/tokens/{new['id']}").status_code == 204
    problem(client.get(f"{API}/users", headers=bearer(token)), 401, "identity.token_invalid")
    problem(admin.delete(f"{API}/tokens/99999"), 404, "token.not_found")


def test_users_crud_and_audit(admin, engine):
    r = admin.post(
        f"{API}/users",
        json={
            "username": "ivy",
            "display_name": "艾薇",
            "password": "Ivy#secret1",
            "roles": ["warehouse"],
            "scopes": {"warehouse": ["WH-SH"]},
        },
    )
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["roles"] == ["warehouse"] and user["scopes"] == {"warehouse": ["WH-SH"]}
    assert set(user) == {
        "id",
        "username",
        "display_name",
        "is_active",
        "roles",
        "scopes",
        "created_at",
        "last_login_at",
        "locked_until",
    }
    r = admin.patch(f"{API}/users/{user['id']}", json={"display_name": "Ivy", "scopes": {"channel": ["JD"]}})
    assert r.status_code == 200 and r.json()["scopes"] == {"channel": ["JD"]}
    assert admin.get(f"{API}/users/{user['id']}").json()["display_name"] == "Ivy"
    problem(admin.get(f"{API}/users/424242"), 404, "user.not_found")
    page = admin.get(f"{API}/users", params={"q": "iv"}).json()
    assert [u["username"] for u in page["items"]] == ["ivy"] and page["next_cursor"] is None
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_log)
            .where(audit_log.c.entity_type == "user", audit_log.c.entity_id == str(user["id"]))
            .order_by(audit_log.c.id)
        ).all()
    assert [r.action for r in rows] == ["identity.user.create", "identity.user.update"]
    assert rows[0].actor_name == "admin" and rows[0].request_id
    assert rows[1].before["display_name"] == "艾薇" and rows[1].after["display_name"] == "Ivy"
    assert "Ivy#secret1" not in json.dumps([r.after for r in rows]) and "argon2" not in json.dumps(
        [r.after for r in rows]
    )


def test_users_paging(admin, make_user):
    for i in range(5):
        make_user(f"p{i}")
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = admin.get(f"{API}/users", params=params).json()
        seen += [u["username"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["admin", "p0", "p1", "p2", "p3", "p4"]
    problem(admin.get(f"{API}/users", params={"cursor": "garbage!"}), 422, "request.bad_cursor")
    problem(admin.get(f"{API}/users", params={"limit": 501}), 422, "request.invalid")


def test_refused_requests_write_nothing(admin, engine):
    tables = (users, user_roles, audit_log, roles)
    before = [count(engine, t) for t in tables]
    # unknown field -> 422, too-long string -> 422, bad password -> 422, unknown role -> 422 after
    # the user row was inserted inside the transaction (rolled back).
    body = {"username": "jack", "display_name": "J", "password": "Jack#pass1", "roles": []}
    problem(admin.post(f"{API}/users", json=body | {"is_admin": True}), 422, "request.invalid")
    long = problem(admin.post(f"{API}/users", json=body | {"display_name": "x" * 65}), 422, "request.invalid")
    assert long["errors"][0]["field"] == "display_name" and long["errors"][0]["type"] == "string_too_long"
    problem(admin.post(f"{API}/users", json=body | {"username": "j" * 65}), 422, "request.invalid")
    problem(admin.post(f"{API}/users", json=body | {"password": "p" * 129}), 422, "request.invalid")
    problem(
        admin.post(f"{API}/users", json=body | {"password": "12345678"}), 422, "identity.password_all_digits"
    )
    problem(
        admin.post(f"{API}/users", json=body | {"roles": ["viewer", "nope"]}), 422, "identity.unknown_role"
    )
    problem(
        admin.post(f"{API}/users", json=body | {"scopes": {"galaxy": ["X"]}}), 422, "identity.bad_scope_kind"
    )
    problem(
        admin.post(
            f"{API}/users", content=b'{"username": "jack",', headers={"content-type": "application/json"}
        ),
        400,
        "request.malformed_json",
    )
    assert [count(engine, t) for t in tables] == before
    problem(admin.post(f"{API}/users", json=body | {"username": "admin"}), 409, "identity.username_taken")
    assert [count(engine, t) for t in tables] == before


def test_unknown_field_in_login_is_422(client):
    body = problem(
        client.post(f"{API}/login", json={"username": "a", "password": "b", "remember": True}),
        422,
        "request.invalid",
    )
    assert body["errors"][0]["field"] == "remember" and body["errors"][0]["type"] == "extra_forbidden"


def test_roles_crud_and_builtin_protection(admin, make_user):
    listed = admin.get(f"{API}/roles").json()
    codes = {r["code"] for r in listed}
    assert {"admin", "warehouse", "merchandiser", "finance", "viewer"} <= codes
    adm = next(r for r in listed if r["code"] == "admin")
    assert adm["builtin"] and adm["permissions"] == ["*"] and adm["user_count"] == 1
    r = admin.post(
        f"{API}/roles",
        json={
            "code": "auditor",
            "name": "审计员",
            "description": "reads the log",
            "permissions": ["audit.read", "identity.user.read"],
        },
    )
    assert r.status_code == 201, r.text
    role = r.json()
    assert role["builtin"] is False and role["user_count"] == 0
    problem(
        admin.post(f"{API}/roles", json={"code": "auditor", "name": "again"}), 409, "identity.role_exists"
    )
    problem(
        admin.post(f"{API}/roles", json={"code": "x2", "name": "x", "permissions": ["made.up"]}),
        422,
        "identity.unknown_permission",
    )
    r = admin.patch(f"{API}/roles/{role['id']}", json={"permissions": ["audit.read"]})
    assert r.status_code == 200 and r.json()["permissions"] == ["audit.read"]
    make_user("kate", roles=["auditor"])
    problem(admin.delete(f"{API}/roles/{role['id']}"), 409, "identity.role_in_use")
    problem(admin.delete(f"{API}/roles/{adm['id']}"), 409, "identity.builtin_role")
    problem(admin.patch(f"{API}/roles/{adm['id']}", json={"permissions": []}), 409, "identity.builtin_role")
    viewer = next(r for r in listed if r["code"] == "viewer")
    problem(admin.delete(f"{API}/roles/{viewer['id']}"), 409, "identity.builtin_role")
    r = admin.post(f"{API}/roles", json={"code": "temp", "name": "临时"})
    assert admin.delete(f"{API}/roles/{r.json()['id']}").status_code == 204
    problem(admin.delete(f"{API}/roles/{r.json()['id']}"), 404, "role.not_found")


def test_permissions_list(admin):
    perms = admin.get(f"{API}/permissions").json()
    codes = {p["code"] for p in perms}
    assert {
        "identity.user.read",
        "identity.user.create",
        "identity.user.update",
        "identity.role.read",
        "identity.role.manage",
        "identity.token.manage",
        "audit.read",
    } <= codes
    assert all(p["zh"] and p["en"] for p in perms)


def test_scoped_user_me_and_role_permissions(client, make_user, login):
    make_user("leo", roles=["finance"], scopes={"warehouse": ["WH-BJ"], "channel": ["TMALL", "JD"]})
    me = client.get(f"{API}/me", headers=bearer(login("leo"))).json()
    assert me["scopes"] == {"warehouse": ["WH-BJ"], "channel": ["JD", "TMALL"]}
    assert "audit.read" in me["permissions"] and "identity.user.read" not in me["permissions"]


def test_english_problem_detail(client):
    r = client.post(
        f"{API}/login",
        json={"username": "ghost", "password": "x"},
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    assert r.json()["detail"] == "Wrong username or password"


def test_openapi_operation_ids(client):
    ops = {
        op["operationId"]
        for path, item in client.get("/api/openapi.json").json()["paths"].items()
        if path.startswith(API) or path.startswith("/api/v1/audit")
        for op in item.values()
    }
    assert {
        "login",
        "logout",
        "getMe",
        "listUsers",
        "createUser",
        "getUser",
        "updateUser",
        "unlockUser",
        "listRoles",
        "createRole",
        "updateRole",
        "deleteRole",
        "listPermissions",
        "listApiTokens",
        "createApiToken",
        "revokeApiToken",
        "searchAudit",
    } <= ops
