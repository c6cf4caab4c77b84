"""The outbox's retries: exponential backoff, dead letters after the last attempt, re-queueing.
On SQLite and PostgreSQL (the `engine` fixture), each test in a rolled-back transaction."""

from __future__ import annotations

from datetime import timedelta

from supportdesk.notifications import outbox
from supportdesk.notifications.ports import FakeNotifier, Notification

from .conftest import outbox_rows


class DownNotifier:
    """A transport that is down: every send fails; counts the tries."""

    def __init__(self) -> None:
        self.tries: list[Notification] = []

    def send(self, notification: Notification) -> None:
        self.tries.append(notification)
        raise ConnectionError("smtp: connection refused")


def put(db_session, clock, key="k1", **kw):
    outbox.enqueue(
        db_session,
        dedupe_key=key,
        recipient="lead@vendor.example",
        kind="test",
        now=clock.now,
        **kw,
    )
    db_session.commit()
    (row,) = outbox_rows(db_session, dedupe_key=key)
    return row


def test_the_backoff_doubles_from_a_minute_and_is_capped_at_an_hour():
    minutes = [outbox.retry_delay(n) / timedelta(minutes=1) for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert outbox.retry_delay(0) == timedelta(0)
    assert outbox.retry_delay(10_000) == timedelta(hours=1)


def test_a_failure_is_retried_only_after_the_backoff_then_delivered_once(db_session, clock):
    row = put(db_session, clock)
    notifier = FakeNotifier(fail_next=2)
    t0 = clock.now
    assert outbox.dispatch(db_session, notifier=notifier, now=t0) == 0
    assert row.attempts == 1 and row.not_before == t0 + timedelta(minutes=1)
    assert row.last_error == "RuntimeError: fake delivery failure" and row.dead_at is None

    # Not before the backoff: the next runs leave it alone.
    for seconds in (0, 30, 59):
        assert (
            outbox.dispatch(db_session, notifier=notifier, now=t0 + timedelta(seconds=seconds)) == 0
        )
    assert row.attempts == 1 and notifier.fail_next == 1, "not tried during the backoff"

    t1 = t0 + timedelta(minutes=1)
    assert outbox.dispatch(db_session, notifier=notifier, now=t1) == 0  # second failure
    assert row.attempts == 2 and row.not_before == t1 + timedelta(minutes=2)
    assert outbox.dispatch(db_session, notifier=notifier, now=t1 + timedelta(seconds=119)) == 0
    assert row.attempts == 2

    t2 = t1 + timedelta(minutes=2)
    assert outbox.dispatch(db_session, notifier=notifier, now=t2) == 1
    assert row.delivered_at == t2 and row.attempts == 3 and row.dead_at is None
    assert outbox.dispatch(db_session, notifier=notifier, now=t2 + timedelta(hours=2)) == 0
    assert [n.dedupe_key for n in notifier.sent] == ["k1"]
    assert outbox.pending(db_session) == [] and outbox.dead_letters(db_session) == []


def test_a_failing_message_does_not_hold_up_the_others(db_session, clock):
    bad = put(db_session, clock, "bad")
    notifier = FakeNotifier(fail_next=1)
    assert outbox.dispatch(db_session, notifier=notifier, now=clock.now) == 0
    good = put(db_session, clock, "good")
    assert outbox.dispatch(db_session, notifier=notifier, now=clock.now) == 1
    assert good.delivered_at == clock.now and bad.delivered_at is None and bad.attempts == 1


def test_after_the_last_attempt_a_message_is_dead_kept_and_listed(db_session, clock):
    row = put(db_session, clock, ticket_id=None, payload={"n": 1})
    notifier = DownNotifier()
    start = clock.now
    while row.dead_at is None:
        assert len(notifier.tries) < outbox.MAX_ATTEMPTS, "dead after MAX_ATTEMPTS tries"
        clock.now = row.not_before
        outbox.dispatch(db_session, notifier=notifier, now=clock.now)
    assert len(notifier.tries) == row.attempts == outbox.MAX_ATTEMPTS
    assert row.dead_at == clock.now and row.delivered_at is None
    assert row.last_error == "ConnectionError: smtp: connection refused"
    # 1+2+4+8+16+32 minutes, then an hour between each of the remaining tries.
    span = clock.now - start
    assert span == timedelta(minutes=63) + timedelta(hours=outbox.MAX_ATTEMPTS - 7)

    assert outbox.pending(db_session) == []
    assert [m.id for m in outbox.dead_letters(db_session)] == [row.id]
    # Never tried again by itself, however long the dispatcher keeps running.
    for days in (1, 30):
        outbox.dispatch(db_session, notifier=notifier, now=clock.now + timedelta(days=days))
    assert len(notifier.tries) == outbox.MAX_ATTEMPTS
    assert outbox_rows(db_session, dedupe_key="k1") == [row], "never deleted"


def test_requeue_gives_a_dead_letter_fresh_attempts_and_it_is_delivered_once(db_session, clock):
    row = put(db_session, clock)
    done = put(db_session, clock, "done")
    down = DownNotifier()
    while row.dead_at is None:
        clock.now = row.not_before
        outbox.dispatch(db_session, notifier=down, now=clock.now)
    assert done.dead_at is not None  # both died: the transport was down throughout
    outbox.requeue(db_session, ids=[done.id], now=clock.now)
    up = FakeNotifier()
    assert outbox.dispatch(db_session, notifier=up, now=clock.now) == 1

    # Unknown, delivered and queued ids are not touched.
    assert outbox.requeue(db_session, ids=[done.id, 999_999], now=clock.now) == []
    assert outbox.requeue(db_session, ids=[], now=clock.now) == []

    later = clock.advance(hours=1)
    assert outbox.requeue(db_session, ids=[row.id], now=later) == [row.id]
    assert (row.dead_at, row.attempts, row.not_before) == (None, 0, later)
    assert row.last_error, "the last error stays for the record"
    assert outbox.dead_letters(db_session) == [] and outbox.pending(db_session) == [row]
    assert outbox.dispatch(db_session, notifier=up, now=later) == 1
    assert outbox.dispatch(db_session, notifier=up, now=later + timedelta(hours=1)) == 0
    assert sorted(n.dedupe_key for n in up.sent) == ["done", "k1"]
    assert row.delivered_at == later and row.attempts == 1


def test_requeue_all(db_session, clock):
    rows = [put(db_session, clock, f"k{i}") for i in range(3)]
    down = DownNotifier()
    while any(r.dead_at is None for r in rows):
        clock.now = min(r.not_before for r in rows if r.dead_at is None)
        outbox.dispatch(db_session, notifier=down, now=clock.now)
    assert len(outbox.dead_letters(db_session, limit=2)) == 2
    assert outbox.requeue(db_session, ids=None, now=clock.now) == [r.id for r in rows]
    assert outbox.dispatch(db_session, notifier=FakeNotifier(), now=clock.now) == 3


def test_the_last_allowed_attempt_may_still_succeed(db_session, clock):
    row = put(db_session, clock)
    notifier = FakeNotifier(fail_next=outbox.MAX_ATTEMPTS - 1)
    while row.delivered_at is None:
        assert row.dead_at is None
        clock.now = row.not_before
        outbox.dispatch(db_session, notifier=notifier, now=clock.now)
    assert row.attempts == outbox.MAX_ATTEMPTS and row.dead_at is None
    assert len(notifier.sent) == 1
