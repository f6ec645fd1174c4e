"""Signed-in sessions end when they should: logout and password changes revoke every copy of a login,
and a login lasts a bounded time (idle and absolute), while the person changing their password stays in."""

from datetime import timedelta

import pytest
import time_machine

from booking import clock
from models import db
from tests.conftest import make_app
from tests.factories import PASSWORD, make_user


def signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


def copy_cookies(source, target) -> None:
    """What a thief holding the browser's cookie jar would send."""
    for name in ("session", "remember_token"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def test_a_copied_session_cookie_stops_working_after_logout(app, client, auth):
    auth.login(make_user())
    thief = app.test_client()
    copy_cookies(client, thief)
    assert signed_in(thief)

    auth.logout()

    assert not signed_in(thief)


def test_a_copied_remember_me_cookie_stops_working_after_logout(app, client, auth):
    auth.login(make_user(), remember=True)
    thief = app.test_client()
    thief.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert signed_in(thief)

    auth.logout()

    assert not signed_in(thief)


def test_logging_out_ends_the_persons_logins_on_other_devices_too(app, client, auth):
    """One session version per person: logout cannot tell a copied cookie from another device's."""
    user = make_user()
    other_device = app.test_client()
    other_device.post("/login", data={"email": user.email, "password": PASSWORD})
    auth.login(user)

    auth.logout()

    assert not signed_in(other_device)


def test_logging_in_again_after_logout_works(client, auth):
    user = make_user()
    auth.login(user)
    auth.logout()

    auth.login(user)

    assert signed_in(client)


def test_changing_the_password_keeps_this_session_signed_in(client, auth):
    auth.login(make_user())

    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": "new secret 2026", "confirm": "new secret 2026"},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert response.request.path == "/profile"
    assert signed_in(client)


def test_changing_the_password_keeps_this_browsers_remember_me_and_ends_the_others(app, client, auth):
    user = make_user()
    auth.login(user, remember=True)
    other_device = app.test_client()
    other_device.set_cookie("remember_token", client.get_cookie("remember_token").value)

    client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": "new secret 2026", "confirm": "new secret 2026"},
    )
    returning = app.test_client()  # this browser tomorrow: its session is gone, its remember-me cookie kept
    returning.set_cookie("remember_token", client.get_cookie("remember_token").value)

    assert signed_in(returning)
    assert not signed_in(other_device)


@pytest.fixture
def short_sessions(database_url):
    """An app whose logins idle out after 30 minutes and end 2 days after they began."""
    short = make_app(database_url, PERMANENT_SESSION_LIFETIME=timedelta(minutes=30), SESSION_MAX_DAYS=2)
    # No app context held open: each request gets its own, as in production (no cached current user).
    yield short
    with short.app_context():
        db.engine.dispose()


def test_an_idle_session_ends_after_the_idle_limit(app, short_sessions):
    user = make_user()
    client = short_sessions.test_client()
    with time_machine.travel(clock.now(), tick=False) as traveller:
        client.post("/login", data={"email": user.email, "password": PASSWORD})
        traveller.shift(timedelta(minutes=29))
        assert signed_in(client)  # activity restarts the idle clock
        traveller.shift(timedelta(minutes=29))
        assert signed_in(client)

        traveller.shift(timedelta(minutes=31))

        assert not signed_in(client)


def test_remember_me_ends_at_the_absolute_limit_even_when_used_every_day(app, short_sessions):
    user = make_user()
    client = short_sessions.test_client()
    with time_machine.travel(clock.now(), tick=False) as traveller:
        client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
        stolen = client.get_cookie("remember_token").value
        traveller.shift(timedelta(days=1))
        assert signed_in(client)

        traveller.shift(timedelta(days=1, minutes=1))

        assert not signed_in(client)
        thief = short_sessions.test_client()
        thief.set_cookie("remember_token", stolen)
        assert not signed_in(thief)


def test_a_login_restored_by_remember_me_lasts_beyond_its_first_request(app, client, auth):
    auth.login(make_user(), remember=True)
    returning = app.test_client()  # the browser reopened: no session, only the remember-me cookie
    returning.set_cookie("remember_token", client.get_cookie("remember_token").value)

    assert signed_in(returning)
    assert signed_in(returning)
    assert returning.get_cookie("remember_token") is not None
