"""HTTP API of receivables and payables (往来账): credit terms, open items, receipts and payments
with their allocations, offsets, statements, ageing (and its Excel export), due reminders and
expenses. Validation and orchestration only: the rules live in ``finance.arap``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response
from pydantic import Field

from omnistock.finance import arap
from omnistock.platform import excel
from omnistock.platform.auth import Actor, requires
from omnistock.platform.clock import utcnow
from omnistock.platform.http import AreaRouter, language, unit_of_work
from omnistock.platform.schemas import Input, Output, Page, UtcDateTime

router = AreaRouter(prefix="/api/v1/finance", tags=["finance"])

Code = Annotated[str, Field(min_length=1, max_length=64)]
Cents = Annotated[int, Field(gt=0, le=10**15)]
Kind = Literal["ar", "ap"]
PartyType = Literal["customer", "supplier"]
XLSX_RESPONSE = {200: {"content": {excel.XLSX: {"schema": {"type": "string", "format": "binary"}}}}}


# -- credit terms -----------------------------------------------------------------------------------
class TermsIn(Input):
    credit_days: int = Field(ge=0, le=3650)
    credit_limit_cents: int | None = Field(default=None, ge=0, le=10**15)


class TermsOut(Output):
    party_type: str
    party_id: int
    code: str
    name: str
    credit_days: int
    credit_limit_cents: int | None
    open_cents: int
    over_limit: bool


@router.get("/terms", operation_id="listPartyTerms")
def list_terms(
    request: Request, party_type: PartyType | None = None, actor: Actor = Depends(requires(arap.READ))
) -> list[TermsOut]:
    """Credit terms set for customers and suppliers, with what each has open now."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return [TermsOut.model_validate(t) for t in arap.list_terms(uow, party_type=party_type)]


@router.get("/terms/{party_type}/{code}", operation_id="getPartyTerms")
def get_terms(
    party_type: PartyType, code: str, request: Request, actor: Actor = Depends(requires(arap.READ))
) -> TermsOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return TermsOut.model_validate(arap.get_terms(uow, party_type=party_type, code=code))


@router.put("/terms/{party_type}/{code}", operation_id="setPartyTerms")
def set_terms(
    party_type: PartyType,
    code: str,
    body: TermsIn,
    request: Request,
    actor: Actor = Depends(requires(arap.MANAGE)),
) -> TermsOut:
    """A customer's or supplier's credit days (new open items fall due after them) and limit."""
    with unit_of_work(request, actor) as uow:
        return TermsOut.model_validate(
            arap.set_terms(
                uow,
                party_type=party_type,
                code=code,
                credit_days=body.credit_days,
                credit_limit_cents=body.credit_limit_cents,
            )
        )


# -- open items -------------------------------------------------------------------------------------
class OpenItemOut(Output):
    id: int
    kind: str
    party_type: str
    party_id: int
    party_code: str
    party_name: str
    source_type: str
    source_id: int
    ref: str
    entry_id: int | None
    doc_date: dt.date
    due_date: dt.date
    amount_cents: int
    settled_cents: int
    open_cents: int
    status: str
    days_overdue: int


@router.get("/open-items", operation_id="listOpenItems")
def list_open_items(
    request: Request,
    kind: Kind | None = None,
    party_type: PartyType | None = None,
    party: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["open", "settled"] | None = None,
    overdue: bool = False,
    due_before: dt.date | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    actor: Actor = Depends(requires(arap.READ)),
) -> Page[OpenItemOut]:
    """Receivables (ar) and payables (ap), by due date, a page at a time (pass ``next_cursor`` back
    as ``cursor``). A negative amount is a credit: a credit note, or an advance received or paid."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = arap.list_open_items(
            uow,
            kind=kind,
            party_type=party_type,
            party_code=party,
            status=status,
            overdue=overdue,
            due_before=due_before,
            cursor=cursor,
            limit=limit,
        )
    return Page[OpenItemOut](items=[OpenItemOut.model_validate(r) for r in rows], next_cursor=nxt)


# -- receipts and payments ------------------------------------------------------------------------------
class AllocationIn(Input):
    open_item_id: int = Field(ge=1, le=2**53 - 1)
    amount_cents: Cents


class ReceiptPaymentIn(Input):
    party: Code = Field(description="Customer code (a receipt) or supplier code (a payment)")
    amount_cents: Cents
    date: dt.date
    ref: Code
    account: str | None = Field(
        default=None,
        max_length=16,
        description="Cash or bank account code; default: the bank posting account",
    )
    memo: str | None = Field(default=None, max_length=200)
    allocations: list[AllocationIn] | None = Field(
        default=None,
        max_length=500,
        description="Open items paid; null: oldest due first (credits first). What is left is an advance.",
    )


class PaymentRow(Output):
    id: int
    kind: str
    party_type: str
    party_id: int
    party_code: str
    party_name: str
    account: str
    account_name: str
    amount_cents: int
    allocated_cents: int
    advance_cents: int
    date: dt.date
    ref: str
    memo: str | None
    entry_id: int | None
    created_at: UtcDateTime
    created_by: str


class AllocationOut(Output):
    open_item_id: int
    ref: str
    due_date: dt.date
    item_amount_cents: int
    amount_cents: int


class PaymentDetailOut(PaymentRow):
    allocations: list[AllocationOut]


def _record(kind: str, body: ReceiptPaymentIn, request: Request, actor: Actor) -> PaymentDetailOut:
    allocations = (
        None
        if body.allocations is None
        else [arap.AllocationIn(a.open_item_id, a.amount_cents) for a in body.allocations]
    )
    with unit_of_work(request, actor) as uow:
        payment_id = arap.record_payment(
            uow,
            kind=kind,
            party_code=body.party,
            amount_cents=body.amount_cents,
            date=body.date,
            ref=body.ref,
            account_code=body.account,
            memo=body.memo,
            allocations=allocations,
        )
    with unit_of_work(request, actor, readonly=True) as uow:
        return PaymentDetailOut.model_validate(arap.payment_detail(uow, payment_id))


@router.post("/receipts", status_code=201, operation_id="recordReceipt")
def record_receipt(
    body: ReceiptPaymentIn, request: Request, actor: Actor = Depends(requires(arap.MANAGE))
) -> PaymentDetailOut:
    """Money a customer paid (收款), posted Dr cash/bank, Cr receivable, allocated to its items."""
    return _record("ar", body, request, actor)


@router.post("/payments", status_code=201, operation_id="recordPayment")
def record_payment(
    body: ReceiptPaymentIn, request: Request, actor: Actor = Depends(requires(arap.MANAGE))
) -> PaymentDetailOut:
    """Money paid to a supplier (付款), posted Dr payable, Cr cash/bank, allocated to its bills."""
    return _record("ap", body, request, actor)


@router.get("/payments", operation_id="listPayments")
def list_payments(
    request: Request,
    kind: Kind | None = None,
    party: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    actor: Actor = Depends(requires(arap.READ)),
) -> Page[PaymentRow]:
    """Receipts (kind ar) and payments (kind ap), newest first."""
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = arap.list_payments(uow, kind=kind, party_code=party, cursor=cursor, limit=limit)
    return Page[PaymentRow](items=[PaymentRow.model_validate(r) for r in rows], next_cursor=nxt)


@router.get("/payments/{payment_id}", operation_id="getPayment")
def get_payment(
    payment_id: int, request: Request, actor: Actor = Depends(requires(arap.READ))
) -> PaymentDetailOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return PaymentDetailOut.model_validate(arap.payment_detail(uow, payment_id))


class OffsetIn(Input):
    kind: Kind
    party: Code
    date: dt.date
    memo: str | None = Field(default=None, max_length=200)
    allocations: list[AllocationIn] | None = Field(
        default=None,
        max_length=500,
        description="Netting to zero; null: every credit applied, oldest due first",
    )


class OffsetOut(Output):
    id: int


@router.post("/offsets", status_code=201, operation_id="offsetOpenItems")
def offset_items(
    body: OffsetIn, request: Request, actor: Actor = Depends(requires(arap.MANAGE))
) -> OffsetOut:
    """Apply a party's credit notes and advances to its open items (核销), no money moving."""
    with unit_of_work(request, actor) as uow:
        offset_id = arap.offset_items(
            uow,
            kind=body.kind,
            party_code=body.party,
            date=body.date,
            memo=body.memo,
            allocations=None
            if body.allocations is None
            else [arap.AllocationIn(a.open_item_id, a.amount_cents) for a in body.allocations],
        )
    return OffsetOut(id=offset_id)


# -- statement and ageing ------------------------------------------------------------------------------
class StatementLine(Output):
    date: dt.date
    type: str  # invoice | credit_note | receipt | payment
    source_type: str
    ref: str
    due_date: dt.date | None
    memo: str | None
    debit_cents: int
    credit_cents: int
    balance_cents: int


class PartyStatementOut(Output):
    party_type: str
    code: str
    name: str
    kind: str
    from_date: dt.date | None
    to_date: dt.date | None
    opening_cents: int
    lines: list[StatementLine]
    closing_cents: int
    open_items: list[OpenItemOut]


@router.get("/statement/{party_type}/{code}", operation_id="partyStatement")
def party_statement(
    party_type: PartyType,
    code: str,
    request: Request,
    from_date: Annotated[dt.date | None, Query(alias="from")] = None,
    to_date: Annotated[dt.date | None, Query(alias="to")] = None,
    actor: Actor = Depends(requires(arap.READ)),
) -> PartyStatementOut:
    """A customer's or supplier's statement (对账单) with the running balance."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return PartyStatementOut.model_validate(
            arap.party_statement(uow, party_type=party_type, code=code, from_date=from_date, to_date=to_date)
        )


class BucketName(Output):
    zh: str
    en: str


class AgeingRow(Output):
    party_type: str
    party_id: int
    code: str
    name: str
    buckets: list[int]
    unapplied_cents: int
    overdue_cents: int
    total_cents: int


class AgeingTotals(Output):
    buckets: list[int]
    unapplied_cents: int
    overdue_cents: int
    total_cents: int


class AgeingOut(Output):
    kind: str
    as_of: dt.date
    buckets: list[BucketName]
    rows: list[AgeingRow]
    totals: AgeingTotals


@router.get("/ageing", operation_id="ageingReport")
def ageing(
    request: Request,
    kind: Kind = "ar",
    as_of: dt.date | None = None,
    actor: Actor = Depends(requires(arap.READ)),
) -> AgeingOut:
    """What each party owes (ar) or is owed (ap), by days overdue (账龄), as of a day."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return AgeingOut.model_validate(arap.ageing(uow, kind=kind, as_of=as_of))


@router.get("/ageing/export", operation_id="exportAgeing", response_class=Response, responses=XLSX_RESPONSE)
def export_ageing(
    request: Request,
    kind: Kind = "ar",
    as_of: dt.date | None = None,
    actor: Actor = Depends(requires(arap.READ)),
) -> Response:
    """The ageing report as an Excel workbook."""
    lang = language(request)
    en = lang.startswith("en")
    with unit_of_work(request, actor, readonly=True) as uow:
        report = arap.ageing(uow, kind=kind, as_of=as_of)
    party = ("Customer", "客户") if kind == "ar" else ("Supplier", "供应商")
    columns = [
        excel.Column(party[1] + "编码", party[0] + " code"),
        excel.Column(party[1], party[0], width=24),
        *[excel.Column(b["zh"], b["en"], excel.MONEY) for b in report["buckets"]],
        excel.Column("未核销贷项", "Unapplied credits", excel.MONEY),
        excel.Column("逾期合计", "Overdue", excel.MONEY),
        excel.Column("余额", "Balance", excel.MONEY),
    ]
    rows = (
        [r["code"], r["name"], *r["buckets"], r["unapplied_cents"], r["overdue_cents"], r["total_cents"]]
        for r in report["rows"]
    )
    t = report["totals"]
    total = [
        "Total" if en else "合计",
        "",
        *t["buckets"],
        t["unapplied_cents"],
        t["overdue_cents"],
        t["total_cents"],
    ]
    title = (
        ("AR ageing" if kind == "ar" else "AP ageing") if en else ("应收账龄" if kind == "ar" else "应付账龄")
    )
    data = excel.workbook(title, columns, rows, lang=lang, total=total)
    return excel.download(data, f"{title}-{report['as_of']:%Y%m%d}-{utcnow():%H%M}.xlsx")


# -- reminders -----------------------------------------------------------------------------------------
class ReminderOut(Output):
    before_due: int
    overdue: int
    notifications: int


@router.post("/reminders/scan", operation_id="scanDueReminders")
def scan_reminders(request: Request, actor: Actor = Depends(requires(arap.MANAGE))) -> ReminderOut:
    """Send the due-date reminders now (the background worker does it every hour)."""
    with unit_of_work(request, actor) as uow:
        r = arap.scan_due(uow)
    return ReminderOut(before_due=r.before_due, overdue=r.overdue, notifications=r.notifications)


# -- expenses ---------------------------------------------------------------------------------------------
class ExpenseIn(Input):
    date: dt.date
    account: Code = Field(description="Expense account code, e.g. 6602")
    amount_cents: Cents
    paid_from: str | None = Field(
        default=None, max_length=16, description="Default: the bank posting account"
    )
    memo: str | None = Field(default=None, max_length=200)
    supplier: str | None = Field(default=None, max_length=64)


class ExpenseOut(Output):
    id: int
    date: dt.date
    account: str
    account_name: str
    paid_from: str
    paid_from_name: str
    amount_cents: int
    supplier: str | None
    supplier_name: str | None
    memo: str | None
    entry_id: int | None
    created_at: UtcDateTime
    created_by: str


class AccountChoice(Output):
    code: str
    name: str
    name_en: str


class ExpenseAccountsOut(Output):
    expense: list[AccountChoice]
    money: list[AccountChoice]


@router.get("/expenses", operation_id="listExpenses")
def list_expenses(
    request: Request,
    from_date: Annotated[dt.date | None, Query(alias="from")] = None,
    to_date: Annotated[dt.date | None, Query(alias="to")] = None,
    account: Annotated[str | None, Query(max_length=16)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    actor: Actor = Depends(requires(arap.EXPENSE_READ)),
) -> Page[ExpenseOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        rows, nxt = arap.list_expenses(
            uow, from_date=from_date, to_date=to_date, account_code=account, cursor=cursor, limit=limit
        )
    return Page[ExpenseOut](items=[ExpenseOut.model_validate(r) for r in rows], next_cursor=nxt)


@router.post("/expenses", status_code=201, operation_id="recordExpense")
def record_expense(
    body: ExpenseIn, request: Request, actor: Actor = Depends(requires(arap.EXPENSE_CREATE))
) -> ExpenseOut:
    """An expense paid at once: Dr the expense account, Cr the account paid from, posted now."""
    with unit_of_work(request, actor) as uow:
        expense_id = arap.record_expense(
            uow,
            date=body.date,
            account_code=body.account,
            amount_cents=body.amount_cents,
            paid_from=body.paid_from,
            memo=body.memo,
            supplier_code=body.supplier,
        )
    with unit_of_work(request, actor, readonly=True) as uow:
        return ExpenseOut.model_validate(arap.expense_detail(uow, expense_id))


@router.get("/expense-accounts", operation_id="expenseAccounts")
def expense_accounts(
    request: Request, actor: Actor = Depends(requires(arap.EXPENSE_READ))
) -> ExpenseAccountsOut:
    """Accounts an expense may be booked to, and cash, bank and wallet accounts to pay from."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return ExpenseAccountsOut.model_validate(arap.expense_accounts(uow))
