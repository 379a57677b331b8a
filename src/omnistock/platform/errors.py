"""Errors that reach a person: a stable machine ``code`` and a message in zh-CN and en.

Services raise these; the API turns them into ``application/problem+json`` (RFC 9457) and the CLI
prints them. Nothing half-done survives one: the unit of work rolls the transaction back.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400

    def __init__(self, code: str, en: str, zh: str, /, *, status: int | None = None, **params: Any):
        self.code = code
        self.params = params
        self.en = en.format(**params) if params else en
        self.zh = zh.format(**params) if params else zh
        if status is not None:
            self.status = status
        super().__init__(f"{code}: {self.en}")

    def message(self, lang: str = "zh-CN") -> str:
        return self.en if lang.lower().startswith("en") else self.zh

    def problem(self, lang: str = "zh-CN") -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://omnistock.dev/problems/{self.code}",
            "title": self.en,
            "status": self.status,
            "code": self.code,
            "detail": self.message(lang),
            "messages": {"zh-CN": self.zh, "en": self.en},
        }
        extra = {k: v for k, v in self.params.items() if isinstance(v, str | int | bool | list | None)}
        if extra:
            body["params"] = extra
        return body


class Invalid(AppError):
    """The input breaks a rule (unknown code, bad quantity, duplicate reference, ...)."""

    status = 422


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    """The input is well formed but the current state forbids it (illegal transition, no stock)."""

    status = 409


class Unauthorized(AppError):
    status = 401


class Forbidden(AppError):
    status = 403


def not_found(entity: str, key: Any, *, zh: str | None = None) -> NotFound:
    """``entity`` names the thing in English (``stock_document``); ``zh`` in Chinese (库存单据)."""
    return NotFound(
        f"{entity}.not_found",
        "{entity} {key} does not exist",
        "{label} {key} 不存在",
        entity=entity,
        label=zh or entity,
        key=str(key),
    )
