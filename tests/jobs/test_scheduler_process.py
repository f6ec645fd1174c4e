"""The scheduler: the real `flask --app booking.app scheduler` process, its settings, in-process runs."""

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from booking.jobs import JOBS, run_job, scheduler
from models import Notification, db
from tests.conftest import make_app
from tests.factories import make_booking, make_resource, make_user

ROOT = Path(__file__).resolve().parents[2]


def reminders_of(booking_id: int) -> int:
    db.session.rollback()  # a fresh snapshot: the scheduler writes from another process
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.kind == "booking_reminder", Notification.booking_id == booking_id)
    )


@pytest.mark.slow
def test_the_scheduler_process_sends_a_reminder_and_stops_cleanly_on_sigterm(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    booking = make_booking(make_resource(), make_user(), datetime.now(UTC) + timedelta(hours=3))
    env = {
        **os.environ,
        "APP_ENV": "development",
        "SECRET_KEY": "scheduler-test-only",
        "DATABASE_URL": database_url,
        "SCHEDULER_INTERVAL_SECONDS": "1",
        "SCHEDULER_IN_PROCESS": "0",
        "MAIL_SERVER": "",
    }
    log_path = tmp_path / "scheduler.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "booking.app", "scheduler"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 20
            while reminders_of(booking.id) == 0 and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.2)  # polling another process: there is nothing to wait on but the database
            reminded = reminders_of(booking.id)
            process.send_signal(signal.SIGTERM)
            exit_code = process.wait(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    output = log_path.read_text()
    assert reminded == 1, output
    assert exit_code == 0, output
    assert "job send_reminders touched 1 rows" in output
    assert "scheduler received SIGTERM; stopping" in output
    assert output.rstrip().endswith("scheduler stopped cleanly"), output
    assert reminders_of(booking.id) == 1


def test_once_runs_every_job_and_reports_the_counts(app: Flask, runner: FlaskCliRunner) -> None:
    make_booking(make_resource(), make_user(), datetime.now(UTC) + timedelta(hours=2))
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert "send_reminders: 1" in result.output
    assert {line.split(":")[0] for line in result.output.splitlines()} == {job.name for job in JOBS}


def test_each_run_is_logged_with_the_rows_it_touched(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    make_booking(make_resource(), make_user(), datetime.now(UTC) + timedelta(hours=2))
    job = next(job for job in JOBS if job.name == "send_reminders")
    with caplog.at_level(logging.INFO, logger="booking.jobs"):
        assert run_job(app, job) == 1
    assert "job send_reminders touched 1 rows" in caplog.text


def test_intervals_come_from_the_job_the_config_or_one_override(app: Flask, monkeypatch) -> None:
    reminders = next(job for job in JOBS if job.name == "send_reminders")
    assert scheduler.interval(app, reminders) == reminders.seconds
    monkeypatch.setitem(app.config, "SCHEDULER_INTERVALS", {"send_reminders": 42})
    assert scheduler.interval(app, reminders) == 42
    monkeypatch.setitem(app.config, "SCHEDULER_INTERVAL_SECONDS", 5)
    assert scheduler.interval(app, reminders) == 5
    assert scheduler.interval(app, reminders, override=1) == 1


@pytest.mark.parametrize(
    ("command", "reload", "run_main", "config", "expected"),
    [
        ("run", False, None, {}, True),  # make run: flask run --no-reload
        ("run", True, None, {}, False),  # the reloader's watcher process
        ("run", True, "true", {}, True),  # the reloader's child that serves
        ("scheduler", None, None, {}, False),  # the scheduler process has its own
        ("db", None, None, {}, False),
        ("run", False, None, {"SCHEDULER_IN_PROCESS": False}, False),
        ("run", False, None, {"ENV_NAME": "production"}, False),
        ("run", False, None, {"TESTING": True}, False),
    ],
)
def test_only_the_development_server_runs_the_jobs_in_process(
    database_url: str, monkeypatch, command, reload, run_main, config, expected
) -> None:
    settings = {"TESTING": False, "SCHEDULER_IN_PROCESS": True, "ENV_NAME": "development", **config}
    dev = make_app(database_url, **settings)
    if run_main is None:
        monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    else:
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", run_main)
    with click.Context(click.Command(command), info_name=command) as context:
        context.params = {"reload": reload}
        assert scheduler.wants_in_process(dev) is expected


def test_web_workers_and_tests_start_no_scheduler(app: Flask) -> None:
    assert scheduler.start_in_process(app) is None
