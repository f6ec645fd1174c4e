"""Feeds as RFC 5545 and RFC 7986 spell them, and the public busy feed showing only what is really busy."""

from datetime import date, datetime, timedelta

import pytest
import vobject
from flask.testing import FlaskClient
from icalendar import Calendar

from booking.services import calendar as feeds
from models import BookingStatus, Mode, ResourceKind
from tests.calendar.conftest import NOW
from tests.factories import local, make_booking, make_resource, make_university, make_user

HOUR = timedelta(hours=1)


@pytest.fixture
def owner(app):
    return make_user(email="li.na@example.com", display_name="李娜", locale="en")


def busy_events(client: FlaskClient, resource_id: int, parse_ics) -> list:
    response = client.get(f"/facilities/{resource_id}/busy.ics", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    parse_ics(response.data)
    return sorted(Calendar.from_ical(response.data).events, key=lambda e: e.start)


def test_a_feed_states_its_refresh_interval_as_a_duration(client: FlaskClient, court, owner):
    make_booking(court, owner, NOW + timedelta(days=1))
    token = feeds.reset_feed_token(owner, now=NOW)

    body = client.get(f"/calendar/{token}.ics").data

    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in body


def test_feed_names_are_escaped_like_any_text(client: FlaskClient, app):
    university = make_university(name_en="Jiaozuo University, North; Campus", code="JZN")
    hall = make_resource(university, name_en="Hall A, B; C")

    body = client.get(f"/facilities/{hall.id}/busy.ics", headers={"Accept-Language": "en"}).data

    assert b"\r\nNAME:Hall A\\, B\\; C \xc2\xb7 busy times\r\n" in body
    assert b"\r\nX-WR-CALNAME:Hall A\\, B\\; C \xc2\xb7 busy times\r\n" in body
    assert vobject.readOne(body.decode()).x_wr_calname.value == "Hall A, B; C · busy times"


def test_an_empty_feed_is_still_a_valid_calendar(client: FlaskClient, court, owner, parse_ics):
    token = feeds.reset_feed_token(owner, now=NOW)

    body = client.get(f"/calendar/{token}.ics").data

    assert parse_ics(body) == []
    calendar = Calendar.from_ical(body)
    # RFC 5545: a calendar holds at least one component; the site's zone is a harmless one.
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE"]
    assert str(calendar.subcomponents[0]["TZID"]) == "Asia/Shanghai"


def test_the_public_feed_shows_no_cancelled_booking(client: FlaskClient, court, owner, parse_ics):
    kept = make_booking(court, owner, NOW + timedelta(days=1))
    make_booking(court, owner, NOW + timedelta(days=2), status=BookingStatus.CANCELLED)
    make_booking(court, owner, NOW + timedelta(days=3), status=BookingStatus.REJECTED)

    events = busy_events(client, court.id, parse_ics)

    assert [str(e["UID"]) for e in events] == [f"{kept.uuid}-busy@campus-city.example"]


def test_a_shared_facility_is_busy_only_while_full_and_says_how_many_places_are_left(
    client: FlaskClient, hpu, owner, parse_ics
):
    room = make_resource(hpu, kind=ResourceKind.LIBRARY, mode=Mode.SHARED, capacity=10)
    make_booking(room, owner, local(25, 10), local(25, 12), party_size=6)
    make_booking(room, make_user(), local(25, 11), local(25, 13), party_size=4)

    events = busy_events(client, room.id, parse_ics)

    assert [(e.start, e.end, str(e["SUMMARY"]), str(e["TRANSP"])) for e in events] == [
        (local(25, 10), local(25, 11), "4 of 10 places left", "TRANSPARENT"),
        (local(25, 11), local(25, 12), "Fully booked", "OPAQUE"),
        (local(25, 12), local(25, 13), "6 of 10 places left", "TRANSPARENT"),
    ]
    assert all("ORGANIZER" in e for e in events)


def test_a_placement_shows_the_seats_left(client: FlaskClient, hpu, owner, parse_ics):
    base = make_resource(hpu, kind=ResourceKind.TRAINING_BASE, mode=Mode.PLACEMENT, capacity=3)
    term = (local(1, 0, month=12), local(1, 0, month=12) + timedelta(days=30))
    make_booking(base, owner, *term)
    make_booking(base, make_user(), *term)

    (event,) = busy_events(client, base.id, parse_ics)

    assert str(event["SUMMARY"]) == "1 of 3 seats left"
    assert (event.start, event.end) == (date(2026, 12, 1), date(2026, 12, 31))
    assert str(event["TRANSP"]) == "TRANSPARENT"


def test_the_public_feed_organizer_is_the_university(client: FlaskClient, court, owner, parse_ics):
    make_booking(court, owner, NOW + timedelta(days=1))

    (event,) = busy_events(client, court.id, parse_ics)

    assert event["ORGANIZER"].params["CN"] == "Henan Polytechnic University"
    assert isinstance(event.start, datetime)
