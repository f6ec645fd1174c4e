"""The personal calendar as a read-only CalDAV collection, synced by a real CalDAV client (the caldav library)
over HTTP on a loopback port."""

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import caldav
import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from werkzeug.serving import make_server

from booking.services import bookings
from booking.services import calendar as feeds
from models import BookingStatus
from tests.calendar.conftest import NOW, parse_both
from tests.factories import make_booking, make_user


@pytest.fixture
def owner(app):
    return make_user(email="li.na@example.com", display_name="李娜", locale="en")


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    live = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=live.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{live.server_port}"
    finally:
        live.shutdown()
        thread.join(timeout=5)


def synced(url: str) -> dict[str, Calendar]:
    """What a CalDAV client finds: principal, its calendars, and every event of the one calendar."""
    with caldav.DAVClient(url=url) as client:
        (calendar,) = client.principal().calendars()
        return {
            str(Calendar.from_ical(e.data).events[0]["UID"]): Calendar.from_ical(e.data)
            for e in calendar.events()
        }


def test_a_caldav_client_finds_the_personal_calendar_and_its_events(server: str, court, owner):
    mine = [
        make_booking(court, owner, NOW + timedelta(days=1)),
        make_booking(court, owner, NOW + timedelta(days=2), status=BookingStatus.PENDING),
    ]
    make_booking(court, make_user(), NOW + timedelta(days=3))  # someone else's
    token = feeds.reset_feed_token(owner, now=NOW)

    events = synced(f"{server}/caldav/{token}/")

    assert set(events) == {f"{b.uuid}@campus-city.example" for b in mine}
    for calendar in events.values():
        assert "METHOD" not in calendar  # RFC 4791: calendar object resources carry no METHOD
        parse_both(calendar.to_ical())


def test_a_caldav_client_sees_a_cancellation_on_its_next_sync(server: str, court, owner):
    booking = make_booking(court, owner, NOW + timedelta(days=1))
    token = feeds.reset_feed_token(owner, now=NOW)
    url = f"{server}/caldav/{token}/"
    synced(url)

    bookings.cancel(owner, booking.id, now=NOW)

    (calendar,) = synced(url).values()
    assert str(calendar.events[0]["STATUS"]) == "CANCELLED"


def test_an_unknown_token_opens_no_caldav_collection(client: FlaskClient, app):
    response = client.open("/caldav/not-a-real-token-0123456789abcdef0123456789a/", method="PROPFIND")
    assert response.status_code == 404


def test_the_caldav_collection_cannot_be_written(client: FlaskClient, court, owner):
    booking = make_booking(court, owner, NOW + timedelta(days=1))
    token = feeds.reset_feed_token(owner, now=NOW)
    href = f"/caldav/{token}/bookings/{booking.uuid}.ics"

    assert client.put(href, data=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").status_code == 405
    assert client.delete(href).status_code == 405
    assert client.get(href).status_code == 200


def test_caldav_answers_are_never_stored_by_a_cache(client: FlaskClient, court, owner):
    booking = make_booking(court, owner, NOW + timedelta(days=1))
    token = feeds.reset_feed_token(owner, now=NOW)

    listing = client.open(f"/caldav/{token}/bookings/", method="PROPFIND", headers={"Depth": "1"})
    event = client.get(f"/caldav/{token}/bookings/{booking.uuid}.ics")

    assert listing.headers["Cache-Control"] == "private, no-store"
    assert event.headers["Cache-Control"] == "private, no-store"


def test_caldav_tokens_are_redacted_from_request_logs(app, caplog):
    token = "B" * 43
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('"PROPFIND /caldav/%s/bookings/ HTTP/1.1" 207 -', token)
    assert token not in caplog.text
    assert "/caldav/[redacted]/bookings/" in caplog.text
