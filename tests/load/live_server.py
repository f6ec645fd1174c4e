"""A real gunicorn with several workers over a fresh database: started, probed, and always stopped.

- `fresh_database(backend, directory)`: a context manager yielding the URL of a new, migrated database,
  made the way tests/conftest.py makes them (a uniquely named PostgreSQL database dropped afterwards, or a
  SQLite file in `directory`).
- `LiveServer(database_url, workers=, log_path=)`: `start()` runs gunicorn on a free loopback port (one of
  LIVE_SERVER_PORTS, e.g. "5151-5199", when set) with the
  production configuration (FORCE_HTTPS off, a random SECRET_KEY, in-memory rate-limit counters with limits
  high enough for a crowd logging in from one address) and the project's gunicorn settings
  (booking/gunicorn_config.py: its access log, feed tokens redacted, goes to `log_path`), and waits until
  every worker answers; `stop()` ends it.
  `worker_pids()` reads the master's children from /proc, `peak_rss_kib(pid)` a worker's VmHWM.

The benchmark (bench/run.py) drives the same server.
"""

import contextlib
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from models import db
from tests.conftest import POSTGRES_URL, make_app
from tests.processes import free_port, start_group, stop_group

ROOT = Path(__file__).resolve().parents[2]
READY_PATH = "/static/css/app.css"


@contextlib.contextmanager
def fresh_database(backend: str, directory: Path, *, server_url: str | None = None) -> Iterator[str]:
    """A new migrated database on `backend` ("sqlite" or "postgresql"), dropped (PostgreSQL) afterwards.

    PostgreSQL's is made on `server_url`, by default the test suite's TEST_POSTGRES_URL.
    """
    if backend == "sqlite":
        url = f"sqlite:///{directory / f'live-{uuid.uuid4().hex[:8]}.sqlite3'}"
        migrate(url)
        yield url
        return
    server_url = server_url or POSTGRES_URL
    if not server_url:
        raise RuntimeError("TEST_POSTGRES_URL is not set")
    admin_url = sa.make_url(server_url)
    name = f"ccb_load_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextlib.contextmanager
def fresh_app(backend: str, directory: Path) -> Iterator[tuple[str, Flask]]:
    """A new migrated database on `backend` (`fresh_database`) and an app on it, to set a scene and read back
    what a server stored: the database's URL and the app, whose connections are closed before the database
    goes."""
    with fresh_database(backend, directory) as url:
        app = make_app(url)
        try:
            yield url, app
        finally:
            with app.app_context():
                db.engine.dispose()


def migrate(url: str) -> None:
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


class LiveServer:
    """gunicorn serving `booking.app:create_app()` on 127.0.0.1 with `workers` sync workers."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 4,
        log_path: Path,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.log_path = log_path
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.environment = environment or {}
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            APP_ENV="production",
            DATABASE_URL=self.database_url,
            SECRET_KEY=secrets.token_hex(32),
            FORCE_HTTPS="0",
            BASE_URL=self.base_url,
            RATELIMIT_STORAGE_URI="memory://",
            LOGIN_LIMIT="100000 per minute",
            LOGIN_ADDRESS_LIMIT="100000 per minute",
            LOGIN_ACCOUNT_LIMIT="100000 per minute",
            SCHEDULER_IN_PROCESS="0",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.environment)
        return env

    def start(self, timeout: float = 60) -> None:
        command = [
            sys.executable, "-m", "gunicorn",
            "--config", "python:booking.gunicorn_config",  # the access log, with feed tokens redacted
            "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}",
            "--timeout", "60",
            "--graceful-timeout", "5",
            "--log-level", "warning",
            "booking.app:create_app()",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            # A session of its own, so stop() can end the master and its workers together.
            self.process = start_group(command, cwd=ROOT, env=self.env(), log=log)
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60, *, exclude: set[int] = frozenset()) -> None:
        """Until every worker is up (none of `exclude`, the pids of killed ones) and a request is answered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log_tail()}")
            pids = set(self.worker_pids())
            if len(pids) == self.workers and not pids & exclude and self._answers():
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not ready within {timeout} s:\n{self.log_tail()}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + READY_PATH, timeout=5) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def worker_pids(self) -> list[int]:
        """The master's children, read from /proc (Linux)."""
        if self.process is None:
            return []
        pids: list[int] = []
        for children in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                pids.extend(int(pid) for pid in children.read_text().split())
        return pids

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        stop_group(self.process)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def peak_rss_kib(pid: int) -> int | None:
    """A process's peak resident set size (VmHWM) in KiB, or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None
