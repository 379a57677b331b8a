"""The journal entries business events post, in the transaction of the event.

Each subscriber turns one upstream event into balanced lines (``rules``) and hands them to
``journal.add``; entries are written just before the command commits.

- stock movements (``inventory.valued``): inventory against received-not-billed (receipts),
  cost of goods (shipments, customer returns), stock losses and gains (counts, adjustments,
  transit losses) or the supplier (returns to the supplier); back-dated documents' re-valuations;
- shipments (``orders.shipped``): revenue (net of output VAT where a rate is set), VAT, shipping
  charged, against how the order was paid: channel clearing (paid through the channel, waiting
  for settlement), stored value, promotion (coupons, points), or an open receivable of the
  customer for what is unpaid (on credit, due after the customer's credit days);
- customer returns (``orders.returned``): revenue and VAT given back, refunded through the channel
  or as a credit note on the customer's account;
- supplier bills (``purchasing.bill_approved``): received-not-billed cleared at the accrued amount,
  the supplier's payable (an open item, due after the supplier's credit days), the difference as
  purchase price variance;
- parcels (``fulfillment.parcel_shipped``): the courier fee as a shipping cost, owed to the courier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from omnistock.finance import journal, rules
from omnistock.finance.rules import Line
from omnistock.fulfillment import service as fulfillment
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.platform import events
from omnistock.platform.clock import business_date
from omnistock.platform.sql import Sql, raw
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import service as purchasing

ORDER_SOURCE = "sales_order"
REVALUATION_SOURCE = "revaluation"

_SKU_RATES = Sql("SELECT sku_id, rate_bp FROM sku_tax_rate WHERE sku_id IN ({ids})")
_CREDIT_DAYS = Sql("SELECT credit_days FROM party_terms WHERE party_type = :t AND party_id = :id")
_ORDER_AR = Sql(
    "SELECT COUNT(*) FROM open_item WHERE kind = 'ar' AND source_type = 'sales_order' AND source_id = :id"
)


def _rates(uow: UnitOfWork, sku_ids: Sequence[int]) -> dict[int, int]:
    """Output VAT rate (basis points) of each SKU: its own, else the default."""
    cfg = journal.config(uow)
    default = cfg.default_tax_rate_bp
    rates = dict.fromkeys(sku_ids, default)
    if cfg.settings.get("sku_tax_rates") and sku_ids:
        ids = sorted({int(s) for s in sku_ids})
        stmt = Sql(_SKU_RATES.text.format(ids=", ".join(str(i) for i in ids)))
        rates.update(dict(raw(uow.conn).all(stmt)))
    return rates


def _revenue_lines(uow: UnitOfWork, lines: Sequence[tuple[int, int]], sign: int) -> list[Line]:
    """Revenue and output VAT of ``lines`` (SKU id, tax-inclusive revenue); ``sign`` −1 credits
    them (a sale), +1 debits them (given back)."""
    rates = _rates(uow, [s for s, _ in lines])
    net = vat = 0
    for sku_id, gross in lines:
        n, v = rules.split_vat(gross, rates[sku_id])
        net += n
        vat += v
    return [Line("revenue", sign * net), Line("output_vat", sign * vat)]


def credit_days(uow: UnitOfWork, party_type: str, party_id: int) -> int:
    row = raw(uow.conn).one(_CREDIT_DAYS, {"t": party_type, "id": party_id})
    return int(row[0]) if row else 0


@events.subscribe(inventory.VALUED)
def stock_valued(uow: UnitOfWork, e: inventory.StockValued) -> None:
    day = business_date(e.at)
    if e.revaluation:
        # One entry for the whole re-valuation (often tens of thousands of changed rows): the
        # changes are added up per posting rule first, then turned into lines.
        totals: dict[tuple[str, str], int] = {}
        for c in e.changes:
            totals[c.kind, c.doc_type] = totals.get((c.kind, c.doc_type), 0) + c.value
        lines = [ln for (kind, doc_type), v in totals.items() for ln in rules.stock_lines(kind, doc_type, v)]
        journal.add(
            uow,
            date=day,
            source_type=REVALUATION_SOURCE,
            source_id=None,
            source_ref=None,
            lines=lines,
            memo="倒记单据重估后续出库成本 · later moves re-valued by a back-dated document",
        )
        return
    by_doc: dict[tuple[str, int], list] = {}
    for c in e.changes:
        by_doc.setdefault((c.doc_type, c.doc_id), [c.ref, []])[1].extend(
            rules.stock_lines(c.kind, c.doc_type, c.value)
        )
    for (doc_type, doc_id), (ref, lines) in by_doc.items():
        journal.add(uow, date=day, source_type=doc_type, source_id=doc_id, source_ref=ref, lines=lines)


@events.subscribe(orders.SHIPPED_EVENT)
def order_shipped(uow: UnitOfWork, e: orders.OrderShipped) -> None:
    day = business_date(e.at)
    lines = _revenue_lines(uow, e.lines, -1)
    lines.append(Line("shipping_revenue", -e.shipping_fee_cents))
    # Paid through the channel: it holds the money until it settles; stored value, coupons and
    # points are booked to their own accounts; the unpaid part is the customer's receivable.
    lines.append(
        Line("clearing", rules.channel_owes(e.total_cents, e.paid_cents, e.payments), "channel", e.channel_id)
    )
    for method, amount in e.payments:
        role = rules.PAYMENT_ROLE.get(method, "clearing")
        if role != "clearing":
            lines.append(Line(role, amount))
    unpaid = max(0, e.total_cents - e.paid_cents)
    item = None
    if unpaid:
        lines.append(Line("ar", unpaid, "customer", e.customer_id))
        item = {
            "kind": rules.AR,
            "party_type": "customer",
            "party_id": e.customer_id,
            "ref": e.ref,
            "due_date": day + dt.timedelta(days=credit_days(uow, "customer", e.customer_id)),
            "amount": unpaid,
        }
    journal.add(
        uow,
        date=day,
        source_type=ORDER_SOURCE,
        source_id=e.order_id,
        source_ref=e.ref,
        lines=lines,
        open_item=item,
    )


@events.subscribe(orders.RETURNED_EVENT)
def order_returned(uow: UnitOfWork, e: orders.OrderReturned) -> None:
    day = business_date(e.at)
    lines = _revenue_lines(uow, e.lines, +1)
    item = None
    (on_credit,) = raw(uow.conn).one(_ORDER_AR, {"id": e.order_id})
    if on_credit:  # a credit note on the customer's account
        lines.append(Line("ar", -e.refund_cents, "customer", e.customer_id))
        item = {
            "kind": rules.AR,
            "party_type": "customer",
            "party_id": e.customer_id,
            "ref": e.return_ref,
            "due_date": day,
            "amount": -e.refund_cents,
        }
    else:  # refunded through the channel that took the money
        lines.append(Line("clearing", -e.refund_cents, "channel", e.channel_id))
    journal.add(
        uow,
        date=day,
        source_type=ORDER_SOURCE,
        source_id=e.order_id,
        source_ref=e.ref,
        lines=lines,
        memo=f"退货 {e.return_ref} · return",
        open_item=item if e.refund_cents else None,
    )


@events.subscribe(purchasing.BILL_APPROVED_EVENT)
def bill_approved(uow: UnitOfWork, e: purchasing.BillApproved) -> None:
    lines = [
        Line("grni", e.accrued_cents),
        Line("purchase_variance", e.total_cents - e.accrued_cents),
        Line("ap", -e.total_cents, "supplier", e.supplier_id),
    ]
    journal.add(
        uow,
        date=e.bill_date,
        source_type="supplier_bill",
        source_id=e.bill_id,
        source_ref=e.bill_no,
        lines=lines,
        open_item={
            "kind": rules.AP,
            "party_type": "supplier",
            "party_id": e.supplier_id,
            "ref": e.bill_no,
            "due_date": e.bill_date + dt.timedelta(days=credit_days(uow, "supplier", e.supplier_id)),
            "amount": e.total_cents,
        },
    )


@events.subscribe(fulfillment.PARCEL_SHIPPED_EVENT)
def parcel_shipped(uow: UnitOfWork, e: fulfillment.ParcelShipped) -> None:
    journal.add(
        uow,
        date=business_date(e.at),
        source_type=ORDER_SOURCE,
        source_id=e.order_id,
        source_ref=e.order_ref,
        lines=[Line("shipping_cost", e.fee_cents), Line("courier_payable", -e.fee_cents)],
    )
