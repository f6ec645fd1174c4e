"""The wheel runs: built from a clean copy of the source and installed into a new virtual environment, it
migrates a database, serves pages in both languages and static files, and runs the scheduler, all from a
folder of its own.

This is the README's production recipe (`pip install .`, then `flask --app booking.app ...` and gunicorn with
`-c python:booking.gunicorn_config`), on SQLite so it needs no server. The dependencies come from the package
index (pip's cache makes a second run quicker).
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from booking import demo_data
from booking.jobs import JOBS
from tests.processes import free_port, start_group

ROOT = Path(__file__).resolve().parents[1]

# What a fresh clone has: none of the compiled catalogs, build leftovers or local state of this checkout.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "*.egg-info",
    "node_modules",
    "instance",
    "__pycache__",
    "*.pyc",
    "*.mo",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "test-artifacts",
    "bench-results",
)


def _run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a new virtual environment with only the wheel (and its dependencies) installed."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_IN_A_CLONE)
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "--no-deps", "--quiet", "--wheel-dir", str(work / "dist"), "."], cwd=source)
    [wheel] = (work / "dist").glob("campus_city_booking-*.whl")
    _run([sys.executable, "-m", "venv", str(work / "venv")])
    bin_dir = work / "venv" / "bin"
    _run([str(bin_dir / "pip"), "install", "--quiet", str(wheel)])
    return bin_dir


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Production settings over a SQLite file, and nothing that would lead Python back to this checkout."""
    here = tmp_path_factory.mktemp("elsewhere")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "FLASK_", "PYTHON"))}
    environment.update(
        APP_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=f"sqlite:///{here / 'booking.sqlite3'}",
        INSTANCE_PATH=str(here / "instance"),
        FORCE_HTTPS="0",
        RATELIMIT_STORAGE_URI="memory://",
        DEFAULT_LOCALE="zh_CN",
    )
    return environment


def _get(url: str, language: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept-Language": language})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


@pytest.fixture(scope="module")
def served(installed: Path, environment: dict[str, str]) -> Iterator[str]:
    """gunicorn from the installed package, with its shipped settings, over a migrated database."""
    elsewhere = Path(environment["INSTANCE_PATH"]).parent
    flask = [str(installed / "flask"), "--app", "booking.app"]
    _run([*flask, "db", "upgrade"], cwd=elsewhere, env=environment)
    gunicorn = [str(installed / "gunicorn"), "-c", "python:booking.gunicorn_config", "-w", "1"]
    port = free_port()
    log = elsewhere / "gunicorn.log"
    with log.open("wb") as out:
        server = start_group(
            [*gunicorn, "-b", f"127.0.0.1:{port}", "booking.app:create_app()"],
            cwd=elsewhere,
            env=environment,
            log=out,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                _get(f"{base_url}/static/css/app.css", "en")
                break
            except (OSError, urllib.error.URLError):
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
                time.sleep(0.2)  # waiting on another process's socket: nothing to block on
        yield base_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


PROBE = "import booking.app, booking.demo_data as d; print(booking.app.__file__); print(len(d.FACILITIES))"


@pytest.mark.slow
def test_the_installed_package_is_the_one_that_runs_and_has_its_demo_data(
    installed: Path, environment: dict[str, str]
) -> None:
    where, facilities = _run(
        [str(installed / "python"), "-c", PROBE],
        cwd=Path(environment["INSTANCE_PATH"]).parent,
        env=environment,
    ).split()
    assert "site-packages" in where
    assert str(ROOT) not in where
    assert int(facilities) == len(demo_data.FACILITIES)


@pytest.mark.slow
def test_the_installed_wheel_serves_pages_in_both_languages_and_its_static_files(served: str) -> None:
    status, chinese = _get(f"{served}/", "zh-CN")
    assert status == 200
    assert "跳到主要内容" in chinese.decode()  # "Skip to content", from the compiled catalog
    _status, english = _get(f"{served}/", "en")
    assert "Skip to content" in english.decode()
    status, stylesheet = _get(f"{served}/static/css/app.css", "en")
    assert status == 200
    assert stylesheet == (ROOT / "static" / "css" / "app.css").read_bytes()


@pytest.mark.slow
def test_the_installed_wheel_runs_the_scheduler_once(
    served: str, installed: Path, environment: dict[str, str]
) -> None:
    output = _run(
        [str(installed / "flask"), "--app", "booking.app", "scheduler", "--once"],
        cwd=Path(environment["INSTANCE_PATH"]).parent,
        env=environment,
    )
    ran = dict(line.split(": ") for line in output.splitlines() if ": " in line)
    assert set(ran) >= {job.name for job in JOBS}
    assert ran["send_reminders"] == "0"
