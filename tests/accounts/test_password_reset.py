"""Password reset by email: a single-use, expiring link, the same answer for every address, every session
ended."""

from datetime import timedelta

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from booking import clock
from models import AccountToken, AuditEvent, User, db
from tests.accounts.conftest import body, link_in
from tests.conftest import throttled_app
from tests.factories import PASSWORD, make_user
from tests.smtp import Inbox

NEW_PASSWORD = "violet kettle harbour 9"


def ask_for_link(client: FlaskClient, email: str):
    return client.post("/password/forgot", data={"email": email})


def test_a_reset_link_arrives_by_email_and_sets_a_new_password(
    client: FlaskClient, smtp: Inbox, auth
) -> None:
    user = make_user(email="li.na@example.com")

    response = ask_for_link(client, "Li.Na@example.com")

    assert response.status_code == 302 and "/login" in response.headers["Location"]
    [message] = smtp.to("li.na@example.com")
    path = link_in(message, "/password/reset/")
    assert client.get(path).status_code == 200
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    assert auth.login(user, PASSWORD).status_code == 422
    assert auth.login(user, NEW_PASSWORD).status_code == 302


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client: FlaskClient, smtp: Inbox
) -> None:
    make_user(email="known@example.com")

    known = ask_for_link(client, "known@example.com")
    known_page = client.get("/login").get_data(as_text=True)
    unknown = ask_for_link(client, "nobody@example.com")
    unknown_page = client.get("/login").get_data(as_text=True)

    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    assert known_page.replace("known@", "X@") == unknown_page.replace("nobody@", "X@")
    assert [m["To"] for m in smtp.messages] == ["known@example.com"]


def test_a_used_link_does_not_work_twice(client: FlaskClient, smtp: Inbox) -> None:
    make_user(email="once@example.com")
    ask_for_link(client, "once@example.com")
    path = link_in(smtp.to("once@example.com")[0], "/password/reset/")
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    hash_after_first_use = db.session.scalar(db.select(User.password_hash))

    again = client.post(path, data={"password": "another fine secret 7", "confirm": "another fine secret 7"})

    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(db.select(User.password_hash)) == hash_after_first_use


def test_an_expired_link_is_refused_and_changes_nothing(app: Flask, client: FlaskClient, smtp: Inbox) -> None:
    user = make_user(email="late@example.com")
    before = user.password_hash
    ask_for_link(client, "late@example.com")
    path = link_in(smtp.to("late@example.com")[0], "/password/reset/")

    with time_machine.travel(clock.now() + timedelta(minutes=app.config["PASSWORD_RESET_MINUTES"] + 1)):
        page = client.get(path)
        sent = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert page.status_code == sent.status_code == 400
    assert "expired" in sent.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == before


def test_a_forged_link_gets_a_clear_page(client: FlaskClient) -> None:
    make_user()
    response = client.get("/password/reset/forged-token-that-was-never-issued-000000")
    assert response.status_code == 400
    assert 'id="link-problem"' in response.get_data(as_text=True)


def test_a_link_of_another_account_is_refused_while_signed_in(client: FlaskClient, smtp: Inbox, auth) -> None:
    make_user(email="victim@example.com")
    other = make_user(email="other@example.com")
    ask_for_link(client, "victim@example.com")
    path = link_in(smtp.to("victim@example.com")[0], "/password/reset/")
    auth.login(other)

    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 400
    assert "another account" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(AccountToken.used_at)) is None


def test_a_newer_link_replaces_the_older_one(client: FlaskClient, smtp: Inbox) -> None:
    make_user(email="twice@example.com")
    ask_for_link(client, "twice@example.com")
    ask_for_link(client, "twice@example.com")
    first, second = (link_in(m, "/password/reset/") for m in smtp.to("twice@example.com"))

    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200


def test_resetting_ends_every_other_session(app: Flask, client: FlaskClient, smtp: Inbox) -> None:
    user = make_user(email="phone@example.com")
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"email": user.email, "password": PASSWORD})
    assert elsewhere.get("/profile").status_code == 200

    ask_for_link(client, user.email)
    path = link_in(smtp.to(user.email)[0], "/password/reset/")
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert elsewhere.get("/profile").status_code == 302
    assert db.session.scalar(
        db.select(AuditEvent.action).where(AuditEvent.action == "account.password_reset")
    )


def test_a_weak_new_password_is_refused_with_the_reason(client: FlaskClient, smtp: Inbox) -> None:
    make_user(email="weak@example.com")
    ask_for_link(client, "weak@example.com")
    path = link_in(smtp.to("weak@example.com")[0], "/password/reset/")

    response = client.post(path, data={"password": "password1", "confirm": "password1"})

    assert response.status_code == 422
    assert "most commonly used" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(AccountToken.used_at)) is None


def test_the_email_is_in_the_language_of_the_account(client: FlaskClient, smtp: Inbox) -> None:
    make_user(email="en@example.com", locale="en")
    make_user(email="zh@example.com", locale="zh_CN")
    ask_for_link(client, "en@example.com")
    ask_for_link(client, "zh@example.com")

    assert "Choose a new password here" in body(smtp.to("en@example.com")[0])
    assert "请在此设置新密码" in body(smtp.to("zh@example.com")[0])


def test_asking_for_links_is_throttled_per_address_asked_for(database_url: str) -> None:
    with throttled_app(database_url, PASSWORD_RESET_ACCOUNT_LIMIT="2 per hour") as app:
        client = app.test_client()
        answers = [client.post("/password/forgot", data={"email": "flood@example.com"}) for _ in range(3)]
        other = client.post("/password/forgot", data={"email": "someone.else@example.com"})

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert other.status_code == 302
