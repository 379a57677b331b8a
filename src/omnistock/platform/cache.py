"""Per-database caches of immutable lookups (code -> id) that are safe across processes.

Only values that can never change once committed go here (a SKU's id and cost method, a
warehouse's id). A value is added after the transaction that read it commits, so a rolled-back
creation never leaves a ghost behind.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()


class CodeCache:
    def __init__(self, name: str, max_size: int = 200_000):
        self.name = name
        self.max_size = max_size
        self._by_engine: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()

    def _map(self, uow) -> dict[str, Any]:
        engine = uow.conn.engine
        m = self._by_engine.get(engine)
        if m is None:
            with _lock:
                m = self._by_engine.setdefault(engine, {})
        return m

    def get(self, uow, key: Any) -> Any | None:
        return self._map(uow).get(key)

    def lookup(self, uow, key: Any, load: Callable[[], Any | None]) -> Any | None:
        """The cached value of ``key``, else ``load()`` (kept once the transaction commits);
        None when ``load`` finds nothing (absence is never cached)."""
        hit = self._map(uow).get(key)
        if hit is None:
            hit = load()
            if hit is not None:
                self.put_after_commit(uow, key, hit)
        return hit

    def forget(self, uow, key: Any) -> None:
        self._map(uow).pop(key, None)

    def put_after_commit(self, uow, key: Any, value: Any) -> None:
        m = self._map(uow)

        def put() -> None:
            if len(m) >= self.max_size:
                m.clear()
            m[key] = value

        uow.after_commit(put)
