"""Per-database, per-process caches.

``CodeCache``: immutable lookups (code -> id), safe across processes. Only values that can never
change once committed go here (a SKU's id and cost method, a warehouse's id). A value is added
after the transaction that read it commits, so a rolled-back creation never leaves a ghost behind.

``TtlCache``: settings that can change but are read on every command of a hot path (who a token
is, the auto-review and routing rules, the posting accounts). A value is re-read once it is older
than the cache's ``ttl``: another process sees a change within that many seconds, the process
that makes the change at once (the change calls ``forget``).
"""

from __future__ import annotations

import threading
import time
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


MISSING = object()


class TtlCache:
    def __init__(self, name: str, ttl: float = 2.0, max_size: int = 10_000):
        self.name = name
        self.ttl = ttl
        self.max_size = max_size
        self._by_engine: weakref.WeakKeyDictionary[Any, dict[Any, tuple[float, Any]]] = (
            weakref.WeakKeyDictionary()
        )

    def _map(self, engine) -> dict[Any, tuple[float, Any]]:
        m = self._by_engine.get(engine)
        if m is None:
            with _lock:
                m = self._by_engine.setdefault(engine, {})
        return m

    def get(self, engine, key: Any, load: Callable[[], Any]) -> Any:
        """The value of ``key`` read less than ``ttl`` seconds ago, else ``load()`` (kept). A
        ``load`` that raises keeps nothing."""
        value = self.peek(engine, key)
        if value is not MISSING:
            return value
        now = time.monotonic()
        value = load()
        m = self._map(engine)
        if len(m) >= self.max_size:
            m.clear()
        m[key] = (now, value)
        return value

    def peek(self, engine, key: Any) -> Any:
        """The value of ``key`` if it was read less than ``ttl`` seconds ago, else ``MISSING``:
        never loads (a caller on the event loop, which must not do I/O)."""
        hit = self._map(engine).get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        return MISSING

    def forget(self, uow, key: Any = None) -> None:
        """After a change in ``uow``'s transaction: drop ``key`` (None: every key of this database)
        now, so the rest of the transaction reads afresh, and again when it commits or rolls back."""
        m = self._map(uow.conn.engine)

        def drop() -> None:
            if key is None:
                m.clear()
            else:
                m.pop(key, None)

        drop()
        uow.after_commit(drop)
        uow.after_rollback(drop)

    def clear(self) -> None:
        """Forget everything, for every database (a restore replaced the data underneath)."""
        with _lock:
            for m in self._by_engine.values():
                m.clear()
