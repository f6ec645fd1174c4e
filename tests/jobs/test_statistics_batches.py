"""The statistics snapshot at scale: due days found in SQL, facilities measured in chunks, local days."""

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services import statistics
from models import BookingStatus, FacilityDay, Mode, db
from tests.concurrency import run_at_once
from tests.conftest import make_app
from tests.factories import make_booking, make_closure, make_resource, make_user
from tests.sql_log import recorded_sql

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo, 02:00 in Berlin
MONDAY = date(2026, 11, 23)
CREATED = datetime(2026, 11, 1, tzinfo=UTC)
ALL_DAY = tuple((weekday, time(0), time(0)) for weekday in range(7))
SCHEDULERS = 4

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


@pytest.fixture
def race_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """A second app on the same database, as other scheduler processes would have."""
    racing = make_app(
        database_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": SCHEDULERS + 2, "max_overflow": 0}
    )
    yield racing
    with racing.app_context():
        db.engine.dispose()


def monday_rows() -> dict[int, FacilityDay]:
    db.session.rollback()
    return {
        r.resource_id: r for r in db.session.scalars(sa.select(FacilityDay).where(FacilityDay.day == MONDAY))
    }


def test_an_idle_tick_reads_no_facility_booking_or_closure(app: Flask) -> None:
    make_resource(created_at=CREATED)
    statistics.snapshot(NOW)
    with recorded_sql() as sent:
        assert statistics.snapshot(NOW + timedelta(minutes=5)) == 0
    statements = [s.lower() for s in sent]
    # The zones in use, then the due days: nothing else when nothing is due.
    assert len([s for s in statements if s != "begin"]) == 2
    assert not [s for s in statements if re.search(r"\bfrom (booking|closure|opening_hours)\b", s)]


def test_facilities_measured_in_small_chunks_get_their_own_figures(app: Flask, monkeypatch) -> None:
    monkeypatch.setattr(statistics, "CHUNK", 2)
    user = make_user()
    courts = [make_resource(created_at=CREATED) for _ in range(5)]
    for n, court in enumerate(courts):
        # Monday 10:00 in Jiaozuo, for n + 1 hours; a closure of the first n hours of it.
        start = datetime(2026, 11, 23, 2, tzinfo=UTC)
        make_booking(court, user, start, start + timedelta(hours=n + 1))
        if n:
            make_closure(court, start, start + timedelta(hours=n))
    assert statistics.snapshot(NOW) == 5 * statistics.BACKFILL_DAYS
    rows = monday_rows()
    for n, court in enumerate(courts):
        assert (rows[court.id].booked_hours, rows[court.id].open_hours) == (n + 1, 14 - n)
    assert statistics.snapshot(NOW) == 0


def test_each_facility_is_measured_over_its_own_local_day(app: Flask) -> None:
    user = make_user()
    berlin = make_resource(timezone="Europe/Berlin", hours=ALL_DAY, mode=Mode.SHARED, created_at=CREATED)
    jiaozuo = make_resource(hours=ALL_DAY, mode=Mode.SHARED, created_at=CREATED)
    # Monday 22:30-23:30 in Berlin is Tuesday 05:30-06:30 in Jiaozuo.
    for court in (berlin, jiaozuo):
        make_booking(court, user, datetime(2026, 11, 23, 21, 30, tzinfo=UTC), party_size=2)
    make_booking(berlin, user, datetime(2026, 11, 23, 20, 0, tzinfo=UTC), status=BookingStatus.NO_SHOW)
    statistics.snapshot(NOW)
    rows = monday_rows()
    assert (rows[berlin.id].bookings, rows[berlin.id].place_hours, rows[berlin.id].no_shows) == (1, 2.0, 1)
    assert (rows[jiaozuo.id].bookings, rows[jiaozuo.id].booked_hours) == (0, 0.0)
    # Berlin's Monday ended at 23:00 UTC, and an hour has passed; Jiaozuo's Tuesday has not ended.
    assert rows[berlin.id].open_hours == rows[jiaozuo.id].open_hours == 24.0
    db.session.rollback()
    last_days = db.session.execute(
        sa.select(FacilityDay.resource_id, sa.func.max(FacilityDay.day)).group_by(FacilityDay.resource_id)
    ).all()
    assert dict(last_days) == {berlin.id: MONDAY, jiaozuo.id: MONDAY}


@pytest.mark.slow
def test_schedulers_racing_write_each_day_once(app: Flask, race_app: Flask, monkeypatch) -> None:
    monkeypatch.setattr(statistics, "CHUNK", 3)  # several transactions each, interleaving
    user = make_user()
    courts = [make_resource(created_at=CREATED) for _ in range(10)]
    for court in courts:
        make_booking(court, user, datetime(2026, 11, 23, 2, tzinfo=UTC))
    written, _ = run_at_once(race_app, [lambda: statistics.snapshot(NOW)] * SCHEDULERS)
    assert sum(written) == len(courts) * statistics.BACKFILL_DAYS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FacilityDay)) == sum(written)
    assert all(row.bookings == 1 for row in monday_rows().values())
