"""Finance HTTP API (`/api/v1/finance/…`): the chart of accounts and the posting accounts,
settings and tax rates, manual journal entries and their approval, periods and their close,
the journal, trial balance, general ledger and account detail. Validation and orchestration
only: the rules live in the service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from pydantic import Field

from omnistock.finance import rules, service
from omnistock.platform import excel
from omnistock.platform.auth import Actor, requires
from omnistock.platform.http import AreaRouter, language, unit_of_work
from omnistock.platform.schemas import Input, Output, Page, UtcDateTime

router = AreaRouter(prefix="/api/v1/finance", tags=["finance"])

AccountCode = Annotated[str, Field(min_length=4, max_length=16, pattern=r"^[0-9]+$")]
Period = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
Cents = Annotated[int, Field(ge=0, le=rules.MAX_ENTRY_CENTS)]


# -- accounts -----------------------------------------------------------------------------------
class LedgerAccountOut(Output):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    parent_code: str | None
    active: bool
    system: bool
    leaf: bool
    roles: list[str]


class LedgerAccountIn(Input):
    code: AccountCode
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(default="", max_length=100)
    parent_code: AccountCode | None = None
    kind: Literal["asset", "liability", "equity", "cost", "revenue", "expense"] | None = Field(
        default=None, description="Required for a top-level account; a sub-account takes its parent's"
    )


class LedgerAccountUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    name_en: str | None = Field(default=None, max_length=100)
    active: bool | None = None


@router.get("/accounts", response_model=list[LedgerAccountOut], operation_id="listAccounts")
def list_accounts(request: Request, actor: Actor = Depends(requires("finance.account.read"))) -> list:
    with unit_of_work(request, actor, readonly=True) as uow:
        return service.list_accounts(uow)


@router.post("/accounts", response_model=LedgerAccountOut, status_code=201, operation_id="createAccount")
def create_account(
    body: LedgerAccountIn, request: Request, actor: Actor = Depends(requires("finance.account.manage"))
):
    with unit_of_work(request, actor) as uow:
        return service.create_account(uow, **body.model_dump())


@router.patch("/accounts/{code}", response_model=LedgerAccountOut, operation_id="updateAccount")
def update_account(
    code: str,
    body: LedgerAccountUpdate,
    request: Request,
    actor: Actor = Depends(requires("finance.account.manage")),
):
    with unit_of_work(request, actor) as uow:
        return service.update_account(uow, code, **body.model_dump())


class PostingRoleOut(Output):
    role: str
    name: str
    name_en: str
    account: str
    account_name: str


class PostingRoleIn(Input):
    account: AccountCode


@router.get("/posting-accounts", response_model=list[PostingRoleOut], operation_id="listPostingAccounts")
def posting_accounts(request: Request, actor: Actor = Depends(requires("finance.account.read"))) -> list:
    with unit_of_work(request, actor, readonly=True) as uow:
        return service.posting_accounts(uow)


@router.put("/posting-accounts/{role}", response_model=list[PostingRoleOut], operation_id="setPostingAccount")
def set_posting_account(
    role: str,
    body: PostingRoleIn,
    request: Request,
    actor: Actor = Depends(requires("finance.account.manage")),
) -> list:
    with unit_of_work(request, actor) as uow:
        service.set_posting_account(uow, role, body.account)
        return service.posting_accounts(uow)


# -- settings and tax ---------------------------------------------------------------------------
class FinanceSettingsOut(Output):
    default_tax_rate_bp: int
    closed_through: str | None
    reminder_days: int
    unsettled_days: int


class FinanceSettingsIn(Input):
    default_tax_rate_bp: int | None = Field(default=None, ge=0, le=10000, description="1300 = 13 %")
    reminder_days: int | None = Field(default=None, ge=0, le=365)
    unsettled_days: int | None = Field(default=None, ge=0, le=365)


@router.get("/settings", response_model=FinanceSettingsOut, operation_id="financeSettings")
def get_settings(request: Request, actor: Actor = Depends(requires("finance.account.read"))) -> dict:
    with unit_of_work(request, actor, readonly=True) as uow:
        return service.settings(uow)


@router.put("/settings", response_model=FinanceSettingsOut, operation_id="updateFinanceSettings")
def put_settings(
    body: FinanceSettingsIn, request: Request, actor: Actor = Depends(requires("finance.settings.manage"))
) -> dict:
    with unit_of_work(request, actor) as uow:
        return service.update_settings(uow, **body.model_dump())


class TaxRateOut(Output):
    sku: str
    name: str
    rate_bp: int


class TaxRateIn(Input):
    rate_bp: int | None = Field(ge=0, le=10000, description="None: the default rate")


@router.get("/tax-rates", response_model=list[TaxRateOut], operation_id="listTaxRates")
def tax_rates(request: Request, actor: Actor = Depends(requires("finance.account.read"))) -> list:
    with unit_of_work(request, actor, readonly=True) as uow:
        return service.list_sku_tax_rates(uow)


@router.put("/tax-rates/{sku}", response_model=list[TaxRateOut], operation_id="setTaxRate")
def set_tax_rate(
    sku: str, body: TaxRateIn, request: Request, actor: Actor = Depends(requires("finance.settings.manage"))
) -> list:
    with unit_of_work(request, actor) as uow:
        service.set_sku_tax_rate(uow, sku, body.rate_bp)
        return service.list_sku_tax_rates(uow)


# -- journal ------------------------------------------------------------------------------------
class EntryLineOut(Output):
    line_no: int
    account: str
    account_name: str
    debit_cents: int
    credit_cents: int
    party_type: str | None = None
    party_id: int | None = None
    party_name: str | None = None
    memo: str | None = None


class EntryHead(Output):
    id: int
    date: dt.date
    period: str
    status: str
    source_type: str
    source_id: int | None = None
    source_ref: str | None = None
    memo: str | None = None
    total_cents: int
    created_at: UtcDateTime
    created_by: str
    approved_by: str | None = None
    reverses_id: int | None = None


class EntryOut(EntryHead):
    reversed_by: int | None = None
    lines: list[EntryLineOut]


class EntryLineIn(Input):
    account: AccountCode
    debit_cents: Cents = 0
    credit_cents: Cents = 0
    memo: str | None = Field(default=None, max_length=200)
    party_type: Literal["customer", "supplier", "channel"] | None = None
    party_id: int | None = Field(default=None, gt=0)


class EntryIn(Input):
    date: dt.date
    memo: str | None = Field(default=None, max_length=200)
    lines: list[EntryLineIn] = Field(min_length=2, max_length=200)


class ReverseIn(Input):
    date: dt.date | None = None


class EntryRejectIn(Input):
    reason: str | None = Field(default=None, max_length=100)


@router.get("/entries", response_model=Page[EntryHead], operation_id="listEntries")
def list_entries(
    request: Request,
    period: Period | None = None,
    status: Literal["pending", "posted", "rejected"] | None = None,
    source_type: str | None = Query(default=None, max_length=32),
    account: AccountCode | None = None,
    q: str | None = Query(default=None, max_length=64),
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
    actor: Actor = Depends(requires("finance.account.read")),
) -> dict:
    with unit_of_work(request, actor, readonly=True) as uow:
        return service.list_entries(
            uow,
            period=period,
            status=status,
            source_type=source_type,
            account_code=account,
            q=q,
            cursor=cursor,
            limit=limit,
        )


@router.post("/entries", response_model=EntryOut, status_code=201, operation_id="createEntry")
def create_entry(body: EntryIn, request: Request, actor: Actor = Depends(requires("finance.entry.create"))):
    with unit_of_work(request, actor) as uow:
        return service.create_entry(
            uow,
            date=body.date,
            memo=body.memo,
            lines=[service.EntryLineIn(**ln.model_dump()) for ln in body.lines],
        )


@router.get("/entries/{entry_id}", response_model=EntryOut, operation_id="getEntry")
def get_entry(entry_id: int, request: Request, actor: Actor = Depends(requires("finance.account.read"))):
    with unit_of_work(request, actor, readonly=True) as uow:
        return service.entry_detail(uow, entry_id)


@router.post("/entries/{entry_id}/approve", response_model=EntryOut, operation_id="approveEntry")
def approve_entry(entry_id: int, request: Request, actor: Actor = Depends(requires("finance.entry.approve"))):
    with unit_of_work(request, actor) as uow:
        return service.approve_entry(uow, entry_id)


@router.post("/entries/{entry_id}/reject", response_model=EntryOut, operation_id="rejectEntry")
def reject_entry(
    entry_id: int,
    body: EntryRejectIn,
    request: Request,
    actor: Actor = Depends(requires("finance.entry.approve")),
):
    with unit_of_work(request, actor) as uow:
        return service.reject_entry(uow, entry_id, body.reason)


@router.post(
    "/entries/{entry_id}/reverse", response_model=EntryOut, status_code=201, operation_id="reverseEntry"
)
def reverse_entry(
    entry_id: int,
    body: ReverseIn,
    request: Request,
    actor: Actor = Depends(requires("finance.entry.approve")),
):
    with unit_of_work(request, actor) as uow:
        return service.reverse_entry(uow, entry_id, date=body.date)


@router.get(
    "/documents/{source_type}/{source_id}/entries",
    response_model=list[EntryOut],
    operation_id="documentEntries",
)
def document_entries(
    source_type: str,
    source_id: int,
    request: Request,
    actor: Actor = Depends(requires("finance.account.read")),
) -> list:
    with unit_of_work(request, actor, readonly=True) as uow:
        return service.entries_of(uow, source_type, source_id)


# -- periods ------------------------------------------------------------------------------------
class PeriodOut(Output):
    period: str
    closed: bool
    entries: int
    pending: int


class CloseIn(Input):
    period: Period


class ClosedOut(Output):
    closed_through: str | None


@router.get("/periods", response_model=list[PeriodOut], operation_id="listPeriods")
def list_periods(request: Request, actor: Actor = Depends(requires("finance.account.read"))) -> list:
    with unit_of_work(request, actor, readonly=True) as uow:
        return service.list_periods(uow)


@router.post("/periods/close", response_model=ClosedOut, operation_id="closePeriod")
def close_period(body: CloseIn, request: Request, actor: Actor = Depends(requires("finance.period.close"))):
    with unit_of_work(request, actor) as uow:
        return service.close_period(uow, body.period)


@router.post("/periods/reopen", response_model=ClosedOut, operation_id="reopenPeriod")
def reopen_period(request: Request, actor: Actor = Depends(requires("finance.period.close"))):
    with unit_of_work(request, actor) as uow:
        return service.reopen_period(uow)


# -- reports ------------------------------------------------------------------------------------
class TrialRow(Output):
    code: str
    name: str
    name_en: str
    kind: str
    level: int
    leaf: bool
    opening_debit: int
    opening_credit: int
    debit: int
    credit: int
    closing_debit: int
    closing_credit: int


class TrialTotals(Output):
    opening_debit: int
    opening_credit: int
    debit: int
    credit: int
    closing_debit: int
    closing_credit: int


class TrialBalanceOut(Output):
    from_period: str
    to_period: str
    rows: list[TrialRow]
    totals: TrialTotals
    balanced: bool


_TRIAL_COLUMNS = [
    excel.Column("科目编码", "Code", width=12),
    excel.Column("科目名称", "Account", width=30),
    excel.Column("期初借方", "Opening debit", excel.MONEY),
    excel.Column("期初贷方", "Opening credit", excel.MONEY),
    excel.Column("本期借方", "Debit", excel.MONEY),
    excel.Column("本期贷方", "Credit", excel.MONEY),
    excel.Column("期末借方", "Closing debit", excel.MONEY),
    excel.Column("期末贷方", "Closing credit", excel.MONEY),
]


@router.get(
    "/reports/trial-balance",
    response_model=TrialBalanceOut,
    operation_id="trialBalance",
    responses={200: {"content": {excel.XLSX: {}}, "description": "JSON, or Excel with format=xlsx"}},
)
def trial_balance(
    request: Request,
    from_period: Period,
    to_period: Period,
    format: Literal["json", "xlsx"] = "json",
    actor: Actor = Depends(requires("finance.account.read")),
):
    with unit_of_work(request, actor, readonly=True) as uow:
        tb = service.trial_balance(uow, from_period=from_period, to_period=to_period)
    if format == "json":
        return tb
    lang = language(request)
    en = lang.startswith("en")
    keys = ("opening_debit", "opening_credit", "debit", "credit", "closing_debit", "closing_credit")
    rows = [
        [
            r["code"],
            "  " * r["level"] + (r["name_en"] if en and r["name_en"] else r["name"]),
            *(r[k] for k in keys),
        ]
        for r in tb["rows"]
    ]
    total = ["", "Total" if en else "合计", *(tb["totals"][k] for k in keys)]
    data = excel.workbook(
        "trial balance" if en else "科目余额表", _TRIAL_COLUMNS, rows, lang=lang, total=total
    )
    return excel.download(data, f"科目余额表_{from_period}_{to_period}.xlsx")


class LedgerPeriod(Output):
    period: str
    debit: int
    credit: int
    balance: int


class LedgerOut(Output):
    account: str
    name: str
    kind: str
    opening: int
    periods: list[LedgerPeriod]


@router.get("/reports/general-ledger", response_model=LedgerOut, operation_id="generalLedger")
def general_ledger(
    request: Request,
    account: AccountCode,
    from_period: Period,
    to_period: Period,
    actor: Actor = Depends(requires("finance.account.read")),
) -> dict:
    with unit_of_work(request, actor, readonly=True) as uow:
        return service.general_ledger(uow, account_code=account, from_period=from_period, to_period=to_period)


class DetailLine(Output):
    entry_id: int
    date: dt.date
    source_type: str
    source_ref: str | None = None
    memo: str | None = None
    account: str
    debit: int
    credit: int
    party_type: str | None = None
    party_id: int | None = None
    balance: int


class DetailOut(Output):
    account: str
    name: str
    kind: str
    opening: int
    lines: list[DetailLine]
    next_offset: int | None = None


@router.get("/reports/account-detail", response_model=DetailOut, operation_id="accountDetail")
def account_detail(
    request: Request,
    account: AccountCode,
    from_period: Period,
    to_period: Period,
    party_type: Literal["customer", "supplier", "channel"] | None = None,
    party_id: int | None = Query(default=None, gt=0),
    offset: int = Query(default=0, ge=0),
    limit: int = Query(default=200, ge=1, le=1000),
    actor: Actor = Depends(requires("finance.account.read")),
) -> dict:
    with unit_of_work(request, actor, readonly=True) as uow:
        return service.account_detail(
            uow,
            account_code=account,
            from_period=from_period,
            to_period=to_period,
            party_type=party_type,
            party_id=party_id,
            offset=offset,
            limit=limit,
        )
