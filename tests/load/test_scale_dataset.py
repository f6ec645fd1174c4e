"""The large-dataset generator, at a small size: it keeps every booking rule the platform enforces."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking import engine
from booking.engine.hours import within_hours
from booking.engine.localtime import to_local, zone
from booking.services import bookings, specs
from booking.services.errors import Refused
from models import (
    ACTIVE_STATUSES,
    AuditEvent,
    Booking,
    BookingStatus,
    Category,
    Mode,
    Policy,
    Resource,
    Series,
    User,
    Verification,
    db,
)
from scale import HELD_STATUSES, double_bookings, seed_bookings, seed_scale
from scale import cli as scale_cli
from tests.conftest import make_app

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
SIZE = {"facilities": 30, "users": 200, "bookings": 1500}


@pytest.fixture
def seeded(app: Flask):
    return seed_scale(**SIZE, seed=7, now=NOW)


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_it_writes_exactly_what_was_asked(seeded) -> None:
    assert (seeded.facilities, seeded.users, seeded.bookings) == (30, 200, 1500)
    assert count(Resource) == 30 and count(Booking) == 1500
    assert count(User) == 200 + 4 * 2 + 1  # two managers per university and one admin
    assert count(Series) == seeded.series > 0


def test_no_facility_is_ever_double_booked_or_overfilled(seeded) -> None:
    assert double_bookings(HELD_STATUSES) == []


def test_every_booking_has_its_creation_in_the_audit_log(seeded) -> None:
    created = sa.select(AuditEvent.target_id).where(AuditEvent.action == "booking.created")
    assert db.session.scalar(sa.select(sa.func.count()).where(Booking.id.not_in(created))) == 0
    assert seeded.audit_events == count(AuditEvent) > seeded.bookings


def test_bookings_lie_on_the_slot_grid_inside_opening_hours_with_the_buffer_blocked(seeded) -> None:
    resources = db.session.scalars(sa.select(Resource).options(*specs.SPEC_LOAD_OPTIONS)).unique().all()
    resource_specs = {r.id: specs.resource_spec(r) for r in resources}
    for booking in db.session.scalars(sa.select(Booking)):
        spec = resource_specs[booking.resource_id]
        span = engine.Interval(booking.start_at, booking.end_at)
        assert booking.blocked_until == booking.end_at + timedelta(minutes=spec.policy.buffer_minutes)
        assert booking.exclusive == (spec.mode == Mode.EXCLUSIVE)
        if spec.mode == Mode.PLACEMENT:
            continue
        assert within_hours(spec, span), booking.id
        local = to_local(booking.start_at, zone(spec.timezone))
        assert (local.hour * 60 + local.minute) % spec.slot_minutes == 0
        assert (booking.end_at - booking.start_at) % timedelta(minutes=spec.slot_minutes) == timedelta(0)


def test_statuses_follow_time_past_bookings_are_finished_future_ones_active(seeded) -> None:
    rows = db.session.execute(sa.select(Booking.status, Booking.start_at, Booking.end_at)).all()
    finished = {BookingStatus.COMPLETED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED}
    finished |= {BookingStatus.REJECTED, BookingStatus.EXPIRED}
    assert all(status in finished for status, _start, end in rows if end <= NOW)
    upcoming = {status for status, start, _end in rows if start > NOW}
    assert upcoming <= {BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.CANCELLED}
    assert BookingStatus.CONFIRMED in upcoming
    assert {status for status, *_ in rows} >= {BookingStatus.COMPLETED, BookingStatus.CANCELLED}


def test_the_booking_service_sees_the_generated_bookings(seeded) -> None:
    taken = db.session.scalars(
        sa.select(Booking)
        .where(Booking.exclusive, Booking.status == BookingStatus.CONFIRMED, Booking.start_at > NOW)
        .order_by(Booking.id)
    ).first()
    newcomer = db.session.scalars(
        sa.select(User).where(User.category == Category.RESIDENT, User.verification == Verification.NONE)
    ).first()
    with pytest.raises(Refused) as refused:
        bookings.request_booking(newcomer, taken.resource_id, taken.start_at, taken.end_at, now=NOW)
    assert "conflict" in refused.value.codes


def test_people_book_only_facilities_open_to_their_category(seeded) -> None:
    rows = db.session.execute(
        sa.select(User, Policy.allowed_categories)
        .join(Booking, Booking.user_id == User.id)
        .join(Policy, Policy.resource_id == Booking.resource_id)
    ).all()
    assert rows and all(user.effective_category.value in allowed for user, allowed in rows)


def test_bookings_can_be_regenerated_at_another_size(seeded) -> None:
    result = seed_bookings(500, seed=8, now=NOW, replace=True)
    assert result.bookings == count(Booking) == 500
    assert double_bookings(HELD_STATUSES) == []


def test_it_refuses_to_seed_twice_or_over_existing_bookings(seeded) -> None:
    with pytest.raises(ValueError, match="already"):
        seed_scale(**SIZE, now=NOW)
    with pytest.raises(ValueError, match="not empty"):
        seed_bookings(10, now=NOW)


def test_it_is_the_state_the_scheduled_jobs_would_have_left(seeded) -> None:
    confirmed_soon = sa.and_(
        Booking.status == BookingStatus.CONFIRMED,
        Booking.start_at > NOW,
        Booking.start_at <= NOW + timedelta(hours=24),
    )
    left_over = {
        "unreminded": sa.and_(confirmed_soon, Booking.reminded_at.is_(None)),
        "undecided past start": sa.and_(Booking.status == BookingStatus.PENDING, Booking.start_at <= NOW),
        "ended yet active": sa.and_(Booking.status.in_(ACTIVE_STATUSES), Booking.end_at <= NOW),
    }
    counts = {
        name: db.session.scalar(sa.select(sa.func.count()).where(rule)) for name, rule in left_over.items()
    }
    assert counts == dict.fromkeys(left_over, 0)
    assert db.session.scalar(sa.select(sa.func.count()).where(confirmed_soon)) > 0


def test_the_seed_scale_command_says_what_it_wrote(app: Flask, database_url: str) -> None:
    cli_app = make_app(database_url)
    scale_cli.register(cli_app)
    args = ["seed-scale", "--facilities", "5", "--users", "20", "--bookings", "100"]
    result = cli_app.test_cli_runner().invoke(args=args)
    with cli_app.app_context():
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert "5 facilities, 20 people, 100 bookings" in result.output
