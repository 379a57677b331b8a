"""Catalog test fixtures: an empty media directory per test, the service as a system actor,
and API clients for the built-in roles."""

from __future__ import annotations

import pytest

from omnistock.settings import get_settings


@pytest.fixture(autouse=True)
def media_dir(tmp_path, monkeypatch):
    """Uploaded images go to this test's own directory."""
    path = tmp_path / "media"
    monkeypatch.setenv("OMNISTOCK_MEDIA_DIR", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()
