"""Sales channels as the order pool sees them: their settings, the webhook secret their pushes
are signed with, the URL shipments are written back to (``orders.writeback``), and taking an
order from a channel's webhook or from an import file."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select, update

from omnistock.orders import adapters, rules
from omnistock.orders.models import channel, sales_order, webhook_delivery
from omnistock.orders.pool import Taken, _bad, on_conflict_nothing, receive_order
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict, NotFound
from omnistock.platform.uow import UnitOfWork


@dataclass(frozen=True)
class ChannelView:
    code: str
    name: str
    kind: str
    active: bool
    adapter: str | None
    has_secret: bool
    writeback_url: str | None


def _view(r) -> ChannelView:
    return ChannelView(r.code, r.name, r.kind, r.active, r.adapter, bool(r.webhook_secret), r.writeback_url)


WRITEBACK_URL_MAX = 500


def check_writeback_url(url: str) -> str:
    """``url`` stripped, if it is an absolute http(s) URL with a host; ``orders.bad_writeback_url``
    (422) otherwise."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
        good = (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and not any(c.isspace() for c in text)
            and len(text) <= WRITEBACK_URL_MAX
        )
    except ValueError:
        good = False
    if not good:
        raise _bad(
            "bad_writeback_url",
            "The write-back URL must be an http:// or https:// address with a host, at most {max} "
            "characters (got {url})",
            "回传地址必须是带主机名的 http:// 或 https:// 地址，最多 {max} 个字符（收到 {url}）",
            url=text[:100],
            max=WRITEBACK_URL_MAX,
        )
    return text


def list_channels(uow: UnitOfWork) -> list[ChannelView]:
    allowed = uow.actor.allowed("channel")
    rows = uow.conn.execute(select(channel).order_by(channel.c.code)).all()
    return [_view(r) for r in rows if allowed is None or r.code in allowed]


def _row(uow: UnitOfWork, code: str):
    r = (
        uow.conn.execute(select(channel).where(channel.c.code == code)).first()
        if isinstance(code, str)
        else None
    )
    if r is None:
        raise NotFound(
            "orders.unknown_channel", "Unknown channel {code}", "未知的渠道：{code}", code=str(code)[:64]
        )
    return r


def update_channel(
    uow: UnitOfWork,
    code: str,
    *,
    name: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
    adapter: str | None | type(...) = ...,
    writeback_url: str | None | type(...) = ...,
) -> ChannelView:
    """Change a channel's name, kind, switch it on or off, say which adapter reads its pushes, or
    where its shipments are written back (None or blank: nowhere)."""
    uow.actor.require("orders.channel.manage")
    before = _row(uow, code)
    values: dict = {}
    if name is not None:
        if not name.strip() or len(name) > 200:
            raise _bad(
                "bad_channel", "A channel needs a name of 1-200 characters", "渠道名称必须是 1-200 个字符"
            )
        values["name"] = name.strip()
    if kind is not None:
        if kind not in rules.CHANNEL_KINDS:
            raise _bad(
                "bad_channel_kind",
                "A channel kind is one of: " + ", ".join(rules.CHANNEL_KINDS),
                "渠道类型必须是以下之一：" + "、".join(rules.CHANNEL_KINDS),
            )
        values["kind"] = kind
    if active is not None:
        values["active"] = active
    if adapter is not ...:
        if adapter is not None and adapter not in rules.ADAPTERS:
            raise _bad(
                "bad_adapter", "An adapter is one of: shopify, generic", "接入方式必须是 shopify 或 generic"
            )
        values["adapter"] = adapter
    if writeback_url is not ...:
        url = None if writeback_url is None or not writeback_url.strip() else writeback_url
        values["writeback_url"] = None if url is None else check_writeback_url(url)
    if values:
        uow.conn.execute(update(channel).where(channel.c.id == before.id).values(**values))
        uow.audit(
            "orders.channel.update",
            "channel",
            code,
            before={k: getattr(before, k) for k in values},
            after=values,
        )
    return _view(_row(uow, code))


def rotate_webhook_secret(uow: UnitOfWork, code: str) -> str:
    """A new secret for the channel's webhook signatures (the old one stops working at once).
    Returned once; only whether a secret is set is shown afterwards."""
    uow.actor.require("orders.channel.manage")
    row = _row(uow, code)
    secret = secrets.token_urlsafe(32)
    uow.conn.execute(update(channel).where(channel.c.id == row.id).values(webhook_secret=secret))
    uow.audit("orders.channel.secret", "channel", code, after={"rotated": True})
    return secret


def receive_webhook(uow: UnitOfWork, code: str, headers: Mapping[str, str], body: bytes) -> Taken:
    """An order pushed by a channel: the signature is checked with the channel's secret, a
    delivery seen before returns the order it made, and the payload is read by the channel's
    adapter and taken into the pool like any other order."""
    row = _row(uow, code)
    if not row.active:
        raise Conflict(
            "orders.channel_inactive", "Channel {code} is switched off", "渠道 {code} 已停用", code=code
        )
    if not row.adapter or not row.webhook_secret:
        raise Conflict(
            "orders.webhook_not_configured",
            "Channel {code} takes no webhooks: set its adapter and secret first",
            "渠道 {code} 未配置接入：请先设置接入方式和密钥",
            code=code,
        )
    adapter = adapters.get_adapter(row.adapter)
    adapter.verify(row.webhook_secret, headers, body, utcnow())
    delivery = adapter.delivery_id(headers)
    if delivery:
        seen = uow.conn.execute(
            select(webhook_delivery.c.order_id).where(
                webhook_delivery.c.channel_id == row.id, webhook_delivery.c.delivery_id == delivery[:128]
            )
        ).scalar()
        if seen is not None:
            r = uow.conn.execute(
                select(sales_order.c.id, sales_order.c.ref, sales_order.c.status).where(
                    sales_order.c.id == seen
                )
            ).one()
            return Taken(r.id, r.ref, r.status, created=False)
    order = adapter.parse(code, body)
    taken = receive_order(uow, order)
    if delivery:
        uow.conn.execute(
            on_conflict_nothing(
                uow,
                webhook_delivery,
                {
                    "channel_id": row.id,
                    "delivery_id": delivery[:128],
                    "order_id": taken.id,
                    "received_at": utcnow(),
                },
            )
        )
    return taken
