"""facility_month, the rollup the reports read for whole months, always equals the sums of its days."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from booking.services import statistics
from models import BookingStatus, FacilityDay, FacilityMonth, Resource, db
from tests.factories import local, make_booking, make_resource, make_user

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
SUMMED = (
    "offered",
    "booked_resident",
    "booked_student",
    "booked_enterprise",
    "requests",
    "cancelled",
    "bookings",
    "no_shows",
    "waitlist_unserved",
)


def months_from_days() -> dict[tuple[int, date], dict[str, object]]:
    """Each facility's months, summed here from facility_day."""
    db.session.rollback()
    expected: dict[tuple[int, date], dict[str, object]] = {}
    leads: dict[tuple[int, date], list[int]] = defaultdict(list)
    for day in db.session.scalars(sa.select(FacilityDay)):
        key = (day.resource_id, day.day.replace(day=1))
        month = expected.setdefault(key, {"days": 0, **dict.fromkeys(SUMMED, 0)})
        month["days"] += 1
        for name in SUMMED:
            month[name] += getattr(day, name)
        leads[key] += day.lead_minutes
    for key, month in expected.items():
        month["lead_minutes"] = sorted(leads[key])
    return expected


def months_written() -> dict[tuple[int, date], dict[str, object]]:
    db.session.rollback()
    return {
        (row.resource_id, row.month): {
            "days": row.days,
            **{name: getattr(row, name) for name in SUMMED},
            "lead_minutes": row.lead_minutes,
        }
        for row in db.session.scalars(sa.select(FacilityMonth))
    }


def assert_months_match_days() -> None:
    expected, written = months_from_days(), months_written()
    assert written.keys() == expected.keys()
    for key, month in expected.items():
        for name, value in month.items():
            if isinstance(value, float):
                assert abs(written[key][name] - value) < 1e-6, (key, name)
            else:
                assert written[key][name] == value, (key, name)


def book_october_and_november() -> None:
    court = make_resource(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    person = make_user()
    for day, month, hour in ((30, 10, 10), (31, 10, 10), (1, 11, 10), (2, 11, 10), (2, 11, 14), (20, 11, 10)):
        start = local(day, hour, month=month)
        make_booking(
            court,
            person,
            start,
            start + timedelta(hours=2),
            created_at=start - timedelta(days=2),
            decided_at=start - timedelta(days=1, minutes=day),
        )
    make_booking(court, person, local(3, 18), local(3, 19), status=BookingStatus.CANCELLED)


def test_the_snapshot_writes_each_month_as_the_sum_of_its_days(app: Flask) -> None:
    book_october_and_november()
    statistics.backfill(NOW, 40)
    assert_months_match_days()
    assert {month for _facility, month in months_written()} == {date(2026, 10, 1), date(2026, 11, 1)}
    november = next(v for (_f, m), v in months_written().items() if m == date(2026, 11, 1))
    # Requested two days ahead, decided a day and as many minutes as the day of the month ahead.
    assert november["lead_minutes"] == [1420, 1438, 1438, 1439]


def test_a_later_night_adds_its_day_to_the_month(app: Flask) -> None:
    book_october_and_november()
    statistics.backfill(NOW - timedelta(days=2), 40)
    before = months_written()
    statistics.snapshot(NOW)
    after = months_written()
    assert after != before
    assert_months_match_days()


def test_a_recompute_and_a_rebuild_give_the_same_months(app: Flask) -> None:
    book_october_and_november()
    statistics.backfill(NOW, 40)
    court_id = next(iter(months_written()))[0]
    make_booking(db.session.get(Resource, court_id), make_user(), local(21, 9), local(21, 10))
    statistics.backfill(NOW, 10, recompute=True)
    assert_months_match_days()
    db.session.execute(sa.delete(FacilityMonth))
    db.session.commit()
    assert statistics.roll_up_months() == len(months_from_days())
    assert_months_match_days()
