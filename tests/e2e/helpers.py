"""Helpers shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page


def settle(page: Page) -> None:
    """Wait until no Ant Design enter/appear animation runs (a modal zooming in, a dropdown
    sliding down): a click on a moving element can land on whatever slides under it."""
    page.wait_for_function("() => !document.querySelector('[class*=-enter-active], [class*=-appear-active]')")
