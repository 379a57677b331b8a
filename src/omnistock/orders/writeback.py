"""Shipments written back to the sales channel: the outbox handler of ``fulfillment.shipped``.

The fulfilment area puts ``fulfillment.shipped`` on the outbox in the transaction that ships a
parcel; the worker calls ``deliver`` after the commit. Per the order's channel:

- the channel has a ``writeback_url``: the shipment (order, the channel's order number, carrier,
  tracking number, shipped_at, lines) is POSTed there as JSON, signed with the channel's webhook
  secret exactly as a generic channel signs the orders it pushes to us (``adapters.sign_generic``:
  ``X-OmniStock-Timestamp``, ``X-OmniStock-Signature``), with the outbox message id as
  ``X-OmniStock-Delivery`` — the same on every retry, so the receiver drops duplicates. A 2xx
  answer delivers the message; anything else (another status, a redirect, a timeout, a refused
  connection, or no secret to sign with) raises ``WritebackFailed`` and the outbox retries with
  back-off (up to hourly), keeping the reason in ``last_error``;
- no ``writeback_url``: nothing to send; the handler logs that and the message is delivered.

The channel's settings are read in a short read-only unit of work; no transaction is open during
the HTTP call. The wire format is in docs/channels.md ("Shipment write-back").
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from sqlalchemy import Engine, select

from omnistock.orders.adapters import sign_generic
from omnistock.orders.models import channel, sales_order
from omnistock.platform.auth import Actor
from omnistock.platform.outbox import Message, register_handler
from omnistock.platform.uow import UnitOfWork

log = logging.getLogger(__name__)

TOPIC = "fulfillment.shipped"
EVENT = "order.shipped"
TIMEOUT_SECONDS = 10.0
MAX_ANSWER_BYTES = 64 * 1024  # what is read of the receiver's answer (then ignored)


class WritebackFailed(Exception):
    """The channel did not take the shipment; the outbox retries the message later."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed (urllib would re-send a POST as a GET): it fails the delivery."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _utc_text(value: str) -> str:
    """A naive-UTC ISO time of the payload as ``2026-11-22T05:00:00Z``."""
    when = dt.datetime.fromisoformat(value)
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.isoformat(timespec="seconds") + "Z"


def shipment_document(payload: dict[str, Any], channel_code: str, channel_order_no: str | None) -> dict:
    """The JSON document POSTed for a ``fulfillment.shipped`` payload."""
    lines = []
    for item in payload.get("items") or []:
        line = {"sku": item["sku"], "qty": int(item["qty"])}
        if item.get("serials"):
            line["serials"] = list(item["serials"])
        lines.append(line)
    return {
        "event": EVENT,
        "channel": channel_code,
        "order": payload["order"],
        "channel_order_no": channel_order_no,
        "carrier": payload.get("carrier"),
        "carrier_name": payload.get("carrier_name"),
        "tracking_no": payload["tracking_no"],
        "shipped_at": _utc_text(payload["shipped_at"]),
        "lines": lines,
    }


def _target(engine: Engine, order_ref: str):
    with UnitOfWork(engine, Actor.system("orders.writeback"), readonly=True) as uow:
        row = uow.conn.execute(
            select(
                sales_order.c.external_ref,
                channel.c.code,
                channel.c.writeback_url,
                channel.c.webhook_secret,
            )
            .select_from(sales_order.join(channel, channel.c.id == sales_order.c.channel_id))
            .where(sales_order.c.ref == order_ref)
        ).first()
    if row is None:
        raise WritebackFailed(f"order {order_ref} not found")
    return row


def post(url: str, secret: str, document: dict, delivery_id: str) -> int:
    """POST ``document`` to ``url`` signed with ``secret``; the HTTP status (2xx) or
    ``WritebackFailed``."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "OmniStock-writeback",
        "X-OmniStock-Event": EVENT,
        "X-OmniStock-Delivery": delivery_id,
        **sign_generic(secret, body, int(time.time())),
    }
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
            answer.read(MAX_ANSWER_BYTES)
            status = answer.status
    except urllib.error.HTTPError as exc:
        raise WritebackFailed(f"{url} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WritebackFailed(f"{url} could not be reached: {reason}") from exc
    if not 200 <= status < 300:
        raise WritebackFailed(f"{url} answered HTTP {status}")
    return status


def deliver(engine: Engine, msg: Message) -> None:
    """Outbox handler of ``fulfillment.shipped`` (see the module)."""
    ref = msg.payload["order"]
    target = _target(engine, ref)
    if not target.writeback_url:
        log.info(
            "shipment of %s (message %s): channel %s has no write-back URL, nothing to send",
            ref,
            msg.id,
            target.code,
        )
        return
    if not target.webhook_secret:
        raise WritebackFailed(
            f"channel {target.code} has a write-back URL but no webhook secret to sign with: set one"
        )
    document = shipment_document(msg.payload, target.code, target.external_ref)
    status = post(target.writeback_url, target.webhook_secret, document, str(msg.id))
    log.info("shipment of %s (message %s) written back to %s: HTTP %s", ref, msg.id, target.code, status)


register_handler(TOPIC, deliver, with_engine=True)
