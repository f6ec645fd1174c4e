"""Logging in and out: credentials, inactive accounts, remember-me, session renewal and safe redirects."""

import pytest

from booking.web.safety import safe_next_url
from models import db
from tests.conftest import make_app
from tests.factories import PASSWORD, make_user


@pytest.fixture(autouse=True)
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def logged_in(client) -> bool:
    return client.get("/profile").status_code == 200


def test_login_with_the_right_password_logs_in_and_goes_home(client, auth):
    user = make_user()

    response = auth.login(user)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert logged_in(client)


def test_login_email_is_case_insensitive(client, auth):
    make_user(email="li.ming@example.com")

    auth.login(" Li.Ming@Example.COM ")

    assert logged_in(client)


def test_wrong_password_and_unknown_email_get_the_same_generic_error(client, auth):
    make_user(email="li.ming@example.com")

    wrong_password = auth.login("li.ming@example.com", "not my password")
    unknown_email = auth.login("nobody@example.com", PASSWORD)

    for response in (wrong_password, unknown_email):
        assert response.status_code == 422
        assert "Email or password is incorrect." in response.get_data(as_text=True)
    assert not logged_in(client)


def test_inactive_account_is_refused_with_a_clear_message(client, auth):
    user = make_user(active=False)

    response = auth.login(user)

    assert response.status_code == 422
    assert "This account has been deactivated" in response.get_data(as_text=True)
    assert not logged_in(client)


def test_inactive_account_with_a_wrong_password_gets_only_the_generic_error(client, auth):
    user = make_user(active=False)

    response = auth.login(user, "not my password")

    page = response.get_data(as_text=True)
    assert "Email or password is incorrect." in page
    assert "deactivated" not in page


def test_remember_me_sets_a_remember_cookie(client, auth):
    user = make_user()

    auth.login(user, remember=True)

    assert client.get_cookie("remember_token") is not None


def test_without_remember_me_there_is_no_remember_cookie(client, auth):
    user = make_user()

    auth.login(user)

    assert client.get_cookie("remember_token") is None


def test_login_renews_the_session_but_keeps_the_chosen_language(client, auth):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["locale"] = "en"

    auth.login(user)

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["locale"] == "en"
        assert session["_user_id"].startswith(f"{user.id}.")


def test_protected_page_sends_to_login_and_back(client, auth):
    user = make_user()

    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/profile"' in login_page

    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": "/profile"})

    assert response.headers["Location"] == "/profile"


def test_next_in_the_query_string_is_followed_too(client):
    user = make_user()

    response = client.post("/login?next=/profile", data={"email": user.email, "password": PASSWORD})

    assert response.headers["Location"] == "/profile"


def test_a_normal_local_next_with_a_query_is_followed(client):
    user = make_user()

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "/facilities/?q=x"}
    )

    assert response.headers["Location"] == "/facilities/?q=x"


OPEN_REDIRECTS = [
    "//evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "https://evil.com",
    "javascript:alert(1)",
    "/\t/evil.com",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_login_never_redirects_to_another_site(client, target):
    user = make_user()

    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_safe_next_url_refuses_other_sites(target):
    assert safe_next_url(target) is None


def test_safe_next_url_keeps_a_local_path_with_its_query():
    assert safe_next_url("/facilities/?q=x") == "/facilities/?q=x"


def test_logged_in_visitor_is_sent_on_from_the_login_page(client, auth):
    auth.login(make_user())

    response = client.get("/login?next=/profile")

    assert response.headers["Location"] == "/profile"


def test_logout_ends_the_login_and_clears_the_session(client, auth):
    auth.login(make_user(), remember=True)
    with client.session_transaction() as session:
        session["locale"] = "en"
        session["planted"] = "x"

    response = auth.logout()

    assert response.status_code == 302
    assert client.get_cookie("remember_token") is None
    with client.session_transaction() as session:
        assert set(session) <= {"_flashes"}
    assert not logged_in(client)


def test_logout_is_not_available_by_get(client, auth):
    auth.login(make_user())

    assert client.get("/logout").status_code == 405
    assert logged_in(client)


@pytest.fixture
def csrf_app(database_url):
    """A second app with CSRF protection on, as in production."""
    csrf_app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with csrf_app.app_context():
        yield csrf_app
        db.session.remove()
        db.engine.dispose()


def test_account_forms_carry_a_csrf_token(csrf_app):
    client = csrf_app.test_client()

    for path in ("/login", "/register"):
        assert 'name="csrf_token" type="hidden" value="' in client.get(path).get_data(as_text=True)


def test_logout_without_a_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()

    response = client.post("/logout", headers={"Accept-Language": "en"})

    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)


def test_changing_the_password_signs_out_other_sessions(app, client, auth):
    from booking.services import accounts as account_service
    from models import User, db
    from tests.factories import PASSWORD, make_user

    user = make_user(email="two.devices@example.com")
    other_device = app.test_client()
    assert other_device.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert other_device.get("/profile").status_code == 200
    account_service.change_password(
        db.session.get(User, user.id), current_password=PASSWORD, new_password="a brand new secret"
    )
    assert other_device.get("/profile").status_code == 302  # back to the login page
