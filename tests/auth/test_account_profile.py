"""The profile: details, preferred language, verification state, and changing the password."""

import pytest
import sqlalchemy as sa

from models import AuditEvent, Category, db
from tests.factories import PASSWORD, make_enterprise, make_university, make_user


@pytest.fixture(autouse=True)
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def profile_form(**fields: str) -> dict[str, str]:
    data = {"display_name": "Zhang Wei", "phone": "", "locale": "en"}
    data.update(fields)
    return data


def test_profile_needs_a_login(client):
    assert client.get("/profile").status_code == 302
    assert client.post("/profile", data=profile_form()).status_code == 302
    assert client.get("/profile/password").status_code == 302


def test_profile_shows_category_organization_and_verification(client, auth):
    university = make_university(name_en="Jiaozuo University")
    auth.login(
        make_user(
            Category.STUDENT, organization_id=university.id, student_number="2024001", verification="pending"
        )
    )

    page = client.get("/profile").get_data(as_text=True)

    assert "Student" in page
    assert "Jiaozuo University" in page
    assert "2024001" in page
    assert "Awaiting verification" in page
    assert "you book as a resident" in page


def test_profile_shows_a_verified_enterprise_member(client, auth):
    company = make_enterprise(name_en="Jiaozuo Intelligent Equipment")
    auth.login(make_user(Category.ENTERPRISE, organization_id=company.id))

    page = client.get("/profile").get_data(as_text=True)

    assert "Enterprise member" in page
    assert "Jiaozuo Intelligent Equipment" in page
    assert "Verified" in page
    assert "you book as a resident" not in page


def test_profile_update_saves_name_phone_and_language(client, auth):
    user = make_user(display_name="Old name")
    auth.login(user)

    response = client.post(
        "/profile", data=profile_form(display_name=" 张伟 ", phone="0391-3987654", locale="en")
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    db.session.refresh(user)
    assert (user.display_name, user.phone, user.locale) == ("张伟", "0391-3987654", "en")
    assert "Your profile has been saved." in client.get("/profile").get_data(as_text=True)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "account.profile_updated"))
    assert event.details["fields"] == ["display_name", "locale", "phone"]


def test_profile_form_starts_from_the_saved_values(client, auth):
    auth.login(make_user(display_name="Zhao Lei", phone="13800000000", locale="zh_CN"))

    page = client.get("/profile").get_data(as_text=True)

    assert 'value="Zhao Lei"' in page
    assert 'value="13800000000"' in page
    assert '<option selected value="zh_CN">' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"display_name": ""}, "This field is required."),
        ({"phone": "phone me"}, "Enter a phone number"),
        ({"phone": "+" + "1" * 20}, "Enter a phone number"),
        ({"locale": "fr"}, "Not a valid choice"),
    ],
)
def test_profile_refuses_bad_values(client, auth, fields, message):
    user = make_user(display_name="Kept")
    auth.login(user)

    response = client.post("/profile", data=profile_form(**fields))

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.display_name == "Kept"


def test_saved_language_wins_over_the_session_and_accept_language(client, auth):
    user = make_user()
    auth.login(user)
    client.post("/profile", data=profile_form(locale="zh_CN"))
    with client.session_transaction() as session:
        session["locale"] = "en"

    page = client.get("/profile", headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert '<html lang="zh-CN">' in page
    assert db.session.get(type(user), user.id).locale == "zh_CN"


def test_saved_language_applies_at_the_next_login_elsewhere(app, auth, client):
    user = make_user(locale="zh_CN")
    other_device = app.test_client()
    other_device.post("/login", data={"email": user.email, "password": PASSWORD})

    page = other_device.get("/profile", headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert '<html lang="zh-CN">' in page


def test_english_saved_wins_over_a_chinese_browser(client, auth):
    auth.login(make_user())
    client.post("/profile", data=profile_form(locale="en"))

    page = client.get("/profile", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)

    assert '<html lang="en">' in page


def password_form(**fields: str) -> dict[str, str]:
    data = {"current_password": PASSWORD, "new_password": "new secret 2026", "confirm": "new secret 2026"}
    data.update(fields)
    return data


def test_password_change_with_the_current_password(client, auth):
    user = make_user()
    auth.login(user)

    response = client.post("/profile/password", data=password_form())

    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    auth.logout()
    assert auth.login(user, PASSWORD).status_code == 422  # the old password no longer works
    assert auth.login(user, "new secret 2026").status_code == 302
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.target_id == user.id)) == (
        "account.password_changed"
    )


def test_password_change_with_a_wrong_current_password_is_refused(client, auth):
    user = make_user()
    auth.login(user)
    old_hash = user.password_hash

    response = client.post("/profile/password", data=password_form(current_password="guess guess"))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="current_password-error"' in page
    assert "Your current password is not correct." in page
    db.session.refresh(user)
    assert user.password_hash == old_hash


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"new_password": "short", "confirm": "short"}, "Use 8 to 200 characters"),
        ({"confirm": "something else"}, "The two passwords do not match."),
    ],
)
def test_password_change_checks_the_new_password(client, auth, fields, message):
    user = make_user()
    auth.login(user)

    response = client.post("/profile/password", data=password_form(**fields))

    assert message in response.get_data(as_text=True)
    auth.logout()
    assert auth.login(user, PASSWORD).status_code == 302
