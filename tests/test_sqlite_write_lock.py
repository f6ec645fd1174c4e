"""On SQLite every write takes the write lock as its transaction begins, or is refused as a programming error.

A transaction that reads first and writes later asks for the lock at its first write; in WAL mode, when
another connection wrote meanwhile, SQLite answers "database is locked" at once, whatever the busy timeout.
So a write path that forgot `write_transaction` must fail its first test, not a crowd of users.
"""

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from booking.database import DeferredWriteError
from booking.jobs.scheduler import run_all_once, run_job
from booking.jobs.tasks import JOBS, Job
from booking.services.transactions import write_transaction
from models import BookingStatus, User, db
from tests.factories import make_booking, make_resource, make_user


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")


@pytest.mark.usefixtures("sqlite_only")
def test_a_request_that_writes_outside_write_transaction_is_refused(app: Flask) -> None:
    user_id = make_user(display_name="Before").id

    with app.test_request_context("/profile", method="POST"):
        db.session.rollback()
        db.session.get(User, user_id).display_name = "After"
        with pytest.raises(DeferredWriteError):
            db.session.commit()
        db.session.rollback()

    assert db.session.get(User, user_id).display_name == "Before"


@pytest.mark.usefixtures("sqlite_only")
def test_write_transaction_holds_the_write_lock_from_its_first_read(app: Flask) -> None:
    user_id = make_user(display_name="Before").id
    other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)

    with app.test_request_context("/profile", method="POST"):
        db.session.rollback()
        with write_transaction():
            user = db.session.get(User, user_id)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            user.display_name = "After"
    other.close()

    db.session.rollback()
    assert db.session.get(User, user_id).display_name == "After"


@pytest.mark.usefixtures("sqlite_only")
def test_a_scheduled_job_that_writes_outside_write_transaction_is_refused(app: Flask) -> None:
    user_id = make_user(display_name="Before").id

    def rename(_now: datetime) -> int:
        db.session.get(User, user_id).display_name = "After"
        db.session.commit()
        return 1

    with pytest.raises(DeferredWriteError):
        run_job(app, Job("rename", rename, 60))


@pytest.mark.usefixtures("sqlite_only")
def test_every_scheduled_job_writes_with_the_write_lock(app: Flask) -> None:
    court, person = make_resource(), make_user()
    earlier = datetime.now(UTC) - timedelta(hours=3)
    make_booking(court, person, earlier)
    make_booking(court, person, earlier + timedelta(hours=1), status=BookingStatus.PENDING)

    touched = run_all_once(app)

    assert set(touched) == {job.name for job in JOBS}
    assert sum(touched.values()) >= 2
