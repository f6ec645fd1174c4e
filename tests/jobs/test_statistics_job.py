"""The nightly statistics snapshot: one row per facility and local day, written once."""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.jobs import tasks
from booking.services import statistics
from models import BookingStatus, Category, FacilityDay, Mode, Verification, db
from tests.factories import local, make_booking, make_closure, make_enterprise, make_resource, make_user

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
MONDAY = date(2026, 11, 23)
CREATED = datetime(2026, 11, 1, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def rows() -> list[FacilityDay]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(FacilityDay).order_by(FacilityDay.resource_id, FacilityDay.day)))


def monday_of(resource) -> FacilityDay:
    return next(r for r in rows() if r.resource_id == resource.id and r.day == MONDAY)


def test_a_finished_day_is_measured_for_the_reports(app: Flask) -> None:
    hours = tuple((weekday, time(8), time(20)) for weekday in range(7))
    court = make_resource(hours=hours, created_at=CREATED)
    resident, student = make_user(), make_user(Category.STUDENT)
    make_booking(court, resident, local(23, 9), local(23, 11))
    make_booking(court, student, local(23, 14), local(23, 15), status=BookingStatus.COMPLETED)
    make_booking(court, resident, local(23, 16), local(23, 17), status=BookingStatus.NO_SHOW)
    make_booking(court, resident, local(23, 18), local(23, 19), status=BookingStatus.CANCELLED)
    make_closure(court, local(23, 8), local(23, 9))
    tasks.snapshot_statistics(NOW)
    row = monday_of(court)
    assert (row.open_hours, row.booked_hours, row.place_hours) == (11.0, 3.0, 3.0)
    assert row.bookings == 2
    assert row.bookings_by_category == {"resident": 1, "student": 1}
    assert row.no_shows == 1
    assert row.university_id == court.university_id


def test_a_shared_room_counts_place_hours(app: Flask) -> None:
    room = make_resource(mode=Mode.SHARED, capacity=20, created_at=CREATED)
    make_booking(room, make_user(), local(23, 10), local(23, 12), party_size=5)
    make_booking(room, make_user(), local(23, 10), local(23, 11), party_size=2)
    statistics.snapshot(NOW)
    row = monday_of(room)
    assert (row.booked_hours, row.place_hours) == (3.0, 12.0)


def test_each_day_is_written_once_however_often_the_job_runs(app: Flask) -> None:
    court = make_resource(created_at=CREATED)
    first = statistics.snapshot(NOW)
    assert first == statistics.BACKFILL_DAYS  # the last week, up to yesterday
    assert [r.day for r in rows()] == [MONDAY - timedelta(days=n) for n in reversed(range(7))]
    assert statistics.snapshot(NOW) == 0
    assert statistics.snapshot(NOW + timedelta(hours=1)) == 0
    assert len(rows()) == 7
    assert statistics.snapshot(NOW + timedelta(days=1)) == 1  # Tuesday, once it has ended
    assert rows()[-1].resource_id == court.id


def test_a_tick_writes_a_bounded_slice_and_the_next_ticks_write_the_rest(app: Flask) -> None:
    courts = [make_resource(created_at=CREATED) for _ in range(3)]
    # 3 facilities x 7 days due; 10 facility-days a tick: the first facility's week and 3 days of the next.
    assert statistics.snapshot(NOW, limit=10) == 10
    written = Counter(r.resource_id for r in rows())
    assert written == {courts[0].id: 7, courts[1].id: 3}
    assert statistics.snapshot(NOW, limit=10) == 10
    assert statistics.snapshot(NOW, limit=10) == 1
    assert statistics.snapshot(NOW, limit=10) == 0
    assert Counter(r.resource_id for r in rows()) == {court.id: 7 for court in courts}


def test_the_scheduled_job_takes_its_slice_size_from_the_configuration(app: Flask, monkeypatch) -> None:
    for _ in range(2):
        make_resource(created_at=CREATED)
    monkeypatch.setitem(app.config, "STATISTICS_DAYS_PER_TICK", 5)
    assert [tasks.snapshot_statistics(NOW) for _ in range(4)] == [5, 5, 4, 0]


def test_today_is_not_snapshotted_until_it_has_ended_and_settled(app: Flask) -> None:
    make_resource(created_at=CREATED)
    just_after_midnight = local(25, 0, 30)
    statistics.snapshot(just_after_midnight)
    assert rows()[-1].day == MONDAY  # Tuesday ended 30 minutes ago: not settled yet
    statistics.snapshot(local(25, 1, 0))
    assert rows()[-1].day == date(2026, 11, 24)


def test_no_days_before_the_facility_existed(app: Flask) -> None:
    make_resource(created_at=local(22, 15))
    statistics.snapshot(NOW)
    assert [r.day for r in rows()] == [date(2026, 11, 22), MONDAY]


def test_bookers_are_counted_in_the_category_they_book_as(app: Flask) -> None:
    court = make_resource(
        hours=tuple((weekday, time(8), time(20)) for weekday in range(7)), created_at=CREATED
    )
    bookers = [
        make_user(Category.STUDENT),
        make_user(Category.STUDENT, verification=Verification.PENDING),  # books as a resident
        make_user(Category.ENTERPRISE, organization=make_enterprise()),
        make_user(Category.ENTERPRISE, organization=make_enterprise(verified=False)),  # as a resident
        make_user(Category.ENTERPRISE, verification=Verification.REJECTED, organization=make_enterprise()),
    ]
    for hour, booker in enumerate(bookers, start=9):
        make_booking(court, booker, local(23, hour), local(23, hour + 1))
    statistics.snapshot(NOW)
    row = monday_of(court)
    assert row.bookings == 5
    assert row.bookings_by_category == {"enterprise": 1, "resident": 3, "student": 1}
    assert row.bookings_by_category == dict(
        sorted(Counter(b.effective_category.value for b in bookers).items())
    )


def test_closed_and_idle_days_are_written_as_zeros(app: Flask) -> None:
    weekdays_only = tuple((weekday, time(8), time(20)) for weekday in range(5))
    court = make_resource(hours=weekdays_only, created_at=CREATED)
    statistics.snapshot(NOW)
    sunday = next(r for r in rows() if r.resource_id == court.id and r.day == MONDAY - timedelta(days=1))
    assert (sunday.open_hours, sunday.booked_hours, sunday.place_hours) == (0.0, 0.0, 0.0)
    assert (sunday.bookings, sunday.bookings_by_category, sunday.no_shows) == (0, {}, 0)
    assert isinstance(sunday.open_hours, float)
    assert monday_of(court).open_hours == 12.0
