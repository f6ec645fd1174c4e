"""Scheduled jobs (APScheduler): thin wrappers that call the services with the current time.

`tasks` holds the jobs, each `(now) -> rows touched`; `scheduler` runs them, as the one scheduler process
(`flask --app booking.app scheduler`) or in-process under the development server.
"""

from booking.jobs.scheduler import run_all_once, run_blocking, run_job, start_in_process
from booking.jobs.tasks import JOBS, Job

__all__ = ["JOBS", "Job", "run_all_once", "run_blocking", "run_job", "start_in_process"]
