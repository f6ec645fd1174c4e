"""Check-in pages: check-in on the booking page, the manager's day list, door signs, suspensions."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask, render_template
from flask.testing import FlaskClient
from flask_login import login_user

from booking.services import strikes
from models import Booking, BookingStatus, User, db
from tests.factories import make_admin, make_booking, make_manager, make_resource, make_university, make_user
from tests.readback import status_of

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
CODE = "112358"
EN = {"Accept-Language": "en"}

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


@pytest.fixture
def court(app: Flask):
    return make_resource(policy={"checkin_required": True}, name_en="Tennis court 2")


@pytest.fixture
def li(app: Flask, auth) -> User:
    user = make_user(email="li.na@example.com", display_name="Li Na")
    assert auth.login(user).status_code == 302
    return user


# --- the person ------------------------------------------------------------------------------------


def test_the_booking_page_offers_check_in_only_within_the_window(client: FlaskClient, court, li) -> None:
    soon = make_booking(court, li, NOW + timedelta(minutes=10), checkin_code=CODE)
    later = make_booking(court, li, NOW + timedelta(hours=3), checkin_code=CODE)
    page = client.get(f"/bookings/{soon.id}", headers=EN).get_data(as_text=True)
    assert 'data-state="open"' in page and "Check in</button>" in page
    assert CODE not in page  # the code is shown at the venue, not to the holder
    page = client.get(f"/bookings/{later.id}", headers=EN).get_data(as_text=True)
    assert 'data-state="too_early"' in page and "Check in</button>" not in page
    assert "Check-in opens at 2026-11-24 11:45 and closes at 12:15." in page


def test_a_booking_without_check_in_shows_no_panel(client: FlaskClient, li) -> None:
    booking = make_booking(make_resource(), li, NOW + timedelta(minutes=10))
    assert 'id="checkin"' not in client.get(f"/bookings/{booking.id}").get_data(as_text=True)


def test_checking_in_with_the_code_confirms_the_visit(client: FlaskClient, court, li) -> None:
    booking = make_booking(court, li, NOW + timedelta(minutes=5), checkin_code=CODE)
    response = client.post(f"/bookings/{booking.id}/check-in", data={"code": CODE}, headers=EN)
    assert response.status_code == 302
    assert status_of(booking) == BookingStatus.CHECKED_IN
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "You are checked in." in page
    assert "Checked in at 09:00." in page


def test_a_wrong_code_is_refused_next_to_the_form(client: FlaskClient, court, li) -> None:
    booking = make_booking(court, li, NOW, checkin_code=CODE)
    response = client.post(f"/bookings/{booking.id}/check-in", data={"code": "999999"}, headers=EN)
    assert response.status_code == 422
    assert "That is not the check-in code of this booking." in response.get_data(as_text=True)
    assert status_of(booking) == BookingStatus.CONFIRMED


def test_outside_the_window_the_answer_says_when(client: FlaskClient, court, li) -> None:
    booking = make_booking(court, li, NOW - timedelta(minutes=40), checkin_code=CODE)
    response = client.post(f"/bookings/{booking.id}/check-in", data={"code": CODE}, headers=EN)
    assert response.status_code == 422
    assert "Check-in closed at" in response.get_data(as_text=True)
    assert status_of(booking) == BookingStatus.CONFIRMED


def test_the_door_qr_code_leads_to_the_check_in_page_with_the_code(client: FlaskClient, court, li) -> None:
    booking = make_booking(court, li, NOW + timedelta(minutes=5), checkin_code=CODE)
    page = client.get(f"/bookings/{booking.id}/check-in?code={CODE}", headers=EN).get_data(as_text=True)
    assert f'value="{CODE}"' in page


def test_nobody_else_can_check_in_for_the_holder(client: FlaskClient, auth, court) -> None:
    booking = make_booking(court, make_user(), NOW, checkin_code=CODE)
    auth.login(make_user())
    assert client.post(f"/bookings/{booking.id}/check-in", data={"code": CODE}).status_code == 404
    assert status_of(booking) == BookingStatus.CONFIRMED


# --- the manager's day -----------------------------------------------------------------------------


def test_a_manager_sees_todays_bookings_of_their_university_only(client: FlaskClient, auth, court) -> None:
    manager = make_manager(court.university)
    elsewhere = make_resource(policy={"checkin_required": True})
    ours = make_booking(
        court, make_user(display_name="Wang Fang"), NOW + timedelta(hours=1), checkin_code=CODE
    )
    theirs = make_booking(elsewhere, make_user(), NOW + timedelta(hours=1), checkin_code="222222")
    auth.login(manager)
    page = client.get("/manage/today", headers=EN).get_data(as_text=True)
    assert f'data-booking="{ours.id}"' in page and "Wang Fang" in page and CODE in page
    assert f'data-booking="{theirs.id}"' not in page
    assert client.get(f"/manage/today?university={elsewhere.university_id}").status_code == 404


def test_a_manager_checks_someone_in_from_the_day_list(client: FlaskClient, auth, court) -> None:
    booking = make_booking(
        court, make_user(display_name="Wang Fang"), NOW + timedelta(minutes=5), checkin_code=CODE
    )
    auth.login(make_manager(court.university))
    page = client.get("/manage/today", headers=EN).get_data(as_text=True)
    assert 'data-state="open"' in page
    response = client.post(
        f"/manage/bookings/{booking.id}/check-in", data={"next": "/manage/today"}, headers=EN
    )
    assert response.status_code == 302 and response.headers["Location"] == "/manage/today"
    assert status_of(booking) == BookingStatus.CHECKED_IN
    assert "Wang Fang is checked in." in client.get("/manage/today", headers=EN).get_data(as_text=True)


def test_a_manager_of_another_university_cannot_check_in(client: FlaskClient, auth, court) -> None:
    booking = make_booking(court, make_user(), NOW, checkin_code=CODE)
    auth.login(make_manager(make_university()))
    assert client.post(f"/manage/bookings/{booking.id}/check-in").status_code == 404
    assert status_of(booking) == BookingStatus.CONFIRMED


def test_people_without_manager_rights_cannot_see_the_day_list(client: FlaskClient, li) -> None:
    assert client.get("/manage/today").status_code == 403


def test_the_door_sign_and_its_qr_code_are_for_the_facilitys_managers(
    client: FlaskClient, auth, court
) -> None:
    booking = make_booking(court, make_user(), NOW + timedelta(hours=1), checkin_code=CODE)
    auth.login(make_manager(court.university))
    sign = client.get(f"/manage/bookings/{booking.id}/door-sign", headers=EN).get_data(as_text=True)
    assert CODE in sign and f"/manage/bookings/{booking.id}/checkin-qr.svg" in sign
    svg = client.get(f"/manage/bookings/{booking.id}/checkin-qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.get_data(as_text=True).lstrip().startswith("<?xml")
    assert "no-store" in svg.headers["Cache-Control"]
    auth.logout()
    auth.login(make_manager(make_university()))
    assert client.get(f"/manage/bookings/{booking.id}/checkin-qr.svg").status_code == 404
    auth.logout()
    auth.login(booking.user)
    assert client.get(f"/manage/bookings/{booking.id}/checkin-qr.svg").status_code == 403


# --- suspensions -----------------------------------------------------------------------------------


def suspend(court, user: User) -> None:
    for days in (30, 20, 10):
        make_booking(court, user, NOW - timedelta(days=days), checkin_code=CODE)
    strikes.mark_no_shows(NOW)


def suspended_until(user: User) -> datetime | None:
    db.session.rollback()
    return db.session.get(User, user.id).suspended_until


def test_a_manager_lifts_a_suspension_from_the_list(client: FlaskClient, auth, court) -> None:
    person = make_user(display_name="Zhao Lei")
    suspend(court, person)
    auth.login(make_manager(court.university))
    page = client.get("/manage/suspensions", headers=EN).get_data(as_text=True)
    assert "Zhao Lei" in page and "Suspended until 2026-12-24 09:00" in page
    response = client.post(
        f"/manage/people/{person.id}/lift-suspension", data={"note": "Talked to him"}, headers=EN
    )
    assert response.status_code == 302
    assert suspended_until(person) is None
    assert "The suspension of Zhao Lei was lifted." in client.get("/manage/suspensions", headers=EN).get_data(
        as_text=True
    )


def test_lifting_is_scoped_to_the_universities_concerned(client: FlaskClient, auth, court) -> None:
    person = make_user()
    suspend(court, person)
    auth.login(make_manager(make_university()))
    assert person.display_name not in client.get("/manage/suspensions").get_data(as_text=True)
    assert client.post(f"/manage/people/{person.id}/lift-suspension").status_code == 404
    assert suspended_until(person) is not None
    auth.logout()
    auth.login(make_admin())
    assert client.post(f"/manage/people/{person.id}/lift-suspension").status_code == 302
    assert suspended_until(person) is None


def test_a_suspended_person_sees_the_end_date_when_booking(client: FlaskClient, court, li) -> None:
    suspend(court, li)
    data = {"day": "2026-11-25", "start_time": "10:00", "end_time": "11:00", "party_size": "1"}
    response = client.post(f"/facilities/{court.id}/book", data=data, headers=EN)
    assert response.status_code == 422
    assert 'data-code="account_suspended"' in response.get_data(as_text=True)
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(Booking.start_at > NOW)) == 0
    )


def test_the_profile_snippet_shows_the_end_of_a_suspension(app: Flask, court) -> None:
    person = make_user()
    with app.test_request_context(headers=EN):
        login_user(person)
        assert render_template("checkin/_suspension.html").strip() == ""
    suspend(court, person)
    person = db.session.get(User, person.id)
    with app.test_request_context(headers=EN):
        login_user(person)
        shown = render_template("checkin/_suspension.html")
    assert "suspended until 2026-12-24 09:00" in shown
