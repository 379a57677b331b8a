"""The registry of permission strings. Each area registers its own at import time.

A permission is ``<area>.<object>.<action>`` (``inventory.transfer.create``); roles grant them,
and ``*`` grants everything (the built-in administrator role).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permission:
    code: str
    zh: str
    en: str


REGISTRY: dict[str, Permission] = {}


def register(*perms: tuple[str, str, str]) -> None:
    for code, zh, en in perms:
        REGISTRY[code] = Permission(code, zh, en)


def all_permissions() -> list[Permission]:
    return sorted(REGISTRY.values(), key=lambda p: p.code)
