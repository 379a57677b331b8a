"""``omnistock doctor``: the schema is current and every invariant holds."""

from __future__ import annotations

from rich.console import Console
from sqlalchemy import Engine

from omnistock.finance import profit
from omnistock.finance import service as finance
from omnistock.inventory import service as inventory
from omnistock.platform import migrate


def run(engine: Engine, out: Console | None = None) -> list[str]:
    out = out or Console(stderr=True)
    current, head = migrate.current_revision(engine), migrate.head_revision(engine)
    if current != head:
        return [f"schema is at {current or 'nothing'}, the code expects {head}: run `omnistock db upgrade`"]
    out.print(f"✓ schema current ({head})")
    with engine.connect() as conn:
        problems = inventory.check_invariants(conn)
        books = finance.check_invariants(conn)
        facts = profit.check_invariants(conn)
    if not books:
        out.print("✓ every journal entry balances; account totals = Σ posted lines")
        out.print("✓ inventory account = inventory valuation; receivables and payables = Σ their open items")
    if not problems:
        out.print("✓ stock balances = Σ ledger; reserved = Σ open reservations; no negative on-hand")
        out.print("✓ stock in transit = Σ (shipped − received − lost) of transfer orders on the road")
        out.print("✓ daily shipment totals (replenishment's history) = Σ ledger shipments")
        out.print(
            "✓ inventory value = Σ pools/layers = received − COGS − shrinkage (transit losses included)"
        )
    if not facts:
        out.print("✓ profit facts: every order's lines add up to the order")
    return problems + books + facts
