"""The week grid visitors share: kept by everything it is computed from, so it never outlives a change.

A visitor's grid (nobody signed in) is computed once for every visitor of the facility's week within a minute;
a booking, a cancellation, a closure, a policy or an hours change made meanwhile shows on the next request.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, time

import pytest
import time_machine
from flask.testing import FlaskClient

from models import BookingStatus, db
from tests.catalog.test_catalog_week_grid import grid_of
from tests.factories import local, make_booking, make_closure, make_resource, make_user

NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 23 November, 08:00 in Jiaozuo
DAILY = tuple((w, time(8), time(22)) for w in range(7))


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


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
