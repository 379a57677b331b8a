"""Inventory test fixtures and helpers."""

from __future__ import annotations

import datetime as dt
import os

os.environ.setdefault("OMNISTOCK_PASSWORD_HASH_PROFILE", "fast")


T0 = dt.datetime(2026, 1, 1, 9, 0, 0)


def t(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)
