"""`flask statistics-backfill`: history measured for the reports, again on request."""

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import time_machine
from flask import Flask

from models import FacilityDay, db
from tests.factories import local, make_booking, make_resource, make_user

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def days_written() -> set[date]:
    db.session.rollback()
    return set(db.session.scalars(sa.select(FacilityDay.day)))


def test_the_command_measures_the_days_asked_for(app: Flask) -> None:
    court = make_resource(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    make_booking(court, make_user(), local(2, 10), local(2, 12))
    with time_machine.travel(NOW, tick=False):
        result = app.test_cli_runner().invoke(args=["statistics-backfill", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "30 facility-days written." in result.output
    assert days_written() == {date(2026, 11, 23) - timedelta(days=n) for n in range(30)}
    row = db.session.scalars(sa.select(FacilityDay).where(FacilityDay.day == date(2026, 11, 2))).one()
    assert row.booked_resident == 2.0


def test_two_years_are_measured_in_one_backfill(app: Flask) -> None:
    make_resource(created_at=datetime(2024, 1, 1, tzinfo=UTC))
    with time_machine.travel(NOW, tick=False):
        result = app.test_cli_runner().invoke(args=["statistics-backfill", "--days", "730"])
    assert result.exit_code == 0, result.output
    assert "730 facility-days written." in result.output
    assert len(days_written()) == 730


def test_recompute_measures_written_days_again(app: Flask) -> None:
    court = make_resource(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    runner = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        runner.invoke(args=["statistics-backfill", "--days", "3"])
        make_booking(court, make_user(), local(22, 10), local(22, 11))
        assert "0 facility-days written." in runner.invoke(args=["statistics-backfill", "--days", "3"]).output
        result = runner.invoke(args=["statistics-backfill", "--days", "3", "--recompute"])
    assert "3 facility-days written." in result.output
    db.session.rollback()
    row = db.session.scalars(sa.select(FacilityDay).where(FacilityDay.day == date(2026, 11, 22))).one()
    assert row.booked_resident == 1.0


def test_a_nonsense_number_of_days_is_refused(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["statistics-backfill", "--days", "0"])
    assert result.exit_code != 0
    assert "Invalid value" in result.output
