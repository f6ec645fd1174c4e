"""The 500 page: friendly, in the reader's language, and still shown when the database itself has failed."""

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from booking.services import catalog, inbox
from models import db
from tests.conftest import AuthActions, make_app
from tests.factories import make_user

FRIENDLY_EN = "Something went wrong on our side. Nothing was changed; please try again."
FRIENDLY_ZH = "系统出现问题，未做任何更改，请重试。"


@pytest.fixture
def live_errors(database_url: str, app: Flask) -> FlaskClient:
    """A client of an app that answers errors with its pages, as production does, instead of raising them."""
    return make_app(database_url, PROPAGATE_EXCEPTIONS=False).test_client()


def database_gone(*args: object, **kwargs: object) -> None:
    dropped = Exception("terminating connection due to administrator command")
    raise sa.exc.OperationalError("SELECT 1", {}, dropped)


def test_an_unexpected_error_shows_the_friendly_page_with_the_account_menu(live_errors, monkeypatch) -> None:
    user = make_user(display_name="Wang Fang")
    db.session.commit()
    AuthActions(live_errors).login(user)

    def broken() -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalog, "filter_choices", broken)
    response = live_errors.get("/facilities/", headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert FRIENDLY_EN in page
    assert "Wang Fang" in page and "My bookings" in page
    assert "a bug" not in page and "Traceback" not in page


@pytest.mark.parametrize(("language", "expected"), [("en", FRIENDLY_EN), ("zh-CN", FRIENDLY_ZH)])
def test_when_the_database_fails_the_error_page_is_still_friendly_and_never_touches_it(
    live_errors, monkeypatch, language: str, expected: str
) -> None:
    user = make_user(display_name="Wang Fang", locale=None)
    db.session.commit()
    AuthActions(live_errors).login(user)
    # Every way the page could reach the database now fails, as when PostgreSQL drops the connection: the
    # view's query, the rollback, loading the signed-in account and counting their unread notifications.
    monkeypatch.setattr(catalog, "filter_choices", database_gone)
    for method in ("rollback", "execute", "scalars", "scalar", "get"):
        monkeypatch.setattr(db.session, method, database_gone)
    monkeypatch.setattr(inbox, "unread_count", database_gone)

    response = live_errors.get("/facilities/", headers={"Accept-Language": language})
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert expected in page, page[page.find("<main") :][:800]
    # The account menu needs the database, so the page leaves it out rather than fail.
    assert "Wang Fang" not in page
    assert 'href="/facilities/"' in page  # the rest of the navigation still works


def test_the_next_request_after_a_database_failure_is_served_normally(live_errors, monkeypatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(catalog, "filter_choices", database_gone)
        patch.setattr(db.session, "rollback", database_gone)
        assert live_errors.get("/facilities/").status_code == 500
    response = live_errors.get("/facilities/", headers={"Accept-Language": "en"})
    assert response.status_code == 200


@pytest.fixture
def dropping_app(database_url: str, app: Flask) -> Flask:
    """An app with two extra pages whose PostgreSQL connection an administrator terminates mid-request."""
    if not database_url.startswith("postgresql"):
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    dropping = make_app(database_url, PROPAGATE_EXCEPTIONS=False)

    def terminate_own_connection() -> None:
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        admin = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
        with admin.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()

    def answered_before_the_drop() -> str:
        terminate_own_connection()  # the page is done; only closing its transaction meets the dead connection
        return "answered"

    def failed_by_the_drop() -> str:
        terminate_own_connection()
        db.session.execute(sa.text("SELECT 1"))
        return "unreachable"

    dropping.add_url_rule("/test/answered-before-the-drop", view_func=answered_before_the_drop)
    dropping.add_url_rule("/test/failed-by-the-drop", view_func=failed_by_the_drop)
    return dropping


def test_a_connection_dropped_after_the_page_was_made_still_sends_the_page(dropping_app) -> None:
    client = dropping_app.test_client()
    response = client.get("/test/answered-before-the-drop")
    assert response.status_code == 200 and response.get_data(as_text=True) == "answered"
    assert client.get("/facilities/").status_code == 200  # the worker's pool replaced the dead connection


def test_a_connection_dropped_mid_request_gets_the_friendly_page_and_the_next_request_works(
    dropping_app,
) -> None:
    client = dropping_app.test_client()
    response = client.get("/test/failed-by-the-drop", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert FRIENDLY_EN in response.get_data(as_text=True)
    assert client.get("/facilities/").status_code == 200


@pytest.mark.parametrize(("error", "status"), [("NotFound", 404), ("NotAllowed", 403)])
def test_a_service_refusal_no_view_catches_becomes_its_page_never_a_500(
    live_errors, monkeypatch, error: str, status: int
) -> None:
    from booking.services import errors

    def refuse(*args: object, **kwargs: object) -> None:
        raise getattr(errors, error)()

    monkeypatch.setattr(catalog, "filter_choices", refuse)
    response = live_errors.get("/facilities/", headers={"Accept-Language": "en"})
    assert response.status_code == status
    assert "Something went wrong" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("refusal", "status", "text"),
    [
        (lambda errors: errors.Invalid("Enter a name.", field="name"), 422, "Enter a name."),
        (lambda errors: errors.NotFound("There is no such thing here."), 404, "There is no such thing here."),
    ],
)
def test_an_invalid_no_view_expected_gets_its_status_page_with_its_message(
    live_errors, monkeypatch, refusal, status: int, text: str
) -> None:
    from booking.services import errors

    def refuse(*args: object, **kwargs: object) -> None:
        raise refusal(errors)

    monkeypatch.setattr(catalog, "filter_choices", refuse)
    response = live_errors.get("/facilities/", headers={"Accept-Language": "en"})
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_a_refused_request_no_view_expected_is_a_409_naming_each_violation(live_errors, monkeypatch) -> None:
    from booking.engine.violations import Violation
    from booking.services.errors import Refused

    def refuse(*args: object, **kwargs: object) -> None:
        raise Refused([Violation("conflict", "Sorry, this time was just taken by someone else.", {})])

    monkeypatch.setattr(catalog, "filter_choices", refuse)
    response = live_errors.get("/facilities/", headers={"Accept-Language": "en"})
    assert response.status_code == 409
    assert "this time was just taken" in response.get_data(as_text=True)
