"""The font every printed document (PDF) uses for Chinese text, embedded in the file.

One function for every area::

    from omnistock.platform.pdf import register_cjk_font

    FONT = register_cjk_font()  # a reportlab font name: use it in setFont / ParagraphStyle

It registers, once per process, a CJK TrueType font with reportlab and returns its name. The
font is subset-embedded in each PDF (only the glyphs used, as ``FontFile2``), so Chinese prints
on any viewer or printer, with or without CJK fonts of its own. Where the font comes from:

1. ``OMNISTOCK_PDF_FONT`` (environment or ``.env``): the path of a TrueType font, ``.ttf`` or a
   ``.ttc`` collection (its first face). TrueType outlines only — reportlab cannot embed
   CFF-based OpenType (``.otf``, Noto CJK);
2. the first of ``KNOWN_FONTS`` that exists: Debian's ``fonts-wqy-microhei`` (what ``make test``
   installs), ``fonts-wqy-zenhei``, ``fonts-droid-fallback``, and Windows' 微软雅黑 / 宋体.

When neither gives a usable font, it falls back to the Adobe CID font ``STSong-Light`` (no font
file, not embedded: a machine without a CJK font then shows no Chinese) and logs a warning once.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

FONT_ENV = "OMNISTOCK_PDF_FONT"
EMBEDDED_FONT = "OmniStockCJK"  # the reportlab name of the embedded font
FALLBACK_FONT = "STSong-Light"
KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)

_lock = threading.Lock()
_chosen: str | None = None


def _configured() -> str | None:
    """``OMNISTOCK_PDF_FONT`` from the environment, else from the settings (``.env``)."""
    value = os.environ.get(FONT_ENV)
    if value is None:
        from omnistock.settings import get_settings

        value = get_settings().pdf_font
    return value.strip() or None if value else None


def _load(path: str) -> TTFont | None:
    """The font at ``path`` (a ``.ttc``: its first face), or None with a warning why not."""
    try:
        if path.lower().endswith(".ttc"):
            return TTFont(EMBEDDED_FONT, path, subfontIndex=0)
        return TTFont(EMBEDDED_FONT, path)
    except (OSError, TTFError) as exc:
        log.warning("PDF font %s is not usable: %s", path, exc)
        return None


def register_cjk_font() -> str:
    """Register the CJK font for PDFs (once) and return its reportlab name (see the module)."""
    global _chosen
    with _lock:
        if _chosen is not None:
            return _chosen
        configured = _configured()
        candidates = ([configured] if configured else []) + [p for p in KNOWN_FONTS if Path(p).is_file()]
        if configured and not Path(configured).is_file():
            log.warning("%s=%s: no such file", FONT_ENV, configured)
            candidates.remove(configured)
        for path in candidates:
            font = _load(path)
            if font is not None:
                pdfmetrics.registerFont(font)
                log.info("PDF font: %s (embedded)", path)
                _chosen = EMBEDDED_FONT
                return _chosen
        log.warning(
            "No CJK TrueType font found (set %s, or install fonts-wqy-microhei): PDFs use %s, "
            "which is not embedded, so Chinese shows only where the viewer has a CJK font",
            FONT_ENV,
            FALLBACK_FONT,
        )
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
        _chosen = FALLBACK_FONT
        return _chosen


def reset() -> None:
    """Forget the choice, so the next ``register_cjk_font`` looks again (for tests)."""
    global _chosen
    with _lock:
        _chosen = None
