"""Time is stored as naive UTC in every database; offsets are applied at the edges."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = dt.UTC


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC).replace(tzinfo=None)


def to_utc(value: dt.datetime) -> dt.datetime:
    """Naive UTC from an aware datetime (naive input is taken to be UTC already)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def business_date(at: dt.datetime) -> dt.date:
    """The calendar day of ``at`` (naive UTC, or aware) in the business's time zone."""
    from omnistock.settings import get_settings

    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(_zone(get_settings().timezone)).date()
