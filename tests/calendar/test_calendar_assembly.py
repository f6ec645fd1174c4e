"""Personal and university feeds are assembled from each booking's VEVENT, made once per version and kept:
the result is byte for byte what icalendar writes for the whole calendar, and a kept event is reused until
its booking, facility or university changes."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from booking import ics
from booking.services import bookings
from booking.services import calendar as feeds
from models import BookingStatus, CalendarEvent, Mode, ResourceKind, db
from tests.calendar.conftest import NOW
from tests.factories import make_booking, make_manager, make_resource, make_user


@pytest.fixture
def owner(app):
    return make_user(email="li.na@example.com", display_name="李娜", locale="en")


def full_build(scope: feeds.FeedScope, locale: str, name: str) -> bytes:
    """The same feed written whole by icalendar, nothing kept."""
    return ics.feed_file(
        feeds.feed_rows(scope, NOW),
        feeds.calendar_texts(locale),
        feeds.calendar_links(booking_pages=True),
        name=name,
        today=NOW.date(),
    )


def kept_events() -> dict[int, CalendarEvent]:
    db.session.expire_all()
    return {e.booking_id: e for e in db.session.scalars(sa.select(CalendarEvent))}


@pytest.fixture
def varied(hpu, court, owner):
    """Bookings that exercise folding, escaping, statuses, all-day events and two time zones."""
    far_west = make_resource(hpu, name_en="Kashgar field station", timezone="Asia/Urumqi", address="喀什")
    base = make_resource(hpu, kind=ResourceKind.TRAINING_BASE, mode=Mode.PLACEMENT, capacity=4)
    return [
        make_booking(court, owner, NOW + timedelta(days=1), purpose="羽毛球协会训练, 第一组; " * 12),
        make_booking(court, owner, NOW + timedelta(days=2), status=BookingStatus.PENDING),
        make_booking(court, owner, NOW + timedelta(days=3), status=BookingStatus.CANCELLED),
        make_booking(court, owner, NOW - timedelta(days=20), status=BookingStatus.COMPLETED),
        make_booking(far_west, owner, NOW + timedelta(days=40)),
        make_booking(base, owner, NOW + timedelta(days=10), NOW + timedelta(days=100)),
    ]


def test_the_assembled_personal_feed_is_byte_for_byte_icalendars(
    client: FlaskClient, owner, varied, parse_ics
):
    token = feeds.reset_feed_token(owner, now=NOW)
    name = "My bookings · Campus–City Booking"

    made = client.get(f"/calendar/{token}.ics").data  # every event made now
    reused = client.get(f"/calendar/{token}.ics").data  # every event kept from before

    expected = full_build(feeds.FeedScope(user_id=owner.id), "en", name)
    assert made == expected
    assert reused == expected
    assert len(parse_ics(reused)) == len(varied)
    assert reused.count(b"BEGIN:VTIMEZONE") == 2  # one per zone, shared by its events
    assert b"\r\n " in reused  # long lines were folded, as icalendar folds them


def test_the_assembled_university_feed_is_byte_for_byte_icalendars(client: FlaskClient, hpu, owner, varied):
    manager = make_manager(hpu, locale="zh_CN")
    token = feeds.reset_feed_token(manager, now=NOW)

    client.get(f"/calendar/university/{token}.ics")
    body = client.get(f"/calendar/university/{token}.ics").data

    assert body == full_build(feeds.FeedScope(university_id=hpu.id), "zh_CN", f"{hpu.name_zh} · 全部预约")


def test_an_empty_assembled_feed_is_byte_for_byte_icalendars(client: FlaskClient, owner):
    token = feeds.reset_feed_token(owner, now=NOW)

    body = client.get(f"/calendar/{token}.ics").data

    assert body == full_build(feeds.FeedScope(user_id=owner.id), "en", "My bookings · Campus–City Booking")


def test_a_kept_event_is_reused_until_its_booking_changes(client: FlaskClient, court, owner):
    booking = make_booking(court, owner, NOW + timedelta(days=1))
    token = feeds.reset_feed_token(owner, now=NOW)
    client.get(f"/calendar/{token}.ics")
    kept = kept_events()[booking.id]
    assert kept.variant == "private:en"
    # Marked, to see whether the next feed takes the kept text or makes it again.
    kept.vevent = kept.vevent.replace("SUMMARY:", "SUMMARY:KEPT ")
    db.session.commit()

    assert b"SUMMARY:KEPT " in client.get(f"/calendar/{token}.ics").data

    bookings.cancel(owner, booking.id, now=NOW + timedelta(minutes=1))
    body = client.get(f"/calendar/{token}.ics").data
    assert b"SUMMARY:KEPT " not in body
    assert b"STATUS:CANCELLED" in body
    assert "STATUS:CANCELLED" in kept_events()[booking.id].vevent


def test_each_language_keeps_its_own_events(client: FlaskClient, court, owner):
    booking = make_booking(court, owner, NOW + timedelta(days=1))
    token = feeds.reset_feed_token(owner, now=NOW)
    client.get(f"/calendar/{token}.ics")
    owner.locale = "zh_CN"
    db.session.commit()

    body = client.get(f"/calendar/{token}.ics").data

    assert "羽毛球3号场 — 河南理工大学".encode() in body
    variants = {e.variant for e in db.session.scalars(sa.select(CalendarEvent))}
    assert variants == {"private:en", "private:zh_CN"}
    assert booking.id in kept_events()
