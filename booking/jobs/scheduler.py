"""Running the jobs with APScheduler: the one scheduler process, or in-process for development.

Production runs exactly one `flask --app booking.app scheduler` beside any number of web workers, which never
start a scheduler. Every job claims its rows, so a second scheduler started by mistake sends nothing twice;
it only wastes work. Development (`make run`) runs the same jobs in a background thread of the dev server.

Settings (app config): SCHEDULER_INTERVALS, a mapping of job name to seconds, overriding each job's default;
SCHEDULER_INTERVAL_SECONDS, one interval for every job (tests, demos); SCHEDULER_MISFIRE_GRACE_SECONDS,
how late a run may still start (default 60); SCHEDULER_IN_PROCESS, whether `flask run` starts the jobs.
"""

import atexit
import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from types import FrameType

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from flask.helpers import get_debug_flag

from booking import clock
from booking.database import checked_writes
from booking.jobs.tasks import JOBS, Job
from models import db

log = logging.getLogger("booking.jobs")

DEFAULT_MISFIRE_GRACE_SECONDS = 60
# Under the development server the first runs wait, so its start-up text is printed first.
IN_PROCESS_FIRST_RUN_DELAY_SECONDS = 5
_in_process: BackgroundScheduler | None = None
_in_process_lock = threading.Lock()


def interval(app: Flask, job: Job, override: int | None = None) -> int:
    """Seconds between runs of `job`: an explicit override, then the config, then the job's default."""
    every = override or app.config.get("SCHEDULER_INTERVAL_SECONDS")
    if every:
        return int(every)
    return int(app.config.get("SCHEDULER_INTERVALS", {}).get(job.name, job.seconds))


def run_job(app: Flask, job: Job, *, quiet_when_idle: bool = False) -> int:
    """Run one job now in a fresh app context (so its own session and connection); log its row count
    (with `quiet_when_idle`, only when it touched any, so the development console stays readable)."""
    started = time.monotonic()
    with app.app_context(), checked_writes():
        try:
            count = job.run(clock.now())
        finally:
            db.session.remove()
    level = logging.DEBUG if quiet_when_idle and count == 0 else logging.INFO
    log.log(level, "job %s touched %d rows in %.2f s", job.name, count, time.monotonic() - started)
    return count


def run_all_once(app: Flask) -> dict[str, int]:
    """Every job once, in order: for cron instead of a scheduler process, or to catch up by hand."""
    return {job.name: run_job(app, job) for job in JOBS}


def add_jobs(
    scheduler: BaseScheduler,
    app: Flask,
    *,
    every: int | None = None,
    first_run: datetime | None = None,
    quiet_when_idle: bool = False,
) -> None:
    """Every job on its interval, the first runs at `first_run` (default: now)."""
    grace = int(app.config.get("SCHEDULER_MISFIRE_GRACE_SECONDS", DEFAULT_MISFIRE_GRACE_SECONDS))
    for job in JOBS:
        scheduler.add_job(
            run_job,
            "interval",
            args=(app, job),
            kwargs={"quiet_when_idle": quiet_when_idle},
            id=job.name,
            name=job.name,
            seconds=interval(app, job, every),
            # A run missed while busy or asleep happens once when possible, never as a burst of catch-ups.
            coalesce=True,
            max_instances=1,
            misfire_grace_time=grace,
            next_run_time=first_run or datetime.now(UTC),
        )


def run_blocking(app: Flask, *, every: int | None = None) -> None:
    """The scheduler process: run the jobs until SIGTERM or SIGINT, then let running jobs finish."""
    executor = ThreadPoolExecutor(max_workers=len(JOBS))
    scheduler = BlockingScheduler(timezone=UTC, executors={"default": executor})
    add_jobs(scheduler, app, every=every)
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        if stopping.is_set():
            return
        stopping.set()
        log.info("scheduler received %s; stopping", signal.Signals(signum).name)
        # Ends the main loop; jobs already running go on and are waited for below.
        scheduler.shutdown(wait=False)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    # Quiet APScheduler's per-run lines: run_job logs each run with its row count.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    log.info(
        "scheduler started: %s",
        ", ".join(f"{job.name} every {interval(app, job, every)} s" for job in JOBS),
    )
    try:
        scheduler.start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    executor.shutdown(wait=True)
    log.info("scheduler stopped cleanly")


def start_in_process(app: Flask) -> BackgroundScheduler | None:
    """Start the jobs in a background thread of the development server, once per process.

    Only under `flask run`, with SCHEDULER_IN_PROCESS set and outside testing and production; and under the
    reloader only in the child that serves requests (WERKZEUG_RUN_MAIN), not in the watcher that restarts
    it, so the jobs never run twice. Every other process (web workers, CLI commands, tests) gets None.
    """
    global _in_process
    if not wants_in_process(app):
        return None
    with _in_process_lock:
        if _in_process is not None:
            return _in_process
        # The dev server's start-up text comes first and stays readable: APScheduler's own lines are
        # quieted, the first runs wait a few seconds, and a run that found nothing to do says nothing.
        for name in ("apscheduler.scheduler", "apscheduler.executors.default"):
            logging.getLogger(name).setLevel(logging.WARNING)
        scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
        first_run = datetime.now(UTC) + timedelta(seconds=IN_PROCESS_FIRST_RUN_DELAY_SECONDS)
        add_jobs(scheduler, app, first_run=first_run, quiet_when_idle=True)
        scheduler.start()
        atexit.register(_stop_in_process, scheduler)
        _in_process = scheduler
    log.info(
        "scheduler running in-process (development); the first jobs run in %d s",
        IN_PROCESS_FIRST_RUN_DELAY_SECONDS,
    )
    return scheduler


def wants_in_process(app: Flask) -> bool:
    """Whether this process should run the jobs in-process (see `start_in_process`)."""
    if app.testing or app.config.get("ENV_NAME") == "production":
        return False
    if not app.config.get("SCHEDULER_IN_PROCESS"):
        return False
    context = click.get_current_context(silent=True)
    if context is None or context.info_name != "run":
        return False
    reloading = context.params.get("reload")
    if reloading is None:
        reloading = get_debug_flag()
    return not reloading or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def _stop_in_process(scheduler: BackgroundScheduler) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)
