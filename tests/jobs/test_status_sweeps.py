"""Undecided requests expire when they start; finished bookings complete. Each sweep acts once."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.jobs import tasks
from booking.services import housekeeping
from models import AuditEvent, Booking, BookingStatus, WaitlistEntry, WaitlistStatus, db
from tests.factories import make_booking, make_resource, make_user, make_waitlist_entry
from tests.readback import status_of, told

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def actions(booking: Booking) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.target_type == "booking", AuditEvent.target_id == booking.id)
            .order_by(AuditEvent.id)
        )
    )


# --- expiry ----------------------------------------------------------------------------------------


def test_a_request_still_pending_at_its_start_expires_and_the_requester_is_told(app: Flask) -> None:
    li = make_user()
    late = make_booking(make_resource(), li, NOW - timedelta(minutes=1), status=BookingStatus.PENDING)
    exact = make_booking(make_resource(), li, NOW, status=BookingStatus.PENDING)
    ahead = make_booking(make_resource(), li, NOW + timedelta(hours=2), status=BookingStatus.PENDING)
    decided = make_booking(make_resource(), li, NOW - timedelta(hours=3), status=BookingStatus.CONFIRMED)
    assert tasks.expire_pending(NOW) == 2
    assert status_of(late) == status_of(exact) == BookingStatus.EXPIRED
    assert status_of(ahead) == BookingStatus.PENDING
    assert status_of(decided) == BookingStatus.CONFIRMED
    assert told("booking_expired") == sorted([(li.id, late.id), (li.id, exact.id)])
    assert actions(late) == ["booking.expired"]
    assert db.session.get(Booking, late.id).sequence == 1


def test_expiring_twice_acts_once(app: Flask) -> None:
    lab, li = make_resource(), make_user()
    make_booking(lab, li, NOW - timedelta(minutes=5), status=BookingStatus.PENDING)
    assert housekeeping.expire_pending(NOW) == 1
    assert housekeeping.expire_pending(NOW) == 0
    assert housekeeping.expire_pending(NOW + timedelta(minutes=1)) == 0
    assert len(told("booking_expired")) == 1


def test_an_expired_request_frees_the_rest_of_its_slot_for_the_waitlist(app: Flask) -> None:
    court = make_resource()
    li, wang = make_user(), make_user()
    make_booking(
        court, li, NOW - timedelta(minutes=30), NOW + timedelta(hours=2), status=BookingStatus.PENDING
    )
    entry = make_waitlist_entry(
        court, wang, NOW + timedelta(hours=1), NOW + timedelta(hours=2), created_at=NOW - timedelta(days=1)
    )
    assert housekeeping.expire_pending(NOW) == 1
    db.session.rollback()
    entry = db.session.get(WaitlistEntry, entry.id)
    assert entry.status == WaitlistStatus.PROMOTED
    assert db.session.get(Booking, entry.booking_id).status == BookingStatus.CONFIRMED
    assert told("waitlist_promoted") == [(wang.id, entry.booking_id)]


# --- completion ------------------------------------------------------------------------------------


def test_bookings_that_ended_are_completed(app: Flask) -> None:
    court, li = make_resource(), make_user()
    plain = make_booking(court, li, NOW - timedelta(hours=2), NOW - timedelta(hours=1))
    exact = make_booking(court, li, NOW - timedelta(hours=1), NOW)
    checked_in = make_booking(
        court,
        li,
        NOW - timedelta(hours=4),
        NOW - timedelta(hours=3),
        status=BookingStatus.CHECKED_IN,
        checkin_code="123456",
        checked_in_at=NOW - timedelta(hours=4),
    )
    running = make_booking(make_resource(), li, NOW - timedelta(minutes=30), NOW + timedelta(minutes=30))
    assert tasks.complete_past(NOW) == 3
    assert status_of(plain) == status_of(exact) == status_of(checked_in) == BookingStatus.COMPLETED
    assert status_of(running) == BookingStatus.CONFIRMED
    assert actions(plain) == ["booking.completed"]


def test_a_booking_that_needed_a_check_in_and_got_none_is_not_completed(app: Flask) -> None:
    court, li = make_resource(), make_user()
    missed = make_booking(
        court, li, NOW - timedelta(hours=2), NOW - timedelta(hours=1), checkin_code="654321"
    )
    assert housekeeping.complete_past(NOW) == 0
    assert status_of(missed) == BookingStatus.CONFIRMED  # the no-show sweep's to decide


def test_completing_twice_acts_once(app: Flask) -> None:
    court, li = make_resource(), make_user()
    make_booking(court, li, NOW - timedelta(hours=2), NOW - timedelta(hours=1))
    assert housekeeping.complete_past(NOW) == 1
    assert housekeeping.complete_past(NOW) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "booking.completed")) == 1
