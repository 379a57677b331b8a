"""Replay of a retail-operations workload (``omnistock-workload/1``, see shared/workload/README.md).

Each event is applied through the same services the API uses, in its own transaction, together
with a checkpoint of the replay's position — so a replay killed at any moment and resumed with
``--resume`` ends with exactly the summary of an uninterrupted run. An event the services refuse
(malformed, unknown codes, illegal state change, duplicate number, ...) changes nothing and is
counted as invalid.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine, func, select

from omnistock.catalog import service as catalog
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.platform import checkpoint, migrate
from omnistock.platform.auth import Actor
from omnistock.platform.db import Checkpointer
from omnistock.platform.errors import AppError, Invalid
from omnistock.platform.money import format_cents, parse_money
from omnistock.platform.sql import raw
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import service as purchasing

JOB = "workload-replay"
ACTOR = Actor.system("replay")


def _bad(what: str) -> Invalid:
    return Invalid("replay.malformed", "Malformed event: {what}", "事件格式错误：{what}", what=what)


def _str(e: dict, key: str) -> str:
    v = e.get(key)
    if not isinstance(v, str) or not v:
        raise _bad(f"{key} must be a non-empty string")
    return v


def _at(e: dict) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(_str(e, "at"))
    except ValueError as exc:
        raise _bad("at must be an ISO-8601 timestamp") from exc


def _lines(e: dict, *keys: str) -> list[dict]:
    lines = e.get("lines")
    if not isinstance(lines, list) or not lines:
        raise Invalid("replay.no_lines", "An event needs a non-empty list of lines", "事件需要非空的明细行")
    for ln in lines:
        if not isinstance(ln, dict):
            raise _bad("each line must be an object")
        for k in keys:
            if k not in ln:
                raise _bad(f"line without {k}")
        if not isinstance(ln.get("sku"), str):
            raise _bad("sku must be a string")
    return lines


# -- one function per op ------------------------------------------------------------------------
def _warehouse(uow, e):
    inventory.create_warehouse(uow, code=_str(e, "code"), name=_str(e, "name"))


def _channel(uow, e):
    orders.create_channel(uow, code=_str(e, "code"), name=_str(e, "name"))


def _supplier(uow, e):
    purchasing.create_supplier(uow, code=_str(e, "code"), name=_str(e, "name"))


def _customer(uow, e):
    phone = e.get("phone")
    if phone is not None and not isinstance(phone, str):
        raise _bad("phone must be a string")
    orders.create_customer(uow, code=_str(e, "code"), name=_str(e, "name"), phone=phone)


def _product(uow, e):
    catalog.create_sku(
        uow,
        code=_str(e, "sku"),
        name=_str(e, "name"),
        unit=_str(e, "unit"),
        price_cents=parse_money(e.get("price"), "price"),
        cost_method=e.get("cost_method"),
        safety_stock=e.get("safety_stock", 0),
    )


def _receive(uow, e):
    lines = [
        inventory.ReceiptLine(ln["sku"], ln["qty"], parse_money(ln["unit_cost"], "unit_cost"))
        for ln in _lines(e, "sku", "qty", "unit_cost")
    ]
    purchasing.receive_goods(
        uow,
        ref=_str(e, "ref"),
        supplier_code=_str(e, "supplier"),
        warehouse=_str(e, "warehouse"),
        lines=lines,
        at=_at(e),
    )


def _order(uow, e):
    lines = [
        orders.OrderLineIn(ln["sku"], ln["qty"], parse_money(ln["unit_price"], "unit_price"))
        for ln in _lines(e, "sku", "qty", "unit_price")
    ]
    orders.place_order(
        uow,
        ref=_str(e, "ref"),
        channel_code=_str(e, "channel"),
        customer_code=_str(e, "customer"),
        warehouse=_str(e, "warehouse"),
        lines=lines,
        at=_at(e),
    )


def _ship(uow, e):
    orders.ship_order(uow, ref=_str(e, "ref"), at=_at(e))


def _cancel(uow, e):
    orders.cancel_order(uow, ref=_str(e, "ref"), at=_at(e))


def _return(uow, e):
    lines = [orders.ReturnLineIn(ln["sku"], ln["qty"]) for ln in _lines(e, "sku", "qty")]
    orders.return_order(uow, ref=_str(e, "ref"), lines=lines, at=_at(e))


def _transfer(uow, e):
    lines = [inventory.QtyLine(ln["sku"], ln["qty"]) for ln in _lines(e, "sku", "qty")]
    inventory.transfer(
        uow,
        ref=_str(e, "ref"),
        from_warehouse=_str(e, "from"),
        to_warehouse=_str(e, "to"),
        lines=lines,
        at=_at(e),
    )


def _count(uow, e):
    lines = [inventory.CountLine(ln["sku"], ln["counted"]) for ln in _lines(e, "sku", "counted")]
    inventory.count(uow, ref=_str(e, "ref"), warehouse=_str(e, "warehouse"), lines=lines, at=_at(e))


OPS: dict[str, Callable[[UnitOfWork, dict], None]] = {
    "warehouse": _warehouse,
    "channel": _channel,
    "supplier": _supplier,
    "customer": _customer,
    "product": _product,
    "receive": _receive,
    "order": _order,
    "ship": _ship,
    "cancel": _cancel,
    "return": _return,
    "transfer": _transfer,
    "count": _count,
}


def apply_event(uow: UnitOfWork, line: str) -> None:
    """Apply one event line; raises ``AppError`` when the event is invalid."""
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise _bad("not JSON") from exc
    if not isinstance(event, dict):
        raise _bad("not a JSON object")
    op = OPS.get(event.get("op")) if isinstance(event.get("op"), str) else None
    if op is None:
        raise Invalid(
            "replay.unknown_op", "Unknown op {op}", "未知的操作：{op}", op=str(event.get("op"))[:32]
        )
    op(uow, event)


def _is_header(line: str) -> bool:
    try:
        head = json.loads(line)
    except ValueError:
        return False
    return isinstance(head, dict) and head.get("op") == "header"


def _is_empty(engine: Engine) -> bool:
    from omnistock.catalog.models import sku
    from omnistock.inventory.models import warehouse

    with engine.connect() as conn:
        return (
            not any(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (sku, warehouse))
            and checkpoint.load(conn, JOB) is None
        )


def run(engine: Engine, path: Path, *, resume: bool = False, console: Console | None = None) -> dict:
    console = console or Console(stderr=True)
    migrate.upgrade(engine)
    source = path.name
    with engine.connect() as conn:
        state = checkpoint.load(conn, JOB)
    if resume:
        position = state["position"] if state else 0
        invalid = state["counters"].get("invalid", 0) if state else 0
    else:
        if not _is_empty(engine):
            raise AppError(
                "replay.not_empty",
                "The database is not empty: use --resume to continue a replay",
                "数据库不是空的：继续上次的回放请加 --resume",
            )
        position, invalid = 0, 0
    with path.open("rb") as counting:
        total = sum(1 for _ in counting) - 1
    started = time.perf_counter()
    done = 0
    with (
        Checkpointer(engine),
        engine.connect() as conn,
        path.open(encoding="utf-8") as f,
        raw(conn).pipeline(conn),
        Progress(
            TextColumn("[bold]replay"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} ev/s"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as progress,
    ):
        task = progress.add_task("replay", total=total, completed=position, rate="-")
        if conn.dialect.name == "postgresql":
            # Each event commits with its checkpoint, so what a server crash could lose of the
            # last moment's commits is simply replayed again by --resume: no need to wait for
            # the WAL flush of every one of them.
            conn.exec_driver_sql("SET synchronous_commit = off")
            conn.commit()
        if not _is_header(f.readline()):
            raise AppError(
                "replay.no_header", "The file does not start with a workload header", "文件开头不是回放头信息"
            )
        for n, line in enumerate(f, 1):
            if n <= position:
                continue
            try:
                with UnitOfWork(conn, ACTOR) as uow:
                    apply_event(uow, line)
                    checkpoint.save(conn, JOB, source, n, {"invalid": invalid})
            except AppError:
                invalid += 1
                with UnitOfWork(conn, ACTOR):
                    checkpoint.save(conn, JOB, source, n, {"invalid": invalid})
            done += 1
            if done % 2000 == 0:
                elapsed = time.perf_counter() - started
                progress.update(task, completed=n, rate=f"{done / elapsed:,.0f}")
        progress.update(task, completed=total)
    elapsed = time.perf_counter() - started
    console.print(
        f"replayed {done:,} events in {elapsed:.2f} s ({done / elapsed if elapsed else 0:,.0f} events/s)"
    )
    with engine.connect() as conn:
        return summary(conn, events=total)


def summary(conn, *, events: int) -> dict:
    state = checkpoint.load(conn, JOB)
    inv = inventory.totals(conn)
    sales = orders.totals(conn)
    return {
        "events": events,
        "invalid": state["counters"].get("invalid", 0) if state else 0,
        "receipts": inv["receipts"],
        "orders_accepted": sales["orders_accepted"],
        "orders_rejected": sales["orders_rejected"],
        "shipments": sales["shipments"],
        "cancellations": sales["cancellations"],
        "returns": sales["returns"],
        "transfers": inv["transfers"],
        "transfers_rejected": inv["transfers_rejected"],
        "counts": inv["counts"],
        "on_hand_total": inv["on_hand_total"],
        "reserved_total": inv["reserved_total"],
        "on_hand_digest": inventory.on_hand_digest(conn),
        "received_value": format_cents(inv["received_value"]),
        "inventory_value": format_cents(inv["inventory_value"]),
        "cogs": format_cents(inv["cogs"]),
        "revenue": format_cents(sales["revenue"]),
        "shrinkage": format_cents(inv["shrinkage"]),
    }


def dumps(summary: dict) -> str:
    return json.dumps(summary, sort_keys=True, ensure_ascii=False)
