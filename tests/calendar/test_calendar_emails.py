"""The calendar file an email carries: an invitation the recipient's calendar keeps up to date (METHOD
REQUEST with the university as ORGANIZER and the holder as ATTENDEE), withdrawn by a METHOD:CANCEL of the same
UID and a higher SEQUENCE, in a text/calendar part whose charset and method match the file."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from icalendar import Calendar

from booking import engine, mail
from booking.services import approvals, bookings, facilities
from booking.services.facilities import ClosureDraft
from models import BookingStatus, EmailMessage, Frequency, ResourceKind, db
from tests.calendar.conftest import NOW, parse_both
from tests.factories import local, make_manager, make_resource, make_user

SENDER = "Campus-City Booking <no-reply@campus-city.example>"


def emails(kind: str) -> list[EmailMessage]:
    return list(
        db.session.scalars(sa.select(EmailMessage).where(EmailMessage.kind == kind).order_by(EmailMessage.id))
    )


def calendar_of(message: EmailMessage) -> Calendar:
    parse_both(message.ics)  # three parsers agree on it
    return Calendar.from_ical(message.ics)


def weekly(count: int) -> engine.RecurrenceRule:
    return engine.RecurrenceRule(frequency=Frequency.WEEKLY, weekdays=frozenset({1}), count=count)


def test_a_confirmation_invites_the_holder_to_an_event_the_university_organizes(app: Flask) -> None:
    court = make_resource()
    holder = make_user(email="li.na@example.com", display_name="李娜")

    booking = bookings.request_booking(holder, court.id, local(25, 10), local(25, 11), now=NOW)

    (message,) = emails("booking_confirmed")
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.events
    assert str(event["UID"]) == f"{booking.uuid}@campus-city.example"
    assert str(event["ORGANIZER"]) == "mailto:no-reply@campus-city.example"
    assert event["ORGANIZER"].params["CN"] == court.university.name_zh
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:li.na@example.com"
    assert attendee.params["CN"] == "李娜"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["RSVP"] == "FALSE"


def test_the_calendar_part_says_its_charset_and_the_files_method(app: Flask) -> None:
    court = make_resource()
    bookings.request_booking(make_user(), court.id, local(25, 10), local(25, 11), now=NOW)
    (message,) = emails("booking_confirmed")
    row = {c.name: getattr(message, c.name) for c in EmailMessage.__table__.columns}

    composed = mail.compose(row, SENDER)

    parts = [p for p in composed.walk() if p.get_content_type() == "text/calendar"]
    inline, attached = parts  # an alternative of the text (Outlook) and the file to import
    for part in parts:
        assert part.get_param("charset") == "utf-8"
        assert part.get_param("method") == "REQUEST"
        assert part.get_payload(decode=True) == message.ics
    assert inline.get_content_disposition() is None
    assert attached.get_content_disposition() == "attachment"
    assert attached.get_filename() == "booking.ics"


def test_an_address_beyond_ascii_gets_the_same_calendar_parts(app: Flask) -> None:
    court = make_resource()
    bookings.request_booking(
        make_user(email="李娜@例子.中国"), court.id, local(25, 10), local(25, 11), now=NOW
    )
    (message,) = emails("booking_confirmed")
    row = {c.name: getattr(message, c.name) for c in EmailMessage.__table__.columns}

    composed = mail.compose(row, SENDER)

    parts = [p for p in composed.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 2
    assert {(p.get_param("charset"), p.get_param("method")) for p in parts} == {("utf-8", "REQUEST")}


def test_the_holders_cancellation_sends_a_cancel_of_the_same_event_with_a_higher_sequence(app: Flask) -> None:
    court = make_resource()
    holder = make_user()
    booking = bookings.request_booking(holder, court.id, local(25, 10), local(25, 11), now=NOW)
    (invited,) = calendar_of(emails("booking_confirmed")[0]).events

    bookings.cancel(holder, booking.id, now=NOW + timedelta(minutes=5))

    (message,) = emails("booking_cancelled")
    assert message.user_id == holder.id
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.events
    assert event["UID"] == invited["UID"]
    assert event["SEQUENCE"] > invited["SEQUENCE"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert "ATTENDEE" in event and "ORGANIZER" in event


def test_a_managers_cancellation_sends_a_cancel(app: Flask) -> None:
    court = make_resource()
    holder = make_user()
    booking = bookings.request_booking(holder, court.id, local(25, 10), local(25, 11), now=NOW)

    bookings.cancel(make_manager(court.university), booking.id, now=NOW, reason="Floor repairs")

    (message,) = emails("booking_cancelled_by_manager")
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.events
    assert str(event["UID"]) == f"{booking.uuid}@campus-city.example"
    assert event["SEQUENCE"] == 1


def test_a_closure_that_cancels_a_booking_sends_a_cancel(app: Flask) -> None:
    court = make_resource()
    booking = bookings.request_booking(make_user(), court.id, local(25, 10), local(25, 11), now=NOW)
    manager = make_manager(court.university)
    draft = ClosureDraft(
        university_id=court.university_id,
        resource_id=court.id,
        local_start=datetime(2026, 11, 25, 8, 0),
        local_end=datetime(2026, 11, 25, 18, 0),
        reason_zh="维修",
        reason_en="Maintenance",
    )

    facilities.add_closure(manager, draft, cancel_ids=[booking.id], cancel_reason="Maintenance", now=NOW)

    (message,) = emails("booking_cancelled_by_closure")
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert [str(e["UID"]) for e in calendar.events] == [f"{booking.uuid}@campus-city.example"]


def test_a_move_sends_the_updated_invitation(app: Flask) -> None:
    court = make_resource()
    holder = make_user()
    booking = bookings.request_booking(holder, court.id, local(25, 10), local(25, 11), now=NOW)

    bookings.move(holder, booking.id, local(26, 14), local(26, 15), now=NOW + timedelta(minutes=5))

    (message,) = emails("booking_moved")
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.events
    assert event.start == local(26, 14)
    assert event["SEQUENCE"] == 1


def test_a_series_confirmation_carries_every_booked_date(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"max_minutes": 180, "max_advance_days": 90})
    result = bookings.request_series(
        make_user(), lab.id, weekly(4), datetime(2026, 12, 1, 14, 0), timedelta(hours=2), now=NOW
    )

    (message,) = emails("series_confirmed")
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert {str(e["UID"]) for e in calendar.events} == {
        f"{b.uuid}@campus-city.example" for b in result.booked
    }
    assert len(result.booked) == 4


def test_a_series_approval_carries_every_approved_date(app: Flask) -> None:
    lab = make_resource(
        kind=ResourceKind.LAB,
        policy={"max_minutes": 180, "max_advance_days": 90, "approval_categories": ["resident"]},
    )
    result = bookings.request_series(
        make_user(), lab.id, weekly(3), datetime(2026, 12, 1, 14, 0), timedelta(hours=2), now=NOW
    )
    assert {b.status for b in result.booked} == {BookingStatus.PENDING}

    approvals.approve_series(make_manager(lab.university), result.series.id, now=NOW)

    (message,) = emails("series_approved")
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert {str(e["UID"]) for e in calendar.events} == {
        f"{b.uuid}@campus-city.example" for b in result.booked
    }
    assert {str(e["STATUS"]) for e in calendar.events} == {"CONFIRMED"}


def test_cancelling_this_and_later_dates_sends_one_cancel_for_them_all(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"max_minutes": 180, "max_advance_days": 90})
    holder = make_user()
    result = bookings.request_series(
        holder, lab.id, weekly(4), datetime(2026, 12, 1, 14, 0), timedelta(hours=2), now=NOW
    )
    second = sorted(result.booked, key=lambda b: b.start_at)[1]

    bookings.cancel(holder, second.id, following=True, now=NOW)

    (message,) = emails("series_cancelled")
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert len(calendar.events) == 3
    assert {str(e["STATUS"]) for e in calendar.events} == {"CANCELLED"}
