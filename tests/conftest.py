"""Fixtures: the app on every database backend (and one more to race), a client, a CLI runner, log-in helpers.

Storage tests run on SQLite always and on PostgreSQL when TEST_POSTGRES_URL names a server
(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres). Each run creates its own uniquely
named database and drops it afterwards, since the server is shared.

Under pytest-xdist (`make test` runs `-n auto --dist loadgroup`) every worker is its own session: its own
SQLite file (in its own temporary folder), its own PostgreSQL database (named after the worker), its own
Redis key prefix. Tests that must not share the machine with their like run in one group on one worker
(`pytest_collection_modifyitems` below).
"""

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import flask_babel
import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask, g, request_started
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade

from booking.app import create_app
from booking.config import TestingConfig
from booking.extensions import limiter
from models import Organization, User, db
from tests.factories import make_manager, make_user
from tests.smtp import Inbox, start_smtp

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
# "gw0", "gw1", ... under pytest-xdist; "main" in a run without it.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.hookimpl(trylast=True)  # after pytest has ordered the tests by their database
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Groups for `--dist loadgroup`: each group runs whole on one worker, one test after another.

    - "races": 32 threads at once, each with its own connection (the `race_app` fixture), and the live
      servers of tests/load with their worker processes. Two of them at once on two workers would compete
      for the cores they time and for PostgreSQL's 100 connections.
    - "e2e": the browser journeys share one live server per session; one worker starts it once.
    - each module of tests/load starts its server once per module (a module-scoped fixture).
    """
    for item in items:
        path = item.path.as_posix()
        if "/tests/e2e/" in path:
            item.add_marker(pytest.mark.xdist_group("e2e"))
        elif "/tests/load/" in path or "race_app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("races"))
    # The groups are the longest units of work: sent first, the other tests fill the gaps around them
    # instead of one worker finishing a group alone at the end. (Stable: the order within is kept.)
    items.sort(key=lambda item: 0 if item.get_closest_marker("xdist_group") else 1)


def backends() -> list:
    """The databases storage tests run on: SQLite, and PostgreSQL when TEST_POSTGRES_URL names one."""
    backends = [pytest.param("sqlite", id="sqlite")]
    if POSTGRES_URL:
        backends.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return backends


def make_app(database_url: str, **overrides: object) -> Flask:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    for key, value in overrides.items():
        setattr(Config, key, value)
    return create_app(Config)


@contextmanager
def throttled_app(database_url: str, **overrides: object) -> Iterator[Flask]:
    """An app of its own with throttling on (the test config turns it off), inside its app context; its
    accounts removed afterwards."""
    # The limiter is one object shared by every app in the process; put its switch back afterwards.
    was_enabled = limiter.enabled
    app = make_app(database_url, RATELIMIT_ENABLED=True, **overrides)
    try:
        with app.app_context():
            yield app
            db.session.rollback()
            db.session.execute(sa.delete(User))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.enabled = was_enabled


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, Flask]]]:
    """Each backend's migrated database and its app, made when a test first asks, kept to the end.

    pytest tears a parametrized session fixture down whenever the next test wants the other parameter,
    which under pytest-xdist (a worker runs whatever it is sent) may happen many times a session. Kept
    here, a switch costs nothing: no new database to migrate, no engine left holding its connections.
    """
    made: dict[str, tuple[str, Flask]] = {}
    yield made
    for backend, (url, app) in made.items():
        with app.app_context():
            db.engine.dispose()
        if backend == "postgresql":
            admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')
            admin.dispose()


def _new_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database on `backend`, uniquely named (the PostgreSQL server is shared)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        name = f"ccb_test_{WORKER}_{uuid.uuid4().hex[:12]}"
        admin_url = sa.make_url(POSTGRES_URL)
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            # A commit need not wait for the WAL to reach the disk: what a test sees and locks is the same,
            # and a server crash during the run loses nothing that matters.
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        admin.dispose()
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _test_app(database_url: str) -> Flask:
    app = make_app(database_url)

    @request_started.connect_via(app)
    def _forget_request_caches(sender: Flask, **extra: object) -> None:
        # Tests hold one app context open, which Flask reuses for every client request; in production
        # each request has its own. Drop what extensions cache per context so requests don't share it.
        flask_babel.refresh()
        g.pop("_login_user", None)

    app.extensions["_test_signal_receiver"] = _forget_request_caches  # keep the weak reference alive
    return app


@pytest.fixture(scope="session", params=backends())
def _backend_database(
    request: pytest.FixtureRequest,
    _databases: dict[str, tuple[str, Flask]],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, Flask]:
    if request.param not in _databases:
        url = _new_database(request.param, tmp_path_factory)
        _databases[request.param] = (url, _test_app(url))
    return _databases[request.param]


@pytest.fixture(scope="session")
def database_url(_backend_database: tuple[str, Flask]) -> str:
    """A migrated, empty database for this test session on one backend."""
    return _backend_database[0]


@pytest.fixture(scope="session")
def session_app(_backend_database: tuple[str, Flask]) -> Flask:
    return _backend_database[1]


def clear_database() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                conn.exec_driver_sql(f"DELETE FROM {table}")


@pytest.fixture
def app(session_app: Flask) -> Iterator[Flask]:
    """The app with an application context, on an empty database, cleared again after the test."""
    with session_app.app_context():
        try:
            yield session_app
        finally:
            db.session.remove()
            clear_database()


# Threads one race may run (tests/concurrency.py), each with its own connection.
RACERS = 32


@pytest.fixture
def race_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """A second app on the same database with a pool big enough for one connection per racing thread."""
    racing = make_app(
        database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": RACERS + 4, "max_overflow": 0, "pool_timeout": 60},
    )
    yield racing
    with racing.app_context():
        db.engine.dispose()


@pytest.fixture
def backend(app: Flask) -> str:
    return db.engine.dialect.name


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, user_or_email: User | str, password: str = "correct horse 42", remember: bool = False):
        email = user_or_email.email if isinstance(user_or_email, User) else user_or_email
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return self._client.post("/login", data=data)

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def frozen_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Time stands still at the test module's `NOW` (a module asks with `pytest.mark.usefixtures`)."""
    with time_machine.travel(request.module.NOW, tick=False):
        yield


def clock_frozen_at(now: datetime) -> Callable[[], Iterator[time_machine.Traveller]]:
    """For a folder's conftest.py: `frozen_clock = clock_frozen_at(NOW)`, time standing still at `now` in
    every test below it (the traveller, to move it on, for a test that asks for `frozen_clock`)."""

    @pytest.fixture(autouse=True)
    def frozen_clock() -> Iterator[time_machine.Traveller]:
        with time_machine.travel(now, tick=False) as traveller:
            yield traveller

    return frozen_clock


def made_for_each_test(make: Callable[[], object]) -> Callable[..., object]:
    """For a conftest.py: `uni_a = made_for_each_test(make_jzu)`, a fixture of what `make()` returns,
    made afresh on each test's empty database."""

    @pytest.fixture
    def made(app: Flask) -> object:
        return make()

    return made


@pytest.fixture
def resident(app: Flask, auth: AuthActions) -> User:
    """A resident, signed in."""
    user = make_user(email="li.na@example.com")
    assert auth.login(user).status_code == 302
    return user


# The managers of two universities, for the folders (tests/manage, tests/applications) whose conftest.py
# names the universities `uni_a` and `uni_b`.
@pytest.fixture
def manager_a(uni_a: Organization) -> User:
    return make_manager(uni_a, display_name="Wang Manager", email="manager.a@example.com")


@pytest.fixture
def manager_b(uni_b: Organization) -> User:
    return make_manager(uni_b, display_name="Zhao Manager", email="manager.b@example.com")


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A real SMTP server the app sends its mail to; what it received."""
    inbox, controller = start_smtp(app, monkeypatch)
    try:
        yield inbox
    finally:
        controller.stop()
