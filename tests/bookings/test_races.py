"""No double booking, proved by racing real concurrent requests on every database.

Each thread has its own application context, so its own session and its own database connection;
a barrier releases them together. Every race is repeated to catch flukes.
"""

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services import bookings, checkin
from models import ACTIVE_STATUSES, AuditEvent, Booking, BookingStatus, Category, Mode, QuotaPeriod, User, db
from tests.concurrency import race, run_at_once
from tests.conftest import RACERS
from tests.factories import make_booking, make_manager, make_quota, make_resource, make_university, make_user

pytestmark = pytest.mark.slow

THREADS = RACERS
ROUNDS = 5
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Jiaozuo


def attempt(user_id: int, resource_id: int, start: datetime, end: datetime, party_size: int = 1):
    def go() -> Booking:
        user = db.session.get(User, user_id)
        return bookings.request_booking(user, resource_id, start, end, party_size=party_size, now=NOW)

    return go


def attempt_move(user_id: int, booking_id: int, start: datetime, end: datetime):
    def go() -> Booking:
        return bookings.move(db.session.get(User, user_id), booking_id, start, end, now=NOW)

    return go


def everyone_races_for_an_hour(
    race_app: Flask, resource_id: int
) -> Iterator[tuple[datetime, int, list[set[str]]]]:
    """THREADS people request the same hour at once, in ROUNDS rounds a day apart: each round's start, how
    many won, and the codes of each refusal."""
    users = [make_user().id for _ in range(THREADS)]
    for round_ in range(ROUNDS):
        start = datetime(2026, 11, 25 + round_, 2, 0, tzinfo=UTC)
        won, refusals = race(
            race_app, [attempt(u, resource_id, start, start + timedelta(hours=1)) for u in users]
        )
        yield start, won, refusals


def active_count(resource_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(Booking.resource_id == resource_id, Booking.status.in_(ACTIVE_STATUSES))
    )


def test_only_one_of_32_simultaneous_requests_gets_an_exclusive_slot(app: Flask, race_app: Flask) -> None:
    court = make_resource(policy={"max_advance_days": 30})
    for _start, won, refusals in everyone_races_for_an_hour(race_app, court.id):
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
    for start, won, refusals in everyone_races_for_an_hour(race_app, room.id):
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


def test_a_move_and_31_new_requests_racing_for_one_free_slot_leave_exactly_one_holder(
    app: Flask, race_app: Flask
) -> None:
    court = make_resource(policy={"buffer_minutes": 30})
    holder = make_user()
    holder_id = holder.id
    users = [make_user().id for _ in range(THREADS - 1)]
    for round_ in range(ROUNDS):
        day = datetime(2026, 11, 25 + round_, 0, 0, tzinfo=UTC)  # 08:00 in Jiaozuo
        booking = bookings.request_booking(holder, court.id, day, day + timedelta(hours=1), now=NOW)
        start, end = day + timedelta(hours=4), day + timedelta(hours=5)
        mover = attempt_move(holder_id, booking.id, start, end)
        winners, refusals = run_at_once(race_app, [mover, *(attempt(u, court.id, start, end) for u in users)])
        assert len(winners) == 1
        assert all(codes == {"conflict"} for codes in refusals)
        rows = db.session.execute(
            sa.select(Booking.id, Booking.start_at, Booking.blocked_until)
            .where(
                Booking.resource_id == court.id, Booking.status.in_(ACTIVE_STATUSES), Booking.start_at >= day
            )
            .where(Booking.start_at < day + timedelta(days=1))
            .order_by(Booking.start_at)
        ).all()
        # Either the booking moved (one row, at the new time) or a newcomer won and the booking stayed put.
        moved = winners[0].id == booking.id
        assert [(r.start_at, r.id == booking.id) for r in rows] == (
            [(start, True)] if moved else [(day, True), (start, False)]
        )
        for (_, _, first_until), (_, second_start, _) in itertools.pairwise(rows):
            assert first_until <= second_start


def attempt_cancel(user_id: int, booking_id: int):
    def go() -> list[Booking]:
        return bookings.cancel(db.session.get(User, user_id), booking_id, now=NOW)

    return go


def test_changes_racing_on_one_booking_take_turns_and_each_raises_its_sequence(
    app: Flask, race_app: Flask
) -> None:
    # The holder moves and cancels at once while a manager moves it and cancels it too: each change waits
    # for the one before it, sees its result, and calendars see SEQUENCE rise once per change that happened.
    court = make_resource()
    holder, manager = make_user(), make_manager(court.university)
    holder_id, manager_id = holder.id, manager.id
    for round_ in range(ROUNDS):
        day = datetime(2026, 11, 25 + round_, 0, 0, tzinfo=UTC)  # 08:00 in Jiaozuo
        booking = bookings.request_booking(holder, court.id, day, day + timedelta(hours=1), now=NOW)
        first_sequence = booking.sequence
        changes = [
            attempt_move(holder_id, booking.id, day + timedelta(hours=2), day + timedelta(hours=3)),
            attempt_move(manager_id, booking.id, day + timedelta(hours=4), day + timedelta(hours=5)),
            attempt_cancel(holder_id, booking.id),
            attempt_cancel(manager_id, booking.id),
        ]
        winners, refusals = run_at_once(race_app, changes)
        # Once cancelled, nothing more changes it: the later cancel and moves are refused in words.
        assert all(codes <= {"not_cancellable", "not_movable"} for codes in refusals), refusals
        cancels = [w for w in winners if isinstance(w, list)]
        moves = [w for w in winners if isinstance(w, Booking)]
        assert len(cancels) == 1 and len(cancels[0]) == 1
        db.session.expire_all()
        final = db.session.get(Booking, booking.id)
        assert final.status == BookingStatus.CANCELLED
        assert final.sequence == first_sequence + 1 + len(moves)
        events = db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.target_type == "booking", AuditEvent.target_id == booking.id)
            .order_by(AuditEvent.id)
        ).all()
        assert events.count("booking.moved") == len(moves)
        assert events[-1] == "booking.cancelled"


def test_a_check_in_racing_a_managers_move_never_deadlocks(app: Flask, race_app: Flask) -> None:
    # Check-in locks the booking, then writes an audit event that references the university's row; a move
    # locks the holder's university, the holder and the facility, then the booking. Row locks that forbid
    # those references would make the two wait on each other in a cycle.
    university = make_university()
    managers = [make_manager(university).id for _ in range(2)]
    for round_ in range(ROUNDS):
        court = make_resource(university, policy={"checkin_required": True})
        student = make_user(Category.STUDENT, organization_id=university.id)
        start = NOW + timedelta(minutes=10)  # the check-in window opened five minutes ago
        booking = make_booking(court, student, start, checkin_code="135790")
        moved_to = NOW + timedelta(days=1, hours=round_)
        attempts = [
            attempt_move(managers[0], booking.id, moved_to, moved_to + timedelta(hours=1)),
            attempt_check_in(managers[1], booking.id),
            attempt_check_in(student.id, booking.id, code="135790"),
        ]
        winners, refusals = run_at_once(race_app, attempts)
        db.session.expire_all()
        final = db.session.get(Booking, booking.id)
        # Whoever came first decided: moved (then too early to check in), or checked in (then not movable).
        if final.status == BookingStatus.CHECKED_IN:
            assert final.start_at == start
        else:
            assert final.start_at == moved_to and final.status == BookingStatus.CONFIRMED
        assert len(winners) >= 1 and len(winners) + len(refusals) == len(attempts)


def attempt_check_in(user_id: int, booking_id: int, code: str | None = None):
    def go() -> Booking:
        user = db.session.get(User, user_id)
        if code is None:
            return checkin.check_in_by_manager(user, booking_id, now=NOW)
        return checkin.check_in(user, booking_id, code, now=NOW)

    return go
