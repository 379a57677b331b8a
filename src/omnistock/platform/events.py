"""In-transaction events: how an upstream area tells the areas downstream of it what just
happened, inside the caller's transaction.

The outbox carries effects *outside* the database, after commit. These events are for effects
that must commit or vanish together with the change: the journal entry of a shipment is written
in the shipment's transaction. Publishing calls every subscriber at once, in the publisher's
unit of work; a subscriber that raises rolls the whole command back.

Subscribers live downstream (finance subscribes to inventory's and orders' events), so an
upstream area never imports them: the top-level module ``omnistock.subscribers`` imports every
subscribing module, and is loaded the first time anything is published.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

Handler = Callable[[Any, Any], None]  # (unit of work, event)

_handlers: dict[str, list[Handler]] = {}
_loaded = False
_lock = threading.Lock()
SUBSCRIBERS_MODULE = "omnistock.subscribers"


def subscribe(topic: str) -> Callable[[Handler], Handler]:
    """Decorator: call ``fn(uow, event)`` whenever ``topic`` is published."""

    def register(fn: Handler) -> Handler:
        _handlers.setdefault(topic, []).append(fn)
        return fn

    return register


def _load() -> None:
    global _loaded
    with _lock:
        if not _loaded:
            importlib.import_module(SUBSCRIBERS_MODULE)
            _loaded = True


def publish(uow, topic: str, event: Any) -> None:
    """Hand ``event`` to every subscriber of ``topic`` in ``uow``'s transaction."""
    if not _loaded:
        _load()
    for fn in _handlers.get(topic, ()):
        fn(uow, event)
