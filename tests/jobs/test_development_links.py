"""Development: every generated link uses the port actually served, and the in-process scheduler keeps out
of the way of the server's start-up text."""

import logging
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from booking import notify
from booking.config import TestingConfig
from booking.jobs import JOBS, run_job, scheduler
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]


def app_under_flask_run(host: str, port: int, **config: object) -> Flask:
    """The app as `flask run --host HOST --port PORT` creates it."""
    context = click.Context(click.Command("run"), info_name="run")
    context.params = {"host": host, "port": port, "reload": False}
    with context:
        return make_app("sqlite://", **config)


def test_links_use_the_port_flask_run_serves(app: Flask) -> None:
    served = app_under_flask_run("127.0.0.1", 5101, BASE_URL_FROM_SERVER=True)
    assert served.config["BASE_URL"] == "http://127.0.0.1:5101"
    with served.app_context():
        assert notify.absolute_url("inbox.index").startswith("http://127.0.0.1:5101/")


def test_every_interface_is_reached_on_the_loopback(app: Flask) -> None:
    served = app_under_flask_run("0.0.0.0", 5102, BASE_URL_FROM_SERVER=True)
    assert served.config["BASE_URL"] == "http://127.0.0.1:5102"


def test_a_base_url_that_was_set_wins(app: Flask) -> None:
    served = app_under_flask_run("127.0.0.1", 5101, BASE_URL_FROM_SERVER=False)
    assert served.config["BASE_URL"] == TestingConfig.BASE_URL


def test_make_run_gives_the_server_its_own_address_for_links() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=5101"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    [run_line] = [line for line in dry_run.splitlines() if " run --host " in line]
    assert run_line.startswith("BASE_URL=http://127.0.0.1:5101 ")


def test_the_in_process_jobs_first_run_after_the_start_up_text(app: Flask) -> None:
    background = BackgroundScheduler(timezone=UTC)
    first_run = datetime.now(UTC) + timedelta(seconds=scheduler.IN_PROCESS_FIRST_RUN_DELAY_SECONDS)
    scheduler.add_jobs(background, app, first_run=first_run, quiet_when_idle=True)
    assert {job.next_run_time for job in background.get_jobs()} == {first_run}


def test_an_idle_in_process_run_says_nothing(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    job = next(job for job in JOBS if job.name == "send_reminders")
    with caplog.at_level(logging.INFO, logger="booking.jobs"):
        assert run_job(app, job, quiet_when_idle=True) == 0
    assert "touched" not in caplog.text
