"""Identity HTTP API: sign-in, the current user, users, roles, permissions and API tokens."""

from __future__ import annotations

from fastapi import Depends, Query, Request, Response

from omnistock.identity import schemas
from omnistock.identity import service as identity
from omnistock.platform.auth import Actor, current_actor, requires
from omnistock.platform.http import AreaRouter, unit_of_work
from omnistock.platform.schemas import Page

router = AreaRouter(prefix="/api/v1/identity", tags=["identity"])


@router.post("/login", operation_id="login")
def login(body: schemas.LoginIn, request: Request) -> schemas.LoginOut:
    ip = request.client.host if request.client else None
    # Verify the password (slow by design) before taking the write lock, then record the attempt.
    with unit_of_work(request, identity.ANONYMOUS, readonly=True) as ro:
        checked = identity.check_password(ro.conn, body.username, body.password)
    with unit_of_work(request, identity.ANONYMOUS) as uow:
        result = identity.login(uow, body.username, body.password, ip, checked=checked)
    # Raised only after the commit, so failed attempts (counter, lock, audit) are kept.
    token, expires_at, me = result.unwrap()
    return schemas.LoginOut(access_token=token, expires_at=expires_at, user=schemas.Me.model_validate(me))


@router.post("/logout", status_code=204, operation_id="logout")
def logout(request: Request, actor: Actor = Depends(current_actor)) -> Response:
    with unit_of_work(request, actor) as uow:
        identity.logout(uow)
    return Response(status_code=204)


@router.get("/me", operation_id="getMe")
def me(request: Request, actor: Actor = Depends(current_actor)) -> schemas.Me:
    with unit_of_work(request, actor, readonly=True) as uow:
        return schemas.Me.model_validate(identity.get_me(uow.conn, actor))


@router.get("/users", operation_id="listUsers")
def list_users(
    request: Request,
    q: str | None = Query(None, max_length=64),
    cursor: str | None = Query(None, max_length=512),
    limit: int = Query(50, ge=1, le=500),
    actor: Actor = Depends(requires("identity.user.read")),
) -> Page[schemas.User]:
    with unit_of_work(request, actor, readonly=True) as uow:
        items, nxt = identity.list_users(uow.conn, q=q, cursor=cursor, limit=limit)
    return Page[schemas.User](items=[schemas.User.model_validate(u) for u in items], next_cursor=nxt)


@router.post("/users", status_code=201, operation_id="createUser")
def create_user(
    body: schemas.UserCreate, request: Request, actor: Actor = Depends(requires("identity.user.create"))
) -> schemas.User:
    with unit_of_work(request, actor) as uow:
        user = identity.create_user(
            uow,
            username=body.username,
            password=body.password,
            display_name=body.display_name,
            roles=body.roles,
            scopes=body.scopes,
        )
    return schemas.User.model_validate(user)


@router.get("/users/{user_id}", operation_id="getUser")
def get_user(
    user_id: int, request: Request, actor: Actor = Depends(requires("identity.user.read"))
) -> schemas.User:
    with unit_of_work(request, actor, readonly=True) as uow:
        return schemas.User.model_validate(identity.get_user(uow.conn, user_id))


@router.patch("/users/{user_id}", operation_id="updateUser")
def update_user(
    user_id: int,
    body: schemas.UserUpdate,
    request: Request,
    actor: Actor = Depends(requires("identity.user.update")),
) -> schemas.User:
    with unit_of_work(request, actor) as uow:
        user = identity.update_user(
            uow,
            user_id,
            display_name=body.display_name,
            password=body.password,
            roles=body.roles,
            scopes=body.scopes,
            is_active=body.is_active,
        )
    return schemas.User.model_validate(user)


@router.post("/users/{user_id}/unlock", operation_id="unlockUser")
def unlock_user(
    user_id: int, request: Request, actor: Actor = Depends(requires("identity.user.update"))
) -> schemas.User:
    with unit_of_work(request, actor) as uow:
        return schemas.User.model_validate(identity.unlock_user(uow, user_id))


@router.get("/roles", operation_id="listRoles")
def list_roles(
    request: Request, actor: Actor = Depends(requires("identity.role.read"))
) -> list[schemas.Role]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [schemas.Role.model_validate(r) for r in identity.list_roles(uow.conn)]


@router.post("/roles", status_code=201, operation_id="createRole")
def create_role(
    body: schemas.RoleCreate, request: Request, actor: Actor = Depends(requires("identity.role.manage"))
) -> schemas.Role:
    with unit_of_work(request, actor) as uow:
        role = identity.create_role(
            uow, code=body.code, name=body.name, description=body.description, permissions=body.permissions
        )
    return schemas.Role.model_validate(role)


@router.patch("/roles/{role_id}", operation_id="updateRole")
def update_role(
    role_id: int,
    body: schemas.RoleUpdate,
    request: Request,
    actor: Actor = Depends(requires("identity.role.manage")),
) -> schemas.Role:
    with unit_of_work(request, actor) as uow:
        role = identity.update_role(
            uow, role_id, name=body.name, description=body.description, permissions=body.permissions
        )
    return schemas.Role.model_validate(role)


@router.delete("/roles/{role_id}", status_code=204, operation_id="deleteRole")
def delete_role(
    role_id: int, request: Request, actor: Actor = Depends(requires("identity.role.manage"))
) -> Response:
    with unit_of_work(request, actor) as uow:
        identity.delete_role(uow, role_id)
    return Response(status_code=204)


@router.get("/permissions", operation_id="listPermissions")
def list_permissions(actor: Actor = Depends(requires("identity.role.read"))) -> list[schemas.Permission]:
    return [schemas.Permission(**p) for p in identity.list_permissions()]


@router.get("/tokens", operation_id="listApiTokens")
def list_tokens(
    request: Request, actor: Actor = Depends(requires("identity.token.manage"))
) -> list[schemas.ApiToken]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [schemas.ApiToken.model_validate(t) for t in identity.list_api_tokens(uow.conn, actor)]


@router.post("/tokens", status_code=201, operation_id="createApiToken")
def create_token(
    body: schemas.ApiTokenCreate, request: Request, actor: Actor = Depends(requires("identity.token.manage"))
) -> schemas.NewApiToken:
    with unit_of_work(request, actor) as uow:
        token = identity.create_api_token(uow, name=body.name, expires_in_days=body.expires_in_days)
    return schemas.NewApiToken.model_validate(token)


@router.delete("/tokens/{token_id}", status_code=204, operation_id="revokeApiToken")
def revoke_token(
    token_id: int, request: Request, actor: Actor = Depends(requires("identity.token.manage"))
) -> Response:
    with unit_of_work(request, actor) as uow:
        identity.revoke_api_token(uow, token_id)
    return Response(status_code=204)
