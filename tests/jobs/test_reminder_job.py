"""Reminders before a booking: who gets one, when, and never twice, even with two schedulers racing."""

import email
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from booking.jobs import tasks
from booking.services import reminders
from models import Booking, BookingStatus, EmailMessage, Notification, db
from tests.concurrency import run_at_once
from tests.conftest import make_app
from tests.factories import make_booking, make_resource, make_user

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def sent(kind: str = "booking_reminder") -> list[tuple[int, int | None]]:
    db.session.rollback()
    return sorted(
        db.session.execute(
            sa.select(Notification.user_id, Notification.booking_id).where(Notification.kind == kind)
        ).tuples()
    )


def email_count(kind: str) -> int:
    """Emails written to the outbox of `kind`."""
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(EmailMessage).where(EmailMessage.kind == kind)
    )


def test_a_confirmed_booking_starting_within_a_day_is_reminded_once(app: Flask) -> None:
    court, li = make_resource(), make_user()
    booking = make_booking(court, li, NOW + timedelta(hours=20))
    assert reminders.send_reminders(NOW) == 1
    assert sent() == [(li.id, booking.id)]
    assert db.session.get(Booking, booking.id).reminded_at == NOW
    assert reminders.send_reminders(NOW) == 0
    assert reminders.send_reminders(NOW + timedelta(hours=1)) == 0
    assert sent() == [(li.id, booking.id)]


def test_only_confirmed_upcoming_bookings_within_the_lead_time_are_reminded(app: Flask) -> None:
    court, li = make_resource(), make_user()
    due = make_booking(court, li, NOW + timedelta(hours=24))
    make_booking(court, li, NOW + timedelta(hours=25))  # not yet
    make_booking(court, li, NOW + timedelta(hours=2), status=BookingStatus.PENDING)
    make_booking(court, li, NOW + timedelta(hours=3), status=BookingStatus.CANCELLED)
    make_booking(court, li, NOW - timedelta(minutes=30))  # already started
    make_booking(court, li, NOW + timedelta(hours=4), reminded_at=NOW - timedelta(hours=1))
    assert reminders.send_reminders(NOW) == 1
    assert sent() == [(li.id, due.id)]


def test_the_job_takes_its_lead_time_from_the_config(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    court, li = make_resource(), make_user()
    make_booking(court, li, NOW + timedelta(hours=3))
    monkeypatch.setitem(app.config, "REMINDER_LEAD_MINUTES", 120)
    assert tasks.send_reminders(NOW) == 0
    monkeypatch.setitem(app.config, "REMINDER_LEAD_MINUTES", 240)
    assert tasks.send_reminders(NOW) == 1


def test_each_person_is_reminded_of_their_own_booking(app: Flask) -> None:
    court, room = make_resource(), make_resource()
    li, wang = make_user(), make_user()
    first = make_booking(court, li, NOW + timedelta(hours=5))
    second = make_booking(room, wang, NOW + timedelta(hours=6))
    assert reminders.send_reminders(NOW) == 2
    assert sent() == sorted([(li.id, first.id), (wang.id, second.id)])


# --- two schedulers at the same moment -----------------------------------------------------------

THREADS = 2
ROUNDS = 5


class Inbox:
    """A real SMTP server on the loopback that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def race_app(app: Flask, database_url: str, smtp: tuple[Inbox, int]) -> Iterator[Flask]:
    """A second app on the same database, as a second scheduler process would have, mailing to `smtp`."""
    racing = make_app(
        database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 2, "max_overflow": 0},
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp[1],
    )
    yield racing
    with racing.app_context():
        db.engine.dispose()


def race_send_reminders(app: Flask, now: datetime) -> list[int]:
    counts, refusals = run_at_once(app, [lambda: reminders.send_reminders(now)] * THREADS)
    assert not refusals
    return counts


@pytest.mark.slow
def test_two_schedulers_racing_send_each_reminder_exactly_once(
    app: Flask, race_app: Flask, smtp: tuple[Inbox, int]
) -> None:
    inbox, _port = smtp
    people = [make_user() for _ in range(6)]
    courts = [make_resource() for _ in range(3)]
    for round_ in range(ROUNDS):
        start = NOW + timedelta(days=round_, hours=10)
        made = [
            make_booking(court, person, start + timedelta(hours=i))
            for i, (court, person) in enumerate(zip(courts * 2, people, strict=True))
        ]
        counts = race_send_reminders(race_app, start - timedelta(hours=2))
        assert sum(counts) == len(made)
        reminded = [booking_id for _, booking_id in sent()]
        marked = db.session.scalars(sa.select(Booking.id).where(Booking.reminded_at.is_not(None))).all()
        assert len(reminded) == len(set(reminded)) == len(made) * (round_ + 1)
        assert sorted(reminded) == sorted(marked)
    total = len(people) * ROUNDS
    assert email_count("booking_reminder") == total
    # Mail is handed to SMTP after each commit, in the thread that committed: all of it has arrived.
    assert len(inbox.messages) == total
    assert Counter(m["To"] for m in inbox.messages) == Counter({p.email: ROUNDS for p in people})
