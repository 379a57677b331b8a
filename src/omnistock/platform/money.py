"""Money is an integer number of cents. These convert at the edges, never through floats."""

from __future__ import annotations

import re

from omnistock.platform.errors import Invalid

MONEY_RE = re.compile(r"^([0-9]+)(?:\.([0-9]{1,2}))?$")


def parse_money(text: object, field: str = "amount") -> int:
    """``"59.9"`` -> 5990. Only plain non-negative decimals with at most two places."""
    m = MONEY_RE.match(text) if isinstance(text, str) else None
    if m is None:
        raise Invalid(
            "money.invalid",
            "{field} must be an amount like 59.90 (got {value})",
            "{field} 必须是形如 59.90 的金额（收到 {value}）",
            field=field,
            value=repr(text)[:40],
        )
    whole, frac = m.group(1), (m.group(2) or "")
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)


def format_cents(cents: int) -> str:
    """5990 -> ``"59.90"``; -17647 -> ``"-176.47"``."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"
