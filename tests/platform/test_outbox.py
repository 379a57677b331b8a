"""The transactional outbox: delivery, retry with back-off, at-least-once with idempotent handlers."""

from __future__ import annotations

import itertools

from sqlalchemy import func, insert, select, update

from omnistock.platform.audit import audit_log
from omnistock.platform.auth import Actor
from omnistock.platform.clock import utcnow
from omnistock.platform.outbox import (
    Message,
    OutboxWorker,
    PeriodicJob,
    deliver_due,
    outbox_message,
    register_handler,
)
from omnistock.platform.uow import UnitOfWork

_seq = itertools.count()


def topic() -> str:
    return f"test.topic.{next(_seq)}"


def enqueue(engine, t: str, payload: dict) -> None:
    with UnitOfWork(engine, Actor.system("test")) as uow:
        uow.enqueue(t, payload)


def rows(engine):
    with engine.connect() as conn:
        return conn.execute(select(outbox_message).order_by(outbox_message.c.id)).all()


def make_due(engine):
    with engine.begin() as conn:
        conn.execute(update(outbox_message).values(available_at=utcnow()))


def test_delivers_committed_messages_once(engine):
    t, got = topic(), []
    register_handler(t, lambda m: got.append(m))
    enqueue(engine, t, {"sku": "A", "qty": 3})
    assert deliver_due(engine) == 1
    assert [m.payload for m in got] == [{"sku": "A", "qty": 3}] and got[0].attempts == 1
    assert rows(engine)[0].delivered_at is not None
    assert deliver_due(engine) == 0 and len(got) == 1


def test_rolled_back_command_enqueues_nothing(engine):
    t = topic()
    try:
        with UnitOfWork(engine, Actor.system("test")) as uow:
            uow.enqueue(t, {"x": 1})
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert rows(engine) == []


def test_failure_is_retried_later_with_backoff(engine):
    t, calls = topic(), []

    def flaky(m: Message) -> None:
        calls.append(m.attempts)
        if m.attempts < 3:
            raise ConnectionError("channel API down")

    register_handler(t, flaky)
    enqueue(engine, t, {"n": 1})
    assert deliver_due(engine) == 0
    row = rows(engine)[0]
    assert row.delivered_at is None and row.attempts == 1 and "channel API down" in row.last_error
    assert row.available_at > utcnow() and row.locked_until is None
    assert deliver_due(engine) == 0 and calls == [1]  # not due yet: back-off respected
    make_due(engine)
    assert deliver_due(engine) == 0
    make_due(engine)
    assert deliver_due(engine) == 1
    assert calls == [1, 2, 3]
    row = rows(engine)[0]
    assert row.delivered_at is not None and row.last_error is None and row.attempts == 3


def test_unknown_topic_is_kept_for_retry(engine):
    enqueue(engine, "test.nobody.listens", {})
    assert deliver_due(engine) == 0
    assert "no handler" in rows(engine)[0].last_error


def test_redelivery_is_harmless_for_an_idempotent_handler(engine):
    t = topic()
    applied: dict[int, dict] = {}
    calls = []

    def handler(m: Message) -> None:
        calls.append(m.id)
        applied.setdefault(m.id, m.payload)  # dedupe on the message id

    register_handler(t, handler)
    enqueue(engine, t, {"n": 1})
    enqueue(engine, t, {"n": 2})
    assert deliver_due(engine) == 2
    # Simulate a lost acknowledgement (the worker died after the handler ran, before marking).
    with engine.begin() as conn:
        conn.execute(update(outbox_message).where(outbox_message.c.id == calls[0]).values(delivered_at=None))
    assert deliver_due(engine) == 1
    assert calls[0] == calls[2] and len(applied) == 2


def test_claimed_message_is_not_run_twice_until_its_lease_expires(engine):
    t, calls = topic(), []
    register_handler(t, lambda m: calls.append(m.id))
    enqueue(engine, t, {})
    with engine.begin() as conn:  # another worker holds the lease
        conn.execute(update(outbox_message).values(locked_until=utcnow().replace(year=2999)))
    assert deliver_due(engine) == 0 and calls == []
    with engine.begin() as conn:  # its lease ran out (the worker died)
        conn.execute(update(outbox_message).values(locked_until=utcnow().replace(year=2000)))
    assert deliver_due(engine) == 1 and len(calls) == 1


def test_an_in_transaction_handler_that_fails_leaves_nothing_and_is_retried(engine):
    t, calls = topic(), []

    def handler(conn, msg):
        conn.execute(
            insert(audit_log),
            {
                "at": utcnow(),
                "actor_name": "t",
                "action": "t.local",
                "entity_type": "t",
                "entity_id": str(msg.id),
            },
        )
        calls.append(msg.id)
        if len(calls) == 1:
            raise ConnectionError("boom")

    register_handler(t, handler, in_transaction=True)
    enqueue(engine, t, {})
    assert deliver_due(engine) == 0 and audit_rows(engine) == 0  # its row went with the rollback
    assert rows(engine)[0].delivered_at is None and "boom" in rows(engine)[0].last_error
    make_due(engine)
    assert deliver_due(engine) == 1 and audit_rows(engine) == 1 and len(calls) == 2
    assert rows(engine)[0].delivered_at is not None


def audit_rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.action == "t.local")
        ).scalar_one()


def test_only_the_given_topics_are_delivered(engine):
    a, b, got = topic(), topic(), []
    register_handler(a, lambda m: got.append(m.topic))
    register_handler(b, lambda m: got.append(m.topic))
    enqueue(engine, a, {})
    enqueue(engine, b, {})
    assert deliver_due(engine, topics=[b]) == 1 and got == [b]
    assert deliver_due(engine) == 1 and got == [b, a]


def test_worker_runs_periodic_jobs_on_their_interval(engine):
    runs = []

    def job(e):
        runs.append(e)

    def broken(_e):
        raise RuntimeError("a failing job is logged, not raised")

    worker = OutboxWorker(engine, jobs=[PeriodicJob("count", 3600, job), PeriodicJob("broken", 3600, broken)])
    assert worker.run_due_jobs() == 2 and runs == [engine]
    assert worker.run_due_jobs() == 0 and len(runs) == 1  # not due again for an hour


def test_a_handler_with_the_engine_runs_outside_any_transaction(engine):
    """It reads (and could write) in its own units of work — on SQLite a write needs the lock,
    so this would block if the worker held a transaction open around the handler."""
    t, seen = topic(), []

    def handler(e, msg: Message) -> None:
        with UnitOfWork(e, Actor.system("test")) as uow:
            uow.audit("t.engine", "t", str(msg.id))
        seen.append(msg.payload)
        if len(seen) == 1:
            raise ConnectionError("receiver down")

    register_handler(t, handler, with_engine=True)
    enqueue(engine, t, {"n": 1})
    assert deliver_due(engine) == 0 and "receiver down" in rows(engine)[0].last_error
    make_due(engine)
    assert deliver_due(engine) == 1 and seen == [{"n": 1}, {"n": 1}]
    assert rows(engine)[0].delivered_at is not None and rows(engine)[0].attempts == 2
