"""Email through the outbox and a real SMTP server: once, in the recipient's language, after commit."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking import clock, mail, notify
from booking.services import approvals, bookings
from booking.services.errors import Refused
from booking.services.transactions import write_transaction
from models import Booking, BookingStatus, EmailMessage, EmailStatus, Notification, ResourceKind, db
from tests.factories import local, make_manager, make_resource, make_university, make_user
from tests.smtp import Inbox, start_smtp

# Tuesday 24 November 2026, 09:00 in Jiaozuo.
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def make_lab(**fields):
    return make_resource(
        make_university(),
        kind=ResourceKind.LAB,
        name_zh="材料实验室",
        name_en="Materials lab",
        policy={"approval_categories": ["resident"]},
        **fields,
    )


def email_someone_new() -> None:
    """One email, to someone new (their student status confirmed), queued in a transaction of its own."""
    person = make_user()
    with write_transaction():
        notify.notify(person.id, "account_verified", at=NOW, category=notify.category_param("student"))


def outbox() -> list[EmailMessage]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(EmailMessage).order_by(EmailMessage.id)))


def test_a_request_emails_each_manager_once_in_their_own_language(app: Flask, smtp: Inbox) -> None:
    lab = make_lab()
    make_manager(lab.university, email="zh@example.com", locale="zh_CN")
    make_manager(lab.university, email="en@example.com", locale="en")
    booking = bookings.request_booking(
        make_user(display_name="王芳"), lab.id, local(25, 10), local(25, 11), now=NOW
    )

    assert len(smtp.messages) == 2
    (zh_message,) = smtp.to("zh@example.com")
    (en_message,) = smtp.to("en@example.com")
    assert "材料实验室" in zh_message["Subject"] and "Materials lab" not in zh_message["Subject"]
    assert "Materials lab" in en_message["Subject"] and "材料实验室" not in en_message["Subject"]
    assert "王芳" in zh_message.get_content()
    assert f"http://localhost/bookings/{booking.id}" in en_message.get_content()
    assert sorted(smtp.recipients) == [["en@example.com"], ["zh@example.com"]]
    assert [(m.status, m.attempts) for m in outbox()] == [(EmailStatus.SENT, 1)] * 2


def test_a_person_without_a_saved_language_is_written_to_in_chinese(app: Flask, smtp: Inbox) -> None:
    lab = make_lab()
    make_manager(lab.university, email="nolocale@example.com", locale=None)
    bookings.request_booking(make_user(), lab.id, local(25, 10), local(25, 11), now=NOW)
    (message,) = smtp.to("nolocale@example.com")
    assert "材料实验室" in message["Subject"]


def test_the_requester_hears_of_the_approval_in_english(app: Flask, smtp: Inbox) -> None:
    lab = make_lab()
    manager = make_manager(lab.university)
    requester = make_user(email="requester@example.com", locale="en")
    booking = bookings.request_booking(requester, lab.id, local(25, 10), local(25, 11), now=NOW)
    approvals.approve(manager, booking.id, now=NOW)
    (message,) = smtp.to("requester@example.com")
    assert message["Subject"] == "Booking approved: Materials lab"
    assert "2026-11-25 10:00" in message.get_body(("plain",)).get_content()
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "text/calendar"
    assert booking.uuid in attachment.get_content()


def test_nothing_is_sent_when_the_transaction_rolls_back(app: Flask, smtp: Inbox) -> None:
    person = make_user(email="person@example.com", locale="en")
    with pytest.raises(RuntimeError), write_transaction():
        notify.notify(person.id, "account_verified", at=NOW, category=notify.category_param("student"))
        db.session.flush()
        raise RuntimeError("something later in the use case failed")
    assert smtp.messages == []
    assert outbox() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0

    # The next transaction sends its own message and nothing of the rolled-back one.
    with write_transaction():
        notify.notify(person.id, "account_rejected", at=NOW, note="Student card unreadable")
    assert [m["Subject"] for m in smtp.messages] == ["Your verification was declined"]
    assert "Student card unreadable" in smtp.messages[0].get_content()


def test_a_refused_booking_tells_nobody(app: Flask, smtp: Inbox) -> None:
    lab = make_lab()
    make_manager(lab.university)
    with pytest.raises(Refused):
        bookings.request_booking(make_user(), lab.id, local(25, 11), local(25, 10), now=NOW)
    assert smtp.messages == [] and outbox() == []


def test_a_failing_smtp_server_keeps_the_booking_and_queues_a_retry(app: Flask, dead_smtp: int) -> None:
    lab = make_lab()
    make_manager(lab.university, email="manager@example.com")
    before = clock.now()
    booking = bookings.request_booking(make_user(), lab.id, local(25, 10), local(25, 11), now=NOW)

    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == BookingStatus.PENDING
    (message,) = outbox()
    assert message.status == EmailStatus.QUEUED
    assert message.attempts == 1
    assert message.last_error
    assert message.next_attempt_at > before
    assert message.sent_at is None


def test_deliver_pending_retries_and_sends_once(
    app: Flask, dead_smtp: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = make_lab()
    make_manager(lab.university, email="manager@example.com")
    bookings.request_booking(make_user(), lab.id, local(25, 10), local(25, 11), now=NOW)
    (queued,) = outbox()
    assert queued.attempts == 1

    smtp, controller = start_smtp(app, monkeypatch)
    try:
        # Not due yet: the first retry waits a minute.
        assert mail.deliver_pending(clock.now()) == mail.DeliveryReport()
        later = clock.now() + timedelta(minutes=5)
        assert mail.deliver_pending(later) == mail.DeliveryReport(sent=1)
        assert mail.deliver_pending(later + timedelta(hours=1)) == mail.DeliveryReport()
    finally:
        controller.stop()
    assert len(smtp.to("manager@example.com")) == 1
    (message,) = outbox()
    assert (message.status, message.attempts, message.last_error) == (EmailStatus.SENT, 2, None)
    assert message.sent_at == later


def test_a_message_is_given_up_after_the_configured_attempts(
    app: Flask, dead_smtp: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    email_someone_new()
    assert mail.deliver_pending(clock.now() + timedelta(hours=1)) == mail.DeliveryReport(failed=1)
    (message,) = outbox()
    assert (message.status, message.attempts) == (EmailStatus.FAILED, 2)
    assert mail.deliver_pending(clock.now() + timedelta(days=2)) == mail.DeliveryReport()


def test_a_message_claimed_by_another_sender_is_left_alone_until_its_claim_lapses(
    app: Flask, smtp: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_COMMIT", False)
    email_someone_new()
    (message,) = outbox()
    now = clock.now()
    # Another sender claimed it and is (or was) sending.
    message.status, message.next_attempt_at = EmailStatus.SENDING, now + mail.CLAIM_LEASE
    db.session.commit()
    # Neither the after-commit path (queued messages only) nor the scheduler (lease not over) sends it.
    assert mail.deliver([message.id], now) == mail.DeliveryReport()
    assert mail.deliver_pending(now) == mail.DeliveryReport()
    assert mail.deliver_pending(now + mail.CLAIM_LEASE) == mail.DeliveryReport(sent=1)
    assert len(smtp.messages) == 1


def test_after_commit_delivery_can_be_switched_off_for_a_scheduler(
    app: Flask, smtp: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_COMMIT", False)
    email_someone_new()
    assert smtp.messages == []
    assert [(m.status, m.attempts) for m in outbox()] == [(EmailStatus.QUEUED, 0)]
    assert mail.deliver_pending(clock.now()) == mail.DeliveryReport(sent=1)
    assert len(smtp.messages) == 1


def test_without_a_mail_server_the_email_is_written_to_the_log(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    person = make_user(email="dev@example.com", locale="en")
    with caplog.at_level("INFO", logger="booking.mail"), write_transaction():
        notify.notify(person.id, "account_rejected", at=NOW, note="Blurred photo")
    assert "dev@example.com" in caplog.text and "Blurred photo" in caplog.text
    assert [m.status for m in outbox()] == [EmailStatus.SENT]


def test_an_ics_file_travels_as_an_attachment(app: Flask, smtp: Inbox) -> None:
    person = make_user(email="ics@example.com")
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    with write_transaction():
        notify.notify(
            person.id, "account_verified", at=NOW, ics=ics, category=notify.category_param("student")
        )
    (message,) = smtp.messages
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_content().encode() == ics or attachment.get_payload(decode=True) == ics


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_kind_of_notification_has_an_email(app: Flask, smtp: Inbox, locale: str) -> None:
    lab = make_lab()
    person = make_user(email="every@example.com", locale=locale)
    booking = bookings.request_booking(person, lab.id, local(25, 10), local(25, 11), now=NOW)
    with write_transaction():
        for kind in notify.MESSAGES:
            notify.notify(
                person.id, kind, at=NOW, booking=booking, note="n", person="p", until="u", category="c"
            )
    assert len(smtp.to("every@example.com")) == len(notify.MESSAGES)
    assert all(m["Subject"] and m.get_content().strip() for m in smtp.messages)
