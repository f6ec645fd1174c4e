"""Account writes under concurrency, against a real gunicorn: no 500, every success stored.

On SQLite (the default of `make run`) a transaction that reads first and writes later cannot take the
write lock while another connection holds it, and fails at once with "database is locked", whatever the
busy timeout. Sixteen people each sign up, edit their profile, change their password and switch language
at the same moment, over HTTP with CSRF on; every request answers as the form promises, and the database
holds what every successful one wrote. The same runs on PostgreSQL when TEST_POSTGRES_URL is set.
"""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.security import check_password_hash

from models import User, db
from tests.conftest import backends
from tests.factories import PASSWORD, make_user
from tests.load.browser import Browser, Page
from tests.load.live_server import LiveServer, fresh_app

pytestmark = pytest.mark.slow

PEOPLE = 16
WORKERS = 4


@dataclass
class Live:
    server: LiveServer
    app: Flask  # on the same database, to read back what the server stored
    emails: list[str]

    def users(self, emails: list[str]) -> dict[str, User]:
        with self.app.app_context():
            try:
                users = db.session.scalars(sa.select(User).where(User.email.in_(emails))).all()
                db.session.expunge_all()
                return {user.email: user for user in users}
            finally:
                db.session.remove()


@pytest.fixture(scope="module", params=backends())
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    directory = tmp_path_factory.mktemp(f"accounts-{request.param}")
    with fresh_app(request.param, directory) as (url, app):
        with app.app_context():
            emails = [make_user(email=f"writer{n:02d}@example.com").email for n in range(PEOPLE)]
            db.session.remove()
        # Sign-ups come from one address here; the limit is not what this test is about.
        server = LiveServer(
            url,
            workers=WORKERS,
            log_path=directory / "gunicorn.log",
            environment={"REGISTER_LIMIT": "1000/minute"},
        )
        try:
            server.start()
            yield Live(server, app, emails)
        finally:
            server.stop()


def all_at_once(browsers: list[Browser], act: Callable[[int, Browser], Page]) -> list[Page]:
    """Every browser acts at the same moment, each from its own thread."""
    barrier = threading.Barrier(len(browsers))

    def run(n: int) -> Page:
        barrier.wait(timeout=30)
        return act(n, browsers[n])

    with ThreadPoolExecutor(len(browsers)) as pool:
        return list(pool.map(run, range(len(browsers))))


def logged_in(live: Live, then: str) -> list[Browser]:
    browsers = [Browser(live.server.base_url) for _ in live.emails]
    with ThreadPoolExecutor(PEOPLE) as pool:
        list(pool.map(lambda n: browsers[n].log_in(live.emails[n], PASSWORD, then=then), range(PEOPLE)))
    return browsers


def assert_all_redirected(pages: list[Page]) -> None:
    assert [page.status for page in pages] == [302] * len(pages), [
        p.body[:300] for p in pages if p.status != 302
    ]


def test_simultaneous_sign_ups_all_succeed_and_are_stored(live: Live) -> None:
    browsers = [Browser(live.server.base_url) for _ in range(PEOPLE)]
    for browser in browsers:
        browser.get("/register")
    emails = [f"newcomer{n:02d}@example.com" for n in range(PEOPLE)]

    pages = all_at_once(
        browsers,
        lambda n, browser: browser.post(
            "/register",
            {
                "category": "resident",
                "display_name": f"Newcomer {n}",
                "email": emails[n],
                "password": "a long password 1",
                "confirm": "a long password 1",
            },
        ),
    )

    assert_all_redirected(pages)
    stored = live.users(emails)
    assert {email: user.display_name for email, user in stored.items()} == {
        email: f"Newcomer {n}" for n, email in enumerate(emails)
    }


def test_simultaneous_profile_edits_all_succeed_and_are_stored(live: Live) -> None:
    browsers = logged_in(live, then="/profile")

    pages = all_at_once(
        browsers,
        lambda n, browser: browser.post(
            "/profile", {"display_name": f"Edited {n}", "phone": f"1390000{n:04d}", "locale": "zh_CN"}
        ),
    )

    assert_all_redirected(pages)
    stored = live.users(live.emails)
    assert {email: (u.display_name, u.phone, u.locale) for email, u in stored.items()} == {
        email: (f"Edited {n}", f"1390000{n:04d}", "zh_CN") for n, email in enumerate(live.emails)
    }


def test_simultaneous_password_changes_all_succeed_and_are_stored(live: Live) -> None:
    browsers = logged_in(live, then="/profile/password")
    before = {email: user.password_hash for email, user in live.users(live.emails).items()}

    pages = all_at_once(
        browsers,
        lambda n, browser: browser.post(
            "/profile/password",
            {
                "current_password": PASSWORD,
                "new_password": f"new password {n}",
                "confirm": f"new password {n}",
            },
        ),
    )

    assert_all_redirected(pages)
    stored = live.users(live.emails)
    try:
        for n, email in enumerate(live.emails):
            assert check_password_hash(stored[email].password_hash, f"new password {n}"), email
    finally:
        with live.app.app_context():  # the other tests log in with the factories' password
            for email, password_hash in before.items():
                db.session.execute(
                    sa.update(User).where(User.email == email).values(password_hash=password_hash)
                )
            db.session.commit()
            db.session.remove()


def test_simultaneous_language_switches_all_succeed_and_are_stored(live: Live) -> None:
    browsers = logged_in(live, then="/")
    wanted = ["en" if n % 2 else "zh_CN" for n in range(PEOPLE)]

    pages = all_at_once(
        browsers, lambda n, browser: browser.post("/language", {"locale": wanted[n], "next": "/"})
    )

    assert_all_redirected(pages)
    stored = live.users(live.emails)
    assert [stored[email].locale for email in live.emails] == wanted
