"""Shipments written back to the channel: the ``fulfillment.shipped`` handler POSTs to a real HTTP
server on 127.0.0.1, signed as a generic channel signs its pushes; a failing receiver leaves the
message to the outbox's retries; a channel without a write-back URL gets nothing."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select, update

from omnistock.fulfillment import service as fulfillment
from omnistock.orders import channels
from omnistock.orders.adapters import GenericAdapter
from omnistock.platform.audit import audit_log
from omnistock.platform.clock import utcnow
from omnistock.platform.outbox import deliver_due, outbox_message
from tests.fulfillment.helpers import order, setup
from tests.orders.pool_helpers import uow

TOPIC = ["fulfillment.shipped"]


class Receiver:
    """A channel's endpoint: records every POST (header names in lower case) and answers ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.got: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/omnistock/shipments"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _shipped(engine, ext: str = "A") -> str:
    """An order of channel WX (its channel order number ``ext``) packed and shipped."""
    ref = order(engine, ext, [("TEA", 2)])
    with uow(engine) as u:
        (w,) = fulfillment.create_waves(u, warehouse="SH", refs=[ref]).waves
    with uow(engine) as u:
        fulfillment.release_wave(u, w)
    with uow(engine) as u:
        fulfillment.confirm_picks(u, w)
    with uow(engine) as u:
        fulfillment.pack(u, ref, items=[fulfillment.PackItem("TEA", 2)], weight_g=600)
    with uow(engine) as u:
        fulfillment.ship(u, ref, tracking_no=f"SFW{ext}0000001")
    return ref


def _message(engine, ref: str):
    with engine.connect() as conn:
        return conn.execute(
            select(outbox_message).where(outbox_message.c.topic == TOPIC[0], outbox_message.c.key == ref)
        ).one()


def _configure(engine, url: str | None) -> str:
    with uow(engine) as u:
        channels.update_channel(u, "WX", writeback_url=url)
        return channels.rotate_webhook_secret(u, "WX")


def test_the_shipment_is_posted_signed_with_the_channel_secret(engine, receiver):
    setup(engine)
    secret = _configure(engine, receiver.url)
    ref = _shipped(engine)

    assert deliver_due(engine, topics=TOPIC) == 1
    ((headers, body),) = receiver.got
    # The receiver checks it exactly as we check a generic channel's push.
    GenericAdapter().verify(secret, headers, body, utcnow())
    msg = _message(engine, ref)
    assert msg.delivered_at is not None and msg.attempts == 1
    assert headers["x-omnistock-delivery"] == str(msg.id)
    assert headers["x-omnistock-event"] == "order.shipped"
    assert headers["content-type"].startswith("application/json")
    doc = json.loads(body)
    assert doc == {
        "event": "order.shipped",
        "channel": "WX",
        "order": ref,
        "channel_order_no": "A",
        "carrier": "SF",
        "carrier_name": "顺丰速运",
        "tracking_no": "SFWA0000001",
        "shipped_at": doc["shipped_at"],
        "lines": [{"sku": "TEA", "qty": 2}],
    }
    assert doc["shipped_at"].endswith("Z")
    # Delivered: the worker does not send it again.
    assert deliver_due(engine, topics=TOPIC) == 0 and len(receiver.got) == 1


def test_a_failing_receiver_leaves_the_message_to_the_retries(engine, receiver):
    setup(engine)
    _configure(engine, receiver.url)
    ref = _shipped(engine)
    receiver.status = 503
    assert deliver_due(engine, topics=TOPIC) == 0
    msg = _message(engine, ref)
    assert msg.delivered_at is None and msg.attempts == 1
    assert "HTTP 503" in msg.last_error and msg.available_at > utcnow()
    assert len(receiver.got) == 1

    # Its back-off over, it is sent again with the same delivery id, and taken this time.
    receiver.status = 204
    with engine.begin() as conn:
        conn.execute(
            update(outbox_message).where(outbox_message.c.id == msg.id).values(available_at=utcnow())
        )
    assert deliver_due(engine, topics=TOPIC) == 1
    first, second = receiver.got
    assert first[1] == second[1]
    assert first[0]["x-omnistock-delivery"] == second[0]["x-omnistock-delivery"] == str(msg.id)
    msg = _message(engine, ref)
    assert msg.delivered_at is not None and msg.attempts == 2 and msg.last_error is None


def test_an_unreachable_receiver_is_retried(engine):
    setup(engine)
    gone = Receiver()
    gone.close()  # nothing listens on its port any more
    _configure(engine, gone.url)
    ref = _shipped(engine)
    assert deliver_due(engine, topics=TOPIC) == 0
    msg = _message(engine, ref)
    assert msg.delivered_at is None and msg.attempts == 1
    assert "could not be reached" in msg.last_error


def test_without_a_write_back_url_nothing_is_sent_and_the_message_is_delivered(engine, receiver, caplog):
    setup(engine)
    ref = _shipped(engine)
    with caplog.at_level(logging.INFO, logger="omnistock.orders.writeback"):
        assert deliver_due(engine, topics=TOPIC) == 1
    assert receiver.got == []
    assert _message(engine, ref).delivered_at is not None
    assert "no write-back URL, nothing to send" in caplog.text


def test_a_url_without_a_secret_is_not_sent_unsigned(engine, receiver):
    setup(engine)
    with uow(engine) as u:
        channels.update_channel(u, "WX", writeback_url=receiver.url)
    ref = _shipped(engine)
    assert deliver_due(engine, topics=TOPIC) == 0
    assert receiver.got == []
    assert "no webhook secret" in _message(engine, ref).last_error


def test_the_write_back_url_over_the_api(admin, engine):
    setup(engine)
    path = "/api/v1/orders/channels/WX"
    for bad in (
        "ftp://example.com/x",
        "example.com/hook",
        "https://",
        "http://exa mple.com",
        "https://h:99999/",
    ):
        r = admin.patch(path, json={"writeback_url": bad}, headers={"Accept-Language": "en"})
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "orders.bad_writeback_url"
        assert "http:// or https://" in r.json()["detail"]
    r = admin.patch(path, json={"writeback_url": "ftp://example.com/x"})
    assert "回传地址" in r.json()["detail"]
    r = admin.patch(path, json={"writeback_url": " https://shop.example.com/omnistock/shipments "})
    assert r.status_code == 200, r.text
    assert r.json()["writeback_url"] == "https://shop.example.com/omnistock/shipments"
    listed = {c["code"]: c for c in admin.get("/api/v1/orders/channels").json()}
    assert listed["WX"]["writeback_url"] == "https://shop.example.com/omnistock/shipments"
    assert listed["LIVE"]["writeback_url"] is None
    # Other changes leave it alone; an empty string removes it.
    assert admin.patch(path, json={"name": "小程序"}).json()["writeback_url"] is not None
    assert admin.patch(path, json={"writeback_url": ""}).json()["writeback_url"] is None
    with engine.connect() as conn:
        changes = (
            conn.execute(
                select(audit_log.c.after)
                .where(audit_log.c.action == "orders.channel.update")
                .order_by(audit_log.c.id)
            )
            .scalars()
            .all()
        )
    assert {"writeback_url": "https://shop.example.com/omnistock/shipments"} in changes
    assert {"writeback_url": None} in changes
