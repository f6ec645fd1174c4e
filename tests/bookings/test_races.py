"""No double booking, proved by racing real concurrent requests on every database.

Each thread has its own application context, so its own session and its own database connection;
a barrier releases them together. Every race is repeated to catch flukes.
"""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services import bookings
from models import ACTIVE_STATUSES, Booking, Category, Mode, QuotaPeriod, User, db
from tests.concurrency import race
from tests.conftest import RACERS
from tests.factories import make_quota, make_resource, make_university, make_user

pytestmark = pytest.mark.slow

THREADS = RACERS
ROUNDS = 5
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Jiaozuo


def attempt(user_id: int, resource_id: int, start: datetime, end: datetime, party_size: int = 1):
    def go() -> Booking:
        user = db.session.get(User, user_id)
        return bookings.request_booking(user, resource_id, start, end, party_size=party_size, now=NOW)

    return go


def active_count(resource_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(Booking.resource_id == resource_id, Booking.status.in_(ACTIVE_STATUSES))
    )


def test_only_one_of_32_simultaneous_requests_gets_an_exclusive_slot(app: Flask, race_app: Flask) -> None:
    court = make_resource(policy={"max_advance_days": 30})
    users = [make_user().id for _ in range(THREADS)]
    for round_ in range(ROUNDS):
        start = datetime(2026, 11, 25 + round_, 2, 0, tzinfo=UTC)
        won, refusals = race(
            race_app, [attempt(u, court.id, start, start + timedelta(hours=1)) for u in users]
        )
        assert won == 1
        assert all(codes == {"conflict"} for codes in refusals)
    assert active_count(court.id) == ROUNDS


def test_overlapping_but_different_slots_race_without_overlap(app: Flask, race_app: Flask) -> None:
    court = make_resource(policy={"buffer_minutes": 30})
    users = [make_user().id for _ in range(THREADS)]
    base = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    # 32 requests at half-hour offsets, each an hour long with a half-hour buffer: they pairwise collide
    # with their neighbours, so whatever wins, no two winners may overlap once buffers are counted.
    attempts = [
        attempt(
            u, court.id, base + timedelta(minutes=30 * (i % 16)), base + timedelta(minutes=30 * (i % 16) + 60)
        )
        for i, u in enumerate(users)
    ]
    race(race_app, attempts)
    rows = db.session.execute(
        sa.select(Booking.start_at, Booking.blocked_until)
        .where(Booking.status.in_(ACTIVE_STATUSES))
        .order_by(Booking.start_at)
    ).all()
    assert rows
    for (_, first_until), (second_start, _) in itertools.pairwise(rows):
        assert first_until <= second_start


def test_exactly_10_of_32_people_get_a_place_in_a_room_for_10(app: Flask, race_app: Flask) -> None:
    room = make_resource(mode=Mode.SHARED, capacity=10)
    users = [make_user().id for _ in range(THREADS)]
    for round_ in range(ROUNDS):
        start = datetime(2026, 11, 25 + round_, 2, 0, tzinfo=UTC)
        won, refusals = race(
            race_app, [attempt(u, room.id, start, start + timedelta(hours=1)) for u in users]
        )
        assert won == 10
        assert all(codes == {"capacity"} for codes in refusals)
        taken = db.session.scalar(
            sa.select(sa.func.sum(Booking.party_size)).where(
                Booking.resource_id == room.id, Booking.start_at == start, Booking.status.in_(ACTIVE_STATUSES)
            )
        )
        assert taken == 10


def test_one_person_firing_8_requests_against_a_quota_of_2_gets_exactly_2(
    app: Flask, race_app: Flask
) -> None:
    university = make_university()
    courts = [make_resource(university) for _ in range(8)]
    make_quota(university, category=Category.RESIDENT, period=QuotaPeriod.WEEK, max_bookings=2)
    for round_ in range(ROUNDS):
        user = make_user()
        # Each round in its own week so earlier rounds' bookings do not count.
        start = datetime(2026, 11, 30, 2, 0, tzinfo=UTC) + timedelta(weeks=round_ % 4, days=round_ // 4)
        won, refusals = race(
            race_app,
            [attempt(user.id, court.id, start, start + timedelta(hours=1)) for court in courts],
        )
        assert won == 2
        assert all(codes == {"quota_bookings"} for codes in refusals)
