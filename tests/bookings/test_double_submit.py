"""A form sent twice books once: a double click, a resent request or a replay gives the first answer again.

Each booking form carries a one-time submission key; the booking it made keeps it (unique per person in the
database), so a second POST with the same key creates nothing and lands on the first booking. Two posts at
once are raced for real: two test clients share one logged-in session cookie, each in its own thread (so its
own database connection), released together by a barrier.
"""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from models import ACTIVE_STATUSES, Booking, Mode, Resource, Series, db
from tests.concurrency import run_at_once
from tests.factories import PASSWORD, make_resource, make_user

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("frozen_clock")]

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
ROUNDS = 3
_KEY_FIELD = re.compile(
    r'name="submission_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="submission_key"'
)


def one_session(app: Flask, email: str, copies: int = 2) -> list[FlaskClient]:
    """`copies` clients of `app` sending the same session cookie: one person's browser, twice."""
    first = app.test_client()
    assert first.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    cookie = first.get_cookie("session")
    clients = [first]
    for _ in range(copies - 1):
        other = app.test_client()
        other.set_cookie(cookie.key, cookie.value)
        clients.append(other)
    return clients


def form_with_key(client: FlaskClient, url: str, data: dict[str, str]) -> dict[str, str]:
    """The form's fields as the page rendered them (its submission key, if it has one), filled in."""
    page = client.get(url)
    assert page.status_code == 200
    match = _KEY_FIELD.search(page.get_data(as_text=True))
    return {**data, **({"submission_key": match.group(1) or match.group(2)} if match else {})}


def post_at_once(
    app: Flask, clients: list[FlaskClient], url: str, data: dict[str, str]
) -> list[TestResponse]:
    responses, refusals = run_at_once(app, [lambda c=c: c.post(url, data=data) for c in clients])
    assert not refusals
    return responses


def active_bookings(resource_id: int) -> list[Booking]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(Booking).where(Booking.resource_id == resource_id, Booking.status.in_(ACTIVE_STATUSES))
        )
    )


def slot(round_: int) -> dict[str, str]:
    return {
        "day": f"2026-11-{25 + round_}",
        "start_time": "10:00",
        "end_time": "11:00",
        "party_size": "1",
        "action": "book",
    }


@pytest.mark.parametrize("mode", [Mode.SHARED, Mode.EXCLUSIVE], ids=["shared", "exclusive"])
def test_the_same_booking_form_posted_twice_at_once_books_once(
    app: Flask, race_app: Flask, mode: Mode
) -> None:
    facility = make_resource(mode=mode)
    person = make_user()
    clients = one_session(race_app, person.email)
    url = f"/facilities/{facility.id}/book"

    for round_ in range(ROUNDS):
        data = form_with_key(clients[0], url, slot(round_))
        responses = post_at_once(race_app, clients, url, data)

        booked = [b for b in active_bookings(facility.id) if b.start_at.day == 25 + round_]
        assert len(booked) == 1
        assert [r.status_code for r in responses] == [302, 302]
        assert {r.location for r in responses} == {f"/bookings/{booked[0].id}"}


@pytest.fixture
def signed_in_at_a_room(client: FlaskClient, auth) -> tuple[Resource, str]:
    """A shared room, and someone signed in at its booking form: the room and the form's address."""
    room = make_resource(mode=Mode.SHARED)
    auth.login(make_user())
    return room, f"/facilities/{room.id}/book"


def test_a_replayed_booking_form_lands_on_the_first_booking_and_books_nothing(
    client: FlaskClient, signed_in_at_a_room: tuple[Resource, str]
) -> None:
    room, url = signed_in_at_a_room
    data = form_with_key(client, url, slot(0))
    first = client.post(url, data=data)

    again = client.post(url, data=data)

    assert first.status_code == again.status_code == 302
    assert again.location == first.location
    assert len(active_bookings(room.id)) == 1


def test_the_same_series_form_posted_twice_at_once_books_one_series(app: Flask, race_app: Flask) -> None:
    room = make_resource(mode=Mode.SHARED, policy={"max_advance_days": 60})
    person = make_user()
    clients = one_session(race_app, person.email)
    url = f"/facilities/{room.id}/book"
    data = form_with_key(clients[0], url, {**slot(0), "repeat": "y", "frequency": "weekly", "weekdays": "2"})
    data.update(interval="1", ends="count", count="3")

    responses = post_at_once(race_app, clients, url, data)

    assert len(active_bookings(room.id)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Series)) == 1
    assert [r.status_code for r in responses] == [302, 302]
    assert len({r.location for r in responses}) == 1


def test_the_same_placement_application_sent_twice_at_once_applies_once(app: Flask, race_app: Flask) -> None:
    base = make_resource(mode=Mode.PLACEMENT, policy={"max_minutes": None, "max_advance_days": 60})
    person = make_user()
    clients = one_session(race_app, person.email)
    url = f"/facilities/{base.id}/book"
    data = form_with_key(
        clients[0],
        url,
        {
            "first_day": "2026-11-30",
            "last_day": "2026-12-04",
            "statement": "I would like to train here all week.",
        },
    )

    responses = post_at_once(race_app, clients, url, data)

    assert len(active_bookings(base.id)) == 1
    assert [r.status_code for r in responses] == [302, 302]
    assert len({r.location for r in responses}) == 1


def test_booking_the_same_slot_again_from_a_new_form_is_refused_as_a_duplicate(
    client: FlaskClient, signed_in_at_a_room: tuple[Resource, str]
) -> None:
    room, url = signed_in_at_a_room
    assert client.post(url, data=form_with_key(client, url, slot(0))).status_code == 302

    again = client.post(url, data=form_with_key(client, url, slot(0)), headers={"Accept-Language": "zh-CN"})

    assert again.status_code == 422
    assert 'data-code="duplicate"' in again.get_data(as_text=True)
    assert "您已有这项预约" in again.get_data(as_text=True)
    assert len(active_bookings(room.id)) == 1
