"""Refusals by rule: the booking service counts each refused request by rule code, and nothing else."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services import bookings, refusals
from booking.services.errors import Refused
from models import RefusalCount, db
from tests.factories import local, make_booking, make_resource, make_user

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo


def counts() -> dict[tuple[int, date, str], int]:
    db.session.rollback()
    return {(r.resource_id, r.day, r.code): r.count for r in db.session.scalars(sa.select(RefusalCount))}


def test_a_refused_request_is_counted_under_each_rule_that_refused_it(app: Flask) -> None:
    court = make_resource()
    person = make_user()
    make_booking(court, make_user(), local(25, 10), local(25, 11))
    for _ in range(2):
        with pytest.raises(Refused) as refused:
            bookings.request_booking(person, court.id, local(25, 10), local(25, 11), now=NOW)
    assert refused.value.codes == {"conflict"}
    with pytest.raises(Refused) as refused:
        bookings.request_booking(person, court.id, local(25, 6), local(25, 7), now=NOW)
    assert "conflict" not in refused.value.codes
    expected = {(court.id, date(2026, 11, 24), code): 1 for code in refused.value.codes}
    expected[(court.id, date(2026, 11, 24), "conflict")] = 2
    assert counts() == expected


def test_the_count_keeps_no_trace_of_who_asked(app: Flask) -> None:
    court = make_resource()
    make_booking(court, make_user(), local(25, 10), local(25, 11))
    with pytest.raises(Refused):
        bookings.request_booking(make_user(), court.id, local(25, 10), local(25, 11), now=NOW)
    assert set(RefusalCount.__table__.columns.keys()) == {
        "id",
        "resource_id",
        "university_id",
        "day",
        "code",
        "count",
    }
    assert counts() == {(court.id, date(2026, 11, 24), "conflict"): 1}


def test_a_booking_made_counts_no_refusal(app: Flask) -> None:
    court = make_resource()
    bookings.request_booking(make_user(), court.id, local(25, 10), local(25, 11), now=NOW)
    assert counts() == {}


def test_counted_in_memory_and_written_together_once_the_interval_is_over(app: Flask) -> None:
    """REFUSAL_FLUSH_SECONDS > 0 (production: 1 s): a refusal costs no transaction; the process writes what it
    counted in one statement when the interval is over, and at exit (refusals.flush_at_exit)."""
    court, other = make_resource(), make_resource()
    make_booking(court, make_user(), local(25, 10), local(25, 11))
    make_booking(other, make_user(), local(25, 10), local(25, 11))
    app.config["REFUSAL_FLUSH_SECONDS"] = 3600.0  # no timer fires during the test
    try:
        for resource in (court, court, court, other):
            with pytest.raises(Refused):
                bookings.request_booking(make_user(), resource.id, local(25, 10), local(25, 11), now=NOW)
        assert counts() == {}
        assert refusals.pending() == 4
        refusals.flush_at_exit()
    finally:
        app.config["REFUSAL_FLUSH_SECONDS"] = 0.0
        refusals.flush()
    assert refusals.pending() == 0
    assert counts() == {
        (court.id, date(2026, 11, 24), "conflict"): 3,
        (other.id, date(2026, 11, 24), "conflict"): 1,
    }


def test_a_refusal_after_local_midnight_counts_for_the_new_local_day(app: Flask) -> None:
    court = make_resource()
    make_booking(court, make_user(), local(26, 10), local(26, 11))
    app.config["REFUSAL_FLUSH_SECONDS"] = 3600.0
    try:
        for at in (datetime(2026, 11, 24, 15, 59, tzinfo=UTC), datetime(2026, 11, 24, 16, 0, tzinfo=UTC)):
            with pytest.raises(Refused):
                bookings.request_booking(make_user(), court.id, local(26, 10), local(26, 11), now=at)
        refusals.flush()
    finally:
        app.config["REFUSAL_FLUSH_SECONDS"] = 0.0
    # 23:59 and 00:00 in Jiaozuo (UTC+8): two local days.
    assert counts() == {
        (court.id, date(2026, 11, 24), "conflict"): 1,
        (court.id, date(2026, 11, 25), "conflict"): 1,
    }


def test_counts_a_write_could_not_store_are_kept_for_the_next(app: Flask, monkeypatch) -> None:
    court = make_resource()
    make_booking(court, make_user(), local(25, 10), local(25, 11))
    app.config["REFUSAL_FLUSH_SECONDS"] = 3600.0
    try:
        with pytest.raises(Refused):
            bookings.request_booking(make_user(), court.id, local(25, 10), local(25, 11), now=NOW)
        with monkeypatch.context() as patch:
            patch.setattr(refusals, "_write", _database_gone)
            with pytest.raises(ConnectionError):
                refusals.flush()
        assert refusals.pending() == 1
        refusals.flush()
    finally:
        app.config["REFUSAL_FLUSH_SECONDS"] = 0.0
    assert counts() == {(court.id, date(2026, 11, 24), "conflict"): 1}


def _database_gone(*_args: object) -> None:
    raise ConnectionError("the database went away")
