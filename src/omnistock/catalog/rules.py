"""Pure catalog rules: what a valid SKU is."""

from __future__ import annotations

import re

COST_METHODS = ("average", "fifo")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")


def check_code(code: object) -> str | None:
    """None when ``code`` is a usable SKU/warehouse code, else the English reason."""
    if not isinstance(code, str) or not CODE_RE.match(code):
        return "codes are 1-64 letters, digits or . _ - /, starting with a letter or digit"
    return None
