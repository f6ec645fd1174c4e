"""A time someone else already holds is refused from the read before the locks, with a light page.

In an opening rush most requests ask for a slot just taken: they are answered from the same read that finds
the facility, without queueing for the locks, with the refusal, the waitlist offer and the way back. The
locked path stays the authority: a time only the buffer blocks, or one the person holds themselves, goes
through it as before.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from models import Booking, Mode, RefusalCount, db
from tests.factories import local, make_booking, make_resource, make_user
from tests.sql_log import recorded_sql

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
EN = {"Accept-Language": "en"}
SLOT = {"day": "2026-11-25", "start_time": "10:00", "end_time": "11:00", "party_size": "1", "action": "book"}


pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    with recorded_sql() as seen:
        yield seen


@pytest.fixture
def resident(app: Flask, auth):
    person = make_user(email="li.na@example.com")
    assert auth.login(person).status_code == 302
    return person


def test_a_time_someone_else_holds_is_refused_without_taking_the_locks(
    client: FlaskClient, resident, statements: list[str]
) -> None:
    court = make_resource()
    make_booking(court, make_user(), local(25, 10), local(25, 11))
    statements.clear()

    response = client.post(f"/facilities/{court.id}/book", data=SLOT, headers=EN)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-code="conflict"' in page and "This time is already booked." in page
    assert 'id="waitlist-offer"' in page and 'id="start_time"' not in page
    assert f'href="/facilities/{court.id}?week=2026-11-25"' in page
    # No lock was asked for (PostgreSQL) and no write transaction begun but the refusal count's.
    assert not [s for s in statements if "FOR NO KEY UPDATE" in s or "FOR UPDATE" in s]
    assert not [s for s in statements if "INSERT INTO booking " in s]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
    assert [(r.code, r.count) for r in db.session.scalars(sa.select(RefusalCount))] == [("conflict", 1)]


def test_a_time_only_the_buffer_blocks_goes_through_the_locked_path(client: FlaskClient, resident) -> None:
    court = make_resource(policy={"buffer_minutes": 30})
    make_booking(court, make_user(), local(25, 9), local(25, 10))

    response = client.post(f"/facilities/{court.id}/book", data=SLOT, headers=EN)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-code="conflict"' in page and "This time is already booked." in page
    assert 'id="start_time"' in page  # the whole form again


def test_a_time_the_person_holds_themselves_is_judged_by_the_locked_path(
    client: FlaskClient, resident
) -> None:
    room = make_resource(mode=Mode.SHARED)
    make_booking(room, resident, local(25, 10), local(25, 11))

    response = client.post(f"/facilities/{room.id}/book", data=SLOT, headers=EN)

    assert response.status_code == 422
    assert 'data-code="duplicate"' in response.get_data(as_text=True)


def test_a_taken_time_asked_too_long_gets_every_reason_and_the_form(client: FlaskClient, resident) -> None:
    court = make_resource(policy={"max_minutes": 60})
    make_booking(court, make_user(), local(25, 10), local(25, 11))

    response = client.post(f"/facilities/{court.id}/book", data=SLOT | {"end_time": "12:00"}, headers=EN)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-code="conflict"' in page and 'data-code="too_long"' in page
    assert 'id="start_time"' in page and 'id="waitlist-offer"' not in page


def test_a_free_time_is_booked_as_before(client: FlaskClient, resident) -> None:
    court = make_resource()
    make_booking(court, make_user(), local(25, 11), local(25, 12))

    response = client.post(f"/facilities/{court.id}/book", data=SLOT, headers=EN)

    assert response.status_code == 302
