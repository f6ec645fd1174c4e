"""Moving a booking to another time through the booking service: judged like a new request, but never
against itself; a refusal changes nothing."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services import bookings, waitlist
from booking.services.errors import Refused
from models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Category,
    EmailMessage,
    Frequency,
    Mode,
    Notification,
    QuotaPeriod,
    ResourceKind,
    db,
)
from tests.factories import (
    NOW,
    local,
    make_booking,
    make_closure,
    make_manager,
    make_quota,
    make_resource,
    make_training_base,
    make_university,
    make_user,
)
from tests.readback import told


def snapshot(booking: Booking) -> tuple:
    """What a refused move must leave exactly as it was."""
    db.session.rollback()
    row = db.session.get(Booking, booking.id)
    return (row.start_at, row.end_at, row.blocked_until, row.status, row.sequence, row.updated_at)


def moves_recorded() -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "booking.moved")))


def assert_refused_unchanged(booking: Booking, move, codes: set[str]) -> None:
    before = snapshot(booking)
    with pytest.raises(Refused) as refused:
        move()
    assert refused.value.codes == codes
    assert snapshot(booking) == before
    assert moves_recorded() == []
    assert told("booking_moved") == []


def test_moving_to_a_free_slot_changes_the_times_raises_the_sequence_and_tells_the_holder(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"buffer_minutes": 30})
    holder = make_user()
    booking = bookings.request_booking(holder, lab.id, local(25, 10), local(25, 11), now=NOW)
    uid, sequence = booking.uuid, booking.sequence

    moved = bookings.move(
        holder, booking.id, local(26, 14), local(26, 15, 30), now=NOW + timedelta(minutes=5)
    )

    assert (moved.id, moved.uuid) == (booking.id, uid)
    assert (moved.start_at, moved.end_at) == (local(26, 14), local(26, 15, 30))
    assert moved.blocked_until == local(26, 16)  # the buffer follows the booking
    assert moved.status == BookingStatus.CONFIRMED
    assert moved.sequence == sequence + 1
    assert moved.updated_at == NOW + timedelta(minutes=5)
    (event,) = moves_recorded()
    assert (event.actor_id, event.target_id) == (holder.id, booking.id)
    assert event.details["from_start"] == local(25, 10).isoformat()
    assert event.details["from_end"] == local(25, 11).isoformat()
    assert event.details["to_start"] == local(26, 14).isoformat()
    assert event.details["to_end"] == local(26, 15, 30).isoformat()
    assert event.details["status"] == "confirmed" and event.details["by_manager"] is False
    assert told("booking_moved") == [(holder.id, booking.id)]
    note = db.session.scalars(sa.select(Notification).where(Notification.kind == "booking_moved")).one()
    assert (note.params["previous"], note.params["when"]) == ("2026-11-25 10:00", "2026-11-26 14:00")
    email = db.session.scalars(sa.select(EmailMessage).where(EmailMessage.kind == "booking_moved")).one()
    assert email.user_id == holder.id
    assert uid.encode() in email.ics
    assert b"DTSTART;TZID=Asia/Shanghai:20261126T140000" in email.ics
    assert b"SEQUENCE:1" in email.ics
    # The old time is free for someone else.
    bookings.request_booking(make_user(), lab.id, local(25, 10), local(25, 11), now=NOW)


def test_a_move_onto_another_booking_is_refused_and_changes_nothing(app: Flask) -> None:
    court, holder = make_resource(), make_user()
    booking = bookings.request_booking(holder, court.id, local(25, 10), local(25, 11), now=NOW)
    bookings.request_booking(make_user(), court.id, local(25, 14), local(25, 15), now=NOW)
    assert_refused_unchanged(
        booking,
        lambda: bookings.move(holder, booking.id, local(25, 14, 30), local(25, 15, 30), now=NOW),
        {"conflict"},
    )


def test_a_move_outside_opening_hours_is_refused_and_changes_nothing(app: Flask) -> None:
    court, holder = make_resource(), make_user()
    booking = bookings.request_booking(holder, court.id, local(25, 10), local(25, 11), now=NOW)
    assert_refused_unchanged(
        booking,
        lambda: bookings.move(holder, booking.id, local(25, 6), local(25, 7), now=NOW),
        {"outside_hours"},
    )


def test_a_move_into_a_closure_names_its_reason(app: Flask) -> None:
    court, holder = make_resource(), make_user()
    booking = bookings.request_booking(holder, court.id, local(25, 10), local(25, 11), now=NOW)
    make_closure(court, local(26, 0), local(27, 0), reason_en="Maintenance")
    assert_refused_unchanged(
        booking,
        lambda: bookings.move(holder, booking.id, local(26, 10), local(26, 11), now=NOW),
        {"closed"},
    )


def test_a_booking_does_not_count_against_its_own_quota_when_moved_within_the_period(app: Flask) -> None:
    university = make_university()
    court = make_resource(university)
    make_quota(university, period=QuotaPeriod.WEEK, max_bookings=1, max_hours=1)
    holder = make_user()
    booking = bookings.request_booking(holder, court.id, local(25, 10), local(25, 11), now=NOW)
    moved = bookings.move(holder, booking.id, local(27, 16), local(27, 17), now=NOW)
    assert moved.start_at == local(27, 16)


def test_a_move_into_a_week_whose_quota_is_used_up_is_refused(app: Flask) -> None:
    university = make_university()
    court = make_resource(university)
    make_quota(university, period=QuotaPeriod.WEEK, max_bookings=1)
    holder = make_user()
    bookings.request_booking(holder, court.id, local(25, 10), local(25, 11), now=NOW)
    next_week = bookings.request_booking(
        holder, court.id, local(1, 10, month=12), local(1, 11, month=12), now=NOW
    )
    assert_refused_unchanged(
        next_week,
        lambda: bookings.move(holder, next_week.id, local(26, 10), local(26, 11), now=NOW),
        {"quota_bookings"},
    )


def test_an_exclusive_booking_may_move_over_its_own_time_and_buffer(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"buffer_minutes": 30})
    holder = make_user()
    booking = bookings.request_booking(holder, lab.id, local(25, 10), local(25, 11), now=NOW)
    # Half an hour later: it overlaps the old time and its buffer, which are its own.
    moved = bookings.move(holder, booking.id, local(25, 10, 30), local(25, 11, 30), now=NOW)
    assert (moved.start_at, moved.blocked_until) == (local(25, 10, 30), local(25, 12))
    moved = bookings.move(holder, booking.id, local(25, 9, 30), local(25, 10, 30), now=NOW)
    assert moved.sequence == 2


def test_a_shared_booking_does_not_take_a_place_from_itself(app: Flask) -> None:
    room = make_resource(mode=Mode.SHARED, capacity=4)
    holder = make_user()
    booking = bookings.request_booking(holder, room.id, local(25, 10), local(25, 11), party_size=3, now=NOW)
    moved = bookings.move(holder, booking.id, local(25, 10, 30), local(25, 11, 30), now=NOW)
    assert (moved.start_at, moved.party_size) == (local(25, 10, 30), 3)


def test_moving_where_approval_is_needed_waits_again_and_tells_the_managers(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"approval_categories": ["resident"]})
    manager = make_manager(lab.university)
    make_manager(make_university())
    holder = make_user()
    booking = make_booking(
        lab, holder, local(25, 10), status=BookingStatus.CONFIRMED, decided_by_id=manager.id
    )

    moved = bookings.move(holder, booking.id, local(25, 14), local(25, 15), now=NOW)

    assert moved.status == BookingStatus.PENDING
    assert moved.sequence == 1
    assert moved.decided_by_id is None
    assert told("booking_requested") == [(manager.id, booking.id)]
    assert told("booking_moved") == [(holder.id, booking.id)]
    note = db.session.scalars(sa.select(Notification).where(Notification.kind == "booking_moved")).one()
    assert note.params["pending"] is True
    (event,) = moves_recorded()
    assert (event.details["previous_status"], event.details["status"]) == ("confirmed", "pending")


def test_a_manager_moving_a_booking_of_their_university_needs_no_approval(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"approval_categories": ["resident"]})
    manager, holder = make_manager(lab.university), make_user()
    booking = make_booking(lab, holder, local(25, 10), status=BookingStatus.CONFIRMED)

    moved = bookings.move(manager, booking.id, local(25, 14), local(25, 15), now=NOW)

    assert moved.status == BookingStatus.CONFIRMED
    assert told("booking_requested") == []
    assert told("booking_moved") == [(holder.id, booking.id)]
    (event,) = moves_recorded()
    assert (event.actor_id, event.details["by_manager"]) == (manager.id, True)


def test_a_manager_of_another_university_or_a_stranger_cannot_move_it(app: Flask) -> None:
    court, holder = make_resource(), make_user()
    booking = make_booking(court, holder, local(25, 10))
    for outsider in (make_manager(make_university()), make_user()):
        before = snapshot(booking)
        with pytest.raises(bookings.NotFound):
            bookings.move(outsider, booking.id, local(25, 14), local(25, 15), now=NOW)
        assert snapshot(booking) == before
    assert moves_recorded() == []


def test_a_started_or_past_booking_cannot_be_moved(app: Flask) -> None:
    court, holder = make_resource(policy={"max_advance_days": 30}), make_user()
    manager = make_manager(court.university)
    started = make_booking(court, holder, local(24, 8, 30))
    past = make_booking(court, holder, local(23, 10))
    for booking in (started, past):
        for actor in (holder, manager):
            assert_refused_unchanged(
                booking,
                lambda b=booking, a=actor: bookings.move(a, b.id, local(25, 14), local(25, 15), now=NOW),
                {"move_started"},
            )


def test_the_holder_cannot_move_after_the_cancellation_deadline_but_a_manager_can(app: Flask) -> None:
    court, holder = make_resource(policy={"cancel_deadline_minutes": 120}), make_user()
    booking = make_booking(court, holder, local(24, 10, 30))  # 90 minutes from now
    with pytest.raises(Refused) as refused:
        bookings.move(holder, booking.id, local(24, 14), local(24, 15), now=NOW)
    (violation,) = refused.value.violations
    assert violation.code == "move_deadline"
    assert violation.params == {"minutes": 120, "deadline": datetime(2026, 11, 24, 8, 30)}
    assert not bookings.can_move(holder, booking, NOW)
    moved = bookings.move(make_manager(court.university), booking.id, local(24, 14), local(24, 15), now=NOW)
    assert moved.start_at == local(24, 14)


def test_cancelled_bookings_and_placements_are_not_moved(app: Flask) -> None:
    court, holder = make_resource(), make_user()
    cancelled = make_booking(court, holder, local(25, 10), status=BookingStatus.CANCELLED)
    assert_refused_unchanged(
        cancelled,
        lambda: bookings.move(holder, cancelled.id, local(25, 14), local(25, 15), now=NOW),
        {"not_movable"},
    )
    base = make_training_base()
    student = make_user(Category.STUDENT)
    placement = make_booking(base, student, local(30, 0), local(5, 0, month=12), status=BookingStatus.PENDING)
    assert_refused_unchanged(
        placement,
        lambda: bookings.move(student, placement.id, local(1, 0, month=12), local(6, 0, month=12), now=NOW),
        {"placement_not_movable"},
    )


def test_moving_one_date_of_a_series_moves_only_that_date_and_keeps_it_in_the_series(app: Flask) -> None:
    from booking import engine

    court, holder = make_resource(policy={"max_advance_days": 90}), make_user()
    rule = engine.RecurrenceRule(frequency=Frequency.WEEKLY, weekdays=frozenset({2}), count=3)
    result = bookings.request_series(
        holder, court.id, rule, datetime(2026, 11, 25, 10), timedelta(hours=1), now=NOW
    )
    first, second, third = result.booked
    moved = bookings.move(holder, second.id, local(3, 15, month=12), local(3, 16, month=12), now=NOW)
    assert moved.series_id == result.series.id
    db.session.rollback()
    starts = [db.session.get(Booking, b.id).start_at for b in (first, second, third)]
    assert starts == [local(25, 10), local(3, 15, month=12), local(9, 10, month=12)]


def test_the_freed_time_goes_to_the_first_person_waiting(app: Flask) -> None:
    court, holder, waiting = make_resource(), make_user(), make_user()
    booking = bookings.request_booking(holder, court.id, local(25, 10), local(25, 11), now=NOW)
    entry = waitlist.join(waiting, court.id, local(25, 10), local(25, 11), now=NOW)
    bookings.move(holder, booking.id, local(25, 15), local(25, 16), now=NOW)
    assert told("waitlist_promoted") == [(waiting.id, db.session.get(type(entry), entry.id).booking_id)]
