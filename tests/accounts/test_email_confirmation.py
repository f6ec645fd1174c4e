"""Email confirmation at sign-up: by link or 6-digit code; until then the account browses but cannot book."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from booking.services import bookings, people, verification
from booking.services.errors import Invalid, Refused
from models import AccountToken, Category, User, Verification, db
from tests.accounts.conftest import body, code_in, link_in
from tests.factories import PASSWORD, make_manager, make_resource, make_university, make_user
from tests.smtp import Inbox

SIGN_UP = {
    "category": "resident",
    "display_name": "Wang Fang",
    "email": "wang.fang@example.com",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def sign_up(client: FlaskClient, **changes: str):
    return client.post("/register", data={**SIGN_UP, **changes})


def newest_user() -> User:
    return db.session.scalars(db.select(User).order_by(User.id.desc())).first()


def test_sign_up_sends_a_link_that_confirms_the_address(client: FlaskClient, smtp: Inbox) -> None:
    assert sign_up(client).status_code == 302
    assert newest_user().email_verified_at is None
    [message] = smtp.to("wang.fang@example.com")

    response = client.get(link_in(message, "/verify/"))

    assert response.status_code == 302
    db.session.expire_all()
    assert newest_user().email_verified_at is not None


def test_the_code_from_the_email_confirms_the_address(client: FlaskClient, smtp: Inbox) -> None:
    sign_up(client)
    code = code_in(smtp.to("wang.fang@example.com")[0])

    response = client.post("/verify", data={"code": code})

    assert response.status_code == 302
    db.session.expire_all()
    assert newest_user().email_verified


def test_wrong_codes_are_counted_and_void_the_code(client: FlaskClient, smtp: Inbox) -> None:
    sign_up(client)
    code = code_in(smtp.to("wang.fang@example.com")[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    answers = [client.post("/verify", data={"code": wrong}) for _ in range(5)]
    last = client.post("/verify", data={"code": code})

    assert all(a.status_code == 422 for a in answers)
    assert "Too many wrong codes" in last.get_data(as_text=True)
    db.session.expire_all()
    assert newest_user().email_verified_at is None


def test_an_unconfirmed_account_cannot_book_and_is_told_why(
    app: Flask, client: FlaskClient, smtp: Inbox
) -> None:
    court = make_resource(make_university())
    sign_up(client)
    user = newest_user()
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)

    with pytest.raises(Refused) as refused:
        bookings.request_booking(user, court.id, start, start + timedelta(hours=1), now=datetime.now(UTC))

    assert [v.code for v in refused.value.violations] == ["email_unverified"]
    page = client.get(f"/facilities/{court.id}").get_data(as_text=True)
    assert 'id="confirm-to-book"' in page and 'id="unconfirmed-email"' in page
    assert f'href="/facilities/{court.id}/book"' not in page
    form = client.get(f"/facilities/{court.id}/book").get_data(as_text=True)
    assert 'class="booking-form"' not in form


def test_a_link_of_another_account_is_refused_and_changes_nothing(
    client: FlaskClient, smtp: Inbox, auth
) -> None:
    sign_up(client)
    link = link_in(smtp.to("wang.fang@example.com")[0], "/verify/")
    client.post("/logout")
    auth.login(make_user())

    response = client.get(link)

    assert response.status_code == 400
    assert "another account" in response.get_data(as_text=True)
    assert newest_user().email_verified_at is None or newest_user().email != "wang.fang@example.com"
    assert (
        db.session.scalar(db.select(User.email_verified_at).where(User.email == "wang.fang@example.com"))
        is None
    )


def test_a_used_link_gets_a_clear_page(client: FlaskClient, smtp: Inbox) -> None:
    sign_up(client)
    link = link_in(smtp.to("wang.fang@example.com")[0], "/verify/")
    client.get(link)

    again = client.get(link)

    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


def test_changing_the_email_waits_for_the_new_address_to_be_confirmed(
    client: FlaskClient, smtp: Inbox, auth
) -> None:
    user = make_user(email="old@example.com")
    auth.login(user)

    response = client.post("/profile/email", data={"email": "new@example.com", "password": PASSWORD})

    assert response.status_code == 302
    db.session.expire_all()
    assert (user.email, user.pending_email) == ("old@example.com", "new@example.com")
    assert "new@example.com" in body(smtp.to("old@example.com")[0])  # the old address is told
    client.get(link_in(smtp.to("new@example.com")[0], "/verify/"))
    db.session.expire_all()
    assert (user.email, user.pending_email) == ("new@example.com", None)
    assert user.email_verified


def test_the_language_chosen_at_sign_up_is_stored_and_used_for_the_email(
    client: FlaskClient, smtp: Inbox
) -> None:
    sign_up(client, locale="en", email="english@example.com")
    sign_up(
        client.application.test_client(), locale="zh_CN", email="chinese@example.com"
    )  # an English browser

    assert db.session.scalar(db.select(User.locale).where(User.email == "english@example.com")) == "en"
    assert "Please confirm that" in body(smtp.to("english@example.com")[0])
    assert "请打开以下链接" in body(smtp.to("chinese@example.com")[0])


def test_without_a_choice_the_browser_language_is_stored(app: Flask, smtp: Inbox) -> None:
    client = app.test_client()
    client.post("/register", data=SIGN_UP, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert newest_user().locale == "en"


def test_managers_never_see_an_unconfirmed_address(app: Flask) -> None:
    university = make_university()
    manager = make_manager(university)
    student = make_user(
        Category.STUDENT,
        email="unconfirmed@example.com",
        display_name="Zhao Lei",
        organization_id=university.id,
        student_number="S9",
        verification=Verification.PENDING,
    )
    student.email_verified_at = None
    db.session.commit()

    assert people.search(manager, "zhao") == []
    assert people.identify(manager, "unconfirmed@example.com") is None
    assert verification.students(manager).items == []


def test_existing_and_platform_made_accounts_count_as_confirmed(app: Flask) -> None:
    assert make_user().email_verified


def test_a_new_code_for_a_confirmed_account_is_refused(app: Flask) -> None:
    from booking.services import email_verification

    with pytest.raises(Invalid):
        email_verification.resend(make_user())
    assert db.session.scalar(db.select(db.func.count(AccountToken.id))) == 0
