"""The outbox sent in batches: one SMTP connection a tick, each message its own outcome, never sent twice."""

import functools
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking import clock, mail
from booking.services.transactions import write_transaction
from models import EmailMessage, EmailStatus, db
from tests.concurrency import run_at_once
from tests.smtp import Inbox, start_smtp

RACERS = 4


def queue(count: int, *, prefix: str = "person") -> list[int]:
    """`count` messages in the outbox, as a use case's transaction writes them, none sent yet."""
    now = clock.now()
    with write_transaction():
        messages = [
            EmailMessage(
                kind="account_verified",
                to_address=f"{prefix}{n}@example.com",
                subject=f"账户已验证 {n}",
                body=f"您好 {n}",
                ics=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" if n % 2 else None,
                created_at=now,
                next_attempt_at=now,
            )
            for n in range(count)
        ]
        db.session.add_all(messages)
    return [m.id for m in messages]


def outbox() -> dict[str, EmailMessage]:
    db.session.rollback()
    return {m.to_address: m for m in db.session.scalars(sa.select(EmailMessage))}


@pytest.fixture(autouse=True)
def scheduler_only(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # The messages wait in the outbox for the deliverers under test.
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_COMMIT", False)


def test_a_burst_goes_out_over_one_smtp_connection(app: Flask, smtp: Inbox, monkeypatch) -> None:
    monkeypatch.setattr(mail, "CLAIM_BATCH", 7)  # several claim batches, one connection
    queue(30)
    assert mail.deliver_pending(clock.now()) == mail.DeliveryReport(sent=30)
    assert len(smtp.messages) == 30 and len(smtp.connections) == 1
    assert {(m.status, m.attempts) for m in outbox().values()} == {(EmailStatus.SENT, 1)}
    assert mail.deliver_pending(clock.now() + timedelta(hours=1)) == mail.DeliveryReport()


def test_a_tick_sends_at_most_its_limit_and_the_next_tick_the_rest(
    app: Flask, smtp: Inbox, monkeypatch
) -> None:
    monkeypatch.setattr(mail, "CLAIM_BATCH", 4)
    queue(10)
    assert mail.deliver_pending(clock.now(), limit=6) == mail.DeliveryReport(sent=6)
    assert mail.deliver_pending(clock.now(), limit=6) == mail.DeliveryReport(sent=4)
    assert Counter(m["To"] for m in smtp.messages) == Counter(f"person{n}@example.com" for n in range(10))


def test_a_refused_message_is_retried_later_and_the_rest_of_its_batch_sent_once(
    app: Flask, smtp: Inbox
) -> None:
    queue(5)
    smtp.refuse.add("person2@example.com")
    now = clock.now()
    assert mail.deliver_pending(now) == mail.DeliveryReport(sent=4, retrying=1)
    messages = outbox()
    refused = messages.pop("person2@example.com")
    assert (refused.status, refused.attempts, refused.sent_at) == (EmailStatus.QUEUED, 1, None)
    assert "550" in refused.last_error
    assert refused.next_attempt_at == now + mail.retry_delay(1)
    assert {(m.status, m.attempts) for m in messages.values()} == {(EmailStatus.SENT, 1)}
    # The same connection went on after the refusal.
    assert len(smtp.connections) == 1

    smtp.refuse.clear()
    assert mail.deliver_pending(now + timedelta(seconds=30)) == mail.DeliveryReport()  # not due yet
    assert mail.deliver_pending(now + timedelta(minutes=1)) == mail.DeliveryReport(sent=1)
    assert Counter(m["To"] for m in smtp.messages) == Counter(f"person{n}@example.com" for n in range(5))
    assert (outbox()["person2@example.com"].status, outbox()["person2@example.com"].attempts) == (
        EmailStatus.SENT,
        2,
    )


def test_a_down_server_fails_each_message_of_the_batch_after_one_connection_attempt(
    app: Flask, dead_smtp: int, monkeypatch
) -> None:
    monkeypatch.setattr(mail, "CLAIM_BATCH", 3)
    queue(5)
    now = clock.now()
    # One batch is tried; the server being down, the next batch waits for the next tick untouched.
    assert mail.deliver_pending(now) == mail.DeliveryReport(retrying=3)
    messages = sorted(outbox().values(), key=lambda m: m.id)
    assert [(m.status, m.attempts, bool(m.last_error)) for m in messages] == [
        (EmailStatus.QUEUED, 1, True)
    ] * 3 + [(EmailStatus.QUEUED, 0, False)] * 2
    assert all(m.next_attempt_at == now + mail.retry_delay(1) for m in messages[:3])


def test_a_batch_whose_claim_could_lapse_is_handed_back_unsent(app: Flask, smtp: Inbox, monkeypatch) -> None:
    # A claim too short for any sending: nothing may go out under it, everything goes back to the queue.
    monkeypatch.setattr(mail, "CLAIM_LEASE", timedelta(0))
    queue(3)
    now = clock.now()
    assert mail.deliver_pending(now) == mail.DeliveryReport()
    assert smtp.messages == []
    assert {(m.status, m.attempts, m.next_attempt_at) for m in outbox().values()} == {
        (EmailStatus.QUEUED, 0, now)
    }


def test_an_unexpected_error_keeps_what_was_sent_and_hands_back_what_was_not(
    app: Flask, smtp: Inbox, monkeypatch
) -> None:
    queue(3)
    compose = mail.compose

    def compose_failing_for_the_second(row, sender):
        if row["to_address"] == "person1@example.com":
            raise RuntimeError("a bug")
        return compose(row, sender)

    monkeypatch.setattr(mail, "compose", compose_failing_for_the_second)
    with pytest.raises(RuntimeError):
        mail.deliver_pending(clock.now())
    messages = outbox()
    assert [m["To"] for m in smtp.messages] == ["person0@example.com"]
    assert messages["person0@example.com"].status == EmailStatus.SENT
    # The one that failed stays claimed until its lease lapses; the one never tried is queued again.
    assert (messages["person1@example.com"].status, messages["person1@example.com"].attempts) == (
        EmailStatus.SENDING,
        1,
    )
    assert (messages["person2@example.com"].status, messages["person2@example.com"].attempts) == (
        EmailStatus.QUEUED,
        0,
    )


@pytest.mark.slow
def test_schedulers_and_after_commit_deliverers_racing_send_each_message_once(
    app: Flask, race_app: Flask, monkeypatch
) -> None:
    monkeypatch.setattr(mail, "CLAIM_BATCH", 5)  # many small claims, interleaving
    inbox, controller = start_smtp(race_app, monkeypatch)
    try:
        for round_ in range(3):
            ids = queue(60, prefix=f"round{round_}-")
            now = clock.now()
            deliverers = [functools.partial(mail.deliver_pending, now)] * RACERS + [
                # A web worker delivering what its transaction wrote, in two halves, while the schedulers run.
                functools.partial(mail.deliver, ids[:30], now),
                functools.partial(mail.deliver, ids[30:], now),
            ]
            reports, refusals = run_at_once(race_app, deliverers)
            assert not refusals
            assert sum(r.sent for r in reports) == 60
            assert not any(r.retrying or r.failed for r in reports)
    finally:
        controller.stop()
    received = Counter(m["To"] for m in inbox.messages)
    assert len(received) == 180 and set(received.values()) == {1}
    assert {(m.status, m.attempts) for m in outbox().values()} == {(EmailStatus.SENT, 1)}
