"""Identity API input and output models."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from omnistock.platform.schemas import Input, Output, UtcDateTime

# Naive UTC datetimes leave the API as ISO-8601 with a ``Z``.

Username = Annotated[str, Field(min_length=1, max_length=64)]
DisplayName = Annotated[str, Field(min_length=1, max_length=64)]
Password = Annotated[str, Field(min_length=1, max_length=128)]
Code = Annotated[str, Field(min_length=1, max_length=64)]
Description = Annotated[str, Field(max_length=500)]
ScopeMap = Annotated[
    dict[Annotated[str, Field(max_length=16)], Annotated[list[Code], Field(max_length=1000)]],
    Field(
        description="Data scopes: kind (warehouse | store | channel) -> codes; an absent kind is unrestricted"
    ),
]


class LoginIn(Input):
    username: Username
    password: Annotated[str, Field(max_length=128)]


class Me(Output):
    id: int
    username: str
    display_name: str
    roles: list[str]
    permissions: list[str] = Field(description='Permission strings; "*" means every permission')
    scopes: dict[str, list[str]]


class LoginOut(Output):
    access_token: str
    token_type: str = "bearer"
    expires_at: UtcDateTime
    user: Me


class User(Output):
    id: int
    username: str
    display_name: str
    is_active: bool
    roles: list[str]
    scopes: dict[str, list[str]]
    created_at: UtcDateTime
    last_login_at: UtcDateTime | None
    locked_until: UtcDateTime | None


class UserCreate(Input):
    username: Username
    display_name: DisplayName
    password: Password
    roles: Annotated[list[Code], Field(max_length=100)] = []
    scopes: ScopeMap = {}


class UserUpdate(Input):
    display_name: DisplayName | None = None
    password: Password | None = None
    roles: Annotated[list[Code], Field(max_length=100)] | None = None
    scopes: ScopeMap | None = None
    is_active: bool | None = None


class Role(Output):
    id: int
    code: str
    name: str
    description: str
    permissions: list[str]
    builtin: bool
    user_count: int


PermissionList = Annotated[list[Annotated[str, Field(min_length=1, max_length=128)]], Field(max_length=1000)]


class RoleCreate(Input):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=64)]
    description: Description = ""
    permissions: PermissionList = []


class RoleUpdate(Input):
    name: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    description: Description | None = None
    permissions: PermissionList | None = None


class Permission(Output):
    code: str
    zh: str
    en: str


class ApiToken(Output):
    id: int
    name: str
    prefix: str
    created_at: UtcDateTime
    expires_at: UtcDateTime | None
    last_used_at: UtcDateTime | None
    revoked_at: UtcDateTime | None


class ApiTokenCreate(Input):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        default=90, description="Days until the token expires; null for a token that never expires"
    )


class NewApiToken(ApiToken):
    token: str = Field(description="The token itself; shown only once")
