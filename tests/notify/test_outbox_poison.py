"""One bad message never poisons the outbox: it fails with its error, and the rest of its batch goes out."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking import clock, mail
from booking.services import bookings
from booking.services.transactions import write_transaction
from models import EmailMessage, EmailStatus, db
from tests.factories import local, make_manager, make_resource, make_university, make_user
from tests.smtp import Inbox

# Tuesday 24 November 2026, 09:00 in Jiaozuo.
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def scheduler_only(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # The messages wait in the outbox for the deliverer under test.
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_COMMIT", False)


def queue(*addresses: str, subject: str = "账户已验证") -> list[int]:
    now = clock.now()
    with write_transaction():
        messages = [
            EmailMessage(
                kind="account_verified",
                to_address=address,
                subject=subject,
                body="您好",
                created_at=now,
                next_attempt_at=now,
            )
            for address in addresses
        ]
        db.session.add_all(messages)
    return [m.id for m in messages]


def outbox() -> dict[str, EmailMessage]:
    db.session.rollback()
    return {m.to_address: m for m in db.session.scalars(sa.select(EmailMessage))}


def test_a_message_that_cannot_be_composed_fails_with_its_error_and_the_batch_still_goes(
    app: Flask, smtp: Inbox
) -> None:
    # Stored before the others, so it is first in its batch.
    queue("victim@example.com\r\nBcc: thief@example.com")
    queue(*(f"person{n}@example.com" for n in range(4)))

    assert mail.deliver_pending(clock.now()) == mail.DeliveryReport(sent=4, failed=1)

    assert sorted(m["To"] for m in smtp.messages) == [f"person{n}@example.com" for n in range(4)]
    assert all("thief@example.com" not in r for r in smtp.recipients)
    poisoned = outbox()["victim@example.com\r\nBcc: thief@example.com"]
    assert poisoned.status == EmailStatus.FAILED
    assert poisoned.attempts == 1 and poisoned.sent_at is None
    assert poisoned.last_error and "cannot be composed" in poisoned.last_error


def test_a_failed_composition_is_never_claimed_again(app: Flask, smtp: Inbox) -> None:
    queue("victim@example.com\r\nBcc: thief@example.com")
    mail.deliver_pending(clock.now())
    queue("later@example.com")
    assert mail.deliver_pending(clock.now() + timedelta(hours=12)) == mail.DeliveryReport(sent=1)
    assert outbox()["victim@example.com\r\nBcc: thief@example.com"].attempts == 1


def test_delivery_right_after_commit_survives_a_bad_message(app: Flask, smtp: Inbox) -> None:
    ids = queue("victim@example.com\r\nBcc: thief@example.com", "fine@example.com")
    assert mail.deliver(ids, clock.now()) == mail.DeliveryReport(sent=1, failed=1)
    assert [m["To"] for m in smtp.messages] == ["fine@example.com"]


@pytest.mark.parametrize("address", ["ascii.person@example.com", "张伟@example.com"], ids=["ascii", "utf8"])
def test_a_facility_name_with_line_breaks_still_gets_its_email_out_on_one_subject_line(
    app: Flask, smtp: Inbox, address: str
) -> None:
    lab = make_resource(
        make_university(),
        name_zh="实验室\r\nBcc: thief@example.com",
        name_en="Lab\r\nBcc: thief@example.com",
        policy={"approval_categories": ["resident"]},
    )
    make_manager(lab.university, email=address, locale="en")
    make_manager(lab.university, email="second.manager@example.com", locale="en")
    bookings.request_booking(make_user(), lab.id, local(25, 10), local(25, 11), now=NOW)

    assert mail.deliver_pending(NOW) == mail.DeliveryReport(sent=2)

    (message,) = smtp.to(address)
    assert "Lab" in message["Subject"] and "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert message["Bcc"] is None
    assert sorted(smtp.recipients) == sorted([[address], ["second.manager@example.com"]])
    assert {m.status for m in outbox().values()} == {EmailStatus.SENT}
