"""The week grid visitors share: kept by everything it is computed from, so it never outlives a change.

A visitor's grid (nobody signed in) is computed once for every visitor of the facility's week within a minute;
a booking, a cancellation, a closure, a policy or an hours change made meanwhile shows on the next request.
"""

from datetime import UTC, datetime, time

import pytest
import time_machine
from flask.testing import FlaskClient

from models import BookingStatus, db
from tests.catalog.test_catalog_week_grid import grid_of
from tests.factories import local, make_booking, make_closure, make_resource, make_user

NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 23 November, 08:00 in Jiaozuo
DAILY = tuple((w, time(8), time(22)) for w in range(7))


pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def test_a_new_booking_shows_to_the_next_visitor(client: FlaskClient) -> None:
    court = make_resource(hours=DAILY)
    assert grid_of(client, court.id).cell("10:00", 2).state == "free"
    make_booking(court, make_user(), local(25, 10))
    assert grid_of(client, court.id).cell("10:00", 2).state == "booked"


def test_a_cancelled_booking_frees_the_slot_for_the_next_visitor(client: FlaskClient) -> None:
    court = make_resource(hours=DAILY)
    booking = make_booking(court, make_user(), local(25, 10))
    assert grid_of(client, court.id).cell("10:00", 2).state == "booked"
    booking.status = BookingStatus.CANCELLED
    db.session.commit()
    assert grid_of(client, court.id).cell("10:00", 2).state == "free"


def test_a_new_closure_shows_to_the_next_visitor(client: FlaskClient) -> None:
    court = make_resource(hours=DAILY)
    assert grid_of(client, court.id).cell("10:00", 2).state == "free"
    make_closure(court, local(25, 9), local(25, 12))
    assert grid_of(client, court.id).cell("10:00", 2).state == "closure"


def test_a_policy_change_shows_to_the_next_visitor(client: FlaskClient) -> None:
    court = make_resource(hours=DAILY)
    assert grid_of(client, court.id).cell("10:00", 2).state == "free"
    court.policy.max_advance_days = 1
    db.session.commit()
    assert grid_of(client, court.id).cell("10:00", 2).state == "not_open_yet"


def test_an_hours_change_shows_to_the_next_visitor(client: FlaskClient) -> None:
    court = make_resource(hours=DAILY)
    assert grid_of(client, court.id).cell("10:00", 2).state == "free"
    for hours in court.hours:
        hours.opens = time(12)
    db.session.commit()
    assert "10:00" not in grid_of(client, court.id).rows


def test_time_passing_shows_to_the_next_visitor(client: FlaskClient) -> None:
    court = make_resource(hours=DAILY)
    assert grid_of(client, court.id).cell("10:00", 0).state == "free"
    with time_machine.travel(datetime(2026, 11, 23, 2, 1, tzinfo=UTC), tick=False):
        assert grid_of(client, court.id).cell("10:00", 0).state == "past"


def test_a_visitor_asking_again_gets_304_until_a_booking_changes_the_page(client: FlaskClient) -> None:
    court = make_resource(hours=DAILY)
    client.get(f"/facilities/{court.id}")  # the session gets its form token, which the page embeds
    first = client.get(f"/facilities/{court.id}")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache"

    again = client.get(f"/facilities/{court.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""

    make_booking(court, make_user(), local(25, 10))
    changed = client.get(f"/facilities/{court.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_another_language_or_week_is_another_page(client: FlaskClient) -> None:
    court = make_resource(hours=DAILY)
    client.get(f"/facilities/{court.id}")
    etag = client.get(f"/facilities/{court.id}").headers["ETag"]
    english = client.get(f"/facilities/{court.id}", headers={"If-None-Match": etag, "Accept-Language": "en"})
    next_week = client.get(f"/facilities/{court.id}?week=2026-11-30", headers={"If-None-Match": etag})
    assert english.status_code == 200 and next_week.status_code == 200


def test_a_signed_in_person_gets_no_entity_tag(client: FlaskClient, auth) -> None:
    court = make_resource(hours=DAILY)
    assert auth.login(make_user()).status_code == 302
    response = client.get(f"/facilities/{court.id}")
    assert response.status_code == 200 and "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"
