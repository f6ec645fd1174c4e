"""Booking a slot over HTTP takes a bounded number of SQL statements: the hottest write path stays lean.

The bound counts statements, not time, so it holds on any machine. It lists what one booking needs: the
signed-in person, the facility, the two locks that read the person and the facility (with its hours) again,
closures, occupancy, quotas, the quota usage, the facility's application form in force, the university's
webhook endpoints (issue 18: door systems told of a confirmed booking), and the booking, its audit event,
notification and email.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from models import Booking, BookingStatus, QuotaPeriod, db
from tests.factories import make_quota, make_resource, make_user
from tests.sql_log import recorded_sql

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
STATEMENTS_PER_BOOKING = 14

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


@pytest.fixture
def statements(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL the app sends while a test runs, BEGIN aside (SQLite's are statements, PostgreSQL's not)."""
    # The outbox is sent by the scheduler in production; here too, so only the request's own SQL counts.
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_COMMIT", False)
    with recorded_sql(lambda statement: not statement.lstrip().upper().startswith("BEGIN")) as seen:
        yield seen


def test_booking_a_slot_under_a_quota_stays_within_the_statement_budget(
    client: FlaskClient, auth, statements: list[str]
) -> None:
    court = make_resource()
    make_quota(court.university, period=QuotaPeriod.WEEK, max_bookings=5)
    person = make_user(email="li.na@example.com")
    assert auth.login(person).status_code == 302
    url = f"/facilities/{court.id}/book"
    data = {"day": "2026-11-25", "start_time": "10:00", "end_time": "11:00", "party_size": "1"}
    statements.clear()

    response = client.post(url, data=data)

    assert response.status_code == 302
    assert len(statements) <= STATEMENTS_PER_BOOKING, "\n\n".join(statements)
    db.session.rollback()
    booking = db.session.scalars(sa.select(Booking)).one()
    assert booking.status == BookingStatus.CONFIRMED
