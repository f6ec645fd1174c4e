"""Login throttling slows guessing without locking owners out: only failures count, the client's address
is read through the trusted proxies, and the 429 page says truthfully when to try again."""

import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask

from booking import clock
from booking.extensions import limiter
from models import User, db
from tests.conftest import make_app
from tests.factories import PASSWORD, make_user

PROXY = "127.0.0.1"  # nginx on the same machine


@pytest.fixture
def throttled(database_url: str) -> Iterator[callable]:
    """`throttled(**config)`: an app of its own with throttling on (in-memory counters), cleaned up after."""
    was_enabled = limiter.enabled
    apps: list[Flask] = []

    def build(**config: object) -> Flask:
        settings = {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOGIN_LIMIT": "3 per minute",
            "LOGIN_ADDRESS_LIMIT": "5 per minute",
            "LOGIN_ACCOUNT_LIMIT": "4 per minute",
        }
        app = make_app(database_url, **(settings | config))
        apps.append(app)
        return app

    try:
        yield build
    finally:
        limiter.enabled = was_enabled
        limiter.reset()
        for app in apps:
            with app.app_context():
                db.session.execute(sa.delete(User))
                db.session.commit()
                db.engine.dispose()


def login(client, email: str, password: str = "wrong password", *, address: str = "10.0.0.1", **headers):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers={"Accept-Language": "en", **headers},
    )


def user(app: Flask, email: str = "owner@example.com") -> str:
    """A person with an account; their email."""
    with app.app_context():
        return make_user(email=email).email


def test_successful_logins_are_never_counted(throttled):
    app = throttled()
    owner = user(app)
    client = app.test_client()

    codes = []
    for _ in range(6):
        codes.append(login(client, owner, PASSWORD).status_code)
        client.post("/logout", environ_base={"REMOTE_ADDR": "10.0.0.1"})

    assert codes == [302] * 6


def test_the_owner_is_not_locked_out_by_failures_from_another_address(throttled):
    app = throttled()
    owner = user(app)
    attacker = app.test_client()
    attempts = [login(attacker, owner, f"guess {n}", address="10.66.0.1").status_code for n in range(5)]
    assert attempts[-1] == 429

    assert login(app.test_client(), owner, PASSWORD, address="10.8.0.1").status_code == 302


def test_a_browser_that_signed_in_before_passes_the_account_cap_that_stops_new_ones(throttled):
    app = throttled()
    owner = user(app)
    owners_browser = app.test_client()
    assert login(owners_browser, owner, PASSWORD, address="10.8.0.1").status_code == 302
    owners_browser.post("/logout", environ_base={"REMOTE_ADDR": "10.8.0.1"})
    # Guesses from many addresses fill the account's count (4 a minute here).
    for n in range(4):
        assert login(app.test_client(), owner, f"guess {n}", address=f"10.66.1.{n}").status_code == 422

    assert login(app.test_client(), owner, PASSWORD, address="10.66.2.1").status_code == 429
    assert login(owners_browser, owner, PASSWORD, address="10.8.0.1").status_code == 302


def test_behind_a_trusted_proxy_clients_are_counted_by_their_forwarded_address(throttled):
    app = throttled(TRUSTED_PROXIES=1)
    client = app.test_client()
    for n in range(5):
        login(client, f"person{n}@example.com", address=PROXY, **{"X-Forwarded-For": "10.66.0.1"})

    attacker = login(client, "person9@example.com", address=PROXY, **{"X-Forwarded-For": "10.66.0.1"})
    neighbour = login(client, "person9@example.com", address=PROXY, **{"X-Forwarded-For": "10.8.0.1"})

    assert attacker.status_code == 429
    assert neighbour.status_code == 422


def six_failed_logins_through_the_proxy(app: Flask, forwarded_for: Callable[[int], str]) -> list[int]:
    """The status codes of six wrong logins, each to another account, the n-th with `forwarded_for(n)`."""
    client = app.test_client()
    return [
        login(
            client, f"person{n}@example.com", address=PROXY, **{"X-Forwarded-For": forwarded_for(n)}
        ).status_code
        for n in range(6)
    ]


def test_a_client_cannot_escape_by_writing_its_own_forwarded_for(throttled):
    app = throttled(TRUSTED_PROXIES=1)

    # nginx appends the address it saw; what the client wrote itself stays to the left.
    codes = six_failed_logins_through_the_proxy(app, lambda n: f"192.0.2.{n}, 10.66.0.1")

    assert codes == [422] * 5 + [429]


def test_without_trusted_proxies_forwarded_for_is_ignored(throttled):
    app = throttled(TRUSTED_PROXIES=0)

    codes = six_failed_logins_through_the_proxy(app, lambda n: f"10.66.0.{n}")

    assert codes == [422] * 5 + [429]


def stated_wait(page: str) -> int:
    """The wait the 429 page tells a person, in seconds."""
    number, unit = re.search(r"Please try again in (\d+) (seconds?|minutes?)\.", page).groups()
    return int(number) * (60 if unit.startswith("minute") else 1)


def test_the_429_states_the_wait_of_retry_after_and_a_request_after_it_is_served(throttled):
    # Both limits are broken at once: the hour's, not the minute's, decides when to come back.
    app = throttled(LOGIN_LIMIT="2 per minute;2 per hour")
    client = app.test_client()
    with time_machine.travel(clock.now(), tick=False) as traveller:
        login(client, "owner@example.com")
        login(client, "owner@example.com")

        refused = login(client, "owner@example.com")

        assert refused.status_code == 429
        retry_after = int(refused.headers["Retry-After"])
        assert retry_after > 60
        assert retry_after <= stated_wait(refused.get_data(as_text=True)) < retry_after + 60
        traveller.shift(timedelta(seconds=retry_after - 2))
        assert login(client, "owner@example.com").status_code == 429

        traveller.shift(timedelta(seconds=2))

        assert login(client, "owner@example.com").status_code == 422


def test_a_short_wait_is_stated_in_seconds(throttled):
    app = throttled()
    client = app.test_client()
    with time_machine.travel(clock.now(), tick=False):
        for _ in range(3):
            login(client, "owner@example.com")

        refused = login(client, "owner@example.com")

    retry_after = int(refused.headers["Retry-After"])
    assert 0 < retry_after <= 61
    assert stated_wait(refused.get_data(as_text=True)) == retry_after
