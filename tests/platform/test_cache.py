"""TtlCache: a value read recently is reused, re-read once older than the ttl, and forgotten by
the transaction that changes it — now, and again when that transaction commits or rolls back."""

from __future__ import annotations

import pytest

from omnistock.platform import cache as cache_mod
from omnistock.platform.cache import TtlCache
from omnistock.platform.uow import UnitOfWork


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(cache_mod.time, "monotonic", c)
    return c


def test_reused_within_the_ttl_and_read_again_after(engine, clock):
    c = TtlCache("t", ttl=2.0)
    loads = []

    def load():
        loads.append(1)
        return len(loads)

    assert c.get(engine, "k", load) == 1
    clock.now += 1.9
    assert c.get(engine, "k", load) == 1
    clock.now += 0.2
    assert c.get(engine, "k", load) == 2
    assert c.get(engine, "other", load) == 3  # keys apart


def test_a_failed_load_keeps_nothing(engine, clock):
    c = TtlCache("t")

    def boom():
        raise LookupError

    with pytest.raises(LookupError):
        c.get(engine, "k", boom)
    assert c.get(engine, "k", lambda: "fresh") == "fresh"


def test_forget_drops_now_and_again_at_commit_or_rollback(engine, clock):
    c = TtlCache("t")
    c.get(engine, "k", lambda: "old")
    with UnitOfWork(engine) as uow:
        c.forget(uow, "k")
        assert c.get(engine, "k", lambda: "read inside") == "read inside"
    assert c.get(engine, "k", lambda: "after commit") == "after commit"
    with pytest.raises(RuntimeError), UnitOfWork(engine) as uow:
        c.forget(uow)  # every key
        c.get(engine, "k", lambda: "uncommitted")
        raise RuntimeError
    assert c.get(engine, "k", lambda: "after rollback") == "after rollback"


def test_databases_apart_and_clear(engine, clock, tmp_path):
    from omnistock.platform.db import make_engine

    other = make_engine(f"sqlite:///{tmp_path}/other.db")
    c = TtlCache("t")
    c.get(engine, "k", lambda: "one")
    assert c.get(other, "k", lambda: "two") == "two"
    c.clear()
    assert c.get(engine, "k", lambda: "three") == "three"
    other.dispose()
