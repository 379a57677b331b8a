"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
import json
from typing import Any

from omnistock.platform.errors import Invalid


def encode_cursor(values: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(value, dict):
            raise ValueError
        return value
    except (ValueError, json.JSONDecodeError) as exc:
        raise Invalid("request.bad_cursor", "The page cursor is not valid", "分页游标无效") from exc


def after_id(cursor: str | None) -> int | None:
    """The id a ``{"id": n}`` cursor points past (lists ordered by id, newest first), or None."""
    after = decode_cursor(cursor)
    if not after:
        return None
    value = after.get("id")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
        raise Invalid("request.bad_cursor", "The page cursor is not valid", "分页游标无效")
    return value


# The largest id a client may send (and a browser can hold exactly): bigger ones are refused as input.
MAX_ID = 2**53 - 1
