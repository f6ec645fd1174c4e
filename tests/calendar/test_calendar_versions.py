"""What an event shows of its facility and university is part of its version: editing them moves the feed's
and the download's ETag and Last-Modified, and each event's SEQUENCE, DTSTAMP and LAST-MODIFIED; and both
validators, If-None-Match and If-Modified-Since, are honoured."""

from dataclasses import asdict
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar

from booking.services import calendar as feeds
from booking.services import facilities, organizations
from booking.services.facilities import FacilityDraft
from models import Organization, Resource
from tests.calendar.conftest import NOW
from tests.factories import make_admin, make_booking, make_manager, make_user

LATER = NOW + timedelta(minutes=10)


@pytest.fixture
def owner(app):
    return make_user(email="li.na@example.com", display_name="李娜", locale="en")


def edit_facility(resource: Resource, **changes: object) -> None:
    current = {field: getattr(resource, field) for field in FacilityDraft.__dataclass_fields__}
    current["tags"] = tuple(resource.tag_names)
    draft = FacilityDraft(**(current | changes))
    assert asdict(draft) != current
    facilities.update_facility(make_manager(resource.university), resource.id, draft, now=LATER)


def rename_university(university: Organization, name_en: str) -> None:
    organizations.update_university(
        make_admin(),
        university.id,
        name_zh=university.name_zh,
        name_en=name_en,
        code=university.code,
        now=LATER,
    )


def the_event(body: bytes):
    (event,) = Calendar.from_ical(body).events
    return event


EDITS = {
    "name": {"name_en": "Badminton court 3 (north hall)"},
    "address": {"address": "焦作市高新区世纪大道2001号 北馆"},
    "coordinates": {"latitude": 35.2, "longitude": 113.3},
    "time zone": {"timezone": "Asia/Urumqi"},
}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_editing_what_the_event_shows_of_the_facility_changes_the_feed_and_the_event_version(
    client: FlaskClient, court, owner, edit
):
    make_booking(court, owner, NOW + timedelta(days=2))
    token = feeds.reset_feed_token(owner, now=NOW)
    before = client.get(f"/calendar/{token}.ics")
    old_event = the_event(before.data)

    edit_facility(court, **edit)
    after = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["Last-Modified"] != before.headers["Last-Modified"]
    event = the_event(after.data)
    assert event["SEQUENCE"] > old_event["SEQUENCE"]
    assert event["DTSTAMP"].dt == event["LAST-MODIFIED"].dt == LATER


def test_the_new_facility_name_and_address_reach_the_subscribed_feed(client: FlaskClient, court, owner):
    make_booking(court, owner, NOW + timedelta(days=2))
    token = feeds.reset_feed_token(owner, now=NOW)
    client.get(f"/calendar/{token}.ics")  # made and kept once

    edit_facility(court, name_en="North hall court", address="北馆")
    event = the_event(client.get(f"/calendar/{token}.ics").data)

    assert str(event["SUMMARY"]).startswith("North hall court")
    assert str(event["LOCATION"]) == "北馆"


def test_renaming_the_university_changes_the_feed_and_each_event(client: FlaskClient, hpu, court, owner):
    make_booking(court, owner, NOW + timedelta(days=2))
    token = feeds.reset_feed_token(owner, now=NOW)
    before = client.get(f"/calendar/{token}.ics")

    rename_university(hpu, "Henan Polytechnic University (Jiaozuo)")
    after = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200
    event = the_event(after.data)
    assert str(event["SUMMARY"]) == "Badminton court 3 — Henan Polytechnic University (Jiaozuo)"
    assert event["ORGANIZER"].params["CN"] == "Henan Polytechnic University (Jiaozuo)"
    assert event["SEQUENCE"] > the_event(before.data)["SEQUENCE"]


def test_an_edit_that_no_event_shows_leaves_the_feed_alone(client: FlaskClient, court, owner):
    make_booking(court, owner, NOW + timedelta(days=2))
    token = feeds.reset_feed_token(owner, now=NOW)
    before = client.get(f"/calendar/{token}.ics")

    edit_facility(court, description_en="Wooden floor, four courts.")
    again = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": before.headers["ETag"]})

    assert again.status_code == 304


def test_the_facility_feed_follows_a_facility_edit(client: FlaskClient, court, owner):
    make_booking(court, owner, NOW + timedelta(days=2))
    before = client.get(f"/facilities/{court.id}/busy.ics")

    edit_facility(court, address="北馆")
    after = client.get(f"/facilities/{court.id}/busy.ics", headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200
    assert str(the_event(after.data)["LOCATION"]) == "北馆"


def test_the_booking_download_follows_a_facility_edit(client: FlaskClient, auth, court, owner):
    booking = make_booking(court, owner, NOW + timedelta(days=2))
    auth.login(owner)
    before = client.get(f"/bookings/{booking.id}.ics")

    edit_facility(court, name_en="North hall court")
    after = client.get(f"/bookings/{booking.id}.ics", headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200
    assert the_event(after.data)["SEQUENCE"] > the_event(before.data)["SEQUENCE"]
    assert after.headers["Last-Modified"] == "Tue, 24 Nov 2026 01:10:00 GMT"


def test_feeds_answer_if_modified_since_with_304_until_something_changes(client: FlaskClient, court, owner):
    make_booking(court, owner, NOW + timedelta(days=2))
    token = feeds.reset_feed_token(owner, now=NOW)
    first = client.get(f"/calendar/{token}.ics")
    since = {"If-Modified-Since": first.headers["Last-Modified"]}

    assert client.get(f"/calendar/{token}.ics", headers=since).status_code == 304

    edit_facility(court, name_en="North hall court")
    assert client.get(f"/calendar/{token}.ics", headers=since).status_code == 200


def test_if_none_match_wins_over_if_modified_since(client: FlaskClient, court, owner):
    make_booking(court, owner, NOW + timedelta(days=2))
    token = feeds.reset_feed_token(owner, now=NOW)
    first = client.get(f"/calendar/{token}.ics")

    response = client.get(
        f"/calendar/{token}.ics",
        headers={"If-None-Match": 'W/"stale"', "If-Modified-Since": first.headers["Last-Modified"]},
    )

    assert response.status_code == 200


def test_the_booking_download_answers_if_modified_since(client: FlaskClient, auth, court, owner):
    booking = make_booking(court, owner, NOW + timedelta(days=2))
    auth.login(owner)
    first = client.get(f"/bookings/{booking.id}.ics")

    again = client.get(
        f"/bookings/{booking.id}.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )

    assert again.status_code == 304


def test_a_new_day_moves_the_feeds_last_modified(client: FlaskClient, court, owner, frozen_clock):
    # The feed's window moves at midnight UTC: a client's copy from yesterday may hold what left it since.
    make_booking(court, owner, NOW + timedelta(days=2))
    token = feeds.reset_feed_token(owner, now=NOW)
    first = client.get(f"/calendar/{token}.ics")

    frozen_clock.move_to(NOW + timedelta(days=1))
    again = client.get(
        f"/calendar/{token}.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )

    assert again.status_code == 200
