"""Throttling of failed logins (per account and address, per address, per account) and of registrations,
in apps that enable it."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from models import User, db
from tests.conftest import throttled_app
from tests.factories import PASSWORD, make_user


@pytest.fixture
def limited_app(database_url: str) -> Iterator[Flask]:
    """Its own app with throttling on (the test config turns it off), cleaned up afterwards."""
    with throttled_app(
        database_url,
        LOGIN_LIMIT="3 per minute",
        LOGIN_ADDRESS_LIMIT="5 per minute",
        LOGIN_ACCOUNT_LIMIT="4 per minute",
        REGISTER_LIMIT="3 per minute",
    ) as app:
        yield app


def attempt(
    client, email: str = "li.ming@example.com", password: str = "wrong password", address: str = "10.0.0.1"
):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers={"Accept-Language": "en"},
    )


def test_fourth_failed_login_to_one_account_from_one_address_gets_the_friendly_429_page(limited_app):
    client = limited_app.test_client()

    responses = [attempt(client) for _ in range(4)]

    assert [r.status_code for r in responses] == [422, 422, 422, 429]
    page = responses[3].get_data(as_text=True)
    assert "Too many attempts" in page
    assert "Please try again in" in page
    assert "per 1 minute" not in page


def test_one_address_guessing_many_accounts_is_throttled(limited_app):
    client = limited_app.test_client()

    codes = [attempt(client, email=f"person{n}@example.com").status_code for n in range(6)]

    assert codes == [422] * 5 + [429]


def test_even_the_right_password_waits_once_the_limit_is_reached(limited_app):
    make_user(email="li.ming@example.com")
    client = limited_app.test_client()
    for _ in range(3):
        attempt(client)

    assert attempt(client, password=PASSWORD).status_code == 429
    assert client.get("/profile").status_code == 302


def test_one_account_is_throttled_across_many_addresses(limited_app):
    client = limited_app.test_client()

    codes = [
        attempt(client, email=" Li.Ming@example.com ", address=f"10.0.1.{n}").status_code for n in range(5)
    ]

    assert codes == [422, 422, 422, 422, 429]


def test_another_address_and_account_are_not_affected(limited_app):
    client = limited_app.test_client()
    for _ in range(4):
        attempt(client)

    assert attempt(client, email="someone.else@example.com", address="10.0.2.1").status_code == 422


def test_showing_the_login_page_does_not_count(limited_app):
    client = limited_app.test_client()
    for _ in range(5):
        assert client.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200

    assert [attempt(client).status_code for _ in range(3)] == [422, 422, 422]


def test_fourth_registration_attempt_from_one_address_gets_429(limited_app):
    client = limited_app.test_client()

    codes = [
        client.post(
            "/register",
            data={"category": "resident", "email": f"not-an-email-{n}"},
            environ_base={"REMOTE_ADDR": "10.0.3.1"},
        ).status_code
        for n in range(4)
    ]

    assert codes == [422, 422, 422, 429]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_apps_that_disable_throttling_stay_unthrottled_beside_one_that_enables_it(limited_app, session_app):
    """The limiter singleton is bound to every app; each app's own RATELIMIT_ENABLED still decides."""
    client = session_app.test_client()

    # More attempts than any limit configured anywhere (the default is 10 a minute).
    assert [attempt(client).status_code for _ in range(12)] == [422] * 12
