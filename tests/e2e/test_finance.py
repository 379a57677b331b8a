"""Finance in the browser: a manual journal entry made through the form (pending), approved in its
drawer and then in the trial balance of the month (balanced, with its account detail and Excel
export); an unbalanced entry refused with the server's message and nothing created; a past period
closed and reopened on the period-close page."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.e2e.helpers import settle
from tests.e2e.test_inventory_documents import _pick

pytestmark = pytest.mark.e2e


def _open(page: Page, item: str, url: str) -> None:
    """Open a page of the 财务 menu group (the group opens by itself only on finance pages)."""
    if not page.get_by_test_id(item).is_visible():
        page.get_by_test_id("menu-finance").click()
        settle(page)  # the group slides open: click its item once it stands still
    page.get_by_test_id(item).click()
    expect(page).to_have_url(re.compile(url))


def _entries(server, **query) -> list[dict]:
    with server.api(server.admin_token()) as api:
        r = api.get("/api/v1/finance/entries", params={"limit": 200, **query})
        assert r.status_code == 200, r.text
        return r.json()["items"]


def _close_drawer(page: Page, drawer) -> None:
    page.locator(".ant-drawer-open .ant-drawer-close").click()
    expect(drawer).to_be_hidden()
    settle(page)


def _fill_entry(page: Page, memo: str, debit: str, credit: str) -> None:
    """The new-entry form: 6602 管理费用 debited, 1002 银行存款 credited."""
    page.get_by_test_id("je-new").click()
    settle(page)
    expect(page.get_by_test_id("je-form")).to_be_visible()
    page.get_by_test_id("je-memo").fill(memo)
    _pick(page, page.get_by_test_id("je-line-account-0"), "6602 管理费用", typed="6602")
    page.get_by_test_id("je-line-debit-0").fill(debit)
    _pick(page, page.get_by_test_id("je-line-account-1"), "1002 银行存款", typed="1002")
    page.get_by_test_id("je-line-credit-1").fill(credit)


def test_manual_entry_approved_and_in_the_trial_balance(page: Page, login, server):
    memo = f"E2E 办公费 {uuid.uuid4().hex[:6]}"
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    _open(page, "menu-journal", r"/finance/journal")
    expect(page.get_by_test_id("je-table")).to_be_visible()

    _fill_entry(page, memo, "500.00", "500")
    expect(page.get_by_test_id("je-total-debit")).to_have_text("¥500.00")
    expect(page.get_by_test_id("je-total-credit")).to_have_text("¥500.00")
    expect(page.get_by_test_id("je-unbalanced")).to_have_count(0)
    page.get_by_test_id("je-save").click()

    # Saved: pending approval, counted in no balance yet; its drawer opens.
    drawer = page.get_by_test_id("je-drawer")
    expect(drawer.get_by_test_id("je-status-pending")).to_be_visible()
    expect(drawer.get_by_test_id("je-lines")).to_contain_text("6602 管理费用")
    expect(drawer.get_by_test_id("je-lines")).to_contain_text("1002 银行存款")
    (entry,) = _entries(server, q=memo)
    assert (entry["status"], entry["source_type"], entry["total_cents"]) == ("pending", "manual", 50000)
    expect(page.get_by_test_id(f"je-row-{entry['id']}")).to_contain_text("待审核")

    drawer.get_by_test_id("je-approve").click()
    expect(drawer.get_by_test_id("je-status-posted")).to_be_visible()
    expect(drawer.get_by_test_id("je-reverse")).to_be_visible()  # a posted manual entry can be reversed
    expect(page.get_by_test_id(f"je-row-{entry['id']}")).to_contain_text("已记账")
    assert _entries(server, q=memo)[0]["approved_by"] == "admin"
    _close_drawer(page, drawer)

    # The trial balance of this month: 6602 debited 500.00 and the report balanced.
    _open(page, "menu-trial-balance", r"/finance/trial-balance")
    row = page.get_by_test_id("tb-row-6602")
    expect(row).to_contain_text("管理费用")
    expect(row).to_contain_text("¥500.00")
    expect(page.get_by_test_id("tb-balanced")).to_have_text("平衡")

    # The account's detail: the entry with its running balance.
    page.get_by_test_id("tb-open-6602").click()
    detail = page.get_by_test_id("tb-detail")
    expect(detail.locator("tr", has_text=memo)).to_contain_text("¥500.00")
    expect(detail).to_contain_text("期初余额")
    page.get_by_test_id("tb-tab-ledger").click()
    expect(page.get_by_test_id("tb-ledger")).to_contain_text(dt.date.today().strftime("%Y-%m"))
    _close_drawer(page, page.get_by_test_id("tb-drawer"))

    with page.expect_download() as download:
        page.get_by_test_id("tb-export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    ws = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("科目编码", "科目名称")
    (r6602,) = [r for r in rows if r[0] == "6602"]
    assert Decimal(str(r6602[4])) == Decimal("500")
    assert rows[-1][1] == "合计"


def test_unbalanced_entry_refused_and_nothing_created(page: Page, login, server):
    memo = f"E2E 不平 {uuid.uuid4().hex[:6]}"
    before = len(_entries(server))
    login()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.goto("/finance/journal")
    expect(page.get_by_test_id("je-table")).to_be_visible()
    _fill_entry(page, memo, "500.00", "400.00")
    expect(page.get_by_test_id("je-unbalanced")).to_contain_text("借贷不平")
    expect(page.get_by_test_id("je-unbalanced")).to_contain_text("¥100.00")
    page.get_by_test_id("je-save").click()
    # The server's problem (借贷不平衡，相差 100.00) is shown in the dialog, which stays open.
    error = page.get_by_test_id("je-form-error")
    expect(error).to_contain_text("借贷不平衡")
    expect(error).to_contain_text("100.00")
    expect(page.get_by_test_id("je-form")).to_be_visible()
    assert _entries(server, q=memo) == []
    assert len(_entries(server)) == before


def _reopen_all(server) -> None:
    with server.api(server.admin_token()) as api:
        for _ in range(24):
            if api.get("/api/v1/finance/settings").json()["closed_through"] is None:
                return
            assert api.post("/api/v1/finance/periods/reopen").status_code == 200


def test_past_period_closed_and_reopened(page: Page, login, server):
    today = dt.date.today()
    day = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=15)  # in the previous month
    period = day.strftime("%Y-%m")
    with server.api(server.admin_token()) as api:
        r = api.post(
            "/api/v1/finance/entries",
            json={
                "date": day.isoformat(),
                "memo": "E2E 上月现金存入银行",
                "lines": [
                    {"account": "1002", "debit_cents": 12000},
                    {"account": "1001", "credit_cents": 12000},
                ],
            },
        )
        assert r.status_code == 201, r.text
        assert api.post(f"/api/v1/finance/entries/{r.json()['id']}/approve").status_code == 200
    try:
        login()
        expect(page.get_by_test_id("current-user")).to_be_visible()
        _open(page, "menu-periods", r"/finance/periods")
        expect(page.get_by_test_id(f"period-open-{period}")).to_be_visible()
        expect(page.get_by_test_id("period-closed-through")).to_have_text("尚未结账")
        # The current period cannot be closed: no button.
        expect(page.get_by_test_id(f"period-close-{today.strftime('%Y-%m')}")).to_have_count(0)

        page.get_by_test_id(f"period-close-{period}").click()
        settle(page)
        page.get_by_test_id("period-confirm").click()
        expect(page.get_by_test_id(f"period-closed-{period}")).to_be_visible()
        expect(page.get_by_test_id("period-closed-through")).to_have_text(f"已结账至 {period}")
        with server.api(server.admin_token()) as api:
            assert api.get("/api/v1/finance/settings").json()["closed_through"] == period

        page.get_by_test_id(f"period-reopen-{period}").click()
        settle(page)
        page.get_by_test_id("period-confirm").click()
        expect(page.get_by_test_id(f"period-open-{period}")).to_be_visible()
        with server.api(server.admin_token()) as api:
            assert (api.get("/api/v1/finance/settings").json()["closed_through"] or "") < period
    finally:
        _reopen_all(server)  # later tests post documents dated in the past
