"""Where the PDF font comes from: OMNISTOCK_PDF_FONT, else a known system font, else the
non-embedded STSong-Light with one warning."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from omnistock.platform import pdf


@pytest.fixture(autouse=True)
def _fresh_choice():
    pdf.reset()
    yield
    pdf.reset()
    pdf.register_cjk_font()  # as the rest of the process expects it


def _installed() -> str:
    found = [p for p in pdf.KNOWN_FONTS if Path(p).is_file()]
    if not found:
        pytest.skip("no CJK TrueType font installed (`make test` installs fonts-wqy-microhei)")
    return found[0]


def test_the_configured_font_is_embedded(monkeypatch, tmp_path):
    # A copy elsewhere, so the known paths cannot be what is found.
    custom = tmp_path / "custom.ttc"
    custom.write_bytes(Path(_installed()).read_bytes())
    monkeypatch.setattr(pdf, "KNOWN_FONTS", ())
    monkeypatch.setenv(pdf.FONT_ENV, str(custom))
    assert pdf.register_cjk_font() == pdf.EMBEDDED_FONT


def test_a_missing_configured_font_falls_back_to_the_known_ones(monkeypatch, caplog):
    _installed()
    monkeypatch.setenv(pdf.FONT_ENV, "/nowhere/font.ttf")
    with caplog.at_level(logging.WARNING, logger=pdf.__name__):
        assert pdf.register_cjk_font() == pdf.EMBEDDED_FONT
    assert "/nowhere/font.ttf" in caplog.text


def test_without_any_font_it_is_stsong_light_and_one_warning(monkeypatch, tmp_path, caplog):
    not_a_font = tmp_path / "broken.ttf"
    not_a_font.write_bytes(b"not a font")
    monkeypatch.setattr(pdf, "KNOWN_FONTS", ())
    monkeypatch.setenv(pdf.FONT_ENV, str(not_a_font))
    with caplog.at_level(logging.WARNING, logger=pdf.__name__):
        assert pdf.register_cjk_font() == pdf.FALLBACK_FONT
        assert pdf.register_cjk_font() == pdf.FALLBACK_FONT
    fallback_warnings = [r for r in caplog.records if "No CJK TrueType font" in r.getMessage()]
    assert len(fallback_warnings) == 1
    assert "broken.ttf" in caplog.text
