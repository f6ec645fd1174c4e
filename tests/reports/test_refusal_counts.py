"""Refusals by rule: the booking service counts each refused request by rule code, and nothing else."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services import bookings
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
