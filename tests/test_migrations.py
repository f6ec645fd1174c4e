"""The migrations build exactly the models' schema, on every backend."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from booking.database import compared_by_alembic
from models import Booking, BookingStatus, db
from tests.factories import make_booking, make_resource, make_user


def test_migrated_schema_matches_the_models(app: Flask) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": compared_by_alembic}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_postgresql_itself_refuses_overlapping_exclusive_bookings(app: Flask, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite serialises writers instead")
    court = make_resource()
    user = make_user()
    start = datetime(2026, 12, 1, 10, tzinfo=UTC)

    def row(offset_minutes: int, status: BookingStatus = BookingStatus.CONFIRMED) -> Booking:
        begin = start + timedelta(minutes=offset_minutes)
        return Booking(
            resource_id=court.id,
            user_id=user.id,
            start_at=begin,
            end_at=begin + timedelta(hours=1),
            blocked_until=begin + timedelta(hours=1),
            exclusive=True,
            status=status,
        )

    db.session.add(row(0))
    db.session.commit()
    db.session.add(row(30))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    # Cancelled bookings and back-to-back ones do not collide.
    db.session.add_all([row(30, BookingStatus.CANCELLED), row(60)])
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 3


def test_sqlite_downgrades_and_upgrades_again_with_bookings_in_the_database(tmp_path) -> None:
    """A batch rebuild of a table that bookings refer to would DROP it, which SQLite's foreign keys forbid."""
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'round-trip.sqlite3'}")
    with app.app_context():
        upgrade()
        make_booking(make_resource(), make_user(), datetime(2030, 1, 7, 2, tzinfo=UTC))
        db.session.commit()
        db.session.remove()

        downgrade(revision="319554ff634c")
        upgrade()

        assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
        db.engine.dispose()
