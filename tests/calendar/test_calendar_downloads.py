"""One booking's .ics: who may download it, and what calendar programs will read from it."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar

from booking.ics import PRODID
from booking.services import calendar as feeds
from models import BookingStatus, Mode, ResourceKind
from tests.calendar.conftest import NOW
from tests.factories import make_booking, make_manager, make_resource, make_university, make_user

START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Jiaozuo
EN = {"Accept-Language": "en"}


@pytest.fixture
def owner(app):
    return make_user(email="li.na@example.com", display_name="李娜")


@pytest.fixture
def booking(court, owner):
    return make_booking(court, owner, START, purpose="Club training", updated_at=NOW, sequence=2)


def event_of(body: bytes):
    calendar = Calendar.from_ical(body)
    (event,) = calendar.events
    return calendar, event


def test_the_owner_downloads_the_booking_as_an_ics_file(client: FlaskClient, auth, owner, booking, parse_ics):
    auth.login(owner)
    response = client.get(f"/bookings/{booking.id}.ics", headers=EN)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="booking-{booking.id}.ics"'
    calendar, event = event_of(response.data)
    assert str(calendar["PRODID"]) == PRODID == "-//Campus-City Booking//校地共享预约//ZH"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == f"{booking.uuid}@campus-city.example"
    assert str(event["SUMMARY"]) == "Badminton court 3 — Henan Polytechnic University"
    assert event.start == datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert event.end - event.start == timedelta(hours=1)
    assert str(event["LOCATION"]) == "焦作市高新区世纪大道2001号"
    assert (event["GEO"].latitude, event["GEO"].longitude) == (35.1902, 113.2731)
    assert "Club training" in str(event["DESCRIPTION"]) and "Confirmed" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == f"http://localhost/bookings/{booking.id}"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["TRANSP"]) == "OPAQUE"
    assert event["SEQUENCE"] == 2
    assert event["DTSTAMP"].dt == NOW
    assert event["ORGANIZER"].params["CN"] == "Henan Polytechnic University"
    assert str(event["ORGANIZER"]).startswith("mailto:")
    assert [tz.tz_name for tz in calendar.timezones] == ["Asia/Shanghai"]
    (facts,) = parse_ics(response.data)
    assert (facts.start, facts.end) == (START, START + timedelta(hours=1))


def test_the_file_speaks_the_readers_language(client: FlaskClient, auth, owner, booking):
    auth.login(owner)
    _calendar, event = event_of(
        client.get(f"/bookings/{booking.id}.ics", headers={"Accept-Language": "zh-CN"}).data
    )
    assert str(event["SUMMARY"]) == "羽毛球3号场 — 河南理工大学"
    assert event["ORGANIZER"].params["CN"] == "河南理工大学"


def test_managers_of_that_university_may_download_it(client: FlaskClient, auth, hpu, booking):
    auth.login(make_manager(hpu))
    assert client.get(f"/bookings/{booking.id}.ics").status_code == 200


@pytest.mark.parametrize("who", ["stranger", "other_manager"])
def test_anyone_else_gets_404(client: FlaskClient, auth, booking, who):
    user = make_user() if who == "stranger" else make_manager(make_university())
    auth.login(user)
    assert client.get(f"/bookings/{booking.id}.ics").status_code == 404
    assert client.get("/bookings/987654.ics").status_code == 404


def test_downloading_needs_a_login(client: FlaskClient, booking):
    response = client.get(f"/bookings/{booking.id}.ics")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_placement_is_an_all_day_event_with_no_time_zone(client: FlaskClient, auth, hpu, owner, parse_ics):
    base = make_resource(
        hpu, kind=ResourceKind.TRAINING_BASE, mode=Mode.PLACEMENT, name_en="CNC training base"
    )
    shanghai = ZoneInfo("Asia/Shanghai")
    first, after_last = datetime(2027, 3, 1, tzinfo=shanghai), datetime(2027, 7, 1, tzinfo=shanghai)
    placement = make_booking(
        base,
        owner,
        first.astimezone(UTC),
        after_last.astimezone(UTC),
        status=BookingStatus.PENDING,
        purpose="I study mechanical engineering.",
    )
    auth.login(owner)
    body = client.get(f"/bookings/{placement.id}.ics", headers=EN).data
    calendar, event = event_of(body)
    assert b"DTSTART;VALUE=DATE:20270301" in body and b"DTEND;VALUE=DATE:20270701" in body
    assert (event.start, event.end) == (date(2027, 3, 1), date(2027, 7, 1))
    assert str(event["STATUS"]) == "TENTATIVE"
    assert calendar.timezones == []
    (facts,) = parse_ics(body)
    assert (facts.start, facts.end) == (date(2027, 3, 1), date(2027, 7, 1))


def test_a_repeated_download_with_the_same_etag_is_304(client: FlaskClient, auth, owner, booking):
    auth.login(owner)
    first = client.get(f"/bookings/{booking.id}.ics")
    again = client.get(f"/bookings/{booking.id}.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_the_email_attachment_is_the_same_file_built_without_a_request(app, owner, booking, parse_ics):
    body = feeds.booking_calendar(booking, feeds.owner_locale(owner))  # owner has no saved language: zh_CN
    _calendar, event = event_of(body)
    assert str(event["SUMMARY"]) == "羽毛球3号场 — 河南理工大学"
    assert str(event["URL"]) == f"http://localhost/bookings/{booking.id}"
    (facts,) = parse_ics(body)
    assert facts.uid == f"{booking.uuid}@campus-city.example"
