"""The channels page: a channel's shipment write-back URL set, refused when it is not http(s),
and cleared."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import settle

pytestmark = pytest.mark.e2e


def _edit(page: Page, row, url: str) -> None:
    row.get_by_test_id("channel-writeback").locator(".ant-typography-edit").click()
    box = row.get_by_test_id("channel-writeback").locator("textarea")
    box.fill(url)
    box.press("Enter")


def test_the_write_back_url_of_a_channel(page: Page, login, server):
    code = f"CH-W{uuid.uuid4().hex[:6].upper()}"
    with server.api(server.admin_token()) as api:
        r = api.post("/api/v1/orders/channels", json={"code": code, "name": "回传测试"})
        assert r.status_code == 201, r.text
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.get_by_test_id("menu-orders").click()
    settle(page)  # the group slides open: click its last item once it stands still
    page.get_by_test_id("menu-channels").click()
    expect(page).to_have_url(re.compile(r"/orders/channels"))
    row = page.locator(f"[data-testid=channel-row][data-code='{code}']")
    cell = row.get_by_test_id("channel-writeback")
    expect(cell).to_contain_text("不回传")

    _edit(page, row, "ftp://shop.example.com/hook")
    expect(page.locator(".ant-message")).to_contain_text("回传地址必须是")
    expect(cell).to_contain_text("不回传")

    _edit(page, row, "https://shop.example.com/omnistock/shipments")
    expect(cell).to_contain_text("https://shop.example.com/omnistock/shipments")
    expect(cell).to_contain_text("未设置签名密钥")
    with server.api(server.admin_token()) as api:
        got = {c["code"]: c for c in api.get("/api/v1/orders/channels").json()}
    assert got[code]["writeback_url"] == "https://shop.example.com/omnistock/shipments"

    _edit(page, row, "")
    expect(cell).to_contain_text("不回传")
